"""The Postgres functions pybase.store.index_sql's translations of index expressions call,
created with the dialect's by db_postgres (:data:`INDEX_HELPERS`)."""

from __future__ import annotations

from pybase.store.index_long_keys import LONG_KEY_HELPERS
from pybase.store.sqlite_functions_sql import ALL_HELPERS
from pybase.store.sqlite_json1_sql import JSON1_HELPERS
from pybase.store.sqlite_json5_sql import JSON5_HELPERS

# Functions the translations call, created with the dialect's (db_postgres).
# NOTE: IMMUTABLE as an index requires; each is, for the values it is given.
INDEX_HELPERS = r"""
-- SQLite's number of a text: the number it starts with, else 0 (NULL stays NULL).
CREATE OR REPLACE FUNCTION pb_num_prefix(value text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    found text;
BEGIN
    IF value IS NULL THEN RETURN NULL; END IF;
    found := substring(value FROM '^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?');
    IF found IS NULL THEN RETURN 0; END IF;
    RETURN CAST(found AS double precision);
EXCEPTION WHEN others THEN
    -- NOTE: past a double's range SQLite reads an infinity (1e400), below it 0 (1e-400), where
    -- Postgres refuses the text
    IF found ~ '[eE]-' THEN RETURN 0; END IF;
    RETURN CASE WHEN ltrim(found) LIKE '-%' THEN CAST('-Infinity' AS double precision)
        ELSE CAST('Infinity' AS double precision) END;
END $$;

-- SQLite's truth of a text: the number it starts with is not 0.
CREATE OR REPLACE FUNCTION pb_truth(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_num_prefix(value) <> 0 $$;

-- A value as a jsonb number or string, for pb_cmp.
CREATE OR REPLACE FUNCTION pb_sqlite_value(value text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

CREATE OR REPLACE FUNCTION pb_sqlite_value(value double precision) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(value) $$;

-- SQLite's GLOB: * any text, ? one character, [...] a class ([^...] its complement), case kept.
-- A class's members are written as escapes (a [ or \ in it is a character, as SQLite's; a
-- range by code points, one ending below its start matches none, as SQLite's).
CREATE OR REPLACE FUNCTION pb_glob(pattern text, value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    re text := '^';
    i int := 1;
    c text;
    d text;
    prior text;
    members text;
    inverted boolean;
    n int;
BEGIN
    -- NOTE: SQLite reads both up to a NUL (pybase.store.pg_nul)
    pattern := pb_nul_cut(pattern);
    value := pb_nul_cut(value);
    n := length(pattern);
    WHILE i <= n LOOP
        c := substr(pattern, i, 1);
        IF c = '*' THEN
            re := re || '.*';
        ELSIF c = '?' THEN
            re := re || '.';
        ELSIF c = '[' THEN
            i := i + 1;
            inverted := substr(pattern, i, 1) = '^';
            IF inverted THEN i := i + 1; END IF;
            members := '';
            prior := NULL;
            IF substr(pattern, i, 1) = ']' THEN members := '\U0000005d'; i := i + 1; END IF;
            WHILE i <= n AND substr(pattern, i, 1) <> ']' LOOP
                d := substr(pattern, i, 1);
                IF d = '-' AND prior IS NOT NULL AND i < n AND substr(pattern, i + 1, 1) <> ']' THEN
                    d := substr(pattern, i + 1, 1);
                    IF ascii(d) >= ascii(prior) THEN
                        members := members || '\U' || lpad(to_hex(ascii(prior)), 8, '0') || '-\U' || lpad(to_hex(ascii(d)), 8, '0');
                    END IF;
                    prior := NULL;
                    i := i + 1;
                ELSE
                    members := members || '\U' || lpad(to_hex(ascii(d)), 8, '0');
                    prior := d;
                END IF;
                i := i + 1;
            END LOOP;
            IF i > n THEN RETURN false; END IF;
            IF members = '' THEN
                -- NOTE: a class of no character: none matches it, any matches its complement
                IF NOT inverted THEN RETURN false; END IF;
                re := re || '.';
            ELSE
                re := re || '[' || CASE WHEN inverted THEN '^' ELSE '' END || members || ']';
            END IF;
        ELSE
            re := re || CASE WHEN position(c IN '.^$*+?()[]{}|\-') > 0 THEN '\' || c ELSE c END;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN value ~ (re || '$');
END $$;

-- SQLite's date functions in an index: 'now' is refused when met, as SQLite refuses it.
CREATE OR REPLACE FUNCTION pb_nondeterministic(name text, anchor anyelement) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION 'non-deterministic use of %() in an index', name USING ERRCODE = 'PB001';
END $$;

-- PERF (issue #17): pb_strftime_inline, not pb_strftime: in plpgsql the arguments are computed
-- once already, and the SQL function is inlined (pb_strftime is one more plpgsql call).
CREATE OR REPLACE FUNCTION pb_index_strftime(name text, fmt text, value text, VARIADIC modifiers text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF lower(value) = 'now' THEN
        RAISE EXCEPTION 'non-deterministic use of %() in an index', name USING ERRCODE = 'PB001';
    END IF;
    RETURN pb_strftime_inline(fmt, value, VARIADIC modifiers);
END $$;

-- SQLite's concat_ws(): NULLs left out.
CREATE OR REPLACE FUNCTION pb_concat_ws(sep text, VARIADIC parts text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT array_to_string(parts, sep) $$;

-- SQLite's hex() of a text: its UTF-8 bytes (a NUL's too: pybase.store.pg_nul), upper case ('' for NULL).
CREATE OR REPLACE FUNCTION pb_hex(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(upper(encode(CASE WHEN strpos(value, chr(1)) = 0 THEN convert_to(value, 'UTF8')
        ELSE pb_nul_bytes(value) END, 'hex')), '')
$$;

CREATE OR REPLACE FUNCTION pb_json_valid(doc text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF doc IS NULL THEN RETURN NULL; END IF;
    PERFORM CAST(doc AS jsonb);
    RETURN 1;
EXCEPTION WHEN others THEN
    RETURN 0;
END $$;

-- SQLite's json_type(): its names of a JSON value's classes.
CREATE OR REPLACE FUNCTION pb_json_type(doc jsonb, path text DEFAULT '$') RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(doc #> pb_json_path(path))
        WHEN 'string' THEN 'text' WHEN 'boolean' THEN doc #>> pb_json_path(path)
        WHEN 'number' THEN CASE WHEN (doc #>> pb_json_path(path)) ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
        ELSE jsonb_typeof(doc #> pb_json_path(path)) END
$$;

CREATE OR REPLACE FUNCTION pb_json_array_length(doc jsonb, path text DEFAULT '$') RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(doc #> pb_json_path(path)) = 'array' THEN jsonb_array_length(doc #> pb_json_path(path))
        WHEN doc #> pb_json_path(path) IS NULL THEN NULL ELSE 0 END
$$;

-- SQLite's -> : the JSON text of the value at a path.
CREATE OR REPLACE FUNCTION pb_json_arrow(doc jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_minified(doc #> pb_json_path(path)) $$;

CREATE OR REPLACE FUNCTION pb_json_arrow(doc text, path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN pb_json_arrow(CAST(doc AS jsonb), path);
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
"""

# NOTE: SQLite's functions (printf, the JSON builders, math...) after the helpers they use
INDEX_HELPERS += ALL_HELPERS
INDEX_HELPERS += JSON1_HELPERS  # NOTE: after the JSON helpers it calls
INDEX_HELPERS += JSON5_HELPERS
INDEX_HELPERS += LONG_KEY_HELPERS
