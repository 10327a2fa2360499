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
sorts and unique indexes answer as on the raw text, and so do || and comparisons in a view's
SQL. Its functions read the escaped text through :data:`NUL_HELPERS` where SQLite reads a text
up to its first NUL (length(), substr(), unicode(), quote(), printf's %s, LIKE and GLOB, a
filter's ~ too, trim()'s characters, the date functions' arguments) or all its characters (instr(), replace(), trim(), hex(),
octet_length()); char(0) and char(1) give the escape, and so does a text literal of the view's
query (pybase.store.view_sql); JSON text made of a value writes its NUL as ``\\u0000``
(pb_json_nul). What differs still: a JSON key holding a NUL, which SQLite's path reads up to it
(tests/conformance/known.py).
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


#: The SQL functions reading escaped text as SQLite reads the text (installed first of
#: pybase.store.dialect's POSTGRES_HELPERS). Each tests for the escape's U+0001 first: a text
#: without it is read as it is (PERF, 200,000 texts of ~40 characters: pb_length ~0.05 us a
#: text more than length()). In escaped text the first U+0001 U+0001 is the first NUL (an
#: escape's second character is U+0001 only in a NUL's).
NUL_HELPERS = r"""
-- A text up to its first NUL (SQLite's C-string reading: length(), substr(), quote()), escaped.
CREATE OR REPLACE FUNCTION pb_nul_end(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN value ELSE split_part(value, chr(1) || chr(1), 1) END
$$;

-- The same as the text it stands for (it holds no NUL): U+0001 as it is.
CREATE OR REPLACE FUNCTION pb_nul_cut(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN value
        ELSE replace(split_part(value, chr(1) || chr(1), 1), chr(1) || chr(2), chr(1)) END
$$;

-- A text holding no NUL (pb_nul_cut's, a function's of it) escaped again.
CREATE OR REPLACE FUNCTION pb_nul_escape(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN value ELSE replace(value, chr(1), chr(1) || chr(2)) END
$$;

-- SQLite's length(): a text's characters before its first NUL; a BLOB's bytes.
CREATE OR REPLACE FUNCTION pb_length(value text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN length(value)
        ELSE length(replace(split_part(value, chr(1) || chr(1), 1), chr(1) || chr(2), chr(1))) END
$$;

CREATE OR REPLACE FUNCTION pb_length(value bytea) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT length(value) $$;

-- The UTF-8 bytes of the text escaped text stands for (a NUL a zero byte).
CREATE OR REPLACE FUNCTION pb_nul_bytes(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN convert_to(value, 'UTF8') ELSE (
        SELECT string_agg(convert_to(replace(part, chr(1) || chr(2), chr(1)), 'UTF8'), '\x00'::bytea ORDER BY n)
        FROM unnest(string_to_array(value, chr(1) || chr(1))) WITH ORDINALITY AS p(part, n)) END
$$;

-- SQLite's octet_length() of a text: its bytes, a NUL's too (an escape's two characters one byte).
CREATE OR REPLACE FUNCTION pb_octet_length(value text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN octet_length(value)
        ELSE octet_length(value) - length(value)
            + length(replace(replace(value, chr(1) || chr(1), '0'), chr(1) || chr(2), '1')) END
$$;

CREATE OR REPLACE FUNCTION pb_octet_length(value bytea) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT octet_length(value) $$;

-- SQLite's instr(): where needle first is in value, in characters (0: nowhere), a NUL one too;
-- a match in escaped text starts after a whole escape, not at its second character.
CREATE OR REPLACE FUNCTION pb_instr_escaped(value text, needle text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    start int := 1;
    found int;
    before text;
BEGIN
    LOOP
        found := strpos(substr(value, start), needle);
        IF found = 0 THEN RETURN 0; END IF;
        found := start + found - 1;
        before := replace(replace(left(value, found - 1), chr(1) || chr(1), '0'), chr(1) || chr(2), '1');
        IF right(before, 1) <> chr(1) THEN RETURN length(before) + 1; END IF;
        start := found + 1;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pb_instr(value text, needle text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 THEN strpos(value, needle) ELSE pb_instr_escaped(value, needle) END
$$;

-- SQLite's replace(): each match of pattern, left to right, replaced (none for a pattern starting
-- with a NUL: SQLite reads its first character alone); in escaped text a match starting with U+0001
-- or U+0002 starts after a whole escape, not at its second character.
CREATE OR REPLACE FUNCTION pb_replace_escaped(value text, pattern text, repl text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result text := '';
    start int := 1;
    found int;
BEGIN
    IF starts_with(pattern, chr(1) || chr(1)) THEN RETURN value; END IF;
    LOOP
        found := strpos(substr(value, start), pattern);
        EXIT WHEN found = 0;
        found := start + found - 1;
        IF right(replace(replace(left(value, found - 1), chr(1) || chr(1), '0'), chr(1) || chr(2), '1'), 1) <> chr(1) THEN
            result := result || substr(value, start, found - start) || repl;
            start := found + length(pattern);
        ELSE
            result := result || substr(value, start, found - start + 1);
            start := found + 1;
        END IF;
    END LOOP;
    RETURN result || substr(value, start);
END $$;

CREATE OR REPLACE FUNCTION pb_replace(value text, pattern text, repl text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(value, chr(1)) = 0 OR ascii(pattern) NOT IN (1, 2) THEN replace(value, pattern, repl)
        ELSE pb_replace_escaped(value, pattern, repl) END
$$;

-- SQLite's trim(), ltrim(), rtrim() of value (``ends``: 'both', 'leading', 'trailing'): the
-- characters of chars (up to a NUL) off its ends, an escape as the character it stands for.
CREATE OR REPLACE FUNCTION pb_trim_escaped(value text, chars text, ends text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    cut text := pb_nul_cut(chars);
    units text[] := ARRAY(SELECT m[1] FROM regexp_matches(value, '(' || chr(1) || '[' || chr(1) || chr(2) || ']|.)', 'g') AS m);
    first int := 1;
    last int := cardinality(units);
BEGIN
    WHILE ends <> 'trailing' AND first <= last AND units[first] <> chr(1) || chr(1)
          AND strpos(cut, replace(units[first], chr(1) || chr(2), chr(1))) > 0 LOOP
        first := first + 1;
    END LOOP;
    WHILE ends <> 'leading' AND last >= first AND units[last] <> chr(1) || chr(1)
          AND strpos(cut, replace(units[last], chr(1) || chr(2), chr(1))) > 0 LOOP
        last := last - 1;
    END LOOP;
    RETURN array_to_string(units[first:last], '');
END $$;

CREATE OR REPLACE FUNCTION pb_trim(value text, chars text, ends text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(chars, chr(1)) = 0 AND strpos(chars, chr(2)) = 0 THEN
        CASE ends WHEN 'leading' THEN ltrim(value, chars) WHEN 'trailing' THEN rtrim(value, chars) ELSE btrim(value, chars) END
        ELSE pb_trim_escaped(value, chars, ends) END
$$;

-- SQLite's LIKE: both texts up to a NUL, ASCII letters of either case alike, no escape
-- character but one given (ESCAPE); Postgres's LIKE tells cases apart and escapes with \.
CREATE OR REPLACE FUNCTION pb_like(value text, pattern text, esc text DEFAULT '') RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(pb_nul_cut(value) COLLATE "C") LIKE lower(pb_nul_cut(pattern) COLLATE "C") ESCAPE pb_nul_cut(esc)
$$;

-- JSON text (a jsonb's) as SQLite holds it: a string's escaped NUL (\u0001\u0001) is \u0000
-- again, an escaped U+0001 (\u0001\u0002) \u0001; a backslash escaped (\\) is none.
CREATE OR REPLACE FUNCTION pb_json_nul(doc text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(doc, '\u0001') = 0 THEN doc ELSE regexp_replace(regexp_replace(doc,
        '(?<!\\)((?:\\\\)*)\\u0001\\u0001', '\1\\u0000', 'g'),
        '(?<!\\)((?:\\\\)*)\\u0001\\u0002', '\1\\u0001', 'g') END
$$;
"""


def register(dbapi_conn: Any) -> None:
    """Send every string parameter of ``dbapi_conn`` escaped (:func:`escape_text`)."""
    for dumper in _dumpers():
        dbapi_conn.adapters.register_dumper(str, dumper)


__all__ = ["NUL_HELPERS", "escape_json_text", "escape_text", "register", "unescape_json_text", "unescape_text"]
