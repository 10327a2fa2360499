"""The Postgres functions behind more of SQLite's functions a view query may call
(:mod:`pybase.store.sqlite_functions`, :mod:`pybase.store.view_compare`), with SQLite's
results (issue #17): the JSON1 readers json_type(), json_array_length(), json_pretty() and the
table-valued json_each()/json_tree() (its ids SQLite's offsets in its JSONB encoding); the
aggregates max()/min() of values of several types (a json field, a bool field, ``->>``'s
values) in SQLite's order; round(); char(), quote(), unicode(), group_concat(DISTINCT x); the
shift operators. Created with the index helpers (index_sql_helpers.py), after the JSON helpers
they call.

Values cross in as :mod:`pybase.store.sqlite_functions_sql` says: a SQL value is a jsonb number
or string (``pb_sqlite_value``), a JSON document its JSON text.
"""

from __future__ import annotations

JSON1_HELPERS = r"""
-- ---- JSON1 readers (issue #17) --------------------------------------------------------------

-- The JSON value at a path's steps (pb_json_steps'), NULL where there is none.
CREATE OR REPLACE FUNCTION pb_json_at(j json, steps text[]) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    step text;
    size int;
    k bigint;
BEGIN
    FOREACH step IN ARRAY steps LOOP
        IF j IS NULL THEN RETURN NULL; END IF;
        IF left(step, 1) = '.' THEN
            IF json_typeof(j) <> 'object' THEN RETURN NULL; END IF;
            -- NOTE: the first of two equal keys, as SQLite (json's -> gives the last)
            SELECT e.value INTO j FROM json_each(j) WITH ORDINALITY AS e(key, value, n)
            WHERE e.key = substr(step, 2) ORDER BY e.n LIMIT 1;
            IF NOT FOUND THEN RETURN NULL; END IF;
        ELSE
            IF json_typeof(j) <> 'array' THEN RETURN NULL; END IF;
            step := substr(step, 2);
            size := json_array_length(j);
            k := CASE WHEN step = '#' THEN size WHEN left(step, 1) = '#' THEN size - CAST(substr(step, 3) AS numeric)
                ELSE CAST(step AS numeric) END;
            IF k < 0 OR k >= size THEN RETURN NULL; END IF;
            j := j -> CAST(k AS int);
        END IF;
    END LOOP;
    RETURN j;
END $$;

-- The JSON value of a document (its JSON text) at a path (SQLite's words for a malformed one).
CREATE OR REPLACE FUNCTION pb_json_find(doc text, path text) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN path = '$' THEN pb_json_parse(doc) ELSE pb_json_at(pb_json_parse(doc), pb_json_steps(path)) END
$$;

-- SQLite's json_array_length(doc[, path]): an array's length, 0 for another value.
CREATE OR REPLACE FUNCTION pb_view_json_array_length(doc text, path text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN json_typeof(found) = 'array' THEN json_array_length(found) WHEN found IS NOT NULL THEN 0 END
    FROM (SELECT CASE WHEN path IS NOT NULL THEN pb_json_find(doc, path) END AS found) AS f
$$;

-- ---- max()/min() of values of several types -------------------------------------------------

-- The aggregates max()/min() of SQL values (pb_sqlite_value's) as SQLite orders them
-- (pb_cmp: NULLs skipped, numbers before texts, texts by their bytes).
CREATE OR REPLACE FUNCTION pb_max_step(state jsonb, v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT CASE WHEN pb_cmp(v, state) > 0 THEN v ELSE state END $$;

CREATE OR REPLACE FUNCTION pb_min_step(state jsonb, v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT CASE WHEN pb_cmp(v, state) < 0 THEN v ELSE state END $$;

CREATE OR REPLACE AGGREGATE pb_max(jsonb) (SFUNC = pb_max_step, STYPE = jsonb);

CREATE OR REPLACE AGGREGATE pb_min(jsonb) (SFUNC = pb_min_step, STYPE = jsonb);
"""

ROUND_HELPERS = r"""
-- SQLite's round(r, n): n read as an integer from 0 to 30; half away from zero; a value past
-- 2^52 as it is (it has no fraction); with digits, as SQLite prints it (%!.nf) read back.
CREATE OR REPLACE FUNCTION pb_round(r double precision, n double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN r IS NULL OR n IS NULL THEN NULL
        WHEN r < -4503599627370496.0 OR r > 4503599627370496.0 OR r = 'NaN' THEN r
        WHEN n < 1 THEN trunc(r + CASE WHEN r < 0 THEN -0.5 ELSE 0.5 END) + 0.0
        ELSE CAST(pb_printf('%!.' || CAST(least(trunc(n), 30) AS int) || 'f', to_jsonb(r)) AS double precision) END
$$;
"""

TEXT_HELPERS = r"""
-- SQLite's unicode(x): the code point of its text's first character (NULL for '').
-- (NULL for a NUL first: SQLite reads the text up to it; an escaped U+0001 is 1: pybase.store.pg_nul)
CREATE OR REPLACE FUNCTION pb_unicode(value text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value <> '' AND NOT starts_with(value, chr(1) || chr(1)) THEN ascii(value) END
$$;

-- SQLite's char(c...): the characters of the code points (U+FFFD for one past Unicode's); 0
-- and 1 escaped as Postgres holds a NUL and U+0001 (pybase.store.pg_nul).
CREATE OR REPLACE FUNCTION pb_char(VARIADIC codes bigint[] DEFAULT '{}') RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(string_agg(CASE WHEN c = 0 THEN chr(1) || chr(1) WHEN c = 1 THEN chr(1) || chr(2)
        WHEN c BETWEEN 2 AND 1114111 AND c NOT BETWEEN 55296 AND 57343 THEN chr(CAST(c AS int))
        ELSE chr(65533) END, '' ORDER BY n), '')
    FROM unnest(codes) WITH ORDINALITY AS u(c, n)
$$;

-- SQLite's group_concat(DISTINCT x, sep) of the texts aggregated in the rows' order: each
-- text once, where it first comes, NULLs left out. NOTE: views made before pb_distinct_join
-- call it.
CREATE OR REPLACE FUNCTION pb_join_distinct(texts text[], sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(t, sep ORDER BY first) FROM (
        SELECT t, min(n) AS first FROM unnest(texts) WITH ORDINALITY AS u(t, n) WHERE t IS NOT NULL GROUP BY t
    ) AS distinct_texts
$$;

-- SQLite's json_group_array(DISTINCT x) / group_concat(DISTINCT x, sep): the items aggregated
-- in the rows' order, each value once (keys: the SQL values, as SQLite's DISTINCT tells them: 1
-- and '1' two, 1 and 1.0 one, NULLs one), where it first comes; skip_null: NULL items left out.
CREATE OR REPLACE FUNCTION pb_distinct_join(items text[], keys jsonb[], sep text, skip_null boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(items[first], sep ORDER BY first) FROM (
        SELECT min(n) AS first FROM unnest(keys) WITH ORDINALITY AS u(k, n) GROUP BY k
    ) AS firsts WHERE NOT skip_null OR items[first] IS NOT NULL
$$;

-- json_each()/json_tree()'s value or atom (pb_json_tree's text of it) as the SQL value SQLite
-- holds (view_json_each.py), by the row's type: a jsonb number for an integer, a real (its
-- point kept), true or false (1/0), else a string (an array's or object's JSON text).
CREATE OR REPLACE FUNCTION pb_json_each_value(kind text, v text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN NULL
        WHEN v IN ('Inf', '-Inf') AND kind = 'real' THEN CAST(CASE WHEN v = 'Inf' THEN '1e400' ELSE '-1e400' END AS jsonb)
        WHEN kind = 'real' THEN to_jsonb(CAST(v AS numeric) + 0.0)
        WHEN kind IN ('integer', 'true', 'false') THEN to_jsonb(CAST(v AS numeric))
        ELSE to_jsonb(v) END
$$;

-- ... of a key: an array member's (its fullkey ends with "]") its INTEGER index, else a text.
CREATE OR REPLACE FUNCTION pb_json_each_key(fullkey text, k text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN k IS NULL THEN NULL WHEN right(fullkey, 1) = ']' THEN to_jsonb(CAST(k AS numeric)) ELSE to_jsonb(k) END
$$;

-- ... as SQLite writes it in JSON: an array's or object's value is JSON (it nests as such).
CREATE OR REPLACE FUNCTION pb_json_each_json(kind text, v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN kind IN ('object', 'array') THEN v ELSE pb_json_text(pb_json_each_value(kind, v)) END
$$;

-- The keys sorting SQL values (jsonb numbers and strings) in SQLite's order: NULL, then
-- numbers by value, then texts by their bytes.
CREATE OR REPLACE FUNCTION pb_sql_rank(v jsonb) RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN v IS NULL THEN 0 WHEN jsonb_typeof(v) = 'number' THEN 1 ELSE 2 END $$;

CREATE OR REPLACE FUNCTION pb_sql_number_key(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN CAST(v AS numeric) END $$;

CREATE OR REPLACE FUNCTION pb_sql_text_key(v jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN convert_to(v #>> '{}', 'UTF8') END $$;

-- SQLite's substr(value, y[, z]) of a text's characters: y counted from 1, from the end when
-- negative (0: before the first), z characters (negative: the ones before y; none: to the end);
-- of the text up to its first NUL (pybase.store.pg_nul), as SQLite reads it.
CREATE OR REPLACE FUNCTION pb_substr_of(value text, y bigint, z bigint, whole boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    p1 bigint := y;
    p2 bigint := CASE WHEN whole THEN 9223372036854775807 ELSE abs(z) END;
    cut text := pb_nul_cut(value);
    size bigint := char_length(cut);
BEGIN
    IF value IS NULL OR y IS NULL OR (z IS NULL AND NOT whole) THEN RETURN NULL; END IF;
    IF p1 < 0 THEN
        p1 := p1 + size;
        IF p1 < 0 THEN
            p2 := greatest(p2 + p1, 0);
            p1 := 0;
        END IF;
    ELSIF p1 > 0 THEN
        p1 := p1 - 1;
    ELSIF p2 > 0 THEN
        p2 := p2 - 1;
    END IF;
    IF z < 0 THEN
        p1 := p1 - p2;
        IF p1 < 0 THEN
            p2 := p2 + p1;
            p1 := 0;
        END IF;
    END IF;
    RETURN pb_nul_escape(substr(cut, CAST(least(p1, 2147483646) AS int) + 1, CAST(least(p2, 2147483646) AS int)));
END $$;

CREATE OR REPLACE FUNCTION pb_substr(value text, y bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_substr_of(value, y, NULL, true) $$;

CREATE OR REPLACE FUNCTION pb_substr(value text, y bigint, z bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_substr_of(value, y, z, false) $$;

-- SQLite's quote(x) of a SQL value: NULL, a number's text, a text as a literal (up to its first NUL).
CREATE OR REPLACE FUNCTION pb_quote(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 'NULL' WHEN jsonb_typeof(v) = 'number' THEN pb_text(v)
        ELSE '''' || replace(pb_nul_end(v #>> '{}'), '''', '''''') || '''' END
$$;

-- SQLite's a << b (b < 0: a >> -b) of 64-bit integers: past 63 bits 0, or -1 for a negative a
-- shifted right (Postgres shifts by b modulo 64).
CREATE OR REPLACE FUNCTION pb_shift(a bigint, b numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN b >= 64 THEN 0 WHEN b <= -64 THEN CASE WHEN a < 0 THEN -1 ELSE 0 END
        WHEN b >= 0 THEN a << CAST(b AS int) ELSE a >> CAST(-b AS int) END
$$;
"""

TREE_HELPERS = r"""
-- A JSON value's class as SQLite's json_type() names it.
CREATE OR REPLACE FUNCTION pb_json_kind(j json) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE json_typeof(j)
        WHEN 'number' THEN CASE WHEN btrim(CAST(j AS text), E' \t\n\r') ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
        WHEN 'string' THEN 'text' WHEN 'boolean' THEN btrim(CAST(j AS text), E' \t\n\r') ELSE json_typeof(j) END
$$;

-- The keys and the values that are no array or object of a document SQLite reads (JSON5 too),
-- as written, in their order: strings with their quotes, numbers, literals and JSON5's unquoted
-- keys (comments and blanks left out). SQLite keeps them so in its JSONB encoding (below) and
-- writes a key as written in json_each()'s fullkey.
CREATE OR REPLACE FUNCTION pb_json_tokens(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(m[1] ORDER BY n) FILTER (WHERE left(m[1], 1) <> '/'), '{}')
    FROM regexp_matches(doc, '(/\*(?:[^*]|\*+[^*/])*\*+/|//[^\n\r\u2028\u2029]*|"(?:[^"\\]|\\.)*"|''(?:[^''\\]|\\.)*''|'
        || '[^][{}:,"''/ \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+)', 'g')
        WITH ORDINALITY AS t(m, n)
$$;

-- A key's step in json_each()'s fullkey, from its token: .key, or ."key" unless a letter then
-- letters and digits, the key as written (SQLite: escapes kept, a single-quoted key's " bare).
CREATE OR REPLACE FUNCTION pb_json_key_text(token text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN k ~ '^[A-Za-z][A-Za-z0-9]*$' THEN '.' || k ELSE '."' || k || '"' END
    FROM (SELECT CASE WHEN left(token, 1) IN ('"', '''') THEN substr(token, 2, length(token) - 2) ELSE token END AS k) AS t
$$;

-- The size of a JSON value in SQLite's JSONB encoding, whose offsets are json_each()'s ids: a
-- header of 1, 2, 3, 5 or 9 bytes, then the payload: a key's or a string's text as written
-- between its quotes, a number's text as written (without a leading +; an infinity 9e999 or
-- -9e999), an array's elements, an object's keys and values; true, false, null and NaN none.
CREATE OR REPLACE FUNCTION pb_jsonb_head(payload bigint) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN payload <= 11 THEN 1 WHEN payload <= 255 THEN 2 WHEN payload <= 65535 THEN 3
        WHEN payload <= 4294967295 THEN 5 ELSE 9 END
$$;

CREATE OR REPLACE FUNCTION pb_jsonb_token_payload(token text, is_key boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN left(token, 1) IN ('"', '''') THEN octet_length(token) - 2 WHEN is_key THEN octet_length(token)
        WHEN lower(token) IN ('true', 'false', 'null') OR lower(ltrim(token, '+-')) IN ('nan', 'qnan', 'snan') THEN 0
        WHEN lower(ltrim(token, '+-')) LIKE 'inf%' THEN CASE WHEN left(token, 1) = '-' THEN 6 ELSE 5 END
        ELSE octet_length(ltrim(token, '+')) END
$$;

-- ... of the value j whose first token is tokens[k] (pb_json_tokens): its payload, and the
-- token after it.
CREATE OR REPLACE FUNCTION pb_jsonb_payload(j json, tokens text[], k int, OUT payload bigint, OUT next int)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kind text := json_typeof(j);
    e record;
    inner_part record;
BEGIN
    payload := 0;
    next := k;
    IF kind = 'object' OR kind = 'array' THEN
        FOR e IN SELECT * FROM (
                SELECT m.v, m.n FROM json_each(CASE WHEN kind = 'object' THEN j END) WITH ORDINALITY AS m(k, v, n)
                UNION ALL
                SELECT m.v, m.n FROM json_array_elements(CASE WHEN kind = 'array' THEN j END) WITH ORDINALITY AS m(v, n)
                ) AS members ORDER BY members.n LOOP
            IF kind = 'object' THEN
                payload := payload + pb_jsonb_head(pb_jsonb_token_payload(tokens[next], true)) + pb_jsonb_token_payload(tokens[next], true);
                next := next + 1;
            END IF;
            inner_part := pb_jsonb_payload(e.v, tokens, next);
            payload := payload + pb_jsonb_head(inner_part.payload) + inner_part.payload;
            next := inner_part.next;
        END LOOP;
        RETURN;
    END IF;
    payload := pb_jsonb_token_payload(tokens[k], false);
    next := k + 1;
END $$;

-- SQLite's json_each(doc, root) (deep: json_tree()): a row per member of the value at root
-- (json_tree: the value and every value within, in document order; a value that is no array
-- or object is its own row). key: an object's key or an array's index; value and atom:
-- SQLite's text of the SQL value (an array or object as its JSON text, no atom); id: the
-- offset of the value (of its key, in an object) in SQLite's JSONB encoding, parent: its
-- container's id (json_tree); fullkey and path spell keys as written (pb_json_key_text).
-- NOTE: the document's tokens (pb_json_tokens) follow its values in the order read: a member's
-- key is tokens[tk], its value's first token the next.
CREATE OR REPLACE FUNCTION pb_json_tree(doc text, root text, deep boolean)
RETURNS TABLE (key text, value text, type text, atom text, id bigint, parent bigint, fullkey text, path text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    steps text[];
    step text;
    j json;
    tokens text[];
    tk int := 1;
    at bigint := 0;
    cursor_at bigint;
    found boolean;
    k bigint;
    size int;
    sized record;
    key_payload bigint;
    todo_j json[];
    todo_key text[];
    todo_full text[];
    todo_path text[];
    todo_parent bigint[];
    todo_id bigint[];
    todo_at bigint[];
    todo_tk int[];
    m_j json[];
    m_key text[];
    m_full text[];
    m_id bigint[];
    m_at bigint[];
    m_tk int[];
    first boolean := true;
    e record;
    kind text;
BEGIN
    IF doc IS NULL OR root IS NULL THEN RETURN; END IF;
    steps := pb_json_steps(root);
    j := pb_json_parse(doc);
    tokens := pb_json_tokens(doc);
    id := 0;
    -- NOTE: the value at root, and its offsets, step by step
    FOREACH step IN ARRAY steps LOOP
        IF json_typeof(j) IN ('object', 'array') THEN
            sized := pb_jsonb_payload(j, tokens, tk);
            cursor_at := at + pb_jsonb_head(sized.payload);
        END IF;
        found := false;
        IF left(step, 1) = '.' AND json_typeof(j) = 'object' THEN
            FOR e IN SELECT m.k, m.v FROM json_each(j) WITH ORDINALITY AS m(k, v, n) ORDER BY m.n LOOP
                key_payload := pb_jsonb_token_payload(tokens[tk], true);
                tk := tk + 1;
                IF e.k = substr(step, 2) THEN
                    id := cursor_at;
                    at := cursor_at + pb_jsonb_head(key_payload) + key_payload;
                    j := e.v;
                    found := true;
                    EXIT;
                END IF;
                sized := pb_jsonb_payload(e.v, tokens, tk);
                cursor_at := cursor_at + pb_jsonb_head(key_payload) + key_payload + pb_jsonb_head(sized.payload) + sized.payload;
                tk := sized.next;
            END LOOP;
        ELSIF left(step, 1) = '[' AND json_typeof(j) = 'array' THEN
            size := json_array_length(j);
            step := substr(step, 2);
            k := CASE WHEN step = '#' THEN size WHEN left(step, 1) = '#' THEN size - CAST(substr(step, 3) AS numeric)
                ELSE CAST(step AS numeric) END;
            FOR e IN SELECT m.v, m.n - 1 AS i FROM json_array_elements(j) WITH ORDINALITY AS m(v, n) ORDER BY m.n LOOP
                IF e.i = k THEN
                    id := cursor_at;
                    at := cursor_at;
                    j := e.v;
                    found := true;
                    EXIT;
                END IF;
                sized := pb_jsonb_payload(e.v, tokens, tk);
                cursor_at := cursor_at + pb_jsonb_head(sized.payload) + sized.payload;
                tk := sized.next;
            END LOOP;
        END IF;
        IF NOT found THEN RETURN; END IF;
    END LOOP;
    IF j IS NULL THEN RETURN; END IF;
    todo_j := ARRAY[j];
    todo_full := ARRAY[root];
    todo_id := ARRAY[id];
    todo_at := ARRAY[at];
    todo_tk := ARRAY[tk];
    IF deep AND cardinality(steps) > 0 THEN
        -- NOTE: the root's key and path from root's text as written: its last step's key (an
        -- index's digits, 0 for [#-n]; a quoted key's text between its quotes, escapes kept)
        -- and the steps before it
        step := (regexp_match(root, '(\[[^]]*\]|\."(?:[^"\\]|\\.)*"|\.[^.\[]+)$'))[1];
        todo_key := ARRAY[CASE WHEN left(step, 1) = '[' THEN COALESCE(substring(step FROM '^\[([0-9]+)'), '0')
            WHEN left(step, 2) = '."' THEN substr(step, 3, length(step) - 3) ELSE substr(step, 2) END];
        todo_path := ARRAY[left(root, length(root) - length(step))];
    ELSE
        todo_key := ARRAY[NULL::text];
        todo_path := ARRAY[root];
    END IF;
    todo_parent := ARRAY[NULL::bigint];
    WHILE cardinality(todo_j) > 0 LOOP
        -- NOTE: the stack's top is its first item: a value's members go in front, in order
        j := todo_j[1];
        key := todo_key[1]; fullkey := todo_full[1]; path := todo_path[1]; parent := todo_parent[1];
        id := todo_id[1]; at := todo_at[1]; tk := todo_tk[1];
        todo_j := todo_j[2:]; todo_key := todo_key[2:]; todo_full := todo_full[2:];
        todo_path := todo_path[2:]; todo_parent := todo_parent[2:]; todo_id := todo_id[2:]; todo_at := todo_at[2:];
        todo_tk := todo_tk[2:];
        kind := pb_json_kind(j);
        -- NOTE: a hexadecimal integer past 64 bits SQLite keeps as an integer (JSON5's INT5)
        type := CASE WHEN kind = 'real' AND tokens[tk] ~ '^[-+]?0[xX]' THEN 'integer' ELSE kind END;
        IF kind IN ('object', 'array') THEN
            value := pb_json_min(j);
            atom := NULL;
        ELSE
            value := pb_text(pb_value(CAST(j AS jsonb)));
            atom := value;
        END IF;
        -- NOTE: json_each's rows are the root's members (the root itself when it has none)
        IF deep OR NOT first OR kind NOT IN ('object', 'array') THEN
            IF NOT deep THEN parent := NULL; END IF;
            RETURN NEXT;
        END IF;
        IF kind IN ('object', 'array') AND (deep OR first) THEN
            sized := pb_jsonb_payload(j, tokens, tk);
            cursor_at := at + pb_jsonb_head(sized.payload);
            m_j := '{}'; m_key := '{}'; m_full := '{}'; m_id := '{}'; m_at := '{}'; m_tk := '{}';
            FOR e IN SELECT * FROM (
                SELECT m.k, m.v, m.n FROM json_each(CASE WHEN kind = 'object' THEN j END) WITH ORDINALITY AS m(k, v, n)
                UNION ALL
                SELECT CAST(m.n - 1 AS text), m.v, m.n FROM json_array_elements(CASE WHEN kind = 'array' THEN j END)
                    WITH ORDINALITY AS m(v, n)) AS members ORDER BY members.n LOOP
                m_j := m_j || e.v;
                m_key := m_key || e.k;
                m_id := m_id || cursor_at;
                IF kind = 'object' THEN
                    m_full := m_full || (fullkey || pb_json_key_text(tokens[tk]));
                    key_payload := pb_jsonb_token_payload(tokens[tk], true);
                    cursor_at := cursor_at + pb_jsonb_head(key_payload) + key_payload;
                    tk := tk + 1;
                ELSE
                    m_full := m_full || (fullkey || '[' || e.k || ']');
                END IF;
                m_at := m_at || cursor_at;
                m_tk := m_tk || tk;
                sized := pb_jsonb_payload(e.v, tokens, tk);
                cursor_at := cursor_at + pb_jsonb_head(sized.payload) + sized.payload;
                tk := sized.next;
            END LOOP;
            todo_j := m_j || todo_j;
            todo_key := m_key || todo_key;
            todo_full := m_full || todo_full;
            todo_id := m_id || todo_id;
            todo_at := m_at || todo_at;
            todo_tk := m_tk || todo_tk;
            todo_path := array_fill(fullkey, ARRAY[cardinality(m_j)]) || todo_path;
            todo_parent := array_fill(id, ARRAY[cardinality(m_j)]) || todo_parent;
        END IF;
        first := false;
    END LOOP;
END $$;

-- SQLite's json_type(doc[, path]): null, true, false, integer, real, text, array or object;
-- NULL for a NULL document or path, or a path that finds nothing. NOTE: a hexadecimal integer
-- past 64 bits (json()'s 9.0e999) is an 'integer' to SQLite (JSON5's INT5): the type
-- pb_json_tree reads from the text as written.
CREATE OR REPLACE FUNCTION pb_view_json_type(doc text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE json_typeof(found)
        WHEN 'number' THEN CASE WHEN btrim(CAST(found AS text), E' \t\n\r') ~ '^-?[0-9]+$' THEN 'integer'
            WHEN btrim(CAST(found AS text), E' \t\n\r') ~ '^-?9\.0e999$' THEN (SELECT t.type FROM pb_json_tree(doc, path, true) AS t LIMIT 1)
            ELSE 'real' END
        WHEN 'string' THEN 'text' WHEN 'boolean' THEN btrim(CAST(found AS text), E' \t\n\r') ELSE json_typeof(found) END
    FROM (SELECT CASE WHEN path IS NOT NULL THEN pb_json_find(doc, path) END AS found) AS f
$$;
"""

PRETTY_HELPERS = r"""
-- SQLite's json_pretty(doc[, indent]): one member a line, each level indented by indent (four
-- spaces by default, or when NULL), keys in their order, numbers as written.
CREATE OR REPLACE FUNCTION pb_json_pretty_at(j json, indent text, depth int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kind text := json_typeof(j);
    inner_part text;
BEGIN
    IF kind = 'object' THEN
        SELECT string_agg(repeat(indent, depth + 1) || CAST(to_json(e.key) AS text) || ': ' || pb_json_pretty_at(e.value, indent, depth + 1),
            E',\n' ORDER BY e.n) INTO inner_part FROM json_each(j) WITH ORDINALITY AS e(key, value, n);
        RETURN CASE WHEN inner_part IS NULL THEN '{}' ELSE E'{\n' || inner_part || E'\n' || repeat(indent, depth) || '}' END;
    ELSIF kind = 'array' THEN
        SELECT string_agg(repeat(indent, depth + 1) || pb_json_pretty_at(e.value, indent, depth + 1), E',\n' ORDER BY e.n)
        INTO inner_part FROM json_array_elements(j) WITH ORDINALITY AS e(value, n);
        RETURN CASE WHEN inner_part IS NULL THEN '[]' ELSE E'[\n' || inner_part || E'\n' || repeat(indent, depth) || ']' END;
    END IF;
    RETURN pb_json_min(j);
END $$;

CREATE OR REPLACE FUNCTION pb_json_pretty(doc text, indent text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_json_pretty_at(pb_json_parse(doc), COALESCE(indent, '    '), 0) $$;
"""

JSON1_HELPERS += ROUND_HELPERS + TEXT_HELPERS + TREE_HELPERS + PRETTY_HELPERS
