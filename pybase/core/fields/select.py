"""Select fields: one or several values from a fixed list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pybase.core.errors import FieldError, required
from pybase.core.fields.multi import MultiValueField

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class SelectField(MultiValueField):
    """Values from ``values``; a list when ``maxSelect`` > 1."""

    type = "select"
    options = {"maxSelect": 0, "values": []}

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        if not self.values:
            return {"values": required()}
        return {}

    def validate_value(self, record: Record) -> None:
        values = self.values_of(record)
        if not values:
            if self.required:
                raise required()
            return
        for value in values:
            if value not in self.values:
                raise FieldError("validation_invalid_value", f"Invalid value {value}.", {"value": value})
        self.check_max_select(values)
