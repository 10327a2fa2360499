"""The event bus of several nodes on one Postgres: changes travel as NOTIFY.

A change is sent with ``NOTIFY`` inside the transaction that writes it (the broadcaster calls
:meth:`PostgresBus.publish_in_transaction` from the record's execute hook), so Postgres
delivers it only if that transaction commits, and to every listening node (this one too) in
commit order. Each node hands what arrives to its own streams; a change of another node comes
as its collection id and row values by field name, and the receiving node checks access
against it, as :class:`~pybase.core.realtime.bus.ProcessBus` does between workers.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.realtime.bus import InProcessBus, RecordChange
from pybase.store.notify import notify

if TYPE_CHECKING:
    from pybase.core.records import Record

log = logging.getLogger("pybase.realtime")

CHANGES_CHANNEL = "pybase_changes"
_MINE_LIMIT = 100_000  # changes of this node waiting for their notification (lost ones pruned)


class PostgresBus(InProcessBus):
    """Changes of every node, through ``NOTIFY pybase_changes``; see the module docstring."""

    def __init__(self, db: Any, node: str, resolve: Callable[[str, dict[str, Any]], Record | None]) -> None:
        super().__init__()
        self.db = db
        self.node = node
        self.resolve = resolve
        self._seq = itertools.count(1)
        self._mine: dict[int, RecordChange] = {}
        self._mine_lock = threading.Lock()
        #: whether any node has a realtime client (nobody to tell otherwise)
        self.should_publish: Callable[[], bool] = lambda: True

    def publish_in_transaction(self, change: RecordChange) -> bool:
        """Send ``change`` with the current write transaction; False when none is open."""
        if self._closed or not self._handlers or not self.should_publish():
            return True
        if not self.db.in_write():
            return False
        seq = self._remember(change)
        with self.db.write() as conn:
            notify(conn, CHANGES_CHANNEL, self._payload(seq, change))
        self.db.on_commit(_nothing, on_rollback=lambda: self._forget(seq))
        return True

    def publish(self, change: RecordChange) -> None:
        """A change already committed (outside a transaction): sent on its own."""
        if self._closed or not self._handlers or not self.should_publish():
            return
        if self.publish_in_transaction(change):
            return
        seq = self._remember(change)
        try:
            with self.db.read_engine.connect() as conn:  # NOTE: autocommit: sent at once
                notify(conn, CHANGES_CHANNEL, self._payload(seq, change))
        except Exception:  # noqa: BLE001 - publish never raises
            self._forget(seq)
            log.exception("realtime bus: failed to send a %s of %s", change.action, change.record.id)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until this node's changes sent so far came back through Postgres and were
        handled (tests, shutdown): the in-process queue alone may not have them yet."""
        deadline = time.monotonic() + timeout
        with self._mine_lock:
            waiting = set(self._mine)
        while waiting:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
            with self._mine_lock:
                waiting &= self._mine.keys()
        return super().drain(max(deadline - time.monotonic(), 0.1))

    def _remember(self, change: RecordChange) -> int:
        seq = next(self._seq)
        with self._mine_lock:
            if len(self._mine) >= _MINE_LIMIT:
                for old in sorted(self._mine)[: _MINE_LIMIT // 2]:
                    del self._mine[old]
            self._mine[seq] = change
        return seq

    def _forget(self, seq: int) -> None:
        with self._mine_lock:
            self._mine.pop(seq, None)

    def _payload(self, seq: int, change: RecordChange) -> str:
        record = change.record
        # NOTE: by field name: the receiving side lays them out in its table's column order.
        row = {field.name: field.to_db(record.get(field.name)) for field in record.collection.fields}
        frame = {"n": self.node, "s": seq, "a": change.action, "c": record.collection.id, "r": row}
        return orjson.dumps(frame, default=str).decode()

    def arrived(self, frame: dict[str, Any]) -> None:
        """A change notification (the listener's thread, in commit order)."""
        if self._closed or not self._handlers:
            return
        change = None
        if frame.get("n") == self.node:
            with self._mine_lock:
                change = self._mine.pop(int(frame.get("s") or 0), None)
        if change is None:
            record = self.resolve(str(frame.get("c", "")), dict(frame.get("r") or {}))
            if record is None:
                log.warning("realtime bus: a change of collection %s not resolved here; dropped", frame.get("c"))
                return
            change = RecordChange(str(frame.get("a", "")), record)
        self._queue.put(change)


def _nothing() -> None:
    return None
