"""Making a Postgres backup: the dump of the app's database written into the archive
(its layout and manifest: :mod:`.postgres`).

The dump is read in one ``REPEATABLE READ READ ONLY`` transaction: one snapshot of every table,
while the app keeps writing.

What is dumped: the system tables ``_params`` (settings, as stored: encrypted stays encrypted),
``_migrations`` and ``_collections``, every collection's table (system collections too:
superusers, external auths, MFAs, OTPs, auth origins), the ``_logs`` of the nodes (a SQLite
backup holds auxiliary.db, its logs, alike) and every other table of the schema (made with SQL:
a migration's ``$app.db().newQuery("CREATE TABLE ...")``, a Python app's own; on SQLite they
travel inside data.db): its manifest entry holds its ``definition`` (columns, types, defaults,
keys, constraints, indexes, sequences; a partitioned table and its partitions: store/pg_tables.py).
The manifest's ``objects`` are the other things made with SQL (store/pg_objects.py,
store/pg_objects_kinds.py): extensions, collations, enums, domains, composite and range types,
sequences no column owns, functions, procedures, aggregates and operators, views and
materialized views (a view collection's are not: the collections recreate them), rules,
extended statistics, triggers, row security policies, privileges and the event triggers
whose function is one of them, each as the statements
that make it again, in dependency order. Its ``schemas`` are the other schemas made with SQL
(``CREATE SCHEMA reporting``...), each with its tables, rows and objects read the same way
(postgres_schemas.py). Its ``warnings`` name what cannot be carried, with
the reason (a function in C, a foreign table...): logged too (the app's logs)
when the backup is made and when it is restored. pybase's own ``_pybase_*`` tables and ``pb_*``
functions are not dumped. The app's large objects (those of pybase's role; another role's are
named in the warnings) are, each in ``pb_postgres/_largeobjects/<oid>``
(store/pg_largeobjects.py), made again with their oids.
The dump reads with ``row_security = off`` (as pg_dump): a table whose policies would hide
rows from pybase's role fails the backup instead of losing them.
"""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import DBAPIError

from pybase.core.backups import postgres_additions as additions_of
from pybase.core.backups import postgres_schemas
from pybase.core.backups.postgres import (
    DUMP_DIR,
    FORMAT,
    KIND,
    LARGE_OBJECTS,
    LOGS,
    MANIFEST,
    SYSTEM_TABLES,
    count_rows,
)
from pybase.core.collections import Collection
from pybase.core.db_copy_target import reason
from pybase.core.errors import BadRequestError
from pybase.core.logs.store import postgres_logs_table
from pybase.core.record_search import search_spec
from pybase.store import pg_indexes, pg_largeobjects, pg_objects, pg_tables
from pybase.store.dialect import POSTGRES, ROWID_COLUMN, insertion_order
from pybase.store.pg_tables import quote
from pybase.store.schema import IDENTIFIER_RE, collections_table

if TYPE_CHECKING:
    from pybase.core.app import App


def write_dump(app: App, zf: zipfile.ZipFile) -> dict[str, Any]:
    """Dump every pybase table of the app's Postgres database into ``zf``; returns the manifest."""
    import psycopg

    try:
        return _write_dump(app, zf)
    except (DBAPIError, psycopg.Error) as ex:
        if "row-level security" not in str(ex):
            raise
        raise BadRequestError(
            f"Failed to create the backup: {reason(ex)} (the table's policies would hide rows from pybase's database "
            "role: give the role BYPASSRLS, or ALTER TABLE ... NO FORCE ROW LEVEL SECURITY, to back it up whole)."
        ) from ex


def _write_dump(app: App, zf: zipfile.ZipFile) -> dict[str, Any]:
    db = app.db
    with db.write_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            # NOTE: as pg_dump: a table whose row security would hide rows from this role (FORCE
            # ROW LEVEL SECURITY, no BYPASSRLS) fails the backup instead of dumping part of it
            conn.exec_driver_sql("SET LOCAL row_security = off")
            # NOTE: the first read takes the snapshot every table is read in.
            rows = conn.execute(select(collections_table).order_by(insertion_order(collections_table))).all()
            collections = [Collection.from_row(row) for row in rows]
            existing = POSTGRES.table_names(conn)
            tables: list[tuple[str, Table]] = [(name, table) for name, table in SYSTEM_TABLES.items()]
            if LOGS in existing:
                tables.append((LOGS, postgres_logs_table()))
            tables += [(col.name, col.table) for col in collections if not col.is_view]
            missing = [name for name, _table in tables if name not in existing]
            if missing:
                raise BadRequestError(f"Failed to create the backup: the table(s) {', '.join(missing)} are missing in Postgres.")
            others = pg_tables.other_tables(conn, {name for name, _table in tables})
            # NOTE: as pg_dump: no table can be dropped or altered while it is read (a change
            # waits for the end of the dump).
            locked = [name for name, _t in tables] + others
            pg_tables.run(conn, "LOCK TABLE " + ", ".join(quote(name) for name in locked) + " IN ACCESS SHARE MODE")
            # NOTE: as Postgres names them (cut to 63 bytes), with their lookup indexes (__pb_eq)
            own = {col.name: _own_indexes(col) for col in collections if not col.is_view}
            entries = [_dump_table(conn, zf, name, table, own.get(name)) for name, table in tables]
            files = {entry["file"].lower() for entry in entries}
            for number, name in enumerate(others, 1):
                definition = pg_tables.read_definition(conn, name)
                member = f"{DUMP_DIR}/{name}.copy"
                if not IDENTIFIER_RE.match(name) or member.lower() in files:
                    member = f"{DUMP_DIR}/_table{number}.copy"  # NOTE: a name no file can have
                files.add(member.lower())
                if definition.get("partitionBy"):
                    # NOTE: no rows of its own (its partitions hold them): counted as a whole
                    zf.writestr(member, b"")
                    total = count_rows(conn, name)
                    entry = {"name": name, "file": member, "columns": [], "rows": total}
                else:
                    # NOTE: ONLY: a table inheriting from it holds its own rows
                    columns = pg_tables.copied_columns(definition)
                    entry = _dump_rows(conn, zf, f"ONLY {quote(name)}", columns, "", member, name)
                entries.append({**entry, "definition": definition})
            views = {col.name for col in collections if col.is_view}
            schemas, schema_warnings = postgres_schemas.dump(conn, zf, DUMP_DIR, _dump_rows)
            carried = frozenset(schema["name"] for schema in schemas)
            objects, warnings = pg_objects.read_objects(conn, views, schemas=carried)
            warnings += schema_warnings
            large_objects = pg_largeobjects.dump(conn, zf, LARGE_OBJECTS)
            warnings += pg_largeobjects.others(conn)
            version = conn.exec_driver_sql("SHOW server_version").scalar()
    manifest = {
        "kind": KIND, "format": FORMAT, "postgres": str(version), "tables": entries,
        "objects": objects, "warnings": [f"not carried: {w}" for w in warnings],
    }  # fmt: skip
    if large_objects:
        manifest["largeObjects"] = large_objects
    if schemas:
        manifest["schemas"] = schemas
    zf.writestr(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    if warnings:
        app.logger().warn(
            "The backup does not carry some objects made with SQL", "notCarried", manifest["warnings"]
        )
    return manifest


def _own_indexes(col: Collection) -> set[str]:
    """The indexes a restore makes again from the collection: its own and its full-text one."""
    names = pg_indexes.own_names(col.table, col.parsed_indexes())
    search = search_spec(col)
    if search is not None:
        names.add(search.name)
    return names


def _dump_table(
    conn: Connection, zf: zipfile.ZipFile, name: str, table: Table, own_indexes: set[str] | None
) -> dict[str, Any]:
    """The rows of a pybase table; a collection's (``own_indexes``: its indexes' names) with
    what SQL added to it (postgres_additions)."""
    have = {column["name"] for column in POSTGRES.table_info(conn, name)}
    # NOTE: the columns the table is (re)built with on restore; a system table's others are left.
    columns = [column.name for column in table.columns if column.name in have]
    additions = additions_of.read(conn, name, table, own_indexes) if own_indexes is not None else None
    columns += additions_of.copied_columns(additions)
    entry = _dump_rows(conn, zf, quote(name), columns, f" ORDER BY {quote(ROWID_COLUMN)}", f"{DUMP_DIR}/{name}.copy", name)
    if additions:
        entry["additions"] = additions
    return entry


def _dump_rows(
    conn: Connection, zf: zipfile.ZipFile, source: str, columns: list[str], order: str, member: str, name: str
) -> dict[str, Any]:
    """COPY the rows of ``source`` (SQL: a quoted name, maybe after ONLY) into ``member``."""
    listed = ", ".join(quote(c) for c in columns)
    rows = 0
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, zf.open(member, "w", force_zip64=True) as out:  # type: ignore[union-attr]
        sql = f"COPY (SELECT {listed} FROM {source}{order}) TO STDOUT"
        with cursor.copy(sql) as copy:
            for chunk in copy:
                data = bytes(chunk)
                # NOTE: COPY's text format ends each row with a newline and escapes those in values.
                rows += data.count(b"\n")
                out.write(data)
    return {"name": name, "file": member, "columns": columns, "rows": rows}
