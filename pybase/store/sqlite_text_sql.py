"""The Postgres functions behind SQLite's printf()/format() and its JSON builders and editors
(:mod:`pybase.store.sqlite_functions`); values cross in as :mod:`pybase.store.sqlite_functions_sql`
says (a SQL value as a jsonb number or string, a JSON value as its text)."""

from __future__ import annotations

PRINTF_HELPERS = r"""
-- ---- printf()/format() ----------------------------------------------------------------

-- A double truncated to an integer within 64 bits, exactly.
CREATE OR REPLACE FUNCTION pb_double_int(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x >= 9.2233720368547758e18 THEN 9223372036854775807
        WHEN x <= -9.2233720368547758e18 THEN -9223372036854775808 ELSE CAST(CAST(trunc(x) AS bigint) AS numeric) END
$$;

-- An integer as SQLite's printf reads an argument: a number truncated, a text's leading number,
-- within 64 bits (an INTEGER's digits all kept; a REAL's exact value truncated, not its 15
-- digits: 4.611686018427388e+18 is 4611686018427387904).
CREATE OR REPLACE FUNCTION pb_printf_int(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 0
        WHEN jsonb_typeof(v) = 'number' AND (v #>> '{}') ~ '^-?[0-9]+$'
        THEN greatest(-9223372036854775808, least(9223372036854775807, CAST(v AS numeric)))
        ELSE pb_double_int(CASE WHEN jsonb_typeof(v) = 'number' THEN pb_json_double(v) ELSE pb_num_prefix(v #>> '{}') END) END
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

-- The first n bytes of a text, as SQLite's printf cuts it: a character cut in two leaves its
-- first bytes, each read as U+FFFD (as PocketBase's Go writes bytes that are no UTF-8).
CREATE OR REPLACE FUNCTION pb_printf_bytes(body text, n int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text := '';
    used int := 0;
    c text;
BEGIN
    FOR k IN 1..length(body) LOOP
        c := substr(body, k, 1);
        IF used + octet_length(c) > n THEN
            RETURN out || repeat(U&'\FFFD', n - used);
        END IF;
        out := out || c;
        used := used + octet_length(c);
    END LOOP;
    RETURN out;
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
    alt2 boolean;
    size int;
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
        alt2 := position('!' IN flags) > 0;
        size := NULL;
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
                    IF prec = 0 AND (position('#' IN flags) > 0 OR alt2) THEN body := body || '.'; END IF;
                ELSIF conv IN ('e', 'E') THEN
                    body := pb_printf_exp(x, prec, conv = 'E', position('#' IN flags) > 0 OR alt2);
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
                IF alt2 AND body <> 'Inf' AND NOT (conv IN ('g', 'G') AND position('#' IN flags) > 0) THEN
                    -- NOTE: SQLite's ! flag: a decimal point always, trailing zeros dropped but one
                    -- (4.0, 1.5e+00)
                    digits := regexp_replace(body, '[eE].*$', '');
                    IF position('.' IN digits) = 0 THEN digits := digits || '.'; END IF;
                    digits := rtrim(digits, '0');
                    IF right(digits, 1) = '.' THEN digits := digits || '0'; END IF;
                    body := digits || substr(body, length(regexp_replace(body, '[eE].*$', '')) + 1);
                END IF;
            END IF;
        ELSE
            -- NOTE: SQLite reads the text up to a NUL (pybase.store.pg_nul), escaped again below
            body := CASE WHEN v IS NULL THEN NULL ELSE pb_nul_cut(pb_text(v)) END;
            IF conv = 'c' THEN
                body := COALESCE(left(body, 1), '');
                IF prec IS NOT NULL AND prec > 1 THEN body := repeat(body, prec); END IF;
                prec := NULL;
                alt2 := true;  -- NOTE: SQLite's %c measures its width in characters
            ELSE
                -- NOTE: SQLite cuts the text (before quoting it) and measures the width in bytes;
                -- in characters with the ! flag
                IF prec IS NOT NULL AND body IS NOT NULL THEN
                    IF alt2 THEN
                        body := left(body, prec);
                    ELSE
                        -- NOTE: a cut character's first bytes count one byte each (U+FFFD: three)
                        size := least(prec, octet_length(body));
                        body := pb_printf_bytes(body, prec);
                        size := size - octet_length(body);
                    END IF;
                END IF;
                IF conv = 'q' THEN
                    body := COALESCE(replace(body, '''', ''''''), '(NULL)');
                ELSIF conv = 'Q' THEN
                    body := COALESCE('''' || replace(body, '''', '''''') || '''', 'NULL');
                ELSIF conv = 'w' THEN
                    body := COALESCE(replace(body, '"', '""'), '(NULL)');
                ELSE
                    body := COALESCE(body, '');
                END IF;
            END IF;
        END IF;
        size := COALESCE(size, 0) + CASE WHEN alt2 THEN length(sign || body) ELSE octet_length(sign || body) END;
        IF size < width THEN
            IF position('-' IN flags) > 0 THEN
                body := sign || body || repeat(' ', width - size);
            ELSIF position('0' IN flags) > 0 AND conv IN ('d', 'i', 'u', 'x', 'X', 'o', 'f', 'e', 'E', 'g', 'G') THEN
                body := sign || repeat('0', width - size) || body;
            ELSE
                body := repeat(' ', width - size) || sign || body;
            END IF;
        ELSE
            body := sign || body;
        END IF;
        result := result || pb_nul_escape(body);
    END LOOP;
    RETURN NULLIF(result, '');  -- NOTE: as SQLite: no text written, NULL
END $$;
"""

JSON_HELPERS = r"""
-- ---- JSON builders and editors ----------------------------------------------------------

-- SQLite's JSON text of a SQL value (a jsonb number or string; NULL is null; a NUL \u0000: pb_json_nul).
CREATE OR REPLACE FUNCTION pb_json_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 'null' WHEN jsonb_typeof(v) = 'number' THEN
        -- NOTE: an infinity (a number past any double, pb_sqlite_number's) as SQLite writes it
        CASE WHEN abs(CAST(v AS numeric)) < 1.797693134862315807937e308 THEN pb_text(v)
             WHEN CAST(v AS numeric) > 0 THEN '9.0e+999' ELSE '-9.0e+999' END
        ELSE pb_json_nul(CAST(to_json(v #>> '{}') AS text)) END
$$;

-- An object's label: SQLite wants a text.
CREATE OR REPLACE FUNCTION pb_json_label(v jsonb, fn text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'string' THEN
        RAISE EXCEPTION '%() labels must be TEXT', fn USING ERRCODE = '22023';
    END IF;
    RETURN pb_json_nul(CAST(to_json(v #>> '{}') AS text));
END $$;

-- JSON text parsed as SQLite parses it: JSON5 too, as its canonical JSON (pb_json5_scan,
-- sqlite_json5_sql.py); refused in SQLite's words when malformed.
CREATE OR REPLACE FUNCTION pb_json_parse(doc text) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    canon text;
BEGIN
    RETURN CAST(doc AS json);
EXCEPTION WHEN others THEN
    canon := (pb_json5_scan(doc)).canon;
    IF canon IS NULL THEN
        RAISE EXCEPTION 'malformed JSON' USING ERRCODE = '22023';
    END IF;
    RETURN CAST(canon AS json);
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

-- A path's steps: '.key' or '[n]' / '[#]' / '[#-n]' (refused in SQLite's words when malformed);
-- a quoted key ($."a.b") with its JSON escapes read ($."q\"" is q").
CREATE OR REPLACE FUNCTION pb_json_steps(path text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    rest text;
    steps text[] := '{}';
    found text[];
    label text;
BEGIN
    IF path IS NULL OR left(path, 1) <> '$' THEN
        RAISE EXCEPTION 'bad JSON path: %', quote_literal(COALESCE(path, '')) USING ERRCODE = '22023';
    END IF;
    rest := substr(path, 2);
    WHILE rest <> '' LOOP
        found := regexp_match(rest, '^(?:\.("(?:[^"\\]|\\.)*"|[^.\[]+)|\[(#-[0-9]+|#|[0-9]+)\])');
        IF found IS NULL THEN
            RAISE EXCEPTION 'bad JSON path: %', quote_literal(path) USING ERRCODE = '22023';
        END IF;
        IF found[1] IS NOT NULL THEN
            label := found[1];
            IF left(label, 1) <> '"' THEN
                NULL;
            ELSIF strpos(label, E'\\') = 0 THEN
                label := substr(label, 2, length(label) - 2);
            ELSE
                BEGIN
                    label := CAST(label AS json) #>> '{}';
                EXCEPTION WHEN others THEN
                    label := substr(label, 2, length(label) - 2);
                END;
            END IF;
            steps := steps || ('.' || label);
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
