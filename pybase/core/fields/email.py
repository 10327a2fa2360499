"""Email fields."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field
from pybase.tools.validators import is_email

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record



# ozzo-validation's is.Domain
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{1,63}|xn--[a-z0-9]{1,59})$")


def domain_lists_errors(only: list[str], exclude: list[str]) -> dict[str, Any]:
    """Settings errors of ``onlyDomains``/``exceptDomains``: one list at most, of valid domains."""
    errors: dict[str, Any] = {}
    for key, items, other in (("exceptDomains", exclude, only), ("onlyDomains", only, exclude)):
        if other:
            if items:
                errors[key] = FieldError("validation_empty", "Must be blank.")
            continue
        bad = {
            str(i): FieldError("validation_is_domain", "Must be a valid domain.")
            for i, item in enumerate(items)
            if len(item) > 255 or not _DOMAIN_RE.match(item)
        }
        if bad:
            errors[key] = bad
    return errors


def check_domain(domain: str, only: list[str], exclude: list[str], code: str, message: str) -> None:
    """Raise when ``domain`` is excluded or not in a non-empty allow-list (exact, as PocketBase)."""
    if (only and domain not in only) or (exclude and domain in exclude):
        raise FieldError(code, message)


class EmailField(Field):
    """An email address, optionally limited to some domains."""

    exceptDomains: list[str]
    onlyDomains: list[str]

    type = "email"
    full_text = True
    options: ClassVar[dict[str, Any]] = {"exceptDomains": [], "onlyDomains": []}

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        return domain_lists_errors(self.onlyDomains, self.exceptDomains)

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
