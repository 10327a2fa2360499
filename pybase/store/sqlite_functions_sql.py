"""The Postgres functions behind :mod:`pybase.store.sqlite_functions`: SQLite's functions with
SQLite's results, for index expressions and view queries written for SQLite.

Values cross into these functions as SQLite holds them: a *SQL value* is a jsonb number or
string (``pb_sqlite_value``; NULL stays NULL), a *JSON value* (what SQLite's JSON functions
return) is its JSON text. Each function is IMMUTABLE, as an index requires, for the values it
is given.
"""

from __future__ import annotations

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

CREATE OR REPLACE FUNCTION pb_view_json(value numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(CAST(value AS int)) $$;

CREATE OR REPLACE FUNCTION pb_view_json(value anyelement) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_view_json(CAST(value AS text)) $$;

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

PRINTF_HELPERS = r"""
-- ---- printf()/format() ----------------------------------------------------------------

-- An integer as SQLite's printf reads an argument: a number truncated, a text's leading number,
-- within 64 bits.
CREATE OR REPLACE FUNCTION pb_printf_int(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 0 ELSE greatest(-9223372036854775808, least(9223372036854775807,
        trunc(CAST(CASE WHEN jsonb_typeof(v) = 'number' THEN CAST(v #>> '{}' AS double precision)
                        ELSE pb_num_prefix(v #>> '{}') END AS numeric)))) END
$$;

CREATE OR REPLACE FUNCTION pb_printf_real(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 0 WHEN jsonb_typeof(v) = 'number' THEN CAST(v #>> '{}' AS double precision)
        ELSE pb_num_prefix(v #>> '{}') END
$$;

-- d.ddde+XX: a number in exponent form with prec digits after the point (C's %e).
CREATE OR REPLACE FUNCTION pb_printf_exp(x double precision, prec int, upper_case boolean, keep_point boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    exponent int := 0;
    mantissa numeric;
    digits text;
BEGIN
    IF x <> 0 THEN
        exponent := floor(log(abs(CAST(x AS numeric))));
        mantissa := round(pb_scaled(abs(CAST(x AS numeric)), exponent), prec);
        IF mantissa >= 10 THEN
            exponent := exponent + 1;
            mantissa := round(pb_scaled(abs(CAST(x AS numeric)), exponent), prec);
        END IF;
    ELSE
        mantissa := round(0::numeric, prec);
    END IF;
    digits := CAST(mantissa AS text);
    IF prec = 0 AND keep_point THEN digits := digits || '.'; END IF;
    RETURN digits || CASE WHEN upper_case THEN 'E' ELSE 'e' END || CASE WHEN exponent < 0 THEN '-' ELSE '+' END
        || CASE WHEN abs(exponent) < 10 THEN '0' ELSE '' END || CAST(abs(exponent) AS text);
END $$;

CREATE OR REPLACE FUNCTION pb_printf(fmt text, VARIADIC args jsonb[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    result text := '';
    i int := 1;
    n int := length(fmt);
    c text;
    flags text;
    width int;
    prec int;
    conv text;
    argi int := 1;
    v jsonb;
    body text;
    sign text;
    x double precision;
    iv numeric;
    exponent int;
    digits text;
BEGIN
    IF fmt IS NULL THEN RETURN NULL; END IF;
    WHILE i <= n LOOP
        c := substr(fmt, i, 1);
        IF c <> '%' THEN
            result := result || c;
            i := i + 1;
            CONTINUE;
        END IF;
        i := i + 1;
        flags := '';
        WHILE i <= n AND position(substr(fmt, i, 1) IN '-+ 0#,!') > 0 LOOP
            flags := flags || substr(fmt, i, 1);
            i := i + 1;
        END LOOP;
        width := 0;
        IF substr(fmt, i, 1) = '*' THEN
            width := CAST(pb_printf_int(args[argi]) AS int);
            argi := argi + 1;
            IF width < 0 THEN flags := flags || '-'; width := -width; END IF;
            i := i + 1;
        ELSE
            WHILE substr(fmt, i, 1) ~ '[0-9]' LOOP
                width := width * 10 + CAST(substr(fmt, i, 1) AS int);
                i := i + 1;
            END LOOP;
        END IF;
        prec := NULL;
        IF substr(fmt, i, 1) = '.' THEN
            i := i + 1;
            prec := 0;
            IF substr(fmt, i, 1) = '*' THEN
                prec := abs(CAST(pb_printf_int(args[argi]) AS int));
                argi := argi + 1;
                i := i + 1;
            ELSE
                WHILE substr(fmt, i, 1) ~ '[0-9]' LOOP
                    prec := prec * 10 + CAST(substr(fmt, i, 1) AS int);
                    i := i + 1;
                END LOOP;
            END IF;
        END IF;
        WHILE substr(fmt, i, 1) = 'l' LOOP i := i + 1; END LOOP;
        conv := substr(fmt, i, 1);
        i := i + 1;
        IF conv = '%' THEN
            result := result || '%';
            CONTINUE;
        END IF;
        IF conv = '' OR position(conv IN 'diuxXofeEgGsczqQw') = 0 THEN
            RETURN NULL;  -- NOTE: as SQLite: an unknown conversion, no text
        END IF;
        v := args[argi];
        argi := argi + 1;
        sign := '';
        IF conv IN ('d', 'i', 'u', 'x', 'X', 'o') THEN
            iv := pb_printf_int(v);
            IF conv = 'u' AND iv < 0 THEN iv := iv + 18446744073709551616; END IF;
            IF conv IN ('x', 'X', 'o') THEN
                IF iv < 0 THEN iv := iv + 18446744073709551616; END IF;
                body := '';
                LOOP
                    body := substr('0123456789abcdef', CAST(mod(iv, CASE WHEN conv = 'o' THEN 8 ELSE 16 END) AS int) + 1, 1) || body;
                    iv := div(iv, CASE WHEN conv = 'o' THEN 8 ELSE 16 END);
                    EXIT WHEN iv = 0;
                END LOOP;
                IF conv = 'X' THEN body := upper(body); END IF;
                IF position('#' IN flags) > 0 AND body <> '0' THEN
                    body := CASE conv WHEN 'o' THEN '0' WHEN 'x' THEN '0x' ELSE '0X' END || body;
                END IF;
            ELSE
                IF iv < 0 THEN sign := '-'; iv := -iv;
                ELSIF position('+' IN flags) > 0 THEN sign := '+';
                ELSIF position(' ' IN flags) > 0 THEN sign := ' '; END IF;
                body := CAST(iv AS text);
                IF position(',' IN flags) > 0 THEN
                    body := reverse(regexp_replace(reverse(body), '([0-9]{3})(?=[0-9])', '\1,', 'g'));
                END IF;
            END IF;
            IF prec IS NOT NULL AND length(body) < prec THEN body := lpad(body, prec, '0'); END IF;
        ELSIF conv IN ('f', 'e', 'E', 'g', 'G') THEN
            x := pb_printf_real(v);
            IF x < 0 OR (x = 0 AND CAST(x AS text) = '-0') THEN sign := '-'; x := -x;
            ELSIF position('+' IN flags) > 0 THEN sign := '+';
            ELSIF position(' ' IN flags) > 0 THEN sign := ' '; END IF;
            IF x = 'NaN' THEN RETURN NULL; END IF;
            IF x = 'Infinity' THEN
                body := 'Inf';
            ELSE
                prec := COALESCE(prec, 6);
                IF conv = 'f' THEN
                    body := CAST(round(CAST(x AS numeric), prec) AS text);
                    IF prec = 0 AND position('#' IN flags) > 0 THEN body := body || '.'; END IF;
                ELSIF conv IN ('e', 'E') THEN
                    body := pb_printf_exp(x, prec, conv = 'E', position('#' IN flags) > 0);
                ELSE
                    IF prec = 0 THEN prec := 1; END IF;
                    exponent := 0;
                    IF x <> 0 THEN
                        digits := pb_printf_exp(x, prec - 1, false, false);
                        exponent := CAST(substr(digits, position('e' IN digits) + 1) AS int);
                    END IF;
                    IF exponent < -4 OR exponent >= prec THEN
                        body := pb_printf_exp(x, prec - 1, conv = 'G', false);
                        IF position('#' IN flags) = 0 AND position('.' IN body) > 0 THEN
                            body := regexp_replace(body, '\.?0*([eE])', '\1');
                        END IF;
                    ELSE
                        body := CAST(round(CAST(x AS numeric), prec - 1 - exponent) AS text);
                        IF position('#' IN flags) = 0 AND position('.' IN body) > 0 THEN
                            body := rtrim(rtrim(body, '0'), '.');
                        END IF;
                    END IF;
                END IF;
            END IF;
        ELSE
            body := CASE WHEN v IS NULL THEN NULL ELSE pb_text(v) END;
            IF conv = 'c' THEN
                body := COALESCE(left(body, 1), '');
                IF prec IS NOT NULL AND prec > 1 THEN body := repeat(body, prec); END IF;
                prec := NULL;
            ELSIF conv = 'q' THEN
                body := COALESCE(replace(body, '''', ''''''), '(NULL)');
            ELSIF conv = 'Q' THEN
                body := COALESCE('''' || replace(body, '''', '''''') || '''', 'NULL');
            ELSIF conv = 'w' THEN
                body := COALESCE(replace(body, '"', '""'), '(NULL)');
            ELSE
                body := COALESCE(body, '');
            END IF;
            IF prec IS NOT NULL THEN body := left(body, prec); END IF;
        END IF;
        IF length(sign || body) < width THEN
            IF position('-' IN flags) > 0 THEN
                body := sign || body || repeat(' ', width - length(sign || body));
            ELSIF position('0' IN flags) > 0 AND conv IN ('d', 'i', 'u', 'x', 'X', 'o', 'f', 'e', 'E', 'g', 'G') THEN
                body := sign || repeat('0', width - length(sign || body)) || body;
            ELSE
                body := repeat(' ', width - length(sign || body)) || sign || body;
            END IF;
        ELSE
            body := sign || body;
        END IF;
        result := result || body;
    END LOOP;
    RETURN NULLIF(result, '');  -- NOTE: as SQLite: no text written, NULL
END $$;
"""

JSON_HELPERS = r"""
-- ---- JSON builders and editors ----------------------------------------------------------

-- SQLite's JSON text of a SQL value (a jsonb number or string; NULL is null).
CREATE OR REPLACE FUNCTION pb_json_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 'null' WHEN jsonb_typeof(v) = 'number' THEN pb_text(v)
        ELSE CAST(to_json(v #>> '{}') AS text) END
$$;

-- An object's label: SQLite wants a text.
CREATE OR REPLACE FUNCTION pb_json_label(v jsonb, fn text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'string' THEN
        RAISE EXCEPTION '%() labels must be TEXT', fn USING ERRCODE = '22023';
    END IF;
    RETURN CAST(to_json(v #>> '{}') AS text);
END $$;

-- JSON text parsed as SQLite parses it (refused in SQLite's words when malformed).
CREATE OR REPLACE FUNCTION pb_json_parse(doc text) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CAST(doc AS json);
EXCEPTION WHEN others THEN
    RAISE EXCEPTION 'malformed JSON' USING ERRCODE = '22023';
END $$;

-- JSON as SQLite writes it: compact, keys in their order, numbers as written.
CREATE OR REPLACE FUNCTION pb_json_min(j json) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kind text := json_typeof(j);
    result text;
BEGIN
    IF kind = 'object' THEN
        SELECT '{' || COALESCE(string_agg(CAST(to_json(e.key) AS text) || ':' || pb_json_min(e.value), ',' ORDER BY e.n), '') || '}'
        INTO result FROM json_each(j) WITH ORDINALITY AS e(key, value, n);
        RETURN result;
    ELSIF kind = 'array' THEN
        SELECT '[' || COALESCE(string_agg(pb_json_min(e.value), ',' ORDER BY e.n), '') || ']'
        INTO result FROM json_array_elements(j) WITH ORDINALITY AS e(value, n);
        RETURN result;
    END IF;
    RETURN btrim(CAST(j AS text), E' \t\n\r');
END $$;

-- SQLite's json(): a text's JSON, compact.
CREATE OR REPLACE FUNCTION pb_json(doc text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_min(pb_json_parse(doc)) $$;

-- A path's steps: '.key' or '[n]' / '[#]' / '[#-n]' (refused in SQLite's words when malformed).
CREATE OR REPLACE FUNCTION pb_json_steps(path text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    rest text;
    steps text[] := '{}';
    found text[];
BEGIN
    IF path IS NULL OR left(path, 1) <> '$' THEN
        RAISE EXCEPTION 'bad JSON path: %', quote_literal(COALESCE(path, '')) USING ERRCODE = '22023';
    END IF;
    rest := substr(path, 2);
    WHILE rest <> '' LOOP
        found := regexp_match(rest, '^(?:\.("[^"]*"|[^.\[]+)|\[(#-[0-9]+|#|[0-9]+)\])');
        IF found IS NULL THEN
            RAISE EXCEPTION 'bad JSON path: %', quote_literal(path) USING ERRCODE = '22023';
        END IF;
        IF found[1] IS NOT NULL THEN
            steps := steps || ('.' || CASE WHEN left(found[1], 1) = '"' THEN substr(found[1], 2, length(found[1]) - 2) ELSE found[1] END);
            rest := substr(rest, length(found[1]) + 2);
        ELSE
            steps := steps || ('[' || found[2]);
            rest := substr(rest, length(found[2]) + 3);
        END IF;
    END LOOP;
    RETURN steps;
END $$;

-- A value to put at the steps left (SQLite creates the objects and arrays a path goes through).
CREATE OR REPLACE FUNCTION pb_json_made(steps text[], i int, val text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN i > cardinality(steps) THEN val
        WHEN left(steps[i], 1) = '.' THEN '{' || CAST(to_json(substr(steps[i], 2)) AS text) || ':' || pb_json_made(steps, i + 1, val) || '}'
        ELSE '[' || pb_json_made(steps, i + 1, val) || ']' END
$$;

-- One edit of json_set/json_insert/json_replace/json_remove at steps[i:], as compact text
-- (NULL: the whole document removed).
CREATE OR REPLACE FUNCTION pb_json_put(j json, steps text[], i int, val text, mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    step text;
    last boolean;
    kind text := json_typeof(j);
    parts text[] := '{}';
    found boolean := false;
    e record;
    target int;
    size int;
BEGIN
    IF i > cardinality(steps) THEN
        RETURN CASE WHEN mode IN ('set', 'replace') THEN val WHEN mode = 'remove' THEN NULL ELSE pb_json_min(j) END;
    END IF;
    step := steps[i];
    last := i = cardinality(steps);
    IF left(step, 1) = '.' AND kind = 'object' THEN
        FOR e IN SELECT key, value FROM json_each(j) LOOP
            IF NOT found AND e.key = substr(step, 2) THEN
                found := true;
                IF last AND mode = 'remove' THEN CONTINUE; END IF;
                parts := parts || (CAST(to_json(e.key) AS text) || ':' || pb_json_put(e.value, steps, i + 1, val, mode));
            ELSE
                parts := parts || (CAST(to_json(e.key) AS text) || ':' || pb_json_min(e.value));
            END IF;
        END LOOP;
        IF NOT found AND mode IN ('set', 'insert') THEN
            parts := parts || (CAST(to_json(substr(step, 2)) AS text) || ':' || pb_json_made(steps, i + 1, val));
        END IF;
        RETURN '{' || array_to_string(parts, ',') || '}';
    ELSIF left(step, 1) = '[' AND kind = 'array' THEN
        size := json_array_length(j);
        step := substr(step, 2);
        target := CASE WHEN step = '#' THEN size WHEN left(step, 1) = '#' THEN size - CAST(substr(step, 3) AS int)
            ELSE CAST(step AS int) END;
        FOR e IN SELECT value, n - 1 AS k FROM json_array_elements(j) WITH ORDINALITY AS a(value, n) LOOP
            IF e.k = target THEN
                IF last AND mode = 'remove' THEN CONTINUE; END IF;
                parts := parts || pb_json_put(e.value, steps, i + 1, val, mode);
            ELSE
                parts := parts || pb_json_min(e.value);
            END IF;
        END LOOP;
        IF target = size AND mode IN ('set', 'insert') THEN
            parts := parts || pb_json_made(steps, i + 1, val);
        END IF;
        RETURN '[' || array_to_string(parts, ',') || ']';
    END IF;
    RETURN pb_json_min(j);
END $$;

-- json_set/json_insert/json_replace (edits: path, JSON text, path, JSON text...) and
-- json_remove (edits: paths).
CREATE OR REPLACE FUNCTION pb_json_edit(mode text, doc text, VARIADIC edits text[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i int := 1;
    result text;
BEGIN
    IF doc IS NULL THEN RETURN NULL; END IF;
    result := pb_json_min(pb_json_parse(doc));
    IF mode <> 'remove' AND cardinality(edits) % 2 = 1 THEN
        RAISE EXCEPTION 'json_%() needs an odd number of arguments', mode USING ERRCODE = '22023';
    END IF;
    WHILE i <= cardinality(edits) LOOP
        IF edits[i] IS NULL THEN RETURN NULL; END IF;
        IF result IS NOT NULL THEN
            result := pb_json_put(CAST(result AS json), pb_json_steps(edits[i]), 1,
                                  CASE WHEN mode = 'remove' THEN NULL ELSE edits[i + 1] END, mode);
        END IF;
        i := i + CASE WHEN mode = 'remove' THEN 1 ELSE 2 END;
    END LOOP;
    RETURN result;
END $$;

-- SQLite's json_patch(): RFC 7396's merge, keys kept in their order.
CREATE OR REPLACE FUNCTION pb_json_merge(target json, patch json) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parts text[] := '{}';
    e record;
    p json;
BEGIN
    IF json_typeof(patch) <> 'object' THEN RETURN pb_json_min(patch); END IF;
    IF target IS NULL OR json_typeof(target) <> 'object' THEN target := '{}'; END IF;
    FOR e IN SELECT key, value FROM json_each(target) LOOP
        p := patch -> e.key;
        IF p IS NULL THEN
            parts := parts || (CAST(to_json(e.key) AS text) || ':' || pb_json_min(e.value));
        ELSIF json_typeof(p) <> 'null' THEN
            parts := parts || (CAST(to_json(e.key) AS text) || ':' || pb_json_merge(e.value, p));
        END IF;
    END LOOP;
    FOR e IN SELECT key, value FROM json_each(patch) LOOP
        IF target -> e.key IS NULL AND json_typeof(e.value) <> 'null' THEN
            parts := parts || (CAST(to_json(e.key) AS text) || ':' || pb_json_merge(NULL, e.value));
        END IF;
    END LOOP;
    RETURN '{' || array_to_string(parts, ',') || '}';
END $$;

CREATE OR REPLACE FUNCTION pb_json_patch(target text, patch text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT pb_json_merge(pb_json_parse(target), pb_json_parse(patch)) $$;
"""

OTHER_HELPERS = r"""
-- ---- timediff(), unhex(), zeroblob() -----------------------------------------------------

-- A day of a month past its end runs into the next month, as in SQLite's date arithmetic
-- (y: the astronomical year, 0 is 1 BC).
CREATE OR REPLACE FUNCTION pb_ymd(y int, m int, d int, t interval) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(make_date(CASE WHEN y <= 0 THEN y - 1 ELSE y END, m, 1) AS timestamp) + (d - 1) * interval '1 day' + t
$$;

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
"""

VIEW_HELPERS = r"""
-- A column of a UNION's SELECT where another SELECT shows a truth: a boolean as SQLite's 0/1.
CREATE OR REPLACE FUNCTION pb_truth_number(value boolean) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS int) $$;

CREATE OR REPLACE FUNCTION pb_truth_number(value anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;
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

ALL_HELPERS = FUNCTION_HELPERS + PRINTF_HELPERS + JSON_HELPERS + OTHER_HELPERS + VIEW_HELPERS + TRUTH_HELPERS
