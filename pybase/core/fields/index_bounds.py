"""The most bytes a field's stored value holds, for Postgres indexes (issue #17).

A Postgres btree index row holds at most 2,704 bytes; pybase.store.index_long_keys keeps a
btree for keys whose bound fits and holds the others by digest or hash. The bound comes from
the field's own limits, as PocketBase validates them; None where PocketBase sets none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pybase.core.fields.base import Field

#: a character's most UTF-8 bytes
_CHAR = 4
#: PocketBase's limit of a text field whose max is 0
_TEXT_DEFAULT_MAX = 5000
#: a date as stored ("2024-01-02 03:04:05.678Z")
_DATE = 32
#: an id, a file name or a password hash as pybase writes them (PocketBase's ids: 15
#: characters; a relation to records of longer ids, past this bound, still gets the write's
#: "too long for the index" 400)
_NAME = 255
#: govalidator's IsURL: fewer than 2,083 characters
_URL_CHARS = 2083


def max_stored_bytes(field: Field) -> int | None:
    """The most bytes ``field``'s stored value holds, None when not bounded (or not known)."""
    kind = field.type
    if field.is_multi() or kind in ("json", "editor", "email", "geoPoint"):
        # NOTE: PocketBase's email check (is.EmailFormat) sets no length
        return None
    if kind == "text":
        return (int(getattr(field, "max", 0) or 0) or _TEXT_DEFAULT_MAX) * _CHAR
    if kind in ("date", "autodate"):
        return _DATE
    if kind in ("relation", "file", "password"):
        return _NAME
    if kind == "url":
        return _URL_CHARS * _CHAR
    if kind == "select":
        return max((len(str(value).encode()) for value in getattr(field, "values", None) or []), default=0)
    return None
