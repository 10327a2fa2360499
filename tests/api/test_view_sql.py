"""View queries written for SQLite read alike on both databases: a truth the query selects is
SQLite's 0/1 (Postgres's booleans would read true/false), and columns of one name are named
apart as SQLite names them (``title:1``), which PocketBase then refuses as a field name.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import testapp
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

pytestmark = pytest.mark.both_backends


def _su(server: testapp.TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def _view(server: testapp.TestServer, name: str, query: str) -> Any:
    return server.request("POST", "/api/collections", headers=_su(server), json={"name": name, "type": "view", "viewQuery": query})


def test_a_truth_selected_by_a_view_reads_as_a_number(server: testapp.TestServer) -> None:
    query = ("SELECT id, (views > 100) AS popular, (title = 'First post') AS first, (NOT published) AS hidden, "
             "(views BETWEEN 1 AND 100) AS some, published FROM posts")  # fmt: skip
    resp = _view(server, "truths", query)
    assert resp.status_code == 200, resp.text
    types = {f["name"]: f["type"] for f in resp.json()["fields"]}
    assert types == {"id": "text", "popular": "json", "first": "json", "hidden": "json", "some": "json", "published": "bool"}
    items = server.request("GET", "/api/collections/truths/records?sort=id&perPage=50", headers=_su(server)).json()["items"]
    got = {item["id"]: (item["popular"], item["first"], item["hidden"], item["some"], item["published"]) for item in items}
    assert got == {
        POST1_ID: (0, 1, 0, 1, True),
        POST2_ID: (1, 0, 0, 0, True),
        POST3_ID: (0, 0, 1, 0, False),
    }


@pytest.mark.parametrize(("query", "field", "position"), [
    ("SELECT id, title, title FROM posts", "title:1", 2),
    ("SELECT id, title AS t, status AS T FROM posts", "T:1", 2),
    ("SELECT p.id, p.title, c.id FROM posts p JOIN posts c ON c.id = p.id", "id:1", 2),
])  # fmt: skip
def test_columns_of_one_name_are_named_apart_as_in_sqlite(server: testapp.TestServer, query: str, field: str, position: int) -> None:
    resp = _view(server, "dupes", query)
    assert resp.status_code == 400
    assert resp.json()["data"] == {
        "fields": {str(position): {"name": {"code": "validation_match_invalid", "message": "Must be in a valid format."}}},
        "viewQuery": {"code": "validation_invalid_view_query",
                      "message": f'Invalid query - invalid field "{field}" ({position}): name: must be in a valid format.'},
    }  # fmt: skip
    assert "dupes" not in server.table_names()


def test_names_in_another_case_than_the_tables_mean_the_same(server: testapp.TestServer) -> None:
    """SQLite's names ignore case (Postgres's quoted ones do not): a view spelt loosely works on both."""
    resp = _view(server, "loose", "SELECT P.id, TITLE AS t, P.Views, p.PUBLISHED AS pub FROM POSTS P WHERE p.Status != ''")
    assert resp.status_code == 200, resp.text
    assert [(f["name"], f["type"]) for f in resp.json()["fields"]] == [
        ("id", "text"), ("t", "json"), ("Views", "json"), ("pub", "json")]  # as PocketBase types them
    items = server.request("GET", "/api/collections/loose/records?sort=t", headers=_su(server)).json()["items"]
    assert [(item["id"], item["t"], item["Views"], item["pub"]) for item in items] == [
        (POST1_ID, "First post", 10, 1), (POST2_ID, "Second post", 600, 1)]  # fmt: skip


# (query, the fields PocketBase 0.40.6 gives the view, or the name it refuses as a field name);
# SQLite names a column shown without a name after its text as written (TRUE/FALSE: columnN)
UNNAMED = [
    ("SELECT id, 5 FROM posts", [("id", "text"), ("5", "json")]),
    ("SELECT DISTINCT id, 7 FROM posts", [("id", "text"), ("7", "json")]),
    ("SELECT id, TRUE FROM posts", [("id", "text"), ("column2", "json")]),
    ("SELECT id, NULL FROM posts", [("id", "text"), ("NULL", "json")]),
    ("SELECT id, (views) FROM posts", [("id", "text"), ("views", "json")]),
    ("SELECT id, posts.views FROM posts", [("id", "text"), ("views", "number")]),
    ("SELECT id, views+0 FROM posts", "views+0"),
    ("SELECT id, abs(views) FROM posts", "abs(views)"),
    ("SELECT id, (views > 1) FROM posts", "(views > 1)"),
    ("SELECT id, -1 FROM posts", "-1"),
    ("SELECT id, x'41' FROM posts", "x'41'"),
    ("SELECT id, lower( title ) FROM posts", "lower( title )"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), UNNAMED, ids=[query for query, _ in UNNAMED])
def test_unnamed_columns_are_named_as_in_sqlite(server: testapp.TestServer, query: str, expected: Any) -> None:
    """Postgres would name them ``?column?`` or after the function called (``abs``)."""
    resp = _view(server, "unnamed", query)
    if isinstance(expected, list):
        assert resp.status_code == 200, resp.text
        assert [(f["name"], f["type"]) for f in resp.json()["fields"]] == expected
        items = server.request("GET", "/api/collections/unnamed/records?sort=id", headers=_su(server)).json()["items"]
        assert len(items) == 3 and all(expected[1][0] in item for item in items)
        return
    assert resp.status_code == 400
    assert resp.json()["data"]["viewQuery"]["message"] == (
        f'Invalid query - invalid field "{expected}" (1): name: must be in a valid format.')


def test_a_truth_in_a_union_reads_as_a_number(server: testapp.TestServer) -> None:
    """Each SELECT of a UNION shows SQLite's 0/1 (Postgres would not unite a boolean with a number)."""
    su = _su(server)
    resp = _view(server, "united", "SELECT id, published FROM posts WHERE views > 5 "
                                   "UNION ALL SELECT id||'x', views>1 FROM posts WHERE views <= 5")  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert [(f["name"], f["type"]) for f in resp.json()["fields"]] == [("id", "text"), ("published", "json")]
    items = server.request("GET", "/api/collections/united/records?sort=id", headers=su).json()["items"]
    assert [(item["id"], item["published"]) for item in items] == [(POST1_ID, 1), (POST2_ID, 1), (POST3_ID + "x", 0)]
    resp = _view(server, "nested", "SELECT id, big FROM (SELECT id, (views > 100) AS big FROM posts "
                                   "UNION ALL SELECT (id || 'x') AS id, views AS big FROM posts)")  # fmt: skip
    assert resp.status_code == 200, resp.text
    items = server.request("GET", "/api/collections/nested/records?sort=id&perPage=10", headers=su).json()["items"]
    assert [(item["id"], item["big"]) for item in items] == [
        (POST1_ID, 0), (POST1_ID + "x", 10), (POST2_ID, 1), (POST2_ID + "x", 600), (POST3_ID, 0), (POST3_ID + "x", 0)]


# (filter or sort of a view's json field computed from a number or a text, the ids PocketBase lists)
COMPUTED = [
    ("filter=d=20", [POST1_ID]), ("filter=d>100", [POST2_ID]), ("filter=d='20'", []), ("filter=d~'20'", [POST1_ID, POST2_ID]),
    ("filter=d=null", []), ("filter=d.x=1", []), ("filter=low='first post'", [POST1_ID]), ("filter=low~'post'", [POST1_ID, POST2_ID, POST3_ID]),
    ("sort=-d", [POST2_ID, POST1_ID, POST3_ID]), ("sort=low", [POST1_ID, POST2_ID, POST3_ID]),
    ("filter=d>=0%26%26low!=''&sort=d", [POST3_ID, POST1_ID, POST2_ID]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "ids"), COMPUTED, ids=[query for query, _ in COMPUTED])
def test_filters_on_a_computed_json_field(server: testapp.TestServer, query: str, ids: list[str]) -> None:
    """A view's json field over ``views * 2`` or ``lower(title)`` filters and sorts as on SQLite
    (Postgres answered 400: the filter read a number column as JSON)."""
    resp = _view(server, "computed", "SELECT id, (views * 2) AS d, lower(title) AS low FROM posts")
    assert resp.status_code == 200, resp.text
    listed = server.request("GET", f"/api/collections/computed/records?{query}", headers=_su(server))
    assert listed.status_code == 200, listed.text
    got = [item["id"] for item in listed.json()["items"]]
    assert got == ids if "sort" in query else sorted(got) == sorted(ids)


@pytest.mark.postgres_only("on SQLite the view is created as in PocketBase")
def test_zeroblob_in_a_view_is_refused_on_postgres(server: testapp.TestServer, backend: str) -> None:
    """PocketBase cannot answer such a view (its list is an empty 200); Postgres refuses it, naming why."""
    resp = _view(server, "blobs", "SELECT id, zeroblob(2) AS z FROM posts")
    assert resp.status_code == 400
    assert resp.json()["data"]["viewQuery"] == {
        "code": "validation_invalid_view_query",
        "message": "Invalid query - zeroblob() is not supported in a view on Postgres: a view's field cannot hold a BLOB of zero bytes."}


# (query testing a value as a truth, the records PocketBase 0.40.6 lists: id -> the value shown)
TESTED = [
    ("SELECT id FROM posts WHERE views", {POST1_ID: None, POST2_ID: None}),
    ("SELECT id FROM posts WHERE NOT views AND 1", {POST3_ID: None}),
    ("SELECT id FROM posts WHERE title", {}),
    ("SELECT id FROM posts WHERE published OR views < 0", {POST1_ID: None, POST2_ID: None}),
    ("SELECT id, iif(views, 1, 0) AS v FROM posts", {POST1_ID: 1, POST2_ID: 1, POST3_ID: 0}),
    ("SELECT id, (CASE WHEN views THEN 'y' ELSE 'n' END) AS v FROM posts", {POST1_ID: "y", POST2_ID: "y", POST3_ID: "n"}),
    ("SELECT id, (views AND published) AS v FROM posts", {POST1_ID: 1, POST2_ID: 1, POST3_ID: 0}),
    ("SELECT a.id FROM posts a JOIN posts b ON a.views AND a.id = b.id", {POST1_ID: None, POST2_ID: None}),
    ("SELECT id, count(*) AS v FROM posts GROUP BY id HAVING count(*) AND views", {POST1_ID: 1, POST2_ID: 1}),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), TESTED, ids=[query for query, _ in TESTED])
def test_values_tested_as_truths(server: testapp.TestServer, query: str, expected: dict[str, Any]) -> None:
    """SQLite tests any value as a truth (a number not 0, a text whose leading number is not 0);
    Postgres wants booleans there (pb_truthy)."""
    resp = _view(server, "tested", query)
    assert resp.status_code == 200, resp.text
    items = server.request("GET", "/api/collections/tested/records?sort=id", headers=_su(server)).json()["items"]
    assert {item["id"]: item.get("v") for item in items} == expected


@pytest.mark.postgres_only("the SQL values a view holds beside its texts are Postgres's")
def test_a_views_held_values_are_none_of_its_columns(server: testapp.TestServer, backend: str) -> None:
    """A view's column of a value read from JSON holds its SQL value beside its text, in a hidden
    column (pybase.store.view_held) a view reading it reads (typeof() 'integer', not 'text'):
    neither a field of the view's nor a column tableInfo lists."""
    from pybase.store.dialect import dialect_of

    assert _view(server, "held_inner", "SELECT id, json_extract(meta, '$.k') AS Kay FROM posts").status_code == 200
    resp = _view(server, "held_outer", "SELECT id, typeof(Kay) AS c FROM held_inner")
    assert resp.status_code == 200, resp.text
    assert [f["name"] for f in resp.json()["fields"]] == ["id", "c"]
    items = server.request("GET", "/api/collections/held_outer/records?sort=id", headers=_su(server)).json()["items"]
    assert [(item["id"], item["c"]) for item in items] == [(POST1_ID, "integer"), (POST2_ID, None), (POST3_ID, None)]
    fields = server.request("GET", "/api/collections/held_inner", headers=_su(server)).json()["fields"]
    assert [f["name"] for f in fields] == ["id", "Kay"]
    with server.app.db.read() as conn:
        columns = list(conn.exec_driver_sql('SELECT * FROM "held_inner" LIMIT 0').keys())
        listed = [column["name"] for column in dialect_of(conn).table_info(conn, "held_inner")]
    assert (columns, listed) == (["id", "Kay", "pb$held$Kay"], ["id", "Kay"])


# (query, the records' shown values by id order, or the refusal's message): SQLite reads a
# double-quoted word that names no column nor alias as the text it holds, a habit many SQLite
# users have; pybase on Postgres reads it so too. A backtick or bracket word stays a name. Every
# character past ASCII is part of a name to SQLite's tokenizer; its parser's refusals keep its
# words. (The SQLite run is SQLite's own reading: the Postgres run answers alike.)
SQLITE_READING = [
    ('SELECT id, title AS t FROM posts WHERE status = "draft"', [{"t": "Second post"}]),
    # NOTE: "published" is also a column of posts (a bool): a name then, as on SQLite
    ('SELECT id, title AS t FROM posts WHERE status = "published"', []),
    ('SELECT id, "abc" AS t FROM posts WHERE views > 5', [{"t": "abc"}, {"t": "abc"}]),
    ('SELECT id, "abc" FROM posts WHERE views > 500', [{"abc": "abc"}]),
    ('SELECT id, "a b" AS t FROM posts WHERE "x" = "x" AND views = 10', [{"t": "a b"}]),
    ('SELECT id, "" AS t FROM posts WHERE views = 10', [{"t": ""}]),
    ('SELECT id, "Title" AS t, "VIEWS" AS v FROM posts WHERE status IN ("draft", "archived")', [{"t": "Second post", "v": 600}]),
    ('SELECT id, title AS t FROM posts WHERE status = "draft" ORDER BY "t"', [{"t": "Second post"}]),
    ('SELECT id, json_extract(\'{"a": 3}\', "$.a") AS t FROM posts WHERE views = 0', [{"t": 3}]),
    ('SELECT p.id, "p" AS t FROM posts p WHERE p.views = 0', [{"t": "p"}]),
    ('SELECT id, (SELECT "inner" FROM posts LIMIT 1) AS t FROM posts WHERE views = 0', [{"t": "inner"}]),
    ("SELECT id, `abc` AS t FROM posts", "no such column: abc"),
    ("SELECT id, [abc] AS t FROM posts", "no such column: abc"),
    ("SELECT id, `` AS t FROM posts", "no such column:  (1)"),
    ('SELECT id, posts."abc" AS t FROM posts', "no such column: posts.abc"),
    ("SELECT id,\u00a0title FROM posts", "no such column: \u00a0title"),
    # NOTE: one name, title\u0085FROM, then the alias posts: no FROM, so no id
    ("SELECT id, title\u0085FROM posts", "no such column: id"),
    ("SELECT id, 'caf\u00e9\u00a0x' AS t FROM posts WHERE views = 0", [{"t": "caf\u00e9\u00a0x"}]),
    ("SELECT id, \\(1) AS t FROM posts", 'unrecognized token: "\\"'),
    ("SELECT id, (1) AS t FROM posts WHERE", 'near ")": syntax error'),
    ("SELECT id, 1 AS FROM posts", 'near "FROM": syntax error'),
    ("DELETE FROM posts", 'near "DELETE": syntax error'),
    # NOTE: pybase's own check of a query (raw_select), before either database reads it
    ("SELECT id, 'a AS t FROM posts", "unbalanced parenthesis or quoted expression"),
]


@pytest.mark.parametrize(("query", "expected"), SQLITE_READING, ids=[q for q, _ in SQLITE_READING])
def test_a_view_reads_words_and_names_as_sqlite(server: testapp.TestServer, query: str, expected: Any) -> None:
    resp = _view(server, "quoted", query)
    if isinstance(expected, str):
        assert resp.status_code == 400, resp.text
        assert expected in resp.json()["data"]["viewQuery"]["message"]
        return
    assert resp.status_code == 200, resp.text
    shown = [f["name"] for f in resp.json()["fields"] if f["name"] != "id"]
    items = server.request("GET", "/api/collections/quoted/records?sort=id", headers=_su(server)).json()["items"]
    assert [{name: item[name] for name in shown} for item in items] == expected
