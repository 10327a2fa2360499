"""Dates the server sets on create and/or update."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError
from pybase.core.fields.base import Field
from pybase.tools.types import now_string

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class AutodateField(Field):
    """Set to the current time on create (``onCreate``) and/or update (``onUpdate``)."""

    onCreate: bool
    onUpdate: bool

    type = "autodate"
    # NOTE: both off unless set, as the zero values of PocketBase's struct (which refuses that).
    options: ClassVar[dict[str, Any]] = {"onCreate": False, "onUpdate": False}
    has_help_required = False

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        if self.onCreate or self.onUpdate:
            return {}
        message = "Either onCreate or onUpdate must be enabled."
        return {"onCreate": FieldError("validation_required", message), "onUpdate": FieldError("validation_required", message)}

    def prepare(self, raw: Any, record: Record) -> Any:
        # NOTE: submitted values are ignored, as in PocketBase.
        return record.get(self.name)

    def before_save(self, record: Record) -> None:
        if (record.is_new and self.onCreate) or (not record.is_new and self.onUpdate):
            record.set(self.name, now_string())

    def validate_value(self, record: Record) -> None:
        return None
