"""Backups of an app whose data is in Postgres (``--db``): a logical dump inside the zip.

No ``pg_dump`` is needed (nor may its version differ from the server's): the dump is made
in-process (:mod:`.postgres_dump`), each pybase table streamed with ``COPY (SELECT ...) TO
STDOUT`` in insertion order into a member of the archive, beside the files of ``pb_data`` as a
SQLite backup holds them, and restored in one transaction of the app (:mod:`.postgres_restore`).
The archive says what it is in :data:`MANIFEST`::

    pb_postgres/manifest.json   {"kind": "pybase-postgres", "format": 1, "postgres": "15.4",
                                 "tables": [{"name", "file", "columns", "rows"}, ...]}
    pb_postgres/<table>.copy    the rows of one table, in COPY's text format
    storage/...                 the other files of pb_data

This module holds what both sides share: the archive's layout and names, the manifest and the
checks it passes before a restore changes anything. Making and restoring a dump are modules of
their own (each a few hundred lines, read apart); a collection's parts added with SQL and the
other schemas are :mod:`.postgres_additions` and :mod:`.postgres_schemas`.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from sqlalchemy import Connection, Table

from pybase.core.backups import postgres_additions as additions_of
from pybase.core.backups import postgres_schemas
from pybase.core.errors import BadRequestError
from pybase.store import pg_largeobjects, pg_objects_restore, pg_tables
from pybase.store.schema import collections_table, migrations_table, params_table

DUMP_DIR = "pb_postgres"
MANIFEST = f"{DUMP_DIR}/manifest.json"
#: the folder of the large objects' bytes (a table's file is never in a folder of DUMP_DIR)
LARGE_OBJECTS = f"{DUMP_DIR}/_largeobjects"
KIND = "pybase-postgres"
FORMAT = 1
LOGS = "_logs"
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



def count_rows(conn: Connection, name: str, only: bool = False) -> int:
    """The rows of the table ``name`` (its SQL run as is: a ``%`` in the name is no placeholder);
    ``only``: its own, not those of the tables inheriting from it."""
    source = f"ONLY {pg_tables.quote(name)}" if only else pg_tables.quote(name)
    return int(pg_tables.fetch(conn, f"SELECT count(*) FROM {source}")[0][0] or 0)


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
