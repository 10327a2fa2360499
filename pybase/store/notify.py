"""NOTIFY with payloads of any size (several nodes on one Postgres).

Postgres refuses a NOTIFY payload of 8000 bytes or more. A message up to :data:`INLINE_LIMIT`
bytes goes in the notification itself; a longer one is written to :data:`SPILL_TABLE` in the
same transaction and the notification carries ``@<row id>`` (the row is visible to the
listeners once the notification is, since both come with the commit). Rows older than
:data:`KEEP_SECONDS` are pruned by the writers as they add new ones.

PERF: scripts/bench/cluster.py, on this 2-core machine: a one-row write transaction takes
0.2-0.5 ms, ~0.2-0.7 ms more with an inline NOTIFY, about as much more with a spilled one (an
INSERT for the writer, a SELECT by key for each listening node). Most record changes are a few
hundred bytes and travel inline; only large rows (long text, big JSON) pay the spill.
"""

from __future__ import annotations

import itertools
from typing import Any

INLINE_LIMIT = 7900  # bytes; Postgres's limit is 8000 including the channel name
SPILL_TABLE = "_pybase_notify_spill"
KEEP_SECONDS = 300
_PRUNE_EVERY = 200
_spills = itertools.count(1)


def create_spill_table(conn: Any) -> None:
    """Create :data:`SPILL_TABLE` (idempotent; ``conn`` in a write transaction)."""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7246592)")
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {SPILL_TABLE} (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, "
        "created TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


def notify(conn: Any, channel: str, payload: str) -> None:
    """Send ``payload`` on ``channel`` through ``conn`` (delivered when its transaction commits;
    at once on an autocommit connection)."""
    if len(payload.encode()) <= INLINE_LIMIT:
        conn.exec_driver_sql("SELECT pg_notify(%s, %s)", (channel, payload))
        return
    row = conn.exec_driver_sql(f"INSERT INTO {SPILL_TABLE} (payload) VALUES (%s) RETURNING id", (payload,)).scalar()
    conn.exec_driver_sql("SELECT pg_notify(%s, %s)", (channel, f"@{row}"))
    if next(_spills) % _PRUNE_EVERY == 0:
        conn.exec_driver_sql(f"DELETE FROM {SPILL_TABLE} WHERE created < now() - interval '{KEEP_SECONDS} seconds'")


def received(conn: Any, payload: str) -> str | None:
    """A notification's message: itself, or the spilled row it names (read through ``conn``);
    None when that row is gone."""
    if not payload.startswith("@"):
        return payload
    row = conn.exec_driver_sql(f"SELECT payload FROM {SPILL_TABLE} WHERE id = %s", (int(payload[1:]),)).fetchone()
    return None if row is None else str(row[0])
