"""The SQL functions the Postgres renderings rely on (pb_*), created once per database by
db_postgres."""

from pybase.store.dialect.pg_strftime import STRFTIME_HELPERS
from pybase.store.pg_nul import NUL_HELPERS

# Functions the Postgres renderings above rely on, created once per database by db_postgres.
POSTGRES_HELPERS = r"""
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

-- A text that reads as a number, as SQLite reads it (else NULL): out of a double's range, an
-- infinity (or a zero, for a tiny one), as SQLite's strtod gives.
CREATE OR REPLACE FUNCTION pb_num(value text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parts text[];
    magnitude numeric;
BEGIN
    IF value IS NULL OR value !~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' THEN RETURN NULL; END IF;
    RETURN CAST(value AS double precision);
EXCEPTION WHEN others THEN
    -- NOTE: the power of ten of the first digit tells which end it is past
    parts := regexp_match(value, '^\s*([-+]?)0*([0-9]*)\.?([0-9]*)(?:[eE]([-+]?[0-9]+))?\s*$');
    IF parts IS NULL THEN RETURN NULL; END IF;
    magnitude := COALESCE(CAST(parts[4] AS numeric), 0) + CASE WHEN parts[2] <> '' THEN length(parts[2]) - 1
        ELSE -1 - (length(parts[3]) - length(ltrim(parts[3], '0'))) END;
    IF magnitude < 0 THEN
        RETURN CASE WHEN parts[1] = '-' THEN CAST('-0' AS double precision) ELSE 0 END;
    END IF;
    RETURN CASE WHEN parts[1] = '-' THEN CAST('-Infinity' AS double precision) ELSE CAST('Infinity' AS double precision) END;
END $$;

CREATE OR REPLACE FUNCTION pb_json_path(path text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(COALESCE(m[1], m[2]) ORDER BY n), '{}')
    FROM regexp_matches(substr(path, 2), '\[(-?[0-9]+)\]|\.?([^.\[\]]+)', 'g') WITH ORDINALITY AS t(m, n)
$$;

-- JSON text as pybase stores it in SQLite: compact, object keys in byte order (jsonb prints
-- blanks after , and : and orders keys by length first), a NUL as \u0000 (pb_json_nul).
CREATE OR REPLACE FUNCTION pb_minified(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kind text := jsonb_typeof(v);
    result text;
BEGIN
    IF kind = 'object' THEN
        SELECT '{' || COALESCE(string_agg(pb_json_nul(CAST(to_jsonb(e.key) AS text)) || ':' || pb_minified(e.value), ','
            ORDER BY e.key COLLATE "C"), '') || '}' INTO result FROM jsonb_each(v) AS e;
        RETURN result;
    ELSIF kind = 'array' THEN
        SELECT '[' || COALESCE(string_agg(pb_minified(e.value), ',' ORDER BY e.n), '') || ']' INTO result
        FROM jsonb_array_elements(v) WITH ORDINALITY AS e(value, n);
        RETURN result;
    ELSIF kind = 'string' THEN
        RETURN pb_json_nul(v::text);
    END IF;
    RETURN v::text;
END $$;

-- A JSON value as SQLite's json_extract gives it, as a jsonb number or string: true/false as
-- 1/0, null as NULL, an array or object as its JSON text.
CREATE OR REPLACE FUNCTION pb_value(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'number' THEN v WHEN 'string' THEN v
        WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '1'::jsonb ELSE '0'::jsonb END
        WHEN 'null' THEN NULL ELSE to_jsonb(pb_minified(v)) END
$$;

-- A JSON column's value as SQLite stores it: a number as one (NUMERIC affinity), else its text.
CREATE OR REPLACE FUNCTION pb_stored_json(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v ELSE to_jsonb(pb_minified(v)) END
$$;

-- A geoPoint's JSON text as SQLite holds it: lon first.
CREATE OR REPLACE FUNCTION pb_geo_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '{"lon":' || pb_minified(v -> 'lon') || ',"lat":' || pb_minified(v -> 'lat') || '}'
$$;

CREATE OR REPLACE FUNCTION pb_json_value(doc jsonb, path text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_value(doc #> pb_json_path(path)) $$;

-- doc #> pb_json_path(path) of JSON text (json keeps an object's names as written), the first
-- of two equal names as SQLite reads them (#> finds the last). PERF: #> (~1 us) unless the text
-- may hold a step's name twice (it holds a backslash, or the quoted name twice, a value or
-- not): then a query a step (~35 us).
CREATE OR REPLACE FUNCTION pb_json_first_at(doc json, path text) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    steps text[] := pb_json_path(path);
    written text := CAST(doc AS text);
    step text;
    at int;
BEGIN
    IF strpos(written, E'\\') = 0 THEN
        at := 0;
        FOREACH step IN ARRAY steps LOOP
            at := strpos(written, '"' || step || '"');
            EXIT WHEN at > 0 AND strpos(substr(written, at + length(step) + 2), '"' || step || '"') > 0;
            at := 0;
        END LOOP;
        IF at = 0 THEN RETURN doc #> steps; END IF;
    END IF;
    FOREACH step IN ARRAY steps LOOP
        IF json_typeof(doc) = 'object' THEN
            doc := (SELECT e.value FROM json_each(doc) WITH ORDINALITY AS e(key, value, n) WHERE e.key = step ORDER BY e.n LIMIT 1);
        ELSE
            doc := doc #> ARRAY[step];
        END IF;
        IF doc IS NULL THEN RETURN NULL; END IF;
    END LOOP;
    RETURN doc;
END $$;

-- ... of JSON text (a view's json field): an object or array as its text, keys in their order
-- (pb_json_min); a text that is no JSON a JSON string, as PocketBase's JSONExtract reads it.
-- PERF (issue #17): the text's first character tells most texts apart without parsing them (a
-- view's computed time: '2024-07-04' is no JSON, '2024' a number): a text starting with a digit
-- or - is JSON only as a number (as Postgres's parser reads one), with t, f or n only as true,
-- false or null, with none of these and not " { [ never; only " { [ are parsed under an
-- EXCEPTION block (a subtransaction, ~10 us), and the path '$' is read without pb_json_path (a
-- query of its own, ~5 us): ~1 us a call where every call cost 10 to 20 us.
CREATE OR REPLACE FUNCTION pb_json_value(doc text, path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    head text := substr(ltrim(doc, E' \t\n\r'), 1, 1);
    found json;
BEGIN
    IF head = '-' OR head BETWEEN '0' AND '9' COLLATE "C" THEN
        IF doc !~ '^[ \t\n\r]*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?[ \t\n\r]*$' THEN
            RETURN CASE WHEN path = '$' THEN to_jsonb(doc) ELSE pb_json_value(to_jsonb(doc), path) END;
        ELSIF path = '$' THEN
            RETURN CAST(doc AS jsonb);
        END IF;
        found := CAST(doc AS json);
    ELSIF head IN ('t', 'f', 'n') THEN
        IF btrim(doc, E' \t\n\r') NOT IN ('true', 'false', 'null') THEN
            RETURN CASE WHEN path = '$' THEN to_jsonb(doc) ELSE pb_json_value(to_jsonb(doc), path) END;
        END IF;
        found := CAST(doc AS json);
    ELSIF head IN ('"', '{', '[') THEN
        BEGIN
            found := CAST(doc AS json);
        EXCEPTION WHEN others THEN
            RETURN CASE WHEN path = '$' THEN to_jsonb(doc) ELSE pb_json_value(to_jsonb(doc), path) END;
        END;
    ELSE
        -- NOTE: NULL too (head is NULL): NULL
        RETURN CASE WHEN path = '$' THEN to_jsonb(doc) ELSE pb_json_value(to_jsonb(doc), path) END;
    END IF;
    IF path <> '$' THEN
        found := pb_json_first_at(found, path);
    END IF;
    IF json_typeof(found) IN ('object', 'array') THEN
        RETURN to_jsonb(pb_json_min(found));
    END IF;
    RETURN pb_value(CAST(found AS jsonb));
END $$;

-- SQLite compares an INTEGER with a REAL exactly (9007199254740993 > 9007199254740992.0), where
-- their doubles are equal past 2^53. Numbers are compared by their doubles first and, when those
-- are equal (only then: the exact value costs more), by pb_json_tie / pb_real_tie: an INTEGER's
-- value, a REAL's integer (one from 2^63 up after every INTEGER). A jsonb number is an INTEGER
-- when it is an integer that fits 64 bits, else a REAL (a fraction, an exponent, past 64 bits).
CREATE OR REPLACE FUNCTION pb_real_tie(value double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL
        WHEN value >= -9223372036854775808 AND value < 9223372036854775808 THEN CAST(CAST(value AS bigint) AS numeric)
        ELSE 9223372036854775808 END
$$;

-- A jsonb number's double (past a double's range an infinity, as SQLite reads it: jsonb has none).
CREATE OR REPLACE FUNCTION pb_json_double(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(CAST(v AS numeric)) < 1.797693134862315807937e308 THEN CAST(CAST(v AS numeric) AS double precision)
        WHEN CAST(v AS numeric) > 0 THEN CAST('Infinity' AS double precision) ELSE CAST('-Infinity' AS double precision) END
$$;

-- The tie-break of a JSON value compared with a number (see pb_real_tie); true and false are 1 and 0.
CREATE OR REPLACE FUNCTION pb_json_tie(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'number' THEN CASE WHEN scale(CAST(v AS numeric)) = 0
                AND CAST(v AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(v AS numeric)
            ELSE pb_real_tie(pb_json_double(v)) END
        WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN 1 ELSE 0 END
        WHEN 'string' THEN 0 WHEN 'array' THEN 0 WHEN 'object' THEN 0 END
$$;

-- A REAL as a jsonb number that reads back as that REAL: an integral one from 2^53 to 2^63 with
-- its exact digits and a fraction (to_jsonb writes 2^60 as 1152921504606847000, another INTEGER).
CREATE OR REPLACE FUNCTION pb_real_json(value double precision) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(value) >= 9007199254740992 AND value >= -9223372036854775808 AND value < 9223372036854775808
        THEN to_jsonb(CAST(CAST(value AS bigint) AS numeric) + 0.0) ELSE to_jsonb(value) END
$$;

-- Numeric affinity: a string that reads as a number becomes that number.
CREATE OR REPLACE FUNCTION pb_numeric_affinity(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    -- NOTE: an infinity (text out of a double's range) as a number past any double, +-1e400:
    -- jsonb holds no infinity
    -- NOTE: an integer's text that fits 64 bits is that INTEGER, exactly (past 2^53 too)
    SELECT CASE WHEN jsonb_typeof(v) = 'string' AND pb_num(v #>> '{}') IS NOT NULL THEN
        CASE WHEN (v #>> '{}') ~ '^\s*[-+]?[0-9]{1,19}\s*$'
                AND CAST(v #>> '{}' AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807
                THEN to_jsonb(CAST(v #>> '{}' AS numeric))
            WHEN abs(pb_num(v #>> '{}')) < CAST('Infinity' AS double precision) THEN pb_real_json(pb_num(v #>> '{}'))
            WHEN pb_num(v #>> '{}') > 0 THEN CAST('1e400' AS jsonb) ELSE CAST('-1e400' AS jsonb) END
        ELSE v END
$$;

-- value / 10^exponent, exact (a numeric power of ten below 1 keeps too few digits: 1e-300 is 0).
CREATE OR REPLACE FUNCTION pb_scaled(value numeric, exponent int) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN exponent >= 0 THEN value / power(10::numeric, exponent) ELSE value * power(10::numeric, -exponent) END
$$;

-- A REAL as SQLite prints it (printf "%!.15g": 15 significant digits, always a decimal point).
CREATE OR REPLACE FUNCTION pb_real_text(value double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    exponent int;
    digits text;
BEGIN
    IF value IS NULL THEN RETURN NULL; END IF;
    IF value = 0 THEN RETURN '0.0'; END IF;
    IF value = 'Infinity' THEN RETURN 'Inf'; END IF;
    IF value = '-Infinity' THEN RETURN '-Inf'; END IF;
    exponent := floor(log(abs(CAST(value AS numeric))));
    IF round(pb_scaled(abs(CAST(value AS numeric)), exponent), 14) >= 10 THEN
        exponent := exponent + 1;
    END IF;
    IF exponent < -4 OR exponent >= 15 THEN
        digits := rtrim(CAST(round(pb_scaled(CAST(value AS numeric), exponent), 14) AS text), '0');
        IF right(digits, 1) = '.' THEN digits := digits || '0'; END IF;
        -- NOTE: at least two digits (lpad would cut a third: 1e300 read 1.0e+30)
        RETURN digits || 'e' || CASE WHEN exponent < 0 THEN '-' ELSE '+' END
            || CASE WHEN abs(exponent) < 10 THEN '0' ELSE '' END || CAST(abs(exponent) AS text);
    END IF;
    digits := rtrim(CAST(round(CAST(value AS numeric), 14 - exponent) AS text), '0');
    IF right(digits, 1) = '.' THEN digits := digits || '0'; END IF;
    IF position('.' IN digits) = 0 THEN digits := digits || '.0'; END IF;
    RETURN digits;
END $$;

-- A number as SQLite prints it: an INTEGER bare, a REAL (is_real, or past 64 bits) as %!.15g.
CREATE OR REPLACE FUNCTION pb_num_text(value double precision, is_real boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT is_real AND value = trunc(value) AND abs(value) < 9.2e18
        THEN CAST(CAST(value AS bigint) AS text) ELSE pb_real_text(value) END
$$;

-- SQLite's text of a jsonb number or string (a JSON number with a fraction, an exponent or
-- past 64 bits is a REAL there).
CREATE OR REPLACE FUNCTION pb_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN
        CASE WHEN (v #>> '{}') ~ '^-?[0-9]{1,18}$' THEN v #>> '{}'
             WHEN (v #>> '{}') ~ '^-?[0-9]{19}$' AND CAST(v AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807
             THEN v #>> '{}' ELSE pb_real_text(pb_json_double(v)) END
        ELSE v #>> '{}' END
$$;

-- Two jsonb numbers compared as SQLite compares them (not both INTEGERs: see pb_real_tie).
CREATE OR REPLACE FUNCTION pb_real_cmp(a jsonb, b jsonb) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    da double precision := pb_json_double(a);
    db double precision := pb_json_double(b);
BEGIN
    IF da < db THEN RETURN -1; END IF;
    IF da > db THEN RETURN 1; END IF;
    RETURN CAST(sign(pb_json_tie(a) - pb_json_tie(b)) AS int);
END $$;

-- SQLite's comparison of two values (jsonb numbers or strings): numbers before text, text by
-- its bytes (the "C" collation, whatever the database's).
-- PERF: two integers that fit 64 bits (the most) compare here; the others in pb_real_cmp, out of
-- this body (a SQL function's body is set up again on every call: its size costs each row).
CREATE OR REPLACE FUNCTION pb_cmp(a jsonb, b jsonb) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number' THEN
            CASE WHEN scale(CAST(a AS numeric)) = 0 AND scale(CAST(b AS numeric)) = 0
                    AND CAST(a AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807
                    AND CAST(b AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
                    CASE WHEN CAST(a AS numeric) < CAST(b AS numeric) THEN -1
                         WHEN CAST(a AS numeric) > CAST(b AS numeric) THEN 1 ELSE 0 END
                 ELSE pb_real_cmp(a, b) END
        WHEN jsonb_typeof(a) = 'number' THEN -1
        WHEN jsonb_typeof(b) = 'number' THEN 1
        WHEN (a #>> '{}') COLLATE "C" < (b #>> '{}') THEN -1
        WHEN (a #>> '{}') COLLATE "C" > (b #>> '{}') THEN 1 ELSE 0 END
$$;

-- PERF (issue #17): pb_cmp, pb_text and a sort's text key with a costly argument (a view's
-- JSON value, pb_json_value of its computed column): Postgres inlines no SQL function that reads
-- a costly argument twice, and runs the call as a query of its own (~4 us), the argument written
-- out at each use (the view's expression and pb_json_value, once per use). In plpgsql the
-- argument is computed once and the SQL function is inlined (~0.5 us a call).
CREATE OR REPLACE FUNCTION pb_cmp_once(a jsonb, b jsonb) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN pb_cmp(a, b); END $$;

-- a IS NOT DISTINCT FROM b as SQLite compares them (NULL is NULL).
CREATE OR REPLACE FUNCTION pb_same_once(a jsonb, b jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE WHEN a IS NULL OR b IS NULL THEN a IS NULL AND b IS NULL ELSE pb_cmp(a, b) = 0 END;
END $$;

CREATE OR REPLACE FUNCTION pb_text_once(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN pb_text(v); END $$;

-- A sort's first key of a JSON value (pg_order.json_text_key): '' for a number, 's' || a text.
CREATE OR REPLACE FUNCTION pb_json_text_key_once(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE WHEN jsonb_typeof(v) = 'number' THEN '' ELSE 's' || (v #>> '{}') END;
END $$;

CREATE OR REPLACE FUNCTION pb_json_extract(doc jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT doc #>> pb_json_path(path) $$;

CREATE OR REPLACE FUNCTION pb_json_extract(doc text, path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN pb_json_extract(CAST(doc AS jsonb), path);
EXCEPTION WHEN others THEN
    RETURN pb_json_extract(to_jsonb(doc), path);
END $$;
"""


POSTGRES_HELPERS += STRFTIME_HELPERS
# NOTE: first: the helpers above call them (pb_minified, pb_hex...)
POSTGRES_HELPERS = NUL_HELPERS + POSTGRES_HELPERS
