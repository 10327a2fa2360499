"""pybase's own response head and single-send write (server.WsgiTask) put the same bytes on the
wire as waitress's own, on a served app: the same raw requests are sent with pybase's methods and
then with waitress's (the reference, as in test_http_head.py) and the byte streams compared.

Covered: HEAD, HTTP/1.0 with and without keep-alive, ``Connection: close``, a 204 preflight and
a 304 asking to close, a gzip body, a file streamed in several chunks and a range of it, a 404, a 400, pipelined requests,
and the realtime stream's head, built in ``finish`` before the handover (left out for a while: a
connection opened right after a realtime client left was sometimes reset, fixed in #16; see
tests/realtime/test_stream_handover.py).

Each keep-alive exchange ends with a pipelined ``Connection: close`` request, so every stream is
read to its end (no read timeouts). A 204 or a 304 keeps an HTTP/1.1 connection open, as
PocketBase does (waitress closed it): test_bodiless_answers_keep_the_connection.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlparse

from waitress.task import WSGITask

from pybase.apis.errors import CLOSE_CONNECTION_ENV
from pybase.server.connection import WsgiTask

BIG = b"0123456789" * 30_000
LAST = b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _exchange(server, payload: bytes, *, until: bytes | None = None) -> bytes:
    """The bytes the server sends for ``payload``: to the end of the connection, or up to ``until``."""
    address = urlparse(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(payload)
        out = b""
        while until is None or until not in out:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    # NOTE: the Date header and the realtime client id change between runs.
    out = re.sub(rb"\r\nDate: [^\r]*", b"\r\nDate: <date>", out)
    return re.sub(rb"(id:|clientId\":\")[A-Za-z0-9]+", rb"\1<id>", out) if until is not None else out


def _waitress_head(self: WsgiTask) -> bytes:
    if self.environ is not None and self.environ.get(CLOSE_CONNECTION_ENV):
        self.set_close_on_finish()  # NOTE: pybase's own addition to waitress's head (413s)
    return bytes(WSGITask.build_response_header(self))


def test_the_wire_bytes_are_waitress_s(server, monkeypatch) -> None:
    su = server.token("superuser")
    resp = server.request("POST", "/api/collections/posts/records", data={"title": "With file"},
                          files={"cover": ("a.txt", BIG, "text/plain")}, headers={"Authorization": su})
    assert resp.status_code == 200, resp.text
    file_path = f"/api/files/posts/{resp.json()['id']}/{resp.json()['cover']}"

    def get(path: str, *extra: str, method: str = "GET", version: str = "1.1") -> bytes:
        return "\r\n".join([f"{method} {path} HTTP/{version}", "Host: x", *extra, "", ""]).encode()

    exchanges = [
        get("/api/health") + LAST,
        get("/api/health", method="HEAD") + LAST,
        get("/api/collections/posts/records", method="HEAD") + LAST,
        get("/api/health", version="1.0"),
        get("/api/health", "Connection: keep-alive", version="1.0") * 2 + LAST,
        get("/api/health", "Connection: close"),
        get("/api/health", "Origin: http://a", "Access-Control-Request-Method: GET", "Connection: close", method="OPTIONS"),
        get("/api/collections/posts/records", "Accept-Encoding: gzip") + LAST,
        get(file_path) + LAST,
        get(file_path, method="HEAD") + LAST,
        get(file_path, "Range: bytes=5-14") + LAST,
        get(file_path, version="1.0"),
        get(file_path, "If-Modified-Since: Mon, 01 Jan 2099 00:00:00 GMT", "Connection: close"),
        get("/api/nope") + LAST,
        b"POST /api/collections/posts/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 3\r\n\r\n{x}" + LAST,
    ]
    realtime = get("/api/realtime")
    ours = [_exchange(server, payload) for payload in exchanges]
    ours_realtime = _exchange(server, realtime, until=b"\n\n\r\n")
    monkeypatch.setattr(WsgiTask, "write", WSGITask.write)
    monkeypatch.setattr(WsgiTask, "build_response_header", _waitress_head)
    theirs = [_exchange(server, payload) for payload in exchanges]
    assert _exchange(server, realtime, until=b"\n\n\r\n") == ours_realtime
    for payload, mine, reference in zip(exchanges, ours, theirs, strict=True):
        assert mine == reference, payload
    assert ours[8].count(BIG) == 1 and BIG not in ours[9]


def test_bodiless_answers_keep_the_connection(server) -> None:
    """A 204 (a preflight, a delete, a realtime subscription) and a 304 leave an HTTP/1.1
    connection open for the next request, as PocketBase's Go server does: waitress closed it
    (no length), so each cost the client a new connection."""
    su = server.token("superuser")
    created = server.request("POST", "/api/collections/posts/records", data={"title": "kept"},
                             files={"cover": ("a.txt", b"kept", "text/plain")}, headers={"Authorization": su})
    assert created.status_code == 200, created.text
    file_path = f"/api/files/posts/{created.json()['id']}/{created.json()['cover']}"

    def get(path: str, *extra: str, method: str = "GET") -> bytes:
        return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: x", *extra, "", ""]).encode()

    cases = [
        ("preflight", get("/api/health", "Origin: http://a", "Access-Control-Request-Method: GET", method="OPTIONS"), b"204"),
        ("not modified", get(file_path, "If-Modified-Since: Mon, 01 Jan 2099 00:00:00 GMT"), b"304"),
        ("delete (after the file)", get(f"/api/collections/posts/records/{created.json()['id']}", f"Authorization: {su}", method="DELETE"), b"204"),
    ]
    for label, payload, status in cases:
        out = _exchange(server, payload + LAST)
        heads = out.split(b"HTTP/1.1 ")[1:]
        assert len(heads) == 2, (label, out)  # the second request was answered on the same connection
        first, second = heads
        assert first.startswith(status), (label, out)
        assert b"Connection: close" not in first, (label, out)
        assert second.startswith(b"200") and b"Connection: close" in second, (label, out)
