"""SQLite's JSON reader on Postgres (issue #17): the text SQLite's json functions accept (JSON5
too: comments, trailing commas, single quotes, unquoted keys, hex numbers, Infinity/NaN, more
whitespace and escapes) read as SQLite reads it, and where it first fails.

``pb_json5_scan(doc)`` gives SQLite's json() text of a document (canonical JSON: a hex number
as its decimal, Infinity as 9e999, NaN as null, a single-quoted string or an unquoted key
double-quoted, escapes JSON lacks rewritten) or, for a text SQLite refuses, the 1-based
character position json_error_position() reports: where SQLite's parser (sqlite.org/json1.html,
JSON5 extensions) noted its last error, quirks kept (a trailing character after a valid
document reports the last position noted, or 1). ``pb_json_parse`` (sqlite_text_sql.py) reads
a document Postgres's json refuses through it, so json(), json_each()/json_tree(), ->, ->>,
json_extract() and the editors read JSON5 as SQLite does. Created with the index helpers.
"""

from __future__ import annotations

JSON5_HELPERS = r"""
-- ---- SQLite's JSON5 reader (issue #17) ------------------------------------------------------

-- The number of characters of JSON5 whitespace at z[n] (0-based): blanks, \v, \f, Unicode's
-- spaces SQLite knows, /* comments */ and // comments to the end of the line.
CREATE OR REPLACE FUNCTION pb_json5_space(z text[], n int) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := 0;
    c text;
    j int;
BEGIN
    LOOP
        c := COALESCE(z[n + m + 1], '');
        IF c IN (E'\t', E'\n', E'\x0b', E'\x0c', E'\r', ' ', E'\u00a0', E'\u1680', E'\u2000', E'\u2001', E'\u2002',
                 E'\u2003', E'\u2004', E'\u2005', E'\u2006', E'\u2007', E'\u2008', E'\u2009', E'\u200a', E'\u2028',
                 E'\u2029', E'\u202f', E'\u205f', E'\u3000', E'\ufeff') THEN
            m := m + 1;
        ELSIF c = '/' AND z[n + m + 2] = '*' AND z[n + m + 3] IS NOT NULL THEN
            j := n + m + 3;
            LOOP
                IF z[j + 1] IS NULL THEN RETURN m; END IF;  -- NOTE: an unclosed comment is no whitespace
                EXIT WHEN z[j + 1] = '/' AND z[j] = '*';
                j := j + 1;
            END LOOP;
            m := j + 1 - n;
        ELSIF c = '/' AND z[n + m + 2] = '/' THEN
            j := n + m + 2;
            WHILE z[j + 1] IS NOT NULL AND z[j + 1] NOT IN (E'\n', E'\r', E'\u2028', E'\u2029') LOOP
                j := j + 1;
            END LOOP;
            m := j - n + CASE WHEN z[j + 1] IS NULL THEN 0 ELSE 1 END;
        ELSE
            RETURN m;
        END IF;
    END LOOP;
END $$;

-- Whether z[p + 1 .. p + size] (0-based p) are hex digits.
CREATE OR REPLACE FUNCTION pb_json5_hex(z text[], p int, size int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_to_string(z[p + 1:p + size], '') ~ ('^[0-9A-Fa-f]{' || size || '}$'), false)
$$;

-- A character of an unquoted key (first: a letter, _, $ or any non-ASCII character; then
-- digits too), as SQLite's parser tells them.
CREATE OR REPLACE FUNCTION pb_json5_id(c text, first boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(c ~ CASE WHEN first THEN '^[A-Za-z_$]$' ELSE '^[A-Za-z0-9_$]$' END OR ascii(c) > 127, false)
$$;

CREATE OR REPLACE FUNCTION pb_json5_alnum(c text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT COALESCE(c ~ '^[A-Za-z0-9]$', false) $$;

-- A string's text between its quotes in SQLite's canonical JSON (its JSON5 escapes and bare
-- control characters as JSON writes them, a bare " escaped, a line continuation dropped).
CREATE OR REPLACE FUNCTION pb_json5_string(z text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text := '"';
    k int := 1;
    n int := COALESCE(cardinality(z), 0);
    c text;
    e text;
BEGIN
    WHILE k <= n LOOP
        c := z[k];
        IF c = '"' THEN
            out := out || '\"';
        ELSIF ascii(c) < 32 THEN
            out := out || CASE ascii(c) WHEN 8 THEN '\b' WHEN 9 THEN '\t' WHEN 10 THEN '\n' WHEN 12 THEN '\f'
                WHEN 13 THEN '\r' ELSE '\u00' || lpad(to_hex(ascii(c)), 2, '0') END;
        ELSIF c = '\' THEN
            e := COALESCE(z[k + 1], '');
            IF e = '''' THEN
                out := out || '''';
            ELSIF e = 'v' THEN
                out := out || '\u000b';
            ELSIF e = 'x' THEN
                out := out || '\u00' || COALESCE(z[k + 2], '') || COALESCE(z[k + 3], '');
                k := k + 2;
            ELSIF e = '0' THEN
                out := out || '\u0000';
            ELSIF e = E'\r' THEN
                IF z[k + 2] = E'\n' THEN k := k + 1; END IF;
            ELSIF e IN (E'\n', E'\u2028', E'\u2029') THEN
                NULL;
            ELSE
                out := out || c || e;
            END IF;
            k := k + 1;
        ELSE
            out := out || c;
        END IF;
        k := k + 1;
    END LOOP;
    RETURN out || '"';
END $$;

-- A number as SQLite's json() writes it: a hex integer as its decimal (past 64 bits 9.0e999),
-- a float missing a digit beside its point given a 0 (.5 is 0.5, 5. is 5.0); t: 1 JSON5,
-- 2 float.
CREATE OR REPLACE FUNCTION pb_json5_number(raw text, t int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    z text[] := string_to_array(raw, NULL);
    out text := '';
    k int := 1;
    u numeric := 0;
    over boolean := false;
BEGIN
    IF t IN (0, 2) THEN RETURN raw; END IF;
    IF z[1] = '-' THEN out := '-'; k := 2; END IF;
    IF t = 1 THEN
        FOR p IN k + 2 .. cardinality(z) LOOP
            IF u >= 1152921504606846976 THEN
                over := true;
            ELSE
                u := u * 16 + position(lower(z[p]) IN '0123456789abcdef') - 1;
            END IF;
        END LOOP;
        RETURN out || CASE WHEN over THEN '9.0e999' ELSE CAST(u AS text) END;
    END IF;
    IF z[k] = '.' THEN out := out || '0'; END IF;
    WHILE k <= cardinality(z) LOOP
        out := out || z[k];
        IF z[k] = '.' AND COALESCE(z[k + 1] !~ '^[0-9]$', true) THEN out := out || '0'; END IF;
        k := k + 1;
    END LOOP;
    RETURN out;
END $$;

-- One value of SQLite's JSON reader at z[i] (0-based; z a document's characters): next, the
-- position after it, or 0 at the end, -1 for an error, -2/-3/-4/-5 for a '}', ']', ',', ':'
-- met; err, the position of the last error SQLite notes (kept across calls, as SQLite's is);
-- canon, the value's canonical JSON; label, whether it is a string (an object's key).
CREATE OR REPLACE FUNCTION pb_json5_at(z text[], i int, depth int, INOUT err int, OUT next int, OUT canon text,
                                       OUT label boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    c text;
    d text;
    j int;
    k int;
    t int;
    seen_e boolean := false;
    five boolean := false;
    parts text[] := '{}';
    key text;
    closing text;
    r record;
    name text;
BEGIN
    label := false;
    LOOP
        c := COALESCE(z[i + 1], '');
        IF c IN (' ', E'\t', E'\n', E'\r') THEN
            i := i + 1;
        ELSIF c IN (E'\x0b', E'\x0c', '/') OR ascii(c) > 127 THEN
            k := pb_json5_space(z, i);
            EXIT WHEN k = 0;
            i := i + k;
        ELSE
            EXIT;
        END IF;
    END LOOP;
    IF c = '' THEN next := 0; RETURN; END IF;
    IF c IN ('{', '[') THEN
        IF depth + 1 > 1000 THEN err := i; next := -1; RETURN; END IF;
        closing := CASE WHEN c = '[' THEN ']' ELSE '}' END;
        j := i + 1;
        LOOP
            r := pb_json5_at(z, j, depth + 1, err);
            err := r.err;
            IF c = '[' THEN
                IF r.next <= 0 THEN
                    IF r.next = -3 THEN j := err; EXIT; END IF;
                    IF r.next <> -1 THEN err := j; END IF;
                    next := -1; RETURN;
                END IF;
                parts := parts || r.canon;
                j := r.next;
            ELSE
                IF r.next <= 0 THEN
                    IF r.next = -2 THEN j := err; EXIT; END IF;
                    -- NOTE: an unquoted key
                    j := j + pb_json5_space(z, j);
                    IF pb_json5_id(z[j + 1], true) OR (z[j + 1] = '\' AND z[j + 2] = 'u' AND pb_json5_hex(z, j + 2, 4)) THEN
                        k := j + 1;
                        WHILE (pb_json5_id(z[k + 1], false) AND pb_json5_space(z, k) = 0)
                              OR (z[k + 1] = '\' AND z[k + 2] = 'u' AND pb_json5_hex(z, k + 2, 4)) LOOP
                            k := k + 1;
                        END LOOP;
                        key := '"' || array_to_string(z[j + 1:k], '') || '"';
                        j := k;
                    ELSE
                        IF r.next <> -1 THEN err := j; END IF;
                        next := -1; RETURN;
                    END IF;
                ELSIF NOT r.label THEN
                    err := j; next := -1; RETURN;
                ELSE
                    key := r.canon;
                    j := r.next;
                END IF;
                IF z[j + 1] = ':' THEN
                    j := j + 1;
                ELSE
                    k := -1;
                    IF z[j + 1] IN (' ', E'\t', E'\n', E'\r') THEN
                        WHILE z[j + 1] IN (' ', E'\t', E'\n', E'\r') LOOP j := j + 1; END LOOP;
                        IF z[j + 1] = ':' THEN j := j + 1; k := 0; END IF;
                    END IF;
                    IF k < 0 THEN
                        r := pb_json5_at(z, j, depth + 1, err);
                        err := r.err;
                        IF r.next <> -5 THEN
                            IF r.next <> -1 THEN err := j; END IF;
                            next := -1; RETURN;
                        END IF;
                        j := err + 1;
                    END IF;
                END IF;
                r := pb_json5_at(z, j, depth + 1, err);
                err := r.err;
                IF r.next <= 0 THEN
                    IF r.next <> -1 THEN err := j; END IF;
                    next := -1; RETURN;
                END IF;
                parts := parts || (key || ':' || r.canon);
                j := r.next;
            END IF;
            -- NOTE: a ',' or the closing bracket next, blanks or JSON5 whitespace before them
            IF z[j + 1] = ',' THEN j := j + 1; CONTINUE; END IF;
            EXIT WHEN z[j + 1] = closing;
            IF z[j + 1] IN (' ', E'\t', E'\n', E'\r') THEN
                WHILE z[j + 1] IN (' ', E'\t', E'\n', E'\r') LOOP j := j + 1; END LOOP;
                IF z[j + 1] = ',' THEN j := j + 1; CONTINUE; END IF;
                EXIT WHEN z[j + 1] = closing;
            END IF;
            r := pb_json5_at(z, j, depth + 1, err);
            err := r.err;
            IF r.next = -4 THEN j := err + 1; CONTINUE; END IF;
            IF r.next = (CASE WHEN c = '[' THEN -3 ELSE -2 END) THEN j := err; EXIT; END IF;
            err := j; next := -1; RETURN;
        END LOOP;
        canon := CASE WHEN c = '[' THEN '[' || array_to_string(parts, ',') || ']' ELSE '{' || array_to_string(parts, ',') || '}' END;
        next := j + 1;
        RETURN;
    END IF;
    IF c IN ('"', '''') THEN
        j := i + 1;
        LOOP
            d := COALESCE(z[j + 1], '');
            EXIT WHEN d = c;
            IF d = '\' THEN
                j := j + 1;
                d := COALESCE(z[j + 1], '');
                IF d IN ('"', '\', '/', 'b', 'f', 'n', 'r', 't') OR (d = 'u' AND pb_json5_hex(z, j + 1, 4)) THEN
                    NULL;
                ELSIF d IN ('''', 'v', E'\n', E'\u2028', E'\u2029') OR (d = 'x' AND pb_json5_hex(z, j + 1, 2))
                      OR (d = '0' AND COALESCE(z[j + 2] !~ '^[0-9]$', true)) THEN
                    five := true;
                ELSIF d = E'\r' THEN
                    IF z[j + 2] = E'\n' THEN j := j + 1; END IF;
                    five := true;
                ELSE
                    err := j; next := -1; RETURN;
                END IF;
            ELSIF d = '' THEN
                err := j; next := -1; RETURN;
            ELSIF ascii(d) < 32 OR d = '"' THEN
                five := true;
            END IF;
            j := j + 1;
        END LOOP;
        canon := CASE WHEN five THEN pb_json5_string(z[i + 2:j]) ELSE '"' || array_to_string(z[i + 2:j], '') || '"' END;
        label := true;
        next := j + 1;
        RETURN;
    END IF;
    IF c = 't' OR c = 'f' OR c = 'n' THEN
        name := CASE c WHEN 't' THEN 'true' WHEN 'f' THEN 'false' ELSE 'null' END;
        IF array_to_string(z[i + 1:i + length(name)], '') = name AND NOT pb_json5_alnum(z[i + length(name) + 1]) THEN
            canon := name; next := i + length(name); RETURN;
        END IF;
        IF c <> 'n' THEN err := i; next := -1; RETURN; END IF;
    END IF;
    IF c IN ('+', '-', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9') THEN
        t := 0;
        j := NULL;
        IF c = '.' THEN
            IF COALESCE(z[i + 2] !~ '^[0-9]$', true) THEN err := i; next := -1; RETURN; END IF;
            t := 3;
        ELSIF c = '0' THEN
            IF z[i + 2] IN ('x', 'X') AND pb_json5_hex(z, i + 2, 1) THEN
                t := 1;
                j := i + 3;
                WHILE pb_json5_hex(z, j, 1) LOOP j := j + 1; END LOOP;
            ELSIF z[i + 2] ~ '^[0-9]$' THEN
                err := i + 1; next := -1; RETURN;
            END IF;
        ELSIF c IN ('+', '-') THEN
            IF COALESCE(z[i + 2] !~ '^[0-9]$', true) THEN
                IF lower(array_to_string(z[i + 2:i + 4], '')) = 'inf' THEN
                    canon := CASE WHEN c = '-' THEN '-9e999' ELSE '9e999' END;
                    next := i + CASE WHEN lower(array_to_string(z[i + 5:i + 9], '')) = 'inity' THEN 9 ELSE 4 END;
                    RETURN;
                END IF;
                IF z[i + 2] <> '.' OR z[i + 2] IS NULL THEN err := i; next := -1; RETURN; END IF;
                t := 1;
            ELSIF z[i + 2] = '0' THEN
                IF z[i + 3] ~ '^[0-9]$' THEN
                    err := i + 1; next := -1; RETURN;
                ELSIF z[i + 3] IN ('x', 'X') AND pb_json5_hex(z, i + 3, 1) THEN
                    t := 1;
                    j := i + 4;
                    WHILE pb_json5_hex(z, j, 1) LOOP j := j + 1; END LOOP;
                END IF;
            END IF;
        END IF;
        IF j IS NULL THEN
            j := i + 1;
            LOOP
                d := COALESCE(z[j + 1], '');
                IF d ~ '^[0-9]$' THEN j := j + 1; CONTINUE; END IF;
                IF d = '.' THEN
                    IF t & 2 <> 0 THEN err := j; next := -1; RETURN; END IF;
                    t := t | 2;
                    j := j + 1;
                    CONTINUE;
                END IF;
                IF d IN ('e', 'E') THEN
                    IF ascii(z[j]) < 48 THEN
                        IF z[j] = '.' AND j - 2 >= i AND z[j - 1] ~ '^[0-9]$' THEN
                            t := t | 1;
                        ELSE
                            err := j; next := -1; RETURN;
                        END IF;
                    END IF;
                    IF seen_e THEN err := j; next := -1; RETURN; END IF;
                    t := t | 2;
                    seen_e := true;
                    d := COALESCE(z[j + 2], '');
                    IF d IN ('+', '-') THEN
                        j := j + 1;
                        d := COALESCE(z[j + 2], '');
                    END IF;
                    IF d !~ '^[0-9]$' THEN err := j; next := -1; RETURN; END IF;
                    j := j + 1;
                    CONTINUE;
                END IF;
                EXIT;
            END LOOP;
            IF ascii(z[j]) < 48 THEN
                IF z[j] = '.' AND j - 2 >= i AND z[j - 1] ~ '^[0-9]$' THEN
                    t := t | 1;
                ELSE
                    err := j; next := -1; RETURN;
                END IF;
            END IF;
        END IF;
        canon := pb_json5_number(array_to_string(z[i + 1 + CASE WHEN c = '+' THEN 1 ELSE 0 END:j], ''), t);
        next := j;
        RETURN;
    END IF;
    IF c IN ('}', ']', ',', ':') THEN
        err := i;
        next := CASE c WHEN '}' THEN -2 WHEN ']' THEN -3 WHEN ',' THEN -4 ELSE -5 END;
        RETURN;
    END IF;
    FOREACH name IN ARRAY ARRAY['inf', 'infinity', 'nan', 'qnan', 'snan'] LOOP
        IF lower(array_to_string(z[i + 1:i + length(name)], '')) = name AND NOT pb_json5_alnum(z[i + length(name) + 1]) THEN
            canon := CASE WHEN name LIKE 'inf%' THEN '9e999' ELSE 'null' END;
            next := i + length(name);
            RETURN;
        END IF;
    END LOOP;
    err := i; next := -1;
END $$;

-- A document as SQLite's JSON reader reads it: pos 0 and canon its canonical JSON text, or
-- pos the 1-based character position json_error_position() reports (canon NULL).
CREATE OR REPLACE FUNCTION pb_json5_scan(doc text, OUT pos int, OUT canon text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    z text[] := string_to_array(doc, NULL);
    r record;
    i int;
BEGIN
    r := pb_json5_at(z, 0, 0, 0);
    i := r.next;
    IF i > 0 THEN
        WHILE z[i + 1] IN (' ', E'\t', E'\n', E'\r') LOOP i := i + 1; END LOOP;
        i := i + pb_json5_space(z, i);
        IF z[i + 1] IS NULL THEN
            pos := 0;
            canon := r.canon;
            RETURN;
        END IF;
    END IF;
    pos := r.err + 1;
END $$;

-- SQLite's json_error_position(x): NULL for NULL, 0 for a text SQLite reads as JSON (JSON5
-- too), else the 1-based character position of its first error.
CREATE OR REPLACE FUNCTION pb_json_error_position(doc text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF doc IS NULL THEN RETURN NULL; END IF;
    BEGIN
        PERFORM CAST(doc AS json);
        RETURN 0;
    EXCEPTION WHEN others THEN
        RETURN (pb_json5_scan(doc)).pos;
    END;
END $$;
"""
