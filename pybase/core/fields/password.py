"""Password fields: stored as bcrypt hashes, never returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, to_string

if TYPE_CHECKING:
    from pybase.core.records import Record

#: bcrypt only reads the first 72 bytes
BCRYPT_MAX_BYTES = 72


class PasswordField(Field):
    """A write-only secret; the record keeps the hash and, until saved, the plain value."""

    type = "password"
    options = {"cost": 0, "max": 0, "min": 0, "pattern": ""}

    def prepare(self, raw: Any, record: Record) -> Any:
        plain = to_string(raw)
        record.set_password_plain(self.name, plain)
        return record.get(self.name)

    def validate_value(self, record: Record) -> None:
        plain = record.password_plain(self.name)
        if plain is None:
            if self.required and not record.get(self.name):
                raise required()
            return
        if plain == "":
            if self.required:
                raise required()
            return
        if self.min and len(plain) < self.min:
            raise FieldError(
                "validation_min_text_constraint",
                f"Must be at least {self.min} character(s).",
                {"min": self.min},
            )
        limit = min(self.max or BCRYPT_MAX_BYTES - 1, BCRYPT_MAX_BYTES - 1)
        if len(plain.encode()) > limit:
            raise FieldError(
                "validation_max_text_constraint",
                f"Must be no more than {limit} character(s).",
                {"max": limit},
            )
        if self.pattern:
            import re

            if not re.search(self.pattern, plain):
                raise FieldError("validation_invalid_format", "Invalid value format.")
