"""Password fields: stored as bcrypt hashes, never returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, check_range
from pybase.tools.cast import to_string
from pybase.tools.validators import matches, regex_error

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

#: bcrypt only reads the first 72 bytes
BCRYPT_MAX_BYTES = 72


def can_hash(plain: str) -> bool:
    """Whether bcrypt takes ``plain`` whole (72 bytes at most)."""
    return len(plain.encode()) <= BCRYPT_MAX_BYTES


class PasswordField(Field):
    """A write-only secret; the record keeps the hash and, until saved, the plain value."""

    cost: int
    max: int
    min: int
    pattern: str

    type = "password"
    options: ClassVar[dict[str, Any]] = {"cost": 0, "max": 0, "min": 0, "pattern": ""}

    def prepare(self, raw: Any, record: Record) -> Any:
        plain = to_string(raw)
        record.set_password_plain(self.name, plain)
        return record.get(self.name)

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        check_range(errors, "min", self.min, 1, 71)
        check_range(errors, "max", self.max, self.min, 71)
        check_range(errors, "cost", self.cost, 4, 31)  # bcrypt's MinCost, MaxCost
        problem = regex_error(self.pattern) if self.pattern else None
        if problem:
            errors["pattern"] = FieldError("validation_invalid_regex", problem)
        return errors

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
        if not can_hash(plain):
            # NOTE: as PocketBase, where bcrypt refuses it before any length rule runs.
            raise FieldError("validation_invalid_value", "Invalid value.")
        # NOTE: as PocketBase: lengths count characters, the default cap is bcrypt's 71 and
        # neither error carries params.
        length = len(plain)
        if self.min and length < self.min:
            raise FieldError("validation_min_text_constraint", f"Must be at least {self.min} character(s).")
        limit = self.max if self.max > 0 else BCRYPT_MAX_BYTES - 1
        if length > limit:
            raise FieldError("validation_max_text_constraint", f"Must be less than {limit} character(s).")
        if self.pattern:
            if not matches(self.pattern, plain):
                raise FieldError("validation_invalid_format", "Invalid value format.")
