"""One publish/subscribe interface between "a record change committed" and the streams.

Every change reaches the realtime streams through an :class:`EventBus`. The one here is
in-process: a queue and one thread, so changes fan out in commit order and off the request
thread. A bus between processes or nodes implements the same two methods; the access checks
(``broadcast``) and the SSE transport (the HTTP layer) do not change.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pybase.store.shared import CLIENT_SLOTS, MAX_CLIENT_SLOTS, REALTIME_SEQ, SharedCounters
from pybase.tools.pubsub import HubClient

if TYPE_CHECKING:
    from pybase.core.realtime.client import Client, Message
    from pybase.core.records import Record

log = logging.getLogger("pybase.realtime")


@dataclass
class RecordChange:
    """A committed create, update or delete of ``record`` (a snapshot of it).

    ``prepared`` holds a delete's messages, made while the row still existed (rules may read it
    or rows a cascade removes in the same transaction). A bus that crosses processes carries
    the snapshot; the receiving side then checks access against it.
    """

    action: str
    record: Record
    prepared: list[tuple[Client, Message]] | None = field(default=None, repr=False)
    #: the record as access checks see it when not ``record``: as PocketBase, the changes of a
    #: transaction are checked against the row after its commit (creates, updates) or as
    #: committed before it (deletes); ``gone``: no such row (see access.can_receive)
    checked: Record | None = field(default=None, repr=False)
    gone: bool = False
    #: a delete's messages for the subscriber groups of the other processes whose payload reads
    #: the database (``expand``), made by the writing process inside its transaction, at the
    #: delete (the others cannot see that transaction): group key -> message data (see
    #: ``broadcast.group_key``)
    made: dict[str, str] | None = field(default=None, repr=False)
    #: set once every process holding realtime clients has checked who receives the change
    #: (None: nobody to wait for); see :meth:`InProcessBus.settle`
    settled: threading.Event | None = field(default=None, repr=False, compare=False)
    #: called on the bus's thread once this process handled the change
    on_handled: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def frame(self) -> dict[str, Any]:
        """The change as another process receives it (rows by field name, database form)."""
        record = self.record
        found: dict[str, Any] = {"a": self.action, "c": record.collection.id, "r": row_of(record)}
        if self.gone:
            found["g"] = 1
        elif self.checked is not None:
            found["k"] = row_of(self.checked)
        if self.made:
            found["m"] = self.made
        return found

    @classmethod
    def from_frame(cls, frame: dict[str, Any], resolve: Callable[[str, dict[str, Any]], Record | None]) -> RecordChange | None:
        """The change a frame of :meth:`frame` describes (None when not resolved here)."""
        collection_id = str(frame.get("c", ""))
        record = resolve(collection_id, dict(frame.get("r") or {}))
        if record is None:
            return None
        change = cls(str(frame.get("a", "")), record, gone=bool(frame.get("g")))
        if frame.get("k"):
            change.checked = resolve(collection_id, dict(frame["k"]))
        made = frame.get("m")
        if isinstance(made, dict):
            change.made = {str(key): str(data) for key, data in made.items()}
        return change


def row_of(record: Record) -> dict[str, Any]:
    # NOTE: by field name: the receiving side lays them out in its table's column order.
    return {field.name: field.to_db(record.get(field.name)) for field in record.collection.fields}


class EventBus(Protocol):
    def publish(self, change: RecordChange) -> None:
        """Announce a committed change (never raises, never blocks on subscribers)."""

    def subscribe(self, handler: Callable[[RecordChange], Any]) -> None:
        """Deliver every change published from now on to ``handler`` (on the bus's thread)."""

    def close(self) -> None:
        """Stop delivering; changes published afterwards are dropped."""

    def settle(self, change: RecordChange, timeout: float) -> bool:
        """Wait until the subscribers' access to ``change`` was checked everywhere (False when
        that took longer than ``timeout``)."""


_STOP = object()


class InProcessBus:
    """The bus of one process: a queue drained by one daemon thread."""

    def __init__(self) -> None:
        self._handlers: list[Callable[[RecordChange], Any]] = []
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        #: threads that must not wait for a change to settle: what tells it settled arrives
        #: on them (besides the bus's own thread)
        self.unwaited: list[threading.Thread] = []
        #: whether anyone here may hear of a change (none: :meth:`publish` drops it at once, as
        #: PocketBase checks nobody; a client arriving later must not hear of it)
        self.listeners: Callable[[], bool] = lambda: True

    def subscribe(self, handler: Callable[[RecordChange], Any]) -> None:
        with self._lock:
            self._handlers.append(handler)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="pybase-realtime-bus", daemon=True)
                self._thread.start()

    def publish(self, change: RecordChange) -> None:
        if not self._closed and self._handlers and self.listeners():
            done = change.settled = threading.Event()
            change.on_handled = done.set
            self._queue.put(change)

    def listeners_elsewhere(self, local: int) -> bool:
        """Whether another process holds realtime clients (``local``: this one's count)."""
        return False

    def settle(self, change: RecordChange, timeout: float) -> bool:
        done = change.settled
        current = threading.current_thread()
        if done is None or current is self._thread or current in self.unwaited:
            return True  # NOTE: a write made while the bus handles a change (a hook): not waited for
        return done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._queue.put(_STOP)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every change published so far was handled (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            for handler in list(self._handlers):
                try:
                    handler(item)
                except Exception:  # noqa: BLE001 - one bad change must not stop the bus
                    log.exception("realtime: failed to handle a %s of %s", item.action, item.record.id)
            if item.on_handled is not None:
                try:
                    item.on_handled()
                except Exception:  # noqa: BLE001
                    log.exception("realtime: failed to report a handled change")


class ProcessBus(InProcessBus):
    """The bus of one worker among several: every change goes through the supervisor's hub.

    A change is numbered while its commit still holds the cross-process write lock, so the
    numbers follow commit order; the hub sends every change back to every worker (this one
    too) in that order, and each worker delivers to its own streams what arrives. A change of
    another worker arrives as its collection id and row; this worker checks access against it.
    Each worker tells the hub once it handled a change, and the hub tells the writing worker
    once all did (``settled``): its request answers only then, as PocketBase's checks run
    before its answer.
    """

    def __init__(
        self, address: str, counters: SharedCounters, resolve: Callable[[str, dict[str, Any]], Record | None], name: str = "",
    ) -> None:
        super().__init__()
        self.counters = counters
        self.resolve = resolve
        self._mine: dict[int, RecordChange] = {}
        self._settling: dict[int, threading.Event] = {}
        self._mine_lock = threading.Lock()
        #: frames that are not changes (from the supervisor: "announce"...)
        self.on_other_frame: Callable[[dict[str, Any]], Any] = lambda _frame: None
        self.client = HubClient(address, self._arrived, name)
        self.unwaited.append(self.client.receiver)

    def publish(self, change: RecordChange) -> None:
        if self._closed or not self._handlers:
            return
        if not self.counters.total(CLIENT_SLOTS, MAX_CLIENT_SLOTS):
            # PERF: no worker holds a realtime client, so nobody is told: skip the relay of
            # every write through three processes (a client counts from its connect, before it
            # can subscribe, so no subscriber misses a change committed after subscribing).
            return
        # NOTE: called under the write lock (Database.on_commit_locked): numbers in commit order.
        seq = self.counters.bump(REALTIME_SEQ)
        done = change.settled = threading.Event()
        with self._mine_lock:
            self._mine[seq] = change
            self._settling[seq] = done
        self.client.send({"t": "change", "s": seq, **change.frame()})

    def listeners_elsewhere(self, local: int) -> bool:
        return self.counters.total(CLIENT_SLOTS, MAX_CLIENT_SLOTS) > local

    def settle(self, change: RecordChange, timeout: float) -> bool:
        found = super().settle(change, timeout)
        if not found:
            with self._mine_lock:
                for seq, done in list(self._settling.items()):
                    if done is change.settled:
                        del self._settling[seq]
        return found

    def _arrived(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        if kind == "settled":
            with self._mine_lock:
                done = self._settling.pop(int(frame.get("s") or 0), None)
            if done is not None:
                done.set()
            return
        if kind != "change":
            self.on_other_frame(frame)
            return
        seq = int(frame["s"])
        with self._mine_lock:
            change = self._mine.pop(seq, None)
        if self._closed or not self._handlers:
            # NOTE: nobody here to check (the realtime API is bound on first use): done at once
            self.client.send({"t": "handled", "s": seq})
            return
        if change is None:
            change = RecordChange.from_frame(frame, self.resolve)
            if change is None:
                log.warning("realtime bus: change %d of collection %s not resolved here; dropped", seq, frame.get("c"))
                self.client.send({"t": "handled", "s": seq})
                return
        change.on_handled = lambda: self.client.send({"t": "handled", "s": seq})
        self._queue.put(change)

    def close(self) -> None:
        super().close()
        self.client.close()
