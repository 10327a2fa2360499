"""The data database on Postgres (``--db postgres://...``), with the interface of ``db.Database``.

Reads use pooled connections in autocommit; writes go through one connection per process under
a lock, as on SQLite, so the code above (hooks run inside the write, after-commit callbacks in
commit order) behaves the same. Values come back as the SQLite driver gives them: JSONB as its
text, NUMERIC as float. Statements carry no casts on their parameters (psycopg sends strings
untyped and Postgres reads them as the column they meet, as SQLite's affinity does).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import DBAPIError, IntegrityError

from pybase.store import pg_nul, statement_limit
from pybase.store.database_url import redacted, sqlalchemy_url
from pybase.store.db_base import BaseDatabase, Prepared, WriteTx, reset
from pybase.store.dialect import POSTGRES, POSTGRES_HELPERS, PostgresDialect
from pybase.store.dialect.pg_functions import HELPERS_MARK
from pybase.store.index_sql import INDEX_HELPERS
from pybase.store.pg_liveness import Liveness, cut

log = logging.getLogger("pybase.db")


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    from psycopg.types.numeric import FloatLoader
    from psycopg.types.string import TextLoader

    # NOTE: JSONB read as its text (pybase decodes JSON itself, as on SQLite); NUMERIC as float.
    for name in ("json", "jsonb"):
        dbapi_conn.adapters.register_loader(name, TextLoader)
    dbapi_conn.adapters.register_loader("numeric", FloatLoader)
    # NOTE: a NUL in a text parameter sent escaped (Postgres text holds none): pybase.store.pg_nul
    pg_nul.register(dbapi_conn)


MAX_IDENTIFIER = 63


def _short_identifiers(dialect: Any) -> None:
    """Names past Postgres's 63 bytes (the field resolver's join aliases) shortened with a hash
    of the whole name, so two long names sharing a prefix never collide once truncated."""
    preparer = dialect.identifier_preparer
    quote = preparer.quote

    def short_quote(ident: str, force: Any = None) -> str:
        if len(ident.encode()) > MAX_IDENTIFIER:
            digest = hashlib.sha1(ident.encode()).hexdigest()[:12]
            ident = ident.encode()[: MAX_IDENTIFIER - 13].decode(errors="ignore") + "_" + digest
        return str(quote(ident))

    preparer.quote = short_quote


# the digest of the helper functions' SQL, the body of a function of its own (HELPERS_MARK)
_HELPERS_DIGEST = hashlib.sha256((POSTGRES_HELPERS + INDEX_HELPERS).encode()).hexdigest()[:32]
_HELPERS_MARK_BODY = f"SELECT '{_HELPERS_DIGEST}'"
_HELPERS_MARK = f"\nCREATE OR REPLACE FUNCTION {HELPERS_MARK}() RETURNS text LANGUAGE sql IMMUTABLE AS $${_HELPERS_MARK_BODY}$$;"
_HELPERS_MARK_READ = (
    "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    f"WHERE p.proname = '{HELPERS_MARK}' AND n.nspname = current_schema()"
)


class PostgresDatabase(BaseDatabase):
    """One Postgres database: a read pool, a single writer per process, after-commit callbacks."""

    dialect: PostgresDialect = POSTGRES

    def __init__(self, url: str, *, read_pool_size: int = 16, statement_seconds: float = 0.0) -> None:
        super().__init__()
        self.url = url
        self.path = redacted(url)
        engine_url = sqlalchemy_url(url)
        # NOTE: --queryTimeout as Postgres's statement_timeout on every connection, so a
        # request's runaway write cannot hold the writer either; a write transaction outside a
        # request (migrations, imports, crons) lifts it (_begin), as SQLite runs them unlimited.
        # SQLite's client-gone check has no counterpart here.
        timeout_ms = self.statement_ms = int(max(statement_seconds, 0) * 1000)
        read_args = {"options": f"-c statement_timeout={timeout_ms}"} if timeout_ms else {}
        self.read_engine = create_engine(
            engine_url, pool_size=read_pool_size, max_overflow=48, pool_pre_ping=False, paramstyle="format",
            isolation_level="AUTOCOMMIT", connect_args=read_args,
        )
        self.write_engine = create_engine(
            engine_url, pool_size=1, max_overflow=4, paramstyle="format", connect_args=read_args
        )
        #: connections the server cut are found before use (a restart failed a request each)
        self._liveness = liveness = Liveness()
        for engine in (self.read_engine, self.write_engine):
            # NOTE: no "::VARCHAR" on parameters: an untyped string meets a numeric or boolean
            # column as Postgres casts it, where a typed one fails ("numeric = character varying").
            engine.dialect.bind_typing = BindTyping.NONE
            _short_identifiers(engine.dialect)
            event.listen(engine, "connect", _on_connect)
            liveness.watch(engine)
        cargs, cparams = self.read_engine.dialect.create_connect_args(self.read_engine.url)
        self._readers = _Readers(
            lambda: _connect_reader(cargs, {**cparams, **read_args}),
            self.read_engine.raw_connection,
            liveness,
            dedicated=max(1, min(4, read_pool_size // 4)),
        )
        self.checkpoints = False
        self._helpers_installed = False

    def install_helpers(self) -> None:
        """Create the SQL functions the Postgres renderings of the dialect use (idempotent)."""
        if self._helpers_installed:
            return
        with self.write() as conn:
            # NOTE: one lock per database: nodes starting together do not race on CREATE FUNCTION.
            raw = conn.connection.driver_connection
            raw.execute("SELECT pg_advisory_xact_lock(7246591)")
            # PERF: made again only when this pybase's differ from those the database holds
            # (~250 functions: ~60 ms of Postgres's CPU at every start of every node)
            marked = raw.execute(_HELPERS_MARK_READ).fetchone()
            if marked is None or marked[0] != _HELPERS_MARK_BODY:
                # NOTE: on the driver, without parameters: the functions' text holds "%" signs.
                raw.execute(POSTGRES_HELPERS + INDEX_HELPERS + _HELPERS_MARK)
            # NOTE: SQLite (PocketBase) orders text by its bytes ('B' < 'a', '10' < '_x'); a
            # database whose collation does not (en_US.UTF-8, ICU) sorts and compares text in
            # its own order where pybase does not say COLLATE "C": pybase's columns, filters and
            # sorts do (tests/api/test_postgres_collation.py), a view's own query does not.
            linguistic = raw.execute("SELECT 'a' < 'B' OR '_x' < '10'").fetchone()[0]
        self._helpers_installed = True
        if linguistic:
            log.warning(
                "database %s: its collation does not order text by bytes as SQLite (PocketBase) does: "
                "pybase's filters and sorts compare text by bytes (COLLATE \"C\"), but a view collection's "
                "query and SQL run as written ($app.db()) compare computed text in its order ('a' before 'B'); "
                "create the database with LOCALE 'C' (CREATE DATABASE ... TEMPLATE template0 LOCALE 'C') "
                "for the same answers there",
                self.path,
            )

    # ---- transactions (the plumbing is BaseDatabase.write) --------------------------------

    # PERF: COMMIT and ROLLBACK go straight to the driver connection (psycopg itself sends
    # BEGIN before the transaction's first statement); through SQLAlchemy's Transaction they
    # cost this process ~30 us more a write.

    def _begin(self, tx: WriteTx) -> None:
        if self.statement_ms and not statement_limit.seconds_in_force():
            # NOTE: starts the transaction (psycopg sends BEGIN first); only outside requests.
            try:
                tx.raw.execute("SET LOCAL statement_timeout = 0")
            except psycopg.Error as ex:
                # NOTE: ended as a failed write's (a connection the server cut is dropped, or
                # every later write outside a request, the request logs' too, met it again)
                self._rollback(tx)
                raise _wrapped(ex, "SET LOCAL statement_timeout = 0", None) from ex

    def _commit(self, tx: WriteTx) -> None:
        try:
            tx.raw.commit()
        except psycopg.Error as ex:
            raise _wrapped(ex, "COMMIT", None) from ex
        reset(tx.conn)

    def _rollback(self, tx: WriteTx) -> None:
        raw = tx.raw
        try:
            raw.rollback()
        except psycopg.Error:  # pragma: no cover - the connection is gone
            self._drop_writer()
            return
        if raw.broken:  # pragma: no cover
            self._drop_writer()
            return
        reset(tx.conn)

    def _check_writer(self) -> None:
        # NOTE: polled before every write, however recently used: a cut found before the
        # transaction costs nothing, one met inside it fails the write (its statements are the
        # caller's, never run again), so only a cut in the very moment of a write fails it.
        # PERF: this check costs ~1 us (the poll 0.65 us) where a bare one-INSERT write
        # transaction on a local Postgres took 62 us, a record create's 0.2-0.5 ms (store.notify).
        writer = self._writer
        if writer is not None and cut(writer.connection.driver_connection):
            self._drop_writer()

    def _drop_writer(self) -> None:
        self._liveness.saw_cut()
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.invalidate()
            except DBAPIError:  # pragma: no cover
                pass

    def share_with_processes(self, lock_path: str, *, checkpoints: bool) -> None:
        """Queue this process's writes with other processes' (a file lock before BEGIN)."""
        super().share_with_processes(lock_path, checkpoints=False)

    def optimize(self) -> None:
        """Refresh the planner statistics."""
        with self.read() as conn:
            conn.exec_driver_sql("ANALYZE")

    # ---- prepared statements --------------------------------------------------------------
    # PERF: straight on psycopg connections and cursors, as SQLite's run on the driver: through
    # SQLAlchemy (exec_driver_sql, its pool checkout, its result, begin_nested's compiled
    # SAVEPOINT clauses) a create cost this process ~0.5 ms more (scripts/bench/write_cpu.py).

    def fetch(self, prepared: Prepared, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a prepared SELECT (inside a write transaction, on its connection once the
        transaction has run a statement)."""
        args = prepared.args(params)
        statement_limit.statement_starts()
        tx = getattr(self._local, "tx", None)
        # PERF: before the transaction's first statement, a read on another connection sees
        # what it would see there (READ COMMITTED: each statement takes a fresh snapshot), and
        # the transaction stays unbegun: its first write then needs no savepoint (see run).
        if tx is not None and tx.raw.pgconn.transaction_status != _IDLE:
            cursor = tx.cursor
            if cursor is None:
                cursor = tx.cursor = tx.raw.cursor()
            try:
                cursor.execute(prepared.sql, args)
                return cursor.fetchall()  # type: ignore[no-any-return]
            except psycopg.Error as ex:
                raise _wrapped(ex, prepared.sql, args) from ex
        readers = self._readers
        for attempt in (1, 2):
            raw, cursor, pooled = readers.take()
            try:
                cursor.execute(prepared.sql, args)
                return cursor.fetchall()  # type: ignore[no-any-return]
            except psycopg.Error as ex:
                if not raw.broken:
                    raise _wrapped(ex, prepared.sql, args) from ex
                # NOTE: cut while in use since its last check: once more on another (a read)
                self._liveness.saw_cut()
                if pooled is not None:
                    pooled.invalidate()
                if attempt == 2:
                    raise _wrapped(ex, prepared.sql, args) from ex
            finally:
                readers.give(raw, cursor, pooled)
        raise AssertionError("unreachable")  # pragma: no cover

    def run(self, prepared: Prepared, params: dict[str, Any] | None = None) -> int:
        """Execute a prepared write inside the current write transaction; returns rowcount."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        args = prepared.args(params)
        statement_limit.statement_starts()
        raw = tx.raw
        cursor = tx.cursor
        if cursor is None:
            cursor = tx.cursor = raw.cursor()
        # NOTE: a failed statement (a unique violation the caller turns into a validation
        # error) must leave the transaction usable, as on SQLite: the statement runs under a
        # savepoint, unless it is the transaction's first (then rolling the transaction back
        # undoes exactly that statement; PERF: two round trips fewer for most API writes).
        if raw.pgconn.transaction_status == _IDLE:
            try:
                cursor.execute(prepared.sql, args)
                return int(cursor.rowcount)
            except psycopg.Error as ex:
                try:
                    raw.rollback()
                except psycopg.Error:  # pragma: no cover - the connection is gone
                    pass
                raise _wrapped(ex, prepared.sql, args) from ex
        try:
            cursor.execute(_SAVEPOINT)
        except psycopg.Error as ex:
            raise _wrapped(ex, _SAVEPOINT, None) from ex
        try:
            cursor.execute(prepared.sql, args)
            rowcount = cursor.rowcount
        except psycopg.Error as ex:
            try:
                cursor.execute(_ROLLBACK_TO)
                cursor.execute(_RELEASE)
            except psycopg.Error:  # pragma: no cover - the connection is gone
                pass
            raise _wrapped(ex, prepared.sql, args) from ex
        try:
            cursor.execute(_RELEASE)
        except psycopg.Error as ex:  # pragma: no cover - the connection is gone
            raise _wrapped(ex, _RELEASE, None) from ex
        return int(rowcount)

    def run_many(self, prepared: Prepared, rows: list[tuple[Any, ...]]) -> None:
        """Execute a prepared write once per row, inside the current write transaction."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        statement_limit.statement_starts()
        cursor = tx.cursor
        if cursor is None:
            cursor = tx.cursor = tx.raw.cursor()
        try:
            cursor.executemany(prepared.sql, rows)
        except psycopg.Error as ex:
            raise _wrapped(ex, prepared.sql, rows) from ex

    def release_memory(self) -> None:
        """Nothing to give back: the process keeps a few reader connections of its own, and
        Postgres's memory is the server's."""

    def close(self) -> None:
        """Release every connection."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._readers.close()
            self.read_engine.dispose()
            self.write_engine.dispose()

    # ---- dialect facts ------------------------------------------------------------------

    def is_unique_violation(self, ex: BaseException) -> bool:
        """Whether ``ex`` is a UNIQUE constraint failure."""
        return isinstance(ex, IntegrityError) and self.dialect.is_unique_violation(ex)

    def unique_violation_columns(self, ex: BaseException) -> list[str]:
        """Column names named by a UNIQUE constraint failure."""
        return self.dialect.unique_violation_columns(ex)

    def table_names(self, conn: Connection) -> set[str]:
        """Names of the tables and views in the database."""
        return self.dialect.table_names(conn)


_IDLE = psycopg.pq.TransactionStatus.IDLE
_monotonic = time.monotonic
_SAVEPOINT = "SAVEPOINT pybase_run"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT pybase_run"
_RELEASE = "RELEASE SAVEPOINT pybase_run"


def _wrapped(ex: psycopg.Error, statement: str, params: Any) -> BaseException:
    """A driver error as SQLAlchemy would raise it (IntegrityError, OperationalError...), so
    that callers handle one kind whether a statement ran through SQLAlchemy or not."""
    return DBAPIError.instance(statement, params, ex, psycopg.Error)


def _connect_reader(cargs: list[Any], cparams: dict[str, Any]) -> psycopg.Connection[Any]:
    raw = psycopg.Connection.connect(*cargs, autocommit=True, **cparams)
    _on_connect(raw, None)
    return raw


class _Readers:
    """Autocommit driver connections (each with its cursor) for the prepared reads made outside
    a write: a few of this pool's own, then, when more run at once, the read engine's.

    PERF: on its own connection a prepared read costs this process ~30 us; a checkout from
    SQLAlchemy's pool ~70 us. NOTE: only a few of its own, so that the connections a process
    holds stay about what the read pool allows (Postgres's max_connections is 100 by default).
    """

    def __init__(self, connect: Callable[[], Any], borrow: Callable[[], Any], liveness: Liveness, *, dedicated: int) -> None:
        self._connect = connect
        self._borrow = borrow
        self._liveness = liveness
        self._dedicated = dedicated
        self._opened = 0
        self._lock = threading.Lock()
        #: (connection, its cursor, when it was last given back)
        self._idle: list[tuple[Any, Any, float]] = []

    def take(self) -> tuple[Any, Any, Any]:
        """``(driver connection, cursor, pooled)``; ``pooled`` is the read engine's checkout,
        None for one of this pool's own."""
        while True:
            try:
                raw, cursor, used = self._idle.pop()  # NOTE: atomic under the GIL
            except IndexError:
                break
            if self._liveness.usable(raw, used):
                return raw, cursor, None
            self._forget(raw)
        with self._lock:
            own = self._opened < self._dedicated
            if own:
                self._opened += 1
        if not own:
            pooled = self._borrow()
            raw = pooled.driver_connection
            return raw, raw.cursor(), pooled
        try:
            raw = self._connect()
        except BaseException:
            with self._lock:
                self._opened -= 1
            raise
        return raw, raw.cursor(), None

    def give(self, raw: Any, cursor: Any, pooled: Any) -> None:
        if pooled is not None:
            cursor.close()
            pooled.close()  # NOTE: back to the read engine's pool (a broken one is dropped there)
            return
        if raw.closed or raw.broken:
            self._forget(raw)
            return
        self._idle.append((raw, cursor, _monotonic()))

    def _forget(self, raw: Any) -> None:
        raw.close()
        with self._lock:
            self._opened -= 1

    def close(self) -> None:
        while True:
            try:
                raw, _cursor, _used = self._idle.pop()
            except IndexError:
                return
            self._forget(raw)


def check_connection(url: str) -> None:
    """Connect once (for a clear error at start instead of at the first request)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
