"""Rich text (HTML) fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import MAX_SAFE_INT, Field, check_range, is_empty

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 5 << 20


class EditorField(Field):
    """HTML text up to ``maxSize`` bytes."""

    convertURLs: bool
    maxSize: int

    type = "editor"
    full_text = True
    options: ClassVar[dict[str, Any]] = {"convertURLs": False, "maxSize": 0}

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        check_range(errors, "maxSize", self.maxSize, 0, MAX_SAFE_INT)
        return errors

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name) or ""
        if is_empty(value):
            if self.required:
                raise required()
            return
        limit = self.maxSize or DEFAULT_MAX_SIZE
        if len(value.encode()) > limit:
            raise FieldError(
                "validation_content_size_limit",
                f"The maximum allowed content size is {limit} bytes.",
                {"maxSize": limit},
            )
