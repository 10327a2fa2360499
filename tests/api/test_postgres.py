"""What only Postgres needs checking: collection schema changes applied to real typed tables,
view queries translated from SQLite's SQL, SQLite-worded errors, and how pybase is pointed at
a Postgres database (``--db``, ``PYBASE_DATABASE_URL``).

The API suites marked ``both_backends`` cover records, filters, rules, expand, auth, batch and
logs on both databases; these are the parts whose SQL is Postgres's own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import testapp
from tests.pg import postgres_only
from tests.testapp import PASSWORD, POST1_ID, POST2_ID, POST3_ID, USER1_ID, start_server

TestServer = testapp.TestServer

pytestmark = postgres_only


@pytest.fixture
def pg_server(tmp_path: Path, databases: Any) -> Iterator[TestServer]:
    """A pybase whose data database is a fresh copy of the fixture's on Postgres."""
    template, url = databases.copy_of_fixture()
    srv = start_server(tmp_path, template, url)
    yield srv
    srv.stop()
    databases.drop(url)


def _su(server: TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def _columns(server: TestServer, table: str) -> dict[str, str]:
    rows = server.rows(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        table,
    )
    return dict(rows)


def _indexes(server: TestServer, table: str) -> dict[str, str]:
    return dict(server.rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ?", table))


def test_collections_are_typed_tables_with_their_indexes(pg_server: TestServer) -> None:
    columns = _columns(pg_server, "posts")
    assert columns["title"] == "text"
    assert columns["views"] == "double precision"
    assert columns["published"] == "boolean"
    assert columns["tags"] == columns["editors"] == columns["meta"] == columns["location"] == "jsonb"
    assert columns["author"] == "text"  # a single relation: the id as text
    assert columns["_rowid_"] == "bigint"  # insertion order (SQLite's rowid)
    indexes = _indexes(pg_server, "posts")
    assert indexes["idx_posts_title"] == "CREATE UNIQUE INDEX idx_posts_title ON public.posts USING btree (title NULLS FIRST)"
    assert indexes["idx_posts_views"] == "CREATE INDEX idx_posts_views ON public.posts USING btree (views NULLS FIRST)"


def test_fields_renamed_dropped_added_and_converted_keep_the_data(pg_server: TestServer) -> None:
    su = _su(pg_server)
    fields = pg_server.request("GET", "/api/collections/posts", headers=su).json()["fields"]
    for field in fields:
        if field["name"] == "title":
            field["name"] = "heading"
        if field["name"] == "tags":
            field["maxSelect"] = 1  # multi -> single keeps the last value, as PocketBase
        if field["name"] == "author":
            field["maxSelect"] = 3  # single -> multi wraps the value
    fields = [f for f in fields if f["name"] != "body"]
    fields.append({"name": "extra", "type": "text"})
    resp = pg_server.request(
        "PATCH", "/api/collections/posts", headers=su,
        json={"fields": fields, "indexes": ["CREATE UNIQUE INDEX idx_posts_title ON posts (heading)",
                                            "CREATE INDEX idx_posts_extra ON posts (extra)"]},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    columns = _columns(pg_server, "posts")
    assert "title" not in columns and "body" not in columns
    assert columns["heading"] == "text" and columns["extra"] == "text"
    assert columns["tags"] == "text" and columns["author"] == "jsonb"
    items = pg_server.request(
        "GET", "/api/collections/posts/records?sort=@rowid&fields=id,heading,tags,author,extra", headers=su
    ).json()["items"]
    assert items == [
        {"id": POST1_ID, "heading": "First post", "tags": "b", "author": [USER1_ID], "extra": ""},
        {"id": POST2_ID, "heading": "Second post", "tags": "c", "author": ["user2aaaaaaaaaa"], "extra": ""},
        {"id": POST3_ID, "heading": "Third post", "tags": "", "author": [], "extra": ""},
    ]
    assert set(_indexes(pg_server, "posts")) >= {"idx_posts_title", "idx_posts_extra"}


def test_sqlite_index_spellings_are_translated(pg_server: TestServer) -> None:
    resp = pg_server.request("PATCH", "/api/collections/posts", headers=_su(pg_server), json={"indexes": [
        "CREATE UNIQUE INDEX `idx_posts_title` ON `posts` (`title` COLLATE NOCASE) WHERE `title` != ''",
        "CREATE INDEX idx_posts_multi ON posts (status, views DESC)",
    ]})  # fmt: skip
    assert resp.status_code == 200, resp.text
    indexes = _indexes(pg_server, "posts")
    assert indexes["idx_posts_title"] == (
        "CREATE UNIQUE INDEX idx_posts_title ON public.posts USING btree (lower(title) NULLS FIRST) WHERE (title <> ''::text)"
    )
    assert indexes["idx_posts_multi"] == "CREATE INDEX idx_posts_multi ON public.posts USING btree (status NULLS FIRST, views DESC NULLS LAST)"
    # the case-insensitive unique index holds as SQLite's NOCASE one
    dup = pg_server.request("POST", "/api/collections/posts/records", json={"title": "FIRST POST"})
    assert dup.status_code == 400 and dup.json()["data"]["title"]["code"] == "validation_not_unique"


def test_a_renamed_collection_keeps_its_records_and_rules(pg_server: TestServer) -> None:
    su = _su(pg_server)
    assert pg_server.request("PATCH", "/api/collections/posts", headers=su, json={"name": "articles"}).status_code == 200
    resp = pg_server.request("GET", "/api/collections/articles/records?filter=title~'FIRST'")
    assert [item["id"] for item in resp.json()["items"]] == [POST1_ID]


def test_view_queries_written_for_sqlite_run_translated(pg_server: TestServer) -> None:
    su = _su(pg_server)
    query = (
        "SELECT p.id, p.title, count(c.id) AS total FROM `posts` p LEFT JOIN comments c ON c.post = p.id "
        "GROUP BY p.id, p.title"
    )
    resp = pg_server.request("POST", "/api/collections", headers=su,
                             json={"name": "totals", "type": "view", "viewQuery": query, "listRule": ""})  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert [f["name"] for f in resp.json()["fields"]] == ["id", "title", "total"]
    items = pg_server.request("GET", "/api/collections/totals/records?sort=-total,title").json()["items"]
    assert [(i["id"], i["total"]) for i in items] == [(POST1_ID, 1), (POST2_ID, 0), (POST3_ID, 0)]
    # a query Postgres refuses is reported as the view query's error
    bad = pg_server.request("POST", "/api/collections", headers=su,
                            json={"name": "bad", "type": "view", "viewQuery": "SELECT id, nope FROM posts"})  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["data"]["viewQuery"]["code"] == "validation_invalid_view_query"
    assert "nope" in bad.json()["data"]["viewQuery"]["message"]


def test_a_unique_index_over_duplicates_is_refused_in_sqlite_words(pg_server: TestServer) -> None:
    resp = pg_server.request("PATCH", "/api/collections/posts", headers=_su(pg_server),
                             json={"indexes": ["CREATE UNIQUE INDEX idx_pub ON posts (published)"]})  # fmt: skip
    assert resp.status_code == 400
    message = resp.json()["data"]["indexes"]["0"]["message"]
    assert message == "Failed to create index idx_pub - constraint failed: UNIQUE constraint failed: posts.published (2067)."


def test_deleting_collections_drops_their_tables(pg_server: TestServer) -> None:
    su = _su(pg_server)
    assert pg_server.request("DELETE", "/api/collections/comments", headers=su).status_code == 204
    assert pg_server.rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'comments'") == [(0,)]


def test_settings_and_superusers_live_in_postgres(pg_server: TestServer) -> None:
    su = _su(pg_server)
    resp = pg_server.request("PATCH", "/api/settings", headers=su, json={"meta": {"appName": "On Postgres"}})
    assert resp.status_code == 200, resp.text
    stored = pg_server.rows("SELECT value FROM _params WHERE id = 'settings'")[0][0]
    assert "On Postgres" in stored
    auth = pg_server.request("POST", "/api/collections/_superusers/auth-with-password",
                             json={"identity": "admin@example.com", "password": PASSWORD})  # fmt: skip
    assert auth.status_code == 200
    assert not (Path(pg_server.app.data_dir) / "data.db").exists() or pg_server.app.database_url


def test_the_database_url_comes_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pybase.cli import _config, build_parser

    monkeypatch.setenv("PYBASE_DATABASE_URL", "postgres://u:p@127.0.0.1:5/from_env")
    parser = build_parser()
    assert _config(parser.parse_args(["serve"]), None).database_url.endswith("/from_env")
    flagged = _config(parser.parse_args(["serve", "--db", "postgres://u:p@127.0.0.1:5/from_flag"]), None)
    assert flagged.database_url.endswith("/from_flag")


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path, databases: Any) -> None:
    port = databases.server.port
    result = subprocess.run(
        [sys.executable, "-m", "pybase", "serve", "--dir", str(tmp_path / "pb_data"), "--http", "127.0.0.1:0",
         "--db", f"postgres://pybase:wrong-password@127.0.0.1:{port}/postgres"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "cannot open the database postgres://pybase:***@127.0.0.1" in result.stderr
    assert "wrong-password" not in result.stderr


def test_query_timeout_is_the_statement_timeout_of_reads(pg_server: TestServer) -> None:
    from sqlalchemy.exc import DBAPIError

    from pybase.store import statement_limit
    from pybase.store.db_postgres import PostgresDatabase

    with pg_server.app.db.read() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"
    db = PostgresDatabase(pg_server.app.database_url, statement_seconds=0.2)
    try:
        with pytest.raises(DBAPIError) as caught, db.read() as conn:
            conn.exec_driver_sql("SELECT pg_sleep(5)")
        # NOTE: answered as SQLite's interrupted statements are (a 400, not a 500)
        assert statement_limit.is_interrupted(caught.value)
    finally:
        db.close()


JS_ON_POSTGRES = """
routerAdd("GET", "/pg-js", (e) => {
  const one = $app.db()
    .newQuery("SELECT id, title, views, published FROM posts WHERE id = {:id}")
    .bind({ id: "post1aaaaaaaaaa" })
    .one(new DynamicModel({ id: "", title: "", views: 0, published: false }));
  const quoted = $app.db().newQuery("SELECT [[title]] AS t FROM {{posts}} ORDER BY [[title]] LIMIT 1").one({});
  const res = $app.db().newQuery("UPDATE posts SET views = views + {:n} WHERE views < 100").bind({ n: 1 }).execute();
  const found = $app.findAllRecords("posts", $dbx.hashExp({ published: true }));
  e.json(200, {
    one: one, quoted: quoted, affected: res.rowsAffected(), found: found.map((r) => r.id).sort(),
    hasPosts: $app.hasTable("POSTS"), hasNope: $app.hasTable("nope"),
    columns: $app.tableColumns("locked"), indexes: Object.keys($app.tableIndexes("posts")).sort(),
  });
});
"""


def test_js_hooks_query_postgres(tmp_path: Path, databases: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.jsvm.conftest import start_hooks_server

    template, url = databases.copy_of_fixture()
    monkeypatch.setenv("PYBASE_DATABASE_URL", url)
    srv = start_hooks_server(tmp_path, template, {"pg.pb.js": JS_ON_POSTGRES})
    try:
        resp = srv.request("GET", "/pg-js")
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "one": {"id": POST1_ID, "title": "First post", "views": 10, "published": True},
            "quoted": {"t": "First post"},
            "affected": 2,
            "found": [POST1_ID, POST2_ID],
            "hasPosts": True,
            "hasNope": False,
            "columns": ["id", "title"],
            "indexes": ["idx_posts_title", "idx_posts_views"],
        }
    finally:
        srv.stop()
        databases.drop(url)


def test_the_sql_helpers_are_made_again_only_when_they_changed(tmp_path: Path, databases: Any) -> None:
    """A start makes pybase's ~250 SQL functions again only when the database's differ from its
    own (their digest is what pb_helpers_digest() answers): a start of every node no longer
    rewrites them all; a database an older pybase (or a hand) changed gets them back."""
    template, url = databases.copy_of_fixture()
    first = start_server(tmp_path / "a", template, url)
    mark = "SELECT pb_helpers_digest()"
    digest = first.rows(mark)[0][0]
    made = "SELECT xmin::text FROM pg_proc WHERE proname = 'pb_num'"
    written = first.rows(made)
    first.stop()
    again = start_server(tmp_path / "b", template, url)
    assert again.rows(made) == written  # NOTE: not made again (a new row version has a new xmin)
    again.stop()
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE FUNCTION pb_helpers_digest() RETURNS text LANGUAGE sql AS $$SELECT 'older'$$")
        conn.execute("DROP FUNCTION pb_num(text) CASCADE")
    third = start_server(tmp_path / "c", template, url)
    try:
        assert third.rows(mark)[0][0] == digest
        assert third.rows(made) and third.rows(made) != written
    finally:
        third.stop()
        databases.drop(url)
