"""Value conversion for ``pybase db copy``: SQLite's loosely typed values as the Postgres columns
take them (booleans, numbers, text, JSON)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Float, Integer, Numeric

from pybase.store import pg_nul
from pybase.store.dialect import JSONText


def converter_for(column: Column[Any]) -> Callable[[Any], Any]:
    """SQLite's loosely typed value as the Postgres column takes it."""
    kind = column.type
    if isinstance(kind, JSONText):
        return _json_converter(column)
    if isinstance(kind, Boolean):
        return _to_bool
    if isinstance(kind, Integer):
        return _to_int
    if isinstance(kind, Numeric | Float):
        return _to_float
    if column.nullable:
        return _to_text_or_none
    return _to_text


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "yes")
    return bool(value)


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(_to_float(value))


def _to_float(value: Any) -> float | int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    # NOTE: as PocketBase reads a number column holding text: what does not parse is 0.
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def _to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _to_text_or_none(value: Any) -> str | None:
    return None if value is None else _to_text(value)


def _json_converter(column: Column[Any]) -> Callable[[Any], Any]:
    default = column.server_default.arg if column.server_default is not None else None
    empty: str | None = None
    if not column.nullable:
        empty = default if isinstance(default, str) else getattr(default, "text", "'[]'").strip("'")

    def convert(value: Any) -> str | None:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if value is None or value == "":
            return empty
        if not isinstance(value, str):
            return pg_nul.escape_json_text(orjson.dumps(value).decode())
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            # NOTE: text that is not JSON is read by pybase as a JSON string: stored as one.
            return pg_nul.escape_json_text(orjson.dumps(value).decode())
        # NOTE: a NUL in a JSON string (\u0000) as a jsonb column holds it (pybase.store.pg_nul)
        return pg_nul.escape_json_text(value)

    return convert
