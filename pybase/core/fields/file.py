"""File fields: stored names, uploads (:class:`~pybase.tools.filesystem.File`) and their checks.

A value holds names of stored files and, until the record is saved, :class:`File` objects for
new uploads; the database and record JSON only ever see names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import MAX_SAFE_INT, check_range
from pybase.core.fields.multi import MultiValueField
from pybase.tools.cast import to_string
from pybase.tools.filesystem import File, is_mime

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 5 << 20

_THUMB_RE = re.compile(r"^(\d+)x(\d+)(t|b|f)?$")
_LOOSE_NAME_RE = re.compile(r"^[^./\\][^/\\]+$")


def _name(item: Any) -> str:
    return item.name if isinstance(item, File) else str(item)


def _items(raw: Any) -> list[Any]:
    """Names and uploads from any submitted shape, unique by name, empty names dropped."""
    if raw is None:
        return []
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                parsed = orjson.loads(stripped)
                if isinstance(parsed, list):
                    raw = parsed
            except orjson.JSONDecodeError:
                pass
    values = raw if isinstance(raw, list | tuple) else [raw]
    out: list[Any] = []
    seen: set[str] = set()
    for value in values:
        item = value if isinstance(value, File) else to_string(value)
        name = _name(item)
        if name and name not in seen:
            seen.add(name)
            out.append(item)
    return out


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

    def max_size(self) -> int:
        """The largest upload accepted, in bytes (5 MiB when unset)."""
        return self.maxSize if self.maxSize and self.maxSize > 0 else DEFAULT_MAX_SIZE

    def max_select(self) -> int:
        """How many files the field holds at most."""
        return max(self.maxSelect or 0, 1)

    def _shape(self, items: list[Any]) -> Any:
        if self.is_multi():
            return items
        return items[-1] if items else ""

    def prepare(self, raw: Any, record: Record) -> Any:
        return self._shape(_items(raw))

    def apply_modifier(self, modifier: str, raw: Any, record: Record) -> Any:
        current = self.values_of(record)
        given = _items(raw)
        if modifier == "+":
            items = current + given
        elif modifier == "^":
            items = given + current
        elif modifier == "-":
            remove = {_name(g) for g in given}
            items = [v for v in current if _name(v) not in remove]
        else:
            raise FieldError("validation_invalid_modifier", f"Unsupported modifier {modifier}.")
        return self._shape(_items(items))

    def to_db(self, value: Any) -> Any:
        if self.is_multi():
            return orjson.dumps([_name(v) for v in value or []]).decode()
        return _name(value) if value else ""

    def export(self, value: Any) -> Any:
        if isinstance(value, list):
            return [_name(v) for v in value]
        return _name(value) if value else ""

    def names_of(self, record: Record) -> list[str]:
        """The names of the field's files (new uploads included)."""
        return [_name(v) for v in self.values_of(record)]

    def uploads_of(self, record: Record) -> list[File]:
        """The field's files not stored yet."""
        return [v for v in self.values_of(record) if isinstance(v, File)]

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
        new_names = [
            v.encode()[:250].decode(errors="ignore") for v in values if not isinstance(v, File) and v not in old
        ]
        if new_names:
            raise FieldError(
                "validation_invalid_file",
                f"Invalid new files: [{' '.join(new_names)}].",
                {"invalidFiles": new_names},
            )
        limit = self.max_select()
        if len(values) > limit:
            raise FieldError(
                "validation_too_many_files", f"The maximum allowed files is {limit}", {"maxSelect": limit}
            )
        for upload in values:
            if isinstance(upload, File):
                self.validate_upload(upload)

    def validate_upload(self, upload: File) -> None:
        """Name, size and content type of one new file."""
        if not 1 <= len(upload.name) <= 150:
            raise FieldError(
                "validation_length_out_of_range", "The length must be between 1 and 150.", {"max": 150, "min": 1}
            )
        if not _LOOSE_NAME_RE.match(upload.name):
            raise FieldError("validation_match_invalid", "Must be in a valid format.")
        if upload.size > self.max_size():
            raise size_limit_error(upload.original_name, self.max_size())
        if self.mimeTypes and not any(is_mime(upload.content_type, t) for t in self.mimeTypes):
            raise FieldError(
                "validation_invalid_mime_type",
                f"{orjson.dumps(upload.name).decode()} mime type must be one of: {', '.join(self.mimeTypes)}.",
            )


def size_limit_error(original_name: str, max_size: int) -> FieldError:
    """PocketBase's error for an upload over ``maxSize``."""
    name = original_name.encode()[:300].decode(errors="ignore")
    return FieldError(
        "validation_file_size_limit",
        f"Failed to upload {name} - the maximum allowed file size is {max_size} bytes.",
        {"file": name, "maxSize": max_size},
    )
