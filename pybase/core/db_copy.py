"""``pybase db copy --to postgres://...``: an SQLite app (pb_data/data.db) moved to Postgres.

What is copied, row for row with the same ids: every collection (system ones too: superusers,
MFA, OTP, external auths, auth origins) with its table, columns, indexes and records (password
hashes, token keys, file names), the settings (``_params``, as stored: an encrypted row stays
encrypted) and the migrations history (``_migrations``); with ``logs``, the request and app logs
of ``auxiliary.db`` into the ``_logs`` table the nodes log to on Postgres. Record files are not
copied: they stay in the app's file storage.

How it stays safe:

- The source is read in one SQLite read transaction: a consistent snapshot, even while a server
  still writes (what it writes afterwards is not copied).
- Everything on Postgres happens in ONE transaction (Postgres's DDL is transactional). Nothing is
  visible, and nothing is left behind, unless the whole copy and its count check succeed.
- The target is checked first: a database that already holds a pybase app is refused unless
  ``force`` (then its pybase tables are dropped and rebuilt, in that same transaction, so a
  failed copy keeps the old data); tables pybase did not create are never dropped: one named
  like a collection of the app stops the copy.
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
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Boolean, Column, Connection, Float, Integer, Numeric, Table
from sqlalchemy.exc import DBAPIError

from pybase.core.collections import Collection
from pybase.core.logs.store import logs_table, postgres_logs_table
from pybase.store import schema_sync
from pybase.store.database_url import is_postgres_url, redacted
from pybase.store.dialect import JSONText, dialect_of
from pybase.store.schema import (
    collections_table,
    create_system_tables,
    migrations_table,
    params_table,
)

if TYPE_CHECKING:
    from pybase.store.db_postgres import PostgresDatabase

#: rows read from SQLite and written to COPY at a time
BATCH_ROWS = 5000

Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot be made or failed; the message says why (nothing was committed)."""


@dataclass
class TableCount:
    """Rows of one table (or view) on both sides."""

    name: str
    source: int
    target: int = -1

    @property
    def ok(self) -> bool:
        """Whether both sides hold as many rows."""
        return self.source == self.target


@dataclass
class CopyReport:
    """What a copy did: counts per table, views, what was left out, and how long it took."""

    tables: list[TableCount] = field(default_factory=list)
    views: list[TableCount] = field(default_factory=list)
    #: source tables that are not part of a pybase app (not collections): left out
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def mismatches(self) -> list[TableCount]:
        """Tables and views whose counts differ."""
        return [count for count in self.tables + self.views if not count.ok]


@dataclass
class _TableJob:
    """One table to copy: where from, where to, with which value conversions."""

    name: str
    table: Table
    columns: list[str]
    converters: list[Callable[[Any], Any]]
    collection: Collection | None = None
    source_db: str = "data"


def copy_to_postgres(
    data_dir: str,
    url: str,
    *,
    force: bool = False,
    logs: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    database: PostgresDatabase | None = None,
) -> CopyReport:
    """Copy the app in ``data_dir`` to the Postgres database ``url``; see the module docstring.

    Raises CopyError (nothing committed) when the input is wrong, the target is not usable, a
    view or index cannot be carried over, or the counts differ before the commit. ``dry_run``
    does every check, creates the schema and views, then rolls back without copying rows.
    ``database``: the open database of ``url`` to write through (a running app's, for a backup
    restore: its writes queue meanwhile, and a write transaction open on the calling thread
    is joined, so the caller commits); by default one is opened and closed.
    """
    started = time.perf_counter()
    if not is_postgres_url(url):
        scheme = url.split("://", 1)[0] if "://" in url else url
        raise CopyError(f"--to must be a Postgres URL (postgres://user:pass@host:port/db), got {scheme!r}")
    source_path = os.path.join(data_dir, "data.db")
    if not os.path.isfile(source_path):
        raise CopyError(f"no pybase app in {data_dir} ({source_path} not found)")
    report = CopyReport(dry_run=dry_run)
    source = _open_source(source_path)
    aux = None
    try:
        source.execute("BEGIN")  # NOTE: one snapshot for every read below (WAL mode)
        try:
            collections = _source_collections(source)
        except (sqlite3.Error, ValueError, KeyError) as ex:
            raise CopyError(f"cannot read the collections of {source_path}: {ex}") from ex
        jobs = _jobs(source, collections, report)
        if logs:
            aux = _open_aux(data_dir)
            if aux is None:
                report.notes.append("no auxiliary.db in the data directory: no logs to copy")
            else:
                aux.execute("BEGIN")
                jobs.append(_job("_logs", logs_table, _source_columns(aux, "_logs"), source_db="aux"))
        views = [col for col in collections if col.is_view]
        for job in jobs:
            conn = aux if job.source_db == "aux" else source
            report.tables.append(TableCount(job.name, _count(conn, job.name)))
        for view in views:
            try:
                report.views.append(TableCount(view.name, _count(source, view.name)))
            except sqlite3.Error as ex:
                raise CopyError(f"view collection {view.name!r} fails on SQLite itself: {ex}") from ex
        target = _open_target(url) if database is None else database
        try:
            _copy(source, aux, target, collections, jobs, views, report, force=force, progress=progress)
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


# ---- source ---------------------------------------------------------------------------------


def _open_source(path: str) -> sqlite3.Connection:
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


def _open_aux(data_dir: str) -> sqlite3.Connection | None:
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


def _source_collections(conn: sqlite3.Connection) -> list[Collection]:
    cursor = conn.execute("SELECT * FROM _collections ORDER BY rowid")
    names = [d[0] for d in cursor.description]
    return [Collection.from_row(_Row(dict(zip(names, row, strict=True)))) for row in cursor.fetchall()]


def _source_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}


def _jobs(conn: sqlite3.Connection, collections: list[Collection], report: CopyReport) -> list[_TableJob]:
    """The tables to copy, in an order that creates what others need first; what is missing
    in the source is said before anything happens."""
    existing = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
    }
    jobs = [
        _job("_params", params_table, _source_columns(conn, "_params")),
        _job("_migrations", migrations_table, _source_columns(conn, "_migrations")),
        _job("_collections", collections_table, _source_columns(conn, "_collections")),
    ]
    problems = []
    for col in collections:
        if col.is_view:
            continue
        if col.name not in existing:
            problems.append(f"collection {col.name!r} has no table in the source database")
            continue
        have = _source_columns(conn, col.name)
        missing = [name for name in col.table.c.keys() if name not in have]
        if missing:
            problems.append(f"collection {col.name!r}: its table lacks the column(s) {', '.join(missing)}")
            continue
        jobs.append(_job(col.name, col.table, have, collection=col))
    if problems:
        raise CopyError("the source app is not consistent:\n  " + "\n  ".join(problems))
    copied = {job.name for job in jobs} | {col.name for col in collections if col.is_view}
    report.skipped = sorted(name for name in existing - copied if not name.startswith("_pb_"))
    return jobs


def _job(name: str, table: Table, source_columns: set[str], *, collection: Collection | None = None, source_db: str = "data") -> _TableJob:
    # NOTE: a column the source lacks (a system table of an older version) takes its default.
    columns = [c for c in table.columns if c.name in source_columns]
    return _TableJob(name, table, [c.name for c in columns], [_converter(c) for c in columns], collection, source_db)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read(conn: sqlite3.Connection, job: _TableJob) -> Iterator[list[tuple[Any, ...]]]:
    columns = ", ".join(_quote(name) for name in job.columns)
    # NOTE: rowid order: the new table's identity column then keeps the insertion order.
    cursor = conn.execute(f"SELECT {columns} FROM {_quote(job.name)} ORDER BY rowid")
    while True:
        rows = cursor.fetchmany(BATCH_ROWS)
        if not rows:
            return
        yield rows


# ---- value conversion -----------------------------------------------------------------------


def _converter(column: Column[Any]) -> Callable[[Any], Any]:
    """SQLite's loosely typed value as the Postgres column takes it."""
    kind = column.type
    if isinstance(kind, JSONText):
        return _json_converter(column)
    if isinstance(kind, Boolean):
        return _to_bool
    if isinstance(kind, Integer):
        return _to_int
    if isinstance(kind, Numeric | Float):
        return _to_float
    if column.nullable:
        return _to_text_or_none
    return _to_text


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "yes")
    return bool(value)


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(_to_float(value))


def _to_float(value: Any) -> float | int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    # NOTE: as PocketBase reads a number column holding text: what does not parse is 0.
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def _to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _to_text_or_none(value: Any) -> str | None:
    return None if value is None else _to_text(value)


def _json_converter(column: Column[Any]) -> Callable[[Any], Any]:
    default = column.server_default.arg if column.server_default is not None else None
    empty: str | None = None
    if not column.nullable:
        empty = default if isinstance(default, str) else getattr(default, "text", "'[]'").strip("'")

    def convert(value: Any) -> str | None:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if value is None or value == "":
            return empty
        if not isinstance(value, str):
            return orjson.dumps(value).decode()
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            # NOTE: text that is not JSON is read by pybase as a JSON string: stored as one.
            return orjson.dumps(value).decode()
        return value

    return convert


# ---- target ---------------------------------------------------------------------------------


def reason(ex: BaseException) -> str:
    orig = getattr(ex, "orig", None) or ex
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def _open_target(url: str) -> PostgresDatabase:
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
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {_quote(name)}")
    for name in tables:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_quote(name)}")


def target_pybase_tables(conn: Connection, existing: set[str]) -> tuple[list[str], list[str]]:
    """(views, tables) a pybase app created in the target: its collections and system tables."""
    views: list[str] = []
    tables = [name for name in ("_collections", "_params", "_migrations", "_logs") if name in existing]
    if "_collections" in existing:
        for name, kind in conn.exec_driver_sql('SELECT "name", "type" FROM "_collections" ORDER BY "_rowid_"').all():
            if name in existing:
                (views if kind == "view" else tables).append(name)
    return views, tables


class _DryRun(Exception):
    """Ends the target's transaction of a dry run (rolled back)."""


def _copy(
    source: sqlite3.Connection,
    aux: sqlite3.Connection | None,
    target: PostgresDatabase,
    collections: list[Collection],
    jobs: list[_TableJob],
    views: list[Collection],
    report: CopyReport,
    *,
    force: bool,
    progress: Progress | None,
) -> None:
    by_name = {count.name: count for count in report.tables}
    try:
        with target.write() as conn:
            _prepare_target(conn, target, jobs, views, report, force=force)
            for job in jobs:
                if job.collection is not None:
                    schema_sync.create_table(conn, schema_sync.TableSpec(job.name, job.table, []))
            _check_indexes(conn, collections)
            create_views(conn, views)
            if report.dry_run:
                raise _DryRun()
            for job in jobs:
                reader = aux if job.source_db == "aux" else source
                assert reader is not None
                _copy_rows(conn, reader, job, by_name[job.name].source, progress)
                report.rows += by_name[job.name].source
            create_indexes(conn, collections)
            _count_target(conn, report)
            if report.mismatches:
                raise CopyError("the row counts differ (nothing was committed):\n" + _mismatch_lines(report))
    except _DryRun:
        return
    except DBAPIError as ex:
        raise CopyError(f"the copy failed (nothing was committed): {reason(ex)}") from ex
    # NOTE: the count check again, once committed, as a new connection (a node) sees it.
    with target.read() as conn:
        for count in report.tables + report.views:
            count.target = _target_count(conn, count.name)
    try:
        target.optimize()
    except DBAPIError:  # pragma: no cover - statistics only
        pass


def _prepare_target(
    conn: Connection, target: PostgresDatabase, jobs: list[_TableJob], views: list[Collection], report: CopyReport, *, force: bool
) -> None:
    """Refuse a target in use (or, with ``force``, drop the pybase app there), then create the
    helper functions and the system tables."""
    existing = target.dialect.table_names(conn)
    pybase_views, pybase_tables = target_pybase_tables(conn, existing)
    wanted = {job.name for job in jobs} | {view.name for view in views}
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
    if pybase_views or pybase_tables:
        report.notes.append(
            f"--force: replaced {len(pybase_tables)} tables and {len(pybase_views)} views of the pybase app that was there"
        )
    target.install_helpers()  # NOTE: joins this transaction
    create_system_tables(conn)
    if any(job.source_db == "aux" for job in jobs):
        # NOTE: the table the nodes keep their logs in (logs/store.py), with its insertion order
        postgres_logs_table().create(conn, checkfirst=True)
        for sql in dialect_of(conn).extra_table_ddl(_quote("_logs")):
            conn.exec_driver_sql(sql)


def _count_target(conn: Connection, report: CopyReport) -> None:
    """Count the rows of every copied table and view in the target (inside the transaction)."""
    for count in report.tables:
        count.target = _target_count(conn, count.name)
    for count in report.views:
        try:
            with conn.begin_nested():
                count.target = _target_count(conn, count.name)
        except DBAPIError as ex:
            raise CopyError(
                f"view collection {count.name!r} cannot be carried over: its query fails on the copied rows "
                f"(nothing was committed): {reason(ex)}"
            ) from ex


def _mismatch_lines(report: CopyReport) -> str:
    return "\n".join(f"  {c.name}: {c.source} in SQLite, {c.target} in Postgres" for c in report.mismatches)


def _target_count(conn: Connection, name: str) -> int:
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {_quote(name)}").scalar() or 0)


def _check_indexes(conn: Connection, collections: list[Collection]) -> None:
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
    for col in collections:
        if col.is_view:
            continue
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
                schema_sync.create_view(conn, view.name, view.view_query)
                schema_sync.check_view(conn, view.name)
        except DBAPIError as ex:
            problems.append(f"{view.name}: {reason(ex)}\n    query: {' '.join(view.view_query.split())}")
    if problems:
        raise CopyError(
            "view collections that cannot be carried over to Postgres (nothing was written):\n  "
            + "\n  ".join(problems)
        )


def _copy_rows(conn: Connection, source: sqlite3.Connection, job: _TableJob, total: int, progress: Progress | None) -> None:
    raw = conn.connection.driver_connection
    columns = ", ".join(_quote(name) for name in job.columns)
    converters = job.converters
    done = 0
    if progress is not None:
        progress(job.name, 0, total)
    import psycopg

    try:
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {_quote(job.name)} ({columns}) FROM STDIN") as copy:
                for rows in _read(source, job):
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


# ---- files ----------------------------------------------------------------------------------


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
