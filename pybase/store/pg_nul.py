"""A NUL character (U+0000) in text Postgres stores (issue #17).

SQLite's TEXT holds U+0000 and PocketBase stores it; Postgres text and jsonb hold none. On
Postgres pybase stores text through a reversible escape, applied at the driver's boundary:

- every string parameter sent (psycopg's str dumpers, :func:`register`): U+0000 is
  ``\\x01\\x01`` and U+0001 ``\\x01\\x02``; so a stored value, a filter's operand, a LIKE pattern
  and a rule's ``@request`` value meet in the same spelling;
- a JSON value's text (a jsonb column's) is escaped alike at the JSON level (``\\u0000`` is
  ``\\u0001\\u0001``): :func:`escape_json_text` when a record is written;
- read back: a record's text column through :func:`unescape_text`, a jsonb column's text through
  :func:`unescape_json_text` (pybase.core.collections' row readers), a log entry's likewise.

The escape keeps SQLite's order (UTF-8 bytes): U+0000 < U+0001 < any other character maps to
``\\x01\\x01`` < ``\\x01\\x02`` < that character, and a prefix stays a prefix, so ``=``, ``<``,
sorts and unique indexes answer as on the raw text. What differs: a computed length or
substring of such a value counts the escape's characters, and a LIKE pattern holding U+0002
may match an escaped U+0001 (both control characters; PocketBase refuses U+0000 in a filter's
quoted literal, not in a value from ``@request``).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

ESCAPE = "\x01"
_TEXT_ESCAPES = str.maketrans({"\x00": "\x01\x01", "\x01": "\x01\x02"})
_TEXT_ESCAPED_RE = re.compile("\x01[\x01\x02]")
_TEXT_UNESCAPES = {"\x01\x01": "\x00", "\x01\x02": "\x01"}
# NOTE: left to right, a backslash and the character it escapes at a time: "\\u0000" (an escaped
# backslash, then "u0000") is no NUL
_JSON_RE = re.compile(r"\\(?:u0000|u0001|.)", re.DOTALL)
_JSON_ESCAPED_RE = re.compile(r"\\(?:u0001\\u000[12]|.)", re.DOTALL)
_JSON_ESCAPES = {"\\u0000": "\\u0001\\u0001", "\\u0001": "\\u0001\\u0002"}
_JSON_UNESCAPES = {"\\u0001\\u0001": "\\u0000", "\\u0001\\u0002": "\\u0001"}


def escape_text(value: str) -> str:
    """``value`` as Postgres text holds it."""
    if "\x00" in value or ESCAPE in value:
        return value.translate(_TEXT_ESCAPES)
    return value


def unescape_text(value: Any) -> Any:
    """A stored text as written (any other value as it is)."""
    if value.__class__ is str and ESCAPE in value:
        return _TEXT_ESCAPED_RE.sub(lambda m: _TEXT_UNESCAPES[m.group()], value)
    return value


def escape_json_text(value: Any) -> Any:
    """JSON text as a jsonb column holds it (a string in it escaped as :func:`escape_text`)."""
    if value.__class__ is str and ("\\u0000" in value or "\\u0001" in value):
        return _JSON_RE.sub(lambda m: _JSON_ESCAPES.get(m.group(), m.group()), value)
    return value


def unescape_json_text(value: Any) -> Any:
    """A jsonb column's text as written."""
    if value.__class__ is str and "\\u0001" in value:
        return _JSON_ESCAPED_RE.sub(lambda m: _JSON_UNESCAPES.get(m.group(), m.group()), value)
    return value


@cache
def _dumpers() -> tuple[type, ...]:
    # NOTE: psycopg imported here: pybase on SQLite never loads it
    from psycopg.types.string import StrBinaryDumper, StrDumper, StrDumperUnknown, StrDumperVarchar

    def dump(self: Any, obj: str) -> bytes:
        if "\x00" in obj or ESCAPE in obj:
            obj = obj.translate(_TEXT_ESCAPES)
        return obj.encode(self._encoding)

    # NOTE: in psycopg's order of registration: the last one is the default
    return tuple(type(f"Escaping{base.__name__}", (base,), {"dump": dump})
                 for base in (StrBinaryDumper, StrDumperVarchar, StrDumper, StrDumperUnknown))  # fmt: skip


def register(dbapi_conn: Any) -> None:
    """Send every string parameter of ``dbapi_conn`` escaped (:func:`escape_text`)."""
    for dumper in _dumpers():
        dbapi_conn.adapters.register_dumper(str, dumper)


__all__ = ["escape_json_text", "escape_text", "register", "unescape_json_text", "unescape_text"]
