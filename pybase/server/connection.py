"""One connection's side of serving: waitress's channel and tasks as pybase runs them.

A request runs inline on the loop thread when :class:`~pybase.server.dispatch.DispatchPolicy`
says so (:meth:`Channel._serve_inline`); its response head is built here (waitress's bytes,
cheaper) and leaves with the body in one send; a realtime stream's socket is handed over.
"""

from __future__ import annotations

import logging
import operator
import socket
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from waitress.buffers import ReadOnlyFileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import build_http_date
from waitress.wasyncore import ExitNow

from pybase.apis.errors import CLOSE_CONNECTION_ENV
from pybase.apis.middleware import SECURITY_HEADERS
from pybase.apis.realtime_streams import HIJACK_ENV
from pybase.server.request_parser import RequestParser

if TYPE_CHECKING:
    from pybase.server.serve import Server

log = logging.getLogger("pybase.server")


class JsonErrorTask(ErrorTask):
    """Waitress's own early errors (413 before the body is read...) in PocketBase's JSON shape."""

    def execute(self) -> None:
        import orjson

        ex = self.request.error
        status = getattr(ex, "code", 400)
        message = "Request entity too large." if status == 413 else "Something went wrong while processing your request."
        body = orjson.dumps({"data": {}, "message": message, "status": status})
        self.status = f"{status} {getattr(ex, 'reason', '')}".strip()
        self.response_headers.extend(
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *SECURITY_HEADERS]
        )
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class WsgiTask(WSGITask):
    """Closes the connection after the response when the app asked for it (413s), and hands
    the socket over when the app asked for that (``HIJACK_ENV``: realtime streams)."""

    _adopts: list[Callable[[socket.socket, bytes, bool], None]] | None = None

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] | None = self.environ
        if environ is not None:
            return environ
        server = self.channel.server
        if server.adj.url_prefix:
            environ = super().get_environment()
        else:
            environ = self._environment(server)
        # NOTE: the environ holds the list's append, not a method of the task: a task ->
        # environ -> task cycle left every request's objects to the cyclic GC (~10 us each).
        self._adopts = adopts = []
        environ[HIJACK_ENV] = adopts.append
        self.environ = environ
        return environ

    def _environment(self, server: Any) -> dict[str, Any]:
        """Waitress's environ (``WSGITask.get_environment``) without a URL prefix, built faster.

        PERF: the constant part is one dict literal and the headers one comprehension; the
        same keys and values as waitress's (tests/test_server.py compares them).
        """
        request = self.request
        channel = self.channel
        path = request.path
        if path[:2] == "//":
            path = "/" + path.lstrip("/")
        host, port = channel.addr[0], channel.addr[1]
        environ = {
            "HTTP_" + key if key not in _UNPREFIXED else key: value for key, value in request.headers.items()
        }
        environ.update({
            "REMOTE_ADDR": host,
            "REMOTE_HOST": host,
            "REMOTE_PORT": str(port),
            "REQUEST_METHOD": request.command.upper(),
            "SERVER_PORT": str(server.effective_port),
            "SERVER_NAME": server.server_name,
            "SERVER_SOFTWARE": server.adj.ident,
            "SERVER_PROTOCOL": "HTTP/" + self.version,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "REQUEST_URI": request.request_uri,
            "QUERY_STRING": request.query,
            "wsgi.url_scheme": request.url_scheme,
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input": request.get_body_stream(),
            "wsgi.file_wrapper": ReadOnlyFileBasedBuffer,
            "wsgi.input_terminated": True,
            "waitress.client_disconnected": channel.check_client_disconnected,
        })
        return environ

    def build_response_header(self) -> bytes:
        # PERF: waitress's own, with header names canonicalised through a cache and the Date
        # header built once a second; the same bytes for the same response.
        if self.environ is not None and self.environ.get(CLOSE_CONNECTION_ENV):
            self.set_close_on_finish()
        has_body = self.has_body
        headers = []
        content_length = date = server = None
        for name, value in self.response_headers:
            name = _canonical_header(name)
            if name == "Content-Length":
                if not has_body:
                    continue
                content_length = value
            elif name == "Date":
                date = value
            elif name == "Server":
                server = value
            headers.append((name, value))
        self.response_headers = headers
        if content_length is None and self.content_length is not None and has_body:
            content_length = str(self.content_length)
            headers.append(("Content-Length", content_length))
        self._connection_headers(content_length, has_body)
        ident = self.channel.server.adj.ident
        if server:
            self.response_headers.append(("Via", ident or "waitress"))
        elif ident:
            self.response_headers.append(("Server", ident))
        if not date:
            self.response_headers.append(("Date", _http_date(self.start_time)))
        # NOTE: a stable sort by name keeps same-named headers in order (RFC 9110 5.3).
        # PERF: the key and the join run in C (a Python key and f-string per header cost ~2 us).
        lines = [f"HTTP/{self.version} {self.status}"]
        lines.extend(map(_HEADER_LINE, sorted(self.response_headers, key=_HEADER_NAME)))
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def _connection_headers(self, content_length: str | None, has_body: bool) -> None:
        """Keep-alive or close, and chunked when the length is unknown (as waitress, but a 204
        or a 304 on HTTP/1.1 keeps the connection, as PocketBase's Go server does)."""
        connection = self.request.headers.get("CONNECTION", "").lower()
        if self.version == "1.1":
            if connection == "close":
                self.set_close_on_finish()
            if not content_length:
                if has_body:
                    self.response_headers.append(("Transfer-Encoding", "chunked"))
                    self.chunked_response = True
                elif self.status[:3] in _BODILESS_KEPT:
                    # NOTE: no body by definition, so nothing to frame: waitress closed here,
                    # and every delete, realtime subscription and preflight cost a new connection
                    return
                if not self.close_on_finish:
                    self.set_close_on_finish()
        elif self.version == "1.0":
            if connection == "keep-alive" and content_length:
                self.response_headers.append(("Connection", "Keep-Alive"))
            else:
                self.set_close_on_finish()
        else:
            raise AssertionError("neither HTTP/1.0 or HTTP/1.1")

    def write(self, data: bytes) -> None:
        # PERF: the head and a body that fits its Content-Length go out in one send (waitress
        # sends them apart: two system calls per response).
        if self.wrote_header or not data or not self.complete:
            super().write(data)
            return
        head = self.build_response_header()
        self.wrote_header = True
        length = self.content_length
        if not self.has_body or self.chunked_response or length is None or len(data) > length - self.content_bytes_written:
            self.channel.write_soon(head)
            super().write(data)
            return
        self.content_bytes_written += len(data)
        self.channel.write_soon(head + data)

    def finish(self) -> None:
        adopt = self._adopts[-1] if self._adopts else None
        if adopt is None or self.wrote_header or not self.complete:
            super().finish()
            return
        # NOTE: the head is not written here: the new owner sends it first, then the events.
        self.wrote_header = True  # NOTE: before the head is built: no "Connection: close" (as Go)
        head = self.build_response_header()
        chunked, self.chunked_response = self.chunked_response, False
        self.close_on_finish = True
        channel = self.channel
        if isinstance(channel, Channel):
            channel.hand_over(adopt, head, chunked)


# Statuses that never carry a body and keep an HTTP/1.1 connection open (as Go's server).
_BODILESS_KEPT = frozenset(("204", "304"))

# Headers waitress puts in the environ without the HTTP_ prefix (waitress.task.rename_headers).
_UNPREFIXED = frozenset(("CONTENT_LENGTH", "CONTENT_TYPE"))

_CANONICAL_HEADERS: dict[str, str] = {}


def _canonical_header(name: str) -> str:
    """``content-type`` -> ``Content-Type`` (waitress's capitalisation), cached."""
    canonical = _CANONICAL_HEADERS.get(name)
    if canonical is None:
        canonical = "-".join(part.capitalize() for part in name.split("-"))
        if len(_CANONICAL_HEADERS) < 4096:  # NOTE: bounded: header names are the app's, not the client's
            _CANONICAL_HEADERS[name] = canonical
    return canonical


_HEADER_NAME = operator.itemgetter(0)
_HEADER_LINE = ": ".join  # (name, value) -> "name: value"


_date_cache: tuple[int, str] = (0, "")


def _http_date(when: float) -> str:
    """The ``Date`` header of ``when``, built once per second."""
    global _date_cache
    second = int(when)
    cached = _date_cache
    if cached[0] != second:
        cached = _date_cache = (second, build_http_date(second))
    return cached[1]


class Channel(HTTPChannel):
    parser_class = RequestParser
    task_class = WsgiTask
    error_task_class = JsonErrorTask
    inline_pending = False
    owner: Server

    request_began = 0.0  # when the request being received sent its first bytes

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.monotonic()
        return bool(super().received(data))

    def write_soon(self, data: Any) -> int:
        # PERF: on the loop thread with nothing queued before it, the bytes go straight to the
        # socket; only what the kernel does not take now is buffered (waitress buffers all of
        # it, then flushes the buffer: ~5 us a response).
        if type(data) is bytes and data and self.connected and not self.total_outbufs_len and self.owner.on_loop_thread():
            try:
                sent = self.socket.send(data)
            except OSError:
                sent = 0  # NOTE: the buffered path meets the error again and handles it
            if sent:
                self.last_activity = time.time()
                if sent == len(data):
                    return sent
                data = data[sent:]
        return int(super().write_soon(data))

    def handle_read(self) -> None:
        super().handle_read()
        # NOTE: received() holds requests_lock while it queues a request, so the inline run
        # happens here, after it returns; service() queues the next pipelined request itself.
        while self.inline_pending and self.connected:
            self.inline_pending = False
            if not self._serve_inline():
                # The watchdog gave the loop to another thread while this request ran: this
                # thread is a worker now. A pipelined request it took goes to the workers, the
                # new loop sends the answer, and this thread leaves the poll pass.
                if self.inline_pending:
                    self.inline_pending = False
                    self.server.task_dispatcher.add_task(self)
                self.server.pull_trigger()
                raise ExitNow
        if self.total_outbufs_len and not self.requests:
            # Send now rather than on the loop's next pass.
            self._flush_exception(self._flush_some)

    def _serve_inline(self) -> bool:
        """Serve the first request here; False when this thread lost the loop meanwhile."""
        owner = self.owner
        request = self.requests[0]
        started = owner.inline_begin(request.command, request.path)
        try:
            self.service()
        except BaseException:
            if owner.inline_end():
                raise
            log.exception("request failed after the loop moved on")
            return False
        seconds = time.perf_counter() - started
        if not owner.inline_end():
            return False  # the watchdog counted this run as a stall
        owner.dispatch.ran_inline(request.command, request.path, seconds)
        return True

    handed_over = False

    def hand_over(self, adopt: Callable[[socket.socket, bytes, bool], None], head: bytes, chunked: bool) -> None:
        """Give this connection's socket to ``adopt``; waitress forgets it (called by the task).

        NOTE: runs on the thread serving the request; the flag makes the loop thread leave the
        socket alone from now on, and the map entry goes so the next poll pass skips it.
        """
        sock = self.socket
        self.handed_over = True
        self.connected = False
        server = self.server
        fileno = self._fileno
        if self._map.get(fileno) is self:
            del self._map[fileno]
        if server.active_channels.get(fileno) is self:
            del server.active_channels[fileno]
        self.owner.adopt_between_passes(lambda: adopt(sock, head, chunked), sock)

    def readable(self) -> bool:
        return not self.handed_over and bool(super().readable())

    def writable(self) -> bool:
        return not self.handed_over and bool(super().writable())

    def handle_close(self) -> None:
        if not self.handed_over:
            super().handle_close()

    def close(self) -> None:
        if not self.handed_over:
            super().close()

    def _flush_outbufs_below_high_watermark(self) -> None:
        # NOTE: waitress waits for the loop thread to drain a large backlog; on the loop
        # thread itself that would never end, so the buffer (file-backed past 1 MB) grows.
        if not self.owner.on_loop_thread():
            super()._flush_outbufs_below_high_watermark()
