"""Sorts and range filters over a text under an index that holds long values, on Postgres as on
SQLite (issue #17).

On Postgres such an index is held by digest or hash, with a btree over the text's first
``PREFIX_CHARS`` characters beside (pybase.store.index_long_keys); pybase sorts the column by
``left(t, N), t`` and adds ``left(t, N) >= left(v, N)`` beside ``t > v`` (pybase.store.dialect).
The answers must stay SQLite's: each case is asked of a pybase on SQLite and one on Postgres
holding the same records, written in the same order; both must give the same records in the
same order, and the sorts the order Python's (SQLite's byte order, then insertion order). The
values sit around the prefix's end: equal for N characters and different after, a prefix of
another, a character of 2 and 4 UTF-8 bytes across the cut, the empty text (a record written
without the field), equal long texts (insertion order breaks the tie). Then: the plan of a
sort with a LIMIT walks the prefix index (EXPLAIN), ``=`` still the hash index.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from pybase.core.collection_bind import new_collection
from pybase.core.record_access import list_query
from pybase.core.record_query import _list_statements
from pybase.core.request_info import RequestInfo
from pybase.store.index_long_keys import ORDERED_PREFIX_INFO, PREFIX_CHARS
from tests.pg import postgres_only
from tests.testapp import TestServer, start_server

pytestmark = postgres_only

N = PREFIX_CHARS
_letters = random.Random(17)
K = "k" * (N - 1)
P = K + "é"  # N characters, the last of 2 bytes
TAIL = "".join(_letters.choices(string.ascii_letters, k=1000))
LONG = "k" * N + TAIL  # past the prefix by 1,000 characters (two fit a filter)
VALUES = [
    None, "", " ", "a", "k", K, K + "k", K + "kk", K + "ka", K + "k\x7f", K + "j" + "z" * 50, K + "l",
    P, P + "a", P + "b", P + "\U0001f600", K + "é\u00e8", K + "\U0001f600", K + "\U0001f600x", K + "\uffff",
    LONG, LONG[:-1] + "A", LONG + "a", LONG, "k" * (N + 1), "k" * (N + 300), "K" * (N + 5), "z" * 2000,
    "\U0001f600" * (N + 2), "\U0001f600" * N, None,
]  # fmt: skip
STORED = ["" if v is None else v for v in VALUES]
#: as SQLite sorts them: by bytes (Python's code point order), ties in insertion order (a stable
#: sort keeps it, reversed too)
ASC = sorted(STORED)
DESC = sorted(STORED, reverse=True)


def _f(expr: str) -> str:
    return "filter=" + quote(expr, safe="")


BOUNDS = ["", "k", K, K + "k", K + "ka", P, P + "a", "k" * N + "a", LONG, LONG[:-1], K + "\U0001f600", "\U0001f600" * N]

# (name, query string, expected texts in order: None when only SQLite's answer is the reference)
CASES: list[tuple[str, str, list[str] | None]] = [
    ("sort", "sort=t", ASC),
    ("sort descending", "sort=-t", DESC),
    ("sort, page 2 of 7", "sort=t&perPage=7&page=2", ASC[7:14]),
    ("sort descending, page 3 of 5", "sort=-t&perPage=5&page=3", DESC[10:15]),
    ("sort then id", "sort=t,id", None),
    ("sort by the editor field", "sort=e", None),
    ("sort by the editor field descending", "sort=-e", None),
    ("sort by a text of no index", "sort=plain", ASC),
]  # fmt: skip
for number, bound in enumerate(BOUNDS):
    for op, holds in ((">", str.__gt__), (">=", str.__ge__), ("<", str.__lt__), ("<=", str.__le__)):
        CASES.append((f"t {op} bound {number}", _f(f"t {op} '{bound}'") + "&sort=t", [v for v in ASC if holds(v, bound)]))
        CASES.append((f"bound {number} {op} t (swapped)", _f(f"'{bound}' {op} t") + "&sort=-t",
                      [v for v in DESC if holds(bound, v)]))  # fmt: skip
CASES += [
    ("range between two bounds", _f(f"t >= '{K}' && t < '{P}'") + "&sort=t", [v for v in ASC if K <= v < P]),
    ("range or empty", _f(f"t > '{P}' || t = ''") + "&sort=-t", [v for v in DESC if v > P or v == ""]),
    ("equal to a long text", _f(f"t = '{LONG}'") + "&sort=t", [LONG, LONG]),
    ("not equal, then less", _f(f"t != '{LONG}' && t < '{LONG}a'") + "&sort=t", [v for v in ASC if v != LONG and v < LONG + "a"]),
    ("any of a multi-value comparison", _f(f"t ?> '{P}'") + "&sort=t", None),
    ("text against a number", _f("t > 5") + "&sort=t", None),
    ("text against null", _f("t > null") + "&sort=t", None),
    ("editor range", _f(f"e >= '{K}'") + "&sort=e", None),
    ("lowered text range", _f(f"t:lower > '{K}'") + "&sort=t", None),
    ("text against another field", _f("t > plain") + "&sort=t", None),
    ("the prefix index's partial condition", _f(f"t > '{K}' && t != ''") + "&sort=t", [v for v in ASC if v > K]),
]  # fmt: skip


EDITOR_INDEX = "CREATE INDEX idx_texts_e ON texts (e) WHERE e != ''"


def _superuser(srv: TestServer) -> dict[str, str]:
    su = srv.app.new_record("_superusers", {"email": "prefix@example.com"})
    su.set_password_plain("password", "1234567890")
    srv.app.save(su)
    token = srv.request("POST", "/api/collections/_superusers/auth-with-password",
                        json={"identity": "prefix@example.com", "password": "1234567890"}).json()["token"]  # fmt: skip
    return {"Authorization": token}


def _post(srv: TestServer, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = srv.request("POST", path, headers=headers, json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _fill(srv: TestServer) -> None:
    headers = _superuser(srv)
    _post(srv, headers, "/api/collections", {
        "name": "texts", "listRule": "",
        "fields": [{"name": "t", "type": "text"}, {"name": "e", "type": "editor"}, {"name": "plain", "type": "text"}],
        "indexes": ["CREATE INDEX idx_texts_t ON texts (t)", EDITOR_INDEX],
    })  # fmt: skip
    for value in VALUES:
        body = {} if value is None else {"t": value, "e": value, "plain": value}
        _post(srv, headers, "/api/collections/texts/records", body)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[tuple[TestServer, TestServer]]:
    url = databases.new("postgres")
    sqlite = start_server(Path(tmp_path_factory.mktemp("prefix_sqlite")), None)
    postgres = start_server(Path(tmp_path_factory.mktemp("prefix_pg")), None, url)
    try:
        _fill(sqlite)
        _fill(postgres)
        yield sqlite, postgres
    finally:
        sqlite.stop()
        postgres.stop()
        databases.drop(url)


def _texts(srv: TestServer, query: str) -> list[str] | int:
    paging = "" if "perPage=" in query else "perPage=100&"
    resp = srv.request("GET", f"/api/collections/texts/records?{paging}{query}")
    if resp.status_code != 200:
        return resp.status_code
    data = resp.json()
    return [item["t"] for item in data["items"]] + [f"total {data['totalItems']}"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("query", "expected"), [pytest.param(q, e, id=n) for n, q, e in CASES])
def test_postgres_answers_as_sqlite_around_the_prefix(servers: tuple[TestServer, TestServer], query: str,
                                                      expected: list[str] | None) -> None:  # fmt: skip
    sqlite, postgres = servers
    on_sqlite, on_postgres = _texts(sqlite, query), _texts(postgres, query)
    assert on_postgres == on_sqlite
    if expected is not None:
        assert isinstance(on_sqlite, list)
        assert on_sqlite[:-1] == expected


def _plan(srv: TestServer, filter_text: str | None, sort_text: str | None, offset: int = 0) -> str:
    app = srv.app
    collection = app.find_collection("many")
    query = list_query(app, collection, RequestInfo("GET", {}, {}), "", filter_text, sort_text)
    rows, _count = _list_statements(collection, None if query.is_empty else query, [], list(query.order_by), 30, offset)
    with app.db.read() as conn:
        sql = str(rows.compile(conn, compile_kwargs={"literal_binds": True}))
        return "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql.replace("%", "%%"))))


@pytest.fixture(scope="module")
def many(servers: tuple[TestServer, TestServer]) -> TestServer:
    """A collection of 5,000 records of long texts under an index, on Postgres, analyzed."""
    _sqlite, postgres = servers
    app = postgres.app
    app.save_collection(new_collection({
        "name": "many", "type": "base", "listRule": "", "fields": [{"name": "title", "type": "text"}],
        "indexes": ["CREATE INDEX idx_many_title ON many (title)"],
    }))  # fmt: skip
    with app.db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO many (id, title) SELECT substr(md5(g::text), 1, 15), "
            "repeat(md5(g::text), 1 + g %% 90) FROM generate_series(1, 5000) g"
        )
        conn.exec_driver_sql("ANALYZE many")
    return postgres


PLANS = [
    ("sort", None, "title", 0),
    ("sort descending", None, "-title", 0),
    ("sort, a later page", None, "title", 300),
    ("range filter", "title > 'ff'", None, 0),
    ("range filter, sorted", "title >= 'c1' && title < 'c2'", "-title", 0),
]  # fmt: skip


@pytest.mark.parametrize(("filter_text", "sort_text", "offset"), [pytest.param(f, s, o, id=n) for n, f, s, o in PLANS])
def test_sorts_and_ranges_walk_the_prefix_index(many: TestServer, filter_text: str | None, sort_text: str | None,
                                                offset: int) -> None:  # fmt: skip
    plan = _plan(many, filter_text, sort_text, offset)
    assert "idx_many_title__pb_ord" in plan, plan
    assert "Seq Scan" not in plan, plan
    if sort_text is not None and filter_text is None:
        assert "Incremental Sort" in plan, plan


def test_equality_still_uses_the_hash_index(many: TestServer) -> None:
    plan = _plan(many, f"title = '{'ab' * 1500}'", None)
    assert "Index Scan using idx_many_title on" in plan, plan


def _fill_refs(srv: TestServer) -> None:
    """refs: a single relation to texts (empty in some records: NULL through the join) and a
    multiple one (any of its items), each record labelled by its place."""
    headers = _superuser_headers(srv)
    texts = srv.request("GET", "/api/collections/texts/records?perPage=100&sort=@rowid", headers=headers).json()["items"]
    ids = [item["id"] for item in texts]
    texts_id = srv.request("GET", "/api/collections/texts", headers=headers).json()["id"]
    _post(srv, headers, "/api/collections", {
        "name": "refs", "listRule": "",
        "fields": [{"name": "label", "type": "text"},
                   {"name": "r", "type": "relation", "collectionId": texts_id, "maxSelect": 1},
                   {"name": "rs", "type": "relation", "collectionId": texts_id, "maxSelect": 5}],
    })  # fmt: skip
    for number in range(len(ids) + 4):
        one = [] if number % 5 == 4 else [ids[(number * 7) % len(ids)]]
        many = [ids[(number * k) % len(ids)] for k in range(1, number % 4 + 1)]
        _post(srv, headers, "/api/collections/refs/records", {"label": f"{number:03}", "r": one[0] if one else "", "rs": many})


def _superuser_headers(srv: TestServer) -> dict[str, str]:
    token = srv.request("POST", "/api/collections/_superusers/auth-with-password",
                        json={"identity": "prefix@example.com", "password": "1234567890"}).json()["token"]  # fmt: skip
    return {"Authorization": token}


REF_CASES = [
    ("sort by a relation's text (NULL where none)", "sort=r.t,label"),
    ("sort by a relation's text descending", "sort=-r.t,label"),
    ("relation's text range", _f(f"r.t > '{K}'") + "&sort=label"),
    ("relation's text range or none", _f(f"r.t <= '{P}' || r = ''") + "&sort=label"),
    ("multiple relation's texts: all in range", _f(f"rs.t >= '{K}k'") + "&sort=label"),
    ("multiple relation's texts: any in range", _f(f"rs.t ?< '{P}'") + "&sort=label"),
    ("a text against a relation's text", _f("r.t > rs.t") + "&sort=label"),
    ("another collection's text (superuser)", _f(f"@collection.texts.t ?> '{LONG}' && label < '010'") + "&sort=label"),
]  # fmt: skip


@pytest.fixture(scope="module")
def refs(servers: tuple[TestServer, TestServer]) -> tuple[TestServer, TestServer]:
    for srv in servers:
        _fill_refs(srv)
    return servers


@pytest.mark.parametrize("query", [pytest.param(q, id=n) for n, q in REF_CASES])
def test_relations_answer_as_on_sqlite(refs: tuple[TestServer, TestServer], query: str) -> None:
    answers = []
    for srv in refs:
        resp = srv.request("GET", f"/api/collections/refs/records?perPage=100&{query}", headers=_superuser_headers(srv))
        assert resp.status_code == 200, resp.text
        answers.append([item["label"] for item in resp.json()["items"]])
    assert answers[0] == answers[1]
    assert answers[0], "the case finds records"


def test_an_index_dropped_leaves_the_column_unmarked(servers: tuple[TestServer, TestServer]) -> None:
    """The column's mark follows the collection's indexes: gone with the index or under a
    collation (then the plain sort and comparison, the same answers), back with it (the
    collection's indexes as they were)."""
    _sqlite, postgres = servers
    app = postgres.app
    headers = _superuser_headers(postgres)
    for indexes, marked in (([], False), (["CREATE INDEX idx_texts_t ON texts (t COLLATE NOCASE)"], False),
                            (["CREATE INDEX idx_texts_t ON texts (t)", EDITOR_INDEX], True)):  # fmt: skip
        resp = postgres.request("PATCH", "/api/collections/texts", headers=headers, json={"indexes": indexes})
        assert resp.status_code == 200, resp.text
        column = app.find_collection("texts").table.c.t
        assert (ORDERED_PREFIX_INFO in column.info) is marked
        names = [row[0] for row in postgres.rows("SELECT indexname FROM pg_indexes WHERE tablename = 'texts'")]
        assert ("idx_texts_t__pb_ord" in names) is marked, names
        assert _texts(postgres, "sort=t")[:-1] == ASC
        assert _texts(postgres, _f(f"t > '{K}'") + "&sort=-t")[:-1] == [v for v in DESC if v > K]
