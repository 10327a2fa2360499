"""URL fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field
from pybase.core.fields.email import check_domain

if TYPE_CHECKING:
    from pybase.core.records import Record


def is_url(value: str) -> bool:
    """An absolute URL with a scheme and a host, without spaces."""
    if not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc and parts.hostname)


class URLField(Field):
    """A URL, optionally limited to some domains."""

    exceptDomains: list[str]
    onlyDomains: list[str]

    type = "url"
    options: ClassVar[dict[str, Any]] = {"exceptDomains": [], "onlyDomains": []}

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name) or ""
        if value == "":
            if self.required:
                raise required()
            return
        if not is_url(value):
            raise FieldError("validation_invalid_url", "Must be a valid url.")
        check_domain(
            urlsplit(value).hostname or "", self.onlyDomains, self.exceptDomains,
            "validation_url_domain_not_allowed",
        )
