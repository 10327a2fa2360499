"""``POST /api/sql``: superusers run one SQL statement (answers as PocketBase 0.40.6 gives them;
tests/conformance/test_sql_meta.py compares them live)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pybase.core.sql_console import go_float
from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests import testapp
from tests.api.test_collections_meta import (
    BLANK,
    LOAD_FAILED,
    SU,
    TOO_LONG,
    VALIDATION_FAILED,
    auth_scenarios,
)
from tests.pg import postgres_only
from tests.scenarios import Scenario, run
from tests.testapp import USER1_ID, start_server

SQL = "/api/sql"


def sql(name: str, query, **kwargs) -> Scenario:
    kwargs.setdefault("headers", SU)
    body = {"query": query} if not isinstance(query, bytes | dict | list) else query
    return Scenario(name, "POST", SQL, body=body, **kwargs)


def failed(message: str) -> list[str]:
    return ['"data":{}', f'"message":"Failed to execute query. Raw error:\\n{message}"', '"status":400']


def db_rows(server, query: str):
    with sqlite3.connect(Path(server.app.data_dir) / "data.db") as conn:
        return conn.execute(query).fetchall()


def table_made(server, resp):
    assert db_rows(server, "SELECT a, b FROM t1 ORDER BY a") == [(1, None), (2, "x")]


def make_table(server):
    token = server.token("superuser")
    for query in ("create table t1 (a integer not null, b text)", "insert into t1 values (1, null), (2, 'x')"):
        assert server.request("POST", SQL, json={"query": query}, headers={"Authorization": token}).status_code == 200


SCENARIOS = [
    *auth_scenarios("POST", SQL, {"query": "select 1"}),
    sql("select with declared types and text values", f"select id, email, verified, 1 as n, null as z, 2.5 as f, 3.0 as g, "
        f"1234567.0 as h, x'00' as b from users where id = '{USER1_ID}'",
        expected_content=['"affectedRows":0', '{"name":"id","nullable":true,"type":"TEXT"}', '{"name":"verified","nullable":true,"type":"BOOLEAN"}',
                          '{"name":"n","nullable":true,"type":""}', f'"rows":[["{USER1_ID}","user1@example.com","1","1",null,"2.5","3","1.234567e+06","\\u0000"]]',
                          '"execTime":']),
    sql("a select answers at most 1000 rows", "with recursive c(x) as (select 1 union all select x + 1 from c limit 1500) select x from c",
        after=lambda s, r: len(r.json()["rows"]) == 1000 or pytest.fail(str(len(r.json()["rows"])))),
    sql("create and insert run as writes", "create table t1 (a integer not null, b text)", expected_content=['"columns":[]', '"rows":[]'],
        after=lambda s, r: s.request("POST", SQL, json={"query": "insert into t1 values (1, null), (2, 'x')"},
                                     headers={"Authorization": s.token("superuser")}).json()["affectedRows"] == 2 or pytest.fail("rows"),
        ),
    sql("a statement that changes no row answers 0, whatever changed rows before it", "create table t2 (a integer)",
        before=make_table, expected_content=['"affectedRows":0']),
    sql("rows of a table made through the API", "select * from t1", before=make_table,
        expected_content=['"columns":[{"name":"a","nullable":true,"type":"INTEGER"},{"name":"b","nullable":true,"type":"TEXT"}]',
                          '"rows":[["1",null],["2","x"]]'], after=table_made),
    sql("update answers the rows it changed", "update t1 set b = 'y'", before=make_table, expected_content=['"affectedRows":2'],
        after=lambda s, r: db_rows(s, "SELECT count(*) FROM t1 WHERE b = 'y'") == [(2,)] or pytest.fail("not updated")),
    sql("a failed write changes nothing", "insert into t1 values (null, 1)", before=make_table, expected_status=400,
        expected_content=failed("constraint failed: NOT NULL constraint failed: t1.a (1299)."), after=table_made),
    sql("pragma runs as a read", "pragma table_info(t1)", before=make_table,
        expected_content=['{"name":"cid","nullable":true,"type":""}', '["0","a","INTEGER","1",null,"0"]']),
    sql("leading spaces", "   select 1", expected_content=['"rows":[["1"]]']),
    sql("syntax error", "bad query", expected_status=400, expected_content=failed('SQL logic error: near \\"bad\\": syntax error (1).')),
    sql("no such table", "select 1 from nosuch", expected_status=400, expected_content=failed("SQL logic error: no such table: nosuch (1).")),
    sql("only spaces", "   ", expected_status=400, expected_content=failed("empty query.")),
    sql("a write without a write keyword is refused", "with x as (select 1) insert into t1 values (3, 'z')", before=make_table,
        expected_status=400, expected_content=failed("attempt to write a readonly database: attempt to write a readonly database (8)."), after=table_made),
    sql("a BEGIN on a reader does not stay open", "begin", after=lambda s, r: s.request(
        "POST", SQL, json={"query": "select 1"}, headers={"Authorization": s.token("superuser")}).status_code == 200 or pytest.fail("x")),
    sql("empty JSON object", {}, expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    sql("empty body", b"", expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    sql("null query", None, expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    sql("number query", 1, expected_status=400, expected_content=[LOAD_FAILED]),
    sql("list query", {"query": ["select 1"]}, expected_status=400, expected_content=[LOAD_FAILED]),
    sql("malformed JSON", b"{bad", headers={**SU, "Content-Type": "application/json"}, expected_status=400, expected_content=[LOAD_FAILED]),
    sql("plain text body", b"select 1", headers={**SU, "Content-Type": "text/plain"}, expected_status=400,
        expected_content=['"message":"Unsupported Content-Type."']),
    sql("form body", b"query=select+2", headers={**SU, "Content-Type": "application/x-www-form-urlencoded"}, expected_content=['"rows":[["2"]]']),
    sql("too long", "select 1 " + "x" * 5000, expected_status=400, expected_content=[VALIDATION_FAILED, TOO_LONG]),
    sql("5000 characters is fine", "select 1" + " " * 4992, expected_content=['"rows":[["1"]]']),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_sql(server, scenario):
    run(server, scenario)


@pytest.mark.both_backends
def test_a_write_to_collections_reloads_them(server):
    token = {"Authorization": server.token("superuser")}
    query = "update _collections set \"listRule\" = 'id != \"\"' where name = 'posts'"  # NOTE: quoted for Postgres
    resp = server.request("POST", SQL, json={"query": query}, headers=token)
    assert resp.json()["affectedRows"] == 1
    assert server.request("GET", "/api/collections/posts", headers=token).json()["listRule"] == 'id != ""'


@pytest.mark.parametrize(("value", "text"), [
    (3.0, "3"), (2.5, "2.5"), (1e6, "1e+06"), (123456.0, "123456"), (1234567.0, "1.234567e+06"), (0.0001, "0.0001"),
    (0.00001, "1e-05"), (-2.5, "-2.5"), (1e21, "1e+21"), (0.1, "0.1"), (float("inf"), "+Inf"),
])  # fmt: skip
def test_floats_read_as_go_writes_them(value, text):
    assert go_float(value) == text


@pytest.fixture
def pg_server(tmp_path: Path, databases) -> Iterator[testapp.TestServer]:
    """A pybase whose data database is a fresh copy of the fixture's on Postgres."""
    template, url = databases.copy_of_fixture()
    srv = start_server(tmp_path, template, url)
    yield srv
    srv.stop()
    databases.drop(url)


@postgres_only
def test_postgres_runs_postgres_sql(pg_server: testapp.TestServer) -> None:
    token = {"Authorization": pg_server.token("superuser")}

    def ask(query: str):
        return pg_server.request("POST", SQL, json={"query": query}, headers=token)

    assert ask("create table t1 (a integer not null, b text)").status_code == 200
    assert ask("insert into t1 values (1, null), (2, 'x')").json()["affectedRows"] == 2
    got = ask("select a, b, a::float8 / 4 as q, true as t from t1 order by a").json()
    assert got["columns"] == [{"name": "a", "nullable": True, "type": "INT4"}, {"name": "b", "nullable": True, "type": "TEXT"},
                              {"name": "q", "nullable": True, "type": "FLOAT8"}, {"name": "t", "nullable": True, "type": "BOOL"}]
    assert got["rows"] == [["1", None, "0.25", "true"], ["2", "x", "0.5", "true"]]
    bad = ask("select nosuch from t1")
    assert bad.status_code == 400 and bad.json()["message"].startswith("Failed to execute query. Raw error:\n")
    dry = pg_server.request("POST", "/api/collections/meta/dry-run-view", json={"query": "select id, name from users"}, headers=token)
    assert dry.status_code == 200 and len(dry.json()["sample"]) == 2, dry.text


@pytest.mark.both_backends
@pytest.mark.parametrize("query", [
    "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
    "create table t9 as with recursive c(x) as (select 1 union all select x + 1 from c) select x from c",
])  # fmt: skip
def test_a_statement_past_its_limit_is_stopped(server, monkeypatch, query):
    monkeypatch.setattr("pybase.core.sql_console.MAX_SECONDS", 0.2)
    token = {"Authorization": server.token("superuser")}
    resp = server.request("POST", SQL, json={"query": query}, headers=token)
    assert resp.status_code == 400
    assert resp.json()["message"]== "Failed to execute query. Raw error:\ninterrupted: interrupted (9).", resp.text
    # the reader and the writer serve the next statements
    assert server.request("POST", SQL, json={"query": "create table t8 (a integer)"}, headers=token).status_code == 200
    assert server.request("POST", SQL, json={"query": "select count(*) from t8"}, headers=token).json()["rows"] == [["0"]]
