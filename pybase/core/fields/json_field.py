"""JSON fields: any JSON value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, JSONText, is_empty

if TYPE_CHECKING:
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 1 << 20


class JSONField(Field):
    """Any JSON value, stored as JSON text (NULL when unset)."""

    maxSize: int

    type = "json"
    options: ClassVar[dict[str, Any]] = {"maxSize": 0}

    def column(self) -> Column:  # type: ignore[type-arg]
        return Column(self.name, JSONText(), nullable=True)

    def zero(self) -> Any:
        return None

    def from_db(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        return raw

    def to_db(self, value: Any) -> Any:
        if value is None:
            return None
        return orjson.dumps(value).decode()

    def prepare(self, raw: Any, record: Record) -> Any:
        # NOTE: text that is valid JSON is parsed (form submissions send JSON as text);
        # any other text is kept as a JSON string, as PocketBase does.
        if isinstance(raw, str):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        if isinstance(raw, bytes):
            return self.prepare(raw.decode("utf-8", "replace"), record)
        return raw

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name)
        if is_empty(value):
            if self.required:
                raise required()
            return
        limit = self.maxSize or DEFAULT_MAX_SIZE
        size = len(orjson.dumps(value))
        if size > limit:
            raise FieldError(
                "validation_json_size_limit",
                f"The maximum allowed JSON size is {limit} bytes.",
                {"maxSize": limit},
            )
