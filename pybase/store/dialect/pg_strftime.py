"""Postgres SQL functions for SQLite's strftime(): the fast, inlinable path for the times
PocketBase writes, and the exact plpgsql one (pb_strftime_exact, in pg_functions) for the rest."""

from __future__ import annotations

# ---- strftime: PocketBase's times written from their own digits --------------------------
#
# PERF (issue #17): pb_strftime_exact reads any time with any modifiers, ~20 us a call (plpgsql,
# a regular expression's captures, the format read a character at a time). pb_strftime_inline
# is an SQL function Postgres inlines into the query (~1 us): a time as PocketBase writes it,
# YYYY-MM-DD, or that, a blank or T, HH:MM[:SS[.f to .fff]] and Z or nothing (a real date of the
# years 1 to 9999, an hour below 24), with no modifier and a format of SQLite's letters (no %%),
# is written from its own digits, and from its timestamp for what is computed (%s %J %j %w...),
# through format(); any other call goes to pb_strftime_exact, whose answers these are (the
# fields as written are the moment's for such a time: tests/conformance/test_strftime_fast.py).
# Postgres inlines it only where its arguments are cheap (a column, a value: each is read
# several times, a costly one would be computed each time, so Postgres calls it instead, ~35
# us); pb_strftime (plpgsql: the arguments computed once, then the inlined function) takes any.
# With the format a constant (a view's, a filter's bound value) Postgres keeps only the letters
# it holds.

_HOUR = "CASE WHEN length(value) > 11 THEN substr(value, 12, 2) ELSE '00' END"
_MINUTE = "CASE WHEN length(value) > 11 THEN substr(value, 15, 2) ELSE '00' END"
_SECOND = "CASE WHEN substr(value, 17, 1) = ':' THEN substr(value, 18, 2) ELSE '00' END"
_HOUR_12 = f"CASE WHEN CAST({_HOUR} AS int) % 12 = 0 THEN 12 ELSE CAST({_HOUR} AS int) % 12 END"
_MOMENT = "CAST(value AS timestamp)"
# NOTE: %J as pb_julian_text writes it (its digits of the double ms / 86400000, rounded to 16
# digits): for the years 1 to 9999 the day is from 2^20 to 2^23, so the double times 2^32 is
# its exact integer M, and the 16 digits are 9 decimals: M / 2^32 rounded half up to 1e-9
_JULIAN_MS = f"CAST(floor(extract(epoch FROM {_MOMENT}) * 1000) + 210866760000000 AS double precision)"
#: SQLite's strftime letter -> its text of the time ``value`` (of the form above)
_STRFTIME_CODES = {
    "Y": "substr(value, 1, 4)",
    "m": "substr(value, 6, 2)",
    "d": "substr(value, 9, 2)",
    "F": "substr(value, 1, 10)",
    "H": _HOUR,
    "M": _MINUTE,
    "S": _SECOND,
    "f": f"{_SECOND} || CASE WHEN substr(value, 20, 1) = '.' THEN rpad('.' || rtrim(substr(value, 21), 'Z'), 4, '0') ELSE '.000' END",
    "T": f"{_HOUR} || ':' || {_MINUTE} || ':' || {_SECOND}",
    "R": f"{_HOUR} || ':' || {_MINUTE}",
    "e": "CASE WHEN substr(value, 9, 1) = '0' THEN ' ' || substr(value, 10, 1) ELSE substr(value, 9, 2) END",
    "k": "CASE WHEN length(value) <= 11 THEN ' 0' WHEN substr(value, 12, 1) = '0' THEN ' ' || substr(value, 13, 1) ELSE substr(value, 12, 2) END",
    "I": f"lpad(CAST({_HOUR_12} AS text), 2, '0')",
    "l": f"lpad(CAST({_HOUR_12} AS text), 2)",
    "p": f"CASE WHEN CAST({_HOUR} AS int) >= 12 THEN 'PM' ELSE 'AM' END",
    "P": f"CASE WHEN CAST({_HOUR} AS int) >= 12 THEN 'pm' ELSE 'am' END",
    "s": f"CAST(CAST(floor(extract(epoch FROM {_MOMENT})) AS bigint) AS text)",
    "J": f"rtrim(rtrim(CAST(div(CAST(CAST({_JULIAN_MS} / 86400000 * 4294967296 AS bigint) AS numeric) * 1000000000"
         " + 2147483648, 4294967296) * 0.000000001 AS text), '0'), '.')",
    "j": f"to_char({_MOMENT}, 'DDD')",
    "w": f"CAST(CAST(extract(dow FROM {_MOMENT}) AS int) AS text)",
    "u": f"to_char({_MOMENT}, 'ID')",
    "V": f"to_char({_MOMENT}, 'IW')",
    "G": f"lpad(CAST(CAST(extract(isoyear FROM {_MOMENT}) AS int) AS text), 4, '0')",
    "g": f"lpad(CAST(CAST(extract(isoyear FROM {_MOMENT}) AS int) % 100 AS text), 2, '0')",
    "W": f"lpad(CAST((CAST(extract(doy FROM {_MOMENT}) AS int) + 6 - (CAST(extract(dow FROM {_MOMENT}) AS int) + 6) % 7) / 7 AS text), 2, '0')",
    "U": f"lpad(CAST((CAST(extract(doy FROM {_MOMENT}) AS int) + 6 - CAST(extract(dow FROM {_MOMENT}) AS int)) / 7 AS text), 2, '0')",
}  # fmt: skip
_YEAR = "CAST(substr(value, 1, 4) AS int)"
_DAY = 'substr(value, 9, 2) COLLATE "C"'
# NOTE: the form is checked first (AND and OR stop at their first answer, when run and when
# Postgres folds a constant time: no CAST reads a field that is not digits): PocketBase's own
# by LIKE and its digits (~0.7 us), the others by a regular expression (~1.2 us); then the
# fields' ranges, their digits compared as text
_STRFTIME_FAST_TIME = rf"""
        (value LIKE '____-__-__ __:__:__.___Z' AND (substr(value, 1, 4) || substr(value, 6, 2) || substr(value, 9, 2)
                || substr(value, 12, 2) || substr(value, 15, 2) || substr(value, 18, 2) || substr(value, 21, 3)) ~ '^[0-9]+$'
            OR value ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:[ T][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]{{1,3}})?)?Z?)?$')
        AND substr(value, 1, 4) <> '0000' AND substr(value, 6, 2) COLLATE "C" BETWEEN '01' AND '12'
        AND {_DAY} >= '01' AND ({_DAY} <= '28' OR {_DAY} <= CASE substr(value, 6, 2)
            WHEN '02' THEN CASE WHEN {_YEAR} % 4 = 0 AND ({_YEAR} % 100 <> 0 OR {_YEAR} % 400 = 0) THEN '29' ELSE '28' END
            WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' WHEN '11' THEN '30' ELSE '31' END)
        AND (length(value) < 16 OR substr(value, 12, 2) COLLATE "C" < '24' AND substr(value, 15, 2) COLLATE "C" < '60')
        AND (substr(value, 17, 1) <> ':' OR substr(value, 18, 2) COLLATE "C" < '60')"""


def _strftime_helpers() -> str:
    template = "fmt"
    args = []
    for number, (code, sql) in enumerate(_STRFTIME_CODES.items(), 1):
        # NOTE: a letter becomes format()'s %N$s: no letter's text holds a % to be read again
        template = f"replace({template}, '%{code}', '%{number}$s')"
        args.append(f"CASE WHEN strpos(fmt, '%{code}') > 0 THEN {sql} END")
    letters = "".join(_STRFTIME_CODES)
    shown = f"format({template},\n            " + ",\n            ".join(args) + ")"
    return f"""
CREATE OR REPLACE FUNCTION pb_strftime_inline(fmt text, value text DEFAULT 'now', VARIADIC modifiers text[] DEFAULT '{{}}')
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN fmt IS NULL OR value IS NULL THEN NULL
        WHEN cardinality(modifiers) = 0 AND fmt ~ '^(?:[^%]|%[{letters}])*$' AND {_STRFTIME_FAST_TIME.strip()}
        THEN {shown}
        ELSE pb_strftime_exact(fmt, value, VARIADIC modifiers) END
$$;

-- SQLite's strftime() for any arguments (a costly one computed once).
CREATE OR REPLACE FUNCTION pb_strftime(fmt text, value text DEFAULT 'now', VARIADIC modifiers text[] DEFAULT '{{}}')
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN pb_strftime_inline(fmt, value, VARIADIC modifiers);
END $$;

-- A view's strftime() of a column: a text column's own text (pb_strftime_inline inlined),
-- another's as SQLite's text of its value (pb_text(pb_sqlite_value(...)), these types').
CREATE OR REPLACE FUNCTION pb_view_strftime(fmt text, value text, VARIADIC modifiers text[] DEFAULT '{{}}')
RETURNS text LANGUAGE sql STABLE AS $$ SELECT pb_strftime_inline(fmt, value, VARIADIC modifiers) $$;
""" + "".join(f"""
CREATE OR REPLACE FUNCTION pb_view_strftime(fmt text, value {kind}, VARIADIC modifiers text[] DEFAULT '{{}}')
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    shown text := pb_text(pb_sqlite_value(value));
BEGIN
    RETURN pb_strftime_inline(fmt, shown, VARIADIC modifiers);
END $$;
""" for kind in ("boolean", "integer", "bigint", "numeric", "double precision", "jsonb"))


STRFTIME_HELPERS = _strftime_helpers()
