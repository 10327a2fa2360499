"""SQL whose spelling depends on the database: SQLite (the default) and Postgres.

Queries are built once, database-neutral, from the constructs of :mod:`.constructs`; each
construct renders itself per SQLAlchemy dialect when the statement is compiled (``@compiles``
for ``sqlite`` and ``postgresql``). This package is the one place where the two databases' SQL
differs: the query builders above the storage layer (filter compiler, field resolver, record
queries) never test which database they talk to.

- :mod:`.constructs`: the constructs (column types, defaults, insertion order, JSON items...)
  and their SQLite and Postgres renderings;
- :mod:`.pg_expressions`: SQLite's functions and loose typing (comparisons, LIKE, ||) spelt for
  Postgres; :mod:`.pg_order`: SQLite's sort order spelt for Postgres;
- :mod:`.pg_functions`: the pb_* SQL functions those renderings call (SQLite's times and
  strftime(): :mod:`.pg_strftime`);
- :mod:`.sqlite`, :mod:`.postgres`: the other facts that differ per database (listing tables
  and indexes, reading a unique violation, the words of an error), as methods of
  :class:`SqliteDialect` and :class:`PostgresDialect`; each ``Database`` carries one as
  ``db.dialect``.
"""

from __future__ import annotations

from sqlalchemy import Connection

# NOTE: importing the modules registers their renderings (constructs' defaults first).
from pybase.store.dialect import pg_expressions, pg_order  # noqa: F401
from pybase.store.dialect.constructs import (
    ROWID_COLUMN,
    GeoPointText,
    JSONText,
    JSONValue,
    ViewJSONText,
    hour_of,
    in_json_list,
    insertion_order,
    insertion_order_of,
    json_array_contains,
    json_array_length,
    json_items,
    json_items_length,
    json_text_items,
    json_value_at,
    random_record_id,
    stored_as,
    strftime,
    tie_break,
    with_tie_break,
)
from pybase.store.dialect.pg_functions import POSTGRES_HELPERS
from pybase.store.dialect.pg_order import stored_json
from pybase.store.dialect.postgres import PostgresDialect
from pybase.store.dialect.sqlite import Spellings, SqliteDialect, unique_column_names

__all__ = [
    "POSTGRES", "POSTGRES_HELPERS", "ROWID_COLUMN", "SQLITE", "GeoPointText", "JSONText", "JSONValue", "PostgresDialect",
    "Spellings", "SqliteDialect", "dialect_of", "hour_of", "in_json_list", "insertion_order", "insertion_order_of",
    "json_array_contains", "json_array_length", "json_items", "json_items_length",
    "json_text_items", "json_value_at", "random_record_id", "stored_as", "stored_json", "strftime", "tie_break",
    "unique_column_names", "ViewJSONText", "with_tie_break",
]

SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def dialect_of(conn: Connection) -> SqliteDialect:
    """The dialect facts for the database behind ``conn``."""
    return POSTGRES if conn.dialect.name == "postgresql" else SQLITE
