"""The worker side: what a process started by the supervisor sets up before it serves."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.realtime.bus import ProcessBus
from pybase.core.realtime.remote import RemoteClients, answer_remote_request
from pybase.core.records import Record
from pybase.store.shared import CLIENT_SLOTS, GENERATION, ProcessLock, SharedCounters, SharedWindows
from pybase.workers.context import (
    ALIVE_LOCK_FILE,
    AUX_WRITE_LOCK_FILE,
    LEADER_LOCK_FILE,
    RATE_LIMIT_FILE,
    SHARED_FILE,
    WRITE_LOCK_FILE,
    WorkerContext,
)
from pybase.workers.shared_state import SharedStateRuntime

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.workers.cluster import ClusterRuntime

log = logging.getLogger("pybase.workers")

LEADER_RETRY_SECONDS = 1.0
CALL_SECONDS = 5.0  # how long a subscribe request waits for the worker holding the client


def wait_alone(data_dir: str, timeout: float = 60.0) -> bool:
    """Wait until no other worker of ``data_dir`` runs (after this one's :meth:`close`)."""
    fd = os.open(os.path.join(data_dir, ALIVE_LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
    finally:
        os.close(fd)


def die_with_parent() -> None:
    """Get SIGTERM when the supervisor goes (Linux), so no worker outlives it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


class _WorkerPeers:
    """The other workers, through the supervisor's hub (a worker's name starts its client ids)."""

    def __init__(self, bus: ProcessBus, name: str) -> None:
        self.bus = bus
        self.name = name

    def owner(self, client_id: str) -> str | None:
        owner = client_id[: len(self.name)]
        return owner if self.name and owner != self.name else None

    def call(self, owner: str, body: Any) -> Any:
        try:
            return self.bus.client.call(owner, body, CALL_SECONDS)
        except TimeoutError:
            return None

    def post(self, owner: str, body: Any) -> None:
        self.bus.client.post(owner, body)

    def call_all(self, body: Any, timeout: float) -> list[Any]:
        return self.bus.client.call_all(body, timeout)

    def post_all(self, body: Any) -> None:
        self.bus.client.post("*", body)


class WorkerRuntime(SharedStateRuntime):
    """The shared parts of one worker: write locks, the generation counter, the bus, leadership."""

    def __init__(self, app: App, ctx: WorkerContext) -> None:
        self.app = app
        self.ctx = ctx
        data = app.data_dir
        self.counters = SharedCounters(os.path.join(data, SHARED_FILE))
        app.db.share_with_processes(os.path.join(data, WRITE_LOCK_FILE), checkpoints=False)
        aux = app.logs.database()
        if aux is not None:
            aux.share_with_processes(os.path.join(data, AUX_WRITE_LOCK_FILE), checkpoints=False)
        app.rate_windows = SharedWindows(os.path.join(data, RATE_LIMIT_FILE))
        self._alive = os.open(os.path.join(data, ALIVE_LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._alive, fcntl.LOCK_SH)
        self._seen = self.counters.get(GENERATION)
        self._refresh_lock = threading.Lock()
        self.leader = False
        self._leader_lock = ProcessLock(os.path.join(data, LEADER_LOCK_FILE))
        self._on_leader: list[Callable[[], Any]] = []
        self._stop = threading.Event()
        #: on Postgres every worker is a node of the database's cluster (pybase.workers.cluster):
        #: changes, cache invalidation, subscribe requests and leadership go through Postgres; the
        #: supervisor's hub only carries the workers' lifecycle
        self.cluster: ClusterRuntime | None = None
        if not app.database_url:
            for verb in ("Create", "Update", "Delete"):
                app.hooks[f"onModel{verb}Execute"].bind(self._bump_on_change, id="__pybaseWorkerGeneration__", priority=-98)
            app.on_schema_changed.append(self._bump_after_commit)
        bus = ProcessBus(ctx.bus_address, self.counters, self._resolve, ctx.name)
        self.hub_bus = bus
        bus.client.on_call = self._answer
        bus.on_other_frame = self._supervisor_frame
        self._after_banner: list[Callable[[], Any]] = []
        bus.client.send({"t": "hello", "name": ctx.name, "pid": os.getpid(), "w": ctx.index})
        app.event_bus = bus
        broker = app.subscriptions_broker()
        broker.id_prefix = ctx.name
        broker.remote = RemoteClients(_WorkerPeers(bus, ctx.name), app.find_record_by_id)
        self._clients_slot = CLIENT_SLOTS + ctx.slot
        self._clients_held = 0
        self._clients_lock = threading.Lock()
        self.counters.set(self._clients_slot, 0)
        broker.on_clients_changed = self._clients_changed
        if app.database_url:
            from pybase.workers.cluster import ClusterRuntime

            self.cluster = ClusterRuntime(app)

    def _clients_changed(self, delta: int) -> None:
        """Count this worker's realtime clients in its slot of the shared page: the bus
        publishes a change only while some worker holds a client. Written before the client's
        stream starts, so a change committed after it subscribed is never skipped."""
        with self._clients_lock:
            self._clients_held = max(self._clients_held + delta, 0)
            self.counters.set(self._clients_slot, self._clients_held)

    # ---- realtime clients held here, asked for by the other workers -----------------------------

    def _answer(self, body: Any) -> Any:
        """A subscribe request another worker took for a client of this one (its bus thread)."""
        return answer_remote_request(self.app, body, self.refresh_if_stale)

    # ---- collections and settings changed elsewhere --------------------------------------------

    def _bump_on_change(self, e: Any) -> Any:
        result = e.next()
        if not isinstance(e.model, Record):  # a collection or the settings
            self._bump_after_commit()
        return result

    def _bump_after_commit(self) -> None:
        db = self.app.db
        if db.in_write():
            db.on_commit_locked(self._bump)
            return
        # NOTE: the change committed in a write of its own (the settings' save): the counter's
        # read-add-write still needs the write lock, or two workers bumping at once both write
        # n + 1 and neither reloads the other's change (one served stale settings)
        with db.write():
            db.on_commit_locked(self._bump)

    def _bump(self) -> None:
        # NOTE: not simply the new number: a change another worker committed while this one's
        # request was on its way must still be reloaded here
        self._seen = self.counters.bump_own(GENERATION, self._seen)

    def refresh_if_stale(self) -> None:
        """Reload collections and settings when another worker changed them (a memory read)."""
        if self.cluster is not None:
            self.cluster.refresh_if_stale()
            return
        super().refresh_if_stale()

    def _generation_now(self) -> int:
        return self.counters.get(GENERATION)

    def after_banner(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` once the supervisor printed the banner (it says so on the bus)."""
        self._after_banner.append(callback)

    def _supervisor_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("t") == "announce":
            callbacks, self._after_banner = self._after_banner, []
            for callback in callbacks:
                callback()

    def ready(self) -> None:
        """Tell the supervisor this worker serves."""
        self.hub_bus.client.send({"t": "ready", "pid": os.getpid()})

    # ---- leadership (crons, WAL checkpoints) ----------------------------------------------------

    def when_leader(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` once this worker leads (now, or when the leader before it goes)."""
        if self.cluster is not None:
            self.cluster.when_leader(callback)
            return
        self._on_leader.append(callback)
        if self.leader:
            callback()

    def start(self) -> None:
        if self.cluster is not None:
            self.cluster.start()
            return
        if not self._try_lead():
            threading.Thread(target=self._wait_to_lead, name="pybase-leader-wait", daemon=True).start()

    def _try_lead(self) -> bool:
        if not self._leader_lock.try_acquire():
            return False
        self.leader = True
        self.app.db.checkpoints = True
        log.info("worker %d (pid %d) runs the crons and WAL checkpoints", self.ctx.index, os.getpid())
        for callback in self._on_leader:
            callback()
        return True

    def _wait_to_lead(self) -> None:
        while not self._stop.wait(LEADER_RETRY_SECONDS):
            if self._try_lead():
                return

    def restart_all(self, stop: Callable[[], Any]) -> None:
        """A backup restore: the supervisor stops the other workers, this one stops serving; the
        restore then waits until it is alone (:func:`wait_alone`) and the supervisor starts
        every worker again on the restored data."""
        self.hub_bus.client.send({"t": "exclusive", "pid": os.getpid()})
        stop()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.close(self._alive)  # NOTE: releases this worker's shared lock
        if self.cluster is not None:
            self.cluster.close()
        self.hub_bus.close()
        self._leader_lock.close()
        self.counters.close()
