"""Collections' Postgres indexes kept as the current translator writes them.

A collection's indexes are SQLite SQL; on Postgres pybase translates each one when the collection
is saved (pybase.store.index_sql). A later pybase may translate it otherwise: an older one made a
plain btree over a key that may hold long values, which refuses a value past ~2,700 bytes where
SQLite takes it (pybase.store.index_long_keys now holds such a key by digest). At start, each
index that is not the one the running pybase makes is made again (:func:`stale`, then
:func:`remake` per collection, under the lock collection saves take: pybase.core.app), so nobody
has to save the collections again.

Cheap when nothing changed: every index pybase makes carries a comment with the fingerprint of
the statements that made it (:func:`mark`); an index whose mark matches the statements computed
now is left alone. Indexes a collection does not name (made by hand with SQL) are never touched.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable

from sqlalchemy import Connection, Table, text

from pybase.tools import dbutils

#: one lock per database: nodes starting together make each index once
_LOCK = 7246594
#: the start of the comment on every index pybase makes (backups leave such comments out)
INDEX_MARK = "pybase index "
_CREATED_RE = re.compile(r'^CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"((?:[^"]|"")+)"')
_NAME_BYTES = 63  # Postgres keeps a name's first 63 bytes


def created_names(statements: Iterable[str]) -> list[str]:
    """The names of the indexes ``statements`` (pybase's own CREATE INDEX) make, as Postgres
    keeps them."""
    names = []
    for sql in statements:
        found = _CREATED_RE.match(sql)
        if found:
            name = found.group(1).replace('""', '"')
            names.append(name.encode()[:_NAME_BYTES].decode(errors="ignore"))
    return names


def own_names(table: Table, indexes: Iterable[dbutils.Index]) -> set[str]:
    """The names, as Postgres keeps them, of the indexes pybase makes for a collection's
    ``indexes`` on ``table``: each index's (cut to 63 bytes) and the lookup index beside one
    holding long keys (pybase.store.index_long_keys)."""
    from pybase.store.schema import create_index_sql

    names = set()
    for index in indexes:
        names.add(index.name.encode()[:_NAME_BYTES].decode(errors="ignore"))
        try:
            names.update(created_names(create_index_sql(table, index, "postgresql")))
        except dbutils.IndexRefused:
            continue  # NOTE: the collection's save refused it too: nothing made
    return names


def fingerprint(statements: Iterable[str]) -> str:
    """The mark of the indexes ``statements`` make: their text and the definitions of the SQL
    functions of pybase's they call (an index holds what the function gave when it was made:
    one whose function reads values otherwise now is made again)."""
    statements = list(statements)
    made_of = "\n".join(statements) + _helpers_called(statements)
    return INDEX_MARK + hashlib.sha256(made_of.encode()).hexdigest()[:20]


_FUNCTION_RE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(pb_\w+)\s*\(", re.IGNORECASE)
_CALLED_RE = re.compile(r"\b(pb_\w+)\s*\(", re.IGNORECASE)


@functools.cache
def _helper_definitions() -> dict[str, str]:
    """pybase's SQL functions on Postgres: name -> the text defining it (its overloads too)."""
    from pybase.store.dialect import POSTGRES_HELPERS
    from pybase.store.index_sql import INDEX_HELPERS

    sql = POSTGRES_HELPERS + INDEX_HELPERS
    found = [(m.start(), m.group(1).lower()) for m in _FUNCTION_RE.finditer(sql)]
    definitions: dict[str, str] = {}
    for (start, name), end in zip(found, [s for s, _ in found[1:]] + [len(sql)], strict=True):
        definitions[name] = definitions.get(name, "") + sql[start:end]
    return definitions


def _helpers_called(statements: list[str]) -> str:
    """The definitions of the functions ``statements`` call, and of those these call."""
    definitions = _helper_definitions()
    todo = {name.lower() for sql in statements for name in _CALLED_RE.findall(sql)} & definitions.keys()
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= ({n.lower() for n in _CALLED_RE.findall(definitions[name])} & definitions.keys()) - seen
    return "".join(definitions[name] for name in sorted(seen))


def mark(conn: Connection, statements: list[str]) -> None:
    """Mark the indexes ``statements`` just made (in the caller's transaction)."""
    quote = conn.dialect.identifier_preparer.quote
    comment = fingerprint(statements)  # NOTE: letters, digits and spaces only: a safe literal
    for name in created_names(statements):
        conn.exec_driver_sql(f"COMMENT ON INDEX {quote(name)} IS '{comment}'")


def stale(conn: Connection, collections: Iterable[tuple[str, Table, list[dbutils.Index]]]) -> list[str]:
    """The collections (name, table, its indexes) whose indexes are not the ones this pybase
    makes (a read: :func:`remake` checks again under the lock)."""
    present = _present(conn)
    return [name for name, table, indexes in collections if not _as_made(present, name, _wanted(table, indexes))]


def lock(conn: Connection) -> None:
    """Take the lock, to the end of ``conn``'s transaction, that collection saves on Postgres
    take too: an index is made again from the collection as it is then, never as it was."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))


def remake(conn: Connection, name: str, table: Table, indexes: list[dbutils.Index]) -> bool:
    """Make the indexes of one collection again unless they are the ones this pybase makes (in
    the caller's transaction, :func:`lock` held); True when made again. A failure raises,
    leaving them as they were (a savepoint)."""
    from pybase.store import schema_sync

    wanted = _wanted(table, indexes)
    if _as_made(_present(conn, name), name, wanted):
        return False
    quote = conn.dialect.identifier_preparer.quote
    with conn.begin_nested():
        for index_name in wanted:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(index_name)}")
        schema_sync.create_indexes(conn, schema_sync.TableSpec(name, table, indexes))
    return True


def _wanted(table: Table, indexes: Iterable[dbutils.Index]) -> dict[str, str]:
    """Each index name pybase makes for ``indexes`` -> its mark. PERF: ~1.6 ms an index
    (translated with sqlglot)."""
    from pybase.store.schema import create_index_sql

    wanted: dict[str, str] = {}
    for index in indexes:
        try:
            statements = create_index_sql(table, index, "postgresql")
        except dbutils.IndexRefused:
            continue  # NOTE: the collection's save refused it too: nothing to make
        for index_name in created_names(statements):
            wanted[index_name] = fingerprint(statements)
    return wanted


def _as_made(present: dict[tuple[str, str], str | None], table: str, wanted: dict[str, str]) -> bool:
    return all(present.get((table, index_name)) == mark for index_name, mark in wanted.items())


def _present(conn: Connection, table: str | None = None) -> dict[tuple[str, str], str | None]:
    """(table, index) -> the index's comment, for every index of the schema (or one table's)."""
    sql = (
        "SELECT t.relname, c.relname, obj_description(c.oid, 'pg_class') FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE c.relnamespace = quote_ident(current_schema())::regnamespace"
    )
    if table is not None:
        sql += " AND t.relname = :t"
    return {(row[0], row[1]): row[2] for row in conn.execute(text(sql), {"t": table} if table is not None else {})}
