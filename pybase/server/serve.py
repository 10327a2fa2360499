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
from waitress.task import ThreadedTaskDispatcher
from waitress.wasyncore import ExitNow

from pybase.server.connection import Channel
from pybase.server.dispatch import (
    INLINE,
    MAX_STALLED,
    SLOW_LANE,
    STALL_SECONDS,
    WORKERS,
    DispatchPolicy,
)

log = logging.getLogger("pybase.server")
# NOTE: waitress logs a warning per queued task under load; the queue is normal operation here.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

DRAIN_SECONDS = 10.0
QUIET_SECONDS = 1.0  # no request for this long after some: the app gives memory back (on_idle)
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


class _Dispatcher(ThreadedTaskDispatcher):
    """Waitress's worker threads, kept by thread so a stop can wait for them to end.

    PERF/memory: started as tasks need them, up to the count set (waitress starts them all at
    once): most requests run on the loop thread, so a worker kept 48 idle threads (~17 KB of
    stack and thread state each, ~0.8 MB a process) that a read-only load never used. A task
    queued while no thread is idle starts one (~0.1 ms, once per thread); threads then stay.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.started: list[threading.Thread] = []
        self.limit = 0  # threads it may run (set_thread_count)

    def start_new_thread(self, target: Callable[[int], None], thread_no: int) -> None:
        thread = threading.Thread(target=target, name=f"{self.name}-{thread_no}", args=(thread_no,), daemon=True)
        self.started = [t for t in self.started if t.is_alive()]
        self.started.append(thread)
        thread.start()

    def set_thread_count(self, count: int) -> None:
        with self.lock:
            self.limit = count
            running = len(self.threads) - self.stop_count
            if running > count:
                self.stop_count += running - count
                self.queue_cv.notify_all()

    def add_task(self, task: Any) -> None:
        with self.lock:
            self.queue.append(task)
            running = len(self.threads) - self.stop_count
            if len(self.queue) > running - self.active_count and running < self.limit:
                thread_no = 0
                while thread_no in self.threads:
                    thread_no += 1
                self.threads.add(thread_no)
                self.active_count += 1  # NOTE: as waitress: idle only once it waits for a task
                try:
                    self.start_new_thread(self.handler_thread, thread_no)
                except BaseException:
                    # NOTE: no thread ("can't start new thread"): not counted as running, or
                    # the server would never look idle again; a running thread takes the task
                    self.threads.discard(thread_no)
                    self.active_count -= 1
                    if not self.threads:
                        self.queue.pop()
                        raise
            self.queue_cv.notify()


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
        sockets: list[socket.socket] | None = None, on_idle: Callable[[], None] | None = None,
    ) -> None:
        # NOTE: ``sockets``: already listening (a worker's, inherited from its supervisor).
        listen: dict[str, Any] = {"sockets": sockets} if sockets else {"host": host, "port": port}
        workers = _Dispatcher("waitress")
        workers.set_thread_count(threads)
        self.server = create_server(
            wsgi_app,
            **listen,
            _dispatcher=workers,
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
        self.server.channel_class = type("Channel", (Channel,), {"owner": self})
        self.dispatch = DispatchPolicy()
        self.slow_lane = _Dispatcher("waitress")
        self.slow_lane.set_thread_count(SLOW_LANE_THREADS)
        self._threads: list[threading.Thread] = []  # the loop threads and the watchdog
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
        # ``on_idle`` runs on the loop thread once the server has had no request for QUIET_SECONDS
        # after some: the app gives back what the burst left cached (memory).
        self._on_idle = on_idle
        self.requests_seen = 0  # requests queued so far (diagnostics, tests)
        self._idle_mark = (-1, 0.0)  # requests_seen when last looked, and since when unchanged
        self._idle_done = 0  # requests_seen when on_idle last ran
        self.idle_runs = 0  # times on_idle ran (diagnostics, tests)
        waitress_server = self.server
        queue_task = waitress_server.add_task
        pull_trigger = waitress_server.pull_trigger

        def add_task(channel: Channel) -> None:
            self.requests_seen += 1
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
                if self._on_idle is not None and self.requests_seen != self._idle_done:
                    self._idle_check()
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

    def _idle_check(self) -> None:
        """Run ``on_idle`` once the requests have stopped for ``QUIET_SECONDS`` (loop thread)."""
        seen, now = self.requests_seen, time.monotonic()
        marked, since = self._idle_mark
        if seen != marked:
            self._idle_mark = (seen, now)
            return
        if now - since < QUIET_SECONDS or not self.on_loop_thread():
            return
        self._idle_done = seen
        assert self._on_idle is not None
        try:
            self._on_idle()
        except Exception:  # noqa: BLE001 - housekeeping must not stop the server
            log.exception("the idle housekeeping failed")
            return
        self.idle_runs += 1

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
            self._start_thread(self._run_loop, name)

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def serve_forever(self, *, install_signals: bool = True) -> None:
        """Serve until :meth:`stop` (or SIGINT/SIGTERM), then drain in-flight requests."""
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        self._start_thread(self._watch_loop, "pybase-loop-watchdog")
        # NOTE: the loop runs on a thread of its own: a request it serves may sit in C code (a
        # query) for a while, and the main thread must stay free to take SIGTERM at once.
        self._start_thread(self._run_loop, "pybase-loop-0")
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
            # several workers on one socket, connections keep coming until the drain begins);
            # not one that has sent something (it is idle between requests: closed at once).
            young = time.time() - ACCEPTED_GRACE_SECONDS
            pending = any(
                getattr(ch, "total_outbufs_len", 0) or getattr(ch, "requests", None) or getattr(ch, "request", None)
                or _awaiting_first_bytes(ch, young)
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
        # NOTE: ends the loop's poll pass at once. Under the lock the drain closes the pipe with,
        # so never after (its number may belong to another file by then); bounded, as a signal
        # handler may call this.
        if self._owner_lock.acquire(timeout=1):
            try:
                if not self._closed:
                    self.server.pull_trigger()
            except OSError:
                pass
            finally:
                self._owner_lock.release()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the server has drained and closed; False on timeout."""
        return self._drained.wait(timeout)

    def _all_threads(self) -> list[threading.Thread]:
        return [*self._threads, *self.server.task_dispatcher.started, *self.slow_lane.started]

    def serving_here(self) -> bool:
        """Whether the calling thread is one of this server's (serving a request, or the loop):
        a stop asked from there cannot wait for the server to end."""
        current = threading.current_thread()
        return any(t is current for t in self._all_threads())

    def join(self, timeout: float) -> list[str]:
        """After the drain, wait up to ``timeout`` seconds for every thread of this server to
        end; returns the names of those still running."""
        deadline = time.monotonic() + timeout
        threads = self._all_threads()
        current = threading.current_thread()
        for thread in threads:
            if thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive() and t is not current]


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


def _awaiting_first_bytes(channel: object, young: float) -> bool:
    """A connection accepted after ``young`` (a time.time()) that has sent nothing yet: its
    first request may be on its way. Waitress sets a channel's last activity to its creation
    time and moves it at each read and write."""
    created = getattr(channel, "creation_time", 0)
    return bool(created > young and getattr(channel, "last_activity", 0) == created)
