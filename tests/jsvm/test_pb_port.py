"""A typical PocketBase hooks file (tests/jsvm/pb_port/) running unchanged: route, record hooks,
a cron job and $http.send to a loopback webhook."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.jsvm.conftest import HooksServerFactory, LoopbackServer
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

PORT_DIR = Path(__file__).resolve().parent / "pb_port"


@pytest.fixture
def srv(hooks_server: HooksServerFactory, loopback: LoopbackServer, monkeypatch):
    monkeypatch.setenv("MYAPP_WEBHOOK_URL", loopback.url)
    files = {p.name: p.read_text(encoding="utf-8") for p in PORT_DIR.iterdir() if p.suffix == ".js"}
    server = hooks_server(files)
    assert server.pybase.jsvm.last_error is None
    return server


def _webhooks(loopback: LoopbackServer, event: str, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [json.loads(r["body"]) for r in loopback.requests if r["path"] == "/echo" and event in r["body"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_custom_route(srv):
    r = srv.request("GET", "/api/myapp/hello/world")
    assert (r.status_code, r.json()) == (200, {"message": "Hello world"})


def test_route_with_require_auth_and_a_shared_module(srv):
    assert srv.request("GET", "/api/myapp/stats").status_code == 401
    r = srv.request("GET", "/api/myapp/stats", headers={"Authorization": srv.token("user1")})
    assert r.json() == {
        "published": 2,
        "top": [
            {"id": POST2_ID, "title": "Second post", "views": 600},
            {"id": POST1_ID, "title": "First post", "views": 10},
        ],
        "user": "user1@example.com",
    }


def test_record_hooks_fill_defaults_and_call_the_webhook(srv, loopback: LoopbackServer):
    r = srv.request("POST", "/api/collections/posts/records", json={"title": "Hello From JS"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "draft" and body["body"] == "hello-from-js"
    sent = _webhooks(loopback, "post_created")
    assert sent == [{"event": "post_created", "id": body["id"], "title": "Hello From JS"}]
    assert loopback.requests[-1]["headers"]["Content-Type"] == "application/json"


def test_delete_request_hook_rejects_published_posts(srv):
    r = srv.request("DELETE", f"/api/collections/posts/records/{POST1_ID}")
    assert r.status_code == 400
    assert r.json()["message"] == "Published posts can't be deleted."
    assert srv.request("DELETE", f"/api/collections/posts/records/{POST3_ID}").status_code == 204


def test_cron_job_is_listed_and_sends_the_digest(srv, loopback: LoopbackServer):
    su = {"Authorization": srv.token("superuser")}
    jobs = srv.request("GET", "/api/crons", headers=su).json()
    assert jobs[0] == {"id": "digest", "expression": "0 8 * * *"}
    assert srv.request("POST", "/api/crons/digest", headers=su).status_code == 204
    assert _webhooks(loopback, "digest") == [{"event": "digest", "total": 3}]
