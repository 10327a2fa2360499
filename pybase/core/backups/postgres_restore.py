"""Restoring a backup into an app whose data is in Postgres: a Postgres dump (its layout and
manifest: :mod:`.postgres`), or a SQLite backup's ``data.db`` copied in.

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
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from pybase.core.backups import postgres_additions as additions_of
from pybase.core.backups import postgres_schemas
from pybase.core.backups.postgres import LOGS, SYSTEM_TABLES, DumpError, count_rows, read_manifest
from pybase.core.collections import Collection
from pybase.core.db_copy import CopyError, copy_to_postgres
from pybase.core.db_copy_target import (
    create_indexes,
    create_views,
    drop_pybase_tables,
    reason,
    target_pybase_tables,
)
from pybase.core.logs.store import postgres_logs_table
from pybase.store import pg_largeobjects, pg_objects_restore, pg_tables, pg_text_order, schema_sync
from pybase.store.dialect import POSTGRES, insertion_order
from pybase.store.pg_tables import quote
from pybase.store.schema import collections_table, create_system_tables

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.backups")

#: bytes read from a dumped table's file and written to COPY at a time
CHUNK = 1 << 20
#: tries of a restore that meets a deadlock with another node's transaction
ATTEMPTS = 3
DEADLOCK = "40P01"


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
    for sql in POSTGRES.extra_table_ddl(quote(LOGS)):
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
        count = count_rows(conn, name, only=definition is not None and not definition.get("partitionBy"))
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
        pg_tables.run(conn, "LOCK TABLE " + ", ".join(quote(n) for n in locked) + " IN ACCESS EXCLUSIVE MODE")
    # NOTE: first of all: none fires on what follows
    pg_objects_restore.drop_event_triggers(conn, [schema["name"] for schema in schemas])
    _in_schemas(postgres_schemas.drop, conn, schemas)  # NOTE: refused if it would take the target's others
    pg_objects_restore.drop_views(conn, set(views))  # NOTE: first: one may read a table dropped below
    drop_pybase_tables(conn, views, tables)
    if others:
        # NOTE: one statement: Postgres drops the foreign keys between them itself
        pg_tables.run(conn, "DROP TABLE " + ", ".join(quote(n) for n in others))
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
    listed = ", ".join(quote(c) for c in columns)
    import psycopg

    try:
        with raw.cursor() as cursor, open(os.path.join(root, entry["file"]), "rb") as source:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {quote(entry['name'])} ({listed}) FROM STDIN") as copy:
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
            for sql in POSTGRES.extra_table_ddl(quote(LOGS)):
                conn.exec_driver_sql(sql)
            for announce in app.on_schema_changed:
                announce()
            _reload(app)
    except CopyError as ex:
        raise DumpError(f"Failed to restore the SQLite backup into Postgres (nothing was changed): {ex}") from ex
    except DBAPIError as ex:
        raise DumpError(f"Failed to restore the SQLite backup into Postgres (nothing was changed): {reason(ex)}") from ex
