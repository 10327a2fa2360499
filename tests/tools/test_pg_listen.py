"""pybase.tools.pg_listen.Listener on a real Postgres: notifications handed over in order, and a
close that ends the listening thread at once (not at the end of its poll)."""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

from pybase.tools import pg_listen
from pybase.tools.pg_listen import Listener, connect


def test_notifications_in_order_and_a_prompt_close(databases: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: a long poll, so a close that waited for its end is told from a prompt one on a
    # loaded machine too
    monkeypatch.setattr(pg_listen, "POLL_SECONDS", 10.0)
    url = databases.server.new_database()
    got: queue.Queue[tuple[str, str]] = queue.Queue()
    listener = Listener(url, ["pybase_a", "pybase_b"], lambda channel, payload: got.put((channel, payload)))
    try:
        with connect(url) as conn:
            for n in range(5):
                conn.execute("SELECT pg_notify(%s, %s)", ("pybase_a" if n % 2 else "pybase_b", str(n)))
        received = [got.get(timeout=10) for _ in range(5)]
        assert received == [("pybase_b", "0"), ("pybase_a", "1"), ("pybase_b", "2"), ("pybase_a", "3"), ("pybase_b", "4")]
    finally:
        time.sleep(0.05)  # NOTE: the thread back in its wait for the next notification
        started = time.monotonic()
        listener.close()
        took = time.monotonic() - started
        databases.drop(url)
    assert not listener.thread.is_alive()
    # PERF: every stop of a server on Postgres waited for the poll (0.25 s on average)
    assert took < 5, took
    assert got.empty(), "the wake-up reached on_notify"
