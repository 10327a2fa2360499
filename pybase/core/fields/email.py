"""Email fields."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field

if TYPE_CHECKING:
    from pybase.core.records import Record

# NOTE: the same shape ozzo-validation's is.EmailFormat accepts (no display names).
EMAIL_RE = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)


def check_domain(domain: str, only: list[str], exclude: list[str], code: str) -> None:
    """Raise when ``domain`` is excluded or not in a non-empty allow-list."""
    domain = domain.lower()
    if only and domain not in [d.lower() for d in only]:
        raise FieldError(code, "Domain is not allowed.")
    if exclude and domain in [d.lower() for d in exclude]:
        raise FieldError(code, "Domain is not allowed.")


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
        if len(value) > 255 or not EMAIL_RE.match(value):
            raise FieldError("validation_is_email", "Must be a valid email address.")
        check_domain(
            value.rsplit("@", 1)[1], self.onlyDomains, self.exceptDomains,
            "validation_email_domain_not_allowed",
        )
