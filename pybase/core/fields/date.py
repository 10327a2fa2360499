"""Date fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field
from pybase.tools.cast import to_string
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
        # NOTE: PocketBase's generic min/max errors, the threshold shown as Go prints a time.
        if self.min and value < self.min:
            raise FieldError(
                "validation_min_greater_equal_than_required",
                f"Must be no less than {_go_time(self.min)}.",
                {"threshold": _rfc3339(self.min)},
            )
        if self.max and value > self.max:
            raise FieldError(
                "validation_max_less_equal_than_required",
                f"Must be no greater than {_go_time(self.max)}.",
                {"threshold": _rfc3339(self.max)},
            )


def _fraction(value: str) -> tuple[str, str]:
    """``("2024-01-01", "10:00:00.5")`` from a stored ``2024-01-01 10:00:00.500Z``."""
    day, _, clock = value.rstrip("Z").partition(" ")
    whole, _, millis = clock.partition(".")
    millis = millis.rstrip("0")
    return day, whole + ("." + millis if millis else "")


def _go_time(value: str) -> str:
    """Go's ``time.Time.String()`` of a UTC date: ``2024-01-01 10:00:00.5 +0000 UTC``."""
    day, clock = _fraction(value)
    return f"{day} {clock} +0000 UTC"


def _rfc3339(value: str) -> str:
    """A UTC date as Go's JSON encodes a ``time.Time`` (RFC 3339, shortest fraction)."""
    day, clock = _fraction(value)
    return f"{day}T{clock}Z"
