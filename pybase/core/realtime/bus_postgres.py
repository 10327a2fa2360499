"""The event bus of several nodes on one Postgres: changes travel as NOTIFY.

A change is sent with ``NOTIFY`` inside the transaction that writes it (the broadcaster calls
:meth:`PostgresBus.publish_in_transaction` from the record's execute hook; the notification
goes out right before the commit, once the transaction's later changes of the same record are
known), so Postgres delivers it only if that transaction commits, and to every listening node
(this one too) in commit order. Each node hands what arrives to its own streams; a change of another node comes
as its collection id and row values by field name, and the receiving node checks access
against it, as :class:`~pybase.core.realtime.bus.ProcessBus` does between workers.

A node whose LISTEN connection broke misses what was sent until it listens again. So each node
keeps the changes it sent in the last :data:`KEEP_SECONDS` (memory only: nothing more is written
per change), and remembers which ones it received; after a cut it gathers the others' (and its
own) recent changes and hands over those it never received (:meth:`PostgresBus.recent`,
:meth:`PostgresBus.replay`; the cluster runtime asks the nodes).

Each node holding realtime clients tells the writing node once it handled a change of it
(``handled``, through the cluster runtime); the write's request waits for them all after its
commit (``settled``), as PocketBase answers only after its subscribers' checks. A node that left
a change unanswered past that wait (one that hangs) is not waited for again until it answers
the newest change sent then: it holds up the writes of that moment, not every write after.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
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
#: how long a node keeps the changes it sent, and remembers those it received, for a node that
#: was cut off to catch up
KEEP_SECONDS = 60.0
KEEP_LIMIT = 50_000  # changes kept, and (twice as many) changes remembered as received
KEEP_BYTES = 32 << 20  # payload bytes kept


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
        #: the nodes (their numbers) holding realtime clients, whose checks a write waits for;
        #: this node's number; how a node tells another it handled that one's change ``seq``
        self.listening: Callable[[], set[int]] = set
        self.number = 0
        self.send_handled: Callable[[str, int], None] = lambda _node, _seq: None
        self._settling: dict[int, tuple[threading.Event, set[int]]] = {}
        #: nodes not waited for (see the module docstring) -> the change of this node they must
        #: say they handled to be waited for again
        self._lagging: dict[int, int] = {}
        self._last_seq = 0
        self._kept: deque[tuple[float, float, str]] = deque()  # (monotonic, wall clock, payload) sent
        self._kept_bytes = 0
        #: when the newest change dropped before KEEP_SECONDS (for KEEP_LIMIT or KEEP_BYTES) was
        #: sent, and was received: a catch-up over that time cannot be complete
        self._kept_dropped = self._heard_dropped = float("-inf")
        self._heard: set[tuple[str, int]] = set()  # (node, seq) received
        self._heard_order: deque[tuple[float, tuple[str, int]]] = deque()
        self._keep_lock = threading.Lock()

    def publish_in_transaction(self, change: RecordChange) -> bool:
        """Send ``change`` with the current write transaction; False when none is open."""
        if self._closed or not self._handlers or not self.should_publish():
            return True
        if not self.db.in_write():
            return False

        def send() -> None:
            # NOTE: right before the commit: the broadcaster has said by then how the access
            # checks see the change (change.checked / change.gone)
            seq = self._remember(change)
            payload = self._payload(seq, change)
            with self.db.write() as conn:
                notify(conn, CHANGES_CHANNEL, payload)
            self.db.on_commit(lambda: self._keep(payload), on_rollback=lambda: self._forget(seq))

        return bool(self.db.on_before_commit(send))

    def publish(self, change: RecordChange) -> None:
        """A change already committed (outside a transaction): sent on its own."""
        if self._closed or not self._handlers or not self.should_publish():
            return
        if self.publish_in_transaction(change):
            return
        seq = self._remember(change)
        payload = self._payload(seq, change)
        try:
            with self.db.read_engine.connect() as conn:  # NOTE: autocommit: sent at once
                notify(conn, CHANGES_CHANNEL, payload)
        except Exception:  # noqa: BLE001 - publish never raises
            self._forget(seq)
            log.exception("realtime bus: failed to send a %s of %s", change.action, change.record.id)
            return
        self._keep(payload)

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
        waiting = self.listening()
        with self._mine_lock:
            self._last_seq = seq
            if self._lagging:
                self._lagging = {number: mark for number, mark in self._lagging.items() if number in waiting}
                waiting = waiting - self._lagging.keys()
            if len(self._mine) >= _MINE_LIMIT:
                for old in sorted(self._mine)[: _MINE_LIMIT // 2]:
                    del self._mine[old]
                    self._settling.pop(old, None)
            self._mine[seq] = change
            if waiting:
                change.settled = threading.Event()
                self._settling[seq] = (change.settled, set(waiting))
        return seq

    def _forget(self, seq: int) -> None:
        with self._mine_lock:
            self._mine.pop(seq, None)
            self._settling.pop(seq, None)

    def listeners_elsewhere(self, local: int) -> bool:
        return bool(self.listening() - {self.number})

    def lagging_nodes(self) -> set[int]:
        """The nodes this node does not wait for (they hang; see the module docstring), of
        those still listening (one that died is not waited for anyway: it is not live)."""
        listening = self.listening()
        with self._mine_lock:
            return self._lagging.keys() & listening

    def acked(self, seq: int, number: int) -> None:
        """Node ``number`` handled this node's change ``seq``."""
        with self._mine_lock:
            mark = self._lagging.get(number)
            if mark is not None and seq >= mark:
                del self._lagging[number]
                log.warning("realtime bus: node %d answers again; waited for again", number)
            found = self._settling.get(seq)
            if found is None:
                return
            done, waiting = found
            waiting.discard(number)
            if waiting:
                return
            del self._settling[seq]
        done.set()

    def settle(self, change: RecordChange, timeout: float) -> bool:
        found = super().settle(change, timeout)
        if not found:
            with self._mine_lock:
                for seq, (done, waiting) in list(self._settling.items()):
                    if done is change.settled:
                        del self._settling[seq]
                        for number in waiting - {self.number}:
                            if number not in self._lagging:
                                self._lagging[number] = self._last_seq
                                log.warning("realtime bus: node %d left a change unanswered; not waited for until it answers", number)
        return found

    def _payload(self, seq: int, change: RecordChange) -> str:
        frame = {"n": self.node, "s": seq, **change.frame()}
        return orjson.dumps(frame, default=str).decode()

    # ---- catching up after a cut ------------------------------------------------------------

    def _keep(self, payload: str) -> None:
        """A change of this node committed: kept for a while for nodes that missed it."""
        now = time.monotonic()
        with self._keep_lock:
            self._kept.append((now, time.time(), payload))
            self._kept_bytes += len(payload)
            while self._kept and (
                now - self._kept[0][0] > KEEP_SECONDS or len(self._kept) > KEEP_LIMIT or self._kept_bytes > KEEP_BYTES
            ):
                when, _wall, old = self._kept.popleft()
                self._kept_bytes -= len(old)
                if now - when <= KEEP_SECONDS:
                    self._kept_dropped = max(self._kept_dropped, when)

    def knows_received(self, within: float) -> bool:
        """Whether this node still knows every change it received in the last ``within`` seconds."""
        with self._keep_lock:
            return within <= KEEP_SECONDS and self._heard_dropped < time.monotonic() - within

    def recent(self, within: float) -> list[list[Any]] | None:
        """This node's changes of the last ``within`` seconds as ``[wall clock, payload]``; None
        when it no longer has them all."""
        since = time.monotonic() - within
        with self._keep_lock:
            if within > KEEP_SECONDS or self._kept_dropped >= since:
                return None
            return [[wall, payload] for when, wall, payload in self._kept if when >= since]

    def _heard_now(self, key: tuple[str, int]) -> bool:
        """Note a change as received; False when it already was."""
        now = time.monotonic()
        with self._keep_lock:
            if key in self._heard:
                return False
            self._heard.add(key)
            self._heard_order.append((now, key))
            while self._heard_order and (now - self._heard_order[0][0] > KEEP_SECONDS * 2 or len(self._heard_order) > KEEP_LIMIT * 2):
                when, old = self._heard_order.popleft()
                self._heard.discard(old)
                if now - when <= KEEP_SECONDS:
                    self._heard_dropped = max(self._heard_dropped, when)
            return True

    def replay(self, entries: list[list[Any]]) -> int:
        """Hand over the changes among ``entries`` (``[wall clock, payload]`` of every node)
        never received here, oldest first; how many."""
        handed = 0
        for _wall, payload in sorted(entries, key=lambda entry: float(entry[0])):
            try:
                frame = orjson.loads(payload)
            except orjson.JSONDecodeError:
                continue
            if self.arrived(frame):
                handed += 1
        return handed

    def arrived(self, frame: dict[str, Any]) -> bool:
        """A change notification (the listener's thread, in commit order); False when it was
        received already (a replay after a cut overlaps what came before and after)."""
        seq = int(frame.get("s") or 0)
        if seq and not self._heard_now((str(frame.get("n", "")), seq)):
            return False
        if self._closed or not self._handlers:
            return True
        change = None
        origin = str(frame.get("n", ""))
        if origin == self.node:
            with self._mine_lock:
                change = self._mine.pop(seq, None)
        if change is None:
            change = RecordChange.from_frame(frame, self.resolve)
            if change is None:
                log.warning("realtime bus: a change of collection %s not resolved here; dropped", frame.get("c"))
                self._handled(origin, seq)
                return True
        change.on_handled = lambda: self._handled(origin, seq)
        self._queue.put(change)
        return True

    def _handled(self, origin: str, seq: int) -> None:
        if origin == self.node:
            self.acked(seq, self.number)
        elif seq:
            # NOTE: from every node, clients or not: the writer may still count one that just
            # lost its last client
            self.send_handled(origin, seq)
