"""The SQL functions the Postgres renderings rely on (pb_*), created once per database by
db_postgres (:data:`POSTGRES_HELPERS`). This module holds SQLite's values on Postgres: a text
read as a number (pb_num), JSON paths and values as SQLite's JSON functions read them, SQLite's
text of a number (pb_text, pb_real_text) and its comparison of values (pb_cmp); SQLite's times
and strftime() are :mod:`.pg_strftime`'s and the NUL escapes :mod:`pybase.store.pg_nul`'s,
kept apart by theme and joined here in the order Postgres creates them.
"""

from pybase.store.dialect.pg_strftime import EXACT_STRFTIME_HELPERS, STRFTIME_HELPERS
from pybase.store.pg_nul import NUL_HELPERS

# Functions the Postgres renderings above rely on, created once per database by db_postgres.
#: the function whose body holds the digest of the helpers a database has (db_postgres)
HELPERS_MARK = "pb_helpers_digest"

POSTGRES_HELPERS = r"""
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
# NOTE: first: the helpers above call them (pb_minified, pb_hex...); then SQLite's reading of a
# time and the exact strftime() (written first when they lived here: the order is kept)
POSTGRES_HELPERS = NUL_HELPERS + EXACT_STRFTIME_HELPERS + POSTGRES_HELPERS
