"""System tables and the SQLAlchemy ``Table`` objects built for collections."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    literal_column,
    text,
)
from sqlalchemy.sql.elements import TextClause

from pybase.store.dialect import dialect_of
from pybase.tools import dbutils

# NOTE: names as PocketBase allows them (^\w+$, ASCII: digits first too); always quoted in SQL.
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_]+$")

metadata = MetaData()

# NOTE: same layout as PocketBase's own system tables, so a data dir can be inspected with
# the same queries and an import from PocketBase maps one to one.
collections_table = Table(
    "_collections",
    metadata,
    Column("id", Text, primary_key=True, nullable=False),
    Column("system", Boolean, nullable=False, server_default=text("FALSE")),
    Column("type", Text, nullable=False, server_default=text("'base'")),
    Column("name", Text, nullable=False, unique=True),
    Column("fields", Text, nullable=False, server_default=text("'[]'")),
    Column("indexes", Text, nullable=False, server_default=text("'[]'")),
    Column("listRule", Text),
    Column("viewRule", Text),
    Column("createRule", Text),
    Column("updateRule", Text),
    Column("deleteRule", Text),
    Column("options", Text, nullable=False, server_default=text("'{}'")),
    Column("created", Text, nullable=False, server_default=text("''")),
    Column("updated", Text, nullable=False, server_default=text("''")),
)

params_table = Table(
    "_params",
    metadata,
    Column("id", Text, primary_key=True, nullable=False),
    Column("value", Text),
    Column("created", Text, nullable=False, server_default=text("''")),
    Column("updated", Text, nullable=False, server_default=text("''")),
)

migrations_table = Table(
    "_migrations",
    metadata,
    # NOTE: SQLite does not hold a file name to 255 characters, Postgres would (a migration
    # named after a collection of a long name).
    Column("file", String(255).with_variant(Text(), "postgresql"), primary_key=True, nullable=False),
    # NOTE: microseconds: past 32 bits, which only Postgres's INTEGER minds.
    Column("applied", Integer().with_variant(BigInteger(), "postgresql"), nullable=False),
)


def create_system_tables(conn: Connection) -> None:
    """Create the system tables when missing."""
    metadata.create_all(conn, checkfirst=True)
    quote = conn.dialect.identifier_preparer.quote
    for table in metadata.sorted_tables:
        for sql in dialect_of(conn).extra_table_ddl(quote(table.name)):
            conn.exec_driver_sql(sql)


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise ValueError."""
    if not IDENTIFIER_RE.match(name or ""):
        raise ValueError(f"invalid identifier {name!r}")
    return name


def build_table(name: str, columns: Iterable[Column]) -> Table:  # type: ignore[type-arg]
    """A standalone ``Table`` for a collection (its own MetaData, so it can be rebuilt)."""
    return Table(check_identifier(name), MetaData(), *columns)


def create_index_sql(table: Table, spec: dbutils.Index, dialect: str = "sqlite") -> list[str]:
    """The statements that create ``spec`` on ``table`` (``CREATE INDEX``; on Postgres a
    lookup index beside one that holds long values: pybase.store.index_long_keys).

    SECURITY: the statement is rendered from the checked AST of the definition (see
    :mod:`pybase.tools.dbutils`), on the checked table name, never from the stored text.
    """
    check_identifier(table.name)
    if dialect == "postgresql":
        from pybase.store.index_sql import postgres_create_index

        return postgres_create_index(spec, table)
    return [spec.create_sql(table.name, table.c.keys())]


def first_row(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` limited to its first row, the limit written into the SQL (``LIMIT 1``).

    PERF: SQLite 3.51 prepares a statement again each time its bound LIMIT changes value when
    the plan may read it (a lookup by key with ``LIMIT ?``): 7.4 us a view by id instead of 4.0.
    """
    return stmt.limit(_ONE)


_ONE = literal_column("1")


def raw_select(sql: str) -> TextClause:
    """A superuser-written SELECT for a view collection, as a SQL text clause.

    SECURITY: view queries are SQL written by superusers by design (as in PocketBase); they
    are checked to be one SELECT statement before reaching here and never carry request data.
    """
    return text(sql)
