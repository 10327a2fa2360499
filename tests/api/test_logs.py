"""Request logs in ``auxiliary.db`` and ``/api/logs`` (list, view, stats, delete)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pybase.core.logs import ERROR, INFO, WARN
from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests import testapp
from tests.scenarios import Scenario, run

pytestmark = pytest.mark.both_backends


def _flushed(server: testapp.TestServer) -> None:
    server.pybase.core.logs.flush()


def _seed(server: testapp.TestServer) -> None:
    """A few requests (one failing) and two app log entries, written to the table."""
    server.request("GET", "/api/collections/posts/records?perPage=1", headers={"User-Agent": "seed-agent", "Referer": "http://ref.test/"})
    server.request("GET", "/api/collections/nope/records")
    logger = server.pybase.core.logger()
    logger.info("hello from python", "k", 1, extra="x")
    logger.with_(job="import").warn("careful", step=2)
    _flushed(server)


def _first_id(server: testapp.TestServer) -> str:
    _seed(server)
    return str(server.pybase.core.logs.list(None, "-@rowid", limit=1, offset=0, total=False)[0][0]["id"])


SCENARIOS = [
    Scenario("guests may not list logs", "GET", "/api/logs", expected_status=401,
             expected_content=['"message":"The request requires valid record authorization token."']),
    Scenario("users may not list logs", "GET", "/api/logs", headers={"Authorization": "USER1"}, expected_status=403),
    Scenario("superusers list the logs", "GET", "/api/logs?sort=-@rowid&perPage=50", headers={"Authorization": "SUPERUSER"},
             before=_seed, expected_content=['"page":1', '"perPage":50', '"message":"GET /api/collections/posts/records?perPage=1"',
                                             '"type":"request"', '"userAgent":"seed-agent"', '"referer":"http://ref.test/"',
                                             '"status":404', '"level":8', '"message":"hello from python"', '"extra":"x"',
                                             '"job":"import"', '"level":4']),
    Scenario("filter on a data path", "GET", "/api/logs?filter=data.status%3D404", headers={"Authorization": "SUPERUSER"},
             before=_seed, expected_content=['"totalItems":1', '"status":404', '"error":"Missing collection context."'],
             not_expected_content=['"status":200']),
    Scenario("filter on level and message", "GET", "/api/logs?filter=level%3E%3D4%20%26%26%20message~%27careful%27",
             headers={"Authorization": "SUPERUSER"}, before=_seed, expected_content=['"totalItems":1', '"step":2']),
    Scenario("an invalid filter is a 400", "GET", "/api/logs?filter=nope%3D1", headers={"Authorization": "SUPERUSER"},
             expected_status=400, expected_content=['"message":"Something went wrong while processing your request."']),
    Scenario("an invalid sort is a 400", "GET", "/api/logs?sort=nope", headers={"Authorization": "SUPERUSER"}, expected_status=400),
    Scenario("bad paging is a 400", "GET", "/api/logs?page=abc", headers={"Authorization": "SUPERUSER"}, expected_status=400),
    Scenario("skipTotal", "GET", "/api/logs?skipTotal=1", headers={"Authorization": "SUPERUSER"}, before=_seed,
             expected_content=['"totalItems":-1', '"totalPages":-1']),
    Scenario("fields", "GET", "/api/logs?fields=id,level&perPage=1", headers={"Authorization": "SUPERUSER"}, before=_seed,
             not_expected_content=['"message"', '"data"']),
    Scenario("stats per hour", "GET", "/api/logs/stats", headers={"Authorization": "SUPERUSER"}, before=_seed,
             expected_content=['"total":', ':00:00.000Z"']),
    Scenario("stats with an invalid filter", "GET", "/api/logs/stats?filter=(", headers={"Authorization": "SUPERUSER"}, expected_status=400),
    Scenario("stats for guests", "GET", "/api/logs/stats", expected_status=401),
    Scenario("an unknown log is a 404", "GET", "/api/logs/nope", headers={"Authorization": "SUPERUSER"}, expected_status=404,
             expected_content=['"message":"The requested resource wasn\'t found."']),
    Scenario("one log for a user", "GET", "/api/logs/nope", headers={"Authorization": "USER1"}, expected_status=403),
    Scenario("delete for guests", "DELETE", "/api/logs", expected_status=401),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_logs_api(server: testapp.TestServer, scenario: Scenario) -> None:
    run(server, scenario)


def test_one_log_by_id(server: testapp.TestServer) -> None:
    log_id = _first_id(server)
    su = {"Authorization": server.token("superuser")}
    resp = server.request("GET", f"/api/logs/{log_id}", headers=su)
    assert resp.status_code == 200
    assert set(resp.json()) == {"id", "created", "level", "message", "data"}


def test_delete_empties_the_logs(server: testapp.TestServer) -> None:
    _seed(server)
    su = {"Authorization": server.token("superuser")}
    assert server.request("DELETE", "/api/logs", headers=su).status_code == 204
    _flushed(server)
    assert server.request("GET", "/api/logs", headers=su).json()["totalItems"] == 0


def _logs_sql(server: testapp.TestServer, sql: str) -> list[Any]:
    """Run ``sql`` on the logs' own database, on a connection of its own (auxiliary.db, or
    the Postgres database the data is in)."""
    url = server.app.database_url
    if not url:
        with sqlite3.connect(server.pybase.core.logs.path) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        cursor = conn.execute(sql.replace("%", "%%"))
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def test_entries_are_written_off_the_request_path_within_seconds(server: testapp.TestServer) -> None:
    server.request("GET", "/api/health?probe=written-later")
    deadline = time.monotonic() + 15  # the writer flushes every 3 s
    found: list[Any] = []
    while time.monotonic() < deadline and not found:
        found = _logs_sql(server, "SELECT level, message FROM _logs WHERE message LIKE '%written-later%'")
        time.sleep(0.2)
    assert found == [(INFO, "GET /api/health?probe=written-later")]


def test_a_nul_in_a_url_loses_no_log_entry(server: testapp.TestServer) -> None:
    """A URL's %00 is a NUL in the entry's message: SQLite keeps it; Postgres text cannot hold
    one, and the entry failed its whole batch there (every request logged beside it was lost):
    on Postgres it is held escaped (pybase.store.pg_nul) and reads back as written."""
    _flushed(server)
    server.request("GET", "/api/health?nul=before")
    server.request("GET", "/api/health?nul=a%00b")
    server.pybase.core.logger().info("app entry with a \x00 too")
    server.request("GET", "/api/health?nul=after")
    nul = "\x00"
    assert sorted(m for m in _messages(server) if "nul=" in m or "app entry" in m) == sorted([
        "GET /api/health?nul=before", f"GET /api/health?nul=a{nul}b", f"app entry with a {nul} too", "GET /api/health?nul=after",
    ])


def test_successful_log_reads_are_not_logged_but_failures_are(server: testapp.TestServer) -> None:
    su = {"Authorization": server.token("superuser")}
    server.request("GET", "/api/logs", headers=su)
    server.request("GET", "/api/logs")  # 401
    _flushed(server)
    messages = [item["message"] for item in server.pybase.core.logs.list(None, None, limit=100, offset=0, total=False)[0]]
    assert messages.count("GET /api/logs") == 1


def test_expired_and_low_level_entries_are_deleted(server: testapp.TestServer) -> None:
    logs = server.pybase.core.logs
    logs.add(ERROR, "recent", {})
    logs.add(WARN, "old", {})
    logs.flush()
    _logs_sql(server, "UPDATE _logs SET created = '2000-01-01 00:00:00.000Z' WHERE message = 'old'")
    assert logs.delete_expired() == 1
    remaining = [e["message"] for e in logs.list(None, None, limit=100, offset=0, total=False)[0]]
    assert "recent" in remaining and "old" not in remaining


@pytest.mark.parametrize("count", [1, 65, 2001])
def test_a_flush_writes_every_entry_as_queued(server: testapp.TestServer, count: int) -> None:
    """Each entry lands once, whole, in the order queued (a batch's end and the next one's)."""
    logs = server.pybase.core.logs
    logs.flush()
    for i in range(count):
        logs.add(WARN if i % 2 else ERROR, f"entry {count} {i}", {"i": i, "text": "é\u0000x" if i % 3 else ""})
    # NOTE: not flush()'s count: the 2000th entry wakes the writer thread, which may write first
    logs.flush()
    entries, total = logs.list(f"message ~ 'entry {count} %'", None, limit=count + 1, offset=0, total=True)
    assert total == count and len({e["id"] for e in entries}) == count
    assert [(e["message"], e["level"], e["data"]) for e in entries] == [
        (f"entry {count} {i}", WARN if i % 2 else ERROR, {"i": i, "text": "é\u0000x" if i % 3 else ""}) for i in range(count)
    ]


def test_a_full_queue_drops_the_oldest_entries(server: testapp.TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pybase.core.logs import store

    monkeypatch.setattr(store, "MAX_PENDING", 10)
    monkeypatch.setattr(store, "BATCH_SIZE", 1000)
    logs = server.pybase.core.logs
    logs.flush()
    before = logs.dropped
    for i in range(25):
        logs.add(INFO, f"burst {i}", {})
    assert logs.dropped - before >= 15


def _patch_logs(server: testapp.TestServer, **logs: Any) -> None:
    su = {"Authorization": server.token("superuser")}
    resp = server.request("PATCH", "/api/settings", json={"logs": logs}, headers=su)
    assert resp.status_code == 200, resp.text


def _messages(server: testapp.TestServer) -> list[str]:
    server.pybase.core.logs.flush()
    return [e["message"] for e in server.pybase.core.logs.list(None, None, limit=500, offset=0, total=False)[0]]


def test_logs_settings_decide_what_is_kept(server: testapp.TestServer) -> None:
    server.request("GET", "/api/health?step=1")
    _patch_logs(server, minLevel=8)  # only errors from now on; lower entries already kept go
    server.request("GET", "/api/health?step=2")
    server.request("GET", "/api/collections/nope/records?step=3")
    messages = _messages(server)
    assert "GET /api/health?step=1" not in messages and "GET /api/health?step=2" not in messages
    assert "GET /api/collections/nope/records?step=3" in messages
    _patch_logs(server, minLevel=0, logIP=False, logAuthId=True)
    server.request("GET", "/api/health?step=4", headers={"Authorization": server.token("user1")})
    server.pybase.core.logs.flush()
    entry = server.pybase.core.logs.list("message~'step=4'", None, limit=1, offset=0, total=False)[0][0]
    assert "userIP" not in entry["data"] and "remoteIP" not in entry["data"]
    assert entry["data"]["auth"] == "users" and entry["data"]["authId"]
    _patch_logs(server, maxDays=0)  # logs off
    server.request("GET", "/api/health?step=5")
    assert "GET /api/health?step=5" not in _messages(server)


def test_a_nul_in_an_entrys_data_fails_no_filter_on_data(server: testapp.TestServer) -> None:
    """An entry's data holding a NUL (a URL's %00, an app entry's value) is kept, and a filter
    on ``data`` reads every entry beside it: on Postgres a NUL in JSON is one jsonb cannot hold
    ("unsupported Unicode escape sequence"), which failed the whole list."""
    _flushed(server)
    server.request("GET", "/api/health?nul=a%00b")
    server.pybase.core.logger().info("nul data", "k", "a\x00b")
    server.pybase.core.logger().info("plain data", "k", "ab")
    _flushed(server)
    su = {"Authorization": server.token("superuser")}
    for filter_ in ("data.k='ab'", "data.k~'a'", "data.url~'nul'"):
        resp = server.request("GET", "/api/logs", params={"filter": filter_, "perPage": 50}, headers=su)
        assert resp.status_code == 200, (filter_, resp.text)
    resp = server.request("GET", "/api/logs", params={"filter": "data.k='ab'", "perPage": 50}, headers=su)
    assert [item["message"] for item in resp.json()["items"]] == ["plain data"]
    resp = server.request("GET", "/api/logs", params={"filter": "data.k~'a'", "perPage": 50, "sort": "message"}, headers=su)
    assert [item["message"] for item in resp.json()["items"]] == ["nul data", "plain data"]
    nul = "\x00"
    assert resp.json()["items"][0]["data"]["k"] == f"a{nul}b"
