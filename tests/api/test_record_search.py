"""Full-text search (a pybase feature; PocketBase issues #193, #5225): ``"searchable": true`` on
text, editor, email and url fields, ``?search=`` on the list API, on SQLite (FTS5) and Postgres
(GIN over a tsvector).

The read-only scenarios share one server holding ``articles``; declaring, writing and renaming
run on a fresh copy of the fixture each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import testapp
from tests.scenarios import Scenario, run
from tests.testapp import USER1_ID, TestServer

pytestmark = pytest.mark.both_backends

SUPERUSER = {"Authorization": "SUPERUSER"}

ARTICLES = {
    "name": "articles",
    "listRule": "draft = false || owner = @request.auth.id",
    "viewRule": "",
    "fields": [
        {"name": "title", "type": "text", "searchable": True},
        {"name": "body", "type": "editor", "searchable": True},
        {"name": "note", "type": "text"},
        # NOTE: FTS5 keeps "rank" for itself: a field of that name is searchable all the same
        {"name": "rank", "type": "text", "searchable": True},
        {"name": "draft", "type": "bool"},
        {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
        {"name": "created", "type": "autodate", "onCreate": True},
    ],
}

#: (id, title, body, note, rank, draft, owner), in insertion order
ROWS = [
    ("art1aaaaaaaaaaa", "Hello World", "<p>First post about databases</p>", "zebra", "", False, ""),
    ("art2aaaaaaaaaaa", "Héllo Wörld again", "Café culture", "", "", False, ""),
    ("art3aaaaaaaaaaa", "Database design", "Normalization and indexes; hello there", "", "", False, ""),
    ("art4aaaaaaaaaaa", "Draft secret plan", "hello from a draft", "", "", True, USER1_ID),
    ("art5aaaaaaaaaaa", 'Quotes "and" (parentheses) OR NOT', "AND NEAR* col:umn", "", "", False, ""),
    ("art6aaaaaaaaaaa", "Rankings", "", "", "zebra crossing", False, ""),
    ("art7aaaaaaaaaaa", "Kiwi once", "a long text that mentions the kiwi fruit only one time among many other words here", "", "", False, ""),
    ("art8aaaaaaaaaaa", "Kiwi kiwi", "kiwi kiwi kiwi", "", "", False, ""),
    ("art9aaaaaaaaaaa", "Привет МИР", "Ärger ÜBER Straße", "", "", False, ""),
    ("arta0aaaaaaaaaa", "Tiếng Việt", "йод", "", "", False, ""),
]
ALL_IDS = [row[0] for row in ROWS]


def create_articles(server: TestServer, rows: list[tuple[Any, ...]] = ROWS) -> str:
    """Create ``articles`` and its records; returns the collection id."""
    resp = server.request("POST", "/api/collections", json=ARTICLES, headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 200, resp.text
    for rid, title, body, note, rank, draft, owner in rows:
        record = {"id": rid, "title": title, "body": body, "note": note, "rank": rank, "draft": draft, "owner": owner}
        created = server.request(
            "POST", "/api/collections/articles/records", json=record, headers={"Authorization": server.token("superuser")}
        )
        assert created.status_code == 200, created.text
    return str(resp.json()["id"])


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any) -> Iterator[TestServer]:
    """A server with ``articles`` and its records (read-only scenarios)."""
    template, url = (databases.copy_of_fixture() if backend == "postgres" else (fixture_data, ""))
    server = testapp.start_server(tmp_path_factory.mktemp("search"), template, url)
    try:
        create_articles(server)
        yield server
    finally:
        server.stop()
        databases.drop(url)


def search_url(text: str, extra: str = "") -> str:
    return f"/api/collections/articles/records?search={quote(text)}{extra}"


def listed(server: TestServer, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """(status, body) of a list request; ``headers`` may name a token alias (SUPERUSER...)."""
    sent = {k: server.token(_alias(v)) if v in ("SUPERUSER", "USER1", "USER2") else v for k, v in (headers or {}).items()}
    resp = server.request("GET", url, headers=sent)
    return resp.status_code, resp.json()


def _alias(value: str) -> str:
    return {"SUPERUSER": "superuser", "USER1": "user1", "USER2": "user2"}[value]


# ---- which records a search lists, in which order ------------------------------------------------

#: (name, url, headers, the ids listed in order, or a set of ids in any order)
LISTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("one word", search_url("kiwi"), SUPERUSER, {"art7aaaaaaaaaaa", "art8aaaaaaaaaaa"}),
    ("every word must match (AND)", search_url("hello world"), SUPERUSER, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}),
    ("words in any order, any field", search_url("culture wörld"), SUPERUSER, {"art2aaaaaaaaaaa"}),
    ("a word that matches nothing", search_url("hello nowhere"), SUPERUSER, set()),
    ("each word is a prefix", search_url("hel wo"), SUPERUSER, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}),
    ("case does not matter", search_url("HELLO"), SUPERUSER, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa", "art4aaaaaaaaaaa"}),
    ("accents do not matter (query without)", search_url("cafe"), SUPERUSER, {"art2aaaaaaaaaaa"}),
    ("accents do not matter (query with)", search_url("héllö"), SUPERUSER, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa", "art4aaaaaaaaaaa"}),
    ("letters past ASCII, lower case", search_url("привет мир"), SUPERUSER, {"art9aaaaaaaaaaa"}),
    ("letters past ASCII, upper case", search_url("ПРИВ"), SUPERUSER, {"art9aaaaaaaaaaa"}),
    ("accented capitals", search_url("arger uber strasse"), SUPERUSER, set()),
    ("accented capitals folded", search_url("ärg über straß"), SUPERUSER, {"art9aaaaaaaaaaa"}),
    ("stacked accents (Vietnamese)", search_url("tieng VIỆT"), SUPERUSER, {"arta0aaaaaaaaaa"}),
    ("accents of other scripts are kept", search_url("йо"), SUPERUSER, {"arta0aaaaaaaaaa"}),
    ("a field that is not searchable is not searched", search_url("zebra"), SUPERUSER, {"art6aaaaaaaaaaa"}),
    ("a searchable field named rank", search_url("crossing"), SUPERUSER, {"art6aaaaaaaaaaa"}),
    ("HTML is split into words", search_url("databases"), SUPERUSER, {"art1aaaaaaaaaaa"}),
    ("FTS5's words are plain words", search_url("OR NOT"), SUPERUSER, {"art5aaaaaaaaaaa"}),
    ("a quoted word is a word", search_url('"and"'), SUPERUSER, {"art3aaaaaaaaaaa", "art5aaaaaaaaaaa"}),
    ("punctuation splits words", search_url("col:umn"), SUPERUSER, {"art5aaaaaaaaaaa"}),
    ("text of no word matches nothing", search_url('"* ( )'), SUPERUSER, set()),
    ("a blank search is ignored", search_url("   "), SUPERUSER, ALL_IDS),
    ("most relevant first, without sort", search_url("kiwi"), SUPERUSER, ["art8aaaaaaaaaaa", "art7aaaaaaaaaaa"]),
    ("the given sort, with sort", search_url("kiwi", "&sort=-title"), SUPERUSER, ["art7aaaaaaaaaaa", "art8aaaaaaaaaaa"]),
    ("with sort by created", search_url("kiwi", "&sort=created,id"), SUPERUSER, ["art7aaaaaaaaaaa", "art8aaaaaaaaaaa"]),
    ("with a filter", search_url("hello", "&filter=" + quote("title ~ 'World'")), SUPERUSER, {"art1aaaaaaaaaaa"}),
    ("with a filter on a field not searched", search_url("plan", "&filter=" + quote("draft = true")), SUPERUSER, {"art4aaaaaaaaaaa"}),
    ("with a filter through a relation (joins)", search_url("hello", "&filter=" + quote("owner.email ~ 'user1'")), SUPERUSER, {"art4aaaaaaaaaaa"}),
    ("relevance with a filter through a relation", search_url("kiwi", "&filter=" + quote("owner.email = '' || owner.verified = true")), SUPERUSER, ["art8aaaaaaaaaaa", "art7aaaaaaaaaaa"]),
    ("the listRule hides a draft from a guest", search_url("hello"), {}, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa"}),
    ("the listRule hides a draft from another user", search_url("hello"), {"Authorization": "USER2"}, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa"}),
    ("the listRule shows a draft to its owner", search_url("hello"), {"Authorization": "USER1"}, {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa", "art4aaaaaaaaaaa"}),
    ("a guest's search never finds a hidden draft", search_url("secret plan"), {}, set()),
]


@pytest.mark.parametrize(("name", "url", "headers", "expected"), LISTS, ids=[case[0] for case in LISTS])
def test_search_lists(searched: TestServer, name: str, url: str, headers: dict[str, str], expected: Any) -> None:
    status, body = listed(searched, url, headers)
    assert status == 200, (name, body)
    got = [item["id"] for item in body["items"]]
    if isinstance(expected, set):
        assert set(got) == expected, name
        assert len(got) == len(expected)
    elif name == "a blank search is ignored":
        assert got == expected
    else:
        assert got == expected, name
    assert body["totalItems"] == len(got)


#: texts that must never fail the list (FTS5 and tsquery syntax, NUL, long...)
ODD_TEXTS = [
    '"', "'", "(", ")", "()", "*", "hello*", "-hello", "+hello", "NEAR(hello world)", "hello AND world", "hello OR",
    "NOT", "^hello", "title:hello", "{title}: hello", "hello\x00world", "\x00", "a & b | !c", "hello:*", "a <-> b",
    "\\", "%", "_", "😀 emoji", "日本語", "x" * 3500, " ".join(["ab"] * 1000), "hello" + "'" * 50,
]


@pytest.mark.parametrize("text", ODD_TEXTS, ids=[f"odd{i}" for i in range(len(ODD_TEXTS))])
def test_search_odd_text_never_fails(searched: TestServer, text: str) -> None:
    for headers in (SUPERUSER, {}):
        status, body = listed(searched, search_url(text), headers)
        assert status == 200, (text[:40], body)


SCENARIOS = [
    Scenario(
        name="pages and totals",
        method="GET", url=search_url("hello", "&perPage=3&page=2"), headers=SUPERUSER,
        expected_content=['"page":2', '"perPage":3', '"totalItems":4', '"totalPages":2'],
    ),
    Scenario(
        name="skipTotal",
        method="GET", url=search_url("hello", "&skipTotal=1"), headers=SUPERUSER,
        expected_content=['"totalItems":-1', '"totalPages":-1', '"id":"art1aaaaaaaaaaa"'],
    ),
    Scenario(
        name="with expand and fields",
        method="GET", url=search_url("secret", "&expand=owner&fields=id,expand.owner.id"), headers={"Authorization": "USER1"},
        expected_content=[f'"expand":{{"owner":{{"id":"{USER1_ID}"}}}}', '"id":"art4aaaaaaaaaaa"'],
        not_expected_content=['"title"'],
    ),
    Scenario(
        name="a search longer than a filter may be is refused",
        method="GET", url=search_url("x" * 3501), headers=SUPERUSER, expected_status=400,
        expected_content=['"status":400', "no longer than 3500"],
    ),
    Scenario(
        # NOTE: each word scans the index's words it starts ("a a a ..." took 34 s over 50,000 records)
        name="more than 16 different words are refused",
        method="GET", url=search_url(" ".join(f"w{number:02d}" for number in range(17))), headers=SUPERUSER, expected_status=400,
        expected_content=['"status":400', "no more than 16 different words"],
    ),
    Scenario(
        name="a word repeated or starting another counts once",
        method="GET", url=search_url(" ".join(["h", "he", "hel", "hell"] * 200 + ["w", "wo"] * 100 + ["world"])), headers=SUPERUSER,
        expected_content=['"totalItems":2', '"id":"art1aaaaaaaaaaa"', '"id":"art2aaaaaaaaaaa"'],
    ),
    Scenario(
        name="a collection without searchable fields",
        method="GET", url="/api/collections/comments/records?search=hello", headers=SUPERUSER, expected_status=400,
        expected_content=['"data":{}', '"message":"The collection \\"comments\\" has no searchable fields', '"status":400'],
    ),
    Scenario(
        name="a blank search on a collection without searchable fields is ignored",
        method="GET", url="/api/collections/comments/records?search=%20", headers=SUPERUSER,
        expected_content=['"totalItems":'],
    ),
    Scenario(
        name="the listRule's 403 comes first",
        method="GET", url="/api/collections/locked/records?search=x", expected_status=403,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_search_scenarios(searched: TestServer, scenario: Scenario) -> None:
    run(searched, scenario)


# ---- declaring ---------------------------------------------------------------------------------


def superuser(server: TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def has_index(server: TestServer, collection_id: str, table: str) -> bool:
    """Whether the full-text index of a collection exists (FTS5 table / GIN index)."""
    name = f"_pb_fts_{collection_id}"
    if server.app.db.dialect.name == "postgresql":
        return name in server.index_sql(table)
    return name in server.table_names()


def found(server: TestServer, collection: str, text: str) -> list[str]:
    resp = server.request("GET", f"/api/collections/{collection}/records?search={quote(text)}", headers=superuser(server))
    assert resp.status_code == 200, resp.text
    return [item["id"] for item in resp.json()["items"]]


def test_declare_and_undeclare(server: TestServer) -> None:
    posts = server.request("GET", "/api/collections/posts", headers=superuser(server)).json()
    assert all("searchable" not in field for field in posts["fields"])  # NOTE: PocketBase's shape
    fields = [{**field, "searchable": True} if field["name"] == "title" else field for field in posts["fields"]]
    resp = server.request("PATCH", "/api/collections/posts", json={"fields": fields}, headers=superuser(server))
    assert resp.status_code == 200, resp.text
    title = next(field for field in resp.json()["fields"] if field["name"] == "title")
    assert title["searchable"] is True
    assert all("searchable" not in field for field in resp.json()["fields"] if field["name"] != "title")
    assert has_index(server, posts["id"], "posts")
    existing = server.request("GET", "/api/collections/posts/records?perPage=1", headers=superuser(server)).json()["items"][0]
    assert existing["id"] in found(server, "posts", existing["title"])  # NOTE: rows already there are indexed

    fields = [{k: v for k, v in field.items() if k != "searchable"} for field in resp.json()["fields"]]
    resp = server.request("PATCH", "/api/collections/posts", json={"fields": fields}, headers=superuser(server))
    assert resp.status_code == 200, resp.text
    assert all("searchable" not in field for field in resp.json()["fields"])
    assert not has_index(server, posts["id"], "posts")
    refused = server.request("GET", "/api/collections/posts/records?search=x", headers=superuser(server))
    assert refused.status_code == 400


BAD_DECLARATIONS = [
    ("a number field", {"name": "n", "type": "number", "searchable": True}, "validation_searchable_not_supported"),
    ("a json field", {"name": "j", "type": "json", "searchable": True}, "validation_searchable_not_supported"),
    ("a hidden text field", {"name": "h", "type": "text", "hidden": True, "searchable": True}, "validation_searchable_hidden"),
]


@pytest.mark.parametrize(("name", "field", "code"), BAD_DECLARATIONS, ids=[case[0] for case in BAD_DECLARATIONS])
def test_bad_declarations(server: TestServer, name: str, field: dict[str, Any], code: str) -> None:
    body = {"name": "bad", "fields": [{"name": "t", "type": "text"}, field]}
    resp = server.request("POST", "/api/collections", json=body, headers=superuser(server))
    assert resp.status_code == 400, resp.text
    assert resp.json()["data"]["fields"]["2"]["searchable"]["code"] == code  # NOTE: 0 is the id field


def test_bad_declarations_other_shapes(server: TestServer) -> None:
    not_bool = {"name": "bad", "fields": [{"name": "t", "type": "text", "searchable": "yes"}]}
    assert server.request("POST", "/api/collections", json=not_bool, headers=superuser(server)).status_code == 400
    view = {
        "name": "bad_view", "type": "view", "viewQuery": "SELECT id, title FROM posts",
        "fields": [{"name": "title", "type": "text", "searchable": True}],
    }
    resp = server.request("POST", "/api/collections", json=view, headers=superuser(server))
    assert resp.status_code == 400, resp.text
    assert resp.json()["data"]["fields"]["0"]["searchable"]["code"] == "validation_searchable_not_supported"
    email = server.request("GET", "/api/collections/users", headers=superuser(server)).json()
    fields = [{**field, "searchable": True} if field["name"] == "email" else field for field in email["fields"]]
    resp = server.request("PATCH", "/api/collections/users", json={"fields": fields}, headers=superuser(server))
    assert resp.status_code == 400, resp.text
    reserved = {"name": "_pb_fts_x", "fields": [{"name": "t", "type": "text"}]}
    resp = server.request("POST", "/api/collections", json=reserved, headers=superuser(server))
    assert resp.status_code == 400 and resp.json()["data"]["name"]["code"] == "validation_collection_name_invalid"


def test_view_over_searchable_fields(server: TestServer) -> None:
    create_articles(server, ROWS[:2])
    view = {"name": "articles_view", "type": "view", "viewQuery": "SELECT id, title FROM articles"}
    resp = server.request("POST", "/api/collections", json=view, headers=superuser(server))
    assert resp.status_code == 200, resp.text
    assert all("searchable" not in field for field in resp.json()["fields"])
    refused = server.request("GET", "/api/collections/articles_view/records?search=hello", headers=superuser(server))
    assert refused.status_code == 400


def test_writes_after_declaring(server: TestServer) -> None:
    create_articles(server, ROWS[:2])
    headers = superuser(server)
    created = server.request("POST", "/api/collections/articles/records", json={"title": "Brand new pineapple"}, headers=headers)
    assert created.status_code == 200
    new_id = created.json()["id"]
    assert found(server, "articles", "pineapple") == [new_id]
    updated = server.request("PATCH", f"/api/collections/articles/records/{new_id}", json={"title": "Now a mango"}, headers=headers)
    assert updated.status_code == 200
    assert found(server, "articles", "pineapple") == []
    assert found(server, "articles", "mango") == [new_id]
    untouched = server.request("PATCH", f"/api/collections/articles/records/{new_id}", json={"note": "other"}, headers=headers)
    assert untouched.status_code == 200
    assert found(server, "articles", "mango") == [new_id]
    deleted = server.request("DELETE", f"/api/collections/articles/records/{new_id}", headers=headers)
    assert deleted.status_code == 204
    assert found(server, "articles", "mango") == []
    assert set(found(server, "articles", "hello")) == {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}


def test_field_and_collection_renames(server: TestServer) -> None:
    collection_id = create_articles(server, ROWS[:3])
    headers = superuser(server)
    col = server.request("GET", "/api/collections/articles", headers=headers).json()
    fields = [{**field, "name": "heading"} if field["name"] == "title" else field for field in col["fields"]]
    resp = server.request("PATCH", "/api/collections/articles", json={"fields": fields}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert set(found(server, "articles", "world")) == {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}
    # NOTE: a field no longer searchable, dropped: the rest stays searchable
    fields = [field for field in resp.json()["fields"] if field["name"] != "body"]
    resp = server.request("PATCH", "/api/collections/articles", json={"fields": fields}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert found(server, "articles", "databases") == []
    assert set(found(server, "articles", "database")) == {"art3aaaaaaaaaaa"}

    resp = server.request("PATCH", "/api/collections/articles", json={"name": "stories"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert set(found(server, "stories", "world")) == {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}
    created = server.request("POST", "/api/collections/stories/records", json={"heading": "Renamed world"}, headers=headers)
    assert created.status_code == 200, created.text
    assert created.json()["id"] in found(server, "stories", "renamed")
    assert has_index(server, collection_id, "stories")

    assert server.request("DELETE", "/api/collections/stories", headers=headers).status_code == 204
    assert not has_index(server, collection_id, "stories")
    assert not any(name.startswith("_pb_fts_") for name in server.table_names())


def test_other_field_changes_keep_the_index(server: TestServer) -> None:
    """A field that is not searchable dropped, renamed or added: the index stays (SQLite's
    triggers name the searchable columns only) and keeps following writes."""
    collection_id = create_articles(server, ROWS[:2])
    headers = superuser(server)
    col = server.request("GET", "/api/collections/articles", headers=headers).json()
    fields = [{**field, "name": "remark"} if field["name"] == "note" else field for field in col["fields"]]
    fields.append({"name": "extra", "type": "text"})
    resp = server.request("PATCH", "/api/collections/articles", json={"fields": fields}, headers=headers)
    assert resp.status_code == 200, resp.text
    fields = [field for field in resp.json()["fields"] if field["name"] != "remark"]
    resp = server.request("PATCH", "/api/collections/articles", json={"fields": fields, "listRule": ""}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert has_index(server, collection_id, "articles")
    assert set(found(server, "articles", "hello")) == {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa"}
    created = server.request("POST", "/api/collections/articles/records", json={"title": "lychee", "extra": "x"}, headers=headers)
    assert created.status_code == 200, created.text
    assert found(server, "articles", "lychee") == [created.json()["id"]]


def test_searchable_name_taken_by_another_field(server: TestServer) -> None:
    """A searchable field dropped and another renamed to its name (searchable) in one save: the
    index is made again over the other field's values (SQLite's triggers read the dropped
    column: its drop failed, a 400)."""
    create_articles(server, ROWS[:1])  # NOTE: note "zebra", title "Hello World"
    headers = superuser(server)
    col = server.request("GET", "/api/collections/articles", headers=headers).json()
    note = next(field for field in col["fields"] if field["name"] == "note")
    # NOTE: in the dropped field's place: the searchable columns' names stay as they were
    fields = [
        {**note, "name": "title", "searchable": True} if field["name"] == "title" else field
        for field in col["fields"]
        if field["name"] != "note"
    ]
    resp = server.request("PATCH", "/api/collections/articles", json={"fields": fields}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert found(server, "articles", "zebra") == ["art1aaaaaaaaaaa"]
    assert found(server, "articles", "world") == []
    updated = server.request("PATCH", "/api/collections/articles/records/art1aaaaaaaaaaa", json={"title": "lychee"}, headers=headers)
    assert updated.status_code == 200, updated.text
    assert (found(server, "articles", "lychee"), found(server, "articles", "zebra")) == (["art1aaaaaaaaaaa"], [])


def test_a_hidden_field_saved_searchable_without_validation_is_not_searched(server: TestServer) -> None:
    """The API refuses a hidden searchable field; a save that skips validation (PocketBase's
    SaveNoValidate: $app.saveNoValidate, an import) must still not search it (its words would leak)."""
    create_articles(server, ROWS[:3])
    old = server.app.find_collection("articles")
    col = old.clone()
    note = next(field for field in col.fields if field.name == "note")
    note.searchable, note.hidden = True, True
    from pybase.core import collection_save

    collection_save.save_collection(server.app, col, old, validate=False)
    assert sorted(found(server, "articles", "hello")) == ["art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa"]
    assert found(server, "articles", "zebra") == []  # NOTE: only art1's hidden note holds it


def test_rows_written_with_sql_are_indexed(server: TestServer) -> None:
    """Triggers (SQLite) and the expression index (Postgres) see writes that bypass the API."""
    create_articles(server, ROWS[:1])
    with server.app.db.write() as conn:
        from sqlalchemy import insert

        table = server.app.find_collection("articles").table
        conn.execute(insert(table).values(id="sqlrowaaaaaaaaa", title="Written by SQL", body="", note="", rank=""))
    assert found(server, "articles", "written sql") == ["sqlrowaaaaaaaaa"]


# ---- backups ------------------------------------------------------------------------------------


@pytest.mark.postgres_only("a backup of an app on Postgres is a dump restored in place (SQLite's: see the next test)")
def test_backup_restored_on_postgres(server: TestServer) -> None:
    import time

    collection_id = create_articles(server, ROWS[:3])
    headers = superuser(server)
    assert server.request("POST", "/api/backups", json={"name": "search.zip"}, headers=headers).status_code == 204
    assert server.request("DELETE", "/api/collections/articles/records/art1aaaaaaaaaaa", headers=headers).status_code == 204
    created = server.request("POST", "/api/collections/articles/records", json={"title": "mango"}, headers=headers)
    assert created.status_code == 200
    resp = server.request("POST", "/api/backups/search.zip/restore", headers=headers)
    assert resp.status_code == 204, resp.text
    deadline = time.monotonic() + 60
    while not (server.events["onBackupRestore"] and server.app.backups.active is None):
        assert time.monotonic() < deadline, "the restore did not finish"
        time.sleep(0.05)
    assert has_index(server, collection_id, "articles")
    assert set(found(server, "articles", "hello")) == {"art1aaaaaaaaaaa", "art2aaaaaaaaaaa", "art3aaaaaaaaaaa"}
    assert found(server, "articles", "mango") == []
    created = server.request("POST", "/api/collections/articles/records", json={"title": "papaya"}, headers=superuser(server))
    assert found(server, "articles", "papaya") == [created.json()["id"]]


@pytest.mark.sqlite_only("a backup of an app on SQLite is data.db as it is (Postgres's: the test above)")
def test_backup_holds_the_sqlite_index(server: TestServer, tmp_path: Path) -> None:
    """On SQLite a backup is data.db as it is: its FTS5 table and triggers come with it."""
    import zipfile

    from pybase.store.sqlite_driver import sqlite3

    collection_id = create_articles(server, ROWS[:3])
    assert server.request("POST", "/api/backups", json={"name": "s.zip"}, headers=superuser(server)).status_code == 204
    with zipfile.ZipFile(Path(server.app.data_dir) / "backups" / "s.zip") as zf:
        zf.extract("data.db", tmp_path)
    name = f"_pb_fts_{collection_id}"
    with sqlite3.connect(tmp_path / "data.db") as conn:
        conn.execute(f"INSERT INTO {name}({name}) VALUES ('integrity-check')")
        conn.execute("INSERT INTO articles (id, title) VALUES ('restoredaaaaaaa', 'kumquat')")
        matched = conn.execute(f"SELECT rowid FROM {name} WHERE {name} MATCH '\"kumquat\"*'").fetchall()
        assert len(matched) == 1
        assert len(conn.execute(f"SELECT rowid FROM {name} WHERE {name} MATCH '\"hello\"*'").fetchall()) == 3
