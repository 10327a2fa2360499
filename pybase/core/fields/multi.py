"""Shared behaviour of fields that hold one value or a list (select, relation, file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column, Text, text

from pybase.core.errors import FieldError
from pybase.core.fields.base import Field, to_string_list
from pybase.store.dialect import JSONText

if TYPE_CHECKING:
    from pybase.core.records import Record


class MultiValueField(Field):
    """A field whose ``maxSelect`` > 1 makes it a JSON list column."""

    multi_capable = True
    modifiers: ClassVar[frozenset[str]] = frozenset({"+", "-", "^"})
    maxSelect: int

    def is_multi(self) -> bool:
        return (self.maxSelect or 0) > 1

    def column(self) -> Column:  # type: ignore[type-arg]
        if self.is_multi():
            return Column(self.name, JSONText(), nullable=False, server_default=text("'[]'"))
        return Column(self.name, Text, nullable=False, server_default=text("''"))

    def zero(self) -> Any:
        return [] if self.is_multi() else ""

    def from_db(self, raw: Any) -> Any:
        if self.is_multi():
            if raw is None or raw == "":
                return []
            if isinstance(raw, str):
                try:
                    parsed = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return [raw]
                if isinstance(parsed, list):
                    return [str(v) for v in parsed]
                return [] if parsed in (None, "") else [str(parsed)]
            return list(raw)
        return "" if raw is None else str(raw)

    def to_db(self, value: Any) -> Any:
        if self.is_multi():
            return orjson.dumps(list(value or [])).decode()
        return value or ""

    def prepare(self, raw: Any, record: Record) -> Any:
        values = to_string_list(raw)
        if self.is_multi():
            return values
        # NOTE: PocketBase keeps the last of several values for a single-value field.
        return values[-1] if values else ""

    def apply_modifier(self, modifier: str, raw: Any, record: Record) -> Any:
        current = record.get(self.name)
        items = _unique(list(current) if isinstance(current, list) else ([current] if current else []))
        given = _unique(to_string_list(raw))
        # NOTE: as PocketBase, each side made unique, then the whole (a prepended value already
        # there moves to the front)
        if modifier == "+":
            items = _unique(items + given)
        elif modifier == "^":
            items = _unique(given + items)
        elif modifier == "-":
            items = [v for v in items if v not in given]
        else:
            raise FieldError("validation_invalid_modifier", f"Unsupported modifier {modifier}.")
        if self.is_multi():
            return items
        return items[-1] if items else ""

    def values_of(self, record: Record) -> list[str]:
        """The field's value as a list, whatever its cardinality."""
        value = record.get(self.name)
        if isinstance(value, list):
            return value
        return [value] if value else []

    def check_max_select(self, values: list[str]) -> None:
        """Raise when more values than ``maxSelect`` allows."""
        limit = max(self.maxSelect or 0, 1)
        if len(values) > limit:
            raise FieldError(
                "validation_too_many_values",
                f"Select no more than {limit}.",
                {"maxSelect": limit},
            )


def _unique(values: list[str]) -> list[str]:
    """The values without repeats, each where it first comes."""
    return list(dict.fromkeys(values))
