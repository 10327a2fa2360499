"""Waitress wiring: listen, serve until SIGINT/SIGTERM, drain in-flight requests, close cleanly.

Requests run on waitress's I/O loop thread unless they may block (see :class:`DispatchPolicy`);
the rest go to waitress's worker threads as usual.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask
from waitress.utilities import build_http_date
from waitress.wasyncore import ExitNow

from pybase.apis.errors import CLOSE_CONNECTION_ENV
from pybase.apis.middleware import SECURITY_HEADERS
from pybase.apis.realtime_streams import HIJACK_ENV

log = logging.getLogger("pybase.server")
# NOTE: waitress logs a warning per queued task under load; the queue is normal operation here.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

DRAIN_SECONDS = 10.0
ACCEPTED_GRACE_SECONDS = 1.0  # a connection this young may still be sending its first request
# NOTE: the worker threads serve only what the loop thread hands off (slow or blocking routes).
DEFAULT_THREADS = 32
# Routes found slow (and, while the loop is stalled, routes never seen quick) run on a pool of
# their own, so however many of them pile up, sign-in and the other routes keep their threads.
SLOW_LANE_THREADS = 16
# Idle and half-sent connections: as PocketBase's http.Server (ReadHeaderTimeout 1 min,
# ReadTimeout and IdleTimeout 5 min). Up to CONNECTION_LIMIT are held (poll, not select).
CONNECTION_LIMIT = 10_000
IDLE_SECONDS = 300
HEADER_SECONDS = 60
REQUEST_SECONDS = 300
CLEANUP_INTERVAL = 5
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
    """Closes the connection after the response when the app asked for it (413s), and hands
    the socket over when the app asked for that (``HIJACK_ENV``: realtime streams)."""

    _adopt: Callable[[socket.socket, bytes, bool], None] | None = None

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[HIJACK_ENV] = self._hijack
        return environ

    def _hijack(self, adopt: Callable[[socket.socket, bytes, bool], None]) -> None:
        self._adopt = adopt

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
        lines = [f"HTTP/{self.version} {self.status}"]
        lines.extend(f"{name}: {value}" for name, value in sorted(self.response_headers, key=_header_name))
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def _connection_headers(self, content_length: str | None, has_body: bool) -> None:
        """Keep-alive or close, and chunked when the length is unknown (as waitress)."""
        connection = self.request.headers.get("CONNECTION", "").lower()
        if self.version == "1.1":
            if connection == "close":
                self.set_close_on_finish()
            if not content_length:
                if has_body:
                    self.response_headers.append(("Transfer-Encoding", "chunked"))
                    self.chunked_response = True
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
        adopt = self._adopt
        if adopt is None or self.wrote_header or not self.complete:
            super().finish()
            return
        # NOTE: the head is not written here: the new owner sends it first, then the events.
        self.wrote_header = True  # NOTE: before the head is built: no "Connection: close" (as Go)
        head = self.build_response_header()
        chunked, self.chunked_response = self.chunked_response, False
        self.close_on_finish = True
        channel = self.channel
        if isinstance(channel, _Channel):
            channel.hand_over(adopt, head, chunked)


_CANONICAL_HEADERS: dict[str, str] = {}


def _canonical_header(name: str) -> str:
    """``content-type`` -> ``Content-Type`` (waitress's capitalisation), cached."""
    canonical = _CANONICAL_HEADERS.get(name)
    if canonical is None:
        canonical = "-".join(part.capitalize() for part in name.split("-"))
        if len(_CANONICAL_HEADERS) < 4096:  # NOTE: bounded: header names are the app's, not the client's
            _CANONICAL_HEADERS[name] = canonical
    return canonical


def _header_name(header: tuple[str, str]) -> str:
    return header[0]


_date_cache: tuple[int, str] = (0, "")


def _http_date(when: float) -> str:
    """The ``Date`` header of ``when``, built once per second."""
    global _date_cache
    second = int(when)
    cached = _date_cache
    if cached[0] != second:
        cached = _date_cache = (second, build_http_date(second))
    return cached[1]


# Routes that wait on something slow by design run on the worker threads: bcrypt (password
# sign-in, password reset), mail, OAuth2 providers, streams, whole-file and whole-database work.
_OFFLOAD_PREFIXES = (
    "/api/realtime", "/api/backups", "/api/batch", "/api/files/", "/api/settings/test/",
    "/api/collections/import", "/_/",
)
_OFFLOAD_ACTIONS = frozenset({
    "auth-with-password", "auth-with-otp", "auth-with-oauth2", "request-otp",
    "request-password-reset", "confirm-password-reset", "request-verification",
    "confirm-verification", "request-email-change", "confirm-email-change",
})
INLINE_BODY_MAX = 64 << 10
INLINE_SLOW_SECONDS = 0.02
SLOW_STRIKES = 3  # slow runs in a row that hand a route off (one is a GC pause, a checkpoint...)
OFFLOAD_COOLDOWN_SECONDS = 30.0
STALL_SECONDS = 0.25  # an inline request holding the loop this long makes the loop move
MAX_STALLED = 8  # threads still finishing a request after giving the loop away
MAX_OFFLOAD_COOLDOWN_SECONDS = 3600.0
_MAX_TRACKED_ROUTES = 4096


INLINE, WORKERS, SLOW_LANE = "inline", "workers", "slow"


class DispatchPolicy:
    """Decides, per request, between the I/O loop thread and the worker threads.

    PERF: in one CPython process, handing every request to a worker thread costs more than most
    requests themselves: GIL handoffs between the loop and 16+ busy workers cut list throughput
    3x and create 7x (scripts/bench, 16 connections). Quick requests therefore run inline on the
    loop thread. Routes that block by design are always handed off. A route whose inline runs
    took longer than ``slow_seconds`` (or stalled the loop, see :class:`Server`) several times
    in a row is handed off for a cooldown that doubles each time it is found slow again (a JS
    hook calling $http, a bcrypt hash on an auth record create...). One slow run is forgiven:
    a GC pause or a WAL checkpoint must not send a busy route to the slow path for long. The
    loop thread and the watchdog call it, so it keeps to single dict operations and no lock.
    """

    def __init__(self, *, slow_seconds: float = INLINE_SLOW_SECONDS, cooldown: float = OFFLOAD_COOLDOWN_SECONDS) -> None:
        self.slow_seconds = slow_seconds
        self.cooldown = cooldown
        self._offloaded_until: dict[str, float] = {}
        self._cooldowns: dict[str, float] = {}  # routes found slow, until they run quick again
        self._strikes: dict[str, int] = {}  # slow inline runs in a row
        self._quick: dict[str, None] = {}  # routes that ran quick inline (trusted while stalled)

    @staticmethod
    def route_key(method: str, path: str) -> str:
        """Method and the first four path segments: one key per collection's records routes."""
        return method + " " + "/".join(path.split("/", 5)[:5])

    def runs_inline(self, method: str, path: str, content_length: int, accept: str) -> bool:
        return self.lane(method, path, content_length, accept) == INLINE

    def lane(self, method: str, path: str, content_length: int, accept: str, *, stalled: bool = False) -> str:
        """Where a request runs: inline on the loop, on the workers, or in the slow lane.

        While the loop is stalled (``stalled``) only routes known to be quick run inline: the
        rest may be the same slow work under another name (``/posts``, ``/Posts``...).
        """
        if path.startswith(_OFFLOAD_PREFIXES):
            return WORKERS
        if not path.startswith("/api/") and "." in path.rsplit("/", 1)[-1]:
            return WORKERS  # pb_public files, which may be large
        if content_length > INLINE_BODY_MAX or "text/event-stream" in accept:
            return WORKERS
        if path.rsplit("/", 1)[-1] in _OFFLOAD_ACTIONS:
            return WORKERS
        if not self._offloaded_until and not stalled:
            return INLINE
        key = self.route_key(method, path)
        until = self._offloaded_until.get(key)
        if until is not None:
            if until > time.monotonic():
                return SLOW_LANE
            self._offloaded_until.pop(key, None)
        if stalled and key not in self._quick:
            return SLOW_LANE
        return INLINE

    def ran_inline(self, method: str, path: str, seconds: float) -> None:
        """Report an inline run; slow runs in a row send the route to the workers for a while."""
        if seconds < self.slow_seconds:
            key = self.route_key(method, path)
            if key not in self._quick:
                if len(self._quick) >= _MAX_TRACKED_ROUTES:
                    self._quick.clear()
                self._quick[key] = None
            if self._strikes or self._cooldowns:
                self._strikes.pop(key, None)
                self._cooldowns.pop(key, None)
            return
        self.strike(self.route_key(method, path), f"{method} {path} took {seconds * 1000:.0f} ms")

    def strike(self, key: str, why: str) -> None:
        """Count a slow inline run (or a stall) of route ``key``; the last strike hands it off."""
        self._quick.pop(key, None)  # NOTE: no longer trusted to run inline while the loop is stalled
        if len(self._cooldowns) + len(self._strikes) >= _MAX_TRACKED_ROUTES:
            self._cooldowns.clear()
            self._offloaded_until.clear()
            self._strikes.clear()
        strikes = self._strikes.get(key, 0) + 1
        if strikes < SLOW_STRIKES:
            self._strikes[key] = strikes
            return
        self._strikes.pop(key, None)
        cooldown = self.offload(key)
        log.info("%s on the loop thread, %d times in a row: served by worker threads for %.0f s",
                 why, SLOW_STRIKES, cooldown)

    def offload(self, key: str) -> float:
        """Send route ``key`` to the worker threads now; returns its cooldown in seconds."""
        previous = self._cooldowns.get(key)
        cooldown = min(previous * 2, MAX_OFFLOAD_COOLDOWN_SECONDS) if previous else self.cooldown
        self._cooldowns[key] = cooldown
        self._offloaded_until[key] = time.monotonic() + cooldown
        return cooldown

    def is_offloaded(self, method: str, path: str) -> bool:
        """Whether the route is in its cooldown (for tests and diagnostics)."""
        return self._offloaded_until.get(self.route_key(method, path), 0.0) > time.monotonic()

    def cooldown_of(self, method: str, path: str) -> float:
        """The route's current cooldown in seconds (0 when it runs inline)."""
        return self._cooldowns.get(self.route_key(method, path), 0.0)


class _Channel(HTTPChannel):
    task_class = _WsgiTask
    error_task_class = _JsonErrorTask
    inline_pending = False
    owner: Server

    request_began = 0.0  # when the request being received sent its first bytes

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.monotonic()
        return bool(super().received(data))

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


class Server:
    """One waitress server with a graceful stop.

    Quick requests run on the thread that polls the sockets (the loop thread). A watchdog hands
    the loop to a fresh thread when a request holds it longer than ``STALL_SECONDS`` (a hook
    waiting on the network, even on this very server), so a stalled request never stops the
    others; the stalled thread finishes its request as a worker and retires. Its route goes to
    the worker threads from then on, so a burst of slow requests costs one handover, and at
    most ``MAX_STALLED`` threads are ever left behind at once.
    """

    def __init__(
        self, wsgi_app: Callable[..., Any], host: str, port: int, *, threads: int = DEFAULT_THREADS,
        sockets: list[socket.socket] | None = None,
    ) -> None:
        # NOTE: ``sockets``: already listening (a worker's, inherited from its supervisor).
        listen: dict[str, Any] = {"sockets": sockets} if sockets else {"host": host, "port": port}
        self.server = create_server(
            wsgi_app,
            **listen,
            threads=threads,
            channel_timeout=IDLE_SECONDS,
            cleanup_interval=CLEANUP_INTERVAL,
            connection_limit=_connection_limit(),
            # NOTE: read while a request runs, so a client that leaves is seen (its query stops).
            channel_request_lookahead=1,
            asyncore_use_poll=True,
            max_request_body_size=MAX_REQUEST_BODY,
            # NOTE: proxy headers reach the app, which trusts only settings.trustedProxy.headers.
            clear_untrusted_proxy_headers=False,
            ident="",  # NOTE: PocketBase sends no Server header.
        )
        # Channels reach their Server through their class (waitress builds them).
        self.server.channel_class = type("Channel", (_Channel,), {"owner": self})
        self.dispatch = DispatchPolicy()
        self.slow_lane = ThreadedTaskDispatcher()
        self.slow_lane.set_thread_count(SLOW_LANE_THREADS)
        self.server.maintenance = self._maintenance
        self.handovers = 0  # loop handovers so far (diagnostics, tests)
        self._stopping = threading.Event()
        self._owner_lock = threading.Lock()
        self._loop_thread: int | None = None
        self._drained = threading.Event()
        self._closed = False  # the drain closed the sockets (and the trigger pipe)
        self._failure: BaseException | None = None
        self._inline_started = 0.0  # when the loop thread's current inline request began
        self._inline_request = ("", "")  # and its method and path
        self._stalled = 0  # requests still running on threads that lost the loop
        self._adoptions: deque[tuple[Callable[[], None], socket.socket]] = deque()  # streams to hand over
        waitress_server = self.server
        queue_task = waitress_server.add_task
        pull_trigger = waitress_server.pull_trigger

        def add_task(channel: _Channel) -> None:
            request = channel.requests[0]
            # NOTE: a request waitress refused (bad headers, 413...) may lack a method and path;
            # a chunked body's size is unknown here (content_length stays 0).
            lane = WORKERS
            if request.error is None:
                lane = self.dispatch.lane(
                    request.command, request.path, request.content_length, request.headers.get("ACCEPT", ""),
                    stalled=self._stalled > 0,
                )
                # NOTE: with every stall slot taken, nothing more may risk holding the loop.
                if lane == INLINE and (request.chunked or not self.on_loop_thread() or self._stalled >= MAX_STALLED - 1):
                    lane = WORKERS
            if lane == INLINE:
                channel.inline_pending = True
            elif lane == SLOW_LANE:
                self.slow_lane.add_task(channel)
            else:
                queue_task(channel)

        def wake_loop() -> None:
            if self.on_loop_thread():
                return
            # NOTE: not after the drain closed the pipe (its fd may be reused). No lock here: one
            # held across the write's GIL release made every worker queue behind it (10x slower).
            if not self._closed:
                pull_trigger()

        waitress_server.add_task = add_task
        waitress_server.pull_trigger = wake_loop

    def _maintenance(self, now: float) -> None:
        """Close idle connections, and those sending a request too slowly (slowloris)."""
        server = self.server
        idle_cutoff = now - server.adj.channel_timeout
        began_cutoff = time.monotonic()
        for channel in list(server.active_channels.values()):
            if channel.requests:
                continue
            partial = channel.request
            if partial is None:
                if channel.last_activity < idle_cutoff:
                    channel.will_close = True
                continue
            took = began_cutoff - getattr(channel, "request_began", began_cutoff)
            if took > (REQUEST_SECONDS if partial.headers_finished else HEADER_SECONDS):
                channel.will_close = True

    def adopt_between_passes(self, adopt: Callable[[], None], sock: socket.socket) -> None:
        """Run ``adopt`` (a stream's new owner takes ``sock``) once the loop's poll pass ends.

        NOTE: the new owner may close the socket at any time, and the kernel gives its number to
        the next connection accepted. A poll pass that registered the old socket reports it
        (POLLNVAL once closed) and waitress looks the number up in its map: the NEW connection
        was closed with its request unread: a reset (1 in 5 right after a realtime client left).
        Out of the map and handed over between passes, the number is never in a pass's results.
        """
        with self._owner_lock:
            queued = not self._closed
            if queued:
                self._adoptions.append((adopt, sock))
        if queued:
            self.server.pull_trigger()  # NOTE: ends a pass waiting in poll (a no-op on the loop thread)
        else:
            self._adopt(adopt, sock)  # no loop polls any more

    def _adopt_pending(self) -> None:
        adoptions = self._adoptions
        while adoptions:
            self._adopt(*adoptions.popleft())

    @staticmethod
    def _adopt(adopt: Callable[[], None], sock: socket.socket) -> None:
        try:
            adopt()
        except Exception:  # noqa: BLE001 - the stream's owner failed: close the socket
            log.exception("handing a stream over failed")
            sock.close()

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

    # ---- the loop thread ------------------------------------------------------------------------

    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def inline_begin(self, method: str, path: str) -> float:
        started = time.perf_counter()
        self._inline_request = (method, path)
        self._inline_started = started
        return started

    def inline_end(self) -> bool:
        """End an inline request; False when this thread lost the loop meanwhile."""
        with self._owner_lock:
            if threading.get_ident() == self._loop_thread:
                self._inline_started = 0.0
                return True
            self._stalled -= 1
            return False

    def _become_loop(self) -> None:
        with self._owner_lock:
            self._loop_thread = threading.get_ident()
            self._inline_started = 0.0

    def _run_loop(self) -> None:
        """Poll and serve until stopping, then drain; or until this thread hands the loop over."""
        from waitress import wasyncore

        self._become_loop()
        server = self.server
        try:
            while not self._stopping.is_set() and self.on_loop_thread():
                wasyncore.loop(timeout=0.2, map=server._map, use_poll=True, count=1)
                if self._adoptions and self.on_loop_thread():
                    self._adopt_pending()
            if self.on_loop_thread():
                self._drain()
                self._drained.set()
        except ExitNow:
            return  # the loop moved to another thread, which serves (and drains) from now on
        except BaseException as ex:
            # NOTE: the loop may run on a thread of ours; stop and let serve_forever raise.
            log.exception("the server loop failed")
            self._failure = ex
            self._stopping.set()
            with self._owner_lock:
                self._closed = True
            self._adopt_pending()
            self._drained.set()

    def _watch_loop(self) -> None:
        """Give the loop to a new thread when an inline request holds it too long."""
        while not self._drained.wait(STALL_SECONDS / 2):
            with self._owner_lock:
                started = self._inline_started
                if not started or time.perf_counter() - started < STALL_SECONDS or self._stalled >= MAX_STALLED:
                    continue
                self._loop_thread = None
                self._inline_started = 0.0
                self._stalled += 1
                self.handovers += 1
                route = DispatchPolicy.route_key(*self._inline_request)
                name = f"pybase-loop-{self.handovers}"
            self.dispatch.strike(route, f"{route} stalled")
            log.warning("%s held the loop thread for %.0f ms: the loop moves to %s",
                        route, (time.perf_counter() - started) * 1000, name)
            threading.Thread(target=self._run_loop, name=name, daemon=True).start()

    def serve_forever(self, *, install_signals: bool = True) -> None:
        """Serve until :meth:`stop` (or SIGINT/SIGTERM), then drain in-flight requests."""
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        threading.Thread(target=self._watch_loop, name="pybase-loop-watchdog", daemon=True).start()
        # NOTE: the loop runs on a thread of its own: a request it serves may sit in C code (a
        # query) for a while, and the main thread must stay free to take SIGTERM at once.
        threading.Thread(target=self._run_loop, name="pybase-loop-0", daemon=True).start()
        while not self._drained.wait(0.5):
            pass
        if self._failure is not None:
            raise self._failure

    def _drain(self) -> None:
        """Stop accepting, let running requests finish and flush their responses, close."""
        from waitress import wasyncore

        server = self.server
        server.accepting = False
        try:
            server.del_channel()
            server.socket.close()
        except OSError:
            pass
        deadline = time.monotonic() + DRAIN_SECONDS
        dispatcher = server.task_dispatcher
        lanes = (dispatcher, self.slow_lane)
        while time.monotonic() < deadline:
            busy = any(lane.active_count > 0 or bool(lane.queue) for lane in lanes) or self._stalled > 0
            # NOTE: like Go's http.Server.Shutdown (PocketBase), a connection still receiving a
            # request (``ch.request`` holds the partial one) is in flight too, not idle.
            # NOTE: so is one accepted a moment ago whose request has not arrived yet (with
            # several workers on one socket, connections keep coming until the drain begins).
            young = time.time() - ACCEPTED_GRACE_SECONDS
            pending = any(
                getattr(ch, "total_outbufs_len", 0) or getattr(ch, "requests", None) or getattr(ch, "request", None)
                or getattr(ch, "creation_time", 0) > young
                for ch in list(server._map.values())
            )
            if not busy and not pending:
                break
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
            self._adopt_pending()
        for lane in lanes:
            lane.shutdown(cancel_pending=True, timeout=1)
        with self._owner_lock:
            self._closed = True
        self._adopt_pending()
        for channel in list(server._map.values()):
            try:
                # NOTE: handle_close also wakes a worker waiting for its backlog to drain.
                channel.handle_close() if isinstance(channel, HTTPChannel) else channel.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Ask the serving loop to stop (safe from signal handlers and other threads)."""
        self._stopping.set()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the server has drained and closed; False on timeout."""
        return self._drained.wait(timeout)


def _connection_limit() -> int:
    """CONNECTION_LIMIT, or what the open-files limit allows (raised to its hard cap first)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = CONNECTION_LIMIT + 512
        if soft != resource.RLIM_INFINITY and soft < wanted:
            raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX, or not allowed
        return 1000
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    # NOTE: room for the database files, logs and the worker threads' own descriptors.
    return max(100, min(CONNECTION_LIMIT, soft - 512))
