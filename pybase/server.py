"""Waitress wiring: listen, serve until SIGINT/SIGTERM, drain in-flight requests, close cleanly."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, WSGITask

from pybase.apis.errors import CLOSE_CONNECTION_ENV
from pybase.apis.middleware import SECURITY_HEADERS

log = logging.getLogger("pybase.server")
# NOTE: waitress logs a warning per queued task under load; the queue is normal operation here.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

DRAIN_SECONDS = 10.0
# PERF: waitress serves keep-alive connections far slower once they outnumber its threads
# (measured: 16 connections on 2 threads 280 req/s, on 16+ threads 3,000 req/s on /api/health).
DEFAULT_THREADS = 32
# NOTE: waitress refuses bodies over this size from the headers alone, before buffering them;
# per-route limits below it are checked by the body-limit middleware.
MAX_REQUEST_BODY = 256 << 20


class _JsonErrorTask(ErrorTask):
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


class _WsgiTask(WSGITask):
    """Closes the connection after the response when the app asked for it (413s)."""

    def build_response_header(self) -> bytes:
        if self.environ is not None and self.environ.get(CLOSE_CONNECTION_ENV):
            self.set_close_on_finish()
        return bytes(super().build_response_header())


class _Channel(HTTPChannel):
    task_class = _WsgiTask
    error_task_class = _JsonErrorTask


class Server:
    """One waitress server with a graceful stop."""

    def __init__(self, wsgi_app: Callable[..., Any], host: str, port: int, *, threads: int = DEFAULT_THREADS) -> None:
        self.server = create_server(
            wsgi_app,
            host=host,
            port=port,
            threads=threads,
            channel_timeout=300,
            connection_limit=1000,
            asyncore_use_poll=True,
            max_request_body_size=MAX_REQUEST_BODY,
            clear_untrusted_proxy_headers=True,
            ident="",  # NOTE: PocketBase sends no Server header.
        )
        self.server.channel_class = _Channel
        self._stopping = threading.Event()

    def set_max_body(self, size: int) -> None:
        """Refuse larger bodies from the headers alone, before reading them (413)."""
        self.server.adj.max_request_body_size = max(int(size), 1)

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.server.effective_port)

    @property
    def host(self) -> str:
        """The host bound."""
        return str(self.server.effective_host)

    def serve_forever(self, *, install_signals: bool = True) -> None:
        """Serve until :meth:`stop` (or SIGINT/SIGTERM), then drain in-flight requests."""
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        from waitress import wasyncore

        server = self.server
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.2, map=server._map, use_poll=True, count=1)
        # Stop accepting, let running requests finish and flush their responses.
        server.accepting = False
        try:
            server.del_channel()
            server.socket.close()
        except OSError:
            pass
        deadline = time.monotonic() + DRAIN_SECONDS
        dispatcher = server.task_dispatcher
        while time.monotonic() < deadline:
            busy = dispatcher.active_count > 0 or bool(dispatcher.queue)
            # NOTE: like Go's http.Server.Shutdown (PocketBase), a connection still receiving a
            # request (``ch.request`` holds the partial one) is in flight too, not idle.
            pending = any(
                getattr(ch, "total_outbufs_len", 0) or getattr(ch, "requests", None) or getattr(ch, "request", None)
                for ch in list(server._map.values())
            )
            if not busy and not pending:
                break
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        dispatcher.shutdown(cancel_pending=True, timeout=2)
        for channel in list(server._map.values()):
            try:
                channel.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Ask the serving loop to stop (safe from signal handlers and other threads)."""
        self._stopping.set()
