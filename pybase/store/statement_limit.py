"""Time limits on SQL statements, enforced inside SQLite.

Every connection gets a progress handler that SQLite calls every ``CHECK_EVERY_STEPS`` virtual
machine steps of a running statement. It aborts the statement (``interrupted``) when the
statement has run longer than the limit in force on its thread, when the client of the request
behind it has gone away, or when its database is closing. Requests set their limit with
:func:`limited`; code outside one (migrations, cron jobs, the CLI) runs unlimited.

PERF: the handler runs on the statement's own thread (SQLite calls it synchronously), costs
about 80 ns, and is called every 1,000 steps: below noise on a 1 ms query, and a key lookup
(~30 steps) never reaches it (measured in ../shared/research/query-time-limits.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pybase.store.sqlite_driver import sqlite3

log = logging.getLogger("pybase.db")

DEFAULT_SECONDS = 30.0  # PocketBase's --queryTimeout default
CHECK_EVERY_STEPS = 1000

_monotonic = time.monotonic


class _Limit(threading.local):
    """The limit in force on one thread."""

    seconds = 0.0  # 0: unlimited
    #: transaction control running (BEGIN, COMMIT, ROLLBACK): never stopped
    control = False
    started = 0.0  # when the running statement began
    client_gone: Callable[[], bool] | None = None


_limit = _Limit()


def install(raw: sqlite3.Connection, closing: threading.Event) -> None:
    """Put the time-limit check on a new connection; ``closing`` stops all its statements."""
    limit = _limit
    monotonic = time.monotonic
    is_closing = closing.is_set

    def check() -> int:
        # NOTE: SQLite's progress callback: non-zero aborts the running statement (once).
        if limit.control:
            return 0
        seconds = limit.seconds
        if seconds:
            if monotonic() - limit.started > seconds:
                log.warning("SQL statement stopped: it ran past the %g s limit", seconds)
                return 1
            gone = limit.client_gone
            if gone is not None and gone():
                log.warning("SQL statement stopped: its client went away")
                return 1
        if is_closing():
            log.warning("SQL statement stopped: the database is closing")
            return 1
        return 0

    raw.set_progress_handler(check, CHECK_EVERY_STEPS)


def seconds_in_force() -> float:
    """The limit on this thread's statements (0: unlimited, outside a request)."""
    return _limit.seconds


def statement_starts() -> None:
    """Mark the start of a statement on this thread (its limit counts from here)."""
    _limit.started = _monotonic()


def begin(seconds: float, client_gone: Callable[[], bool] | None = None) -> tuple[Any, ...]:
    """Limit each statement of this thread to ``seconds`` (0: none) and stop it if the client
    leaves; returns what :func:`end` restores."""
    limit = _limit
    previous = (limit.seconds, limit.client_gone)
    limit.seconds, limit.client_gone = max(float(seconds), 0.0), client_gone
    limit.started = _monotonic()
    return previous


def end(previous: tuple[Any, ...]) -> None:
    """Restore the limit :func:`begin` replaced."""
    _limit.seconds, _limit.client_gone = previous


@contextmanager
def limited(seconds: float, client_gone: Callable[[], bool] | None = None) -> Iterator[None]:
    """Run a block with each statement limited to ``seconds`` and stopped if the client leaves."""
    previous = begin(seconds, client_gone)
    try:
        yield
    finally:
        end(previous)


def uninterrupted(call: Callable[[], Any]) -> Any:
    """Run transaction control (``BEGIN IMMEDIATE``, ``COMMIT``, ``ROLLBACK``) beyond every
    limit. SQLite counts the steps between two checks over a prepared statement's runs (the
    driver keeps BEGIN IMMEDIATE prepared), so now and then it checks during one of these: an interrupted BEGIN IMMEDIATE can leave its transaction open,
    an interrupted ROLLBACK does; either keeps SQLite's write lock after this process let go of
    its own (other processes: "database is locked")."""
    limit = _limit
    if limit.control:
        return call()
    limit.control = True
    try:
        return call()
    finally:
        limit.control = False


def is_interrupted(ex: BaseException) -> bool:
    """Whether ``ex`` (sqlite3's or SQLAlchemy's) is a statement this module stopped."""
    orig: Any = getattr(ex, "orig", ex)
    # NOTE: Postgres stops a statement past its statement_timeout itself (query_canceled).
    return isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted" or (
        getattr(orig, "sqlstate", None) == "57014"
    )
