"""Boolean fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Boolean, Column, text

from pybase.core.errors import required
from pybase.core.fields.base import Field
from pybase.tools.cast import to_bool

if TYPE_CHECKING:
    from pybase.core.records import Record


class BoolField(Field):
    """True or false; ``required`` means it must be true."""

    type = "bool"
    options: ClassVar[dict[str, Any]] = {}

    def column(self) -> Column:  # type: ignore[type-arg]
        return Column(self.name, Boolean, nullable=False, server_default=text("FALSE"))

    def zero(self) -> Any:
        return False

    def from_db(self, raw: Any) -> Any:
        # PERF: stored as 0/1; the other forms (views, imports) through to_bool
        return raw != 0 if type(raw) is int else to_bool(raw)

    def prepare(self, raw: Any, record: Record) -> Any:
        return to_bool(raw)

    def validate_value(self, record: Record) -> None:
        if self.required and not record.get(self.name):
            raise required()
