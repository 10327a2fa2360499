"""routerAdd routes, the request event API, $app/$security binds, require(), errors and values."""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory
from tests.testapp import POST1_ID, USER1_ID

# NOTE: routes reading and writing records on both databases
pytestmark = pytest.mark.both_backends

ROUTE_FILES = ["routes.pb.js", "modules.pb.js", "errors.pb.js", "values.pb.js"]


@pytest.fixture
def srv(hooks_server: HooksServerFactory):
    return hooks_server(ROUTE_FILES)


def test_json_route_with_path_params_and_query(srv):
    r = srv.request("GET", "/hello/world?q=yes")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"message": "Hello world", "q": "yes"}
    # NOTE: as Go's router: an encoded slash stays inside its path value.
    assert srv.request("GET", "/hello/a%2Fb").json()["message"] == "Hello a/b"


def test_rest_wildcard_takes_the_remaining_path(srv):
    r = srv.request("GET", "/files/a/b/c.txt")
    assert (r.status_code, r.text) == (200, "path=a/b/c.txt")


def test_unknown_path_still_reaches_pybase_routes(srv):
    assert srv.request("GET", "/api/health").status_code == 200
    assert srv.request("GET", "/hello").status_code == 404


def test_bind_body_and_request_info(srv):
    r = srv.request("POST", "/echo", json={"title": "t", "count": 3}, headers={"X-Custom": "yes"})
    assert r.status_code == 201
    assert r.json() == {"data": {"title": "t", "count": 3}, "method": "POST", "header": "yes", "auth": None}


def test_response_helpers(srv):
    page = srv.request("GET", "/page")
    assert (page.status_code, page.headers["content-type"], page.text) == (200, "text/html; charset=utf-8", "<p>hi</p>")
    assert srv.request("GET", "/nothing").status_code == 204
    redirect = srv.request("GET", "/go", allow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (307, "/hello/redirected")
    blob = srv.request("GET", "/bytes")
    assert (blob.headers["content-type"], blob.content) == ("application/octet-stream", bytes([0, 1, 2, 255]))


def test_require_auth_middleware_and_e_auth(srv):
    assert srv.request("GET", "/me").status_code == 401
    r = srv.request("GET", "/me", headers={"Authorization": srv.token("user1")})
    assert r.json() == {"id": USER1_ID, "email": "user1@example.com"}


def test_app_finders_and_record_getters(srv):
    r = srv.request("GET", f"/post/{POST1_ID}")
    body = r.json()
    assert r.status_code == 200
    assert (body["title"], body["views"], body["collection"]) == ("First post", 10, "posts")
    assert body["record"]["id"] == POST1_ID and "secret" not in body["record"]


def test_app_count_and_filter_with_params(srv):
    r = srv.request("GET", "/count")
    assert r.json() == {"all": 3, "published": 2, "filtered": ["Second post", "First post"], "first": "post2aaaaaaaaaa"}


def test_new_record_and_save(srv):
    r = srv.request("POST", "/create-post", json={"title": "Made in JS", "views": 5})
    assert r.status_code == 200 and r.json()["isNew"] is False
    saved = srv.app.find_record_by_id("posts", r.json()["id"])
    assert (saved.get("title"), saved.get("views")) == ("Made in JS", 5)


def test_security_and_helpers(srv):
    body = srv.request("GET", "/security").json()
    assert body["rnd"] == 12 and set(body["alpha"]) <= {"a", "b"} and len(body["alpha"]) == 8
    assert body["md5"] == "900150983cd24fb0d6963f7d28e17f72"
    assert body["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert body["hs256"] == "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab"
    # NOTE: bytes read as text, a plain array as JSON (PocketBase's toString)
    assert body["eq"] is True and body["str"] == "hi" and body["list"] == "[104,105]"


def test_require_commonjs_module_with_relative_require(srv):
    first = srv.request("GET", "/shout/hey").json()
    assert first["text"] == "HEY!" and first["n"] >= 1


@pytest.mark.parametrize(
    ("kind", "status", "message", "data"),
    [
        ("api", 418, "I'm a teapot.", {"field": {"code": "validation_invalid_value", "message": "Invalid value."}}),
        ("bad", 400, "Bad input.", {}),
        ("notfound", 404, "The requested resource wasn't found.", {}),
        ("forbidden", 403, "No entry.", {}),
        ("unauthorized", 401, "Missing or invalid authentication.", {}),
        ("toomany", 429, "Too Many Requests.", {}),
        ("internal", 500, "Something went wrong while processing your request.", {}),
        ("plain", 400, "Something went wrong while processing your request.", {}),
        ("type", 400, "Something went wrong while processing your request.", {}),
        ("missing", 404, "The requested resource wasn't found.", {}),
    ],
    ids=lambda v: str(v) if isinstance(v, str | int) else "",
)
def test_js_errors_become_status_codes(srv, kind, status, message, data):
    r = srv.request("GET", f"/err/{kind}")
    assert r.json() == {"status": status, "message": message, "data": data}
    assert r.status_code == status


def test_python_errors_can_be_caught_in_js(srv):
    assert srv.request("GET", "/err/caught").json() == {"caught": 404, "name": "NotFoundError"}


def test_values_cross_the_boundary_exactly(srv):
    sent = {"big": 2**53 - 1, "nested": {"a": [1, {"b": "ü😀"}], "empty": {}}, "f": 1.5, "neg": -(2**40), "n": None}
    body = srv.request("POST", "/values", json=sent).json()
    assert body["received"] == sent
    assert body["big"] == 2**53 - 1 and body["bigIsSafe"] is True
    assert body["made"] == {
        "max": 2**53 - 1,
        "neg": -(2**53 - 1),
        "int32": 2**31,
        "float": 0.30000000000000004,
        "deep": {"a": [1, {"b": [True, None, "x"]}]},
        "text": "héllo wörld ✓ 😀 中文",
    }
    stored = srv.request("GET", "/store-values").json()
    assert stored == {"nested": {"big": 2**32, "list": [1, 2, 3]}, "s": "ü"}
