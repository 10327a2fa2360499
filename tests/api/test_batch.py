"""``POST /api/batch``: one transaction of record writes, each checked as a single request."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests import testapp
from tests.api.test_records_write import count_is
from tests.scenarios import Scenario, run
from tests.testapp import POST1_ID

pytestmark = pytest.mark.both_backends

POSTS = "/api/collections/posts/records"


def _enable(**batch: Any):
    def before(server: testapp.TestServer) -> None:
        settings = server.pybase.core.settings()
        # NOTE: a 60 s transaction time limit, not the default 3 s: four writes took longer on a
        # loaded CI machine ("Batch transaction failed." with no request named)
        settings["batch"] = {**settings["batch"], "enabled": True, "maxRequests": 5, "timeout": 60, **batch}
        server.pybase.core.save_settings(settings)

    return before


def _create(title: str, **extra: Any) -> dict[str, Any]:
    return {"method": "POST", "url": POSTS, "body": {"title": title, **extra}}


SCENARIOS = [
    Scenario("off by default", "POST", "/api/batch", body={"requests": [_create("Batch one")]}, expected_status=403,
             expected_content=['"message":"Batch requests are not allowed."'], after=count_is("posts", 3)),
    Scenario("malformed JSON", "POST", "/api/batch", body="{", headers={"Content-Type": "application/json"},
             before=_enable(), expected_status=400, expected_content=['"message":"Failed to read the submitted batch data."']),
    Scenario("no requests", "POST", "/api/batch", body={"requests": []}, before=_enable(), expected_status=400,
             expected_content=['"requests":{"code":"validation_required"']),
    Scenario("too many requests", "POST", "/api/batch", body={"requests": [_create(f"Post {i}") for i in range(6)]},
             before=_enable(), expected_status=400, expected_content=['"code":"validation_length_too_long"']),
    Scenario("wrong types", "POST", "/api/batch", body={"requests": [{"method": 1, "url": POSTS}]}, before=_enable(),
             expected_status=400, expected_content=['"message":"Failed to read the submitted batch data."']),
    Scenario("creates, an update and a delete in one transaction", "POST", "/api/batch", before=_enable(),
             body={"requests": [
                 _create("Batch one", id="batchpost000001"), _create("Batch two", id="batchpost000002"),
                 {"method": "PATCH", "url": f"{POSTS}/batchpost000001?fields=id,title", "body": {"title": "Batch changed"}},
                 {"method": "DELETE", "url": f"{POSTS}/batchpost000002"},
             ]},
             expected_content=['"status":200', '"title":"Batch changed"', '"status":204', '"body":null'],
             expected_events={"onBatchRequest": 1, "onRecordCreateRequest": 2, "onRecordUpdateRequest": 1,
                              "onRecordDeleteRequest": 1, "onRecordAfterCreateSuccess": 2},
             after=count_is("posts", 4)),
    Scenario("the third fails: nothing is written", "POST", "/api/batch", before=_enable(),
             body={"requests": [_create("Batch one"), {"method": "PATCH", "url": f"{POSTS}/{POST1_ID}", "body": {"views": 7}}, _create("x")]},
             expected_status=400,
             expected_content=['"message":"Batch transaction failed."', '"2":{"code":"batch_request_failed"',
                               '"response":{"data":{"title":{"code":"validation_min_text_constraint"'],
             expected_events={"onRecordAfterCreateSuccess": 0, "onRecordAfterUpdateSuccess": 0},
             after=count_is("posts", 3)),
    Scenario("a rule refuses one", "POST", "/api/batch", before=_enable(),
             body={"requests": [{"method": "POST", "url": "/api/collections/locked/records", "body": {"title": "x"}}]},
             expected_status=400, expected_content=['"0":{"code":"batch_request_failed"', '"status":403']),
    Scenario("body over batch.maxBodySize", "POST", "/api/batch", before=_enable(maxBodySize=100),
             body={"requests": [_create("x" * 200)]}, expected_status=413),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_batch(server: testapp.TestServer, scenario: Scenario) -> None:
    run(server, scenario)


def test_a_batch_over_its_timeout_is_rolled_back(server: testapp.TestServer) -> None:
    _enable(timeout=1)(server)

    def slow(e: Any) -> Any:
        time.sleep(0.6)
        return e.next()

    server.pybase.core.hooks["onRecordCreateRequest"].bind(slow)
    resp = server.request("POST", "/api/batch", json={"requests": [_create(f"Slow {i}") for i in range(3)]})
    assert resp.status_code == 400 and resp.json()["message"] == "Batch transaction failed."
    count_is("posts", 3)(server, resp)


def test_the_batch_is_one_logged_request(server: testapp.TestServer) -> None:
    _enable()(server)
    server.request("POST", "/api/batch", json={"requests": [_create("Logged once one"), _create("Logged once two")]})
    logs = server.pybase.core.logs
    logs.flush()
    messages = [e["message"] for e in logs.list(None, None, limit=100, offset=0, total=False)[0]]
    assert messages.count("POST /api/batch") == 1
    assert "POST /api/collections/posts/records" not in messages


def test_large_sub_answers_come_back_as_json_when_the_caller_accepts_gzip(server: testapp.TestServer) -> None:
    _enable()(server)
    body = "<p>" + "long text " * 300 + "</p>"  # each answer well over the gzip threshold
    resp = server.request(
        "POST", "/api/batch", headers={"Accept-Encoding": "gzip"},
        json={"requests": [_create("Big one", body=body), _create("Big two", body=body)]},
    )
    assert resp.status_code == 200, resp.text
    assert [item["body"]["body"] for item in resp.json()] == [body, body]


def test_hooks_of_sub_requests_see_the_callers_request(server: testapp.TestServer) -> None:
    """As PocketBase's: the batch request's headers (its User-Agent, or none), the sub-request's
    own over them, its address, multipart form data; tests/conformance/test_batch_headers.py
    compares what rules see with PocketBase's."""
    import urllib3

    from pybase.apis.client_ip import real_ip

    _enable()(server)
    seen: list[dict[str, Any]] = []

    def look(e: Any) -> Any:
        info = e.request.context.request_info  # what the rules saw
        seen.append({
            "ua": e.request.get_header("User-Agent"), "ip": real_ip(e.request), "remote": e.request.remote_addr,
            "custom": e.request.get_header("X-Custom"), "type": e.request.content_type.split(";")[0],
            "info_ua": info.headers.get("user_agent"), "info_custom": info.headers.get("x_custom"),
        })  # fmt: skip
        return e.next()

    server.pybase.core.hooks["onRecordCreateRequest"].bind(look)
    sub = _create("Hooked one")
    resp = server.request("POST", "/api/batch", headers={"User-Agent": "ua-caller", "X-Custom": "c1"},
                          json={"requests": [sub, {**sub, "body": {"title": "Hooked two"}, "headers": {"x-custom": "c2"}}]})
    assert resp.status_code == 200, resp.text
    resp = server.request("POST", "/api/batch", headers={"User-Agent": urllib3.util.SKIP_HEADER}, json={"requests": [_create("No agent")]})
    assert resp.status_code == 200, resp.text
    base = {"ip": "127.0.0.1", "remote": "127.0.0.1", "type": "multipart/form-data"}
    assert seen == [
        {**base, "ua": "ua-caller", "info_ua": "ua-caller", "custom": "c1", "info_custom": "c1"},
        {**base, "ua": "ua-caller", "info_ua": "ua-caller", "custom": "c2", "info_custom": "c2"},
        {**base, "ua": None, "info_ua": None, "custom": None, "info_custom": None},
    ]
    logs = server.pybase.core.logs
    logs.flush()
    batches = [e["data"] for e in logs.list(None, None, limit=100, offset=0, total=False)[0] if e["message"] == "POST /api/batch"]
    assert sorted((d["userAgent"], d["remoteIP"], d["userIP"]) for d in batches) == [("", "127.0.0.1", "127.0.0.1"), ("ua-caller", "127.0.0.1", "127.0.0.1")]
