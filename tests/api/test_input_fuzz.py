"""Fuzzing the integer and path parsers: ``page``/``perPage`` and static file paths.

Whatever the text, the answer is never a 500. ``page``/``perPage`` follow PocketBase's rules
(Go's ``strconv.Atoi``: a sign and ASCII digits within int64, else 400; the offset an int64
product that wraps around, no offset when it is not positive). A static path answers a file of
pb_public, its index, a redirect or the 404 JSON, and never anything outside the folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import testapp
from tests.api.test_static import FILE_NOT_FOUND, INDEX, SUB_INDEX, make_public, raw_request
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POSTS = "/api/collections/posts/records"
POST_IDS = [POST1_ID, POST2_ID, POST3_ID]
INT64 = 2**63
ATOI = re.compile(r"[+-]?[0-9]+")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any) -> Iterator[testapp.TestServer]:
    """The fixture data with a pb_public folder, shared by every example (paging: on each database)."""
    tmp_path = tmp_path_factory.mktemp("input_fuzz")
    make_public(tmp_path)
    template, url = databases.copy_of_fixture() if backend == "postgres" else (fixture_data, "")
    srv = testapp.start_server(tmp_path, template, url)
    yield srv
    srv.stop()
    databases.drop(url)


# ---- page / perPage ---------------------------------------------------------------------------

def go_atoi(text: str) -> int | None:
    """The int64 Go's Atoi reads, or None when it refuses the text."""
    if not ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if -INT64 <= value < INT64 else None


def expected_window(page: int, per_page: int) -> tuple[int, int, int]:
    """PocketBase's normalised page, perPage and the offset of its first row."""
    page = page if page > 0 else 1
    per_page = 30 if per_page <= 0 else min(per_page, 1000)
    offset = (per_page * (page - 1) + INT64) % 2**64 - INT64
    return page, per_page, max(offset, 0)


near_edges = st.sampled_from([0, 1, 2, 999, 1000, 1001, INT64 - 1, INT64, -INT64, -INT64 - 1, 2**62 + 1, 2**64])
integer_text = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(0, 2**64).map(lambda n: f"+{n}"),
    near_edges.map(str),
    st.integers(0, 5000).map(lambda n: f"00{n}"),
)
paging_text = st.one_of(integer_text, integer_text, st.text(max_size=12), st.none())


@pytest.mark.both_backends
@FUZZ
@given(page=paging_text, per_page=paging_text)
def test_paging_never_fails(served: testapp.TestServer, page: str | None, per_page: str | None) -> None:
    params = {k: v for k, v in (("page", page), ("perPage", per_page)) if v is not None}
    resp = served.request("GET", POSTS, params={**params, "sort": "@rowid"})
    parsed = [go_atoi(v) if v not in (None, "") else default for v, default in ((page, 1), (per_page, 30))]
    if None in parsed:
        assert resp.status_code == 400, resp.text[:300]
        assert resp.json() == {"data": {}, "message": "Something went wrong while processing your request.", "status": 400}
        return
    assert resp.status_code == 200, resp.text[:300]
    body = resp.json()
    want_page, want_per_page, offset = expected_window(*parsed)  # type: ignore[arg-type]
    assert (body["page"], body["perPage"], body["totalItems"]) == (want_page, want_per_page, 3)
    assert [item["id"] for item in body["items"]] == POST_IDS[offset : offset + want_per_page]
    collections = served.request("GET", "/api/collections", params=params, headers={"Authorization": served.token("superuser")})
    assert collections.status_code == 200, collections.text[:300]
    assert collections.json()["page"] == want_page


@FUZZ
@given(limit=st.one_of(st.integers(-(2**70), 2**70), near_edges))
def test_excerpt_limits_are_go_ints(served: testapp.TestServer, limit: int) -> None:
    resp = served.request("GET", POSTS, params={"fields": f"title:excerpt({limit},true)"})
    # as PocketBase: a limit past int64 reads as 0, and 0 or less is refused
    assert resp.status_code == (200 if 0 < limit < INT64 else 400), resp.text[:300]


# ---- static paths -----------------------------------------------------------------------------

# Segments a hostile client likes, already written as they go on the wire.
SPECIAL_SEGMENTS = [
    "", ".", "..", "%2e", "%2e%2e", "%2E%2e", "%00", "a.txt%00", "index.html%00.txt", "%2f", "..%2f", "%5c", "..%5c",
    "sub", "empty", "index.html", "a.txt", "b.js", "leak.txt", "secret.txt", "%ff", "%c3%28", "%e2%82%ac", "%20",
    "%", "%zz", "%0a", "%0d%0a", "%3f", "%23", ";", "~", "a" * 300,
]  # fmt: skip
segment = st.one_of(st.sampled_from(SPECIAL_SEGMENTS), st.text(max_size=8).map(lambda t: quote(t, safe="")))
paths = st.lists(segment, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
PUBLIC_BODIES = {INDEX, SUB_INDEX, b"a", b"let b;"}


@FUZZ
@given(path=paths, method=st.sampled_from(["GET", "HEAD"]))
def test_public_paths_never_fail(served: testapp.TestServer, path: str, method: str) -> None:
    status, headers, body = raw_request(served.base_url, method, path)
    assert status in (200, 301, 307, 404), (path, status, body[:300])  # 307: "/_" to the dashboard
    assert b"top secret" not in body
    if status in (301, 307):
        location = headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    elif method == "GET" and status == 200:
        assert body in PUBLIC_BODIES, (path, body[:100])
    elif method == "GET" and status == 404:
        assert body == FILE_NOT_FOUND or b'"status":404' in body, (path, body[:300])


@FUZZ
@given(path=paths)
def test_dashboard_paths_never_fail(served: testapp.TestServer, path: str) -> None:
    status, headers, body = raw_request(served.base_url, "GET", "/_" + path)
    assert status in (200, 301, 404), (path, status, body[:300])
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    if status == 200:
        assert "cache-control" not in headers  # the only file is the entry page


API_TEMPLATES = [
    "/api/collections/{0}/records", "/api/collections/{0}/records/{1}", "/api/collections/{0}",
    "/api/collections/{0}/auth-with-password", "/api/collections/{0}/auth-refresh", "/api/collections/{0}/auth-methods",
    "/api/collections/posts/records/{0}", "/api/collections/users/records/{0}", "/api/{0}", "/api/collections/{0}/{1}",
]  # fmt: skip


@FUZZ
@given(
    template=st.sampled_from(API_TEMPLATES),
    first=segment,
    second=segment,
    method=st.sampled_from(["GET", "HEAD", "POST", "PATCH", "DELETE"]),
    who=st.sampled_from(["", "superuser", "user1"]),
)
def test_api_path_segments_never_fail(served: testapp.TestServer, template: str, first: str, second: str, method: str, who: str) -> None:
    if who == "superuser" and method not in ("GET", "HEAD"):
        who = "user1"  # the module's data must stay as it is for the other tests
    headers = {"Authorization": served.token(who)} if who else {}
    resp = served.request(method, template.format(first, second), headers=headers, data=b"{}" if method in ("POST", "PATCH") else None)
    assert resp.status_code < 500, (template, first, second, resp.text[:300])
