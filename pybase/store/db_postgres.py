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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import DBAPIError, IntegrityError

from pybase.store import statement_limit
from pybase.store.db import Prepared, _run_callback, _WriteTx
from pybase.store.dialect import POSTGRES, POSTGRES_HELPERS, PostgresDialect

log = logging.getLogger("pybase.db")

POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a Postgres database."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def sqlalchemy_url(url: str) -> str:
    """``postgres://...`` as SQLAlchemy's psycopg 3 URL."""
    _scheme, _, rest = url.partition("://")
    return "postgresql+psycopg://" + rest


def redacted(url: str) -> str:
    """``url`` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    from psycopg.types.numeric import FloatLoader
    from psycopg.types.string import TextLoader

    # NOTE: JSONB read as its text (pybase decodes JSON itself, as on SQLite); NUMERIC as float.
    for name in ("json", "jsonb"):
        dbapi_conn.adapters.register_loader(name, TextLoader)
    dbapi_conn.adapters.register_loader("numeric", FloatLoader)


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


class PostgresDatabase:
    """One Postgres database: a read pool, a single writer per process, after-commit callbacks."""

    dialect: PostgresDialect = POSTGRES

    def __init__(self, url: str, *, read_pool_size: int = 16, statement_seconds: float = 0.0) -> None:
        self.url = url
        self.path = redacted(url)
        engine_url = sqlalchemy_url(url)
        # NOTE: --queryTimeout as Postgres's statement_timeout on the read connections (the
        # requests' queries); SQLite's per-request limit and client-gone check have no
        # counterpart here. Writes (migrations, imports) run unlimited, as on SQLite.
        timeout_ms = int(max(statement_seconds, 0) * 1000)
        read_args = {"options": f"-c statement_timeout={timeout_ms}"} if timeout_ms else {}
        self.read_engine: Engine = create_engine(
            engine_url, pool_size=read_pool_size, max_overflow=48, pool_pre_ping=False, paramstyle="format",
            isolation_level="AUTOCOMMIT", connect_args=read_args,
        )
        self.write_engine: Engine = create_engine(engine_url, pool_size=1, max_overflow=4, paramstyle="format")
        for engine in (self.read_engine, self.write_engine):
            # NOTE: no "::VARCHAR" on parameters: an untyped string meets a numeric or boolean
            # column as Postgres casts it, where a typed one fails ("numeric = character varying").
            engine.dialect.bind_typing = BindTyping.NONE
            _short_identifiers(engine.dialect)
            event.listen(engine, "connect", _on_connect)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer: Connection | None = None
        self.process_lock: Any = None
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
            # NOTE: on the driver, without parameters: the functions' text holds "%" signs.
            raw.execute(POSTGRES_HELPERS)
        self._helpers_installed = True

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
            if self._writer is None:
                self._writer = self.write_engine.connect()
            conn = self._writer
            tx = _WriteTx(conn)
            process_lock = self.process_lock
            if process_lock is not None:
                process_lock.acquire()
            try:
                transaction = conn.begin()
                self._local.tx = tx
                try:
                    yield conn
                    transaction.commit()
                except BaseException:
                    try:
                        transaction.rollback()
                    except DBAPIError:  # pragma: no cover - the connection is gone
                        self._drop_writer()
                    finally:
                        self._local.tx = None
                    for callback in tx.after_rollback:
                        _run_callback(callback)
                    raise
                self._local.tx = None
                for callback in tx.committed_locked:
                    _run_callback(callback)
            finally:
                if process_lock is not None:
                    process_lock.release()
        for callback in tx.after_commit:
            _run_callback(callback)

    def _drop_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.invalidate()
            except DBAPIError:  # pragma: no cover
                pass

    def on_commit_locked(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` right after the current write commits, before the next write begins."""
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

    def share_with_processes(self, lock_path: str, *, checkpoints: bool) -> None:
        """Queue this process's writes with other processes' (a file lock before BEGIN)."""
        from pybase.store.shared import ProcessLock

        self.process_lock = ProcessLock(lock_path)

    def optimize(self) -> None:
        """Refresh the planner statistics."""
        with self.read() as conn:
            conn.exec_driver_sql("ANALYZE")

    # ---- prepared statements --------------------------------------------------------------

    def prepare(self, stmt: Any) -> Prepared:
        """Compile a SQLAlchemy statement once; run it many times with :meth:`fetch`/:meth:`run`."""
        compiled = stmt.compile(dialect=self.read_engine.dialect)
        names = list(compiled.positiontup or [])
        defaults = {key: bind.value for key, bind in compiled.binds.items()}
        columns = [c[0] for c in compiled._result_columns] if getattr(compiled, "_result_columns", None) else []
        return Prepared(str(compiled), names, defaults, columns)

    def fetch(self, prepared: Prepared, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a prepared SELECT (inside a write transaction, on its connection)."""
        args = prepared.args(params)
        statement_limit.statement_starts()
        tx = getattr(self._local, "tx", None)
        try:
            if tx is not None:
                return tx.conn.exec_driver_sql(prepared.sql, args).all()  # type: ignore[return-value]
            with self.read_engine.connect() as conn:
                return conn.exec_driver_sql(prepared.sql, args).all()  # type: ignore[return-value]
        except DBAPIError:
            raise

    def run(self, prepared: Prepared, params: dict[str, Any] | None = None) -> int:
        """Execute a prepared write inside the current write transaction; returns rowcount."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        args = prepared.args(params)
        statement_limit.statement_starts()
        # NOTE: a savepoint, so that a failed statement (a unique violation the caller turns
        # into a validation error) leaves the transaction usable, as on SQLite.
        with tx.conn.begin_nested():
            result = tx.conn.exec_driver_sql(prepared.sql, args)
        return int(result.rowcount)

    def run_many(self, prepared: Prepared, rows: list[tuple[Any, ...]]) -> None:
        """Execute a prepared write once per row, inside the current write transaction."""
        tx = getattr(self._local, "tx", None)
        if tx is None:
            raise RuntimeError("prepared writes need an open write transaction")
        statement_limit.statement_starts()
        tx.conn.exec_driver_sql(prepared.sql, rows)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release every connection."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
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


def check_connection(url: str) -> None:
    """Connect once (for a clear error at start instead of at the first request)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
