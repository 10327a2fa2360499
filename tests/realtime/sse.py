"""A raw SSE client for the realtime tests: a socket, a reader thread, a queue of events."""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests


@dataclass
class Event:
    id: str
    name: str
    data: Any
    raw: str = ""  # the data as sent (its numbers' spelling)


class SseClient:
    """``GET /api/realtime`` over a plain socket (chunked framing undone by hand)."""

    def __init__(self, base_url: str, *, rcvbuf: int | None = None, read: bool = True) -> None:
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((parts.hostname, parts.port))
        self.sock.sendall(
            f"GET /api/realtime HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.head = b""
        self.closed = threading.Event()
        self.paused = threading.Event()  # set: the reader stops reading (a stuck client)
        self.client_id = ""
        if read:
            threading.Thread(target=self._read, daemon=True).start()
            first = self.next(10)
            assert first is not None and first.name == "PB_CONNECT", first
            self.client_id = first.data["clientId"]
            assert first.id == self.client_id

    def _read(self) -> None:
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                data = self.sock.recv(65536)
                if not data:
                    return
                buf += data
            self.head, buf = buf.split(b"\r\n\r\n", 1)
            chunked = b"transfer-encoding: chunked" in self.head.lower()
            body = b""
            while True:
                if chunked:
                    while b"\r\n" in buf:
                        size_line, rest = buf.split(b"\r\n", 1)
                        size = int(size_line, 16)
                        if size == 0:
                            self._emit_all(body)
                            return
                        if len(rest) < size + 2:
                            break
                        body += rest[:size]
                        buf = rest[size + 2 :]
                else:
                    body, buf = body + buf, b""
                body = self._emit_all(body)
                while self.paused.is_set():
                    time.sleep(0.05)
                data = self.sock.recv(65536)
                if not data:
                    return
                buf += data
        except OSError:
            return
        finally:
            self.closed.set()
            self.events.put(None)

    def _emit_all(self, body: bytes) -> bytes:
        while b"\n\n" in body:
            raw, body = body.split(b"\n\n", 1)
            fields: dict[str, str] = {}
            for line in raw.decode().split("\n"):
                key, _, value = line.partition(":")
                fields[key] = value
            raw_data = fields.get("data", "null")
            self.events.put(Event(fields.get("id", ""), fields.get("event", ""), orjson.loads(raw_data), raw_data))
        return body

    def next(self, timeout: float = 5.0) -> Event | None:
        """The next event; None when the stream ended. queue.Empty when none came in time."""
        return self.events.get(timeout=timeout)

    def expect_none(self, wait: float = 0.5) -> None:
        """No event arrives within ``wait`` seconds."""
        try:
            event = self.events.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected event {event}")

    def subscribe(self, *topics: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": token} if token else {}
        return requests.post(
            self.base_url + "/api/realtime", json={"clientId": self.client_id, "subscriptions": list(topics)},
            headers=headers, timeout=10,
        )

    def close(self) -> None:
        # NOTE: shutdown first: a close() alone leaves the socket open while the reader thread
        # sits in recv() on it, and the server would never see the client leave.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
