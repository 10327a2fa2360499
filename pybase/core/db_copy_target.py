"""The target of ``pybase db copy``: the Postgres database (opened, checked for a pybase app,
given its indexes and views, filled through COPY, counted). The backup restore on Postgres uses
the same steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pybase.core.collections import Collection
from pybase.core.db_copy_report import CopyError, CopyReport, Progress
from pybase.core.db_copy_source import TableJob, quote_name, read_batches
from pybase.core.record_search import search_spec
from pybase.core.view_schema import json_fields, stored_view_query
from pybase.store import pg_tables, schema_sync
from pybase.store.database_url import redacted
from pybase.store.dialect import fulltext
from pybase.store.sqlite_driver import sqlite3

if TYPE_CHECKING:
    from pybase.store.db_postgres import PostgresDatabase


def reason(ex: BaseException) -> str:
    """The first line of a database error (its driver's message), for the user."""
    orig = getattr(ex, "orig", None) or ex
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def open_target(url: str) -> PostgresDatabase:
    """The Postgres database at ``url``, reachable; CopyError otherwise."""
    # NOTE: psycopg is imported only here: the backups import this module in every app
    from pybase.store.db_postgres import PostgresDatabase

    try:
        target = PostgresDatabase(url, read_pool_size=2)
        with target.read_engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as ex:
        raise CopyError(f"cannot connect to {redacted(url)}: {reason(ex)}") from ex
    except Exception as ex:  # noqa: BLE001 - a URL the driver cannot even parse
        raise CopyError(f"cannot connect to {redacted(url)}: {ex}") from ex
    return target


def drop_pybase_tables(conn: Connection, views: list[str], tables: list[str]) -> None:
    """Drop a pybase app's views (the later ones first: one may read another), then its tables."""
    for name in reversed(views):
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {quote_name(name)}")
    for name in tables:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote_name(name)}")


def target_pybase_tables(conn: Connection, existing: set[str]) -> tuple[list[str], list[str]]:
    """(views, tables) a pybase app created in the target: its collections and system tables."""
    views: list[str] = []
    tables = [name for name in ("_collections", "_params", "_migrations", "_logs") if name in existing]
    if "_collections" in existing:
        for name, kind in conn.exec_driver_sql('SELECT "name", "type" FROM "_collections" ORDER BY "_rowid_"').all():
            if name in existing:
                (views if kind == "view" else tables).append(name)
    return views, tables


def count_target(conn: Connection, report: CopyReport) -> None:
    """Count the rows of every copied table and view in the target (inside the transaction)."""
    for count in report.tables:
        count.target = target_count(conn, count.name)
    for count in report.views:
        try:
            with conn.begin_nested():
                count.target = target_count(conn, count.name)
        except DBAPIError as ex:
            raise CopyError(
                f"view collection {count.name!r} cannot be carried over: its query fails on the copied rows "
                f"(nothing was committed): {reason(ex)}"
            ) from ex


def target_count(conn: Connection, name: str) -> int:
    """How many rows a target table or view has (the SQL run as is: a ``%`` in a table's name is
    no placeholder)."""
    return int(pg_tables.fetch(conn, f"SELECT count(*) FROM {quote_name(name)}")[0][0] or 0)


def check_indexes(conn: Connection, collections: list[Collection]) -> None:
    """Create each index on the empty tables and take it back: one Postgres refuses is named now."""
    problems = []
    for col in collections:
        if col.is_view:
            continue
        for index in col.parsed_indexes():
            try:
                with conn.begin_nested() as savepoint:
                    schema_sync.create_indexes(conn, schema_sync.TableSpec(col.name, col.table, [index]))
                    savepoint.rollback()
            except Exception as ex:  # noqa: BLE001 - dbutils.IndexRefused or the driver's error
                problems.append(f"collection {col.name!r}, index {index.name}: {reason(ex)}")
    if problems:
        raise CopyError("indexes that cannot be carried over (nothing was written):\n  " + "\n  ".join(problems))


def create_indexes(conn: Connection, collections: list[Collection]) -> None:
    """Build every collection's indexes on the copied rows; CopyError names one that fails.

    NOTE: the full-text indexes too (pybase.core.record_search): they are made again from the
    collections, never copied (the source's FTS5 tables are no data).
    """
    for col in collections:
        if col.is_view:
            continue
        search = search_spec(col)
        if search is not None:
            fulltext.create_search(conn, search)
        for index in col.parsed_indexes():
            try:
                with conn.begin_nested():
                    schema_sync.create_indexes(conn, schema_sync.TableSpec(col.name, col.table, [index]))
            except DBAPIError as ex:
                raise CopyError(
                    f"collection {col.name!r}: the index {index.name} cannot be built on the copied rows "
                    f"(nothing was committed): {reason(ex)}"
                ) from ex


def create_views(conn: Connection, views: list[Collection]) -> None:
    """Create every view collection's view (SQLite's query translated); name each one refused."""
    problems = []
    for view in views:
        try:
            with conn.begin_nested():
                # NOTE: as a view collection saved on Postgres (its id read as text)
                schema_sync.create_view(conn, view.name, stored_view_query(conn, view.view_query), json_fields(view))
                schema_sync.check_view(conn, view.name)
        except DBAPIError as ex:
            problems.append(f"{view.name}: {reason(ex)}\n    query: {' '.join(view.view_query.split())}")
    if problems:
        raise CopyError(
            "view collections that cannot be carried over to Postgres (nothing was written):\n  "
            + "\n  ".join(problems)
        )


def copy_rows(conn: Connection, source: sqlite3.Connection, job: TableJob, total: int, progress: Progress | None) -> None:
    """Copy a job's rows through ``COPY ... FROM STDIN``, telling ``progress`` as batches go."""
    raw = conn.connection.driver_connection
    columns = ", ".join(quote_name(name) for name in job.columns)
    converters = job.converters
    done = 0
    if progress is not None:
        progress(job.name, 0, total)
    import psycopg

    try:
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {quote_name(job.name)} ({columns}) FROM STDIN") as copy:
                for rows in read_batches(source, job):
                    for row in rows:
                        copy.write_row([convert(value) for convert, value in zip(converters, row, strict=True)])
                    done += len(rows)
                    if progress is not None:
                        progress(job.name, min(done, total), total)
    except (psycopg.Error, sqlite3.Error) as ex:
        # NOTE: e.g. a NUL character in a text value, which Postgres text cannot hold
        raise CopyError(f"copying {job.name!r} failed (nothing was committed): {reason(ex)}") from ex
    if progress is not None and done != total:
        progress(job.name, total, total)
