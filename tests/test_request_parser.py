"""pybase's quick request parsing (pybase/server/request_parser.py) and WSGI environ
(pybase/server/connection.py) give exactly what waitress's own give, for every head in a table.

Each head is parsed by waitress's HTTPRequestParser and by pybase's RequestParser; every
attribute must be equal (errors included). Heads the quick path does not take go through
waitress's code, so the table mixes plain heads with odd ones on purpose.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from waitress.adjustments import Adjustments
from waitress.parser import HTTPRequestParser
from waitress.task import WSGITask

from pybase.server.connection import WsgiTask
from pybase.server.request_parser import RequestParser

REQUEST_LINES = (
    b"GET / HTTP/1.1",
    b"GET /api/health HTTP/1.0",
    b"GET /api/collections/posts/records?page=2&perPage=30&filter=(a%3D1) HTTP/1.1",
    b"GET /api/collections/posts/records/a%2Fb HTTP/1.1",
    b"GET /api/files/c/r/%E2%82%AC.png?thumb=10x10 HTTP/1.1",
    b"GET /a:b/c@d?x=:y HTTP/1.1",
    b"GET /path?q=1#frag HTTP/1.1",
    b"GET //double/slash HTTP/1.1",
    b"GET http://example.com/abs?x=1 HTTP/1.1",
    b"GET * HTTP/1.1",
    b"OPTIONS * HTTP/1.1",
    b"POST /api/batch HTTP/1.1",
    b"get /lower HTTP/1.1",
    b"GET /x HTTP/2.0",
    b"GET /x HTTP/1.1 ",
    b"GET /x\tHTTP/1.1",
    b"GET /t\tab HTTP/1.1",
    b"GET /\x7f HTTP/1.1",
    b"GET /\xc3\xa9 HTTP/1.1",
    b"GET /x",
    b"M-SEARCH /x HTTP/1.1",
    b"",
)
HEADER_SETS: dict[str, bytes] = {
    "none": b"",
    "host": b"Host: 127.0.0.1:8090\r\n",
    "browser": (
        b"Host: x\r\nUser-Agent: Mozilla/5.0 (X11)\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\n"
        b"Authorization: Bearer a.b.c\r\nConnection: keep-alive\r\n"
    ),
    "repeated": b"X-A: 1\r\nx-a: 2\r\nX-A:3\r\n",
    "whitespace": b"X-A:   padded \t \r\nX-B:\r\nX-C: \r\nX-D:\tinner  space\tkept\r\n",
    "underscore": b"X_Forwarded_For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\n",
    "obs text": b"X-A: caf\xc3\xa9 \xff\r\n",
    "connection close": b"Connection: close\r\n",
    "connection Keep-Alive": b"Connection: Keep-Alive\r\n",
    "expect": b"Expect: 100-continue\r\nContent-Length: 5\r\n",
    "expect other": b"Expect: 100-Continue\r\n",
    "length 0": b"Content-Length: 0\r\n",
    "length": b"Content-Length: 12\r\nContent-Type: application/json\r\n",
    "length bad": b"Content-Length: 1x\r\n",
    "length negative": b"Content-Length: -1\r\n",
    "length twice": b"Content-Length: 3\r\nContent-Length: 3\r\n",
    "length unicode digit": "Content-Length: \u0663\r\n".encode(),
    "chunked": b"Transfer-Encoding: chunked\r\n",
    "te empty": b"Transfer-Encoding:\r\n",
    "te gzip": b"Transfer-Encoding: gzip\r\n",
    "folded": b"X-A: 1\r\n  continued\r\n",
    "bare lf": b"X-A: 1\nX-B: 2\r\n",
    "bare cr": b"X-A: 1\rX-B: 2\r\n",
    "no colon": b"X-A 1\r\n",
    "space before colon": b"X-A : 1\r\n",
    "empty name": b": 1\r\n",
    "control in value": b"X-A: a\x01b\r\n",
    "del in value": b"X-A: a\x7fb\r\n",
    "quoted": b'X-A: "quoted, value"\r\n',
    "host and proxy": b"Host: example.com\r\nX-Forwarded-Proto: https\r\nForwarded: for=1.2.3.4\r\n",
}
PREFIXES = (b"", b"\r\n")  # a stray CRLF before a pipelined request


def _head(line: bytes, headers: bytes, prefix: bytes) -> bytes:
    return prefix + line + b"\r\n" + headers + b"\r\n"


CASES = [
    pytest.param(line, headers, id=f"{line[:40]!r}-{name}")
    for line, (name, headers) in itertools.product(REQUEST_LINES, HEADER_SETS.items())
]


def _state(parser: HTTPRequestParser) -> dict[str, Any]:
    state = dict(vars(parser))
    body = state.pop("body_rcv", None)
    state["body_rcv"] = None if body is None else (type(body).__name__, getattr(body, "remain", None))
    error = state.pop("error", None)
    state["error"] = None if error is None else (type(error).__name__, error.body)
    state.pop("adj")
    return state


@pytest.mark.parametrize("line,headers", CASES)
def test_parsed_as_waitress_parses(line: bytes, headers: bytes) -> None:
    for prefix in PREFIXES:
        head = _head(line, headers, prefix) + b"body-bytes"
        theirs, ours = HTTPRequestParser(Adjustments()), RequestParser(Adjustments())
        consumed = theirs.received(head)
        assert ours.received(head) == consumed
        assert _state(ours) == _state(theirs), prefix


def test_quick_path_taken_for_plain_heads() -> None:
    """The heads a browser, the SDKs and wrk send take the quick path (not waitress's)."""
    for head in (
        _head(b"GET /api/health HTTP/1.1", HEADER_SETS["host"], b""),
        _head(b"GET /api/collections/posts/records?page=2 HTTP/1.1", HEADER_SETS["browser"], b""),
        _head(b"POST /api/collections/posts/records HTTP/1.1", HEADER_SETS["length"], b""),
    ):
        parser = RequestParser(Adjustments())
        assert parser._parse_plain(head.lstrip()[: head.find(b"\r\n\r\n") + 4]) is True


def _channel() -> Any:
    server = SimpleNamespace(adj=Adjustments(), effective_port=8090, server_name="localhost")
    return SimpleNamespace(server=server, addr=("127.0.0.1", 50123), check_client_disconnected=object())


def _served(head: bytes) -> bool:
    """Whether the head reaches the app (waitress answers bad and empty ones itself)."""
    request = RequestParser(Adjustments())
    request.received(head)
    return request.error is None and not request.empty and request.completed


@pytest.mark.parametrize("line,headers", [case for case in CASES if _served(_head(*case.values, b""))])
def test_environ_as_waitress_builds_it(line: bytes, headers: bytes) -> None:
    head = _head(line, headers, b"")
    request = RequestParser(Adjustments())
    request.received(head)
    channel = _channel()
    theirs = WSGITask(channel, request).get_environment()
    ours = WsgiTask(channel, request).get_environment()
    for env in (theirs, ours):
        env.pop("wsgi.input")
    ours.pop("pybase.hijack", None)
    ours = {k: v for k, v in ours.items() if not k.startswith("pybase.")}
    assert ours == theirs
