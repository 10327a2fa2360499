"""The Postgres functions behind :mod:`pybase.store.sqlite_functions`: SQLite's functions with
SQLite's results, for index expressions and view queries written for SQLite.

Values cross into these functions as SQLite holds them: a *SQL value* is a jsonb number or
string (``pb_sqlite_value``; NULL stays NULL), a *JSON value* (what SQLite's JSON functions
return) is its JSON text. Each function is IMMUTABLE, as an index requires, for the values it
is given.
"""

from __future__ import annotations

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
-- in SQLite, view_compare.VIEW_JSON) from a table's text column shown through a view.
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

-- A BLOB read by a view's json field: its bytes as text.
CREATE OR REPLACE FUNCTION pb_view_json(value bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN to_jsonb(convert_from(value, 'UTF8'));
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
-- no JSON refused as SQLite refuses it; an object's keys in their order.
CREATE OR REPLACE FUNCTION pb_view_arrow(doc text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_min(pb_json_parse(doc) #> pb_json_path(path)) $$;

CREATE OR REPLACE FUNCTION pb_view_arrow(doc jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_arrow(doc, path) $$;

-- SQLite's doc ->> path (and json_extract(doc, path)): the SQL value at the path, as a jsonb
-- number or string (true/false as 1/0, null as NULL, an object or array as its JSON text).
CREATE OR REPLACE FUNCTION pb_view_arrow_value(doc text, path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    found json := pb_json_parse(doc) #> pb_json_path(path);
BEGIN
    IF json_typeof(found) IN ('object', 'array') THEN RETURN to_jsonb(pb_json_min(found)); END IF;
    RETURN pb_value(CAST(found AS jsonb));
END $$;

CREATE OR REPLACE FUNCTION pb_view_arrow_value(doc jsonb, path text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_value(doc, path) $$;

-- The SQL value (a jsonb number or string) SQLite holds in a view's column a json field reads
-- as JSON (pb_view_json): a number, or the text that JSON was read from.
CREATE OR REPLACE FUNCTION pb_view_value(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'number' THEN v WHEN 'string' THEN v ELSE to_jsonb(pb_minified(v)) END
$$;

-- ... a text (pb_view_raw's varchar): itself.
CREATE OR REPLACE FUNCTION pb_view_value(v text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(v) $$;
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


ARITHMETIC_HELPERS = r"""
-- ---- arithmetic -------------------------------------------------------------------------

-- SQLite's a + b, a - b, a * b, a / b in a view: a double past the range is an infinity, one
-- below it 0, a division by 0 NULL, two integers stay integers (held in 64 bits, not 32).
-- Postgres raises "value out of range: overflow/underflow", "integer out of range" and
-- "division by zero" instead. pb_add (...) for number columns and literals: checks each
-- operand's size, then Postgres's operator (inlined into the query, ~10 operators); the
-- pb_add_nested (...) ones for any other operand (another operation, a function): plpgsql
-- (~0.5 us), as a costly operand used twice stops Postgres inlining an SQL function, whose
-- call then costs ~20 us.

-- A number past a double's range as SQLite's double arithmetic ends (an infinity, 0; NULL for
-- NaN, which SQLite has not); within it the nearest double.
CREATE OR REPLACE FUNCTION pb_double(x numeric) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF x IS NULL OR x = 'NaN' THEN RETURN NULL; END IF;
    IF abs(x) >= 179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792 THEN
        RETURN CASE WHEN x > 0 THEN CAST('Infinity' AS double precision) ELSE CAST('-Infinity' AS double precision) END;
    END IF;
    IF abs(x) < 2.4703282292062328e-324 THEN
        RETURN CASE WHEN x < 0 THEN CAST('-0' AS double precision) ELSE 0 END;
    END IF;
    RETURN CAST(x AS double precision);
END $$;

-- An operand as SQLite reads it: a number as it is, a text (a JSON column's too) as the number
-- it starts with (0 without one), a truth as 1/0.
CREATE OR REPLACE FUNCTION pb_arith_arg(value integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value numeric) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_real_arg(value) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_real_arg(value) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value boolean) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS integer) $$;

-- A double exactly as a numeric (its shortest text: a cast to numeric keeps 15 digits). A
-- dividend gets at least 20 decimals (more digits), so that a quotient has those a double needs
-- (added, not rounded to: a dividend below 1e-20 rounded to 20 decimals was 0).
CREATE OR REPLACE FUNCTION pb_exact(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(x AS text) AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_add(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) + b $$;

CREATE OR REPLACE FUNCTION pb_add(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;

CREATE OR REPLACE FUNCTION pb_add(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(a) < 8e307 AND abs(b) < 8e307 THEN a + b ELSE pb_double(pb_exact(a) + pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_sub(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) - b $$;

CREATE OR REPLACE FUNCTION pb_sub(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a - b $$;

CREATE OR REPLACE FUNCTION pb_sub(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(a) < 8e307 AND abs(b) < 8e307 THEN a - b ELSE pb_double(pb_exact(a) - pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_mul(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) * b $$;

CREATE OR REPLACE FUNCTION pb_mul(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a * b $$;

CREATE OR REPLACE FUNCTION pb_mul(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND (abs(b) BETWEEN 1e-150 AND 1e150 OR b = 0)
        THEN a * b ELSE pb_double(pb_exact(a) * pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_div(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) / NULLIF(b, 0) $$;

CREATE OR REPLACE FUNCTION pb_div(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a / NULLIF(b, 0) $$;

CREATE OR REPLACE FUNCTION pb_div(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN b = 0 THEN NULL
        WHEN (abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND abs(b) BETWEEN 1e-150 AND 1e150 THEN a / b
        ELSE pb_double((pb_exact(a) + 0.00000000000000000000) / pb_exact(b)) END
$$;

-- SQLite's value of an operation as pb_sqlite_value's, a REAL (is_real: as its operands make it)
-- with a point: a jsonb number 4.0 (pb_text writes '4.0'), an integer as one; an infinity as a
-- number past any double, +-1e400 (jsonb holds none: to_jsonb writes the text "Infinity").
-- PERF: plpgsql (~1 us): its argument, an operation, is costly and read several times, which
-- stops Postgres inlining an SQL function (whose call then costs ~10 us a row)
CREATE OR REPLACE FUNCTION pb_sqlite_number(x double precision, is_real boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF x = trunc(x) AND abs(x) < 9223372036854775807 THEN
        IF is_real THEN RETURN to_jsonb(CAST(CAST(x AS bigint) AS numeric) + 0.0); END IF;
        IF NOT is_real THEN RETURN to_jsonb(CAST(x AS bigint)); END IF;
    END IF;
    IF x = 'Infinity' THEN RETURN CAST('1e400' AS jsonb); END IF;
    IF x = '-Infinity' THEN RETURN CAST('-1e400' AS jsonb); END IF;
    RETURN pb_sqlite_value(x);
END $$;

CREATE OR REPLACE FUNCTION pb_sqlite_number(x bigint, is_real boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(x) $$;

-- Whether a number field's value is one SQLite holds as an integer (integral, within 64 bits).
CREATE OR REPLACE FUNCTION pb_is_integer(x double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT abs(x) < 9223372036854775807 AND x = trunc(x) $$;

-- Whether a text is an integer to SQLite's arithmetic: its number (0 without one) has no point
-- or exponent, and is within 64 bits.
CREATE OR REPLACE FUNCTION pb_is_integer_text(x text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT x !~ '^\s*[-+]?([0-9]*\.[0-9]|[0-9]+\.|[0-9]+[eE][-+]?[0-9])' AND pb_is_integer(pb_num_prefix(x))
$$;

-- SQLite's a / b when ``ints`` (the number fields read hold integers): an integer division
-- (toward 0, NULL by 0), else pb_div's.
CREATE OR REPLACE FUNCTION pb_idiv(a double precision, b double precision, ints boolean) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints AND abs(a) < 9223372036854775807 AND abs(b) < 9223372036854775807
        THEN CAST(CAST(a AS bigint) / NULLIF(CAST(b AS bigint), 0) AS double precision) ELSE pb_div(a, b) END
$$;

CREATE OR REPLACE FUNCTION pb_idiv_nested(a double precision, b double precision, ints boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ints AND abs(a) < 9223372036854775807 AND abs(b) < 9223372036854775807 THEN
        RETURN CAST(CAST(a AS bigint) / NULLIF(CAST(b AS bigint), 0) AS double precision);
    END IF;
    RETURN pb_div_nested(a, b);
END $$;
"""


def _nested(op: str, sign: str, check: str) -> str:
    """The plpgsql variants of the double operation ``op`` (``check``: when Postgres's own
    operator answers) and the integer ones under the same name."""
    return f"""
CREATE OR REPLACE FUNCTION pb_{op}_nested(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_{op}(a, b) $$;

CREATE OR REPLACE FUNCTION pb_{op}_nested(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_{op}(a, b) $$;

CREATE OR REPLACE FUNCTION pb_{op}_nested(a double precision, b double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF {check} THEN RETURN a {sign} b; END IF;
    RETURN pb_{op}(a, b);
END $$;
"""


ARITHMETIC_HELPERS += (
    _nested("add", "+", "abs(a) < 8e307 AND abs(b) < 8e307")
    + _nested("sub", "-", "abs(a) < 8e307 AND abs(b) < 8e307")
    + _nested("mul", "*", "(abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND (abs(b) BETWEEN 1e-150 AND 1e150 OR b = 0)")
    + _nested("div", "/", "(abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND abs(b) BETWEEN 1e-150 AND 1e150")
)

INTEGER_HELPERS = r"""
-- ---- integers past 2^53 ------------------------------------------------------------------

-- SQLite computes an operation of integers (a number field's integral value is held as one) in
-- 64 bits, a REAL only past them; Postgres's doubles keep 53. An operation whose values SQLite
-- may hold as integers (view_sql.arithmetic: ``ints``, the tests that they are) is computed in
-- numeric, which holds either exactly: the integer when ``ints``, else the double SQLite
-- computes, with a point (pb_real_numeric: 4.0; its class is kept where it is read again).
-- pb_int_add (...) for number columns and literals (inlined: each costly argument is used
-- once), pb_int_add_nested (...) for any other operand (plpgsql, as pb_add_nested).

-- A double's exact value (an integral one within 64 bits through bigint; another through its
-- shortest text, which reads back as the same double).
CREATE OR REPLACE FUNCTION pb_inum(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x = trunc(x) AND abs(x) < 9223372036854775807 THEN CAST(CAST(x AS bigint) AS numeric)
        ELSE CAST(CAST(x AS text) AS numeric) END
$$;

-- A REAL's exact value as a numeric with a point (4.0: pb_typeof and pb_text read a REAL).
-- NOTE: x once: an operation's CASE as the argument keeps the function inlined
CREATE OR REPLACE FUNCTION pb_real_numeric(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(x AS text) AS numeric) + 0.0 $$;

-- An integer SQLite computed, or past 64 bits the REAL it computes instead (``approx``).
CREATE OR REPLACE FUNCTION pb_int_or_real(exact numeric, approx double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN exact BETWEEN -9223372036854775808 AND 9223372036854775807 THEN exact
        ELSE pb_real_numeric(approx) END
$$;

-- An operand as SQLite's arithmetic reads it (pb_arith_arg), exactly: a text that is an integer
-- its 64 bits.
CREATE OR REPLACE FUNCTION pb_exact_arg(value double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_inum(value) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value integer) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(value AS integer) AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN pb_is_integer_text(value) THEN CAST(pb_int_prefix(value) AS numeric) ELSE pb_inum(pb_real_arg(value)) END
$$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' AND abs(CAST(value AS numeric)) < 1e308 THEN CAST(value AS numeric)
        ELSE pb_exact_arg(pb_text(pb_stored_json(value))) END
$$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value anyelement) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_inum(pb_real_arg(value)) $$;


-- Whether a value a view computed is SQLite's INTEGER: a numeric one (pb_int_add..., pb_sum)
-- has no point (a REAL's has: pb_real_numeric), a double one is integral within 64 bits.
CREATE OR REPLACE FUNCTION pb_is_int_value(x numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT scale(x) = 0 AND x BETWEEN -9223372036854775808 AND 9223372036854775807 $$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_integer(x) $$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT x IS NOT NULL $$;

-- ... a view's json column read by a query over the view: its number as SQLite held it (4.0 a
-- REAL: pb_real_numeric kept its point), a text as SQLite's arithmetic reads it.
CREATE OR REPLACE FUNCTION pb_is_int_value(x jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(x) = 'number' THEN (x #>> '{}') ~ '^-?[0-9]+$'
            AND CAST(x AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807
        ELSE pb_is_integer_text(x #>> '{}') END
$$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_integer_text(x) $$;

-- ... a view's number column over a REAL it computed (CAST(n AS REAL): numeric, with a point).
CREATE OR REPLACE FUNCTION pb_is_integer(x numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_int_value(x) $$;

-- SQLite's sum() of a number field: of integers an integer (``total``: the exact sum of the
-- values, pb_inum's; ``ints``: whether every value summed is an integer), else the REAL.
CREATE OR REPLACE FUNCTION pb_sum(total numeric, ints boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints THEN pb_int_or_real(total, CAST(total AS double precision))
        ELSE pb_real_numeric(CAST(total AS double precision)) END
$$;

-- SQLite's value of an operation computed in numeric (see pb_sqlite_number's double one).
CREATE OR REPLACE FUNCTION pb_sqlite_number(x numeric, is_real boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT is_real AND x = trunc(x) AND x BETWEEN -9223372036854775808 AND 9223372036854775807 THEN RETURN to_jsonb(x); END IF;
    RETURN pb_sqlite_number(CAST(x AS double precision), is_real);
END $$;

-- SQLite's a % b of exact values: the remainder of the integers read (within 64 bits), NULL for 0.
CREATE OR REPLACE FUNCTION pb_int_mod(a numeric, b numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN trunc(b) = 0 THEN NULL ELSE mod(
        greatest(-9223372036854775808, least(9223372036854775807, trunc(a))),
        greatest(-9223372036854775808, least(9223372036854775807, trunc(b)))) END
$$;
"""


def _exact(op: str, exact: str, real: str) -> str:
    """pb_int_<op> (number columns and literals: a double, or a bigint literal) and
    pb_int_<op>_nested (numeric operands) of the integer operation ``exact`` (of numerics
    ``x``, ``y``) and the double one ``real`` (of ``a``, ``b``)."""
    out = ""
    for a_type, b_type in (("double precision", "double precision"), ("double precision", "bigint"), ("bigint", "double precision")):
        x, y = (f"CAST(CAST({v} AS bigint) AS numeric)" if t != "bigint" else f"CAST({v} AS numeric)" for v, t in (("a", a_type), ("b", b_type)))
        da, db = (f"CAST({v} AS double precision)" if t == "bigint" else v for v, t in (("a", a_type), ("b", b_type)))
        out += f"""
CREATE OR REPLACE FUNCTION pb_int_{op}(a {a_type}, b {b_type}, ints boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints THEN {exact.format(x=x, y=y, a=da, b=db)} ELSE pb_real_numeric({real.format(a=da, b=db)}) END
$$;
"""
    return out + f"""
CREATE OR REPLACE FUNCTION pb_int_{op}_nested(x numeric, y numeric, ints boolean) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ints THEN RETURN {exact.format(x="x", y="y", a="CAST(x AS double precision)", b="CAST(y AS double precision)")}; END IF;
    RETURN pb_real_numeric({real.format(a="CAST(x AS double precision)", b="CAST(y AS double precision)")});
END $$;
"""


INTEGER_HELPERS += (
    _exact("add", "pb_int_or_real({x} + {y}, {a} + {b})", "pb_add({a}, {b})")
    + _exact("sub", "pb_int_or_real({x} - {y}, {a} - {b})", "pb_sub({a}, {b})")
    + _exact("mul", "pb_int_or_real({x} * {y}, {a} * {b})", "pb_mul({a}, {b})")
    # NOTE: toward 0, NULL by 0; -2^63 / -1 the REAL 2^63
    + _exact("div", "pb_int_or_real(div({x}, NULLIF({y}, 0)), {a} / NULLIF({b}, 0))", "pb_div({a}, {b})")
)

ALL_HELPERS = FUNCTION_HELPERS + PRINTF_HELPERS + JSON_HELPERS + OTHER_HELPERS + VIEW_HELPERS + TRUTH_HELPERS + ARITHMETIC_HELPERS
ALL_HELPERS += INTEGER_HELPERS
