"""A realtime stream's socket leaves waitress's loop without harming the connections after it.

The server hands a stream's socket to the realtime loop, which closes it when the client leaves;
the kernel then gives the same descriptor number to the next connection accepted. A poll pass
of waitress's loop that still had the old socket registered reported it (POLLNVAL), waitress
found the NEW connection under that number and closed it with its request unread: a reset, about
1 in 5 times right after a realtime client left (issue #16).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.testapp import TestServer

ROUNDS = 60  # NOTE: 1 in 5 rounds failed before the fix: all 60 passing by chance is ~1e-6


def _sse_round(address: tuple[str, int]) -> None:
    """Open a realtime stream, read its head and PB_CONNECT event, and leave."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET /api/realtime HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        got = b""
        while b"PB_CONNECT" not in got or not got.endswith(b"\n\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, got
            got += chunk


def _health(address: tuple[str, int]) -> str:
    """One request on a new connection: its status line, or what went wrong."""
    try:
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            out = b""
            while chunk := sock.recv(65536):
                out += chunk
    except OSError as ex:
        return f"{type(ex).__name__}: {ex}"
    return out.split(b"\r\n", 1)[0].decode("latin-1") or "closed without an answer"


def test_connections_right_after_a_realtime_client_left_are_served(server: TestServer) -> None:
    parts = urlsplit(server.base_url)
    address = (str(parts.hostname), int(parts.port or 0))
    failures = []
    for i in range(ROUNDS):
        _sse_round(address)
        for j in range(2):
            status = _health(address)
            if status != "HTTP/1.1 200 OK":
                failures.append((i, j, status))
    assert failures == []
