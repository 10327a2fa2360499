"""View collections' Postgres views made by an older pybase (its translation of their SQLite
queries) are made again as the running pybase writes them when it starts, without the
collections being saved again; a view already as it should be is left alone, and a second
start changes nothing (pybase/store/pg_views.py).

Each case is a view collection created through the API, whose Postgres view is then replaced
by hand, while no pybase runs, with SQL an older translation made (a truth as Postgres's
boolean, a json field left a number, a column named as Postgres names it), or left as it is
but without its mark. A plain view made with SQL reads one of them: it is carried along.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.pg import postgres_only
from tests.testapp import POST1_ID, POST2_ID, POST3_ID, start_server

pytestmark = postgres_only

# (view collection, its query, the SQL of its view as an older pybase made it; None: the view
# is as this pybase makes it, only its mark is gone), dependencies after what they read
VIEWS = [
    ("v_truth", "SELECT id, (views > 100) AS big, (views * 2) AS d FROM posts",
     'SELECT "id", ("views" > 100) AS "big", ("views" * 2) AS "d" FROM "posts"'),
    ("v_json", "SELECT id, (title || '!') AS t, meta FROM posts",
     'SELECT "id", ("title" || \'!\') AS "t", "meta" FROM "posts"'),
    ("v_reads", "SELECT id, big, d FROM v_truth WHERE id <> 'post3aaaaaaaaaa'",
     'SELECT "id", "big", "d" FROM "v_truth" WHERE "id" <> \'post3aaaaaaaaaa\''),
    ("v_same", "SELECT id, title FROM posts", None),
    # NOTE: a number as id: the view is made of the query with its id cast to text
    ("v_rownum", "SELECT (ROW_NUMBER() OVER (ORDER BY title)) AS id, title FROM posts", None),
    # NOTE: a value read from JSON, its SQL value not held beside (view_held), read by another
    # view: made again after it, once it holds it (the reader's new body reads it)
    ("v_json_read", "SELECT id, json_extract(meta, '$.k') AS k FROM posts",
     'SELECT "id", CAST("meta" ->> \'k\' AS varchar) AS "k" FROM "posts"'),
    ("v_json_class", "SELECT id, typeof(k) AS c FROM v_json_read",
     'SELECT "id", CAST(\'text\' AS varchar) AS "c" FROM "v_json_read"'),
]  # fmt: skip
# what each view collection lists (sorted by id), on the fixture's posts
LISTED = {
    "v_truth": [(POST1_ID, 0, 20), (POST2_ID, 1, 1200), (POST3_ID, 0, 0)],
    "v_json": [(POST1_ID, "First post!", {"k": 1}), (POST2_ID, "Second post!", None), (POST3_ID, "Third post!", None)],
    "v_reads": [(POST1_ID, 0, 20), (POST2_ID, 1, 1200)],
    "v_same": [(POST1_ID, "First post"), (POST2_ID, "Second post"), (POST3_ID, "Third post")],
    "v_rownum": [("1", "First post"), ("2", "Second post"), ("3", "Third post")],
    "v_json_read": [(POST1_ID, 1), (POST2_ID, None), (POST3_ID, None)],
    "v_json_class": [(POST1_ID, "integer"), (POST2_ID, None), (POST3_ID, None)],
}
# the view made with SQL (not a collection's) that reads a stale view
PLAIN = ("plain_reader", 'SELECT "id", "big" FROM "v_truth"')


def _sql(url: str, *statements: str) -> list[Any]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        out = []
        for statement in statements:
            cursor = conn.execute(statement)
            out.append(cursor.fetchall() if cursor.description else None)
        return out


def _state(url: str) -> dict[str, tuple[int, str | None]]:
    """Each view's oid and comment."""
    rows = _sql(url, "SELECT c.relname, c.oid::int, obj_description(c.oid, 'pg_class') FROM pg_class c "
                     "WHERE c.relkind = 'v' AND c.relnamespace = current_schema()::regnamespace")[0]  # fmt: skip
    return {name: (oid, comment) for name, oid, comment in rows}


def _listed(server: Any, name: str) -> list[tuple[Any, ...]]:
    su = {"Authorization": server.token("superuser")}
    resp = server.request("GET", f"/api/collections/{name}/records?sort=id&perPage=50", headers=su)
    assert resp.status_code == 200, (name, resp.text)
    fields = [f["name"] for f in server.request("GET", f"/api/collections/{name}", headers=su).json()["fields"]]
    return [tuple(item[f] for f in fields) for item in resp.json()["items"]]


def test_views_made_by_an_older_pybase_are_made_again_at_start(tmp_path: Path, databases: Any) -> None:
    template, url = databases.copy_of_fixture()
    server = start_server(tmp_path / "first", template, url)
    try:
        su = {"Authorization": server.token("superuser")}
        for name, query, _old in VIEWS:
            resp = server.request("POST", "/api/collections", headers=su, json={"name": name, "type": "view", "viewQuery": query})
            assert resp.status_code == 200, resp.text
        assert {name: _listed(server, name) for name, _q, _o in VIEWS} == LISTED
        data_dir = Path(server.app.data_dir)
    finally:
        server.stop()
    made = _state(url)
    # NOTE: as an older pybase left them: its SQL, no mark
    stale = [name for name, _q, old in VIEWS if old is not None]
    _sql(url, f"DROP VIEW {', '.join(stale)} CASCADE",
         *[f'CREATE VIEW "{name}" AS {old}' for name, _q, old in VIEWS if old is not None],
         'COMMENT ON VIEW "v_same" IS NULL', 'COMMENT ON VIEW "v_rownum" IS NULL', f'CREATE VIEW "{PLAIN[0]}" AS {PLAIN[1]}')  # fmt: skip
    assert _sql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'v_truth' AND column_name = 'big'")[0] == [
        ("boolean",)]  # fmt: skip

    server = start_server(tmp_path / "second", data_dir, url)
    try:
        assert {name: _listed(server, name) for name, _q, _o in VIEWS} == LISTED
    finally:
        server.stop()
    after = _state(url)
    assert _sql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'v_truth' AND column_name = 'big'")[0] == [
        ("jsonb",)]  # fmt: skip (a json field: 0/1 as jsonb)
    for name, _q, old in VIEWS:
        assert after[name][1] == made[name][1], name  # marked as a save marks it
        assert (after[name][0] == made[name][0]) == (old is None), name  # v_same, v_rownum are not made again
    assert _sql(url, f'SELECT * FROM "{PLAIN[0]}" ORDER BY 1')[0] == [(POST1_ID, 0), (POST2_ID, 1), (POST3_ID, 0)]

    server = start_server(tmp_path / "third", data_dir, url)
    server.stop()
    assert _state(url) == after  # nothing made again: every view is as this pybase writes it
    databases.drop(url)


def _first_view_saved(tmp_path: Path, databases: Any) -> tuple[str, Path]:
    """A database whose first view collection (VIEWS[0]) was saved by a server now stopped:
    its URL and the server's data dir."""
    template, url = databases.copy_of_fixture()
    server = start_server(tmp_path / "first", template, url)
    try:
        su = {"Authorization": server.token("superuser")}
        name, query, _old = VIEWS[0]
        resp = server.request("POST", "/api/collections", headers=su, json={"name": name, "type": "view", "viewQuery": query})
        assert resp.status_code == 200, resp.text
        return url, Path(server.app.data_dir)
    finally:
        server.stop()


@pytest.mark.parametrize("reader", ["materialized"])
def test_a_stale_view_a_materialized_view_reads_is_kept(tmp_path: Path, databases: Any, reader: str) -> None:
    """A materialized view's rows would have to be computed again: the stale view stays (logged)."""
    url, data_dir = _first_view_saved(tmp_path, databases)
    name, _query, old = VIEWS[0]
    _sql(url, f'DROP VIEW "{name}"', f'CREATE VIEW "{name}" AS {old}', f'CREATE MATERIALIZED VIEW "m_reader" AS {PLAIN[1]}')
    before = _state(url)
    server = start_server(tmp_path / "second", data_dir, url)
    try:
        assert server.request("GET", "/api/health").status_code == 200
    finally:
        server.stop()
    assert _state(url) == before
    databases.drop(url)


# what a view made with SQL that reads a stale view has besides its query (each must survive
# the stale view being made again): the SQL making it, and a query reading it back
CARRIED_EXTRAS = [
    ("options", "ALTER VIEW plain_reader SET (security_barrier = true)",
     "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'plain_reader'", [("security_barrier=true",)]),
    ("comment", "COMMENT ON VIEW plain_reader IS 'read by reports'",
     "SELECT obj_description('plain_reader'::regclass, 'pg_class')", [("read by reports",)]),
    ("column comment", "COMMENT ON COLUMN plain_reader.big IS 'over 100'",
     "SELECT col_description('plain_reader'::regclass, 2)", [("over 100",)]),
    ("grant", "GRANT SELECT ON plain_reader TO PUBLIC",
     "SELECT has_table_privilege('public', 'plain_reader', 'SELECT')", [(True,)]),
    ("column default", "ALTER VIEW plain_reader ALTER COLUMN id SET DEFAULT 'none'",
     "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = 'plain_reader'::regclass", [("'none'::text",)]),
    ("trigger", "CREATE FUNCTION plain_reader_write() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; "
     "CREATE TRIGGER plain_reader_insert INSTEAD OF INSERT ON plain_reader FOR EACH ROW EXECUTE FUNCTION plain_reader_write()",
     "SELECT tgname FROM pg_trigger WHERE tgrelid = 'plain_reader'::regclass", [("plain_reader_insert",)]),
    ("rule", "CREATE RULE plain_reader_delete AS ON DELETE TO plain_reader DO INSTEAD NOTHING",
     "SELECT rulename FROM pg_rewrite WHERE ev_class = 'plain_reader'::regclass AND rulename <> '_RETURN'",
     [("plain_reader_delete",)]),
]  # fmt: skip


def test_a_view_made_with_sql_carried_along_keeps_what_it_had(tmp_path: Path, databases: Any) -> None:
    """Options, comments, grants, column defaults, triggers and rules of a view made with SQL
    that reads a stale view are still there once it is made again (were dropped silently);
    what names a column the new translation no longer has is left behind (logged), alone."""
    url, data_dir = _first_view_saved(tmp_path, databases)
    name, _query, old = VIEWS[0]
    # NOTE: the stale view has a column the new one has not, commented
    old = old.replace(' FROM "posts"', ', 1 AS "legacy" FROM "posts"')
    _sql(url, f'DROP VIEW "{name}"', f'CREATE VIEW "{name}" AS {old}', f'COMMENT ON COLUMN "{name}".legacy IS \'gone\'',
         f'CREATE VIEW "{PLAIN[0]}" AS {PLAIN[1]}', *[sql for _label, sql, _check, _want in CARRIED_EXTRAS])  # fmt: skip
    before = _state(url)
    server = start_server(tmp_path / "second", data_dir, url)
    server.stop()
    after = _state(url)
    assert after[name][0] != before[name][0] and after[PLAIN[0]][0] != before[PLAIN[0]][0]  # both made again
    got = {label: _sql(url, check)[0] for label, _sql_text, check, _want in CARRIED_EXTRAS}
    assert got == {label: want for label, _sql_text, _check, want in CARRIED_EXTRAS}
    databases.drop(url)
