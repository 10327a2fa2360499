"""URL fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field
from pybase.core.fields.email import check_domain, domain_lists_errors
from pybase.tools.validators import is_url, url_host

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class URLField(Field):
    """A URL, optionally limited to some domains."""

    exceptDomains: list[str]
    onlyDomains: list[str]

    type = "url"
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
        if not is_url(value):
            raise FieldError("validation_invalid_url", "Must be a valid url.")
        # NOTE: as PocketBase: the host as Go's url.Parse sees it, with its port.
        check_domain(
            url_host(value) or "", self.onlyDomains, self.exceptDomains,
            "validation_url_domain_not_allowed", "Url domain is not allowed.",
        )
