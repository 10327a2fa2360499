"""Database access: pooled read connections and one serialized writer.

Every write goes through :meth:`Database.write`, which holds one process-wide lock around a
single connection and starts ``BEGIN IMMEDIATE``: concurrent requests queue here instead of
failing with "database is locked". Reads use their own pooled connections and, in WAL mode,
never wait for the writer. Everything SQLite-specific lives in this package.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool, StaticPool

log = logging.getLogger("pybase.db")

BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # NOTE: autocommit at the driver level; transactions are begun explicitly by the
    # "begin" listeners below (SQLAlchemy's documented pysqlite recipe).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.execute("PRAGMA cache_size = -16000")
    cur.close()


class Database:
    """One database file: a read pool, a single writer and after-commit callbacks."""

    def __init__(self, path: str, *, read_pool_size: int = 8) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        url = f"sqlite:///{path}"
        connect_args = {"check_same_thread": False}
        self.read_engine: Engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=read_pool_size,
            max_overflow=32,
            connect_args=connect_args,
        )
        self.write_engine: Engine = create_engine(
            url, poolclass=StaticPool, connect_args=connect_args
        )
        for engine, begin_sql in ((self.read_engine, "BEGIN"), (self.write_engine, "BEGIN IMMEDIATE")):
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _make_begin(begin_sql))
        self._write_lock = threading.RLock()
        self._local = threading.local()

    # ---- transactions -------------------------------------------------------------------

    def in_write(self) -> bool:
        """True when the calling thread is inside a write transaction."""
        return getattr(self._local, "tx", None) is not None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; inside a write transaction, that transaction's one."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx.conn
            return
        with self.read_engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Run a block in the single write transaction; nested calls join the outer one."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx.conn
            return
        with self._write_lock:
            tx = _WriteTx(self.write_engine.connect())
            self._local.tx = tx
            try:
                tx.conn.begin()
                yield tx.conn
                tx.conn.commit()
            except BaseException:
                try:
                    tx.conn.rollback()
                finally:
                    self._local.tx = None
                    tx.conn.close()
                for callback in tx.after_rollback:
                    _run_callback(callback)
                raise
            self._local.tx = None
            tx.conn.close()
        for callback in tx.after_commit:
            _run_callback(callback)

    def on_commit(self, callback: Callable[[], Any], on_rollback: Callable[[], Any] | None = None) -> None:
        """Run ``callback`` after the current write commits (at once when none is open)."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            callback()
            return
        tx.after_commit.append(callback)
        if on_rollback is not None:
            tx.after_rollback.append(on_rollback)

    def close(self) -> None:
        """Checkpoint the WAL and release every connection."""
        with self._write_lock:
            self.read_engine.dispose()
            try:
                # NOTE: on the raw driver connection: a checkpoint inside a transaction fails.
                raw = self.write_engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
                finally:
                    raw.close()
            except (OperationalError, sqlite3.Error) as ex:  # pragma: no cover - best effort
                log.warning("WAL checkpoint failed: %s", ex)
            self.write_engine.dispose()

    # ---- dialect facts ------------------------------------------------------------------

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        """Whether ``ex`` is a UNIQUE constraint failure."""
        return isinstance(ex, IntegrityError) and "UNIQUE constraint failed" in str(ex.orig)

    @staticmethod
    def unique_violation_columns(ex: BaseException) -> list[str]:
        """Column names named by a UNIQUE constraint failure."""
        message = str(getattr(ex, "orig", ex))
        _, _, cols = message.partition("UNIQUE constraint failed:")
        return [c.strip().split(".")[-1] for c in cols.split(",") if c.strip()]

    def table_names(self, conn: Connection) -> set[str]:
        """Names of the tables and views in the database."""
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        )
        return {row[0] for row in rows}


class _WriteTx:
    __slots__ = ("conn", "after_commit", "after_rollback")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.after_commit: list[Callable[[], Any]] = []
        self.after_rollback: list[Callable[[], Any]] = []


def _make_begin(sql: str) -> Callable[[Connection], None]:
    def begin(conn: Connection) -> None:
        conn.exec_driver_sql(sql)

    return begin


def _run_callback(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception:
        log.exception("after-transaction callback failed")
