"""Email fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field
from pybase.tools.validators import is_email

if TYPE_CHECKING:
    from pybase.core.records import Record



def check_domain(domain: str, only: list[str], exclude: list[str], code: str, message: str) -> None:
    """Raise when ``domain`` is excluded or not in a non-empty allow-list (exact, as PocketBase)."""
    if (only and domain not in only) or (exclude and domain in exclude):
        raise FieldError(code, message)


class EmailField(Field):
    """An email address, optionally limited to some domains."""

    exceptDomains: list[str]
    onlyDomains: list[str]

    type = "email"
    options: ClassVar[dict[str, Any]] = {"exceptDomains": [], "onlyDomains": []}

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name) or ""
        if value == "":
            if self.required:
                raise required()
            return
        if not is_email(value):
            raise FieldError("validation_is_email", "Must be a valid email address.")
        check_domain(
            value.rsplit("@", 1)[1], self.onlyDomains, self.exceptDomains,
            "validation_email_domain_not_allowed", "Email domain is not allowed.",
        )
