"""SQL expressions whose spelling depends on the database (SQLite here; Postgres later)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, column, exists, func, select


def json_array_contains(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """True when the JSON array stored in ``column`` contains ``value``."""
    items = func.json_each(column).table_valued("value").alias()
    return exists(select(items.c.value).where(items.c.value == value))


def in_json_list(column_: ColumnElement[Any], param: str) -> ColumnElement[bool]:
    """``column_`` is one of the values of the JSON array bound as ``param`` (one parameter for
    any number of values, so the statement compiles once)."""
    items = func.json_each(bindparam(param)).table_valued("value").alias()
    return column_.in_(select(items.c.value))


def json_array_length(column: ColumnElement[Any]) -> ColumnElement[int]:
    """Length of the JSON array stored in ``column`` (0 for non-arrays)."""
    return func.coalesce(func.json_array_length(column), 0)


def insertion_order(table: Any) -> ColumnElement[Any]:
    """A column that orders rows by insertion (SQLite's implicit rowid), qualified by table."""
    return column("rowid", Integer, _selectable=table)
