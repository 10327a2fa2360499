"""Static files: pb_public at ``/`` and the dashboard at ``/_/``, odd paths included.

Every pb_public row was compared with PocketBase 0.40.6 serving the same folder (``--publicDir``);
the one deliberate difference is marked. Paths are sent as written (``http.client``), since
``requests`` would normalise ``..`` and percent-escapes away.
"""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pybase.apis.static import DASHBOARD_CACHE, DASHBOARD_CSP
from pybase.config import Config
from tests import testapp
from tests.testapp import start_server

INDEX = b"<h1>public index</h1>"
SUB_INDEX = b"<h1>sub</h1>"
FILE_NOT_FOUND = b'{"data":{},"message":"File not found.","status":404}'
HTML = "text/html; charset=utf-8"


def make_public(tmp_path: Path) -> None:
    """The pb_public folder the scenarios (and the fuzz tests) serve."""
    public = tmp_path / "pb_public"
    (public / "sub").mkdir(parents=True)
    (public / "empty").mkdir()
    (public / "index.html").write_bytes(INDEX)
    (public / "a.txt").write_bytes(b"a")
    (public / "sub" / "index.html").write_bytes(SUB_INDEX)
    (public / "sub" / "b.js").write_bytes(b"let b;")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    os.symlink(tmp_path / "secret.txt", public / "leak.txt")


@pytest.fixture
def public_server(tmp_path: Path, fixture_data: Path) -> Iterator[testapp.TestServer]:
    """A real pybase whose pb_public holds the files above."""
    make_public(tmp_path)
    srv = start_server(tmp_path, fixture_data)
    yield srv
    srv.stop()


def raw_request(base_url: str, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """Send ``path`` byte for byte; status, headers (lower-case names) and body."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@dataclass
class StaticCase:
    """A path and its answer: status, body (for 200/404) or Location (for 301)."""

    name: str
    path: str
    status: int = 200
    body: bytes | None = None
    location: str | None = None
    content_type: str | None = None

    def __str__(self) -> str:
        return self.name


PUBLIC_CASES = [
    StaticCase("the root answers its index", "/", body=INDEX, content_type=HTML),
    StaticCase("a file", "/a.txt", body=b"a", content_type="text/plain; charset=utf-8"),
    StaticCase("a nested file", "/sub/b.js", body=b"let b;", content_type="text/javascript; charset=utf-8"),
    StaticCase("a directory answers its index", "/sub/", body=SUB_INDEX),
    StaticCase("a directory without a slash redirects", "/sub", 301, location="/sub/"),
    StaticCase("index.html redirects to its directory", "/index.html", 301, location="/"),
    StaticCase("a nested index.html redirects too", "/sub/index.html", 301, location="/sub/"),
    StaticCase("the query is not part of the redirect", "/index.html?x=1", 301, location="/"),
    StaticCase("a file with a trailing slash redirects", "/a.txt/", 301, location="/a.txt"),
    StaticCase("a nested file with a trailing slash redirects", "/sub/b.js/", 301, location="/sub/b.js"),
    StaticCase("a directory without index.html answers the root index", "/empty/", body=INDEX),
    StaticCase("a missing path answers the index", "/missing", body=INDEX),
    StaticCase("a missing file with an extension answers the index too", "/missing.png", body=INDEX),
    StaticCase("a missing nested file answers the root index", "/sub/missing.js", body=INDEX),
    StaticCase("a NUL byte after a name answers the index", "/index.html%00.txt", body=INDEX, content_type=HTML),
    StaticCase("a NUL byte alone", "/%00", body=INDEX),
    StaticCase("a NUL byte in a directory", "/sub/%00", body=INDEX),
    StaticCase("a NUL byte at the end of a file name", "/a.txt%00", body=INDEX),
    StaticCase("an encoded .. escape answers the index", "/%2e%2e/secret.txt", body=INDEX),
    StaticCase("an encoded slash escape answers the index", "/..%2fsecret.txt", body=INDEX),
    StaticCase("a nested escape answers the index", "/sub/..%2f..%2fsecret.txt", body=INDEX),
    StaticCase("a backslash escape answers the index", "/..%5csecret.txt", body=INDEX),
    StaticCase(".. that stays inside is cleaned away", "/sub/%2e%2e/a.txt", body=b"a"),
    StaticCase("a . segment is cleaned away", "/%2e/a.txt", body=b"a"),
    StaticCase("a literal .. segment answers the index", "/sub/../../secret.txt", body=INDEX),
    StaticCase("backslashes are names, not a host", "/%5c%5cevil.com", body=INDEX),
    StaticCase("non-UTF-8 bytes answer the index", "/%ff", body=INDEX),
    StaticCase("a space", "/a%20b", body=INDEX),
    # NOTE: pybase is stricter than PocketBase here: a symlink out of pb_public is not followed.
    StaticCase("a symlink out of the folder answers the index", "/leak.txt", body=INDEX),
    StaticCase("GET /api/... stays an API 404", "/api/nope%00", 404, body=FILE_NOT_FOUND),
]


@pytest.mark.parametrize("case", PUBLIC_CASES, ids=str)
def test_public_files(public_server, case):
    status, headers, body = raw_request(public_server.base_url, "GET", case.path)
    assert status == case.status, (status, body[:200])
    if case.body is not None:
        assert body == case.body
    if case.location is not None:
        assert headers["location"] == case.location
    if case.content_type is not None:
        assert headers["content-type"] == case.content_type
    assert b"top secret" not in body


def test_head_answers_headers_only(public_server):
    status, headers, body = raw_request(public_server.base_url, "HEAD", "/index.html%00.txt")
    assert (status, headers["content-type"], body) == (200, HTML, b"")


def test_without_pb_public_unknown_paths_are_404(server):
    for path in ("/", "/index.html%00.txt", "/%00", "/missing.png"):
        status, _, body = raw_request(server.base_url, "GET", path)
        assert (status, body) == (404, FILE_NOT_FOUND), path


# ---- the dashboard ------------------------------------------------------------------------------

# (path, status, served the HTML entry page): the entry page is never cached, other files are.
DASHBOARD_CASES = [
    ("/_/", 200, True),
    ("/_/collections/posts", 200, True),  # pybase's dashboard routes by path: its index answers
    ("/_/%00", 200, True),
    ("/_/index.html", 301, False),
    ("/_/missing.js", 404, False),
    ("/_/a%00.js", 404, False),
    ("/_/index.html%00.txt", 404, False),
    ("/_/../pyproject.toml", 404, False),
    ("/_/..%2fpyproject.toml", 404, False),
]


@pytest.mark.parametrize("path,status,entry_page", DASHBOARD_CASES, ids=[c[0] for c in DASHBOARD_CASES])
def test_dashboard_headers(server, path, status, entry_page):
    code, headers, body = raw_request(server.base_url, "GET", path)
    assert code == status, (code, body[:200])
    # as PocketBase: the policy (no framing) on every answer under /_/, errors and redirects too
    assert headers["content-security-policy"] == DASHBOARD_CSP
    assert "frame-ancestors 'none'" in DASHBOARD_CSP
    if entry_page:
        assert body.lstrip().lower().startswith(b"<!doctype html>")
        assert "cache-control" not in headers
    if status == 404:
        assert body == FILE_NOT_FOUND


@pytest.mark.parametrize("path,location", [("/_", "/_/"), ("/_?a=1&b=%20", "/_/?a=1&b=%20")])
def test_dashboard_root_without_slash_redirects(server, path, location):
    # NOTE: as PocketBase 0.40.6 (Go's router): a 307 that keeps the query.
    code, headers, _ = raw_request(server.base_url, "GET", path)
    assert (code, headers["location"]) == (307, location)


def test_dashboard_assets_are_cached(tmp_path, fixture_data, monkeypatch):
    dashboard = tmp_path / "dashboard"
    (dashboard / "assets").mkdir(parents=True)
    (dashboard / "index.html").write_text("<!doctype html><title>t</title>")
    (dashboard / "assets" / "index-1a2b3c.js").write_text("let x;")
    monkeypatch.setattr(Config, "dashboard_dir", property(lambda self: str(dashboard)))
    srv = start_server(tmp_path, fixture_data)
    try:
        code, headers, body = raw_request(srv.base_url, "GET", "/_/assets/index-1a2b3c.js")
        assert (code, body) == (200, b"let x;")
        assert headers["cache-control"] == DASHBOARD_CACHE
        assert headers["content-type"] == "text/javascript; charset=utf-8"
        assert headers["content-security-policy"] == DASHBOARD_CSP
        for entry in ("/_/", "/_/collections"):
            code, headers, body = raw_request(srv.base_url, "GET", entry)
            assert (code, body) == (200, b"<!doctype html><title>t</title>")
            assert "cache-control" not in headers
    finally:
        srv.stop()


def test_pocketbase_dashboard_policy_is_pocketbases():
    # NOTE: PocketBase 0.40.6 sends exactly this on GET /_/ (probed).
    assert DASHBOARD_CSP == (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' http://127.0.0.1:* "
        "https://tile.openstreetmap.org data: blob:; connect-src 'self' http://127.0.0.1:* "
        "https://nominatim.openstreetmap.org; script-src 'self' http://127.0.0.1:*; frame-ancestors 'none'"
    )
