"""``pybase db copy --to postgres://...``: an SQLite app (pb_data/data.db) moved to Postgres.

What is copied, row for row with the same ids: every collection (system ones too: superusers,
MFA, OTP, external auths, auth origins) with its table, columns, indexes and records (password
hashes, token keys, file names), the settings (``_params``, as stored: an encrypted row stays
encrypted) and the migrations history (``_migrations``); with ``logs``, the request and app logs
of ``auxiliary.db`` into the ``_logs`` table the nodes log to on Postgres; the tables made with
SQL (a migration's ``$app.db().newQuery("CREATE TABLE ...")``), their columns typed by SQLite's
affinity, keys, unique constraints, indexes, foreign keys, CHECK constraints, generated columns
and rows (db_copy_tables.py, db_copy_expressions.py); the views made with SQL (translated as view
collections are, counted as they are); a trigger made with SQL is named in a note, not carried
(its body is SQLite's SQL). Record files are not copied: they stay in the app's file storage.

How it stays safe:

- The source is read in one SQLite read transaction: a consistent snapshot, even while a server
  still writes (what it writes afterwards is not copied).
- Everything on Postgres happens in ONE transaction (Postgres's DDL is transactional). Nothing is
  visible, and nothing is left behind, unless the whole copy and its count check succeed.
- The target is checked first: a database that already holds a pybase app is refused unless
  ``force`` (then its pybase tables are dropped and rebuilt, in that same transaction, so a
  failed copy keeps the old data); tables pybase did not create are never dropped: one named
  like a collection of the app (or one of its tables made with SQL) stops the copy. A backup
  restore (``replace_other_tables``) drops them, and the views, types, functions and sequences
  made with SQL (store/pg_objects_restore.py): the database becomes the backup's.
- Tables made with SQL: one that cannot be carried (a virtual table, a name Postgres would
  cut, a CHECK or generated column that cannot be translated, a definition Postgres refuses:
  each CHECK and generated column is tried alone to name the one) is named before any row is
  written, as view collections.
- View collections: their SQLite queries are translated (the dialect's sqlglot transpilation,
  as ``serve`` does) and created on the empty tables before any row is copied; one that
  Postgres refuses is named with its reason and nothing is committed. After the rows are in,
  each view's row count is compared with SQLite's.
- Rows go through ``COPY ... FROM STDIN`` (psycopg), tables in creation order and rows in
  rowid order (so insertion order, which some listings follow, is kept); indexes are built
  after the rows. The count check compares every table's rows on both sides, inside the
  transaction (a mismatch rolls back) and again once committed, from a fresh connection.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pybase.core.collections import Collection
from pybase.core.db_copy_expressions import diagnose
from pybase.core.db_copy_report import CopyError, CopyReport, Progress, TableCount, mismatch_lines
from pybase.core.db_copy_source import (
    TableJob,
    open_aux,
    open_source,
    quote_name,
    source_collections,
    source_columns,
    source_count,
    table_job,
    table_jobs,
)
from pybase.core.db_copy_tables import raw_views, trigger_notes
from pybase.core.db_copy_target import (
    check_indexes,
    copy_rows,
    count_target,
    create_indexes,
    create_views,
    drop_pybase_tables,
    open_target,
    reason,
    target_count,
    target_pybase_tables,
)
from pybase.core.logs.store import logs_table, postgres_logs_table
from pybase.store import pg_objects_restore, pg_tables, schema_sync
from pybase.store.database_url import is_postgres_url
from pybase.store.dialect import dialect_of
from pybase.store.schema import create_system_tables
from pybase.store.sqlite_driver import sqlite3

if TYPE_CHECKING:
    from pybase.store.db_postgres import PostgresDatabase

__all__ = ["CopyError", "CopyReport", "TableCount", "copy_to_postgres"]


def copy_to_postgres(
    data_dir: str,
    url: str,
    *,
    force: bool = False,
    logs: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    database: PostgresDatabase | None = None,
    replace_other_tables: bool = False,
) -> CopyReport:
    """Copy the app in ``data_dir`` to the Postgres database ``url``; see the module docstring.

    Raises CopyError (nothing committed) when the input is wrong, the target is not usable, a
    view or index cannot be carried over, or the counts differ before the commit. ``dry_run``
    does every check, creates the schema and views, then rolls back without copying rows.
    ``database``: the open database of ``url`` to write through (a running app's, for a backup
    restore: its writes queue meanwhile, and a write transaction open on the calling thread
    is joined, so the caller commits); by default one is opened and closed.
    ``replace_other_tables``: the target's tables that are not a pybase app's (made with SQL)
    are dropped too, as the source's replace them (a backup restore: the database becomes the
    backup's, as a restored data.db); by default they are kept and one named like a table of
    the source stops the copy.
    """
    started = time.perf_counter()
    if not is_postgres_url(url):
        scheme = url.split("://", 1)[0] if "://" in url else url
        raise CopyError(f"--to must be a Postgres URL (postgres://user:pass@host:port/db), got {scheme!r}")
    source_path = os.path.join(data_dir, "data.db")
    if not os.path.isfile(source_path):
        raise CopyError(f"no pybase app in {data_dir} ({source_path} not found)")
    report = CopyReport(dry_run=dry_run)
    source = open_source(source_path)
    aux = None
    try:
        source.execute("BEGIN")  # NOTE: one snapshot for every read below (WAL mode)
        try:
            collections = source_collections(source)
        except (sqlite3.Error, ValueError, KeyError) as ex:
            raise CopyError(f"cannot read the collections of {source_path}: {ex}") from ex
        jobs = table_jobs(source, collections, report)
        if logs:
            aux = open_aux(data_dir)
            if aux is None:
                report.notes.append("no auxiliary.db in the data directory: no logs to copy")
            else:
                aux.execute("BEGIN")
                jobs.append(table_job("_logs", logs_table, source_columns(aux, "_logs"), source_db="aux"))
        views = [col for col in collections if col.is_view]
        others = raw_views(source, {view.name for view in views})
        report.notes.extend(trigger_notes(source))
        for job in jobs:
            conn = aux if job.source_db == "aux" else source
            report.tables.append(TableCount(job.name, source_count(conn, job.name)))
        for view in views:
            try:
                report.views.append(TableCount(view.name, source_count(source, view.name)))
            except sqlite3.Error as ex:
                raise CopyError(f"view collection {view.name!r} fails on SQLite itself: {ex}") from ex
        for name, _query in others:
            try:
                report.views.append(TableCount(name, source_count(source, name)))
            except sqlite3.Error as ex:
                raise CopyError(f"view {name!r} (made with SQL) fails on SQLite itself: {ex}") from ex
        target = open_target(url) if database is None else database
        try:
            _copy(
                source, aux, target, collections, jobs, views, others, report,
                force=force, progress=progress, replace_other_tables=replace_other_tables,
            )  # fmt: skip
        finally:
            if database is None:
                target.close()
    finally:
        source.close()
        if aux is not None:
            aux.close()
    report.notes.extend(_file_notes(data_dir, source_path))
    report.seconds = time.perf_counter() - started
    return report


class _DryRun(Exception):
    """Ends the target's transaction of a dry run (rolled back)."""


def _copy(
    source: sqlite3.Connection,
    aux: sqlite3.Connection | None,
    target: PostgresDatabase,
    collections: list[Collection],
    jobs: list[TableJob],
    views: list[Collection],
    others: list[tuple[str, str]],
    report: CopyReport,
    *,
    force: bool,
    progress: Progress | None,
    replace_other_tables: bool,
) -> None:
    by_name = {count.name: count for count in report.tables}
    raw = {job.name: job.definition for job in jobs if job.definition is not None}
    try:
        with target.write() as conn:
            _prepare_target(
                conn, target, jobs, views, report, force=force, replace_other_tables=replace_other_tables,
                other_views=[name for name, _query in others],
            )  # fmt: skip
            for job in jobs:
                if job.collection is not None:
                    schema_sync.create_table(conn, schema_sync.TableSpec(job.name, job.table, []))
            _create_raw_tables(conn, raw)
            check_indexes(conn, collections)
            create_views(conn, views)
            _create_raw_views(conn, others)
            if report.dry_run:
                raise _DryRun()
            for job in jobs:
                reader = aux if job.source_db == "aux" else source
                assert reader is not None
                copy_rows(conn, reader, job, by_name[job.name].source, progress)
                report.rows += by_name[job.name].source
            create_indexes(conn, collections)
            _finish_raw_tables(conn, raw)
            count_target(conn, report)
            if report.mismatches:
                raise CopyError("the row counts differ (nothing was committed):\n" + mismatch_lines(report))
    except _DryRun:
        return
    except DBAPIError as ex:
        raise CopyError(f"the copy failed (nothing was committed): {reason(ex)}") from ex
    # NOTE: the count check again, once committed, as a new connection (a node) sees it.
    with target.read() as conn:
        for count in report.tables + report.views:
            count.target = target_count(conn, count.name)
    try:
        target.optimize()
    except DBAPIError:  # pragma: no cover - statistics only
        pass


def _create_raw_tables(conn: Connection, definitions: dict[str, dict[str, Any]]) -> None:
    """Create the tables made with SQL (empty, no foreign key yet); name every one Postgres
    refuses, before any row is written."""
    problems = []
    for name, definition in definitions.items():
        try:
            with conn.begin_nested():
                pg_tables.create_table(conn, name, definition)
        except DBAPIError as ex:
            # NOTE: which CHECK or generated column it is, when one is
            problems.extend(diagnose(conn, name, definition) or [f"{name}: {reason(ex)}"])
    if problems:
        raise CopyError(
            "tables made with SQL that cannot be carried over to Postgres (nothing was written):\n  " + "\n  ".join(problems)
        )


def _create_raw_views(conn: Connection, views: list[tuple[str, str]]) -> None:
    """Create the views made with SQL (their SQLite queries translated as view collections'
    are), in creation order; name every one Postgres refuses, before any row is written."""
    problems = []
    for name, query in views:
        try:
            with conn.begin_nested():
                schema_sync.create_view(conn, name, query)
                schema_sync.check_view(conn, name)
        except DBAPIError as ex:
            problems.append(f"{name}: {reason(ex)}\n    query: {' '.join(query.split())}")
    if problems:
        raise CopyError(
            "views made with SQL that cannot be carried over to Postgres (nothing was written):\n  " + "\n  ".join(problems)
        )


def _finish_raw_tables(conn: Connection, definitions: dict[str, dict[str, Any]]) -> None:
    """The indexes, foreign keys and key sequences of the tables made with SQL, rows in."""
    try:
        with conn.begin_nested():
            pg_tables.finish_tables(conn, definitions)
    except DBAPIError as ex:
        raise CopyError(
            f"the indexes or foreign keys of the tables made with SQL cannot be built on the copied rows "
            f"(nothing was committed): {reason(ex)}"
        ) from ex


def _prepare_target(
    conn: Connection,
    target: PostgresDatabase,
    jobs: list[TableJob],
    views: list[Collection],
    report: CopyReport,
    *,
    force: bool,
    replace_other_tables: bool = False,
    other_views: list[str] | None = None,
) -> None:
    """Refuse a target in use (or, with ``force``, drop the pybase app there), then create the
    helper functions and the system tables."""
    existing = target.dialect.table_names(conn)
    pybase_views, pybase_tables = target_pybase_tables(conn, existing)
    if replace_other_tables:
        pg_objects_restore.drop_event_triggers(conn)  # NOTE: first of all: none fires on what follows
        pg_objects_restore.drop_views(conn, set(pybase_views))  # NOTE: first: one may read a table dropped below
        others = pg_tables.other_tables(conn, set(pybase_tables) | set(pybase_views))
        if others:
            # NOTE: one statement: Postgres drops the foreign keys between them itself
            pg_tables.run(conn, "DROP TABLE " + ", ".join(quote_name(name) for name in others))
            existing -= set(others)
    wanted = {job.name for job in jobs} | {view.name for view in views} | set(other_views or ())
    foreign = sorted(name for name in wanted & existing if name not in pybase_views + pybase_tables)
    if foreign:
        raise CopyError(
            "the target database has tables pybase did not create, named like this app's: "
            + ", ".join(foreign) + " (drop or rename them, or use another database)"
        )
    if "_collections" in existing and not force:
        count = conn.exec_driver_sql('SELECT count(*) FROM "_collections"').scalar()
        raise CopyError(
            f"the target database already holds a pybase app ({count} collections); "
            "use --force to replace it (its pybase tables are dropped and rebuilt, in one transaction)"
        )
    drop_pybase_tables(conn, pybase_views, pybase_tables)
    if replace_other_tables:
        pg_objects_restore.drop_others(conn)  # NOTE: the types, functions and sequences made with SQL
    if pybase_views or pybase_tables:
        report.notes.append(
            f"--force: replaced {len(pybase_tables)} tables and {len(pybase_views)} views of the pybase app that was there"
        )
    target.install_helpers()  # NOTE: joins this transaction
    create_system_tables(conn)
    if any(job.source_db == "aux" for job in jobs):
        # NOTE: the table the nodes keep their logs in (logs/store.py), with its insertion order
        postgres_logs_table().create(conn, checkfirst=True)
        for sql in dialect_of(conn).extra_table_ddl(quote_name("_logs")):
            conn.exec_driver_sql(sql)


def _file_notes(data_dir: str, source_path: str) -> list[str]:
    """What the user does about the record files, which the copy leaves where they are."""
    s3 = None
    try:
        conn = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM _params WHERE id = 'settings'").fetchone()
        finally:
            conn.close()
        if row and row[0]:
            s3 = bool((orjson.loads(row[0]).get("s3") or {}).get("enabled"))
    except (sqlite3.Error, orjson.JSONDecodeError, AttributeError):
        s3 = None  # NOTE: encrypted settings: unknown
    storage = os.path.join(data_dir, "storage")
    if s3:
        return ["record files are in the S3 bucket of the settings: nothing to move"]
    lines = [
        f"record files were not copied: they stay in {storage}; copy that directory to the "
        "pb_data/storage of the node that serves Postgres (several nodes need S3 storage)"
    ]
    if s3 is None:
        lines.append("the settings are encrypted: start the nodes with the same --encryptionEnv variable")
    return lines
