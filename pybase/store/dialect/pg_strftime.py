"""Postgres SQL functions for SQLite's date and time functions: the fast, inlinable strftime()
for the times PocketBase writes (:data:`STRFTIME_HELPERS`), and the exact plpgsql one
(pb_strftime_exact) with SQLite's reading of any time (pb_to_timestamp, which timediff() reads
too) for the rest (:data:`EXACT_STRFTIME_HELPERS`). They are a module of their own, apart from
:mod:`.pg_functions`' helpers of values, numbers and JSON, because the two paths must agree
(tests/store/test_pg_strftime.py) and read best side by side; pg_functions joins them into
POSTGRES_HELPERS.
"""

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


# ---- SQLite's reading of a time, and strftime() for any time and modifiers ----------------

#: pb_to_timestamp (a time as SQLite's date functions read it) and its helpers, and
#: pb_strftime_exact, which pb_strftime_inline calls for what it does not answer itself
EXACT_STRFTIME_HELPERS = r"""
-- A time value as SQLite's date functions read it (NULL when they read none): 'now'; a date
-- [-]YYYY-MM-DD, then blanks or T and a time; a time HH:MM[:SS[.fff]] alone (on 2000-01-01),
-- either followed by Z or +-HH:MM; or a number (a Julian day number, 0 to 5373484.5). A day
-- past its month's end runs on into the next month, as SQLite's arithmetic does.
CREATE OR REPLACE FUNCTION pb_to_timestamp(value text) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[];
    y int := 2000; mo int := 1; d int := 1;
    h int := 0; mi int := 0; s numeric := 0;
    tz int := 0;
    a int; b int;
    jd_ms numeric;
    number double precision;
    fast text[];
BEGIN
    IF value IS NULL THEN RETURN NULL; END IF;
    IF lower(value) = 'now' THEN RETURN now() AT TIME ZONE 'UTC'; END IF;
    fast := pb_time_parts(value);
    -- NOTE: the regular expression's captures cost ~70 us a call: PocketBase's own forms first
    m := CASE WHEN fast IS NOT NULL THEN fast[1:12] ELSE regexp_match(value, '^(?:(-?)([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[\s T]*|[\s T]*([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?\s*(?:([Zz])|([-+])([0-9]{2}):([0-9]{2}))?\s*)|([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?\s*(?:([Zz])|([-+])([0-9]{2}):([0-9]{2}))?\s*)$') END;
    IF m IS NULL THEN
        number := pb_num(value);
        IF number IS NULL OR NOT (number >= 0 AND number < 5373484.5) THEN RETURN NULL; END IF;
        jd_ms := floor(number * 86400000.0 + 0.5);
        RETURN timestamp '4714-11-24 12:00:00 BC'
            + make_interval(days => CAST(div(jd_ms, 86400000) AS int), secs => CAST(mod(jd_ms, 86400000) AS double precision) / 1000);
    END IF;
    IF m[2] IS NOT NULL THEN
        y := CAST(m[2] AS int) * CASE WHEN m[1] = '-' THEN -1 ELSE 1 END;
        mo := CAST(m[3] AS int); d := CAST(m[4] AS int);
        IF mo < 1 OR mo > 12 OR d < 1 OR d > 31 THEN RETURN NULL; END IF;
        m := m[5:12];
    ELSE
        m := m[13:20];
    END IF;
    IF m[1] IS NOT NULL THEN
        h := CAST(m[1] AS int); mi := CAST(m[2] AS int); s := COALESCE(CAST(m[3] AS int), 0);
        IF m[4] IS NOT NULL THEN s := s + CAST('0.' || m[4] AS numeric); END IF;
        IF h > 24 OR mi > 59 OR s >= 60 THEN RETURN NULL; END IF;
        IF m[6] IS NOT NULL THEN
            IF CAST(m[7] AS int) > 14 OR CAST(m[8] AS int) > 59 THEN RETURN NULL; END IF;
            tz := (CAST(m[7] AS int) * 60 + CAST(m[8] AS int)) * CASE WHEN m[6] = '-' THEN -1 ELSE 1 END;
        END IF;
    END IF;
    -- NOTE: SQLite's Julian day arithmetic (C's integer division)
    IF mo <= 2 THEN y := y - 1; mo := mo + 12; END IF;
    a := trunc(y / 100.0); b := 2 - a + trunc(a / 4.0);
    jd_ms := (trunc(36525 * (y + 4716) / 100.0) + trunc(306001 * (mo + 1) / 10000.0) + d + b - 1524.5) * 86400000
        + h * 3600000 + mi * 60000 + floor(s * 1000 + 0.5) - tz * 60000;
    IF jd_ms < 0 OR jd_ms > 464269060799999 THEN RETURN NULL; END IF;
    RETURN timestamp '4714-11-24 12:00:00 BC'
        + make_interval(days => CAST(div(jd_ms, 86400000) AS int), secs => CAST(mod(jd_ms, 86400000) AS double precision) / 1000);
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- PocketBase's forms of a time (YYYY-MM-DD, then a blank or T and HH:MM[:SS[.fff]], then Z or
-- nothing; SQLite reads no Z after a date alone) as pb_to_timestamp's regular expression
-- captures them (NULL for any other text): a match without captures and substr() cost ~3 us,
-- the captures ~70.
CREATE OR REPLACE FUNCTION pb_time_parts(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?Z?)?$' THEN
        ARRAY[NULL, substr(value, 1, 4), substr(value, 6, 2), substr(value, 9, 2),
            CASE WHEN length(value) >= 16 THEN substr(value, 12, 2) END, CASE WHEN length(value) >= 16 THEN substr(value, 15, 2) END,
            CASE WHEN substr(value, 17, 1) = ':' THEN substr(value, 18, 2) END,
            CASE WHEN substr(value, 20, 1) = '.' THEN rtrim(substr(value, 21), 'Z') END,
            CASE WHEN right(value, 1) = 'Z' THEN 'Z' END, NULL, NULL, NULL] END
$$;

-- The fields of a date and time text as written (SQLite keeps them for strftime's text when
-- no modifier computes them again: the 30th of February, the hour 24), or NULL: a number,
-- 'now', a text with a time zone offset, or what is no time.
CREATE OR REPLACE FUNCTION pb_time_fields(value text) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[];
BEGIN
    m := pb_time_parts(value);
    IF m IS NOT NULL THEN
        RETURN ARRAY[CAST(m[2] AS numeric), CAST(m[3] AS numeric), CAST(m[4] AS numeric), CAST(m[5] AS numeric),
            CAST(m[6] AS numeric), COALESCE(CAST(m[7] || COALESCE('.' || m[8], '') AS numeric), 0)];
    END IF;
    m := regexp_match(value, '^(?:([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[\s T]*|[\s T]*([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?\s*(?:[Zz]|[-+]00:00)?\s*)|([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?\s*(?:[Zz]|[-+]00:00)?\s*)$');
    IF m IS NULL THEN RETURN NULL; END IF;
    IF m[1] IS NOT NULL THEN
        RETURN ARRAY[CAST(m[1] AS numeric), CAST(m[2] AS numeric), CAST(m[3] AS numeric),
            CAST(m[4] AS numeric), CAST(m[5] AS numeric), COALESCE(CAST(m[6] AS numeric), 0)];
    END IF;
    RETURN ARRAY[2000, 1, 1, CAST(m[7] AS numeric), CAST(m[8] AS numeric), COALESCE(CAST(m[9] AS numeric), 0)];
END $$;

-- SQLite's %J: printf("%.16g") of the double ms / 86400000 (ms: since Julian day 0), from the
-- double's exact digits (its shortest text rounds twice: 2460311.6278434955 is ...49545...).
CREATE OR REPLACE FUNCTION pb_julian_text(ms bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    d double precision := CAST(ms AS double precision) / 86400000;
    k int;
    exact numeric;
BEGIN
    IF d <= 0 THEN RETURN CAST(d AS text); END IF;
    k := 52 - floor(log(2, CAST(d AS numeric)));
    -- NOTE: d = m / 2^k with m an integer (d * 2^k is exact in doubles)
    exact := div(CAST(CAST(d * power(2::double precision, k) AS bigint) AS numeric) * power(10::numeric, 40), power(2::numeric, k)) * 1e-40;
    RETURN rtrim(rtrim(CAST(round(exact, 15 - floor(log(exact))::int) AS text), '0'), '.');
END $$;

-- printf("%04d") of a year (-13 is -013).
CREATE OR REPLACE FUNCTION pb_year_text(y int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN y >= 0 THEN lpad(CAST(y AS text), 4, '0') ELSE '-' || lpad(CAST(-y AS text), greatest(3, length(CAST(-y AS text))), '0') END
$$;

-- SQLite's strftime(), for any time, modifiers and format (~20 us a call; pb_strftime_inline,
-- below, answers PocketBase's times without modifiers, the most, in ~1 us and calls this one
-- for the others).
CREATE OR REPLACE FUNCTION pb_strftime_exact(fmt text, value text DEFAULT 'now', VARIADIC modifiers text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    moment timestamp;
    result text := '';
    i int := 1;
    code text;
    modifier text;
    parts text[];
    first boolean := true;
    raw numeric[];
    raw_ymd boolean := false;
    raw_hms boolean := false;
    shown text := '';
    h int;
    year_text text;
    iso_year int;
BEGIN
    IF fmt IS NULL THEN RETURN NULL; END IF;
    -- NOTE: SQLite reads each up to a NUL (pybase.store.pg_nul; never a time of the fast path's)
    fmt := pb_nul_end(fmt);
    value := pb_nul_end(value);
    modifiers := ARRAY(SELECT pb_nul_end(m) FROM unnest(modifiers) WITH ORDINALITY AS u(m, n) ORDER BY n);
    IF cardinality(modifiers) > 0 AND lower(trim(modifiers[1])) = 'unixepoch' THEN
        IF pb_num(value) IS NULL THEN RETURN NULL; END IF;
        moment := to_timestamp(pb_num(value)) AT TIME ZONE 'UTC';
    ELSE
        moment := pb_to_timestamp(value);
        raw := pb_time_fields(value);
        raw_ymd := raw IS NOT NULL;
        raw_hms := raw IS NOT NULL AND raw[4] IS NOT NULL;
    END IF;
    IF moment IS NULL THEN RETURN NULL; END IF;
    -- NOTE: SQLite's date as written, unless a modifier computes it again from the Julian day;
    -- with no modifier, a day past the 28th is computed again (2024-02-30 is 2024-03-01)
    IF cardinality(modifiers) = 0 AND raw_ymd AND raw[3] > 28 THEN raw_ymd := false; END IF;
    -- NOTE: SQLite's modifiers, those with a meaning in UTC (PocketBase's times are UTC).
    FOREACH modifier IN ARRAY modifiers LOOP
        modifier := lower(trim(modifier));
        -- NOTE: SQLite has no date past the year 9999 to compute from (a month or year added,
        -- start of ...): NULL, whatever follows
        IF moment >= timestamp '10000-01-01' AND (modifier ~ '(month|year)s?$' OR modifier LIKE 'start of %') THEN
            RETURN NULL;
        END IF;
        IF first AND modifier = 'unixepoch' THEN
            NULL;
        ELSIF modifier IN ('utc', 'localtime', 'auto', 'subsec', 'subsecond') THEN
            NULL;
        ELSIF modifier = 'start of day' THEN
            moment := date_trunc('day', moment);
            IF raw_ymd THEN raw_hms := true; raw[4] := 0; raw[5] := 0; raw[6] := 0; END IF;
        ELSIF modifier IN ('start of month', 'start of year') AND raw_ymd THEN
            -- NOTE: from the date as written (2024-02-30 start of month is 2024-02-01)
            moment := pb_ymd(CAST(raw[1] AS int), CASE WHEN modifier = 'start of month' THEN CAST(raw[2] AS int) ELSE 1 END,
                1, interval '0');
        ELSIF modifier IN ('start of day', 'start of month', 'start of year') THEN
            moment := date_trunc(substr(modifier, 10), moment);
        ELSIF modifier ~ '^[-+]?[0-9]+ +(month|year)s?$' THEN
            -- NOTE: SQLite adds to the month of the date (as written) and runs a day past the
            -- month's end on into the next (2024-01-31 +1 month is 2024-03-02)
            parts := regexp_match(modifier, '^([-+]?[0-9]+) +([a-z]+?)s?$');
            -- NOTE: h: the months since the year 0's January
            h := CAST(CASE WHEN raw_ymd THEN raw[1] ELSE pb_year(moment) END AS int) * 12
                + CAST(CASE WHEN raw_ymd THEN raw[2] ELSE extract(month FROM moment) END AS int) - 1
                + CAST(parts[1] AS int) * CASE WHEN parts[2] = 'year' THEN 12 ELSE 1 END;
            moment := pb_ymd(CAST(floor(h / 12.0) AS int), h - 12 * CAST(floor(h / 12.0) AS int) + 1,
                CAST(CASE WHEN raw_ymd THEN raw[3] ELSE extract(day FROM moment) END AS int),
                CASE WHEN raw_hms THEN make_interval(hours => CAST(raw[4] AS int), mins => CAST(raw[5] AS int),
                    secs => CAST(raw[6] AS double precision)) ELSE moment - date_trunc('day', moment) END);
        ELSIF modifier ~ '^weekday [0-6]$' THEN
            moment := date_trunc('day', moment) + ((CAST(substr(modifier, 9) AS int)
                - CAST(extract(dow FROM moment) AS int) + 7) % 7) * interval '1 day'
                + (moment - date_trunc('day', moment));
        ELSIF modifier ~ '^[-+]?[0-9]+(\.[0-9]+)? +(day|hour|minute|second|month|year)s?$' THEN
            parts := regexp_match(modifier, '^([-+]?[0-9]+(?:\.[0-9]+)?) +([a-z]+?)s?$');
            moment := moment + CAST(parts[1] AS double precision) * CAST('1 ' || parts[2] AS interval);
        ELSE
            RETURN NULL;
        END IF;
        IF modifier NOT IN ('start of day', 'subsec', 'subsecond') THEN raw_ymd := false; raw_hms := false; END IF;
        IF moment >= timestamp '10000-01-01' AND (modifier ~ '(month|year)s?$' OR modifier LIKE 'start of %') THEN
            RETURN NULL;
        END IF;
        first := false;
    END LOOP;
    IF raw_ymd OR raw_hms THEN
        -- NOTE: the fields kept as written, written into the format (what is read from the
        -- Julian day, %j %w %s %J..., is the moment's)
        i := 1;
        h := CAST(raw[4] AS int);
        WHILE i <= length(fmt) LOOP
            code := CASE WHEN substr(fmt, i, 1) = '%' THEN substr(fmt, i + 1, 1) ELSE '' END;
            IF raw_ymd AND code IN ('Y', 'm', 'd', 'e', 'F') THEN
                shown := shown || CASE code WHEN 'Y' THEN lpad(CAST(raw[1] AS text), 4, '0')
                    WHEN 'm' THEN lpad(CAST(raw[2] AS text), 2, '0') WHEN 'd' THEN lpad(CAST(raw[3] AS text), 2, '0')
                    WHEN 'e' THEN lpad(CAST(raw[3] AS text), 2)
                    ELSE lpad(CAST(raw[1] AS text), 4, '0') || '-' || lpad(CAST(raw[2] AS text), 2, '0') || '-'
                        || lpad(CAST(raw[3] AS text), 2, '0') END;
            ELSIF raw_hms AND code IN ('H', 'k', 'I', 'l', 'p', 'P', 'M', 'S', 'f', 'T', 'R') THEN
                shown := shown || CASE code WHEN 'H' THEN lpad(CAST(h AS text), 2, '0') WHEN 'k' THEN lpad(CAST(h AS text), 2)
                    WHEN 'I' THEN lpad(CAST(CASE WHEN h % 12 = 0 THEN 12 ELSE h % 12 END AS text), 2, '0')
                    WHEN 'l' THEN lpad(CAST(CASE WHEN h % 12 = 0 THEN 12 ELSE h % 12 END AS text), 2)
                    WHEN 'p' THEN CASE WHEN h >= 12 THEN 'PM' ELSE 'AM' END WHEN 'P' THEN CASE WHEN h >= 12 THEN 'pm' ELSE 'am' END
                    WHEN 'M' THEN lpad(CAST(raw[5] AS text), 2, '0') WHEN 'S' THEN lpad(CAST(floor(raw[6]) AS text), 2, '0')
                    WHEN 'f' THEN to_char(raw[6], 'FM00.000')
                    WHEN 'T' THEN lpad(CAST(h AS text), 2, '0') || ':' || lpad(CAST(raw[5] AS text), 2, '0') || ':'
                        || lpad(CAST(floor(raw[6]) AS text), 2, '0')
                    ELSE lpad(CAST(h AS text), 2, '0') || ':' || lpad(CAST(raw[5] AS text), 2, '0') END;
            ELSIF code <> '' THEN
                shown := shown || '%' || code;
            ELSE
                shown := shown || substr(fmt, i, 1);
                i := i - 1;
            END IF;
            i := i + 2;
        END LOOP;
        fmt := shown;
        i := 1;
    END IF;
    -- NOTE: as SQLite: a time outside Julian days 0 to 9999-12-31 has no text
    IF moment < timestamp '4714-11-24 12:00:00 BC' OR moment >= timestamp '10000-01-01' THEN RETURN NULL; END IF;
    -- NOTE: printf("%04d") of the astronomical year (1 BC is 0000, 2 BC -001); the ISO year's
    year_text := pb_year_text(pb_year(moment));
    iso_year := CAST(extract(isoyear FROM moment) AS int);
    IF iso_year < 0 THEN iso_year := iso_year + 1; END IF;
    WHILE i <= length(fmt) LOOP
        IF substr(fmt, i, 1) = '%' AND i < length(fmt) THEN
            code := substr(fmt, i + 1, 1);
            result := result || CASE code
                WHEN 'Y' THEN year_text
                WHEN 'm' THEN to_char(moment, 'MM')
                WHEN 'd' THEN to_char(moment, 'DD') WHEN 'H' THEN to_char(moment, 'HH24')
                WHEN 'M' THEN to_char(moment, 'MI') WHEN 'S' THEN to_char(moment, 'SS')
                WHEN 'f' THEN to_char(moment, 'SS.MS') WHEN 'j' THEN to_char(moment, 'DDD')
                WHEN 'w' THEN CAST(extract(dow FROM moment) AS int)::text
                WHEN 's' THEN CAST(floor(extract(epoch FROM moment)) AS bigint)::text
                -- NOTE: SQLite's day from its milliseconds since Julian day 0 (extract(julian)'s
                -- days start at midnight and lose the last digit), to 16 digits
                WHEN 'J' THEN pb_julian_text(CAST(floor(extract(epoch FROM moment) * 1000) AS bigint) + 210866760000000)
                WHEN 'e' THEN lpad(to_char(moment, 'FMDD'), 2) WHEN 'F' THEN year_text || to_char(moment, '-MM-DD')
                WHEN 'G' THEN pb_year_text(iso_year)
                WHEN 'g' THEN CASE WHEN iso_year % 100 < 0 THEN '-' || CAST(-(iso_year % 100) AS text)
                    ELSE lpad(CAST(iso_year % 100 AS text), 2, '0') END
                WHEN 'V' THEN to_char(moment, 'IW') WHEN 'u' THEN to_char(moment, 'ID')
                WHEN 'I' THEN to_char(moment, 'HH12') WHEN 'k' THEN lpad(to_char(moment, 'FMHH24'), 2)
                WHEN 'l' THEN lpad(to_char(moment, 'FMHH12'), 2) WHEN 'p' THEN to_char(moment, 'AM')
                WHEN 'P' THEN lower(to_char(moment, 'AM')) WHEN 'R' THEN to_char(moment, 'HH24:MI')
                WHEN 'T' THEN to_char(moment, 'HH24:MI:SS')
                WHEN 'W' THEN lpad(CAST((CAST(extract(doy FROM moment) AS int) + 6
                    - (CAST(extract(dow FROM moment) AS int) + 6) % 7) / 7 AS text), 2, '0')
                WHEN 'U' THEN lpad(CAST((CAST(extract(doy FROM moment) AS int) + 6
                    - CAST(extract(dow FROM moment) AS int)) / 7 AS text), 2, '0')
                WHEN '%' THEN '%' ELSE NULL END;
            IF result IS NULL THEN RETURN NULL; END IF;
            i := i + 2;
        ELSE
            result := result || substr(fmt, i, 1);
            i := i + 1;
        END IF;
    END LOOP;
    RETURN result;
EXCEPTION WHEN others THEN
    RETURN NULL;  -- NOTE: as SQLite: a time out of range has no text
END $$;
"""
