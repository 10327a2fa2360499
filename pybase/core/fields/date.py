"""Date fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, to_string
from pybase.tools.types import format_datetime, parse_datetime

if TYPE_CHECKING:
    from pybase.core.records import Record


def normalize_date(raw: Any) -> str:
    """A submitted date in PocketBase's format, or "" when it is not a date."""
    parsed = parse_datetime(to_string(raw))
    return format_datetime(parsed) if parsed else ""


class DateField(Field):
    """A UTC date-time with optional bounds."""

    max: str
    min: str

    type = "date"
    options: ClassVar[dict[str, Any]] = {"max": "", "min": ""}

    def coerce_option(self, key: str, value: Any, default: Any) -> Any:
        return normalize_date(value) if value else ""

    def prepare(self, raw: Any, record: Record) -> Any:
        return normalize_date(raw)

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name) or ""
        if value == "":
            if self.required:
                raise required()
            return
        if self.min and value < self.min:
            raise FieldError(
                "validation_min_date_constraint", f"Must be no earlier than {self.min}.", {"min": self.min}
            )
        if self.max and value > self.max:
            raise FieldError(
                "validation_max_date_constraint", f"Must be no later than {self.max}.", {"max": self.max}
            )
