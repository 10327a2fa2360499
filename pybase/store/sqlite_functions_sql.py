"""The Postgres functions behind :mod:`pybase.store.sqlite_functions`: SQLite's functions with
SQLite's results, for index expressions and view queries written for SQLite.

Values cross into these functions as SQLite holds them: a *SQL value* is a jsonb number or
string (``pb_sqlite_value``; NULL stays NULL), a *JSON value* (what SQLite's JSON functions
return) is its JSON text. Each function is IMMUTABLE, as an index requires, for the values it
is given. The arithmetic ones are :mod:`pybase.store.sqlite_arithmetic_sql`'s.
"""

from __future__ import annotations

from pybase.store.sqlite_arithmetic_sql import ARITHMETIC_HELPERS, INTEGER_HELPERS
from pybase.store.sqlite_text_sql import JSON_HELPERS, PRINTF_HELPERS

FUNCTION_HELPERS = r"""
-- ---- SQLite's values of Postgres's types ------------------------------------------------

CREATE OR REPLACE FUNCTION pb_sqlite_value(value boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(CAST(value AS int)) $$;

CREATE OR REPLACE FUNCTION pb_sqlite_value(value integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_sqlite_value(value bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_sqlite_value(value numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

-- A JSON column holds its text in SQLite (a number as a number: NUMERIC affinity).
CREATE OR REPLACE FUNCTION pb_sqlite_value(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_stored_json(value) $$;

-- A view's column read as PocketBase reads a json field from SQLite: a text holding JSON is
-- that JSON, another text a string, a number a number (true/false as 1/0).
CREATE OR REPLACE FUNCTION pb_view_json(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL THEN RETURN NULL; END IF;
    IF value ~ '^\s*[-0-9\[{"tfn]' THEN
        BEGIN
            RETURN CAST(value AS jsonb);
        EXCEPTION WHEN others THEN
            NULL;
        END;
    END IF;
    RETURN to_jsonb(value);
END $$;

CREATE OR REPLACE FUNCTION pb_view_json(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

-- NOTE: an infinity reads as PocketBase writes it, "+Inf" / "-Inf"
CREATE OR REPLACE FUNCTION pb_view_json(value double precision) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value = 'Infinity' THEN '"+Inf"' WHEN value = '-Infinity' THEN '"-Inf"'
        WHEN value = 'NaN' THEN NULL ELSE to_jsonb(value) END
$$;

-- NOTE: an infinity (a REAL's numeric, pb_real_numeric) as the double's
CREATE OR REPLACE FUNCTION pb_view_json(value numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value = 'Infinity' THEN '"+Inf"' WHEN value = '-Infinity' THEN '"-Inf"' ELSE to_jsonb(value) END
$$;

CREATE OR REPLACE FUNCTION pb_view_json(value bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(CAST(value AS int)) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value anyelement) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(CAST(value AS text)) $$;

-- A view's column a json field reads (schema_sync.view_body): a text kept as SQLite holds it
-- (read as JSON where the field is read: an object's keys stay in their order, '4' stays a
-- text to the queries reading the view), any other value as JSON (pb_view_json). NOTE: the
-- text is a varchar: the type tells a query reading the view a computed text (no affinity
-- in SQLite, view_kinds.VIEW_JSON) from a table's text column shown through a view.
CREATE OR REPLACE FUNCTION pb_view_raw(value text) RETURNS varchar
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS varchar) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value double precision) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value anyelement) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS text) $$;

-- ---- math -----------------------------------------------------------------------------

-- The number a math function reads: a number, or a text that is one (else NULL, as SQLite).
CREATE OR REPLACE FUNCTION pb_math_arg(value double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_num(value) $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value numeric) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value boolean) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(value AS int) AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_math_arg(value jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' THEN CAST(value #>> '{}' AS double precision) END
$$;

-- The number SQLite reads from a value where any value is read as one (a text's leading number).
CREATE OR REPLACE FUNCTION pb_real_arg(value double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_real_arg(value text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_num_prefix(value) $$;

CREATE OR REPLACE FUNCTION pb_real_arg(value jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_num_prefix(pb_text(pb_stored_json(value))) $$;

CREATE OR REPLACE FUNCTION pb_real_arg(value anyelement) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_math_arg(value) $$;

-- SQLite's a % b: the remainder of the integers a and b read as (within 64 bits), NULL for 0.
CREATE OR REPLACE FUNCTION pb_int_mod(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN trunc(b) = 0 THEN NULL ELSE CAST(mod(
        greatest(-9223372036854775808, least(9223372036854775807, trunc(CAST(a AS numeric)))),
        greatest(-9223372036854775808, least(9223372036854775807, trunc(CAST(b AS numeric))))) AS double precision) END
$$;

-- SQLite's math functions: NULL out of their domain (where Postgres raises), an infinity past
-- the range of a double.
CREATE OR REPLACE FUNCTION pb_math(name text, a double precision, b double precision DEFAULT NULL)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    result double precision;
BEGIN
    IF a IS NULL OR (b IS NULL AND name IN ('pow', 'log', 'atan2', 'mod')) THEN RETURN NULL; END IF;
    IF a = 'NaN' OR b = 'NaN' THEN RETURN NULL; END IF;
    result := CASE name
        WHEN 'sqrt' THEN CASE WHEN a >= 0 THEN sqrt(a) END
        WHEN 'ln' THEN CASE WHEN a > 0 THEN ln(a) END
        WHEN 'log10' THEN CASE WHEN a > 0 THEN log(a) END
        WHEN 'log2' THEN CASE WHEN a > 0 THEN CAST(log(2.0, CAST(a AS numeric)) AS double precision) END
        -- NOTE: log(B, X): SQLite wants a base above 1
        WHEN 'log' THEN CASE WHEN a > 1 AND b > 0 THEN CAST(log(CAST(a AS numeric), CAST(b AS numeric)) AS double precision) END
        WHEN 'exp' THEN exp(a)
        WHEN 'pow' THEN CASE WHEN a = 0 AND b < 0 THEN 'Infinity'
                             WHEN a < 0 AND b <> trunc(b) THEN NULL ELSE power(a, b) END
        WHEN 'mod' THEN CASE WHEN b <> 0 THEN CAST(mod(CAST(a AS numeric), CAST(b AS numeric)) AS double precision) END
        WHEN 'acos' THEN CASE WHEN abs(a) <= 1 THEN acos(a) END
        WHEN 'asin' THEN CASE WHEN abs(a) <= 1 THEN asin(a) END
        WHEN 'atan' THEN atan(a)
        WHEN 'atan2' THEN atan2(a, b)
        WHEN 'acosh' THEN CASE WHEN a >= 1 THEN acosh(a) END
        WHEN 'asinh' THEN asinh(a)
        WHEN 'atanh' THEN CASE WHEN abs(a) <= 1 THEN atanh(a) END
        WHEN 'cos' THEN cos(a) WHEN 'sin' THEN sin(a) WHEN 'tan' THEN tan(a)
        WHEN 'cosh' THEN cosh(a) WHEN 'sinh' THEN sinh(a) WHEN 'tanh' THEN tanh(a)
        WHEN 'degrees' THEN degrees(a) WHEN 'radians' THEN radians(a)
        WHEN 'ceil' THEN ceil(a) WHEN 'floor' THEN floor(a) WHEN 'trunc' THEN trunc(a)
        WHEN 'sign' THEN sign(a)
    END;
    RETURN CASE WHEN result = 'NaN' THEN NULL ELSE result END;
EXCEPTION WHEN numeric_value_out_of_range THEN
    IF SQLERRM LIKE '%underflow%' THEN RETURN 0; END IF;
    RETURN CASE
        WHEN name IN ('exp', 'cosh') THEN 'Infinity'
        WHEN name = 'pow' AND a < 0 AND mod(CAST(b AS numeric), 2) <> 0 THEN '-Infinity'
        WHEN name = 'pow' THEN 'Infinity'
        WHEN a < 0 THEN '-Infinity' ELSE 'Infinity' END;
END $$;
"""

OTHER_HELPERS = r"""
-- ---- timediff(), unhex(), zeroblob() -----------------------------------------------------

-- A day of a month past its end runs into the next month, as in SQLite's date arithmetic
-- (y: the astronomical year, 0 is 1 BC).
CREATE OR REPLACE FUNCTION pb_ymd(y int, m int, d int, t interval) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(make_date(CASE WHEN y <= 0 THEN y - 1 ELSE y END, m, 1) AS timestamp) + (d - 1) * interval '1 day' + t
$$;

-- SQLite's unixepoch(X, 'subsec') and julianday(X) from pb_strftime('%s %f', X, ...) (the
-- whole seconds, then the seconds of the minute as SS.SSS): the milliseconds since 1970, then
-- the seconds (a REAL), the Julian day (the milliseconds since its start over a day's, in
-- doubles as SQLite divides: %J writes 16 digits only).
-- PERF: plpgsql, the text computed once (read twice, an inlined strftime would run twice).
CREATE OR REPLACE FUNCTION pb_epoch_ms(shown text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CAST(split_part(shown, ' ', 1) AS bigint) * 1000 + CAST(mod(CAST(split_part(shown, ' ', 2) AS numeric), 1) * 1000 AS bigint);
END $$;

CREATE OR REPLACE FUNCTION pb_epoch_subsec(shown text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(pb_epoch_ms(shown) AS double precision) / 1000.0 $$;

CREATE OR REPLACE FUNCTION pb_julianday(shown text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(pb_epoch_ms(shown) + 210866760000000 AS double precision) / 86400000.0 $$;

CREATE OR REPLACE FUNCTION pb_year(t timestamp) RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CASE WHEN extract(year FROM t) < 0 THEN extract(year FROM t) + 1 ELSE extract(year FROM t) END AS int) $$;

-- SQLite's timediff(A, B): the years, months, days and time to add to B to reach A.
CREATE OR REPLACE FUNCTION pb_timediff(a text, b text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t1 timestamp := pb_to_timestamp(a);
    t2 timestamp := pb_to_timestamp(b);
    y1 int; m1 int; y2 int; m2 int; d2 int;
    tm2 interval;
    y int; m int;
    cur timestamp;
    diff interval;
    sign text;
BEGIN
    IF t1 IS NULL OR t2 IS NULL THEN RETURN NULL; END IF;
    y1 := pb_year(t1); m1 := extract(month FROM t1);
    y2 := pb_year(t2); m2 := extract(month FROM t2); d2 := extract(day FROM t2);
    tm2 := t2 - date_trunc('day', t2);
    cur := t2;
    IF t1 >= t2 THEN
        sign := '+';
        y := y1 - y2;
        IF y <> 0 THEN y2 := y1; cur := pb_ymd(y2, m2, d2, tm2); END IF;
        m := m1 - m2;
        IF m < 0 THEN y := y - 1; m := m + 12; END IF;
        IF m <> 0 THEN m2 := m1; cur := pb_ymd(y2, m2, d2, tm2); END IF;
        WHILE t1 < cur LOOP
            m := m - 1;
            IF m < 0 THEN m := 11; y := y - 1; END IF;
            m2 := m2 - 1;
            IF m2 < 1 THEN m2 := 12; y2 := y2 - 1; END IF;
            cur := pb_ymd(y2, m2, d2, tm2);
        END LOOP;
        diff := t1 - cur;
    ELSE
        sign := '-';
        y := y2 - y1;
        IF y <> 0 THEN y2 := y1; cur := pb_ymd(y2, m2, d2, tm2); END IF;
        m := m2 - m1;
        IF m < 0 THEN y := y - 1; m := m + 12; END IF;
        IF m <> 0 THEN m2 := m1; cur := pb_ymd(y2, m2, d2, tm2); END IF;
        WHILE t1 > cur LOOP
            m := m - 1;
            IF m < 0 THEN m := 11; y := y - 1; END IF;
            m2 := m2 + 1;
            IF m2 > 12 THEN m2 := 1; y2 := y2 + 1; END IF;
            cur := pb_ymd(y2, m2, d2, tm2);
        END LOOP;
        diff := cur - t1;
    END IF;
    RETURN sign || lpad(CAST(y AS text), 4, '0') || '-' || lpad(CAST(m AS text), 2, '0') || '-'
        || lpad(CAST(extract(day FROM diff) AS int)::text, 2, '0') || ' ' || to_char(diff, 'HH24:MI:')
        || to_char(extract(second FROM diff), 'FM00.000');
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR data_exception THEN
    RETURN NULL;  -- NOTE: a date out of Postgres's range (before 4713 BC)
END $$;

-- SQLite's unhex(): pairs of hex digits (the ignored characters between pairs), else NULL.
CREATE OR REPLACE FUNCTION pb_unhex(value text, ignored text DEFAULT '') RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    digits text := '';
    half boolean := false;
    c text;
BEGIN
    IF value IS NULL OR ignored IS NULL THEN RETURN NULL; END IF;
    FOR i IN 1 .. length(value) LOOP
        c := substr(value, i, 1);
        IF c ~ '[0-9a-fA-F]' THEN
            digits := digits || c;
            half := NOT half;
        ELSIF half OR position(c IN ignored) = 0 THEN
            RETURN NULL;
        END IF;
    END LOOP;
    IF half THEN RETURN NULL; END IF;
    RETURN decode(digits, 'hex');
END $$;

CREATE OR REPLACE FUNCTION pb_zeroblob(n double precision) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$ SELECT decode(repeat('00', CAST(greatest(COALESCE(trunc(n), 0), 0) AS int)), 'hex') $$;

-- A BLOB read by a view's json field as Go reads []byte: its text, JSON if it holds JSON (as
-- a text's), bytes that are no UTF-8 as nothing.
CREATE OR REPLACE FUNCTION pb_view_json(value bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN pb_view_json(convert_from(value, 'UTF8'));
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pb_view_raw(value bytea) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(value) $$;
"""

VIEW_HELPERS = r"""
-- SQLite's CAST of a value (as SQLite holds it: pb_sqlite_value) to a number: a number as it
-- is, a text's longest numeric prefix (0 without one: CAST('abc' AS REAL) is 0.0).
CREATE OR REPLACE FUNCTION pb_cast_number(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'number' THEN CAST(v #>> '{}' AS double precision)
        WHEN 'string' THEN pb_num_prefix(v #>> '{}') END
$$;

-- The integer a text starts with (0 for none), held to 64 bits, as SQLite casts a text to INTEGER.
CREATE OR REPLACE FUNCTION pb_int_prefix(value text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN digits IS NULL THEN 0 WHEN CAST(digits AS numeric) >= 9223372036854775807 THEN 9223372036854775807
        WHEN CAST(digits AS numeric) <= -9223372036854775808 THEN -9223372036854775808 ELSE CAST(digits AS bigint) END
    FROM (SELECT substring(value FROM '^\s*([-+]?[0-9]+)') AS digits) AS prefix
$$;

-- ... to an INTEGER: truncated toward zero, held to 64 bits (CAST(1e20 AS INTEGER) is 2^63-1);
-- a text its integer prefix (CAST('1e5' AS INTEGER) is 1).
CREATE OR REPLACE FUNCTION pb_cast_integer(v jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN pb_int_prefix(v #>> '{}')
        WHEN n IS NULL THEN NULL WHEN n >= 9.2233720368547758e18 THEN 9223372036854775807
        WHEN n <= -9.2233720368547758e18 THEN -9223372036854775808 ELSE CAST(trunc(n) AS bigint) END
    FROM (SELECT pb_cast_number(v) AS n) AS cast_value
$$;

-- SQLite's typeof() of a value as SQLite holds it (pb_sqlite_value's): a number without a
-- fraction or an exponent within 64 bits an 'integer', another a 'real'.
CREATE OR REPLACE FUNCTION pb_typeof(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'number' THEN CASE WHEN (v #>> '{}') ~ '^-?[0-9]+$'
            AND CAST(v AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN 'integer' ELSE 'real' END
        WHEN 'string' THEN 'text' ELSE 'null' END
$$;

-- A column of a UNION's SELECT where another SELECT shows a truth: a boolean as SQLite's 0/1.
CREATE OR REPLACE FUNCTION pb_truth_number(value boolean) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS int) $$;

CREATE OR REPLACE FUNCTION pb_truth_number(value anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

-- SQLite's doc -> path: the JSON text at the path (NULL where there is none); a text that is
-- no JSON (JSON5 is, pb_json_parse) refused as SQLite refuses it; an object's keys in their
-- order. A path of plain keys and indexes is read by Postgres's #>; any other by SQLite's
-- rules (pb_json_sqlite_at: a quoted key $."a.b", $[#-1]; a malformed path refused).
-- PERF: pb_json_at reads an object's key with a query of its own (~35 us a step, #> ~1 us).
-- NOTE: of two equal keys the first, as SQLite (pb_json_first_at: #> finds the last).
CREATE OR REPLACE FUNCTION pb_json_sqlite_at(doc text, path text) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF path IS NULL THEN RETURN NULL; END IF;
    IF path ~ '^\$(\.[A-Za-z0-9_]+|\[[0-9]+\])*$' THEN RETURN pb_json_first_at(pb_json_parse(doc), path); END IF;
    RETURN pb_json_at(pb_json_parse(doc), pb_json_steps(path));
END $$;

CREATE OR REPLACE FUNCTION pb_view_arrow(doc text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_min(pb_json_sqlite_at(doc, path)) $$;

-- ... of a json field (its jsonb): a path holding a quote or # read from its stored text
CREATE OR REPLACE FUNCTION pb_view_arrow(doc jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN strpos(path, '"') > 0 OR strpos(path, '#') > 0 THEN pb_view_arrow(pb_minified(doc), path)
        ELSE pb_json_arrow(doc, path) END
$$;

-- SQLite's doc ->> path (and json_extract(doc, path)): the SQL value at the path, as a jsonb
-- number or string (true/false as 1/0, null as NULL, an object or array as its JSON text).
CREATE OR REPLACE FUNCTION pb_view_arrow_value(doc text, path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    found json := pb_json_sqlite_at(doc, path);
BEGIN
    IF json_typeof(found) IN ('object', 'array') THEN RETURN to_jsonb(pb_json_min(found)); END IF;
    RETURN pb_value(CAST(found AS jsonb));
END $$;

CREATE OR REPLACE FUNCTION pb_view_arrow_value(doc jsonb, path text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN strpos(path, '"') > 0 OR strpos(path, '#') > 0 THEN pb_view_arrow_value(pb_minified(doc), path)
        ELSE pb_json_value(doc, path) END
$$;

-- The SQL value (a jsonb number or string) SQLite holds in a view's column a json field reads
-- as JSON (pb_view_json): a number, or the text that JSON was read from.
CREATE OR REPLACE FUNCTION pb_view_value(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'number' THEN v WHEN 'string' THEN v ELSE to_jsonb(pb_minified(v)) END
$$;

-- ... a text (pb_view_raw's varchar): itself.
CREATE OR REPLACE FUNCTION pb_view_value(v text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(v) $$;

-- The text a view shows of a SQL value (pb_text's), an infinity as PocketBase writes SQLite's
-- REAL one (Go's float: "+Inf", "-Inf"; SQLite's text is 'Inf'). NOTE: plpgsql: v (a costly
-- json_extract()) is computed once.
CREATE OR REPLACE FUNCTION pb_shown_text(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF jsonb_typeof(v) = 'number' AND abs(CAST(v AS numeric)) >= 1.797693134862315807937e308 THEN
        RETURN CASE WHEN CAST(v AS numeric) > 0 THEN '+Inf' ELSE '-Inf' END;
    END IF;
    RETURN pb_text(v);
END $$;
"""

TRUTH_HELPERS = r"""
-- SQLite's truth of a value a view's query tests (WHERE n, NOT title, a AND b).
CREATE OR REPLACE FUNCTION pb_truthy(value boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_truthy(value double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT value <> 0 $$;

CREATE OR REPLACE FUNCTION pb_truthy(value integer) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT value <> 0 $$;

CREATE OR REPLACE FUNCTION pb_truthy(value bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT value <> 0 $$;

CREATE OR REPLACE FUNCTION pb_truthy(value numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT value <> 0 $$;

CREATE OR REPLACE FUNCTION pb_truthy(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_truth(value) $$;

CREATE OR REPLACE FUNCTION pb_truthy(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_truth(pb_text(pb_stored_json(value))) $$;

CREATE OR REPLACE FUNCTION pb_truthy(value anyelement) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_truth(CAST(value AS text)) $$;
"""


ALL_HELPERS = FUNCTION_HELPERS + PRINTF_HELPERS + JSON_HELPERS + OTHER_HELPERS + VIEW_HELPERS + TRUTH_HELPERS + ARITHMETIC_HELPERS
ALL_HELPERS += INTEGER_HELPERS
