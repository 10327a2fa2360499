"""Text order on a Postgres database whose collation is not byte order (issue #17).

SQLite (and so PocketBase) compares and sorts text by its bytes (UTF-8 byte order is code point
order). The test server's cluster is made with ``--locale C`` (tests/pg.py), where every
collation agrees; a database made with another one (the default of most installs, e.g.
``en_US.UTF-8``, or an ICU one, as here) sorts ``a`` beside ``A`` and puts ``_x`` before ``10``.
pybase makes its text columns ``COLLATE "C"`` and spells byte order on the text it computes
(a JSON value's, ``:lower``'s) in its filters and sorts; a table an older pybase made in the
database's collation is changed at start (pybase/store/pg_text_order.py). Each case is what
SQLite answers (Python's own str order is SQLite's byte order for UTF-8 text).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from tests.pg import postgres_only
from tests.testapp import TestServer, start_server

pytestmark = postgres_only

# NOTE: mixed case, accents (composed and not), symbols, digits, a letter past Latin, emoji (4
# UTF-8 bytes, past U+FFFF), the empty text
VALUES = [
    "b", "B", "a", "A", "_x", "éa", "Z", "10", "9", "a b", "ab", "a-c", "Ω", "", "É", "e", "e\u0301", "ä", "Ä",
    "😀", "😀a", "☃", "z", "ß",
]  # fmt: skip
BYTE_ORDER = sorted(VALUES)
# SQLite's lower(): ASCII letters only
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _compact(value: str) -> str:
    """A json field's value {"s": value} as SQLite holds it (compact JSON text)."""
    return json.dumps({"s": value}, separators=(",", ":"), ensure_ascii=False)


def _q(text: str) -> str:
    return quote(text, safe="=,-")


# (name, query string, the texts SQLite answers, in its order)
CASES = [
    ("sort by text", "sort=t,id", BYTE_ORDER),
    ("sort by text descending", "sort=-t,id", BYTE_ORDER[::-1]),
    ("text greater than", "filter=t>'a'&sort=t", [v for v in BYTE_ORDER if v > "a"]),
    ("text less than", "filter=t<'B'&sort=t", [v for v in BYTE_ORDER if v < "B"]),
    ("text between", "filter=t>='Z'%26%26t<='b'&sort=t", [v for v in BYTE_ORDER if "Z" <= v <= "b"]),
    ("text past an accent", "filter=" + _q("t>='é'") + "&sort=t", [v for v in BYTE_ORDER if v >= "é"]),
    ("text below an emoji", "filter=" + _q("t<'😀'") + "&sort=-t", [v for v in BYTE_ORDER[::-1] if v < "😀"]),
    ("sort by a json string", "sort=j.s,id", BYTE_ORDER),
    ("sort by a json string descending", "sort=-j.s,id", BYTE_ORDER[::-1]),
    ("json string greater than", "filter=j.s>'a'&sort=t", [v for v in BYTE_ORDER if v > "a"]),
    ("sort by a whole json field", "sort=j,id", sorted(VALUES, key=_compact)),
    ("sort by a relation's text", "sort=rel.title,id", BYTE_ORDER),
    ("sort by a relation's text descending", "sort=-rel.title,id", BYTE_ORDER[::-1]),
    ("relation's text less than", "filter=rel.title<'a'&sort=t", [v for v in BYTE_ORDER if v < "a"]),
    ("sort by a multiple relation's text", "sort=rels.title,id", BYTE_ORDER),
    ("sort by a multiple relation's text descending", "sort=-rels.title,id", BYTE_ORDER[::-1]),
    ("lowered text less than", "filter=" + _q("t:lower<'b'") + "&sort=t",
     [v for v in BYTE_ORDER if v.translate(ASCII_LOWER) < "b"]),
    ("lowered text greater than an accent", "filter=" + _q("t:lower>'é'") + "&sort=t",
     [v for v in BYTE_ORDER if v.translate(ASCII_LOWER) > "é"]),
]  # fmt: skip

# a view collection's text computed by its query (in the database's collation there)
VIEW_CASES = [
    ("sort by a view's computed text", "sort=u,id", sorted(VALUES, key=lambda v: v + "!")),
    ("sort by a view's computed text descending", "sort=-u,id", sorted(VALUES, key=lambda v: v + "!", reverse=True)),
    ("view's computed text greater than", "filter=u>'a!'&sort=u", [v for v in BYTE_ORDER if v + "!" > "a!"]),
]
# _logs: an entry's message and data
LOG_CASES = [
    ("sort by message", "filter=message>='c:'&sort=message", BYTE_ORDER),
    ("sort by message descending", "filter=message>='c:'&sort=-message", BYTE_ORDER[::-1]),
    ("message greater than", "filter=message>'c:a'&sort=message", [v for v in BYTE_ORDER if v > "a"]),
    ("sort by a data value", "filter=message>='c:'&sort=data.s", BYTE_ORDER),
]


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _icu_database(databases: Any, name: str) -> str:
    server = databases.server
    try:
        server.admin(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' "
                     "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")  # fmt: skip
    except Exception as ex:  # noqa: BLE001 - a server built without ICU
        pytest.skip(f"this Postgres cannot make an ICU database: {ex}")
    return str(server.url(name))


def _superuser(srv: TestServer) -> dict[str, str]:
    su = srv.app.new_record("_superusers", {"email": "collation@example.com"})
    su.set_password_plain("password", "1234567890")
    srv.app.save(su)
    token = srv.request("POST", "/api/collections/_superusers/auth-with-password",
                        json={"identity": "collation@example.com", "password": "1234567890"}).json()["token"]  # fmt: skip
    return {"Authorization": token}


def _post(srv: TestServer, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = srv.request("POST", path, headers=headers, json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def icu_server(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[TestServer]:
    """A pybase on a database whose default collation is ICU's en-US (not byte order)."""
    url = _icu_database(databases, f"icu_{tmp_path_factory.getbasetemp().name}".replace("-", "_"))
    warnings = _Warnings()
    logging.getLogger("pybase.db").addHandler(warnings)
    try:
        srv = start_server(Path(tmp_path_factory.mktemp("collation")), None, url)
    finally:
        logging.getLogger("pybase.db").removeHandler(warnings)
    srv.warnings = warnings.messages  # type: ignore[attr-defined]
    try:
        headers = _superuser(srv)
        titles = _post(srv, headers, "/api/collections", {"name": "titles", "listRule": "", "viewRule": "",
                                                           "fields": [{"name": "title", "type": "text"}]})  # fmt: skip
        _post(srv, headers, "/api/collections", {"name": "texts", "listRule": "", "fields": [
            {"name": "t", "type": "text"}, {"name": "j", "type": "json"},
            {"name": "rel", "type": "relation", "collectionId": titles["id"], "maxSelect": 1},
            {"name": "rels", "type": "relation", "collectionId": titles["id"], "maxSelect": 5},
        ]})  # fmt: skip
        _post(srv, headers, "/api/collections", {"name": "texts_view", "type": "view", "listRule": "",
                                                 "viewQuery": "SELECT id, t, (t || '!') AS u FROM texts"})  # fmt: skip
        for value in VALUES:
            title = _post(srv, headers, "/api/collections/titles/records", {"title": value})
            _post(srv, headers, "/api/collections/texts/records",
                  {"t": value, "j": {"s": value}, "rel": title["id"], "rels": [title["id"]]})  # fmt: skip
            srv.pybase.core.logs.add(0, f"c:{value}", {"s": value})
        srv.pybase.core.logs.flush()
        srv.headers = headers  # type: ignore[attr-defined]
        yield srv
    finally:
        srv.stop()
        databases.drop(url)


@pytest.mark.parametrize(("query", "expected"), [pytest.param(q, e, id=n) for n, q, e in CASES])
def test_text_order_on_a_database_with_another_collation(icu_server: TestServer, query: str, expected: list[str]) -> None:
    resp = icu_server.request("GET", f"/api/collections/texts/records?perPage=100&{query}")
    assert resp.status_code == 200, resp.text
    assert [item["t"] for item in resp.json()["items"]] == expected


@pytest.mark.parametrize(("query", "expected"), [pytest.param(q, e, id=n) for n, q, e in VIEW_CASES])
def test_a_views_computed_text_orders_by_bytes(icu_server: TestServer, query: str, expected: list[str]) -> None:
    resp = icu_server.request("GET", f"/api/collections/texts_view/records?perPage=100&{query}")
    assert resp.status_code == 200, resp.text
    assert [item["t"] for item in resp.json()["items"]] == expected


@pytest.mark.parametrize(("query", "expected"), [pytest.param(q, e, id=n) for n, q, e in LOG_CASES])
def test_log_text_orders_by_bytes(icu_server: TestServer, query: str, expected: list[str]) -> None:
    resp = icu_server.request("GET", f"/api/logs?perPage=100&{query}", headers=icu_server.headers)  # type: ignore[attr-defined]
    assert resp.status_code == 200, resp.text
    assert [item["message"].removeprefix("c:") for item in resp.json()["items"]] == expected


def test_a_database_that_does_not_order_text_by_bytes_is_named_at_start(icu_server: TestServer) -> None:
    assert [m for m in icu_server.warnings if "does not order text by bytes" in m and "LOCALE 'C'" in m], icu_server.warnings  # type: ignore[attr-defined]


def _one(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


_COLLATIONS = (
    "SELECT a.attname, l.collname FROM pg_attribute a JOIN pg_collation l ON l.oid = a.attcollation "
    "WHERE a.attrelid = '\"old\"'::regclass AND a.attnum > 0 AND NOT a.attisdropped "
    "AND a.atttypid = 'text'::regtype ORDER BY a.attnum"
)


def _create_old(srv: Any, headers: dict[str, str]) -> None:
    """The collection "old" (a text t under an index) the upgrade tests make as an older pybase."""
    _post(srv, headers, "/api/collections", {
        "name": "old", "listRule": "", "fields": [{"name": "t", "type": "text", "max": 100}],  # NOTE: bounded: a btree (index_long_keys)
        "indexes": ["CREATE INDEX idx_old_t ON old (t)"],
    })  # fmt: skip


def test_a_table_an_older_pybase_made_in_the_databases_collation_is_made_byte_ordered_at_start(
    tmp_path: Path, databases: Any
) -> None:
    url = _icu_database(databases, f"icu_old_{tmp_path.name}".replace("-", "_")[:60])
    try:
        srv = start_server(tmp_path, None, url)
        try:
            headers = _superuser(srv)
            _create_old(srv, headers)
            _post(srv, headers, "/api/collections", {"name": "old_view", "type": "view", "listRule": "",
                                                     "viewQuery": "SELECT id, t FROM old"})  # fmt: skip
            _post(srv, headers, "/api/collections", {"name": "kept", "listRule": "", "fields": [{"name": "t", "type": "text"}]})
            for value in VALUES:
                _post(srv, headers, "/api/collections/old/records", {"t": value})
                _post(srv, headers, "/api/collections/kept/records", {"t": value})
        finally:
            srv.stop()
        # NOTE: as an older pybase made them: text columns in the database's collation, a view
        # collection's view and a view made with SQL (commented) reading the table
        view_sql = _one(url, "SELECT pg_get_viewdef('old_view'), obj_description('old_view'::regclass, 'pg_class')")[0]
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute("DROP VIEW old_view")
            columns = [name for name, _ in conn.execute(_COLLATIONS).fetchall()]
            conn.execute('ALTER TABLE "old" ' + ", ".join(f'ALTER COLUMN "{c}" TYPE text COLLATE "default"' for c in columns))
            conn.execute(f"CREATE VIEW old_view AS {view_sql[0]}")
            conn.execute(f"COMMENT ON VIEW old_view IS '{view_sql[1]}'")
            conn.execute("CREATE VIEW app_report AS SELECT count(*) AS n FROM old_view")
            conn.execute("COMMENT ON VIEW app_report IS 'made with SQL'")
            # NOTE: a materialized view reading a table keeps it as it is (its rows would go)
            conn.execute('ALTER TABLE "kept" ALTER COLUMN "t" TYPE text COLLATE "default"')
            conn.execute('CREATE MATERIALIZED VIEW kept_rows AS SELECT t FROM "kept"')
        assert {collation for _, collation in _one(url, _COLLATIONS)} == {"default"}
        # NOTE: made again at start, then left alone
        warnings = _Warnings()
        logging.getLogger("pybase.db").addHandler(warnings)
        try:
            srv = start_server(tmp_path, None, url)
        finally:
            logging.getLogger("pybase.db").removeHandler(warnings)
        try:
            assert {collation for _, collation in _one(url, _COLLATIONS)} == {"C"}
            assert _one(url, _COLLATIONS.replace('"old"', '"kept"')) == [("id", "C"), ("t", "default")]
            assert [m for m in warnings.messages if m.startswith("table kept: its text columns keep")], warnings.messages
            items = srv.request("GET", "/api/collections/kept/records?perPage=100&sort=t,id").json()["items"]
            assert [item["t"] for item in items] == BYTE_ORDER
            assert _one(url, "SELECT obj_description('app_report'::regclass, 'pg_class'), "
                             "obj_description('old_view'::regclass, 'pg_class')") == [("made with SQL", view_sql[1])]  # fmt: skip
            for path in ("old", "old_view"):
                items = srv.request("GET", f"/api/collections/{path}/records?perPage=100&sort=t,id").json()["items"]
                assert [item["t"] for item in items] == BYTE_ORDER, path
                items = srv.request("GET", f"/api/collections/{path}/records?perPage=100&filter=t>'a'&sort=t").json()["items"]
                assert [item["t"] for item in items] == [v for v in BYTE_ORDER if v > "a"], path
            # NOTE: the index serves <, > and = (COLLATE "C" as its column)
            with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
                conn.execute("SET enable_seqscan = off")
                for where in ("t = 'a'", "t > 'a'", "(t) COLLATE \"C\" < ('a') COLLATE \"C\"", "t LIKE 'a%'"):
                    plan = " ".join(row[0] for row in conn.execute(f'EXPLAIN SELECT * FROM "old" WHERE {where}'))
                    assert "idx_old_t" in plan, (where, plan)
            index_file = _one(url, "SELECT pg_relation_filenode('idx_old_t')")
        finally:
            srv.stop()
        srv = start_server(tmp_path, None, url)
        srv.stop()
        assert _one(url, "SELECT pg_relation_filenode('idx_old_t')") == index_file
    finally:
        databases.drop(url)
