"""What SQL added to a collection's table in Postgres besides what its collection declares: a
column (a migration's ``ALTER TABLE posts ADD COLUMN ...``), a constraint, an index. The
restore builds each collection's table from the collection (schema sync); a Postgres backup
carries these additions beside it (the manifest entry's ``additions``, shaped as a table
definition of :mod:`pybase.store.pg_tables`) and puts them back: the columns (and their values)
with the table, the constraints and indexes once the rows are in. On SQLite they travel inside
data.db, as everything does.

pybase's own parts of the table are not additions: the collection's fields and its indexes
(by name), the primary key, the ``_rowid_`` column's sequence.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from pybase.store import pg_tables
from pybase.store.dialect import POSTGRES, ROWID_COLUMN


def read(conn: Connection, name: str, table: Table, own_indexes: set[str]) -> dict[str, Any] | None:
    """The additions to the collection table ``name`` (None when there are none)."""
    declared = {*table.columns.keys(), ROWID_COLUMN}  # NOTE: pybase's hidden identity column
    found = {c["name"] for c in POSTGRES.table_info(conn, name)}
    # NOTE: the sequences of the added columns only (pybase's _rowid_ one is rebuilt)
    definition = pg_tables.read_definition(conn, name, sequences_of=found - declared)
    columns = [c for c in definition["columns"] if c["name"] not in declared]
    added = {c["name"] for c in columns}
    additions = {
        "columns": columns,
        "constraints": [c for c in definition["constraints"] if c["kind"] != "p"],
        "indexes": [i for i in definition["indexes"] if i["name"] not in own_indexes],
        "sequences": [s for s in definition["sequences"] if s["column"] in added],
    }
    if not (additions["columns"] or additions["constraints"] or additions["indexes"]):
        return None
    return additions


def copied_columns(additions: dict[str, Any] | None) -> list[str]:
    """The added columns whose values the dump carries (not the generated ones)."""
    return pg_tables.copied_columns(additions) if additions else []


def check(additions: Any) -> None:
    """Raise pg_tables.TableDefinitionError unless ``additions`` has the shape :func:`read` gives."""
    pg_tables.check_definition(additions, columns_required=False)


def add_columns(conn: Connection, name: str, additions: dict[str, Any] | None) -> None:
    """The added columns, on the table schema sync just built (before its rows are copied)."""
    if additions:
        pg_tables.add_columns(conn, name, additions["columns"], additions["sequences"])


def finish(conn: Connection, name: str, additions: dict[str, Any] | None) -> None:
    """The added indexes and constraints and the added columns' sequence values (rows in)."""
    if additions:
        pg_tables.add_constraints_and_indexes(conn, name, additions)
