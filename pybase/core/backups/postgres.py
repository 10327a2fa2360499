"""Backups of an app whose data is in Postgres (``--db``): a logical dump inside the zip.

No ``pg_dump`` is needed (nor may its version differ from the server's): the dump is made
in-process, in one ``REPEATABLE READ READ ONLY`` transaction (one snapshot of every table,
while the app keeps writing), each pybase table streamed with ``COPY (SELECT ...) TO STDOUT``
in insertion order into a member of the archive, beside the files of ``pb_data`` as a SQLite
backup holds them. The archive says what it is in :data:`MANIFEST`::

    pb_postgres/manifest.json   {"kind": "pybase-postgres", "format": 1, "postgres": "15.4",
                                 "tables": [{"name", "file", "columns", "rows"}, ...]}
    pb_postgres/<table>.copy    the rows of one table, in COPY's text format
    storage/...                 the other files of pb_data

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

A restore runs in ONE write transaction of the app (its other writes queue, the other nodes'
wait on the tables' locks): pybase's tables are dropped, the system tables created, the rows
of ``_collections`` copied back and every collection's table built from them (the schema sync
that builds typed tables), then the rows, the indexes and the views, and every table's row
count is checked against the manifest. Anything failing rolls the whole of it back. The tables
made with SQL are rebuilt from their definitions (the target's own are dropped first, those
the backup does not hold too: the tables become the backup's, as a restored data.db's are),
then their rows, indexes, foreign keys and sequences. The other objects made with SQL are
dropped with them and made again in their order: extensions (``IF NOT EXISTS``; one the server
lacks is left out and named), collations, types, free sequences, functions, aggregates and
operators before the tables, views, rules and statistics once the rows are in, what reads a
view collection after those, triggers last (copying the rows back fires none); row security
and privileges once every table's rows are counted (a policy would filter the count), the
event triggers after everything (the target's own are dropped before anything: none fires on
the restore's statements; making one needs a superuser, as Postgres wants).

SECURITY: a definition is SQL run as is (types, defaults, constraints, indexes): restoring a
backup is a superuser's act, who can run any SQL anyway (``POST /api/sql``).
"""

from __future__ import annotations

import logging
import os
import zipfile
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import DBAPIError

from pybase.core.backups import postgres_additions as additions_of
from pybase.core.backups import postgres_schemas
from pybase.core.collections import Collection
from pybase.core.db_copy import CopyError, copy_to_postgres
from pybase.core.db_copy_target import (
    create_indexes,
    create_views,
    drop_pybase_tables,
    reason,
    target_pybase_tables,
)
from pybase.core.errors import BadRequestError
from pybase.core.logs.store import postgres_logs_table
from pybase.core.record_search import search_spec
from pybase.store import (
    pg_indexes,
    pg_largeobjects,
    pg_objects,
    pg_objects_restore,
    pg_tables,
    pg_text_order,
    schema_sync,
)
from pybase.store.dialect import POSTGRES, ROWID_COLUMN, insertion_order
from pybase.store.schema import (
    IDENTIFIER_RE,
    collections_table,
    create_system_tables,
    migrations_table,
    params_table,
)

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.backups")

DUMP_DIR = "pb_postgres"
MANIFEST = f"{DUMP_DIR}/manifest.json"
#: the folder of the large objects' bytes (a table's file is never in a folder of DUMP_DIR)
LARGE_OBJECTS = f"{DUMP_DIR}/_largeobjects"
KIND = "pybase-postgres"
FORMAT = 1
#: bytes read from a dumped table's file and written to COPY at a time
CHUNK = 1 << 20
LOGS = "_logs"
#: tries of a restore that meets a deadlock with another node's transaction
ATTEMPTS = 3
DEADLOCK = "40P01"
SYSTEM_TABLES: dict[str, Table] = {"_params": params_table, "_migrations": migrations_table, "_collections": collections_table}


class DumpError(BadRequestError):
    """A Postgres backup that cannot be restored (nothing was changed); the message says why."""


def archive_kind(names: list[str]) -> str:
    """What an archive holds, from its member names: ``postgres`` (a pybase dump of Postgres),
    ``sqlite`` (a ``data.db``: pybase on SQLite, or PocketBase), or ``""`` (neither)."""
    if MANIFEST in names:
        return "postgres"
    if "data.db" in names:
        return "sqlite"
    return ""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count(conn: Connection, name: str, only: bool = False) -> int:
    """The rows of the table ``name`` (its SQL run as is: a ``%`` in the name is no placeholder);
    ``only``: its own, not those of the tables inheriting from it."""
    source = f"ONLY {_quote(name)}" if only else _quote(name)
    return int(pg_tables.fetch(conn, f"SELECT count(*) FROM {source}")[0][0] or 0)


# ---- dump -----------------------------------------------------------------------------------


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
            pg_tables.run(conn, "LOCK TABLE " + ", ".join(_quote(name) for name in locked) + " IN ACCESS SHARE MODE")
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
                    total = _count(conn, name)
                    entry = {"name": name, "file": member, "columns": [], "rows": total}
                else:
                    # NOTE: ONLY: a table inheriting from it holds its own rows
                    columns = pg_tables.copied_columns(definition)
                    entry = _dump_rows(conn, zf, f"ONLY {_quote(name)}", columns, "", member, name)
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
    entry = _dump_rows(conn, zf, _quote(name), columns, f" ORDER BY {_quote(ROWID_COLUMN)}", f"{DUMP_DIR}/{name}.copy", name)
    if additions:
        entry["additions"] = additions
    return entry


def _dump_rows(
    conn: Connection, zf: zipfile.ZipFile, source: str, columns: list[str], order: str, member: str, name: str
) -> dict[str, Any]:
    """COPY the rows of ``source`` (SQL: a quoted name, maybe after ONLY) into ``member``."""
    listed = ", ".join(_quote(c) for c in columns)
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


# ---- restore --------------------------------------------------------------------------------


def read_manifest(root: str) -> dict[str, Any]:
    """The manifest of an unpacked Postgres backup in ``root``, checked; DumpError otherwise."""
    try:
        with open(os.path.join(root, MANIFEST), "rb") as handle:
            manifest = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError) as ex:
        raise DumpError(f"The backup's {MANIFEST} cannot be read: {ex}") from ex
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise DumpError(f"The backup's {MANIFEST} is not a pybase Postgres dump.")
    if manifest.get("format") != FORMAT:
        raise DumpError(f"The backup's dump format {manifest.get('format')!r} is not known to this pybase (it reads {FORMAT}).")
    tables = manifest.get("tables")
    if not isinstance(tables, list) or not all(_valid_entry(t) for t in tables):
        raise DumpError(f"The backup's {MANIFEST} lists its tables wrongly.")
    names = [t["name"] for t in tables]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DumpError(f"The backup lists the table(s) {', '.join(twice)} more than once.")
    for entry in tables:
        _check_definitions(entry)
    try:
        pg_objects_restore.check_objects(manifest.get("objects", []))
    except pg_objects_restore.ObjectsError as ex:
        raise DumpError(f"The backup's objects made with SQL are wrong: {ex}.") from ex
    try:
        postgres_schemas.check(manifest.get("schemas", []), root, DUMP_DIR, _valid_entry)
    except postgres_schemas.SchemasError as ex:
        raise DumpError(f"The backup's other schemas are wrong: {ex}.") from ex
    _check_large_objects(root, manifest)
    warnings = manifest.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise DumpError(f"The backup's {MANIFEST} lists its warnings wrongly.")
    for name in SYSTEM_TABLES:
        if name not in names:
            raise DumpError(f"The backup has no {name} table.")
    for entry in tables:
        path = os.path.join(root, entry["file"])
        if os.path.dirname(entry["file"]) != DUMP_DIR or not os.path.isfile(path):
            raise DumpError(f"The backup lacks the rows of {entry['name']} ({entry['file']}).")
    return manifest


def _check_definitions(entry: dict[str, Any]) -> None:
    """A table's definition (made with SQL) or a collection's additions, checked."""
    try:
        if "definition" in entry:
            pg_tables.check_definition(entry["definition"])
        if "additions" in entry:
            additions_of.check(entry["additions"])
    except pg_tables.TableDefinitionError as ex:
        raise DumpError(f"The backup's table {entry['name']} has {ex}.") from ex


def _check_large_objects(root: str, manifest: dict[str, Any]) -> None:
    try:
        pg_largeobjects.check(manifest.get("largeObjects", []), LARGE_OBJECTS)
    except pg_largeobjects.LargeObjectsError as ex:
        raise DumpError(f"The backup's {MANIFEST} lists its large objects wrongly.") from ex
    for entry in manifest.get("largeObjects", []):
        if not os.path.isfile(os.path.join(root, entry["file"])):
            raise DumpError(f"The backup lacks the bytes of the large object {entry['oid']} ({entry['file']}).")


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("file"), str)
        and isinstance(entry.get("rows"), int)
        and isinstance(entry.get("columns"), list)
        and all(isinstance(c, str) for c in entry["columns"])
    )


def restore_dump(app: App, root: str) -> None:
    """Replace the app's Postgres data by the dump unpacked in ``root``, in one transaction.

    Inside that transaction the other nodes and worker processes are told to reload (they do
    once it commits); this process's collections are read there and made live as it commits,
    its settings once it committed. Raises
    DumpError (the database untouched) when the dump is wrong or Postgres refuses a row.
    """
    manifest = read_manifest(root)
    entries = {entry["name"]: entry for entry in manifest["tables"]}
    objects = manifest.get("objects", [])
    schemas = manifest.get("schemas", [])
    large_objects = manifest.get("largeObjects", [])
    db = app.db
    for attempt in range(1, ATTEMPTS + 1):
        missing: list[str] = []  # the backup's extensions this server does not have
        try:
            with db.write() as conn:
                _replace(app, conn, root, entries, (objects, schemas), missing)
                try:
                    pg_largeobjects.replace(conn, root, large_objects)
                except pg_largeobjects.LargeObjectsError as ex:
                    raise DumpError(f"Failed to restore the backup (nothing was changed): {ex}.") from ex
            if manifest.get("warnings"):
                app.logger().warn(
                    "The restored backup did not carry some objects made with SQL", "notCarried", manifest["warnings"]
                )
            if missing:
                app.logger().warn(
                    "The restored backup's extensions are not available on this Postgres server (not created)",
                    "extensions", missing,
                )
            return
        except (DBAPIError, DumpError) as ex:
            if _deadlocked(ex) and attempt < ATTEMPTS:
                log.warning("restore: a deadlock with another node's transaction; trying again (%d)", attempt)
                continue
            hint = (
                f" (the backup's extension(s) {', '.join(missing)} are not available on this Postgres server: "
                "install them there first)" if missing else ""
            )
            if isinstance(ex, DumpError):
                if not hint:
                    raise
                raise DumpError(ex.message + hint) from ex
            raise DumpError(f"Failed to restore the backup (nothing was changed): {reason(ex)}{hint}") from ex


def _deadlocked(ex: BaseException) -> bool:
    """Whether Postgres ended the transaction as one side of a deadlock (another node wrote)."""
    seen: BaseException | None = ex
    while seen is not None:
        if getattr(getattr(seen, "orig", seen), "sqlstate", None) == DEADLOCK:
            return True
        seen = seen.__cause__
    return False


def _replace(
    app: App, conn: Connection, root: str, entries: dict[str, dict[str, Any]],
    made: tuple[list[dict[str, Any]], list[dict[str, Any]]], missing: list[str],
) -> None:
    objects, schemas = made  # NOTE: the objects made with SQL, and the other schemas
    _drop_target(conn, schemas)
    create_system_tables(conn)
    logs = postgres_logs_table()
    logs.create(conn, checkfirst=True)
    for sql in POSTGRES.extra_table_ddl(_quote(LOGS)):
        conn.exec_driver_sql(sql)
    for name, table in [*SYSTEM_TABLES.items(), (LOGS, logs)]:
        if name in entries:
            _copy_in(conn, root, entries[name], table.c.keys())
    rows = conn.execute(select(collections_table).order_by(insertion_order(collections_table))).all()
    try:
        collections = [Collection.from_row(row) for row in rows]
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as ex:
        raise DumpError(f"The backup's collections cannot be read: {ex}") from ex
    by_name = {col.name: col for col in collections if not col.is_view}
    raw = {name: entry for name, entry in entries.items() if "definition" in entry}
    clash = sorted(set(raw) & ({*SYSTEM_TABLES, LOGS} | {col.name for col in collections}))
    if clash:
        raise DumpError(f"The backup's table(s) made with SQL are named like pybase's: {', '.join(clash)}.")
    unknown = sorted(set(entries) - set(raw) - set(SYSTEM_TABLES) - {LOGS} - set(by_name))
    if unknown:
        raise DumpError(f"The backup holds rows of table(s) no collection of it declares: {', '.join(unknown)}.")
    lacking = sorted(set(by_name) - set(entries))
    if lacking:
        raise DumpError(f"The backup lacks the rows of the collection(s) {', '.join(lacking)}.")
    # NOTE: the collations first, every schema's: a column of any table (a collection's added
    # one too) or a type of any schema may name one of another schema
    _in_schemas(postgres_schemas.create_collations, conn, schemas)
    _create_objects(conn, pg_objects_restore.collations(objects), "before")
    for col in by_name.values():
        schema_sync.create_table(conn, schema_sync.TableSpec(col.name, col.table, []))
        _apply(col.name, "its added columns", additions_of.add_columns, conn, entries[col.name].get("additions"))
    for col in by_name.values():
        added = additions_of.copied_columns(entries[col.name].get("additions"))
        _copy_in(conn, root, entries[col.name], [*col.table.c.keys(), *added])
    # NOTE: the text columns an older pybase's backup (or SQL) left in the database's collation
    # made "C" now, as a start does, not at each node's next start: before their indexes and
    # the views reading them are made (nothing to rebuild or set aside)
    pg_text_order.to_byte_order(conn, [*SYSTEM_TABLES, LOGS, *by_name])
    missing += _create_objects(conn, pg_objects_restore.collations(objects, leave_out=True), "before")
    missing += _in_schemas(postgres_schemas.create_schemas, conn, schemas)
    _restore_raw_tables(conn, root, raw)

    def copy_in(conn: Connection, entry: dict[str, Any]) -> None:
        _copy_in(conn, root, entry, pg_tables.copied_columns(entry["definition"]), what="its definition")

    _in_schemas(postgres_schemas.fill, conn, schemas, copy_in)  # NOTE: before the views: one may read them
    _rebuild(conn, collections, objects, entries)
    for name, entry in entries.items():
        # NOTE: a table made with SQL was dumped alone (ONLY), a partitioned one as a whole
        definition = entry.get("definition")
        count = _count(conn, name, only=definition is not None and not definition.get("partitionBy"))
        if count != entry["rows"]:
            raise DumpError(f"The restored table {name} holds {count} rows where the backup lists {entry['rows']}.")
    _create_objects(conn, objects, "secure")  # NOTE: once counted: row security filters no count
    _in_schemas(postgres_schemas.finish, conn, schemas, "secure")
    _create_objects(conn, objects, "events")  # NOTE: last: the restore's statements fired none
    _in_schemas(postgres_schemas.finish, conn, schemas, "events")
    for announce in app.on_schema_changed:
        announce()  # NOTE: the other nodes and workers reload once this commits
    _reload(app)


def _drop_target(conn: Connection, schemas: list[dict[str, Any]]) -> None:
    """Drop what the restore replaces: pybase's tables, the tables and objects made with SQL,
    the other schemas the backup carries."""
    existing = POSTGRES.table_names(conn)
    views, tables = target_pybase_tables(conn, existing)
    others = pg_tables.other_tables(conn, set(tables) | set(views))
    if views or tables or others:
        # NOTE: every lock at once, before any change: a deadlock with a write of another
        # node is less likely than taking each table's as it is dropped (and is retried).
        locked = [*tables, *views, *others]
        pg_tables.run(conn, "LOCK TABLE " + ", ".join(_quote(n) for n in locked) + " IN ACCESS EXCLUSIVE MODE")
    # NOTE: first of all: none fires on what follows
    pg_objects_restore.drop_event_triggers(conn, [schema["name"] for schema in schemas])
    _in_schemas(postgres_schemas.drop, conn, schemas)  # NOTE: refused if it would take the target's others
    pg_objects_restore.drop_views(conn, set(views))  # NOTE: first: one may read a table dropped below
    drop_pybase_tables(conn, views, tables)
    if others:
        # NOTE: one statement: Postgres drops the foreign keys between them itself
        pg_tables.run(conn, "DROP TABLE " + ", ".join(_quote(n) for n in others))
    pg_objects_restore.drop_others(conn)


def _apply(name: str, what: str, step: Any, conn: Connection, additions: dict[str, Any] | None) -> None:
    """One step of putting back what SQL added to a collection's table; DumpError names it."""
    try:
        with conn.begin_nested():
            step(conn, name, additions)
    except DBAPIError as ex:
        raise DumpError(f"Failed to restore {what} of the collection {name} (nothing was changed): {reason(ex)}") from ex


def _rebuild(
    conn: Connection, collections: list[Collection], objects: list[dict[str, Any]], entries: dict[str, dict[str, Any]]
) -> None:
    try:
        create_indexes(conn, collections)
        for col in collections:
            if not col.is_view:
                additions = entries[col.name].get("additions")
                _apply(col.name, "the constraints and indexes added", additions_of.finish, conn, additions)
        _create_objects(conn, objects, "after")
        create_views(conn, [col for col in collections if col.is_view])
        _create_objects(conn, objects, "last")
    except CopyError as ex:
        raise DumpError(f"Failed to restore the backup (nothing was changed): {ex}") from ex


def _create_objects(conn: Connection, objects: list[dict[str, Any]], phase: str) -> list[str]:
    """The objects made with SQL of a phase of the restore (returns the extensions left out:
    the server lacks them); DumpError names one refused."""
    try:
        return pg_objects_restore.create_objects(conn, objects, phase)
    except pg_objects_restore.ObjectRefused as ex:
        raise DumpError(f"Failed to restore the {ex} (nothing was changed): {reason(ex.__cause__ or ex)}") from ex


def _in_schemas(step: Any, *args: Any) -> Any:
    """A step of restoring the other schemas; DumpError names what was refused."""
    try:
        return step(*args)
    except pg_objects_restore.ObjectRefused as ex:
        raise DumpError(f"Failed to restore the {ex} (nothing was changed): {reason(ex.__cause__ or ex)}") from ex
    except postgres_schemas.SchemasError as ex:
        raise DumpError(f"Failed to restore the backup (nothing was changed): {ex}.") from ex


def _restore_raw_tables(conn: Connection, root: str, raw: dict[str, dict[str, Any]]) -> None:
    """The tables made with SQL: created from their definitions, filled, then their indexes,
    foreign keys and sequences (one may point at another)."""
    for name, entry in raw.items():
        try:
            with conn.begin_nested():
                pg_tables.create_table(conn, name, entry["definition"])
        except DBAPIError as ex:
            raise DumpError(f"Failed to restore the table {name} (nothing was changed): {reason(ex)}") from ex
        _copy_in(conn, root, entry, pg_tables.copied_columns(entry["definition"]), what="its definition")
    try:
        with conn.begin_nested():
            pg_tables.finish_tables(conn, {name: entry["definition"] for name, entry in raw.items()})
    except DBAPIError as ex:
        raise DumpError(
            f"Failed to restore the indexes or foreign keys of the tables made with SQL (nothing was changed): {reason(ex)}"
        ) from ex


def _copy_in(conn: Connection, root: str, entry: dict[str, Any], allowed: Any, what: str = "its collection") -> None:
    columns = entry["columns"]
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise DumpError(f"The backup's table {entry['name']} has column(s) {what} does not declare: {', '.join(unknown)}.")
    if not columns:
        return
    raw = conn.connection.driver_connection
    listed = ", ".join(_quote(c) for c in columns)
    import psycopg

    try:
        with raw.cursor() as cursor, open(os.path.join(root, entry["file"]), "rb") as source:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {_quote(entry['name'])} ({listed}) FROM STDIN") as copy:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    copy.write(chunk)
    except psycopg.Error as ex:
        raise DumpError(f"Failed to restore the rows of {entry['name']} (nothing was changed): {reason(ex)}") from ex


def _reload(app: App) -> None:
    """Inside the restore's transaction: the collections read there are made live under the
    write lock as it commits (CollectionRegistry), so no write after it meets the old ones; the
    settings once it committed."""
    app.registry.reload()
    app.db.on_commit(app.settings_store.reload)


def restore_sqlite(app: App, root: str) -> None:
    """Replace the app's Postgres data by the ``data.db`` (and logs of ``auxiliary.db``) of a
    SQLite backup unpacked in ``root`` (pybase's or PocketBase's), through ``pybase db copy``'s
    machinery, in one transaction of the app's writer; DumpError (nothing changed) when it fails."""
    db = app.db
    try:
        with db.write() as conn:
            copy_to_postgres(root, app.database_url, force=True, logs=True, database=db, replace_other_tables=True)
            logs = postgres_logs_table()
            logs.create(conn, checkfirst=True)  # NOTE: none in the archive: the nodes log there
            for sql in POSTGRES.extra_table_ddl(_quote(LOGS)):
                conn.exec_driver_sql(sql)
            for announce in app.on_schema_changed:
                announce()
            _reload(app)
    except CopyError as ex:
        raise DumpError(f"Failed to restore the SQLite backup into Postgres (nothing was changed): {ex}") from ex
    except DBAPIError as ex:
        raise DumpError(f"Failed to restore the SQLite backup into Postgres (nothing was changed): {reason(ex)}") from ex
