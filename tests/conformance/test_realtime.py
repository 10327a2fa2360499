"""Realtime events per caller and topic, identical to PocketBase's (see cases_realtime.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.conformance import cases_realtime
from tests.conformance.harness import Answer, Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends
# NOTE: every case on Postgres too: the cases share one run (one SSE client per case, the same
# writes), so a sample would cost about as much; the run takes ~4-5 s on either database.

CASES = cases_realtime.build_cases()


@pytest.fixture(scope="module")
def realtime_run(pair: Pair) -> cases_realtime.RealtimeRun:
    run = cases_realtime.RealtimeRun(pair)
    if pair.first_time("realtime"):
        run.setup()
    run.run()
    return run


@pytest.mark.parametrize("case", CASES)
def test_realtime_events(realtime_run: cases_realtime.RealtimeRun, case: str) -> None:
    # NOTE: PocketBase sends every message from a goroutine of its own, so two updates of one
    # record reached its subscribers in either order (CI, twice): compared as a set, and
    # pybase's own order checked alone (the user's two renames arrive as written).
    py_events = realtime_run.received["pybase"][case]
    compare_unordered(f"realtime {case}", realtime_run.received["PocketBase"][case], py_events)
    names = [e["data"]["record"]["name"] for e in py_events
             if isinstance(e.get("data"), dict) and isinstance(e["data"].get("record"), dict) and "name" in e["data"]["record"]]
    assert names == [n for n in ("RT user2 renamed", "RT user2") if n in names], names


TX_CASES = cases_realtime.build_tx_cases()


@pytest.fixture(scope="module")
def transaction_run(pair: Pair, realtime_run: cases_realtime.RealtimeRun) -> cases_realtime.TransactionRun:
    """After the main run (its collection and users; its clients closed)."""
    run = cases_realtime.TransactionRun(pair)
    run.run()
    return run


@pytest.mark.parametrize("case", TX_CASES)
def test_realtime_events_of_one_transaction(transaction_run: cases_realtime.TransactionRun, case: str) -> None:
    # NOTE: PocketBase sends a transaction's events from a goroutine each: their order varies
    # from run to run (a delete arrived before its record's update in CI). The events are
    # compared as a set, and pybase's own order is checked alone: per record, commit order.
    compare_unordered(f"realtime transaction {case}", transaction_run.received["PocketBase"][case],
                      transaction_run.received["pybase"][case])


def compare_unordered(name: str, pb_events: list[Any], py_events: list[Any]) -> None:
    """The events compared as a set (PocketBase's order may vary), and pybase's own order
    checked alone: per record, commit order."""
    pb = Answer(200, sorted(pb_events, key=_event_key))
    py = Answer(200, sorted(py_events, key=_event_key))
    explain(name, pb, py, difference(pb, py))
    steps: dict[str, list[int]] = {}
    for event in py_events:
        data = event.get("data") if isinstance(event, dict) else None
        if isinstance(data, dict) and isinstance(data.get("record"), dict):
            steps.setdefault(str(data["record"].get("id")), []).append(_ORDER.get(data.get("action"), 1))
    assert all(seq == sorted(seq) for seq in steps.values()), steps


_ORDER = {"create": 0, "update": 1, "delete": 2}


def _event_key(event: object) -> str:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode()
