"""Superusers' raw SQL (``POST /api/sql``): run one statement, answer its columns and rows.

After PocketBase's ``apis/sql.go``: a statement starting with a write keyword runs in a write
transaction (here through the single writer, so the write lock of every worker process holds)
and answers the rows it changed; anything else runs on a read connection and answers at most
``max_rows`` rows, each value as text (or null).

NOTE(differences): Python's sqlite3 runs one statement per call, so ``select 1; select 2`` is
refused instead of answering the last statement's rows. A statement that writes without starting
with a write keyword (``WITH ... INSERT``) is refused on SQLite ("attempt to write a readonly
database") instead of writing outside the writer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from pybase.store import statement_limit
from pybase.store.schema_sync import sqlite_error_text
from pybase.tools.gonumbers import g_text
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.app import App

MAX_ROWS = 1000
#: as PocketBase: the statement's own limit, whatever the server's per-request one
MAX_SECONDS = 180.0
WRITE_PREFIXES = ("INSERT", "CREATE", "UPDATE", "DELETE", "DROP", "DETACH", "ALTER", "REPLACE")


class SQLError(Exception):
    """The database refused the statement (the message is the database's, in PocketBase's words)."""


@dataclass
class SQLResult:
    """What ``/api/sql`` answers."""

    exec_time: int = 0  # ms
    affected_rows: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {"execTime": self.exec_time, "affectedRows": self.affected_rows, "columns": self.columns, "rows": self.rows}


def is_write(query: str) -> bool:
    """Whether PocketBase would run ``query`` as a write (a loose check on its first word)."""
    upper = query.upper()
    return not upper.startswith("SELECT") and upper.startswith(WRITE_PREFIXES)


def run_sql(app: App, query: str, max_rows: int = MAX_ROWS) -> SQLResult:
    """Run one statement; :class:`SQLError` when the database refuses it."""
    query = query.strip()
    if not query:
        raise SQLError("empty query")
    result = SQLResult()
    started = time.monotonic()
    try:
        with statement_limit.limited(MAX_SECONDS):
            if is_write(query):
                _write(app, query, result)
            else:
                _read(app, query, result, max_rows)
    except DBAPIError as ex:
        raise SQLError(sqlite_error_text(ex.orig)) from ex
    except Exception as ex:  # noqa: BLE001 - a driver error (sqlite3/psycopg) on the raw cursor
        if type(ex).__module__.split(".")[0] not in ("sqlite3", "psycopg", "_sqlite3", "pysqlite3"):
            raise
        raise SQLError(sqlite_error_text(ex)) from ex
    finally:
        result.exec_time = int((time.monotonic() - started) * 1000)
    return result


def _write(app: App, query: str, result: SQLResult) -> None:
    with app.db.write() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        try:
            if conn.dialect.name != "sqlite":
                _postgres_limit(raw, cur)
            statement_limit.statement_starts()
            changed_before = raw.total_changes if conn.dialect.name == "sqlite" else 0
            cur.execute(query)
            if conn.dialect.name == "sqlite":
                # NOTE: as PocketBase's driver: the rows the last INSERT/UPDATE/DELETE changed;
                # 0 after a statement that changed no row (DDL leaves changes() at the count of
                # an earlier write on this connection, which depends on what ran before).
                if raw.total_changes != changed_before:
                    result.affected_rows = int(cur.execute("SELECT changes()").fetchone()[0])
            else:
                result.affected_rows = max(int(cur.rowcount), 0)
        finally:
            cur.close()
        # NOTE: a statement may have changed collections or settings behind their caches:
        # this process reloads them, other worker processes and cluster nodes are told to.
        app.db.on_commit(_reload_caches(app))
        for announce in app.on_schema_changed:
            announce()


def _postgres_limit(raw: Any, cur: Any) -> bool:
    """Limit the next statement to ``MAX_SECONDS`` on Postgres; True when the caller must
    ``RESET statement_timeout`` afterwards (an autocommit reader, outside a transaction)."""
    # NOTE: SQLite's statements are stopped by statement_limit; Postgres stops its own past
    # statement_timeout (in the writer's transaction: SET LOCAL, gone with it).
    in_transaction = int(raw.info.transaction_status) != 0  # NOTE: psycopg's TransactionStatus.IDLE
    cur.execute(f"SET {'LOCAL ' if in_transaction else ''}statement_timeout = {max(int(MAX_SECONDS * 1000), 1)}")
    return not in_transaction


def _reload_caches(app: App) -> Any:
    def reload() -> None:
        app.registry.reload()
        app.settings_store.reload()

    return reload


def _read(app: App, query: str, result: SQLResult, max_rows: int) -> None:
    with app.db.read() as conn:
        raw = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        reset = False
        types = _sqlite_declared_types(raw, query) if sqlite else {}
        cur = raw.cursor()
        try:
            if sqlite:
                raw.execute("PRAGMA query_only = ON")
            else:
                reset = _postgres_limit(raw, cur)
            statement_limit.statement_starts()
            cur.execute(query)
            description = cur.description or []
            for i, col in enumerate(description):
                type_name = types.get(i, "") if sqlite else _postgres_type(raw, col)
                result.columns.append({"name": col[0], "type": type_name, "nullable": True})
            if description:
                for row in cur.fetchmany(max_rows):
                    result.rows.append([_as_text(v) for v in row])
        finally:
            cur.close()
            if sqlite:
                if raw.in_transaction:
                    raw.rollback()  # NOTE: a BEGIN sent through here must not stay open on a pooled reader
                raw.execute("PRAGMA query_only = OFF")
            elif not getattr(raw, "autocommit", True):
                raw.rollback()
            if reset:
                raw.execute("RESET statement_timeout")


def _sqlite_declared_types(raw: Any, query: str) -> dict[int, str]:
    """The declared type of each selected column (as PocketBase's driver reports them), read
    through a temporary view; none when the statement is not a plain SELECT."""
    if not query.upper().startswith(("SELECT", "WITH")):
        return {}
    name = "_pb_sql_" + random_string(8)
    body = query.rstrip().rstrip(";")
    try:
        raw.execute(f'CREATE TEMP VIEW "{name}" AS {body}')
    except Exception:  # noqa: BLE001 - the statement itself reports its error
        return {}
    try:
        rows = raw.execute(f'PRAGMA temp.table_info("{name}")').fetchall()
    finally:
        raw.execute(f'DROP VIEW IF EXISTS temp."{name}"')
    return {int(r[0]): str(r[2] or "").upper() for r in rows}


def _postgres_type(raw: Any, col: Any) -> str:
    info = raw.adapters.types.get(col.type_code) if hasattr(raw, "adapters") else None
    return str(info.name).upper() if info is not None else ""


def _as_text(value: Any) -> str | None:
    """A value as PocketBase's driver scans it into a string."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def go_float(value: float) -> str:
    """A float as Go's ``strconv.FormatFloat(v, 'g', -1, 64)`` writes it (``3``, ``2.5``, ``1e+06``)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return g_text(value)
