"""Postgres connections the server cut (a restart, a failover, an idle-connection kill), found
before a request uses them.

A server that ends a connection sends its farewell (a FATAL error) and closes it; the client
learns of it at its next statement, which fails. Without a check, every pooled connection of a
process failed one request after a restart. An idle connection has nothing to read, so a
readable socket means it was cut: a poll of the socket (no round trip) before a connection is
used again finds it, and a new one is opened instead.

PERF: the poll costs ~1 us, so a reading connection used within :data:`IDLE_SECONDS` is taken
as it is, unless a cut was seen since (then every connection older than it is polled once more):
a read meeting a cut runs again on another connection. The writer is polled before every write
transaction (``PostgresDatabase._check_writer``): a write cannot run again.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_SECONDS = 1.0

_monotonic = time.monotonic


def cut(raw: Any) -> bool:
    """Whether the idle psycopg connection ``raw`` was closed by the server (or is broken)."""
    if raw.closed or raw.broken:
        return True
    try:
        poll = select.poll()
        poll.register(raw.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poll.poll(0))
    except (OSError, ValueError):
        return True


class Liveness:
    """When a cut was last seen on a database's connections, and the checks that use it."""

    def __init__(self) -> None:
        self.cut_seen = 0.0

    def saw_cut(self) -> None:
        """A connection was found cut: the others last used before now are polled too."""
        self.cut_seen = _monotonic()

    def usable(self, raw: Any, used: float) -> bool:
        """Whether ``raw``, last used at ``used`` (monotonic), can serve (polled when it was
        idle a while or a cut was seen since)."""
        if _monotonic() - used < IDLE_SECONDS and used > self.cut_seen:
            return True
        if cut(raw):
            self.saw_cut()
            return False
        return True

    def watch(self, engine: Engine) -> None:
        """Check the connections ``engine``'s pool lends: a cut one is replaced (SQLAlchemy
        opens another when a checkout raises DisconnectionError)."""

        def checkout(raw: Any, record: Any, _proxy: Any) -> None:
            if not self.usable(raw, record.info.get("pybase_used", 0.0)):
                raise DisconnectionError("the server closed the connection")

        def checkin(_raw: Any, record: Any) -> None:
            record.info["pybase_used"] = _monotonic()

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
