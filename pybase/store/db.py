"""Database access: pooled read connections and one serialized writer.

Every write goes through :meth:`Database.write`, which holds one process-wide lock around a
single connection and starts ``BEGIN IMMEDIATE``: concurrent requests queue here instead of
failing with "database is locked". Reads use their own pooled connections and, in WAL mode,
never wait for the writer. Everything SQLite-specific lives in this package.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool, StaticPool

from pybase.store import statement_limit
from pybase.store.db_base import BaseDatabase, Prepared, WriteTx, reset
from pybase.store.dialect import SQLITE
from pybase.store.sqlite_driver import sqlite3
from pybase.store.statement_limit import uninterrupted

__all__ = ["DB_ERRORS", "Database", "Prepared", "TransactionLostError"]

log = logging.getLogger("pybase.db")

BUSY_TIMEOUT_MS = 10_000
# PERF: the writer never checkpoints the WAL itself: SQLite's automatic checkpoint (every 1,000
# pages) made one write in ~400 take 20 ms or more (copy + fsync) instead of 0.13 ms. A
# background thread does it instead, once the WAL is past this many bytes.
CHECKPOINT_WAL_BYTES = 4 << 20
CHECKPOINT_EVERY_COMMITS = 64  # how often a commit asks the checkpointer to look
JOURNAL_SIZE_LIMIT = 200_000_000
MMAP_BYTES = 256 << 20  # the first 256 MB of a database file are read through mmap
READ_CONNECTIONS_KEPT = 4  # idle read connections kept open (more are opened while needed)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # NOTE: autocommit at the driver level; transactions are begun explicitly by the
    # "begin" listeners below (SQLAlchemy's documented pysqlite recipe).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    # NOTE: as PocketBase: a WAL grown by a huge transaction is cut back after its restart.
    cur.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.execute("PRAGMA cache_size = -16000")
    # PERF: reads come straight from a shared mapping of the file instead of a copy in each
    # connection's page cache (one per thread): after a mixed read load on 10,000 records, two
    # workers held 195 MB instead of 344 MB, and used 20-30% less CPU per filtered or
    # expanded list (scripts/bench/bench.py).
    cur.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    cur.close()
    # NOTE: SQLAlchemy's pysqlite dialect replaces SQLite's floor() with Python's math.floor,
    # which fails on NULL and on text (a view or a query using floor() failed): SQLite's again.
    dbapi_conn.create_function("floor", 1, _sqlite_floor, deterministic=True)


_NUMERIC_TEXT_RE = re.compile(r"[+-]?(?:(\d+)|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)", re.ASCII)


def _sqlite_floor(value: Any) -> Any:
    """SQLite's floor(): an integer as it is, a real rounded down (a real), a text that reads
    as a number as that number, NULL for anything else."""
    if isinstance(value, str):
        found = _NUMERIC_TEXT_RE.fullmatch(value.strip(" \t\n\v\f\r"))
        if found is None:
            return None
        if found.group(1) is not None and -(2**63) <= int(value) < 2**63:
            return int(value)
        value = float(value)
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return value if not math.isfinite(value) or value == math.floor(value) else float(math.floor(value))
    return None


def _statement_starts(*_args: Any) -> None:
    statement_limit.statement_starts()


#: what a failing statement raises, whichever the database: the drivers' own errors (prepared
#: statements on SQLite) or SQLAlchemy's wrappers of them
DB_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, DBAPIError)


class TransactionLostError(OperationalError):
    """SQLite ended the write transaction itself (an interrupted statement rolled it back)."""

    def __init__(self) -> None:
        super().__init__("write transaction", None, sqlite3.OperationalError("the write transaction was rolled back"))


def _shrink(raw: Any) -> None:
    """Free the connection's page cache (it refills as pages are read again)."""
    try:
        raw.execute("PRAGMA shrink_memory")
    except sqlite3.Error:  # pragma: no cover - closed meanwhile (the database closes)
        pass


class _ReadPool:
    """Idle read connections, last returned first lent (LIFO): the busiest stay warm.

    PERF/memory: one connection per thread (waitress's 48 threads, plus SQLAlchemy's own
    per-thread pool) left a worker holding 38-54 connections after a load, each with its schema,
    lookaside and statement cache: ~10 MB of SQLite memory a worker that never came back. A
    statement borrows a connection only while it runs, so a few serve every thread; those past
    ``keep`` are closed when returned. ``list.pop``/``append`` are atomic: no lock on the way.
    """

    def __init__(self, opener: Callable[[], sqlite3.Connection], keep: int) -> None:
        self._opener = opener
        self.keep = keep
        self.idle: list[sqlite3.Connection] = []
        self.closed = False
        self.open = self.peak = 0  # connections open now (lent or idle), and at most (diagnostics)
        self._count_lock = threading.Lock()

    def borrow(self) -> sqlite3.Connection:
        try:
            return self.idle.pop()
        except IndexError:
            raw = self._opener()
            with self._count_lock:
                self.open += 1
                self.peak = max(self.peak, self.open)
            return raw

    def give_back(self, raw: sqlite3.Connection) -> None:
        if self.closed or len(self.idle) >= self.keep:
            self.discard(raw)
            return
        self.idle.append(raw)
        if self.closed:
            self.close()  # NOTE: close() ran between the check and the append

    def take_idle(self) -> list[sqlite3.Connection]:
        """Lend every idle connection at once, the warmest (last returned) first."""
        taken: list[sqlite3.Connection] = []
        while True:
            try:
                taken.append(self.idle.pop())
            except IndexError:
                return taken

    def close(self) -> None:
        self.closed = True
        for raw in self.take_idle():
            self.discard(raw)

    def discard(self, raw: sqlite3.Connection) -> None:
        """Close a lent connection instead of giving it back."""
        with self._count_lock:
            self.open -= 1
        try:
            raw.close()
        except sqlite3.Error:  # pragma: no cover - a statement of another thread holds it
            pass


def _no_autocheckpoint(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint = 0")


class _Checkpointer:
    """Checkpoints the WAL on its own thread and connection, off the writers' path.

    A PASSIVE checkpoint copies most of the WAL back while writes go on. When frames written
    meanwhile keep it from completing, the thread leaves the rest to the writer: the next commit
    runs a second PASSIVE checkpoint on its own connection while it still holds the write lock
    (the few pages left, a millisecond or two), so that the following write restarts the WAL
    from its start instead of growing it. NOTE: the writer does it rather than this thread
    taking the write lock, because a busy writer re-takes an unfair lock first and starved it.
    The thread starts on the first poke, again after close() or a fork, and stops on close() or
    when the Database is garbage-collected.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.wal_path = path + "-wal"
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wanted = threading.Event()
        self._stop = threading.Event()
        #: set by the thread when the writer should finish a checkpoint (read without a lock)
        self.finish_due = False

    def poke(self) -> None:
        """Ask for a look at the WAL's size (cheap; called every few commits)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            with self._lock:
                thread = self._thread
                if thread is None or not thread.is_alive():
                    self._wanted, self._stop = threading.Event(), threading.Event()
                    thread = threading.Thread(
                        target=self._run, args=(self._wanted, self._stop), name="pybase-checkpoint", daemon=True
                    )
                    self._thread = thread
                    thread.start()
        self._wanted.set()

    def finish(self, raw: sqlite3.Connection) -> None:
        """Complete a checkpoint on the writer's connection (the caller holds the write lock)."""
        self.finish_due = False
        try:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as ex:  # pragma: no cover - retried after the next poke
            log.warning("WAL checkpoint failed: %s", ex)

    def _run(self, wanted: threading.Event, stop: threading.Event) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]  # a WAL frame holds one page
            while True:
                wanted.wait()
                wanted.clear()
                if stop.is_set():
                    return
                try:
                    # NOTE: the WAL file may keep its size when SQLite restarts it, so its size
                    # only says a checkpoint may be due...
                    if os.path.getsize(self.wal_path) < CHECKPOINT_WAL_BYTES:
                        continue
                    _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    # ...and the frame count says whether it was.
                    if frames * page_size >= CHECKPOINT_WAL_BYTES and copied < frames:
                        self.finish_due = True
                except (OSError, sqlite3.Error) as ex:  # pragma: no cover - retried on the next poke
                    log.warning("WAL checkpoint failed: %s", ex)
        finally:
            conn.close()

    def close(self, wait: bool = True) -> None:
        """Stop the thread (a later poke starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            self._wanted.set()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(10)


class Database(BaseDatabase):
    """One database file: a read pool, a single writer and after-commit callbacks."""

    #: what differs per database outside query expressions (see pybase.store.dialect)
    dialect = SQLITE

    def __init__(self, path: str, *, read_pool_size: int = READ_CONNECTIONS_KEPT) -> None:
        super().__init__()
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        url = f"sqlite:///{path}"
        connect_args = {"check_same_thread": False}
        # PERF: reads run in autocommit (no BEGIN round trip); WAL gives each statement a
        # consistent snapshot and readers never wait for the writer.
        # NOTE: as many connections as threads read at once, ``read_pool_size`` of them kept
        # (see _ReadPool); the last returned is lent first.
        self.read_engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=read_pool_size,
            max_overflow=-1,
            pool_use_lifo=True,
            connect_args=connect_args,
            module=sqlite3,  # NOTE: the driver of pybase.store.sqlite_driver, not SQLAlchemy's pick
        )
        self.write_engine = create_engine(url, poolclass=StaticPool, connect_args=connect_args, module=sqlite3)
        # Set by close(): statements still running stop (a runaway one would hold the writer).
        self._closing = threading.Event()
        # NOTE: listeners close over parts of self, never self: SQLAlchemy's event registry
        # would keep a dropped Database (and its checkpoint thread) alive.
        closing, local = self._closing, self._local
        for engine in (self.read_engine, self.write_engine):
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "connect", lambda raw, _record: statement_limit.install(raw, closing))
            event.listen(engine, "before_cursor_execute", _statement_starts)
        event.listen(self.write_engine, "before_cursor_execute", lambda *_args: _check_write_tx(local))
        event.listen(self.write_engine, "connect", _no_autocheckpoint)
        self._reads = _ReadPool(self._open_reader, read_pool_size)
        self._checkpointer = _Checkpointer(path)
        # NOTE: a Database dropped without close() must not leave its thread behind.
        weakref.finalize(self, self._checkpointer.close, False)
        self._commits = 0

    # ---- transactions (the plumbing is BaseDatabase.write) --------------------------------

    # PERF: BEGIN/COMMIT go straight to the driver connection both SQLAlchemy and the
    # prepared statements use, so a write costs two round trips, not six.

    # NOTE: transaction control runs beyond the statement limits (statement_limit.uninterrupted).

    def _begin(self, tx: WriteTx) -> None:
        raw = tx.raw
        uninterrupted(lambda: raw.execute("BEGIN IMMEDIATE"))

    def _commit(self, tx: WriteTx) -> None:
        raw = tx.raw
        if not raw.in_transaction:
            raise TransactionLostError()
        uninterrupted(raw.commit)
        reset(tx.conn)

    def _rollback(self, tx: WriteTx) -> None:
        try:
            uninterrupted(tx.raw.rollback)
        finally:
            reset(tx.conn)

    def _committed(self, tx: WriteTx) -> None:
        self._commits += 1
        if self._checkpointer.finish_due:
            self._checkpointer.finish(tx.raw)
        if self.checkpoints and self._commits % CHECKPOINT_EVERY_COMMITS == 0:
            self._checkpointer.poke()

    def optimize(self) -> None:
        """Let the database refresh its query planner statistics (through the writer)."""
        with self.write() as conn:
            conn.exec_driver_sql("PRAGMA optimize")

    # ---- prepared statements (hot paths) -----------------------------------------------

    def fetch(self, prepared: Prepared, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a prepared SELECT (inside a write transaction, on its connection)."""
        args = prepared.args(params)
        statement_limit.statement_starts()
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            _check_write_tx(self._local)
            return tx.raw.execute(prepared.sql, args).fetchall()  # type: ignore[no-any-return]
        reads = self._reads
        raw = reads.borrow()
        try:
            return raw.execute(prepared.sql, args).fetchall()  # type: ignore[no-any-return]
        finally:
            reads.give_back(raw)

    def run(self, prepared: Prepared, params: dict[str, Any] | None = None) -> int:
        """Execute a prepared write inside the current write transaction; returns rowcount."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        args = prepared.args(params)
        statement_limit.statement_starts()
        _check_write_tx(self._local)
        try:
            cursor = tx.raw.execute(prepared.sql, args)
        except sqlite3.IntegrityError as ex:
            # NOTE: the same exception type SQLAlchemy raises, so callers handle one kind.
            raise IntegrityError(prepared.sql, args, ex) from ex
        return int(cursor.rowcount)

    def run_many(self, prepared: Prepared, rows: list[tuple[Any, ...]]) -> None:
        """Execute a prepared write once per row (positional, in ``prepared.names`` order),
        inside the current write transaction."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        statement_limit.statement_starts()
        _check_write_tx(self._local)
        tx.raw.executemany(prepared.sql, rows)

    def release_memory(self) -> None:
        """Close the idle read connections but one per pool and let the rest free their page
        cache (``PRAGMA shrink_memory``): what a burst of requests opened goes with it.

        NOTE: idle connections only: the ones lent now are left alone (a connection is used by
        one thread at a time), and the writer only when no write holds it. Each closed
        connection also unmaps its view of the file. The next burst opens what it needs.
        """
        reads = self._reads
        for i, raw in enumerate(reads.take_idle()):
            if i == 0:
                _shrink(raw)
                reads.give_back(raw)
            else:
                reads.discard(raw)
        pool = self.read_engine.pool
        held = [self.read_engine.raw_connection() for _ in range(pool.checkedin())]
        # NOTE: the kept one goes back last: the pool lends the last returned first, and a
        # detached one's entry goes back empty (lent, it would open a new connection).
        for conn in held[1:]:
            conn.detach()  # NOTE: forgotten by the pool, then closed for good
            conn.close()
        if held:
            _shrink(held[0].driver_connection)
            held[0].close()
        if self._write_lock.acquire(blocking=False):
            try:
                writer = self._writer
                if writer is not None and not self.in_write():
                    _shrink(writer.connection.driver_connection)
            finally:
                self._write_lock.release()

    def _open_reader(self) -> sqlite3.Connection:
        raw = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        _sqlite_pragmas(raw, None)
        statement_limit.install(raw, self._closing)
        return raw

    def close(self) -> None:
        """Checkpoint the WAL and release every connection."""
        self._closing.set()
        self._checkpointer.close()
        with self._write_lock:
            self._closing.clear()  # NOTE: nothing else runs now; the final checkpoint may take long
            self._reads.close()
            self.read_engine.dispose()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
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
            # NOTE: a Database is used again after close() (the CLI's commands close the one the
            # server goes on with; an app stopped and served again): reads keep connections
            # again. Connections lent now go back to the closed pool, which closes them.
            self._reads = _ReadPool(self._open_reader, self._reads.keep)

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


def _check_write_tx(local: threading.local) -> None:
    """Refuse statements in a write transaction that SQLite already rolled back.

    NOTE: an interrupted statement can make SQLite roll back the whole transaction; what runs
    after it would otherwise commit on its own, one statement at a time.
    """
    tx = getattr(local, "tx", None)
    if tx is not None and not tx.raw.in_transaction:
        raise TransactionLostError()
