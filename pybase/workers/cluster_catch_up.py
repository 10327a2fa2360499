"""A node catching up on the record changes it missed while its LISTEN connection was cut.

Every node keeps what it sent in the last minute (in memory, see
:mod:`pybase.core.realtime.bus_postgres`). When a node's LISTEN connection comes back, a thread
asks every node for theirs (on a channel of its own, :func:`.cluster_calls.ask_every_node`) and
hands this node's streams those it never received, oldest first, while the changes arriving
meanwhile wait (the listener goes on answering the other nodes, which may be catching up too).
When a node does not answer or no longer has them all (a longer cut), the realtime streams held
at the reconnection are closed instead: the SDK reconnects and subscribes again, and its
PB_CONNECT tells the app to read what it may have missed, as after any dropped connection.
(Keeping changes in a table instead would cost each write ~0.13 ms more: 0.24 -> 0.36 ms for a
one-row transaction in scripts/bench/cluster.py.)

Separate from :mod:`.cluster` (a node's everyday traffic: presence, announcements, calls,
leadership) because it is a protocol of its own: its question and answer, one catch-up at a
time with the changes held meanwhile, and the memory of which nodes were live when a cut began.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pybase.core.realtime.bus_postgres import PostgresBus
from pybase.workers.cluster_calls import ask_every_node
from pybase.workers.cluster_protocol import (
    CALL_SECONDS,
    CATCH_UP_MARGIN_SECONDS,
    GONE_KEPT_SECONDS,
    LEADER_RETRY_SECONDS,
    node_crc,
)

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.cluster")

#: the question a node catching up asks every other node: the changes it sent lately
RECENT_OP = "recent"


def is_catch_up_question(body: Any) -> bool:
    """Whether a question from another node is a catch-up's (answered by :meth:`NodeCatchUp.answer`)."""
    return isinstance(body, dict) and body.get("op") == RECENT_OP


class NodeCatchUp:
    """The catch-ups of one node after cuts of its LISTEN connection; see the module docstring."""

    def __init__(self, app: App, node: str, bus: PostgresBus, call_ids: Iterator[int]) -> None:
        self.app = app
        self.node = node
        self.bus = bus
        self._call_ids = call_ids
        #: changes arriving while this node catches up after a cut (None when it does not),
        #: handed over when the last of its catch-ups (``_catch_ups``: begun, not ended) ends
        self._held: list[dict[str, Any]] | None = None
        self._catch_ups = 0
        self._held_lock = threading.Lock()
        #: one catch-up at a time (see :meth:`_catch_up`)
        self._catch_up_lock = threading.Lock()
        #: the nodes of the lock table (their number): None while there at the last look, else
        #: when first seen gone (a catch-up waits for those live when its cut began)
        self._nodes: dict[int, float | None] = {}
        self._nodes_lock = threading.Lock()

    # ---- which nodes were live when ---------------------------------------------------------

    def saw_live(self, live: set[int], now: float) -> None:
        """The nodes the lock table counts at ``now`` (monotonic); those gone are remembered
        for GONE_KEPT_SECONDS."""
        with self._nodes_lock:
            for number, gone in list(self._nodes.items()):
                if number in live:
                    continue
                if gone is None:
                    self._nodes[number] = now
                elif now - gone > GONE_KEPT_SECONDS:
                    del self._nodes[number]
            self._nodes.update(dict.fromkeys(live))

    def live_since(self, moment: float) -> set[int]:
        """The other nodes live at ``moment`` (monotonic) as far as the lock table said: those
        not seen gone before it (one seen gone after it may only have lost its lock connection
        in the same cut). NOTE: one that stopped after the last look (read every
        LEADER_RETRY_SECONDS) counts too: a catch-up waiting for it closes its streams."""
        with self._nodes_lock:
            found = {number for number, gone in self._nodes.items() if gone is None or gone >= moment}
        return found - {node_crc(self.node)}

    # ---- catching up ------------------------------------------------------------------------

    def begin(self, missed: float) -> None:
        """The LISTEN connection is back: what was sent in the last ``missed`` seconds may never
        have come; a thread catches up on it (the listener's thread)."""
        now = time.monotonic()
        held_then = list(self.app.subscriptions_broker().local_clients().values())
        # NOTE: the nodes live when the cut began answer, even those whose lock connection is
        # not back within the recount (see _catch_up)
        awaited = self.live_since(now - missed)
        with self._held_lock:
            if self._held is None:
                self._held = []
            self._catch_ups += 1
        threading.Thread(
            target=self._catch_up, args=(missed, now, held_then, awaited), name="pybase-cluster-catch-up", daemon=True,
        ).start()

    def hold(self, frame: dict[str, Any]) -> bool:
        """Keep a change that arrived while catching up, for after the older ones; False when
        this node is not catching up (the change is handled now)."""
        with self._held_lock:
            if self._held is None:
                return False
            self._held.append(frame)
            return True

    def answer(self, body: Any) -> Any:
        """Another node's catch-up question: the changes this node sent lately."""
        return self.bus.recent(float(body.get("within") or 0))

    def _catch_up(self, missed: float, reconnected_at: float, clients: list[Any], awaited: set[int]) -> None:
        """Ask every node for what this one missed in a cut and replay it; the last catch-up
        under way hands over the changes held meanwhile.

        NOTE: one at a time, each asking on a channel of its own: a cut during a catch-up begins
        another, whose replay of older changes must come before the held ones (and an answer
        sent late to the one before must not count for it). Waited for, up to CALL_SECONDS: the
        nodes the lock table counts within the recount, and those live when the cut began (a
        lock connection may be back only after the recount). One that hangs or died in the cut
        may have sent changes this node cannot get: its streams are closed.
        """
        caught_up = None
        try:
            with self._catch_up_lock:
                within = missed + CATCH_UP_MARGIN_SECONDS + (time.monotonic() - reconnected_at)
                mine = self.bus.recent(within)
                if mine is not None and self.bus.knows_received(within):
                    # NOTE: settled: right after a cut the lock table may not count every node yet
                    answers = ask_every_node(
                        self.app.db, f"{self.node}r{next(self._call_ids)}", {"op": RECENT_OP, "within": within}, CALL_SECONDS,
                        node=node_crc(self.node), settle=LEADER_RETRY_SECONDS * 1.5, expect=awaited,
                    )
                    if answers is not None and all(isinstance(answer, list) for answer in answers):
                        caught_up = self.bus.replay([*mine, *(entry for answer in answers for entry in answer)])
        except Exception:  # noqa: BLE001 - Postgres away again: the streams are closed
            log.exception("cluster: node %s failed to catch up", self.node)
        try:
            if caught_up is not None:
                log.warning("cluster: node %s caught up on %d change(s) it missed while cut off (%.1f s)", self.node, caught_up, missed)
            else:
                if clients:
                    log.warning("cluster: node %s closes its %d realtime stream(s): changes sent while it was cut off are lost", self.node, len(clients))
                for client in clients:
                    client.discard()
        finally:
            with self._held_lock:
                self._catch_ups -= 1
                if self._catch_ups <= 0:
                    self._catch_ups = 0
                    held, self._held = self._held or [], None
                    for frame in held:
                        try:
                            self.bus.arrived(frame)
                        except Exception:  # noqa: BLE001 - as the listener: one bad change must not stop the others
                            log.exception("cluster: failed to handle a change held while catching up")
