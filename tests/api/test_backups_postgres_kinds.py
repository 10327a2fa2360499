"""Backups on Postgres (issue #17), one kind of object made with SQL at a time: extensions,
collations, row security, rules, extended statistics, aggregates, operators, event triggers,
table inheritance (tests/api/test_backups_postgres_objects.py: types, functions, views,
triggers, partitions, all together). Each case makes its objects with SQL on one app, backs it
up, restores the archive into another app on a fresh database and queries the objects there:
they work; then over the database it came from (every object dropped and made again). What
cannot be carried (an event trigger whose function is in another schema, a foreign table, a
function in C and what uses it) is named, with the reason, in the manifest; an extension the
server lacks is named by the restore.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from pybase.core.errors import BadRequestError
from tests import testapp
from tests.api.test_backups_postgres import PG_MANIFEST, _manifest_with, _rewrite
from tests.api.test_backups_postgres_objects import _back_up, _into, _run_sql, pg, pg2  # noqa: F401 - fixtures
from tests.pg import postgres_only

pytestmark = postgres_only

ROLE = "pybase_test_reader"


@dataclass
class Case:
    name: str
    #: statements run on the first app (as written: a % is no placeholder)
    make: list[str]
    #: (kind, name) of objects the manifest carries
    carried: list[tuple[str, str]]
    #: query -> rows expected on the restored app (None: those of the first app); a query may
    #: start with statements separated by "; " (run first, in the same transaction)
    queries: dict[str, list[tuple[Any, ...]] | None]
    #: (statements, error text): what the restored objects refuse
    refused: list[tuple[str, str]] = field(default_factory=list)


CASES = [
    Case(
        "extensions",
        ["CREATE EXTENSION citext", "CREATE EXTENSION pg_trgm",
         "CREATE TABLE people (name citext PRIMARY KEY, bio text)",
         "CREATE INDEX people_bio ON people USING gin (bio gin_trgm_ops)",
         "CREATE FUNCTION loud(t citext) RETURNS citext LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t)::citext $$",
         "INSERT INTO people VALUES ('Ann', 'likes hello world'), ('Bob', 'quiet')"],
        [("extension", "citext"), ("extension", "pg_trgm"), ("function", "loud(citext)")],
        {"SELECT name::text FROM people WHERE name = 'ANN'": [("Ann",)],
         "SELECT name::text FROM people WHERE bio % 'helo world'": [("Ann",)],
         "SELECT loud('x') = 'x'::citext": [(True,)]},
        [("INSERT INTO people VALUES ('ann', '')", "duplicate key")],
    ),
    Case(
        "extension in its own schema",
        ["CREATE SCHEMA tools", "CREATE EXTENSION hstore SCHEMA tools",
         "CREATE TABLE settings (id int, data tools.hstore)",
         "INSERT INTO settings VALUES (1, 'a=>1, b=>2')"],
        [("extension", "hstore")],
        {"SELECT tools.akeys(data)::text FROM settings": [("{a,b}",)],
         "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
         "WHERE e.extname = 'hstore'": [("tools",)]},
    ),
    Case(
        "collations",
        ["CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
         "CREATE COLLATION plain_c (provider = libc, locale = 'C')",
         "CREATE TABLE tags (name text COLLATE nocase UNIQUE, code text COLLATE plain_c)",
         "CREATE TYPE labelled AS (label text COLLATE nocase)",
         "CREATE DOMAIN nocase_text AS text COLLATE nocase",
         "INSERT INTO tags VALUES ('Go', 'b'), ('rust', 'B')"],
        [("collation", "nocase"), ("collation", "plain_c")],
        {"SELECT name FROM tags WHERE name = 'GO'": [("Go",)],
         "SELECT code FROM tags ORDER BY code": [("B",), ("b",)],
         "SELECT ROW('X')::labelled = ROW('x')::labelled, 'A'::nocase_text = 'a'": [(True, True)]},
        [("INSERT INTO tags VALUES ('RUST', 'c')", "duplicate key")],
    ),
    Case(
        # NOTE: a collation of another schema named by pybase's schema (a table made with SQL,
        # a collection's table, a composite type, a domain, a range) and the other way round
        "collations of another schema",
        ["CREATE SCHEMA lingo",
         "CREATE COLLATION lingo.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
         "CREATE COLLATION home_c (provider = libc, locale = 'C')",
         "CREATE TABLE tags (name text COLLATE lingo.nocase UNIQUE)",
         "ALTER TABLE posts ADD COLUMN loose_title text COLLATE lingo.nocase",
         "UPDATE posts SET loose_title = upper(title)",
         "CREATE TYPE labelled AS (label text COLLATE lingo.nocase)",
         "CREATE DOMAIN nocase_text AS text COLLATE lingo.nocase",
         "CREATE TYPE text_span AS RANGE (subtype = text, collation = lingo.nocase)",
         "CREATE TABLE lingo.words (w text COLLATE home_c, v text COLLATE public.home_c)",
         "INSERT INTO tags VALUES ('Go'), ('rust')", "INSERT INTO lingo.words VALUES ('b', 'b'), ('B', 'B')"],
        [("collation", "home_c")],
        {"SELECT name FROM tags WHERE name = 'GO'": [("Go",)],
         "SELECT bool_and(loose_title = lower(title) COLLATE lingo.nocase), count(*) FROM posts": None,
         "SELECT ROW('X')::labelled = ROW('x')::labelled, 'A'::nocase_text = 'a', 'B'::text <@ text_span('a', 'c')": [(True, True, True)],
         "SELECT w FROM lingo.words ORDER BY w": [("B",), ("b",)]},
        [("INSERT INTO tags VALUES ('RUST')", "duplicate key")],
    ),
    Case(
        "row security",
        ["CREATE TABLE secrets (owner text NOT NULL, body text)",
         "INSERT INTO secrets VALUES ('alice', 'a1'), ('alice', 'a2'), ('bob', 'b1')",
         "ALTER TABLE secrets ENABLE ROW LEVEL SECURITY", "ALTER TABLE secrets FORCE ROW LEVEL SECURITY",
         "CREATE FUNCTION app_user() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('app.who', true) $$",
         "CREATE POLICY own_rows ON secrets USING (owner = app_user())",
         f"CREATE POLICY no_root ON secrets AS RESTRICTIVE FOR INSERT TO {ROLE} WITH CHECK (owner <> 'root')",
         f"CREATE POLICY readers_insert ON secrets FOR INSERT TO {ROLE} WITH CHECK (true)",
         "CREATE TABLE open_notes (body text)", "ALTER TABLE open_notes ENABLE ROW LEVEL SECURITY",
         f"GRANT SELECT, INSERT ON secrets, open_notes TO {ROLE}", "INSERT INTO open_notes VALUES ('n')",
         # privileges: a column's, a function's EXECUTE taken from everyone and given to one role
         "CREATE TABLE staff (name text, salary int)", "INSERT INTO staff VALUES ('ann', 10)",
         f"GRANT SELECT (name) ON staff TO {ROLE} WITH GRANT OPTION",
         "REVOKE EXECUTE ON FUNCTION app_user() FROM PUBLIC", f"GRANT EXECUTE ON FUNCTION app_user() TO {ROLE}"],
        [("policy", "own_rows on secrets"), ("policy", "no_root on secrets"), ("rowsecurity", "secrets"),
         ("rowsecurity", "open_notes"), ("grant", "secrets"), ("grant", "open_notes"), ("grant", "columns of staff"),
         ("grant", "app_user()")],
        {"SELECT count(*) FROM secrets": [(3,)],  # the superuser sees them all
         f"SET LOCAL ROLE {ROLE}; SET LOCAL app.who = 'alice'; SELECT body FROM secrets ORDER BY body": [("a1",), ("a2",)],
         f"SET LOCAL ROLE {ROLE}; SELECT count(*) FROM open_notes": [(0,)],  # enabled, no policy: nothing
         "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN ('secrets', 'open_notes') "
         "ORDER BY 1": [("open_notes", True, False), ("secrets", True, True)],
         f"SET LOCAL ROLE {ROLE}; SELECT name FROM staff": [("ann",)],
         f"SELECT has_function_privilege('{ROLE}', 'app_user()', 'EXECUTE'), "
         "has_function_privilege('pg_monitor', 'app_user()', 'EXECUTE'), "
         f"has_column_privilege('{ROLE}', 'staff', 'name', 'SELECT WITH GRANT OPTION')": [(True, False, True)]},
        [(f"SET LOCAL ROLE {ROLE}; INSERT INTO secrets VALUES ('root', 'x')", "violates row-level security policy"),
         (f"SET LOCAL ROLE {ROLE}; SELECT salary FROM staff", "permission denied")],
    ),
    Case(
        "rules",
        ["CREATE TABLE events (what text)", "CREATE TABLE events_log (what text, at_rule text)",
         "CREATE RULE log_event AS ON INSERT TO events DO ALSO INSERT INTO events_log VALUES (NEW.what, 'also')",
         "CREATE VIEW recent_events AS SELECT what FROM events",
         "CREATE RULE recent_insert AS ON INSERT TO recent_events DO INSTEAD INSERT INTO events VALUES (NEW.what)",
         "CREATE RULE keep_log AS ON DELETE TO events_log DO INSTEAD NOTHING",
         "INSERT INTO events VALUES ('old')"],
        [("rule", "log_event on events"), ("rule", "recent_insert on recent_events"), ("rule", "keep_log on events_log")],
        {"INSERT INTO recent_events VALUES ('new'); DELETE FROM events_log; SELECT what, at_rule FROM events_log ORDER BY what":
         [("new", "also"), ("old", "also")],
         "INSERT INTO recent_events VALUES ('new'); SELECT what FROM events ORDER BY what": [("new",), ("old",)]},
    ),
    Case(
        "extended statistics",
        ["CREATE TABLE pairs (a int, b int, \"odd %col\" int)",
         "CREATE STATISTICS pairs_ab (dependencies, ndistinct) ON a, b FROM pairs",
         "CREATE STATISTICS \"pairs %expr\" ON (a + b), \"odd %col\" FROM pairs",
         "INSERT INTO pairs SELECT i % 10, i % 10, i FROM generate_series(1, 200) i"],
        [("statistics", "pairs_ab"), ("statistics", "pairs %expr")],
        {"ANALYZE pairs; SELECT statistics_name, n_distinct IS NOT NULL FROM pg_stats_ext WHERE tablename = 'pairs' "
         "ORDER BY 1": [("pairs %expr", True), ("pairs_ab", True)],
         "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext ORDER BY stxname": None},
    ),
    Case(
        "aggregates",
        ["CREATE FUNCTION avg_step(state numeric[], x numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT ARRAY[state[1] + x, state[2] + 1] $$",
         "CREATE FUNCTION avg_final(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT CASE WHEN state[2] = 0 THEN NULL ELSE state[1] / state[2] END $$",
         "CREATE AGGREGATE my_avg(numeric) (SFUNC = avg_step, STYPE = numeric[], FINALFUNC = avg_final, "
         "INITCOND = '{0,0}', PARALLEL = SAFE)",
         "CREATE AGGREGATE my_sum(int) (SFUNC = int4pl, STYPE = int, COMBINEFUNC = int4pl, MSFUNC = int4pl, "
         "MINVFUNC = int4mi, MSTYPE = int, MINITCOND = '0')",
         "CREATE AGGREGATE my_max(int) (SFUNC = int4larger, STYPE = int, SORTOP = >)",
         "CREATE FUNCTION first_step(state anyarray, x anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT state || x $$",
         "CREATE FUNCTION first_final(state anyarray, x anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT state[1] $$",
         "CREATE AGGREGATE first_of(ORDER BY anyelement) (SFUNC = first_step, STYPE = anyarray, "
         "FINALFUNC = first_final, FINALFUNC_EXTRA)",
         "CREATE TABLE nums (x int)", "INSERT INTO nums VALUES (3), (1), (2)",
         "CREATE VIEW num_stats AS SELECT my_avg(x), my_max(x) FROM nums"],
        [("aggregate", "my_avg(numeric)"), ("aggregate", "my_sum(integer)"), ("aggregate", "my_max(integer)"),
         ("aggregate", "first_of(anyelement)"), ("view", "num_stats")],
        {"SELECT my_avg(x), my_max(x), first_of() WITHIN GROUP (ORDER BY x DESC) FROM nums": [(2, 3, 3)],
         "SELECT my_sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM nums ORDER BY x": [(1,), (3,), (5,)],
         "SELECT * FROM num_stats": [(2, 3)],
         "SELECT aggsortop::regoperator::text, aggmtransfn::text, aggkind::text FROM pg_aggregate "
         "WHERE aggfnoid IN ('my_max'::regproc, 'my_sum'::regproc, 'first_of'::regproc) ORDER BY 1, 2": None},
    ),
    Case(
        "operators",
        ["CREATE FUNCTION approx_eq(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT abs(a - b) < 0.01 $$",
         "CREATE FUNCTION approx_ne(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT abs(a - b) >= 0.01 $$",
         "CREATE OPERATOR =~= (FUNCTION = approx_eq, LEFTARG = float8, RIGHTARG = float8, COMMUTATOR = =~=, "
         "NEGATOR = !~=, RESTRICT = eqsel, JOIN = eqjoinsel)",
         "CREATE OPERATOR !~= (FUNCTION = approx_ne, LEFTARG = float8, RIGHTARG = float8, NEGATOR = =~=)",
         "CREATE FUNCTION twice(n int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT n * 2 $$",
         "CREATE OPERATOR %% (RIGHTARG = int, FUNCTION = twice)",
         "CREATE TABLE readings (v float8)", "INSERT INTO readings VALUES (1.0), (1.005), (2.0)",
         "CREATE VIEW near_one AS SELECT v FROM readings WHERE v =~= 1.0"],
        [("operator", "=~=(double precision, double precision)"), ("operator", "!~=(double precision, double precision)"),
         ("operator", "%%(NONE, integer)"), ("view", "near_one")],
        {"SELECT count(*) FROM readings WHERE v =~= 1.0": [(2,)],
         "SELECT count(*) FROM readings WHERE NOT (v =~= 1.0)": [(1,)],
         "SELECT %% 21, count(*) FROM near_one": [(42, 2)],
         "SELECT oprcom::regoperator::text, oprnegate::regoperator::text FROM pg_operator WHERE oprname = '=~='":
         [("=~=(double precision,double precision)", "!~=(double precision,double precision)")]},
    ),
    Case(
        "event triggers",
        ["CREATE TABLE ddl_log (tag text, what text)", "CREATE TABLE keep_me (a int)",
         "CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ddl_log "
         "SELECT command_tag, object_identity FROM pg_event_trigger_ddl_commands(); END $$",
         "CREATE EVENT TRIGGER log_creates ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'create index') "
         "EXECUTE FUNCTION log_ddl()",
         "CREATE FUNCTION guard() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM "
         "pg_event_trigger_dropped_objects() WHERE object_type = 'table' AND object_name = 'keep_me') THEN "
         "RAISE EXCEPTION 'keep_me is kept'; END IF; END $$",
         "CREATE EVENT TRIGGER guard_drops ON sql_drop EXECUTE FUNCTION guard()",
         # NOTE: disabled (it would fail: the DDL commands are read at ddl_command_end only)
         "CREATE EVENT TRIGGER resting ON ddl_command_start EXECUTE FUNCTION log_ddl()",
         "ALTER EVENT TRIGGER resting DISABLE"],
        [("eventtrigger", "log_creates"), ("eventtrigger", "guard_drops"), ("eventtrigger", "resting"),
         ("function", "guard()")],
        {"CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a); CREATE VIEW fresh_v AS SELECT 1; "
         "SELECT tag, split_part(what, '.', 2) FROM ddl_log ORDER BY 1": [("CREATE INDEX", "fresh_a"), ("CREATE TABLE", "fresh")],
         "SELECT evtname, evtevent, evtenabled::text, evttags::text, evtfoid::regproc::text FROM pg_event_trigger "
         "ORDER BY 1": [("guard_drops", "sql_drop", "O", None, "guard"),
                        ("log_creates", "ddl_command_end", "O", '{"CREATE TABLE","CREATE INDEX"}', "log_ddl"),
                        ("resting", "ddl_command_start", "D", None, "log_ddl")]},
        [("DROP TABLE keep_me", "keep_me is kept")],
    ),
    Case(
        "another schema",
        ["CREATE SCHEMA reporting", "CREATE EXTENSION citext SCHEMA reporting",
         "CREATE TYPE reporting.level AS ENUM ('low', 'high')",
         "CREATE TABLE reporting.daily (id serial PRIMARY KEY, day date NOT NULL UNIQUE, hits int CHECK (hits >= 0), "
         "level reporting.level)", "CREATE INDEX daily_hits ON reporting.daily (hits)",
         "CREATE TABLE reporting.notes (daily_id int REFERENCES reporting.daily (id), body text)",
         "INSERT INTO reporting.daily (day, hits, level) VALUES ('2024-01-01', 5, 'low'), ('2024-01-02', 7, 'high')",
         "INSERT INTO reporting.notes VALUES (1, 'first')", "CREATE TABLE reporting.tags (name reporting.citext UNIQUE)",
         "INSERT INTO reporting.tags VALUES ('Go')",
         "CREATE FUNCTION reporting.total() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT sum(hits) FROM reporting.daily $$",
         "CREATE VIEW reporting.post_count AS SELECT count(*) AS n FROM posts",  # NOTE: a collection's table
         "CREATE VIEW reporting_totals AS SELECT reporting.total() AS t",  # NOTE: pybase's schema reads it
         "CREATE SEQUENCE reporting.tickets START 100", "SELECT nextval('reporting.tickets')",
         f"GRANT USAGE ON SCHEMA reporting TO {ROLE}", f"GRANT SELECT ON reporting.daily TO {ROLE}",
         "CREATE FUNCTION reporting.watch() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
         "INSERT INTO reporting.notes VALUES (NULL, tg_tag); END $$",
         "CREATE EVENT TRIGGER reporting_watch ON ddl_command_end WHEN TAG IN ('CREATE TABLE') "
         "EXECUTE FUNCTION reporting.watch()"],
        [("view", "reporting_totals"), ("extension", "citext")],
        {"SELECT day::text, hits, level::text FROM reporting.daily ORDER BY day":
         [("2024-01-01", 5, "low"), ("2024-01-02", 7, "high")],
         "SELECT reporting.total(), (SELECT t FROM reporting_totals), (SELECT n FROM reporting.post_count) > 0":
         [(12, 12, True)],
         # NOTE: a sequence's value, read without taking one (a rolled back nextval is spent)
         "SELECT last_value FROM reporting.tickets UNION ALL SELECT last_value FROM reporting.daily_id_seq": [(100,), (2,)],
         f"SET LOCAL ROLE {ROLE}; SELECT count(*) FROM reporting.daily": [(2,)],
         "SELECT name::text, pg_typeof(name)::text FROM reporting.tags": [("Go", "reporting.citext")],
         "CREATE TABLE reporting.fresh (a int); SELECT body FROM reporting.notes ORDER BY body": [("CREATE TABLE",), ("first",)]},
        # NOTE: ids given: a nextval rolled back is spent (the next backup would hold another value)
        [("INSERT INTO reporting.notes VALUES (99, 'x')", "violates foreign key constraint"),
         ("INSERT INTO reporting.tags VALUES ('GO')", "duplicate key"),  # NOTE: citext's unique index
         ("INSERT INTO reporting.daily (id, day, hits) VALUES (10, '2024-01-01', 1)", "duplicate key"),
         ("INSERT INTO reporting.daily (id, day, hits) VALUES (11, '2024-01-09', -1)", "violates check constraint"),
         (f"SET LOCAL ROLE {ROLE}; SELECT * FROM reporting.notes", "permission denied")],
    ),
    Case(
        "comments",
        ["CREATE TABLE notes (id int CONSTRAINT notes_key PRIMARY KEY, body text)",
         "CREATE INDEX notes_body ON notes (body)", "CREATE VIEW note_bodies AS SELECT body FROM notes",
         "CREATE TYPE mood AS ENUM ('ok')", "CREATE DOMAIN small AS int CONSTRAINT under_ten CHECK (VALUE < 10)",
         "CREATE FUNCTION f(m mood) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
         "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
         "CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch()",
         "CREATE POLICY everyone ON notes USING (true)", "CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int)",
         "COMMENT ON TABLE notes IS 'the notes, 100% ''ours'''", "COMMENT ON COLUMN notes.body IS 'text'",
         "COMMENT ON COLUMN posts.title IS 'a collection''s column'", "COMMENT ON INDEX notes_body IS 'i'",
         "COMMENT ON VIEW note_bodies IS 'v'", "COMMENT ON TYPE mood IS 't'", "COMMENT ON DOMAIN small IS 'd'",
         "COMMENT ON CONSTRAINT under_ten ON DOMAIN small IS 'dc'", "COMMENT ON CONSTRAINT notes_key ON notes IS 'k'",
         "COMMENT ON FUNCTION f(mood) IS 'fn'", "COMMENT ON TRIGGER notes_touch ON notes IS 'tr'",
         "COMMENT ON POLICY everyone ON notes IS 'p'", "COMMENT ON AGGREGATE total(int) IS 'agg'",
         "CREATE RULE keep AS ON DELETE TO notes DO INSTEAD NOTHING", "COMMENT ON RULE keep ON notes IS 'r'"],
        [("comment", "table notes"), ("comment", "table column posts.title"), ("comment", "function f(mood)")],
        {"SELECT obj_description('notes'::regclass, 'pg_class'), col_description('notes'::regclass, 2), "
         "col_description('posts'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'posts'::regclass "
         "AND attname = 'title'))": [("the notes, 100% 'ours'", "text", "a collection's column")],
         # NOTE: not pybase's marks on the indexes it made (pg_indexes): made with the indexes
         "SELECT d.description FROM pg_description d WHERE d.objoid >= 16384 AND d.description NOT LIKE 'pybase index %' "
         "ORDER BY 1":
         [("a collection's column",), ("agg",), ("d",), ("dc",), ("fn",), ("i",), ("k",), ("p",), ("r",), ("t",), ("text",),
          ("the notes, 100% 'ours'",), ("tr",), ("v",)]},
    ),
    Case(
        "table options",
        ["CREATE UNLOGGED TABLE scratch (k int PRIMARY KEY, v text) WITH (fillfactor=70, autovacuum_enabled=false)",
         "CREATE TABLE parts (k int, v text) PARTITION BY RANGE (k)",
         "CREATE TABLE parts_low PARTITION OF parts FOR VALUES FROM (0) TO (100) WITH (fillfactor=50)",
         "CREATE VIEW checked AS SELECT k, v FROM scratch WHERE k > 0 WITH CASCADED CHECK OPTION",
         "INSERT INTO scratch VALUES (1, 'a'), (2, 'b')", "INSERT INTO parts VALUES (5, 'x')"],
        [("view", "checked")],
        {"SELECT relname, relpersistence::text, reloptions::text FROM pg_class "
         "WHERE relname IN ('scratch', 'parts_low', 'checked') ORDER BY 1":
         [("checked", "p", "{check_option=cascaded}"), ("parts_low", "p", "{fillfactor=50}"),
          ("scratch", "u", "{fillfactor=70,autovacuum_enabled=false}")],
         "SELECT k, v FROM scratch ORDER BY k": [(1, "a"), (2, "b")],
         "SELECT k FROM parts_low": [(5,)]},
        [("INSERT INTO checked VALUES (-1, 'no')", "violates check option")],
    ),
    Case(
        "casts",
        ["CREATE TYPE mood AS ENUM ('sad', 'happy')",
         "CREATE FUNCTION mood_of(n int) RETURNS mood LANGUAGE sql IMMUTABLE "
         "AS $$ SELECT CASE WHEN n > 0 THEN 'happy'::mood ELSE 'sad'::mood END $$",
         "CREATE CAST (int AS mood) WITH FUNCTION mood_of(int) AS ASSIGNMENT",
         "CREATE CAST (mood AS int) WITH INOUT",  # NOTE: fails when used (no such text): still a cast
         "CREATE TYPE pair AS (a int, b int)", "CREATE CAST (pair AS text) WITH INOUT AS IMPLICIT",
         "CREATE TABLE moods (m mood)", "INSERT INTO moods VALUES (1), (0)"],
        [("cast", "integer AS mood"), ("cast", "mood AS integer"), ("cast", "pair AS text")],
        {"SELECT m::text FROM moods ORDER BY moods.m": [("sad",), ("happy",)],
         "SELECT 5::mood, length(ROW(1, 2)::pair)": [("happy", 5)],
         "SELECT castcontext::text, castmethod::text FROM pg_cast WHERE oid >= 16384 ORDER BY 1, 2":
         [("a", "f"), ("e", "i"), ("i", "i")]},
    ),
    Case(
        "column settings",
        ["CREATE TABLE docs (id int, body text, meta jsonb, tag text)",
         "ALTER TABLE docs ALTER COLUMN body SET STATISTICS 500", "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
         "ALTER TABLE docs ALTER COLUMN meta SET COMPRESSION pglz", "ALTER TABLE docs ALTER COLUMN tag SET (n_distinct = 5)",
         "CREATE TABLE parted (k int, v text) PARTITION BY LIST (k)",
         "CREATE TABLE parted_one PARTITION OF parted FOR VALUES IN (1)",
         "ALTER TABLE parted ALTER COLUMN v SET STATISTICS 50",
         "ALTER TABLE ONLY parted_one ALTER COLUMN v SET STATISTICS 70",
         "INSERT INTO docs VALUES (1, 'x', '{}', 't')", "INSERT INTO parted VALUES (1, 'one')"],
        [],
        {"SELECT c.relname, a.attname, a.attstattarget, a.attstorage::text, a.attcompression::text, a.attoptions::text "
         "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname IN ('docs', 'parted', 'parted_one') "
         "AND a.attnum > 0 ORDER BY 1, a.attnum": None,
         "SELECT count(*) FROM docs": [(1,)]},
    ),
    Case(
        "constraints not valid",
        ["CREATE DOMAIN positive AS int", "CREATE TABLE legacy (a int, p positive, b int)",
         "CREATE TABLE legacy_ref (id int PRIMARY KEY)",
         "INSERT INTO legacy VALUES (-1, -5, 99)",
         "ALTER TABLE legacy ADD CONSTRAINT a_pos CHECK (a > 0) NOT VALID",
         "ALTER TABLE legacy ADD CONSTRAINT b_ref FOREIGN KEY (b) REFERENCES legacy_ref (id) NOT VALID",
         "ALTER DOMAIN positive ADD CONSTRAINT p_pos CHECK (VALUE > 0) NOT VALID",
         "CREATE TABLE legacy_child () INHERITS (legacy)",
         "INSERT INTO legacy_child VALUES (1, 1, NULL)"],
        [("domain", "positive constraint p_pos")],
        {"SELECT a, p, b FROM legacy ORDER BY a": [(-1, -5, 99), (1, 1, None)],
         "SELECT conname, convalidated FROM pg_constraint WHERE conname IN ('a_pos', 'b_ref', 'p_pos') "
         "ORDER BY conrelid, conname": None},
        [("INSERT INTO legacy VALUES (-2, 1, NULL)", "violates check constraint"),
         ("INSERT INTO legacy VALUES (2, -1, NULL)", "violates check constraint"),
         ("INSERT INTO legacy VALUES (2, 1, 5)", "violates foreign key constraint")],
    ),
    Case(
        "additions to a collection's table",
        ["ALTER TABLE posts ADD COLUMN extra_note text DEFAULT 'n'", "ALTER TABLE posts ADD COLUMN seq_no serial",
         "UPDATE posts SET extra_note = 'x ' || id",
         "ALTER TABLE posts ADD CONSTRAINT title_not_empty CHECK (title <> '')",
         "CREATE INDEX posts_lower_title ON posts (lower(title))",
         "CREATE TABLE tag_refs (id text PRIMARY KEY)", "INSERT INTO tag_refs VALUES ('t1')",
         "ALTER TABLE comments ADD COLUMN tag text REFERENCES tag_refs (id)", "UPDATE comments SET tag = 't1'"],
        [],
        {"SELECT id, extra_note, seq_no FROM posts ORDER BY seq_no": None,
         "SELECT indexname FROM pg_indexes WHERE tablename IN ('posts', 'comments') ORDER BY 1": None,
         "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN ('posts'::regclass, "
         "'comments'::regclass) ORDER BY 1": None,
         "SELECT count(*) FROM comments WHERE tag = 't1'": None,
         "INSERT INTO posts (id, title) VALUES ('p_after_restore', 'x'); "
         "SELECT extra_note, seq_no > 3 FROM posts WHERE id = 'p_after_restore'": [("n", True)],
         # NOTE: pybase's insertion order (its hidden _rowid_ identity) kept: a new row comes last
         "SELECT id FROM posts ORDER BY _rowid_": None,
         "INSERT INTO posts (id, title) VALUES ('p_last', 'y'); SELECT id FROM posts ORDER BY _rowid_ DESC LIMIT 1":
         [("p_last",)]},
        [("UPDATE posts SET title = ''", "violates check constraint"),
         ("UPDATE comments SET tag = 'nope'", "violates foreign key constraint")],
    ),
    Case(
        "inheritance",
        ["CREATE TABLE vehicles (id int PRIMARY KEY, wheels int NOT NULL CONSTRAINT some_wheels CHECK (wheels > 0))",
         "CREATE TABLE motor (power int)",
         "CREATE TABLE cars (seats int) INHERITS (vehicles, motor)",
         "CREATE TABLE sports_cars (top_speed int) INHERITS (cars)",
         "INSERT INTO vehicles VALUES (1, 2)", "INSERT INTO cars VALUES (2, 4, 90, 5)",
         "INSERT INTO sports_cars VALUES (3, 4, 300, 2, 320)"],
        [],
        {"SELECT tableoid::regclass::text, id FROM vehicles ORDER BY id":
         [("vehicles", 1), ("cars", 2), ("sports_cars", 3)],
         "SELECT count(*) FROM ONLY vehicles": [(1,)],
         "SELECT power FROM motor ORDER BY power": [(90,), (300,)],
         "SELECT c.relname, p.relname, i.inhseqno FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
         "JOIN pg_class p ON p.oid = i.inhparent ORDER BY 1, 3":
         [("cars", "vehicles", 1), ("cars", "motor", 2), ("sports_cars", "cars", 1)],
         "INSERT INTO sports_cars VALUES (4, 3, 1, 1, 1); SELECT count(*) FROM vehicles": [(4,)]},
        [("INSERT INTO sports_cars VALUES (5, 0, 1, 1, 1)", "violates check constraint")],
    ),
]  # fmt: skip


def _query(server: testapp.TestServer, sql: str) -> list[tuple[Any, ...]]:
    """The rows of the last statement of ``sql`` (statements split on "; "), in one transaction
    rolled back, as written (no parameters: a % is no placeholder)."""
    with psycopg.connect(server.app.database_url.replace("postgres://", "postgresql://", 1)) as conn:
        cursor = conn.cursor()
        for statement in sql.split("; "):
            cursor.execute(statement)
        rows = [tuple(r) for r in cursor.fetchall()]
        conn.rollback()
    return rows


@pytest.fixture
def role(databases: Any) -> str:
    """A role of the test cluster the policies name (made once: roles are the cluster's)."""
    databases.server.admin(f"DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    return ROLE


def _schemas(manifest: dict[str, Any]) -> dict[str, Any]:
    """The other schemas a manifest carries: their tables (rows, definition), grants, objects."""
    return {
        schema["name"]: (
            sorted((t["name"], t["rows"], orjson.dumps(t["definition"], option=orjson.OPT_SORT_KEYS)) for t in schema["tables"]),
            schema["grants"], sorted((o["kind"], o["name"], o["phase"], o["sql"]) for o in schema["objects"]),
        )
        for schema in manifest.get("schemas", [])
    }


def _manifest(archive: Path) -> dict[str, Any]:
    with zipfile.ZipFile(archive) as zf:
        return dict(orjson.loads(zf.read(PG_MANIFEST)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_kind_made_with_sql_works_after_a_restore_into_a_fresh_database(
    role: str, pg: testapp.TestServer, pg2: testapp.TestServer, case: Case  # noqa: F811
) -> None:
    _run_sql(pg, *case.make)
    expected = {sql: rows if rows is not None else _query(pg, sql) for sql, rows in case.queries.items()}
    assert {sql: _query(pg, sql) for sql in case.queries} == expected  # NOTE: the case itself is right
    archive = _back_up(pg, f"{case.name.replace(' ', '_')}.zip")
    manifest = _manifest(archive)
    assert manifest["warnings"] == []
    carried = {(o["kind"], o["name"]) for o in manifest["objects"]}
    assert set(case.carried) <= carried, set(case.carried) - carried
    # NOTE: names unqualified: made again in the target's current schema, whatever it is called
    assert [sql for o in manifest["objects"] for sql in o["sql"] if "public." in sql] == []
    _into(pg2, archive)
    pg2.app.backups.restore(archive.name)
    assert {sql: _query(pg2, sql) for sql in case.queries} == expected
    for sql, message in case.refused:
        with pytest.raises(psycopg.Error, match=message):
            _query(pg2, sql)
    # NOTE: a second backup of the restored app holds the same objects (nothing lost on the way)
    again = _manifest(_back_up(pg2, "again.zip"))
    key = lambda o: (o["kind"], o["name"])  # noqa: E731
    assert sorted(again["objects"], key=key) == sorted(manifest["objects"], key=key)
    assert _schemas(again) == _schemas(manifest)
    # restored over the database it came from: its objects are dropped and made again
    pg.app.backups.restore(archive.name)
    assert {sql: _query(pg, sql) for sql in case.queries} == expected
    assert sorted(_manifest(_back_up(pg, "third.zip"))["objects"], key=key) == sorted(manifest["objects"], key=key)


NOT_CARRIED = [
    "CREATE EXTENSION postgres_fdw",
    "CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'nowhere')",
    "CREATE FOREIGN TABLE remote_rows (a int) SERVER elsewhere",
    "CREATE FUNCTION c_lower(text) RETURNS text LANGUAGE internal IMMUTABLE STRICT AS 'lower'",
    "CREATE AGGREGATE c_agg(text) (SFUNC = c_concat, STYPE = text)",
    "CREATE OPERATOR ~~~ (FUNCTION = c_lower, RIGHTARG = text)",
    "CREATE OPERATOR CLASS my_text_ops FOR TYPE text USING btree AS OPERATOR 1 <, FUNCTION 1 bttextcmp(text, text)",
    "CREATE DOMAIN c_text AS text", "CREATE FUNCTION c_cast(text) RETURNS c_text LANGUAGE internal AS 'textin'",
    "CREATE CAST (text AS c_text) WITH FUNCTION c_cast(text)",
    # NOTE: a schema holding another pybase app, and an event trigger whose function is there
    "CREATE SCHEMA other_app", "CREATE TABLE other_app._collections (id text)",
    "CREATE FUNCTION other_app.watch() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$",
    "CREATE EVENT TRIGGER watch_elsewhere ON ddl_command_end EXECUTE FUNCTION other_app.watch()",
    "CREATE PUBLICATION everything FOR ALL TABLES",
    f"GRANT USAGE ON SCHEMA public TO {ROLE}",
]
NAMED = [
    "event trigger watch_elsewhere: not carried (its function other_app.watch() is in another schema)",
    "foreign table remote_rows: not carried (its rows are on a foreign server",
    "function c_lower(text): written in internal",
    "aggregate c_agg(text): its functions are written in C",
    "operator ~~~(NONE, text): its function is written in C",
    "operator class my_text_ops: not carried",
    "schema other_app: not carried (it holds another pybase app: back that app up itself)",
    "publication everything: not carried",
    "cast (text AS c_text): its function is written in C",
    "database settings (ALTER DATABASE ... SET work_mem=8MB): not carried",
    f"privileges on the schema itself (GRANT ... ON SCHEMA to {ROLE}): not carried",
]


def test_what_cannot_be_carried_is_named_with_the_reason(
    role: str, pg: testapp.TestServer, pg2: testapp.TestServer  # noqa: F811
) -> None:
    statements = list(NOT_CARRIED)
    # NOTE: an aggregate whose state function is in C (internal): made from c_lower's twin
    statements.insert(4, "CREATE FUNCTION c_concat(text, text) RETURNS text LANGUAGE internal IMMUTABLE AS 'textcat'")
    database = pg.app.database_url.rsplit("/", 1)[1]
    statements.append(f'ALTER DATABASE "{database}" SET work_mem = \'8MB\'')
    _run_sql(pg, *statements, "CREATE TABLE kept (a int)", "INSERT INTO kept VALUES (1)")
    archive = _back_up(pg, "named.zip")
    manifest = _manifest(archive)
    for text in NAMED:
        assert any(text in w for w in manifest["warnings"]), (text, manifest["warnings"])
    assert ("extension", "postgres_fdw") in {(o["kind"], o["name"]) for o in manifest["objects"]}
    _into(pg2, archive)
    pg2.app.backups.restore(archive.name)
    assert _query(pg2, "SELECT a FROM kept") == [(1,)]
    assert _query(pg2, "SELECT count(*) FROM pg_extension WHERE extname = 'postgres_fdw'") == [(1,)]


def _with_extension(archive: Path, name: str, needed: bool) -> dict[str, bytes | None]:
    def change(manifest: dict[str, Any]) -> None:
        ext = next(o for o in manifest["objects"] if o["kind"] == "extension")
        ext["name"] = name
        ext["sql"] = [f'CREATE EXTENSION IF NOT EXISTS "{name}"']
        if not needed:
            manifest["tables"] = [t for t in manifest["tables"] if t["name"] != "people"]
            manifest["objects"] = [o for o in manifest["objects"] if o["kind"] == "extension"]

    return {PG_MANIFEST: _manifest_with(archive, change)}


def test_an_extension_the_server_lacks_is_named(pg: testapp.TestServer, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    _run_sql(pg, "CREATE EXTENSION citext", "CREATE TABLE people (name citext)", "INSERT INTO people VALUES ('x')")
    good = _back_up(pg, "good.zip")
    # not needed by anything carried: the restore goes on, the logs name it
    _rewrite(good, good.parent / "unneeded.zip", _with_extension(good, "no_such_extension", needed=False))
    with caplog.at_level("WARNING", logger="pybase.app"):
        pg.app.backups.restore("unneeded.zip")
    assert "no_such_extension" in caplog.text and "not available on this Postgres server" in caplog.text
    assert "people" not in pg.table_names()
    # needed (citext's table): the restore fails, changes nothing and says why
    _run_sql(pg, "CREATE TABLE kept (a int)")
    _rewrite(good, good.parent / "needed.zip", _with_extension(good, "no_such_extension", needed=True))
    _run_sql(pg, "DROP EXTENSION IF EXISTS citext CASCADE")
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("needed.zip")
    assert "no_such_extension are not available on this Postgres server" in caught.value.message
    assert "kept" in pg.table_names()


def test_a_table_whose_policies_hide_rows_from_pybase_fails_the_backup(
    pg: testapp.TestServer, databases: Any  # noqa: F811
) -> None:
    """As pg_dump: with FORCE ROW LEVEL SECURITY, the owner (no BYPASSRLS) would see a part of
    the rows; the backup fails saying so instead of keeping that part."""
    owner = "pybase_test_dumper"
    databases.server.admin(f"DO $$ BEGIN CREATE ROLE {owner} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    database = pg.app.database_url.rsplit("/", 1)[1]
    _run_sql(
        pg, "CREATE TABLE hidden (owner text)", "INSERT INTO hidden VALUES ('a'), ('b')",
        "CREATE POLICY only_a ON hidden USING (owner = 'a')", "ALTER TABLE hidden ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE hidden FORCE ROW LEVEL SECURITY", f"ALTER TABLE hidden OWNER TO {owner}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {owner}",
    )  # fmt: skip
    # NOTE: pybase's new connections run as that role (the test cluster's user is a superuser)
    databases.server.admin(f'ALTER DATABASE "{database}" SET role = {owner}')
    try:
        pg.app.db.write_engine.dispose()
        with pytest.raises(BadRequestError) as caught:
            pg.app.backups.create("hidden.zip")
        assert "row-level security" in caught.value.message and "BYPASSRLS" in caught.value.message
    finally:
        databases.server.admin(f'ALTER DATABASE "{database}" RESET role')
        pg.app.db.write_engine.dispose()
    _run_sql(pg, "ALTER TABLE hidden NO FORCE ROW LEVEL SECURITY")
    archive = _back_up(pg, "whole.zip")  # NOTE: as the superuser again: every row
    manifest = _manifest(archive)
    assert {t["name"]: t["rows"] for t in manifest["tables"]}["hidden"] == 2
    # the owner is named: restored, the table is pybase's role's
    assert any(w.startswith(f"not carried: owner {owner} of hidden: ") for w in manifest["warnings"]), manifest["warnings"]


def _policy_to(archive: Path, role: str) -> dict[str, bytes | None]:
    def change(manifest: dict[str, Any]) -> None:
        policy = next(o for o in manifest["objects"] if o["kind"] == "policy")
        policy["sql"] = [policy["sql"][0].replace(" TO PUBLIC", f" TO {role}")]

    return {PG_MANIFEST: _manifest_with(archive, change)}


def test_a_restore_refused_at_its_last_step_changes_nothing(
    pg: testapp.TestServer, pg2: testapp.TestServer  # noqa: F811
) -> None:
    """A policy naming a role the server lacks fails the restore after everything else was made
    (extension, collation, tables, rows): all of it is rolled back, the database is as it was."""
    _run_sql(
        pg, "CREATE EXTENSION citext", "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
        "CREATE TABLE people (name citext COLLATE \"default\", nick text COLLATE nocase)", "INSERT INTO people VALUES ('a', 'b')",
        "ALTER TABLE people ENABLE ROW LEVEL SECURITY", "CREATE POLICY mine ON people USING (true)",
    )  # fmt: skip
    good = _back_up(pg, "good.zip")
    _rewrite(good, good.parent / "broken.zip", _policy_to(good, "no_such_role"))
    _into(pg2, good.parent / "broken.zip")
    _run_sql(pg2, "CREATE TABLE kept (a int)", "INSERT INTO kept VALUES (1)")
    before = _query(pg2, "SELECT extname FROM pg_extension ORDER BY 1"), pg2.table_names()
    with pytest.raises(BadRequestError) as caught:
        pg2.app.backups.restore("broken.zip")
    assert "policy mine on people" in caught.value.message and "no_such_role" in caught.value.message
    assert (_query(pg2, "SELECT extname FROM pg_extension ORDER BY 1"), pg2.table_names()) == before
    assert _query(pg2, "SELECT count(*) FROM pg_collation WHERE collname = 'nocase'") == [(0,)]
    assert _query(pg2, "SELECT a FROM kept") == [(1,)]
    # the good one restores
    _into(pg2, good)
    pg2.app.backups.restore("good.zip")
    assert _query(pg2, "SELECT name::text, nick FROM people WHERE nick = 'B'") == [("a", "b")]


def _schema_edit(archive: Path, edit: Any) -> dict[str, bytes | None]:
    return {PG_MANIFEST: _manifest_with(archive, lambda m: edit(m["schemas"]))}


def _first_table(archive: Path) -> str:
    return str(_manifest(archive)["schemas"][0]["tables"][0]["file"])


# a backup carrying the schema "reporting", changed: what its restore answers
SCHEMA_BROKEN: list[tuple[str, Any, str]] = [
    ("a schema listed twice", lambda a: _schema_edit(a, lambda s: s.append(s[0])), "a schema listed twice"),
    ("a schema's rows missing", lambda a: {_first_table(a): None}, "are missing"),
    ("a schema's row count that differs", lambda a: _schema_edit(a, lambda s: s[0]["tables"][0].update(rows=5)),
     "holds 2 rows where the backup lists 5"),
    ("a grant that is no GRANT", lambda a: _schema_edit(a, lambda s: s[0]["grants"].append("DROP TABLE posts")),
     "unknown shape"),
    ("an object Postgres refuses", lambda a: _schema_edit(a, lambda s: [
        o.update(sql=["CREATE VIEW \"totals\" AS SELECT nothere FROM daily"]) for o in s[0]["objects"] if o["kind"] == "view"]),
     "view totals"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "message"), SCHEMA_BROKEN, ids=[b[0] for b in SCHEMA_BROKEN])
def test_a_restore_of_another_schema_that_fails_changes_nothing(
    pg: testapp.TestServer, name: str, change: Any, message: str  # noqa: F811
) -> None:
    _run_sql(pg, "CREATE SCHEMA reporting", "CREATE TABLE reporting.daily (day date PRIMARY KEY, hits int)",
             "INSERT INTO reporting.daily VALUES ('2024-01-01', 5), ('2024-01-02', 7)",
             "CREATE VIEW reporting.totals AS SELECT sum(hits) AS hits FROM reporting.daily")  # fmt: skip
    good = _back_up(pg, "good.zip")
    assert [s["name"] for s in _manifest(good)["schemas"]] == ["reporting"]
    _rewrite(good, good.parent / "broken.zip", change(good))
    _run_sql(pg, "UPDATE reporting.daily SET hits = 1", "CREATE TABLE reporting.later (a int)")
    before = _query(pg, "SELECT day::text, hits FROM reporting.daily ORDER BY day"), pg.table_names()
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("broken.zip")
    assert message in caught.value.message
    assert (_query(pg, "SELECT day::text, hits FROM reporting.daily ORDER BY day"), pg.table_names()) == before
    assert _query(pg, "SELECT count(*) FROM reporting.later") == [(0,)]
    # the good one restores: the schema as it was backed up (its later table gone)
    pg.app.backups.restore("good.zip")
    assert _query(pg, "SELECT hits FROM reporting.totals") == [(12,)]
    assert _query(pg, "SELECT count(*) FROM pg_class WHERE relname = 'later'") == [(0,)]


def test_large_objects_come_back_with_their_oids(role: str, pg: testapp.TestServer, pg2: testapp.TestServer) -> None:  # noqa: F811
    """A row points at a large object by oid: the restore makes each again with its oid, bytes
    (one past a read's chunk too) and grants; those the backup does not hold are unlinked."""
    from pybase.store import pg_largeobjects

    big = pg_largeobjects.CHUNK * 2 + 123
    _run_sql(
        pg, "CREATE TABLE files (name text, data oid)",
        "INSERT INTO files VALUES ('small', lo_from_bytea(0, '\\x00ff25'::bytea)), ('empty', lo_from_bytea(0, ''::bytea)), "
        f"('big', lo_from_bytea(0, convert_to(repeat('0123456789', {big // 10 + 1}), 'UTF8')))",
        f"SELECT lo_truncate(lo_open(data, 131072), {big}) FROM files WHERE name = 'big'",
    )  # fmt: skip
    oid = _query(pg, "SELECT data FROM files WHERE name = 'small'")[0][0]
    _run_sql(pg, f"GRANT SELECT ON LARGE OBJECT {oid} TO {role}")
    query = "SELECT f.name, f.data, length(lo_get(f.data)), md5(lo_get(f.data)) FROM files f ORDER BY f.name"
    before = _query(pg, query)
    assert [row[2] for row in before] == [big, 0, 3]
    archive = _back_up(pg, "large.zip")
    entries = _manifest(archive)["largeObjects"]
    assert sorted(e["size"] for e in entries) == [0, 3, big]
    _into(pg2, archive)
    _run_sql(pg2, "SELECT lo_from_bytea(0, 'not in the backup')")
    pg2.app.backups.restore(archive.name)
    assert _query(pg2, query) == before
    assert _query(pg2, "SELECT count(*) FROM pg_largeobject_metadata") == [(3,)]
    assert _query(pg2, f"SELECT lomacl::text LIKE '%{role}=r/%' FROM pg_largeobject_metadata WHERE oid = {oid}") == [(True,)]
    # a broken archive (bytes missing): nothing changes
    manifest = _manifest(archive)
    manifest["largeObjects"][0]["size"] += 1
    _rewrite(archive, archive.parent / "broken.zip", {PG_MANIFEST: orjson.dumps(manifest)})
    _into(pg2, archive.parent / "broken.zip")
    _run_sql(pg2, "DELETE FROM files WHERE name = 'small'")
    with pytest.raises(BadRequestError, match="large object"):
        pg2.app.backups.restore("broken.zip")
    assert len(_query(pg2, query)) == 2 and _query(pg2, "SELECT count(*) FROM pg_largeobject_metadata") == [(3,)]


OTHER_APP = "pybase_test_other_app"
_OTHERS = f"SELECT convert_from(lo_get(m.oid), 'UTF8') FROM pg_largeobject_metadata m WHERE m.lomowner = '{OTHER_APP}'::regrole ORDER BY 1"


def _theirs(server: testapp.TestServer, data: str, oid: int = 0) -> None:
    """A large object of another app sharing the database: made as its role's (``oid``: with it)."""
    _run_sql(server, f"DO $$ DECLARE o oid := lo_from_bytea({oid}, convert_to('{data}', 'UTF8')); BEGIN "
                     f"EXECUTE format('ALTER LARGE OBJECT %s OWNER TO {OTHER_APP}', o); END $$")  # fmt: skip


def test_a_restore_leaves_the_large_objects_of_another_role(
    databases: Any, pg: testapp.TestServer, pg2: testapp.TestServer  # noqa: F811
) -> None:
    """Another app sharing the database under a role of its own keeps its large objects: a
    backup does not carry them (its warnings say so), a restore neither unlinks them nor makes
    a backup's object over one of their oids (refused, nothing changed)."""
    databases.server.admin(f"DO $$ BEGIN CREATE ROLE {OTHER_APP} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    _run_sql(pg, "CREATE TABLE files (name text, data oid)", "INSERT INTO files VALUES ('mine', lo_from_bytea(0, 'mine'))")
    _theirs(pg, "theirs")
    query = "SELECT f.name, convert_from(lo_get(f.data), 'UTF8') FROM files f ORDER BY 1"
    archive = _back_up(pg, "shared_lo.zip")
    manifest = _manifest(archive)
    mine = _query(pg, "SELECT data FROM files")[0][0]
    assert [entry["oid"] for entry in manifest["largeObjects"]] == [mine]
    assert manifest["warnings"] == [f"not carried: 1 large object(s) of role {OTHER_APP}: not pybase's role's (another app's), "
                                    "a restore leaves them"]  # fmt: skip
    # after the backup: one more of the app's, one more of the other app's
    _run_sql(pg, "INSERT INTO files VALUES ('later', lo_from_bytea(0, 'later'))")
    _theirs(pg, "theirs later")
    pg.app.backups.restore(archive.name)
    assert _query(pg, query) == [("mine", "mine")]
    assert _query(pg, "SELECT count(*) FROM pg_largeobject_metadata m WHERE m.lomowner = current_user::regrole") == [(1,)]
    assert _query(pg, _OTHERS) == [("theirs",), ("theirs later",)]
    # a database where the other app holds the oid of one of the backup's: refused, nothing changed
    _into(pg2, archive)
    _theirs(pg2, "in the way", oid=mine)
    before = _query(pg2, "SELECT oid, lomowner FROM pg_largeobject_metadata ORDER BY 1"), pg2.table_names()
    with pytest.raises(BadRequestError, match=f"large object {mine} of this database is role {OTHER_APP}'s"):
        pg2.app.backups.restore(archive.name)
    assert (_query(pg2, "SELECT oid, lomowner FROM pg_largeobject_metadata ORDER BY 1"), pg2.table_names()) == before
    assert _query(pg2, _OTHERS) == [("in the way",)]


# the target's objects a restore carrying the schema "shared" must not take with it
TARGET_KEPT: list[tuple[str, list[str], str]] = [
    ("another pybase app in a schema of that name",
     ["CREATE SCHEMA shared", "CREATE TABLE shared._collections (id text)", "INSERT INTO shared._collections VALUES ('x')"],
     "schema shared of this database would be dropped, and it holds another pybase app"),
    ("a view of a schema the backup does not carry reading it",
     ["CREATE SCHEMA shared", "CREATE TABLE shared.daily (hits int)", "CREATE SCHEMA audit",
      "CREATE VIEW audit.hits AS SELECT hits FROM shared.daily"],
     "view audit.hits"),
    ("a column of a table of a schema the backup does not carry, of a type of it",
     ["CREATE SCHEMA shared", "CREATE TYPE shared.mood AS ENUM ('ok')", "CREATE SCHEMA audit",
      "CREATE TABLE audit.moods (m shared.mood)", "INSERT INTO audit.moods VALUES ('ok')"],
     "audit.moods"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "target", "message"), TARGET_KEPT, ids=[t[0] for t in TARGET_KEPT])
def test_a_restore_of_another_schema_keeps_what_the_target_holds_beside_it(
    pg: testapp.TestServer, pg2: testapp.TestServer, name: str, target: list[str], message: str  # noqa: F811
) -> None:
    """A restore drops the schemas the backup carries: never another app's, and never with what
    the target's other schemas hold that reads them (DROP SCHEMA ... CASCADE would take it,
    and the backup cannot give it back): refused, naming it, the target unchanged."""
    _run_sql(pg, "CREATE SCHEMA shared", "CREATE TABLE shared.daily (hits int)", "INSERT INTO shared.daily VALUES (5)")
    archive = _back_up(pg, "shared.zip")
    assert [s["name"] for s in _manifest(archive)["schemas"]] == ["shared"]
    _run_sql(pg2, *target)
    tables = "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
             "WHERE n.nspname IN ('shared', 'audit') ORDER BY 1, 2"  # fmt: skip
    columns = "SELECT attrelid::regclass::text, attname FROM pg_attribute WHERE attrelid = ANY(SELECT c.oid FROM pg_class c " \
              "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'audit') AND attnum > 0 ORDER BY 1, 2"  # fmt: skip
    before = _query(pg2, tables), _query(pg2, columns), pg2.table_names()
    _into(pg2, archive)
    with pytest.raises(BadRequestError) as caught:
        pg2.app.backups.restore(archive.name)
    assert message in caught.value.message
    assert (_query(pg2, tables), _query(pg2, columns), pg2.table_names()) == before


def test_a_schema_whose_name_needs_quotes_is_restored_and_what_reads_it_kept(
    pg: testapp.TestServer, pg2: testapp.TestServer  # noqa: F811
) -> None:
    """The checks of what a restore would drop read the catalog's quoted names: a schema named
    ``"Daily Stats"`` restores over itself, and a view of another schema reading it is kept."""
    _run_sql(pg, 'CREATE SCHEMA "Daily Stats"', 'CREATE TABLE "Daily Stats".hits (n int)', 'INSERT INTO "Daily Stats".hits VALUES (5)',
             'CREATE VIEW "Daily Stats".total AS SELECT sum(n) AS n FROM "Daily Stats".hits')  # fmt: skip
    archive = _back_up(pg, "quoted.zip")
    assert [s["name"] for s in _manifest(archive)["schemas"]] == ["Daily Stats"]
    _run_sql(pg, 'INSERT INTO "Daily Stats".hits VALUES (7)')
    pg.app.backups.restore(archive.name)
    assert _query(pg, 'SELECT n FROM "Daily Stats".total') == [(5,)]
    _run_sql(pg2, 'CREATE SCHEMA "Daily Stats"', 'CREATE TABLE "Daily Stats".hits (n int)', 'CREATE SCHEMA "Audit"',
             'CREATE VIEW "Audit".hits AS SELECT n FROM "Daily Stats".hits')  # fmt: skip
    _into(pg2, archive)
    with pytest.raises(BadRequestError) as caught:
        pg2.app.backups.restore(archive.name)
    assert 'view "Audit".hits' in caught.value.message
    assert _query(pg2, 'SELECT count(*) FROM "Audit".hits') == [(0,)]


def test_a_schema_of_types_alone_is_carried(pg: testapp.TestServer, pg2: testapp.TestServer) -> None:  # noqa: F811
    """A schema holding only types (an enum, a domain) that pybase's schema's tables use is
    carried: it was neither carried nor named, and the backup failed to restore into a fresh
    database (schema "kinds" does not exist)."""
    _run_sql(pg, "CREATE SCHEMA kinds", "CREATE TYPE kinds.mood AS ENUM ('ok', 'bad')",
             "CREATE DOMAIN kinds.small AS int CHECK (VALUE < 10)", "CREATE TABLE kept (m kinds.mood, s kinds.small, t text)",
             "INSERT INTO kept VALUES ('ok', 3, 'x')")  # fmt: skip
    archive = _back_up(pg, "types.zip")
    manifest = _manifest(archive)
    assert [s["name"] for s in manifest["schemas"]] == ["kinds"] and manifest["warnings"] == []
    _into(pg2, archive)
    pg2.app.backups.restore(archive.name)
    assert _query(pg2, "SELECT m::text, s, t FROM kept") == [("ok", 3, "x")]
    with pytest.raises(psycopg.Error, match="violates check constraint"):
        _query(pg2, "INSERT INTO kept (s) VALUES (11)")
    pg.app.backups.restore(archive.name)  # over itself
    assert _query(pg, "SELECT m::text, s, t FROM kept") == [("ok", 3, "x")]
