"""Health endpoint and the generic HTTP behaviours (unknown routes, methods, CORS, headers)."""

from __future__ import annotations

import pytest

from tests.scenarios import Scenario, run

SCENARIOS = [
    Scenario("health answers", "GET", "/api/health", expected_content=['"message":"API is healthy."', '"code":200'], expected_events={"*": 0}),
    Scenario("health HEAD has no body", "HEAD", "/api/health"),
    Scenario("unknown GET path is a static 404", "GET", "/api/nope", expected_status=404, expected_content=['"message":"File not found."']),
    Scenario("unknown POST path", "POST", "/api/nope", expected_status=404, expected_content=['"message":"The requested resource wasn\'t found."']),
    Scenario("wrong method is a 404, never 405", "PUT", "/api/health", expected_status=404, expected_content=['"status":404']),
    Scenario("trailing slash is another path", "GET", "/api/health/", expected_status=404, expected_content=['"File not found."']),
    Scenario("the dashboard is served at /_/", "GET", "/_/", expected_content=["<!doctype html>"]),
    Scenario("dashboard SPA paths fall back to its index", "GET", "/_/collections/posts", expected_content=["<!doctype html>"]),
    Scenario("dashboard never serves files outside its folder", "GET", "/_/../pyproject.toml", expected_status=404),
    Scenario("POST to the dashboard is an unknown route", "POST", "/_/", expected_status=404, expected_content=['"The requested resource wasn\'t found."']),
    Scenario("CORS preflight", "OPTIONS", "/api/collections/posts/records", headers={"Origin": "http://x.test", "Access-Control-Request-Method": "POST"}, expected_status=204),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_health(server, scenario):
    run(server, scenario)


def test_security_headers(server):
    resp = server.request("GET", "/api/health", headers={"Origin": "http://x.test"})
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Content-Type"] == "application/json"


def test_large_text_answers_are_gzipped_for_clients_that_accept_it(server):
    su = {"Authorization": server.token("superuser")}
    plain = server.request("GET", "/api/collections", headers={**su, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    zipped = server.request("GET", "/api/collections", headers={**su, "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert zipped.json() == plain.json()  # requests decodes it
    small = server.request("GET", "/api/health", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under 1 KB: sent as it is
    head = server.request("HEAD", "/api/collections", headers={**su, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in head.headers
