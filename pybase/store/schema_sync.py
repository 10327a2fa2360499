"""Apply a collection's schema to SQL: create, alter (keeping data) and drop its table or view.

Every function here expects to run inside the caller's write transaction, so a change that
fails half-way leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Connection, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateColumn, CreateTable

from pybase.store.dialect import POSTGRES, ROWID_COLUMN, dialect_of, unique_column_names
from pybase.store.dialect.constructs import HELD_PREFIX
from pybase.store.schema import check_identifier, create_index_sql, raw_select
from pybase.store.sqlite_driver import error_code
from pybase.tools import dbutils


@dataclass
class TableSpec:
    """What a collection's table should look like."""

    name: str
    table: Table
    indexes: list[dbutils.Index] = field(default_factory=list)


# NOTE: SQLite's sqlite3_errstr() text for the primary result codes, which PocketBase's driver
# prefixes to every error message ("SQL logic error: no such column: x (1)").
# SQLite's sqlite3_errstr() of the primary result codes a statement can meet
_ERRSTR = {
    1: "SQL logic error", 4: "query aborted", 5: "database is locked", 6: "database table is locked", 7: "out of memory",
    8: "attempt to write a readonly database", 9: "interrupted", 10: "disk I/O error", 11: "database disk image is malformed",
    13: "database or disk is full", 18: "string or blob too big", 19: "constraint failed", 20: "datatype mismatch",
}  # fmt: skip


class SchemaSyncError(Exception):
    """A table change SQLite refused, worded as PocketBase words it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _alter(conn: Connection, sql: str, what: str) -> None:
    try:
        conn.exec_driver_sql(sql)
    except DBAPIError as ex:
        raise SchemaSyncError(f"failed to {what} - {sqlite_error_text(ex.orig)}") from ex


def sqlite_error_text(error: BaseException | None, in_view: bool = False) -> str:
    """A DB-API error worded as PocketBase reports SQLite errors (Postgres's: see the dialect;
    ``in_view``: raised by a view's query)."""
    if getattr(error, "sqlstate", None) is not None:
        return POSTGRES.error_text(error, in_view)
    code = error_code(error) if error is not None else None
    if code is None:
        return str(error)
    return f"{_ERRSTR.get(code & 0xFF, 'SQL logic error')}: {error} ({code})"


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(check_identifier(name))


# NOTE: SQLite keeps the names starting with sqlite_ (any case) for itself, and its schema
# table answers to two of them: Postgres refuses them too, in SQLite's words, so an app that
# runs on one database runs on the other.
_SQLITE_PREFIX = "sqlite_"
_SQLITE_SCHEMA_NAMES = frozenset({"sqlite_master", "sqlite_schema"})


def check_object_name(conn: Connection, name: str, renaming: bool = False) -> None:
    """Refuse on Postgres a table, view or index name SQLite refuses (``renaming``: the new name
    of ``ALTER TABLE ... RENAME TO``, which first meets SQLite's own schema table)."""
    if conn.dialect.name != "postgresql" or not name.lower().startswith(_SQLITE_PREFIX):
        return
    if renaming and name.lower() in _SQLITE_SCHEMA_NAMES:
        raise SchemaSyncError(f"SQL logic error: there is already another table or index with this name: {name} (1)")
    raise SchemaSyncError(f"SQL logic error: object name reserved for internal use: {name} (1)")


def create_table(conn: Connection, spec: TableSpec) -> None:
    """Create a collection table and its indexes."""
    check_object_name(conn, spec.name)
    conn.execute(CreateTable(spec.table))
    for sql in dialect_of(conn).extra_table_ddl(_q(conn, spec.name)):
        conn.exec_driver_sql(sql)
    create_indexes(conn, spec)


def create_indexes(conn: Connection, spec: TableSpec) -> None:
    """Create every index of ``spec``; an index SQLite would refuse raises ``dbutils.IndexRefused``."""
    postgres = conn.dialect.name == "postgresql"
    for index in spec.indexes:
        statements = create_index_sql(spec.table, index, conn.dialect.name)
        for sql in statements:
            # NOTE: psycopg reads % as a placeholder even without parameters (LIKE 'a%').
            conn.exec_driver_sql(sql.replace("%", "%%") if postgres else sql)
        if postgres:
            # PERF/memory: Postgres's modules are imported where a Postgres app needs them
            from pybase.store import pg_indexes

            pg_indexes.mark(conn, statements)


def drop_indexes(conn: Connection, table_name: str) -> None:
    """Drop the user indexes of a table (not the implicit ones behind constraints)."""
    for name in dialect_of(conn).index_names(conn, table_name):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, name)}")


class TableInUseError(SchemaSyncError):
    """A table a view still selects from (Postgres refuses to drop it; SQLite leaves the view
    broken, which PocketBase then finds)."""


def drop_table(conn: Connection, name: str) -> None:
    """Drop a collection table; :class:`TableInUseError` when a view depends on it (Postgres)."""
    try:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_q(conn, name)}")
    except DBAPIError as ex:
        if getattr(ex.orig, "sqlstate", None) == "2BP01":  # NOTE: Postgres's dependent_objects_still_exist
            raise TableInUseError(sqlite_error_text(ex.orig)) from ex
        raise


def create_view(conn: Connection, name: str, select_sql: str, json_columns: Iterable[str] = ()) -> None:
    """Create (or replace) a view collection's SQL view. ``json_columns``: the columns the
    collection has json fields for (on Postgres a text kept as text, another value made jsonb,
    as PocketBase reads them from SQLite: see view_body)."""
    drop_view(conn, name)
    check_object_name(conn, name)
    create_view_as(conn, name, view_body(conn, select_sql, json_columns, name))


def create_view_as(conn: Connection, name: str, body: str) -> None:
    """Create the view ``name`` of ``body`` (made by :func:`view_body`)."""
    conn.execute(_statement(f"CREATE VIEW {_q(conn, name)} AS {body}"))
    if conn.dialect.name == "postgresql":
        # NOTE: what the translator wrote, told apart from what a later one writes (pg_views)
        conn.exec_driver_sql(f"COMMENT ON VIEW {_q(conn, name)} IS '{VIEW_MARK}{view_fingerprint(body)}'")


#: the start of the comment on a view collection's Postgres view, before its body's fingerprint
VIEW_MARK = "pybase view "


def view_fingerprint(body: str) -> str:
    """A short digest of a view's body (the SQL after ``CREATE VIEW name AS``)."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def view_body(conn: Connection, select_sql: str, json_columns: Iterable[str] = (), name: str = "") -> str:
    """The SELECT the view collection ``name`` is made of (on Postgres: the query translated;
    the view itself, when it exists, is left out of the names it is spelt with, so the body is
    the same before and after the view is made)."""
    # NOTE: a view query is stored as written; a trailing semicolon cannot sit in the subquery.
    select_sql = select_sql.strip().rstrip(";").rstrip()
    # SECURITY: see raw_select(); the name is a checked identifier quoted by the dialect.
    dialect = dialect_of(conn)
    if dialect is not POSTGRES:
        return dialect.view_body(raw_select(select_sql).text)
    from pybase.store import pg_view_reads, view_held

    reads = pg_view_reads.reads(conn)
    key = (select_sql, reads.leave_out_key(name))
    if key in reads.bodies:
        # NOTE: translated already where nothing it reads changed (pg_view_reads.one_read)
        return _json_shown(conn, *reads.bodies[key], json_columns)
    # NOTE: SQLite's names ignore case, Postgres's quoted ones do not: spelt as the database does
    spellings = reads.spellings(name)
    # NOTE: SQLite's comparisons of values of two types: the columns' types tell where needed
    # NOTE: only the tables and views the query reads: a column name another table types
    # otherwise (a "t" elsewhere) must not hide this one's kind
    tables = _tables_read(select_sql)
    columns = reads.column_rows(name, tables)
    kinds = POSTGRES.column_kinds(columns)
    # NOTE: a double-quoted word no column has reads as a text, as on SQLite (view_sql)
    read_columns = None if tables is None else frozenset(row[0] for row in columns)
    # NOTE: the SQL values of the views' columns of values read from JSON, held beside their
    # texts (view_held); where Postgres refuses the query so (a SELECT grouping otherwise),
    # made as before: their texts read, no value held
    held = reads.held(name, tables)
    try:
        with conn.begin_nested():
            body, names = _probed(conn, select_sql, spellings, kinds | held, read_columns)
    except DBAPIError:
        held = {view_held.UNHELD: ""}
        body, names = _probed(conn, select_sql, spellings, kinds | held, read_columns)
    # NOTE: Postgres refuses a view of two columns of one name: named apart as SQLite does
    unique = unique_column_names(names)
    if unique != names:
        body = POSTGRES.view_body(raw_select(select_sql).text, unique, spellings, kinds | held, read_columns)
    reads.bodies[key] = (body, unique)
    return _json_shown(conn, body, unique, json_columns)


def _json_shown(conn: Connection, body: str, unique: list[str], json_columns: Iterable[str]) -> str:
    """``body`` (a view's translated query, its columns ``unique``) showing ``json_columns`` as
    SQLite holds them."""
    wanted = set(json_columns)
    if wanted & set(unique):
        # NOTE: a json field of a view over a text keeps the text, as SQLite holds it: its
        # JSON is read where the field is (the record's value, the filters: ViewJSONText),
        # so an object the query builds (json_object('b', 1, 'a', 2)) keeps its keys in
        # their order (jsonb orders them by length) and '4' stays a text to a query reading
        # the view; a number, a truth, a BLOB reads jsonb (pb_view_raw).
        quote = conn.dialect.identifier_preparer.quote_identifier
        shown = ", ".join(f"pb_view_raw({quote(n)}) AS {quote(n)}" if n in wanted else quote(n) for n in unique)
        body = f"SELECT {shown} FROM ({body}) AS _pb_json"
    return body


def _probed(
    conn: Connection, select_sql: str, spellings: Any, kinds: dict[str, str], read_columns: frozenset[str] | None
) -> tuple[str, list[str]]:
    """The translated body of a view of ``select_sql`` and its columns' names (Postgres's)."""
    body = POSTGRES.view_body(raw_select(select_sql).text, spellings=spellings, kinds=kinds, read_columns=read_columns)
    return body, list(conn.execute(_statement(f"SELECT * FROM ({body}) AS _pb_probe LIMIT 0")).keys())


def _tables_read(select_sql: str) -> set[str] | None:
    """The lower-case names of the tables and views ``select_sql`` reads (None: not parsed)."""
    from pybase.store import view_sql
    from pybase.tools.dbutils import exp

    try:
        tree = view_sql.parse(select_sql)
    except Exception:  # noqa: BLE001 - sqlglot's parse errors: every table's columns then
        return None
    return {table.name.lower() for table in tree.find_all(exp.Table)}


def _statement(sql: str) -> Any:
    """SQL text run as written: a colon in it (``'{"a":1}'``, ``title:1``) is no parameter."""
    return text(sql.replace(":", "\\:"))


def check_view(conn: Connection, name: str) -> None:
    """Read no rows from a view: SQLite raises when a table or column it selects is gone."""
    conn.exec_driver_sql(f"SELECT * FROM {_q(conn, name)} LIMIT 0").close()


def view_sample(conn: Connection, name: str, columns: list[str], limit: int) -> list[tuple[Any, ...]]:
    """The first ``limit`` rows of a view, with ``columns`` in that order."""
    # NOTE: the column names come from SQLite itself (any text): quoted, not checked.
    names = ", ".join(conn.dialect.identifier_preparer.quote_identifier(c) for c in columns)
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {names} FROM {_q(conn, name)} LIMIT {int(limit)}")]


def drop_view(conn: Connection, name: str) -> None:
    """Drop a view collection's SQL view."""
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {_q(conn, name)}")


def sync_table(
    conn: Connection,
    old_name: str,
    old_columns: Iterable[str],
    new: TableSpec,
    renames: Mapping[str, str],
    add_order: Sequence[str] = (),
) -> None:
    """Alter ``old_name`` into ``new``: rename table/columns, drop and add columns, indexes.

    ``renames`` maps an old column name to its new name; columns of the old table that are
    neither kept nor renamed are dropped, new ones are added with their defaults, in
    ``add_order`` (the collection's field order) when given.
    """
    drop_indexes(conn, old_name)
    if old_name != new.name:
        check_object_name(conn, new.name, renaming=True)
        # NOTE: case-only renames need a detour through a temp name in SQLite.
        temp = f"_pb_tmp_{new.name}"
        conn.exec_driver_sql(f"ALTER TABLE {_q(conn, old_name)} RENAME TO {_q(conn, temp)}")
        conn.exec_driver_sql(f"ALTER TABLE {_q(conn, temp)} RENAME TO {_q(conn, new.name)}")
    table = _q(conn, new.name)
    new_columns = {c.name for c in new.table.columns}
    old = list(old_columns)
    # NOTE: a kept column is one not renamed whose name no renamed column takes over.
    targets = {n for o, n in renames.items() if o != n and o in old}
    for col in old:
        if col not in renames and (col not in new_columns or col in targets):
            _alter(conn, f"ALTER TABLE {table} DROP COLUMN {_q(conn, col)}", f"drop column {col}")
    # NOTE: two steps so swapped names (a->b, b->a) never collide.
    pending = {o: n for o, n in renames.items() if o != n and o in old}
    for index, old_col in enumerate(pending):
        _alter(
            conn,
            f"ALTER TABLE {table} RENAME COLUMN {_q(conn, old_col)} TO {_q(conn, f'_pb_tmp_{index}')}",
            f"rename column {old_col}",
        )
    for index, new_col in enumerate(pending.values()):
        conn.exec_driver_sql(
            f"ALTER TABLE {table} RENAME COLUMN {_q(conn, f'_pb_tmp_{index}')} TO {_q(conn, new_col)}"
        )
    existing = {renames.get(c, c) for c in old if c in renames or (c in new_columns and c not in targets)}
    rank = {name: index for index, name in enumerate(add_order)}
    for column in sorted(new.table.columns, key=lambda c: rank.get(c.name, len(rank))):
        if column.name not in existing:
            add_column(conn, new.name, column)
    create_indexes(conn, new)


def convert_cardinality(conn: Connection, table_name: str, column: Column, to_multi: bool) -> None:  # type: ignore[type-arg]
    """Recreate a single<->multi value column with its new type, converting the values.

    Same steps and SQL as PocketBase: the column is renamed aside, re-added (so it moves to the
    end with the new type and default), filled from the old values and the old one dropped.
    Views are dropped for the duration, because SQLite refuses to alter columns they use.
    """
    dialect = dialect_of(conn)
    views = dialect.views(conn)
    for name, _sql in reversed(views):
        # NOTE: a view over another first (Postgres refuses to drop a view others depend on)
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {_q(conn, name)}")
    table = _q(conn, table_name)
    new = _q(conn, column.name)
    old = _q(conn, f"_{column.name}_pb_old")
    conn.exec_driver_sql(f"ALTER TABLE {table} RENAME COLUMN {new} TO {old}")
    add_column(conn, table_name, column)
    value = dialect.cardinality_value(old, to_multi)
    conn.exec_driver_sql(f"UPDATE {table} SET {new} = ({value})")
    conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {old}")
    for _name, sql in views:
        # SECURITY: the stored SQL of views this database already had, replayed verbatim.
        conn.exec_driver_sql(sql)


def add_column(conn: Connection, table_name: str, column: Column) -> None:  # type: ignore[type-arg]
    """``ALTER TABLE ... ADD COLUMN`` rendered by the dialect from a Column definition."""
    ddl = CreateColumn(column).compile(dialect=conn.dialect)
    _alter(conn, f"ALTER TABLE {_q(conn, table_name)} ADD COLUMN {ddl}", f"add column {column.name}")


def table_columns(conn: Connection, table_name: str) -> list[str]:
    """Column names of a table or view, in order."""
    rows = conn.exec_driver_sql(f"SELECT * FROM {_q(conn, table_name)} LIMIT 0")
    # NOTE: nor a view's hidden SQL values (Postgres: pybase.store.view_held)
    return [name for name in rows.keys() if name != ROWID_COLUMN and not name.startswith(HELD_PREFIX)]
