"""Schema changes through ``PATCH /api/collections/{id}``: every change keeps the data of the remaining fields.

Each scenario changes the fixture's ``posts`` (or ``comments``) collection, then checks the records through
the API and the table, its columns and its indexes straight from the database (SQLite's declared types and
index SQL; on Postgres the column types and index definitions Postgres reports, see ``PG_COLUMNS``).
"""

from __future__ import annotations

import pytest

from tests.scenarios import Scenario, run
from tests.testapp import COMMENT1_ID, POST1_ID, POST2_ID, POST3_ID, USER1_ID, USER2_ID

pytestmark = pytest.mark.both_backends

SU = {"Authorization": "SUPERUSER"}
UPDATE_FAILED = '"message":"Failed to update collection."'
# column -> value for the fixture posts, as stored (JSON columns as text)
POST_ROWS = {
    POST1_ID: {"title": "First post", "views": 10, "published": 1, "status": "published", "tags": '["a","b"]', "author": USER1_ID,
               "editors": f'["{USER1_ID}","{USER2_ID}"]', "meta": '{"k":1}', "secret": "s1"},
    POST2_ID: {"title": "Second post", "views": 600, "published": 1, "status": "draft", "tags": '["c"]', "author": USER2_ID,
               "editors": "[]", "meta": None, "secret": ""},
    POST3_ID: {"title": "Third post", "views": 0, "published": 0, "status": "", "tags": "[]", "author": "", "editors": "[]",
               "meta": None, "secret": ""},
}


# SQLite's (declared type, notnull, default) of a column -> what Postgres reports for it
PG_COLUMNS = {
    ("NUMERIC", 1, "0"): ("DOUBLE PRECISION", 1, "0"),
    ("JSON", 1, "'[]'"): ("JSONB", 1, "'[]'::jsonb"),
    ("TEXT", 1, "''"): ("TEXT", 1, "''::text"),
}
PG_TYPES = {"NUMERIC": "DOUBLE PRECISION", "JSON": "JSONB"}


def rows(server, sql: str, *params):
    return server.rows(sql, *params)


def columns(server, table: str) -> dict[str, tuple[str, int, str | None]]:
    """Column name -> (declared type, notnull, default), in table order; on Postgres in SQLite's
    terms where ``PG_COLUMNS`` knows Postgres's."""
    with server.app.db.read() as conn:
        info = server.app.db.dialect.table_info(conn, table)
    found = {c["name"]: (c["type"], int(c["notNull"]), c["defaultValue"]) for c in info}
    if server.app.database_url:
        back = {pg: sqlite for sqlite, pg in PG_COLUMNS.items()}
        types = {pg: sqlite for sqlite, pg in PG_TYPES.items()}
        found = {name: back.get(col, (types.get(col[0], col[0]), *col[1:])) for name, col in found.items()}
    return found


def index_sql(server, table: str) -> dict[str, str]:
    return server.index_sql(table)


def stored(server, table: str, renamed: dict[str, str] | None = None, dropped: tuple[str, ...] = (), changed: dict | None = None):
    """Check every fixture post still has its values (under new column names, minus dropped ones)."""
    renamed = renamed or {}
    for record_id, values in POST_ROWS.items():
        expected = {renamed.get(k, k): v for k, v in values.items() if k not in dropped}
        expected.update((changed or {}).get(record_id, {}))
        names = ", ".join(f"`{k}`" for k in expected)
        found = rows(server, f"SELECT {names} FROM `{table}` WHERE id = ?", record_id)
        assert found, f"{record_id} lost from {table}"
        assert dict(zip(expected, found[0], strict=True)) == expected


def posts_fields(server) -> list[dict]:
    return [f.to_json() for f in server.app.find_collection("posts").fields]


class FieldsChange:
    """A PATCH body built from the live posts field list (as the dashboard does): ``edit(fields) -> fields``."""

    def __init__(self, edit, **extra) -> None:
        self.edit, self.extra = edit, extra


def schema_change(name: str, change: FieldsChange, *, before_view: bool = False, **kwargs) -> Scenario:
    scenario = Scenario(name, "PATCH", "/api/collections/posts", headers=SU, **kwargs)

    def before(server):
        if before_view:
            resp = server.request("POST", "/api/collections", headers={"Authorization": server.token("superuser")},
                                  json={"name": "bodies", "type": "view", "viewQuery": "SELECT id, body FROM posts"})
            assert resp.status_code == 200, resp.text
        scenario.body = {"fields": change.edit(posts_fields(server)), **change.extra}

    scenario.before = before
    return scenario


def _rename(old: str, new: str):
    def edit(fields):
        for f in fields:
            if f["name"] == old:
                f["name"] = new
        return fields

    return edit


def _set(name: str, **options):
    def edit(fields):
        for f in fields:
            if f["name"] == name:
                f.update(options)
        return fields

    return edit


def _drop(*names: str):
    return lambda fields: [f for f in fields if f["name"] not in names]


def _add(*new: dict):
    return lambda fields: [*fields, *new]


def _all(*checks):
    def check(server, resp):
        for item in checks:
            item(server, resp)

    return check


def api_record(path: str, *fragments: str, absent: tuple[str, ...] = ()):
    def check(server, resp):
        got = server.request("GET", path, headers={"Authorization": server.token("superuser")})
        assert got.status_code == 200, got.text
        text = got.text.replace(" ", "")
        for fragment in fragments:
            assert fragment in text, f"{fragment} not in {text[:600]}"
        for fragment in absent:
            assert fragment not in text, f"{fragment} in {text[:600]}"

    return check


def check(fn):
    return lambda server, resp: fn(server) or None


POST1 = f"/api/collections/posts/records/{POST1_ID}"
UNIQUE_TITLE = "CREATE UNIQUE INDEX idx_posts_title ON posts (title)"
VIEWS_INDEX = "CREATE INDEX idx_posts_views ON posts (views)"

SCENARIOS = [
    schema_change(
        "adding a field appends a column with its default and keeps every value",
        FieldsChange(_add({"name": "rating", "type": "number"}, {"name": "labels", "type": "select", "values": ["x", "y"], "maxSelect": 2})),
        expected_content=['"name":"rating"', '"name":"labels"'],
        expected_events={"onCollectionUpdateRequest": 1, "onCollectionUpdate": 1, "onCollectionAfterUpdateSuccess": 1},
        after=_all(
            lambda s, r: stored(s, "posts"),
            check(lambda s: list(columns(s, "posts"))[-2:] == ["rating", "labels"] or pytest.fail(str(columns(s, "posts")))),
            check(lambda s: columns(s, "posts")["rating"] == ("NUMERIC", 1, "0") or pytest.fail(str(columns(s, "posts")["rating"]))),
            check(lambda s: columns(s, "posts")["labels"] == ("JSON", 1, "'[]'") or pytest.fail(str(columns(s, "posts")["labels"]))),
            api_record(POST1, '"rating":0', '"labels":[]', '"title":"Firstpost"', '"tags":["a","b"]'),
        ),
    ),
    schema_change(
        "removing fields drops their columns and keeps the others",
        FieldsChange(_drop("score", "website", "meta")),
        after=_all(
            lambda s, r: stored(s, "posts", dropped=("meta",)),
            check(lambda s: {"score", "website", "meta"} & set(columns(s, "posts")) == set() or pytest.fail()),
            api_record(POST1, '"title":"Firstpost"', '"views":10', absent=('"score"', '"website"', '"meta"')),
        ),
    ),
    schema_change(
        "renaming a field renames its column and keeps the values",
        FieldsChange(_rename("views", "hits"), indexes=[UNIQUE_TITLE, "CREATE INDEX idx_posts_views ON posts (hits)"]),
        expected_content=['"name":"hits"'],
        after=_all(
            lambda s, r: stored(s, "posts", renamed={"views": "hits"}),
            check(lambda s: "views" not in columns(s, "posts") or pytest.fail()),
            check(lambda s: "(hits" in index_sql(s, "posts")["idx_posts_views"] or pytest.fail(str(index_sql(s, "posts")))),
            api_record(POST1, '"hits":10', absent=('"views"',)),
            api_record("/api/collections/posts/records?filter=hits>100", f'"id":"{POST2_ID}"', '"totalItems":1'),
        ),
    ),
    schema_change(
        "renaming an indexed field without its index is refused and loses nothing",
        FieldsChange(_rename("views", "hits")),
        expected_status=400,
        expected_content=[UPDATE_FAILED, '"message":"Failed to create index idx_posts_views - SQL logic error: no such column: views (1)."'],
        after=_all(lambda s, r: stored(s, "posts"), check(lambda s: "hits" not in columns(s, "posts") or pytest.fail())),
    ),
    schema_change(
        "swapping two field names keeps each value with its field",
        FieldsChange(lambda fs: _rename("__tmp", "body")(_rename("body", "secret")(_rename("secret", "__tmp")(fs)))),
        after=lambda s, r: stored(s, "posts", renamed={"secret": "body"}),
    ),
    schema_change(
        "single select to multi recreates the column as JSON and wraps the values",
        FieldsChange(_set("status", maxSelect=2)),
        after=_all(
            lambda s, r: stored(s, "posts", changed={POST1_ID: {"status": '["published"]'}, POST2_ID: {"status": '["draft"]'},
                                                     POST3_ID: {"status": "[]"}}),
            check(lambda s: list(columns(s, "posts"))[-1] == "status" or pytest.fail(str(list(columns(s, "posts"))))),
            check(lambda s: columns(s, "posts")["status"] == ("JSON", 1, "'[]'") or pytest.fail(str(columns(s, "posts")["status"]))),
            api_record(POST1, '"status":["published"]'),
        ),
    ),
    schema_change(
        "multi select to single keeps the last value",
        FieldsChange(_set("tags", maxSelect=1)),
        after=_all(
            lambda s, r: stored(s, "posts", changed={POST1_ID: {"tags": "b"}, POST2_ID: {"tags": "c"}, POST3_ID: {"tags": ""}}),
            check(lambda s: columns(s, "posts")["tags"] == ("TEXT", 1, "''") or pytest.fail(str(columns(s, "posts")["tags"]))),
            api_record(POST1, '"tags":"b"'),
        ),
    ),
    schema_change(
        "multi relation to single keeps the last id",
        FieldsChange(_set("editors", maxSelect=1)),
        after=_all(lambda s, r: stored(s, "posts", changed={POST1_ID: {"editors": USER2_ID}, POST2_ID: {"editors": ""},
                                                             POST3_ID: {"editors": ""}}),
                   api_record(POST1, f'"editors":"{USER2_ID}"')),
    ),
    schema_change(
        "changing a field type is refused and loses nothing",
        FieldsChange(_set("views", type="text")),
        expected_status=400, expected_content=['"code":"validation_field_type_change"'],
        after=_all(lambda s, r: stored(s, "posts"), check(lambda s: columns(s, "posts")["views"][0] == "NUMERIC" or pytest.fail())),
    ),
    schema_change(
        "an invalid new field is refused and adds no column",
        FieldsChange(_add({"name": "bad name", "type": "text"})),
        expected_status=400, expected_content=['"code":"validation_match_invalid"'],
        after=_all(lambda s, r: stored(s, "posts"), check(lambda s: len(columns(s, "posts")) == 19 or pytest.fail())),
    ),
    schema_change(
        "removing a field a view still selects is refused and loses nothing",
        FieldsChange(_drop("body")),
        before_view=True,
        expected_status=400,
        expected_content=['"message":"Failed to update collection. Raw error: \\nfailed to drop column body - SQL logic error: error in view '
                          'bodies after drop column: no such column: body (1)."', '"data":{}'],
        after=_all(lambda s, r: stored(s, "posts"), check(lambda s: "body" in columns(s, "posts") or pytest.fail())),
    ),
    Scenario(
        "renaming a collection renames its table and rewrites its indexes", "PATCH", "/api/collections/posts", body={"name": "articles"},
        headers=SU,
        expected_content=['"name":"articles"', '"CREATE UNIQUE INDEX `idx_posts_title` ON `articles` (`title`)"',
                          '"CREATE INDEX `idx_posts_views` ON `articles` (`views`)"'],
        after=_all(
            lambda s, r: stored(s, "articles"),
            check(lambda s: "posts" not in s.table_names() or pytest.fail()),
            check(lambda s: set(index_sql(s, "articles")) == {"idx_posts_title", "idx_posts_views"} or pytest.fail()),
            api_record("/api/collections/articles/records", '"totalItems":3', '"collectionName":"articles"'),
            api_record(f"/api/collections/comments/records/{COMMENT1_ID}?expand=post", '"collectionName":"articles"', '"title":"Firstpost"'),
            check(lambda s: s.request("GET", "/api/collections/posts/records").status_code == 404 or pytest.fail()),
        ),
    ),
    Scenario(
        "renaming a collection to a name in another case", "PATCH", "/api/collections/posts", body={"name": "Posts"}, headers=SU,
        expected_content=['"name":"Posts"'], after=lambda s, r: stored(s, "Posts"),
    ),
    Scenario(
        "adding and removing indexes", "PATCH", "/api/collections/posts", headers=SU,
        body={"indexes": [UNIQUE_TITLE, "CREATE INDEX idx_posts_score ON posts (score DESC)"]},
        after=_all(
            lambda s, r: stored(s, "posts"),
            check(lambda s: set(index_sql(s, "posts")) == {"idx_posts_title", "idx_posts_score"} or pytest.fail(str(index_sql(s, "posts")))),
        ),
    ),
    Scenario(
        "dropping a unique index allows duplicates again", "PATCH", "/api/collections/posts", body={"indexes": [VIEWS_INDEX]}, headers=SU,
        after=_all(
            check(lambda s: "idx_posts_title" not in index_sql(s, "posts") or pytest.fail()),
            check(lambda s: s.request("POST", "/api/collections/posts/records", json={"title": "First post"}).status_code == 200
                  or pytest.fail("duplicate refused")),
        ),
    ),
    Scenario(
        "a new unique index over duplicate values is refused and loses nothing", "PATCH", "/api/collections/posts", headers=SU,
        body={"indexes": [UNIQUE_TITLE, VIEWS_INDEX, "CREATE UNIQUE INDEX idx_posts_pub ON posts (published)"]},
        expected_status=400,
        expected_content=[UPDATE_FAILED, '"indexes":{"2":{"code":"validation_invalid_index_expression","message":"Failed to create index '
                          'idx_posts_pub - constraint failed: UNIQUE constraint failed: posts.published (2067)."}}'],
        after=_all(lambda s, r: stored(s, "posts"),
                   check(lambda s: set(index_sql(s, "posts")) == {"idx_posts_title", "idx_posts_views"} or pytest.fail()),
                   check(lambda s: s.app.find_collection("posts").indexes == [UNIQUE_TITLE, VIEWS_INDEX] or pytest.fail())),
    ),
    Scenario(
        "a partial unique index", "PATCH", "/api/collections/posts", headers=SU,
        body={"indexes": [UNIQUE_TITLE, "CREATE UNIQUE INDEX idx_posts_contact ON posts (contact) WHERE contact != ''"]},
        after=check(lambda s: "WHERE" in index_sql(s, "posts")["idx_posts_contact"] or pytest.fail()),
    ),
    Scenario(
        "an expression index, collation, DESC, IF NOT EXISTS and a partial WHERE with a \"\" literal", "PATCH",
        "/api/collections/posts", headers=SU,
        body={"indexes": [UNIQUE_TITLE, "CREATE INDEX idx_posts_lower ON posts (lower(title))",
                          'create unique index if not exists idx_posts_multi on posts (contact collate nocase desc, views) where contact != ""']},
        expected_content=['"CREATE INDEX idx_posts_lower ON posts (lower(title))"'],
        after=_all(
            check(lambda s: "lower(title)" in index_sql(s, "posts")["idx_posts_lower"].lower() or pytest.fail(str(index_sql(s, "posts")))),
            check(lambda s: "contact <> ''" in index_sql(s, "posts")["idx_posts_multi"] or pytest.fail(str(index_sql(s, "posts")))),
            # the "" literal is a string (SQLite's reading): an empty contact may repeat, a set one may not
            check(lambda s: [s.request("POST", "/api/collections/posts/records", headers={"Authorization": s.token("superuser")},
                                       json={"title": t, "contact": c}).status_code
                             for t, c in (("xx1", ""), ("xx2", ""), ("xx3", "a@b.cd"), ("xx4", "A@b.cd"))]
                  == [200, 200, 200, 400] or pytest.fail()),
        ),
    ),
    Scenario(
        "an index on another table name is rewritten onto the collection", "PATCH", "/api/collections/posts", headers=SU,
        body={"indexes": [UNIQUE_TITLE, "CREATE INDEX idx_posts_x ON elsewhere (lower(title), views DESC) WHERE views > 1"]},
        expected_content=['"CREATE INDEX `idx_posts_x` ON `posts` (\\n  lower(title),\\n  `views` DESC\\n) WHERE views > 1"'],
        after=check(lambda s: "idx_posts_x" in index_sql(s, "posts") or pytest.fail()),
    ),
    *(
        Scenario(
            f"an index SQLite refuses: {label}", "PATCH", "/api/collections/posts", headers=SU,
            body={"indexes": [UNIQUE_TITLE, f"CREATE INDEX idx_bad ON posts {tail}"]}, expected_status=400,
            expected_content=[UPDATE_FAILED, '"indexes":{"1":{"code":"validation_invalid_index_expression","message":"Failed to create index '
                              f'idx_bad - SQL logic error: {message}."}}}}'],
            after=check(lambda s: "idx_bad" not in str(s.app.find_collection("posts").indexes) or pytest.fail()),
        )
        for label, tail, message in [
            ("unknown function", "(foo(title))", "no such function: foo (1)"),
            ("non-deterministic function", "(random())", "non-deterministic functions prohibited in index expressions (1)"),
            ("subquery", "(title) WHERE title IN (SELECT id FROM users)", "subqueries prohibited in partial index WHERE clauses (1)"),
            ("parameter", "(title) WHERE title = ?", "parameters prohibited in partial index WHERE clauses (1)"),
            ("unknown collation", "(title COLLATE foo)", "no such collation sequence: foo (257)"),
            ("backquoted unknown column", "(title) WHERE title != `x`", "no such column: x (1)"),
            ("extension loading", "(load_extension('x'))", "unsafe use of load_extension() (1)"),
        ]
    ),
    *(
        Scenario(
            f"not an index definition: {label}", "PATCH", "/api/collections/posts", headers=SU,
            body={"indexes": [UNIQUE_TITLE, sql]}, expected_status=400,
            expected_content=[UPDATE_FAILED, '"indexes":{"1":{"code":"validation_invalid_index_expression","message":"Invalid CREATE INDEX expression."}}'],
        )
        for label, sql in [
            ("two statements", "CREATE INDEX idx_a ON posts (title); DROP TABLE posts"),
            ("a table", "CREATE TABLE x (a)"),
            ("no name", "CREATE INDEX ON posts (title)"),
            ("no columns", "CREATE INDEX idx_a ON posts ()"),
            ("garbage", "garbage"),
        ]
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_schema_change(server, scenario):
    run(server, scenario)


def test_view_collection_survives_a_cardinality_change(server):
    su = {"Authorization": server.token("superuser")}
    resp = server.request("POST", "/api/collections", headers=su,
                          json={"name": "post_status", "type": "view", "listRule": "", "viewQuery": "SELECT id, title, status FROM posts"})
    assert resp.status_code == 200, resp.text
    fields = _set("status", maxSelect=2)(posts_fields(server))
    resp = server.request("PATCH", "/api/collections/posts", headers=su, json={"fields": fields})
    assert resp.status_code == 200, resp.text
    stored(server, "posts", changed={POST1_ID: {"status": '["published"]'}, POST2_ID: {"status": '["draft"]'}, POST3_ID: {"status": "[]"}})
    listed = server.request("GET", "/api/collections/post_status/records?sort=title").json()
    assert [item["title"] for item in listed["items"]] == ["First post", "Second post", "Third post"]


def test_renaming_a_field_of_a_relation_target_keeps_references(server):
    su = {"Authorization": server.token("superuser")}
    fields = [f.to_json() for f in server.app.find_collection("comments").fields]
    for f in fields:
        if f["name"] == "post":
            f["name"] = "article"
    resp = server.request("PATCH", "/api/collections/comments", headers=su, json={"fields": fields})
    assert resp.status_code == 200, resp.text
    assert rows(server, "SELECT message, article FROM comments") == [("hello", POST1_ID)]
    resp = server.request("DELETE", f"/api/collections/posts/records/{POST1_ID}", headers=su)
    assert resp.status_code == 400, "the renamed required relation must still protect its target"


def _index_identities(server, table: str) -> dict[str, int]:
    """Each index of ``table`` (the search index too) -> what is new each time it is made: its
    first page on SQLite, its object id on Postgres."""
    if server.app.database_url:
        return dict(rows(server, "SELECT c.relname, c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                 "WHERE i.indrelid = CAST(? AS regclass)", table))
    return dict(rows(server, "SELECT name, rootpage FROM sqlite_master WHERE type = 'index' OR name LIKE '_pb_fts_%'"))


def test_a_save_that_changes_no_field_or_index_leaves_the_indexes_alone(server):
    # PocketBase makes the indexes again only when the name, a field or an index changes: a
    # rule change on a big table must not rebuild them
    su = {"Authorization": server.token("superuser")}
    fields = _set("title", searchable=True)(posts_fields(server))
    resp = server.request("PATCH", "/api/collections/posts", headers=su,
                          json={"fields": fields, "indexes": ["CREATE INDEX idx_posts_title ON posts (title)"]})
    assert resp.status_code == 200, resp.text
    made = _index_identities(server, "posts")
    assert "idx_posts_title" in made
    for change in ({"listRule": "id != ''"}, {"updateRule": None, "viewRule": ""}, {"fields": fields}):
        resp = server.request("PATCH", "/api/collections/posts", headers=su, json=change)
        assert resp.status_code == 200, resp.text
        assert _index_identities(server, "posts") == made, change
    found = server.request("GET", "/api/collections/posts/records?search=second", headers=su).json()
    assert [item["id"] for item in found["items"]] == [POST2_ID]
    resp = server.request("PATCH", "/api/collections/posts", headers=su, json={"indexes": ["CREATE INDEX idx_posts_views ON posts (views)"]})
    assert resp.status_code == 200, resp.text
    assert "idx_posts_views" in _index_identities(server, "posts")
    assert "idx_posts_title" not in _index_identities(server, "posts")
