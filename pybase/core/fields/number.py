"""Number fields."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Column, Double, Numeric, text

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, json_number
from pybase.tools.cast import format_number, to_float
from pybase.tools.gonumbers import json_number as go_json_number

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


INT64_MIN = -(2**63)


def _is_int64(value: float) -> bool:
    """Whether ``value == float64(int64(value))`` in Go (out of range converts to MinInt64)."""
    if INT64_MIN <= value < 2**63:
        return value == int(value)
    return value == INT64_MIN


class NumberField(Field):
    """A float (or integer with ``onlyInt``) with optional bounds."""

    max: float | None
    min: float | None
    onlyInt: bool

    type = "number"
    options: ClassVar[dict[str, Any]] = {"max": None, "min": None, "onlyInt": False}
    modifiers: ClassVar[frozenset[str]] = frozenset({"+", "-"})

    def coerce_option(self, key: str, value: Any, default: Any) -> Any:
        if key in ("min", "max"):
            if value is None or value == "":
                return None
            return json_number(to_float(value))
        return super().coerce_option(key, value, default)

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        for key in ("min", "max"):
            value = getattr(self, key)
            if self.onlyInt and value is not None and not float(value).is_integer():
                errors[key] = FieldError("validation_only_int_constraint", "Decimal numbers are not allowed.")
        if "max" not in errors and self.min is not None and self.max is not None and self.max < self.min:
            errors["max"] = FieldError(
                "validation_min_number_constraint", f"Must be greater or equal than {format_number(self.min)}.", {"min": self.min}
            )
        return errors

    def column(self) -> Column:  # type: ignore[type-arg]
        # NOTE: float64 as PocketBase's numbers; Postgres's NUMERIC would keep each value's scale.
        number = Numeric(asdecimal=False).with_variant(Double(asdecimal=False), "postgresql")
        return Column(self.name, number, nullable=False, server_default=text("0"))

    def zero(self) -> Any:
        return 0

    def from_db(self, raw: Any) -> Any:
        if raw is None or raw == "" or raw == 0:
            return 0  # NOTE: -0 too: SQLite's NUMERIC column holds it as the integer 0
        return json_number(float(raw)) if not isinstance(raw, int) else raw

    def prepare(self, raw: Any, record: Record) -> Any:
        return json_number(to_float(raw))

    def export(self, value: Any) -> Any:
        # NOTE: a float orjson spells otherwise than Go (1e+16, 1e-6, -0.0) as Go does
        return go_json_number(value)

    def export_reader(self, reader: Any) -> Any:
        """``export(reader(raw))`` in one call, or None (apis.serialize's list rows)."""
        return _read_export if reader == self.from_db else None

    def apply_modifier(self, modifier: str, raw: Any, record: Record) -> Any:
        current = to_float(record.get(self.name))
        delta = to_float(raw)
        if modifier == "+":
            return json_number(current + delta)
        if modifier == "-":
            return json_number(current - delta)
        return super().apply_modifier(modifier, raw, record)

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name) or 0
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError("validation_not_a_number", "The submitted number is not properly formatted.")
        if value == 0:
            # NOTE: as PocketBase, a zero value skips every constraint but required.
            if self.required:
                raise required()
            return
        if self.onlyInt and not _is_int64(float(value)):
            raise FieldError("validation_only_int_constraint", "Decimal numbers are not allowed.")
        if self.min is not None and value < self.min:
            raise FieldError(
                "validation_min_number_constraint",
                f"Must be greater or equal than {format_number(float(self.min))}.",
                {"min": self.min},
            )
        if self.max is not None and value > self.max:
            raise FieldError(
                "validation_max_number_constraint",
                f"Must be less or equal than {format_number(float(self.max))}.",
                {"max": self.max},
            )


def _read_export(raw: Any) -> Any:
    """A number column's value as the API writes it (NumberField's from_db, then export)."""
    if type(raw) is int:
        return raw
    if raw is None or raw == "" or raw == 0:
        return 0
    return go_json_number(float(raw))
