"""What both data databases (SQLite, Postgres) share: the write transaction's plumbing.

One writer connection per process under a lock; nested ``write()`` calls join the open
transaction; callbacks run right before it commits (inside it), after it commits (or rolls
back), and some right after the commit, still under the locks, in commit order. A database
says only how it begins, commits and rolls back a transaction on its driver connection (and
what follows a commit), see :class:`BaseDatabase`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

log = logging.getLogger("pybase.db")


class WriteTx:
    """The open write transaction of a thread: its connections and its callbacks."""

    __slots__ = (
        "conn", "raw", "cursor", "before_commit", "after_commit", "after_rollback", "committed_locked", "last", "state",
    )

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        #: the driver connection under ``conn`` (statements compiled once run straight on it)
        self.raw: Any = conn.connection.driver_connection
        #: a driver cursor kept for the transaction (made on first use by the database)
        self.cursor: Any = None
        self.before_commit: list[Callable[[], Any]] = []
        self.after_commit: list[Callable[[], Any]] = []
        self.after_rollback: list[Callable[[], Any]] = []
        self.committed_locked: list[Callable[[], Any]] = []
        #: after every after-commit callback (what waits for the others' effects)
        self.last: list[Callable[[], Any]] = []
        #: what the transaction's users keep for it (by key), gone with it
        self.state: dict[str, Any] = {}


class BaseDatabase:
    """The transaction plumbing of a data database; subclasses set the engines and say how a
    transaction begins, commits and rolls back (``_begin``, ``_commit``, ``_rollback``) and
    what follows a commit under the write lock (``_committed``)."""

    read_engine: Engine
    write_engine: Engine

    def __init__(self) -> None:
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer: Connection | None = None
        #: set by share_with_processes(): writes of other processes queue on it
        self.process_lock: Any = None
        #: whether this process runs the database's housekeeping (SQLite's WAL checkpoints)
        self.checkpoints = True

    # ---- what a database says ------------------------------------------------------------

    def _begin(self, tx: WriteTx) -> None:
        raise NotImplementedError

    def _commit(self, tx: WriteTx) -> None:
        raise NotImplementedError

    def _rollback(self, tx: WriteTx) -> None:
        """Roll back (never raises for a connection gone: the next write opens another)."""
        raise NotImplementedError

    def _committed(self, tx: WriteTx) -> None:
        """After a commit and its locked callbacks, still under the write lock."""

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
            self._check_writer()
            conn = self._writer
            if conn is None:
                conn = self._writer = self.write_engine.connect()
            tx = WriteTx(conn)
            process_lock = self.process_lock
            if process_lock is not None:
                process_lock.acquire()
            try:
                self._begin(tx)
                self._local.tx = tx
                try:
                    yield conn
                    # NOTE: by index: a callback may add others (they run too)
                    index = 0
                    while index < len(tx.before_commit):
                        tx.before_commit[index]()
                        index += 1
                    self._commit(tx)
                except BaseException:
                    try:
                        self._rollback(tx)
                    finally:
                        self._local.tx = None
                    for callback in tx.after_rollback:
                        run_callback(callback)
                    raise
                self._local.tx = None
                # NOTE: still under the locks: what must follow commits in their order (the
                # realtime bus, shared counters) happens before the next write can begin.
                for callback in tx.committed_locked:
                    run_callback(callback)
                self._committed(tx)
            finally:
                if process_lock is not None:
                    process_lock.release()
        for callback in tx.after_commit:
            run_callback(callback)
        for callback in tx.last:
            run_callback(callback)

    def _check_writer(self) -> None:
        """Drop the kept writer connection when it can no longer serve (Postgres: the server
        cut it); a new one is opened."""

    def on_before_commit(self, callback: Callable[[], Any]) -> bool:
        """Run ``callback`` inside the current write transaction, right before it commits (it
        may write; an error rolls the transaction back); False when none is open."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            return False
        tx.before_commit.append(callback)
        return True

    def transaction_state(self) -> dict[str, Any] | None:
        """A dict kept for the current write transaction (None when none is open)."""
        tx = getattr(self._local, "tx", None)
        return None if tx is None else tx.state

    def on_commit_locked(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` right after the current write commits, before the next write can
        begin (in commit order, across processes too). It must be quick and must not write."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            callback()
            return
        tx.committed_locked.append(callback)

    def on_commit(self, callback: Callable[[], Any], on_rollback: Callable[[], Any] | None = None) -> None:
        """Run ``callback`` after the current write commits (at once when none is open)."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            callback()
            return
        tx.after_commit.append(callback)
        if on_rollback is not None:
            tx.after_rollback.append(on_rollback)

    def on_commit_last(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` after the current write commits, once every :meth:`on_commit`
        callback ran (at once when none is open)."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            callback()
            return
        tx.last.append(callback)

    def share_with_processes(self, lock_path: str, *, checkpoints: bool) -> None:
        """Queue this process's writes with other processes' (a file lock before BEGIN);
        ``checkpoints``: whether this process runs the housekeeping (one process should)."""
        from pybase.store.shared import ProcessLock

        self.process_lock = ProcessLock(lock_path)
        self.checkpoints = checkpoints

    # ---- prepared statements (hot paths) -----------------------------------------------

    def prepare(self, stmt: Any) -> Prepared:
        """Compile a SQLAlchemy statement once; run it many times with ``fetch``/``run``."""
        compiled = stmt.compile(dialect=self.read_engine.dialect)
        names = list(compiled.positiontup or [])
        defaults = {key: bind.value for key, bind in compiled.binds.items()}
        # NOTE: values compiled in go to the driver as SQLAlchemy would send them (a bool as
        # 1/0 on SQLite, a date as text...); values given at run time are the caller's to shape.
        for key, process in compiled._bind_processors.items():
            if defaults.get(key) is not None:
                defaults[key] = process(defaults[key])
        columns = [c[0] for c in compiled._result_columns] if getattr(compiled, "_result_columns", None) else []
        return Prepared(str(compiled), names, defaults, columns)


class Prepared:
    """A statement compiled once: SQL text plus the order of its bound parameters."""

    __slots__ = ("sql", "names", "defaults", "columns")

    def __init__(self, sql: str, names: list[str], defaults: dict[str, Any], columns: list[str]) -> None:
        self.sql = sql
        self.names = names
        self.defaults = defaults
        self.columns = columns

    def args(self, params: dict[str, Any] | None) -> tuple[Any, ...]:
        """Positional arguments for the driver, from named ``params`` and compiled defaults."""
        if params is None:
            return tuple(self.defaults[n] for n in self.names)
        defaults = self.defaults
        return tuple(params[n] if n in params else defaults[n] for n in self.names)


def reset(conn: Connection) -> None:
    """End SQLAlchemy's own bookkeeping transaction after the driver's was committed or rolled
    back on the driver connection (this issues nothing to the database)."""
    if conn.in_transaction():
        conn.rollback()


def run_callback(callback: Callable[[], Any]) -> None:
    """Run an after-transaction callback; a failure is logged, never raised."""
    try:
        callback()
    except Exception:
        log.exception("after-transaction callback failed")
