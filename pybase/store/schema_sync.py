"""Apply a collection's schema to SQL: create, alter (keeping data) and drop its table or view.

Every function here expects to run inside the caller's write transaction, so a change that
fails half-way leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Column, Connection, Table, text
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable

from pybase.store.schema import build_index, check_identifier, raw_select
from pybase.tools import dbutils


@dataclass
class TableSpec:
    """What a collection's table should look like."""

    name: str
    table: Table
    indexes: list[dbutils.Index] = field(default_factory=list)


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(check_identifier(name))


def create_table(conn: Connection, spec: TableSpec) -> None:
    """Create a collection table and its indexes."""
    conn.execute(CreateTable(spec.table))
    create_indexes(conn, spec)


def create_indexes(conn: Connection, spec: TableSpec) -> None:
    """Create every index of ``spec``."""
    for index in spec.indexes:
        conn.execute(CreateIndex(build_index(spec.table, index)))


def drop_indexes(conn: Connection, table_name: str) -> None:
    """Drop the user indexes of a table (not the implicit ones behind constraints)."""
    rows = conn.execute(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL"
        ),
        {"t": table_name},
    ).all()
    for (name,) in rows:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, name)}")


def drop_table(conn: Connection, name: str) -> None:
    """Drop a collection table."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_q(conn, name)}")


def create_view(conn: Connection, name: str, select_sql: str) -> None:
    """Create (or replace) a view collection's SQL view."""
    drop_view(conn, name)
    # SECURITY: see raw_select(); the name is a checked identifier quoted by the dialect.
    conn.execute(text(f"CREATE VIEW {_q(conn, name)} AS SELECT * FROM ({raw_select(select_sql).text})"))


def drop_view(conn: Connection, name: str) -> None:
    """Drop a view collection's SQL view."""
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {_q(conn, name)}")


def sync_table(
    conn: Connection,
    old_name: str,
    old_columns: Iterable[str],
    new: TableSpec,
    renames: Mapping[str, str],
) -> None:
    """Alter ``old_name`` into ``new``: rename table/columns, drop and add columns, indexes.

    ``renames`` maps an old column name to its new name; columns of the old table that are
    neither kept nor renamed are dropped, new ones are added with their defaults.
    """
    drop_indexes(conn, old_name)
    if old_name != new.name:
        # NOTE: case-only renames need a detour through a temp name in SQLite.
        temp = f"_pb_tmp_{new.name}"
        conn.exec_driver_sql(f"ALTER TABLE {_q(conn, old_name)} RENAME TO {_q(conn, temp)}")
        conn.exec_driver_sql(f"ALTER TABLE {_q(conn, temp)} RENAME TO {_q(conn, new.name)}")
    table = _q(conn, new.name)
    new_columns = {c.name for c in new.table.columns}
    old = list(old_columns)
    for col in old:
        if col not in renames and col not in new_columns:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {_q(conn, col)}")
    # NOTE: two steps so swapped names (a->b, b->a) never collide.
    pending = {o: n for o, n in renames.items() if o != n and o in old}
    for index, old_col in enumerate(pending):
        conn.exec_driver_sql(
            f"ALTER TABLE {table} RENAME COLUMN {_q(conn, old_col)} TO {_q(conn, f'_pb_tmp_{index}')}"
        )
    for index, new_col in enumerate(pending.values()):
        conn.exec_driver_sql(
            f"ALTER TABLE {table} RENAME COLUMN {_q(conn, f'_pb_tmp_{index}')} TO {_q(conn, new_col)}"
        )
    existing = {renames.get(c, c) for c in old if c in renames or c in new_columns}
    for column in new.table.columns:
        if column.name not in existing:
            add_column(conn, new.name, column)
    create_indexes(conn, new)


def add_column(conn: Connection, table_name: str, column: Column) -> None:  # type: ignore[type-arg]
    """``ALTER TABLE ... ADD COLUMN`` rendered by the dialect from a Column definition."""
    ddl = CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {_q(conn, table_name)} ADD COLUMN {ddl}")


def table_columns(conn: Connection, table_name: str) -> list[str]:
    """Column names of a table or view, in order."""
    rows = conn.exec_driver_sql(f"SELECT * FROM {_q(conn, table_name)} LIMIT 0")
    return list(rows.keys())
