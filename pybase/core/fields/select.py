"""Select fields: one or several values from a fixed list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.multi import MultiValueField

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class SelectField(MultiValueField):
    """Values from ``values``; a list when ``maxSelect`` > 1."""

    values: list[str]

    type = "select"
    options: ClassVar[dict[str, Any]] = {"maxSelect": 0, "values": []}

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = {}
        if not self.values:
            errors["values"] = required()
        limit = max(len(self.values), 1)
        if (self.maxSelect or 0) < 0:
            errors["maxSelect"] = FieldError(
                "validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0}
            )
        elif (self.maxSelect or 0) > limit:
            errors["maxSelect"] = FieldError(
                "validation_max_less_equal_than_required", f"Must be no greater than {limit}.", {"threshold": limit}
            )
        return errors

    def validate_value(self, record: Record) -> None:
        values = self.values_of(record)
        if not values:
            if self.required:
                raise required()
            return
        self.check_max_select(values)
        for value in values:
            if value not in self.values:
                raise FieldError("validation_invalid_value", f"Invalid value {value}", {"value": value})
