"""Every failure class answers PocketBase's error JSON: ``{"data":{...},"message":"...","status":N}``.

One row per class (malformed body, validation, auth, permissions, not found, too large, crash), checked
byte-for-byte on the key order, the status in the body, the content type and the security headers.
"""

from __future__ import annotations

import logging
import socket
import time

import jwt
import orjson
import pytest

from pybase.apis.middleware import DEFAULT_BODY_LIMIT
from pybase.core.errors import BadRequestError
from pybase.server import MAX_REQUEST_BODY
from tests.scenarios import Scenario, run
from tests.testapp import POST1_ID, USER1_ID

GENERIC = "Something went wrong while processing your request."
JSON = {"Content-Type": "application/json"}


def _expired_user_token(server) -> str:
    record = server.app.find_record_by_id("users", USER1_ID)
    key = record.token_key + record.collection.token_option("authToken")["secret"]
    claims = {"collectionId": record.collection.id, "exp": int(time.time()) - 60, "id": record.id, "refreshable": True, "type": "auth"}
    return jwt.encode(claims, key, algorithm="HS256")


def _forged_superuser_token(server) -> str:
    col = server.app.find_collection("_superusers")
    record = server.app.records.find_first(col)
    claims = {"collectionId": col.id, "exp": int(time.time()) + 3600, "id": record.id, "refreshable": True, "type": "auth"}
    return jwt.encode(claims, "a-key-nobody-has-" * 3, algorithm="HS256")


def _error(status: int, message: str, data: str = "{}") -> str:
    return f'{{"data":{data},"message":{orjson.dumps(message).decode()},"status":{status}}}'


def _shape_ok(server, resp) -> None:
    """The raw body is exactly one error object, keys in PocketBase's order, status mirrored."""
    body = orjson.loads(resp.content)
    assert list(body) == ["data", "message", "status"], resp.text
    assert body["status"] == resp.status_code
    assert isinstance(body["data"], dict) and isinstance(body["message"], str) and body["message"]
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def _shape(scenario: Scenario) -> Scenario:
    previous = scenario.after

    def after(server, resp):
        _shape_ok(server, resp)
        if previous is not None:
            previous(server, resp)

    scenario.after = after
    return scenario


SCENARIOS = [
    _shape(s)
    for s in [
        # 400: malformed bodies (each area has its own message)
        Scenario("malformed json on record create", "POST", "/api/collections/posts/records", body='{"title": "x', headers=JSON,
                 expected_status=400, expected_content=[_error(400, GENERIC)], expected_events={"*": 0}),
        Scenario("json array on record create", "POST", "/api/collections/posts/records", body=[1, 2],
                 expected_status=400, expected_content=[_error(400, GENERIC)]),
        Scenario("malformed json on collection create", "POST", "/api/collections", body='{"name": ', headers={**JSON, "Authorization": "SUPERUSER"},
                 expected_status=400, expected_content=[_error(400, "Failed to load the collection type data due to invalid formatting.")]),
        Scenario("malformed json on collection update", "PATCH", "/api/collections/posts", body='{"name": ', headers={**JSON, "Authorization": "SUPERUSER"},
                 expected_status=400, expected_content=[_error(400, "Failed to load the submitted data due to invalid formatting.")]),
        Scenario("malformed json on auth with password", "POST", "/api/collections/_superusers/auth-with-password", body='{"identity": ', headers=JSON,
                 expected_status=400, expected_content=[_error(400, "An error occurred while loading the submitted data.")]),
        Scenario("record create without a content type", "POST", "/api/collections/posts/records", body=b'{"title":"No type"}',
                 expected_status=400, expected_content=[_error(400, "Unsupported Content-Type.")]),
        Scenario("invalid filter", "GET", "/api/collections/posts/records?filter=(((", expected_status=400, expected_content=[_error(400, GENERIC)]),
        Scenario("invalid perPage", "GET", "/api/collections/posts/records?perPage=abc", expected_status=400, expected_content=[_error(400, GENERIC)]),
        # 400: validation, with per-field data
        Scenario("record validation lists each field", "POST", "/api/collections/posts/records", body={"title": "x", "views": -1},
                 expected_status=400,
                 expected_content=['"message":"Failed to create record."', '"title":{"code":"validation_min_text_constraint"',
                                   '"views":{"code":"validation_min_number_constraint"', '"status":400']),
        Scenario("auth form validation", "POST", "/api/collections/_superusers/auth-with-password", body={},
                 expected_status=400,
                 expected_content=[_error(400, "An error occurred while validating the submitted data.",
                                          '{"identity":{"code":"validation_required","message":"Cannot be blank."},'
                                          '"password":{"code":"validation_required","message":"Cannot be blank."}}')]),
        Scenario("failed sign-in", "POST", "/api/collections/_superusers/auth-with-password", body={"identity": "a@b.c", "password": "nope"},
                 expected_status=400, expected_content=[_error(400, "Failed to authenticate.")]),
        # 401
        Scenario("missing token on a superuser route", "GET", "/api/collections", expected_status=401,
                 expected_content=[_error(401, "The request requires valid record authorization token.")], expected_events={"*": 0}),
        Scenario("garbage token on a superuser route", "GET", "/api/collections", headers={"Authorization": "garbage"}, expected_status=401,
                 expected_content=[_error(401, "The request requires valid record authorization token.")]),
        # 403
        Scenario("user token on a superuser route", "GET", "/api/collections", headers={"Authorization": "USER1"}, expected_status=403,
                 expected_content=[_error(403, "The authorized record is not allowed to perform this action.")]),
        Scenario("record action whose rule is null", "GET", "/api/collections/locked/records", headers={"Authorization": "USER1"}, expected_status=403,
                 expected_content=[_error(403, "Only superusers can perform this action.")]),
        Scenario("refresh with another collection's token", "POST", "/api/collections/_superusers/auth-refresh", headers={"Authorization": "USER1"},
                 expected_status=403, expected_content=[_error(403, "The request requires auth record from users collection.")]),
        # 404
        Scenario("unknown GET route", "GET", "/api/nope", expected_status=404, expected_content=[_error(404, "File not found.")]),
        Scenario("unknown POST route", "POST", "/api/nope", expected_status=404, expected_content=[_error(404, "The requested resource wasn't found.")]),
        Scenario("wrong method", "DELETE", "/api/collections/posts/records", expected_status=404,
                 expected_content=[_error(404, "The requested resource wasn't found.")]),
        Scenario("GET on a POST-only route", "GET", "/api/collections/users/auth-refresh", expected_status=404,
                 expected_content=[_error(404, "File not found.")]),
        Scenario("unknown collection in the records list", "GET", "/api/collections/nope/records", expected_status=404,
                 expected_content=[_error(404, "Missing collection context.")]),
        Scenario("unknown collection for a superuser", "GET", "/api/collections/nope", headers={"Authorization": "SUPERUSER"}, expected_status=404,
                 expected_content=[_error(404, "The requested resource wasn't found.")]),
        Scenario("unknown record", "GET", "/api/collections/posts/records/nope123456789ab", expected_status=404,
                 expected_content=[_error(404, "The requested resource wasn't found.")]),
        # 413 over the route limit (checked by the body limit middleware from Content-Length)
        Scenario("body over the default route limit", "POST", "/api/collections/comments/records", body=b" " * (DEFAULT_BODY_LIMIT + 1), headers=JSON,
                 expected_status=413, expected_content=[_error(413, "Request entity too large.")], expected_events={"*": 0},
                 after=lambda s, r: _assert_close(r)),
        Scenario("body over the collections route limit", "POST", "/api/collections", body=b" " * (DEFAULT_BODY_LIMIT + 1),
                 headers={**JSON, "Authorization": "SUPERUSER"},
                 expected_status=413, expected_content=[_error(413, "Request entity too large.")]),
    ]
]


def _assert_close(resp) -> None:
    assert resp.headers.get("Connection", "").lower() == "close"


# NOTE: the table goes through records, collections and sign-ins: on both databases; the rest
# (tokens, raw HTTP, hooks) does not reach the database.
@pytest.mark.both_backends
@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_error_shape(server, scenario):
    run(server, scenario)


@pytest.mark.parametrize(
    "make_token,method,url",
    [
        (_forged_superuser_token, "GET", "/api/collections"),
        (_expired_user_token, "POST", "/api/collections/users/auth-refresh"),
    ],
    ids=["forged token on a superuser route", "expired token on auth refresh"],
)
def test_bad_token_error_shape(server, make_token, method, url):
    resp = server.request(method, url, headers={"Authorization": make_token(server)})
    assert resp.status_code == 401
    assert resp.text == _error(401, "The request requires valid record authorization token.")
    _shape_ok(server, resp)


def test_body_exactly_at_the_limit_is_read(server):
    body = b"{}" + b" " * (DEFAULT_BODY_LIMIT - 2)
    resp = server.request("POST", "/api/collections/comments/records", data=body, headers=JSON)
    assert resp.status_code == 400  # parsed: {} fails validation instead of a 413
    assert '"message":"Failed to create record."' in resp.text


def _raw(server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def test_body_over_the_server_cap_is_refused_from_the_headers(server):
    # NOTE: only the headers are sent: waitress must answer without waiting for 300 MB.
    request = (
        "POST /api/collections/posts/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_REQUEST_BODY + 1}\r\n\r\n"
    ).encode()
    status, headers, body = _raw(server, request)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert body == b'{"data":{},"message":"Request entity too large.","status":413}'
    assert headers["x-content-type-options"] == "nosniff"


def test_body_over_every_route_limit_is_refused_before_it_is_read(server):
    # NOTE: the cap follows the largest route limit (the posts collection's record writes), so
    # 1 byte more is refused from the headers alone, without the body ever being sent.
    from pybase.apis.records import record_body_limit

    largest = max(record_body_limit(c) for c in server.app.registry.all() if not c.is_view)
    request = (
        "POST /api/collections/posts/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {largest + 1}\r\n\r\n"
    ).encode()
    status, headers, body = _raw(server, request)
    assert status == 413
    assert body == b'{"data":{},"message":"Request entity too large.","status":413}'


@pytest.mark.both_backends
def test_body_cap_follows_collection_changes(server):
    from pybase.apis.records import record_body_limit

    token = server.token("superuser")
    created = server.request(
        "POST", "/api/collections", headers={"Authorization": token},
        json={"name": "big", "fields": [{"name": "doc", "type": "json", "maxSize": 300 << 20}]},
    )
    assert created.status_code == 200, created.text
    limit = record_body_limit(server.app.find_collection("big"))
    assert server.pybase.server.server.adj.max_request_body_size == limit
    deleted = server.request("DELETE", "/api/collections/big", headers={"Authorization": token})
    assert deleted.status_code == 204
    assert server.pybase.server.server.adj.max_request_body_size < limit


def test_malformed_http_is_answered_in_the_error_shape(server):
    request = b"POST /api/collections/posts/records HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n"
    status, headers, body = _raw(server, request)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert orjson.loads(body) == {"data": {}, "message": GENERIC, "status": 400}


def test_crashing_hook_answers_a_bare_500_and_logs_the_traceback(server, caplog):
    def explode(e):
        raise RuntimeError("internal detail: /secret/path password=hunter2")

    server.app.hooks["onRecordViewRequest"].bind(explode)
    with caplog.at_level(logging.ERROR):
        resp = server.request("GET", f"/api/collections/posts/records/{POST1_ID}")
    assert resp.status_code == 500
    assert resp.text == _error(500, GENERIC)
    assert "secret" not in resp.text and "RuntimeError" not in resp.text
    _shape_ok(server, resp)
    crashes = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert crashes, "the traceback was not logged"
    assert "hunter2" in "".join(logging.Formatter().formatException(crashes[0].exc_info))
    # the server keeps serving
    assert server.request("GET", "/api/health").status_code == 200


@pytest.mark.parametrize(
    "exc,status,message",
    [
        (BadRequestError("Custom refusal."), 400, "Custom refusal."),
        (KeyError("x"), 500, GENERIC),
        (ZeroDivisionError(), 500, GENERIC),
    ],
    ids=["domain error keeps its message", "key error is a 500", "arithmetic error is a 500"],
)
def test_errors_raised_by_hooks(server, exc, status, message):
    def raiser(e):
        raise exc

    server.app.hooks["onRecordsListRequest"].bind(raiser)
    resp = server.request("GET", "/api/collections/posts/records")
    assert resp.status_code == status
    assert resp.text == _error(status, message)
