"""File fields. Uploads arrive with the files area; here the stored names are kept and removed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import MAX_SAFE_INT, check_range
from pybase.core.fields.multi import MultiValueField

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 5 << 20


_THUMB_RE = re.compile(r"^(\d+)x(\d+)(t|b|f)?$")

class FileField(MultiValueField):
    """Names of files stored for the record."""

    maxSize: int
    mimeTypes: list[str]
    protected: bool
    thumbs: list[str]

    type = "file"
    options: ClassVar[dict[str, Any]] = {
        "maxSelect": 0,
        "maxSize": 0,
        "mimeTypes": [],
        "protected": False,
        "thumbs": [],
    }

    def prepare(self, raw: Any, record: Record) -> Any:
        return super().prepare(raw, record)

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        check_range(errors, "maxSelect", self.maxSelect, 0, MAX_SAFE_INT)
        check_range(errors, "maxSize", self.maxSize, 0, MAX_SAFE_INT)
        thumbs: dict[str, FieldError] = {}
        for index, size in enumerate(self.thumbs):
            if size in ("0x0", "0x0t", "0x0b", "0x0f"):
                thumbs[str(index)] = FieldError("validation_not_in_invalid", "Must not be in list.")
            elif not _THUMB_RE.match(size):
                thumbs[str(index)] = FieldError("validation_match_invalid", "Must be in a valid format.")
        if thumbs:
            errors["thumbs"] = thumbs
        return errors

    def validate_value(self, record: Record) -> None:
        values = self.values_of(record)
        if not values:
            if self.required:
                raise required()
            return
        old = record.original_values(self.name)
        # NOTE: as PocketBase, each invalid name is shown cut to 250 bytes.
        new_names = [v.encode()[:250].decode(errors="ignore") for v in values if v not in old]
        if new_names:
            raise FieldError(
                "validation_invalid_file",
                f"Invalid new files: [{' '.join(new_names)}].",
                {"invalidFiles": new_names},
            )
        limit = max(self.maxSelect or 0, 1)
        if len(values) > limit:
            raise FieldError(
                "validation_too_many_files", f"The maximum allowed files is {limit}", {"maxSelect": limit}
            )
