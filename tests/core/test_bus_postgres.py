"""PostgresBus's bookkeeping of the nodes it waits for (pybase/core/realtime/bus_postgres.py),
without a database: changes are remembered as a publish remembers them, settled or not."""

from __future__ import annotations

from pybase.core.realtime.bus import RecordChange
from pybase.core.realtime.bus_postgres import PostgresBus


def _bus(listening: set[int]) -> PostgresBus:
    bus = PostgresBus(None, "node-a", lambda _collection, _row: None)
    bus.number = 1
    bus.listening = lambda: set(listening)
    return bus


def _unanswered(bus: PostgresBus) -> RecordChange:
    """A change of this node that nobody answers within its wait (the nodes that hang lag)."""
    change = RecordChange("create", None)  # type: ignore[arg-type]
    bus._remember(change)
    assert bus.settle(change, 0.01) is False
    return change


def test_a_lagging_node_that_stopped_listening_is_not_counted() -> None:
    """call_all waits for live nodes minus the lagging ones: a lagging node that died (no longer
    listening) must not be subtracted, or a live node is not waited for (or not even asked)."""
    listening = {1, 2, 3}
    bus = _bus(listening)
    _unanswered(bus)
    assert bus.lagging_nodes() == {2, 3}  # they hang
    listening.discard(2)  # node 2 died: its lock is gone
    assert bus.lagging_nodes() == {3}
    listening.discard(3)
    assert bus.lagging_nodes() == set()


def test_a_lagging_node_that_answers_is_waited_for_again() -> None:
    bus = _bus({1, 2})
    _unanswered(bus)
    assert bus.lagging_nodes() == {2}
    bus.acked(1, 2)
    assert bus.lagging_nodes() == set()
