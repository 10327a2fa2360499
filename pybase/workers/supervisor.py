"""The supervisor: one listening socket, N worker processes, the realtime hub, signals.

- starts worker 0 and waits until it serves (it applies migrations and creates what a first
  start creates), prints the banner, then starts the others;
- restarts a worker that dies (logged; quickly again and again: with a growing pause);
- SIGTERM/SIGINT: every worker drains and stops, then the supervisor exits 0;
- SIGHUP: replaces the workers one by one (a new one serves before the old one drains), so
  new hooks or a new binary take over without a refused request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from pybase.config import TEMP_DIR
from pybase.store.shared import CLIENT_SLOTS, MAX_CLIENT_SLOTS, REALTIME_SEQ, SharedCounters
from pybase.tools.pubsub import Hub, encode
from pybase.workers.context import (
    BUS_ENV,
    COUNT_ENV,
    INDEX_ENV,
    LISTEN_FD_ENV,
    NAME_ENV,
    SHARED_FILE,
    SLOT_ENV,
    SUPERVISE_ENV,
)

log = logging.getLogger("pybase.workers")

STOP_SECONDS = 30.0  # a worker still running this long after SIGTERM is killed
READY_SECONDS = 120.0  # a new worker that does not serve in this time counts as failed
MAX_RESTART_PAUSE = 30.0
# PERF: glibc gives each thread that allocates its own malloc arena (up to 8 per CPU), and every
# arena keeps what it once held: a worker has ~50 threads, and after a load each of its ~15
# arenas held ~1 MB. Two arenas (the main one and one for the threads): 2 workers after the
# bench's load 156 MB instead of 176 (RSS summed), with no CPU per request lost that the bench
# could tell (most requests run on the one loop thread). The environment's value wins.
MALLOC_ARENAS = "2"
# PERF: the id alphabet (pybase.tools.security.ALPHANUMERIC) written out: that module imports
# hmac and secrets, which load OpenSSL (~6 MB of this process's RSS); a test keeps the two equal.
WORKER_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class Worker:
    index: int
    name: str
    proc: subprocess.Popen[bytes]
    slot: int = 0  # where it counts its realtime clients in the shared page
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    retiring: bool = False  # replaced (SIGHUP): its exit is expected
    conn: socket.socket | None = None


def worker_command() -> list[str]:
    """This process's own command line (the frozen binary, ``python -m pybase`` or an app)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *sys.argv[1:]]
    return [sys.executable, *sys.orig_argv[1:]]


class Supervisor:
    def __init__(self, host: str, port: int, count: int, data_dir: str) -> None:
        self.host, self.port = host, port
        self.count = max(1, count)
        self.data_dir = data_dir
        self.workers: dict[int, Worker] = {}  # by pid
        self.stopping = False
        self.restart_pauses: dict[int, float] = {}
        self.pending_restarts: dict[int, float] = {}  # index -> when to start it again
        self.rolling: list[int] = []  # indexes still to replace (SIGHUP)
        self.replacing: Worker | None = None  # the new worker of the index being replaced
        self.next_name = 0
        self.exclusive: int | None = None  # the pid of a worker restoring a backup alone

    # ---- start ----------------------------------------------------------------------------------

    def run(self) -> int:
        os.makedirs(self.data_dir, exist_ok=True)
        self._empty_temp_dir()
        self.sock = socket.create_server((self.host, self.port), backlog=2048)
        self.sock.set_inheritable(True)
        self.counters = counters = SharedCounters(os.path.join(self.data_dir, SHARED_FILE))
        for slot in range(MAX_CLIENT_SLOTS):  # NOTE: what a server stopped before left behind
            counters.set(CLIENT_SLOTS + slot, 0)
        self.bus_address = f"\0pybase-bus-{os.getpid()}-{os.urandom(6).hex()}"
        self.hub = Hub(self.bus_address, counters.get(REALTIME_SEQ) + 1)
        self.hub.on_frame = self._frame
        self.hub.on_closed = self._conn_closed
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.hub.listener, selectors.EVENT_READ, "accept")
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, lambda *_: None)
        self.selector.register(wake_r, selectors.EVENT_READ, "signal")
        try:
            first = self._spawn(0)
            while not first.ready:
                self._poll(0.1)
                if first.proc.poll() is not None:
                    return first.proc.returncode or 1
                if self.stopping:
                    return self._stop_all()
            for index in range(1, self.count):
                self._spawn(index)
            # NOTE: the banner once every worker serves (or after READY_SECONDS): full capacity.
            deadline = time.monotonic() + READY_SECONDS
            while not self.stopping and time.monotonic() < deadline and not all(w.ready for w in self.workers.values()):
                self._poll(0.05)
                self._maintain()
            host, port = self.sock.getsockname()[:2]
            base = f"http://{host}:{port}"
            print(f"Server started at {base}\n├─ REST API:  {base}/api/\n└─ Dashboard: {base}/_/", flush=True)
            log.info("%d workers (supervisor pid %d)", self.count, os.getpid())
            for worker in self.workers.values():
                if worker.conn is not None:
                    with contextlib.suppress(OSError):
                        worker.conn.sendall(encode({"t": "announce"}))
            while not self.stopping:
                self._poll(0.05)
                self._maintain()
            return self._stop_all()
        finally:
            self.hub.close()
            self.sock.close()
            self.counters.close()

    def _empty_temp_dir(self) -> None:
        """Empty pb_data's TEMP_DIR while no worker runs: a worker does not at its start (it
        would take the uploads and backups the others are receiving or making)."""
        shutil.rmtree(os.path.join(self.data_dir, TEMP_DIR), ignore_errors=True)

    def _spawn(self, index: int) -> Worker:
        name = self._free_name()
        used = {w.slot for w in self.workers.values()}
        slot = next(s for s in range(MAX_CLIENT_SLOTS) if s not in used)
        env = dict(os.environ)
        env.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
        env.update({
            INDEX_ENV: str(index), SLOT_ENV: str(slot), NAME_ENV: name, COUNT_ENV: str(self.count), LISTEN_FD_ENV: str(self.sock.fileno()),
            BUS_ENV: "@" + self.bus_address[1:],  # NOTE: an abstract socket name; "@" for the NUL
        })
        proc = subprocess.Popen(worker_command(), env=env, pass_fds=(self.sock.fileno(),), stdin=subprocess.DEVNULL)
        worker = Worker(index, name, proc, slot)
        self.workers[proc.pid] = worker
        log.info("worker %d started (pid %d, name %s)", index, proc.pid, name)
        return worker

    def _free_name(self) -> str:
        """Two characters no live worker has (the start of its realtime client ids)."""
        used = {w.name for w in self.workers.values()}
        size = len(WORKER_NAME_ALPHABET)
        for _ in range(size * size):
            number, self.next_name = self.next_name, (self.next_name + 1) % (size * size)
            name = WORKER_NAME_ALPHABET[number // size] + WORKER_NAME_ALPHABET[number % size]
            if name not in used:
                return name
        raise RuntimeError("no free worker name")

    # ---- the loop -------------------------------------------------------------------------------

    def _poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            if key.data == "accept":
                conn = self.hub.accept()
                if conn is not None:
                    self.selector.register(conn, selectors.EVENT_READ, "hub")
            elif key.data == "signal":
                self._signals(key.fileobj)  # type: ignore[arg-type]
            elif key.data == "hub":
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                if not self.hub.on_readable(conn):
                    with contextlib.suppress(KeyError, ValueError):
                        self.selector.unregister(conn)
        self.hub.tick()

    def _signals(self, fd: int) -> None:
        try:
            received = os.read(fd, 512)
        except BlockingIOError:
            return
        for number in received:
            if number in (signal.SIGTERM, signal.SIGINT):
                self.stopping = True
            elif number == signal.SIGHUP:
                self._start_rolling()
            elif number == signal.SIGCHLD:
                self._reap()

    def _frame(self, conn: socket.socket, frame: dict[str, Any]) -> None:
        worker = self.workers.get(int(frame.get("pid", 0)))
        if worker is None:
            return
        if frame.get("t") == "hello":
            worker.conn = conn
        elif frame.get("t") == "ready":
            worker.ready = True
            log.info("worker %d (pid %d) serves", worker.index, worker.proc.pid)
        elif frame.get("t") == "exclusive" and self.exclusive is None:
            # A backup restore: every other worker stops; all start again once it is done.
            self.exclusive = worker.proc.pid
            self.rolling, self.pending_restarts = [], {}
            log.info("worker %d (pid %d) restores a backup: stopping the others", worker.index, worker.proc.pid)
            for other in self.workers.values():
                if other is not worker:
                    other.retiring = True
                    with contextlib.suppress(ProcessLookupError):
                        other.proc.send_signal(signal.SIGTERM)

    def _conn_closed(self, conn: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)

    def _reap(self) -> None:
        for pid, worker in list(self.workers.items()):
            code = worker.proc.poll()
            if code is None:
                continue
            del self.workers[pid]
            self.counters.set(CLIENT_SLOTS + worker.slot, 0)  # NOTE: its clients went with it
            if pid == self.exclusive:
                self.exclusive = None
                log.info("backup restored (worker exited with %s): starting the workers again", code)
                if not self.workers:
                    self._empty_temp_dir()  # NOTE: what the restore replaced (no worker runs now)
                continue
            if self.stopping or worker.retiring:
                continue
            lived = time.monotonic() - worker.started
            pause = 0.0 if lived > 30 else min(max(self.restart_pauses.get(worker.index, 0.5) * 2, 1.0), MAX_RESTART_PAUSE)
            self.restart_pauses[worker.index] = pause
            log.error("worker %d (pid %d) exited with %s; starting it again in %.0f s", worker.index, pid, code, pause)
            self.pending_restarts[worker.index] = time.monotonic() + pause

    def _maintain(self) -> None:
        if self.exclusive is not None:
            return
        now = time.monotonic()
        for index, when in list(self.pending_restarts.items()):
            if when <= now:
                del self.pending_restarts[index]
                self._spawn(index)
        live = [w for w in self.workers.values() if not w.retiring]
        if not live and not self.pending_restarts:
            self._spawn(0)  # NOTE: after a restore: one first (it applies migrations), then the rest
        elif any(w.ready for w in live):
            present = {w.index for w in live} | set(self.pending_restarts) | set(self.rolling)
            for index in range(self.count):
                if index not in present:
                    self._spawn(index)
        self._roll()

    # ---- SIGHUP: one by one ---------------------------------------------------------------------

    def _start_rolling(self) -> None:
        if self.rolling or self.replacing is not None:
            return
        self.rolling = sorted({w.index for w in self.workers.values() if not w.retiring})
        log.info("replacing the workers one by one")

    def _roll(self) -> None:
        new = self.replacing
        if new is not None:
            if new.ready:
                for old in self.workers.values():
                    if old.index == new.index and old is not new and not old.retiring:
                        old.retiring = True
                        old.proc.send_signal(signal.SIGTERM)
                self.replacing = None
            elif new.proc.poll() is not None or time.monotonic() - new.started > READY_SECONDS:
                log.error("the new worker %d did not start; the old one keeps serving", new.index)
                new.retiring = True
                with contextlib.suppress(ProcessLookupError):
                    new.proc.kill()
                self.replacing = None
                self.rolling = []
            return
        if self.rolling:
            self.replacing = self._spawn(self.rolling.pop(0))

    # ---- stop -----------------------------------------------------------------------------------

    def _stop_all(self) -> int:
        for worker in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                worker.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.workers and time.monotonic() < deadline:
            self._poll(0.05)
            self._reap()
        for worker in self.workers.values():
            log.error("worker %d (pid %d) did not stop in time: killed", worker.index, worker.proc.pid)
            with contextlib.suppress(ProcessLookupError):
                worker.proc.kill()
            worker.proc.wait(5)
        return 0


def supervise(host: str, port: int, count: int, data_dir: str) -> int:
    """Run the supervisor until SIGTERM/SIGINT; returns the exit code."""
    return Supervisor(host, port, count, data_dir).run()


def become_supervisor(host: str, port: int, count: int, data_dir: str, dev: bool = False) -> None:
    """Start this process again as the supervisor (``exec``: same pid, same command line).

    PERF: the new image loads only what supervising needs (``python -m pybase`` and the binary
    check :data:`SUPERVISE_ENV` before anything else), not the whole of pybase: ~60 MB less.
    """
    os.environ[SUPERVISE_ENV] = json.dumps({"host": host, "port": port, "count": count, "data_dir": data_dir, "dev": dev})
    sys.stdout.flush()
    sys.stderr.flush()
    command = worker_command()
    os.execv(command[0], command)


def main_from_env() -> int:
    """The supervisor started by :func:`become_supervisor` (its spec in the environment)."""
    spec = json.loads(os.environ.pop(SUPERVISE_ENV))
    logging.basicConfig(
        level=logging.DEBUG if spec.get("dev") else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return supervise(str(spec["host"]), int(spec["port"]), int(spec["count"]), str(spec["data_dir"]))
    except OSError as ex:
        print(f"Error: cannot listen on {spec['host']}:{spec['port']}: {ex.strerror or ex}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
