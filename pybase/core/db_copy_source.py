"""The source of ``pybase db copy``: the SQLite app read in one snapshot (collections, the
tables to copy in creation order, their rows in batches)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table

from pybase.core.collections import Collection
from pybase.core.db_copy_report import CopyError, CopyReport
from pybase.core.db_copy_tables import raw_table_names, read_raw_tables
from pybase.core.db_copy_values import converter_for
from pybase.store.schema import collections_table, migrations_table, params_table
from pybase.store.sqlite_driver import sqlite3

#: rows read from SQLite and written to COPY at a time
BATCH_ROWS = 5000


@dataclass
class TableJob:
    """One table to copy: where from, where to, with which value conversions."""

    name: str
    table: Table
    columns: list[str]
    converters: list[Callable[[Any], Any]]
    collection: Collection | None = None
    source_db: str = "data"
    #: a table made with SQL (no collection's): its Postgres definition (store/pg_tables.py)
    definition: dict[str, Any] | None = None
    #: the columns the rows are read in the order of (SQL, quoted), insertion order by default
    order_by: str = "rowid"


def open_source(path: str) -> sqlite3.Connection:
    """The app's data.db, read-only; CopyError unless it is a pybase database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as ex:
        raise CopyError(f"cannot read {path} as a pybase database: {ex}") from ex
    missing = [name for name in ("_collections", "_params", "_migrations") if name not in tables]
    if missing:
        conn.close()
        raise CopyError(f"{path} is not a pybase database (no {', '.join(missing)} table)")
    return conn


def open_aux(data_dir: str) -> sqlite3.Connection | None:
    """The app's auxiliary.db, read-only, when it has a ``_logs`` table."""
    path = os.path.join(data_dir, "auxiliary.db")
    if not os.path.isfile(path):
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "_logs" not in tables:
        conn.close()
        return None
    return conn


class _Row:
    """A sqlite3 row with the ``_mapping`` Collection.from_row reads."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


def source_collections(conn: sqlite3.Connection) -> list[Collection]:
    """Every collection of the source, in creation order."""
    cursor = conn.execute("SELECT * FROM _collections ORDER BY rowid")
    names = [d[0] for d in cursor.description]
    return [Collection.from_row(_Row(dict(zip(names, row, strict=True)))) for row in cursor.fetchall()]


def source_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The column names of a source table."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({quote_name(table)})")}


def table_jobs(conn: sqlite3.Connection, collections: list[Collection], report: CopyReport) -> list[TableJob]:
    """The tables to copy, in an order that creates what others need first; what is missing
    in the source is said before anything happens."""
    existing = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
    }
    jobs = [
        table_job("_params", params_table, source_columns(conn, "_params")),
        table_job("_migrations", migrations_table, source_columns(conn, "_migrations")),
        table_job("_collections", collections_table, source_columns(conn, "_collections")),
    ]
    problems = []
    for col in collections:
        if col.is_view:
            continue
        if col.name not in existing:
            problems.append(f"collection {col.name!r} has no table in the source database")
            continue
        have = source_columns(conn, col.name)
        missing = [name for name in col.table.c.keys() if name not in have]
        if missing:
            problems.append(f"collection {col.name!r}: its table lacks the column(s) {', '.join(missing)}")
            continue
        jobs.append(table_job(col.name, col.table, have, collection=col))
    if problems:
        raise CopyError("the source app is not consistent:\n  " + "\n  ".join(problems))
    copied = {job.name for job in jobs} | {col.name for col in collections if col.is_view}
    for raw in read_raw_tables(conn, raw_table_names(conn, copied)):
        table = Table(raw.name, MetaData(), *(Column(name) for name in raw.columns))
        order = "rowid" if raw.order_by == ["rowid"] else ", ".join(quote_name(c) for c in raw.order_by)
        jobs.append(TableJob(raw.name, table, raw.columns, raw.converters, definition=raw.definition, order_by=order))
        report.notes.extend(raw.notes)
    return jobs


def table_job(name: str, table: Table, source_columns: set[str], *, collection: Collection | None = None, source_db: str = "data") -> TableJob:
    """One table to copy, reading only the columns the source has."""
    # NOTE: a column the source lacks (a system table of an older version) takes its default.
    columns = [c for c in table.columns if c.name in source_columns]
    return TableJob(name, table, [c.name for c in columns], [converter_for(c) for c in columns], collection, source_db)


def source_count(conn: sqlite3.Connection, table: str) -> int:
    """How many rows a source table or view has."""
    return int(conn.execute(f"SELECT count(*) FROM {quote_name(table)}").fetchone()[0])


def quote_name(name: str) -> str:
    """A table or column name quoted for SQL (the same on SQLite and Postgres)."""
    return '"' + name.replace('"', '""') + '"'


def read_batches(conn: sqlite3.Connection, job: TableJob) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a job's table, :data:`BATCH_ROWS` at a time, in insertion order."""
    columns = ", ".join(quote_name(name) for name in job.columns)
    # NOTE: rowid order: the new table's identity column then keeps the insertion order.
    cursor = conn.execute(f"SELECT {columns} FROM {quote_name(job.name)} ORDER BY {job.order_by}")
    while True:
        rows = cursor.fetchmany(BATCH_ROWS)
        if not rows:
            return
        yield rows
