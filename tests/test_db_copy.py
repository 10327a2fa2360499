"""``pybase db copy --to postgres://...`` (issue 17), run for real as ``python -m pybase``.

A populated SQLite app (built through the HTTP API of a real server: auth users with passwords,
json, multi-select, single and multi relations, files, geo points, dates, a view collection,
changed settings, migrations history, logs) is copied to the real Postgres of tests/pg.py, then a
pybase served on that Postgres must answer as the SQLite one does, record by record: lists,
filters, expands, views, settings, sign-in with the old passwords, tokens issued before the move,
files. Then the refusals: a bad URL, an unreachable server, a target that already holds an app,
a table pybase did not create, a view query Postgres cannot run (named before anything is
written).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests.conftest import Databases
from tests.test_cli import ENV
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server
from tests.testapp import TestServer as Served

USERS = [("ada@example.com", "Ada"), ("bob@example.com", "Bob"), ("cy@example.com", "Cy")]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pybase <args>``, output captured."""
    return subprocess.run([sys.executable, "-m", "pybase", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=180)


def pg_tables(url: str) -> set[str]:
    """Tables and views of the target's public schema."""
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query on the target."""
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql).fetchall()


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 204), (response.status_code, response.text)
    return response.json() if response.status_code == 200 else None


def _populate(srv: Served) -> None:
    """Collections, records, files, a view and settings, all through the API."""
    su = srv.app.new_record("_superusers", {"email": SUPERUSER_EMAIL})
    su.set_password_plain("password", PASSWORD)
    srv.app.save(su)
    headers = {"Authorization": srv.token("superuser")}
    users = []
    for email, name in USERS:
        users.append(
            _ok(srv.request("POST", "/api/collections/users/records", headers=headers,
                            json={"email": email, "name": name, "password": PASSWORD, "passwordConfirm": PASSWORD,
                                  "verified": True}))
        )
    users_id = srv.app.find_collection("users").id
    _ok(srv.request("POST", "/api/collections", headers=headers, json={
        "name": "posts", "type": "base",
        "listRule": "", "viewRule": "",
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
            {"name": "meta", "type": "json"},
            {"name": "author", "type": "relation", "collectionId": users_id, "maxSelect": 1},
            {"name": "editors", "type": "relation", "collectionId": users_id, "maxSelect": 5},
            {"name": "cover", "type": "file", "maxSelect": 1, "maxSize": 1 << 20},
            {"name": "where", "type": "geoPoint"},
            {"name": "due", "type": "date"},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
        "indexes": ["CREATE INDEX idx_posts_title ON posts (title)",
                    "CREATE UNIQUE INDEX idx_posts_due ON posts (due) WHERE due != ''"],
    }))
    for i in range(24):
        data = {
            "title": f"Post {i}",
            "views": i * 7.5 if i % 3 else i,
            "published": i % 2 == 0,
            "tags": json.dumps(["a", "b", "c"][: i % 4]),
            "meta": json.dumps({"n": i, "nested": {"k": [i, str(i)]}, "b": i % 2 == 0} if i % 5 else None),
            "author": users[i % 3]["id"],
            "editors": json.dumps([u["id"] for u in users[: i % 4]]),
            "where": json.dumps({"lon": 2.35 + i, "lat": 48.85 - i / 10}),
            "due": f"2030-01-{i + 1:02d} 10:00:00.000Z" if i % 4 else "",
        }
        files = {"cover": (f"cover{i}.png", PNG, "image/png")} if i % 6 == 0 else None
        _ok(srv.request("POST", "/api/collections/posts/records", headers=headers, data=data, files=files))
    _ok(srv.request("POST", "/api/collections", headers=headers, json={
        "name": "popular", "type": "view", "listRule": "", "viewRule": "",
        "viewQuery": "SELECT id, title, views, author FROM posts WHERE views > 50",
    }))
    _ok(srv.request("POST", "/api/collections", headers=headers, json={
        "name": "per_author", "type": "view", "listRule": "", "viewRule": "",
        "viewQuery": "SELECT author AS id, count(*) AS total, max(views) AS top FROM posts GROUP BY author",
    }))
    _ok(srv.request("POST", "/api/collections", headers=headers, json={
        "name": "numbered", "type": "view", "listRule": "", "viewRule": "",
        "viewQuery": "SELECT (ROW_NUMBER() OVER (ORDER BY id)) AS id, title FROM posts",
    }))
    _ok(srv.request("PATCH", "/api/settings", headers=headers, json={
        "meta": {"appName": "Copied app", "appURL": "https://copied.example.com"},
        "logs": {"maxDays": 9},
    }))
    srv.app.logs.flush()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A populated app on SQLite, served (the copies are made while it serves)."""
    srv = start_server(tmp_path_factory.mktemp("source"), None)
    _populate(srv)
    yield srv
    srv.stop()


#: what the copy made, read before a server started on it
AFTER_COPY: dict[str, Any] = {}


@pytest.fixture(scope="module")
def copied(source: Served, databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, subprocess.CompletedProcess[str]]]:
    """The source copied to a fresh Postgres database (with its logs), and a pybase served on it
    with the source's file storage copied beside it."""
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, "--logs", cwd=tmp_path_factory.mktemp("cwd"))
    assert result.returncode == 0, result.stderr
    # NOTE: read before a server starts on it (a start brings views made otherwise up to date)
    AFTER_COPY["numbered id type"] = pg_rows(
        url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'numbered' AND column_name = 'id'")
    root = tmp_path_factory.mktemp("target")
    shutil.copytree(Path(source.app.data_dir) / "storage", root / "pb_data" / "storage")
    srv = start_server(root, None, url)
    yield srv, url, result
    srv.stop()
    databases.drop(url)


# ---- the copy ---------------------------------------------------------------------------------


def test_copy_reports_counts_and_progress(source: Served, copied: Any) -> None:
    _srv, _url, result = copied
    out = result.stdout
    assert "the counts match" in out
    for table, count in (("posts", 24), ("users", 3), ("_superusers", 1), ("_collections", None), ("_logs", None)):
        line = next(line for line in out.splitlines() if line.split() and line.split()[0] == table)
        numbers = [part.replace(",", "") for part in line.split()[1:3]]
        assert numbers[0] == numbers[1], line
        if count is not None:
            assert int(numbers[0]) == count, line
    assert "popular" in out and "(view)" in out
    assert "record files were not copied" in out and "storage" in out
    # NOTE: not a terminal: one progress line per table, when it is done
    assert "posts" in result.stderr and "24/24" in result.stderr


def test_a_view_with_a_number_id_is_copied_with_a_text_id(copied: Any) -> None:
    """As a view saved on Postgres: a number selected as id reads, filters and sorts as text."""
    assert AFTER_COPY["numbered id type"] == [("text",)]


def test_system_tables_rows_equal(source: Served, copied: Any) -> None:
    _srv, url, _result = copied
    with sqlite3.connect(Path(source.app.data_dir) / "data.db") as conn:
        for table, key in (("_collections", "id"), ("_params", "id"), ("_migrations", "file"), ("_superusers", "id"),
                           ("users", "id"), ("_authOrigins", "id"), ("_externalAuths", "id"), ("_mfas", "id"), ("_otps", "id")):
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            names = ", ".join(f'"{c}"' for c in columns)
            want = conn.execute(f'SELECT {names} FROM "{table}" ORDER BY "{key}"').fetchall()
            got = pg_rows(url, f'SELECT {names} FROM "{table}" ORDER BY "{key}" COLLATE "C"')
            assert [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in got] == want, table
        assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] > 0
    # the insertion order is kept (the Postgres identity column follows SQLite's rowids)
    with sqlite3.connect(Path(source.app.data_dir) / "data.db") as conn:
        want_order = [row[0] for row in conn.execute("SELECT id FROM posts ORDER BY rowid")]
    assert [row[0] for row in pg_rows(url, 'SELECT id FROM posts ORDER BY "_rowid_"')] == want_order


LISTS = [
    "/api/collections/posts/records?perPage=100&sort=id",
    "/api/collections/posts/records?perPage=100&sort=-views,id&filter=" + "views > 50",
    "/api/collections/posts/records?perPage=100&sort=id&filter=published = true",
    "/api/collections/posts/records?perPage=100&sort=id&filter=tags ?= 'b'",
    "/api/collections/posts/records?perPage=100&sort=id&filter=author.name = 'Bob'",
    "/api/collections/posts/records?perPage=100&sort=id&filter=meta.n > 10",
    "/api/collections/posts/records?perPage=100&sort=id&filter=title ~ 'post 1'",
    "/api/collections/posts/records?perPage=100&sort=due,id&filter=due != ''",
    "/api/collections/posts/records?perPage=100&sort=id&expand=author,editors",
    "/api/collections/posts/records?perPage=5&page=3&sort=created,id",
    "/api/collections/users/records?sort=email",
    "/api/collections/popular/records?sort=id",
    "/api/collections/per_author/records?sort=id",
    "/api/collections/numbered/records?sort=id",
    "/api/collections/numbered/records?sort=id&filter=id > '2'",
    "/api/collections?perPage=100&sort=name",
    "/api/settings",
]


@pytest.mark.parametrize("path", LISTS)
def test_api_answers_equal(source: Served, copied: Any, path: str) -> None:
    srv, _url, _result = copied
    headers_src = {"Authorization": source.token("superuser")}
    headers_dst = {"Authorization": srv.token("superuser")}
    want = source.request("GET", path, headers=headers_src)
    got = srv.request("GET", path, headers=headers_dst)
    assert want.status_code == 200, want.text
    assert got.status_code == want.status_code, got.text
    assert got.json() == want.json()


def test_each_record_equal(source: Served, copied: Any) -> None:
    srv, _url, _result = copied
    headers = {"Authorization": source.token("superuser")}
    records = source.request("GET", "/api/collections/posts/records?perPage=100", headers=headers).json()["items"]
    assert len(records) == 24
    for record in records:
        got = srv.request("GET", f"/api/collections/posts/records/{record['id']}", headers={"Authorization": srv.token("superuser")})
        assert got.json() == record


def test_sign_in_with_old_password_and_old_token(source: Served, copied: Any) -> None:
    srv, _url, _result = copied
    for email, name in USERS:
        before = source.request("POST", "/api/collections/users/auth-with-password", json={"identity": email, "password": PASSWORD})
        after = srv.request("POST", "/api/collections/users/auth-with-password", json={"identity": email, "password": PASSWORD})
        assert after.status_code == 200, after.text
        assert after.json()["record"] == before.json()["record"]
        assert after.json()["record"]["name"] == name
        # a token issued before the move is still good (same tokenKey and collection secret)
        refreshed = srv.request("POST", "/api/collections/users/auth-refresh", headers={"Authorization": before.json()["token"]})
        assert refreshed.status_code == 200, refreshed.text
    wrong = srv.request("POST", "/api/collections/users/auth-with-password", json={"identity": USERS[0][0], "password": "nope-nope-nope"})
    assert wrong.status_code == 400
    su = srv.request("POST", "/api/collections/_superusers/auth-with-password", json={"identity": SUPERUSER_EMAIL, "password": PASSWORD})
    assert su.status_code == 200, su.text


def test_files_served_from_the_copied_storage(source: Served, copied: Any) -> None:
    srv, _url, _result = copied
    items = srv.request("GET", "/api/collections/posts/records?perPage=100&filter=cover != ''").json()["items"]
    assert len(items) == 4
    for item in items:
        got = srv.request("GET", f"/api/files/posts/{item['id']}/{item['cover']}")
        assert got.status_code == 200 and got.content == PNG


def test_copied_app_keeps_working(copied: Any) -> None:
    srv, _url, _result = copied
    headers = {"Authorization": srv.token("superuser")}
    created = srv.request("POST", "/api/collections/posts/records", headers=headers, json={"title": "After the move", "views": 99})
    assert created.status_code == 200, created.text
    popular = srv.request("GET", "/api/collections/popular/records?perPage=100").json()
    assert created.json()["id"] in {item["id"] for item in popular["items"]}
    dup = srv.request("POST", "/api/collections/posts/records", headers=headers, json={"title": "x", "due": "2030-01-02 10:00:00.000Z"})
    assert dup.status_code == 400  # the unique index came along
    srv.request("DELETE", f"/api/collections/posts/records/{created.json()['id']}", headers=headers)


def test_logs_copied(source: Served, copied: Any) -> None:
    srv, url, result = copied
    line = next(line for line in result.stdout.splitlines() if line.startswith("_logs "))
    copied_count = int(line.split()[2].replace(",", ""))
    got = set(pg_rows(url, 'SELECT id, level, message, data, created FROM "_logs"'))
    # NOTE: the source keeps logging its own requests after the copy, and the node on Postgres
    # logs its own into the same table: the copied rows are those both sides hold, identical.
    with sqlite3.connect(Path(source.app.data_dir) / "auxiliary.db") as conn:
        want = set(conn.execute("SELECT id, level, message, data, created FROM _logs").fetchall())
    assert len(got & want) == copied_count > 0
    # the node on Postgres lists them (its logs live in that database's _logs)
    some_id = next(iter(got & want))[0]
    listed = srv.request("GET", f"/api/logs/{some_id}", headers={"Authorization": srv.token("superuser")})
    assert listed.status_code == 200, listed.text


# ---- refusals ---------------------------------------------------------------------------------


def test_dry_run_writes_nothing(source: Served, databases: Databases, tmp_path: Path) -> None:
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing was written" in result.stdout
    assert pg_tables(url) == set()
    databases.drop(url)


def test_existing_app_refused_then_forced(source: Served, copied: Any, databases: Databases, tmp_path: Path) -> None:
    url = databases.server.new_database()
    first = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, cwd=tmp_path)
    assert again.returncode == 2
    assert "already holds a pybase app" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    pg_rows(url, "SELECT 1")  # still reachable, untouched
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DELETE FROM posts WHERE title = 'Post 3'")
        conn.execute("CREATE TABLE keep_me (x int)")
    forced = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "--force: replaced" in forced.stdout
    assert pg_rows(url, "SELECT count(*) FROM posts")[0][0] == 24
    assert "keep_me" in pg_tables(url)  # what pybase did not create stays
    databases.drop(url)


def test_foreign_table_named_like_a_collection_refused(source: Served, databases: Databases, tmp_path: Path) -> None:
    url = databases.server.new_database()
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CREATE TABLE posts (x int)")
    for extra in ([], ["--force"]):
        result = cli("db", "copy", "--dir", source.app.data_dir, "--to", url, *extra, cwd=tmp_path)
        assert result.returncode == 2
        assert "tables pybase did not create" in result.stderr and "posts" in result.stderr
    assert pg_tables(url) == {"posts"}
    databases.drop(url)


def test_view_that_cannot_be_carried_over_named_before_any_write(databases: Databases, tmp_path: Path) -> None:
    srv = start_server(tmp_path / "app", None)
    try:
        su = srv.app.new_record("_superusers", {"email": SUPERUSER_EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        headers = {"Authorization": srv.token("superuser")}
        _ok(srv.request("POST", "/api/collections", headers=headers, json={
            "name": "notes", "type": "base", "fields": [{"name": "body", "type": "text"}]}))
        _ok(srv.request("POST", "/api/collections/notes/records", headers=headers, json={"body": "hi"}))
        # SQLite's total_changes() has no Postgres counterpart (and sqlglot leaves it as it is)
        _ok(srv.request("POST", "/api/collections", headers=headers, json={
            "name": "note_ages", "type": "view",
            "viewQuery": "SELECT id, total_changes() AS age FROM notes"}))
    finally:
        srv.stop()
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(tmp_path / "app" / "pb_data"), "--to", url, cwd=tmp_path)
    assert result.returncode == 2
    assert "note_ages" in result.stderr and "total_changes" in result.stderr
    assert "cannot be carried over" in result.stderr and "nothing was written" in result.stderr
    assert "notes " not in result.stderr  # no progress: no row was copied
    assert pg_tables(url) == set()
    databases.drop(url)


BAD_INPUT = [
    ("not a postgres URL", ["--to", "mysql://u:p@127.0.0.1/db"], "must be a Postgres URL"),
    ("a plain path", ["--to", "/tmp/data.db"], "must be a Postgres URL"),
    ("unreachable server", ["--to", "postgres://u:secret@127.0.0.1:1/db"], "cannot connect to postgres://u:***@127.0.0.1:1/db"),
    ("no --to", [], "the following arguments are required: --to"),
]


@pytest.mark.parametrize(("name", "args", "message"), BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_input(source: Served, tmp_path: Path, name: str, args: list[str], message: str) -> None:
    result = cli("db", "copy", "--dir", source.app.data_dir, *args, cwd=tmp_path)
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_missing_app_not_an_app_and_wrong_password(source: Served, databases: Databases, tmp_path: Path) -> None:
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(tmp_path / "nothing"), "--to", url, cwd=tmp_path)
    assert result.returncode == 2 and "no pybase app in" in result.stderr
    (tmp_path / "app").mkdir()
    sqlite3.connect(tmp_path / "app" / "data.db").execute("CREATE TABLE _collections (id TEXT)").connection.close()
    result = cli("db", "copy", "--dir", str(tmp_path / "app"), "--to", url, cwd=tmp_path)
    assert result.returncode == 2 and "is not a pybase database (no _params, _migrations table)" in result.stderr
    wrong = url.replace("pybase:pybase@", "pybase:wrong@")
    result = cli("db", "copy", "--dir", source.app.data_dir, "--to", wrong, cwd=tmp_path)
    assert result.returncode == 2 and "cannot connect to" in result.stderr and "password authentication failed" in result.stderr
    assert ":wrong@" not in result.stderr
    result = cli("db", "--dir", str(tmp_path / "app"), cwd=tmp_path)
    assert result.returncode == 2 and "missing db action" in result.stderr
    assert pg_tables(url) == set()
    databases.drop(url)


# ---- a PocketBase 0.40 data dir --------------------------------------------------------------


def test_pocketbase_data_dir_copied(databases: Databases, tmp_path: Path) -> None:
    """The real PocketBase's pb_data moves to Postgres too, and pybase serves it as PocketBase did."""
    import socket
    import time

    import requests

    from tests.conformance.harness import pocketbase_or_skip

    binary = pocketbase_or_skip()
    data_dir = tmp_path / "pb" / "pb_data"
    subprocess.run([binary, "superuser", "upsert", SUPERUSER_EMAIL, PASSWORD, "--dir", str(data_dir)], check=True,
                   capture_output=True, timeout=60)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pb = subprocess.Popen([binary, "serve", "--dir", str(data_dir), "--http", f"127.0.0.1:{port}"],
                          cwd=tmp_path / "pb", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(base + "/api/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        token = requests.post(base + "/api/collections/_superusers/auth-with-password",
                              json={"identity": SUPERUSER_EMAIL, "password": PASSWORD}, timeout=30).json()["token"]
        headers = {"Authorization": token}
        users_id = _ok(requests.get(base + "/api/collections/users", headers=headers, timeout=30))["id"]
        _ok(requests.post(base + "/api/collections", headers=headers, timeout=30, json={
            "name": "posts", "type": "base", "listRule": "", "viewRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}, {"name": "ok", "type": "bool"},
                       {"name": "tags", "type": "select", "maxSelect": 2, "values": ["a", "b"]}, {"name": "meta", "type": "json"},
                       {"name": "author", "type": "relation", "collectionId": users_id, "maxSelect": 1},
                       {"name": "where", "type": "geoPoint"}]}))
        user = _ok(requests.post(base + "/api/collections/users/records", headers=headers, timeout=30, json={
            "email": "u@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, "name": "U"}))
        for i in range(6):
            _ok(requests.post(base + "/api/collections/posts/records", headers=headers, timeout=30, json={
                "title": f"t{i}", "n": i * 1.5, "ok": i % 2 == 0, "tags": ["a", "b"][: i % 3],
                "meta": {"i": i} if i % 2 else None, "author": user["id"], "where": {"lon": i, "lat": -i}}))
        _ok(requests.post(base + "/api/collections", headers=headers, timeout=30, json={
            "name": "big", "type": "view", "listRule": "", "viewQuery": "SELECT id, title FROM posts WHERE n > 2"}))
        paths = ["/api/collections/posts/records?sort=title&expand=author", "/api/collections/posts/records?filter=n>2&sort=-n",
                 "/api/collections/big/records?sort=title"]
        want = {path: requests.get(base + path, headers=headers, timeout=30).json() for path in paths}
    finally:
        pb.terminate()
        pb.wait(30)
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(data_dir), "--to", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "the counts match" in result.stdout
    srv = start_server(tmp_path / "py", None, url)
    try:
        for path in paths:
            assert srv.request("GET", path, headers={"Authorization": srv.token("superuser")}).json() == want[path], path
        signed = srv.request("POST", "/api/collections/users/auth-with-password", json={"identity": "u@example.com", "password": PASSWORD})
        assert signed.status_code == 200 and signed.json()["record"]["id"] == user["id"]
    finally:
        srv.stop()
        databases.drop(url)


def test_a_nul_character_is_carried(databases: Databases, tmp_path: Path) -> None:
    """SQLite (PocketBase) keeps a NUL in a text and in a JSON string; Postgres holds neither:
    the copy stores them escaped (pybase.store.pg_nul) and pybase reads them back as written."""
    from pybase.core.app import App
    from pybase.core.collection_bind import new_collection

    app = App(str(tmp_path / "pb_data"))
    app.bootstrap()
    app.save_collection(new_collection({"name": "notes", "type": "base", "fields": [
        {"name": "body", "type": "text"}, {"name": "meta", "type": "json"}]}))  # fmt: skip
    app.save(app.new_record("notes", {"body": "fine"}))
    values = {"body": "a NUL \x00 inside, \x01 too", "meta": {"k\x00": ["\x00", "\\u0000"]}}
    app.save(app.new_record("notes", values))
    app.db.close()
    app.logs.close()
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(tmp_path / "pb_data"), "--to", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = App(str(tmp_path / "node"), database_url=url)
    target.bootstrap()
    try:
        record = target.records.find_first(target.find_collection("notes"), body=values["body"])
        assert record is not None
        assert {"body": record.get("body"), "meta": record.get("meta")} == values
    finally:
        target.terminate()
    databases.drop(url)


def test_encrypted_settings_carried_as_stored(databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pybase.core.app import App

    monkeypatch.setenv("PYBASE_TEST_COPY_KEY", "k" * 32)
    app = App(str(tmp_path / "pb_data"), encryption_env="PYBASE_TEST_COPY_KEY")
    app.bootstrap()
    settings = app.settings()
    settings["meta"]["appName"] = "Encrypted app"
    app.save_settings(settings)
    app.db.close()
    app.logs.close()
    stored = sqlite3.connect(tmp_path / "pb_data" / "data.db").execute("SELECT value FROM _params WHERE id = 'settings'").fetchone()[0]
    assert "Encrypted app" not in stored
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(tmp_path / "pb_data"), "--to", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "the settings are encrypted: start the nodes with the same --encryptionEnv variable" in result.stdout
    assert pg_rows(url, "SELECT value FROM _params WHERE id = 'settings'")[0][0] == stored
    target = App(str(tmp_path / "node"), encryption_env="PYBASE_TEST_COPY_KEY", database_url=url)
    target.bootstrap()
    try:
        assert target.settings()["meta"]["appName"] == "Encrypted app"
    finally:
        target.terminate()
    databases.drop(url)


# ---- tables made with SQL (a migration's $app.db().newQuery("CREATE TABLE ..."), an app's own) ----

RAW_SQLITE = [
    # SQLite's rowid key, a text default, a real, a blob, a boolean with 0, a date as text, an untyped column
    "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL DEFAULT 'untitled', "
    "score REAL, data BLOB, flag BOOLEAN DEFAULT 0, at DATETIME DEFAULT CURRENT_TIMESTAMP, anything, "
    "UNIQUE (title, score), CHECK (score >= 0))",
    "CREATE INDEX notes_title_nocase ON notes (title COLLATE NOCASE) WHERE score > 1",
    # a key of two columns without a rowid, a foreign key
    "CREATE TABLE note_tags (note INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE, tag TEXT NOT NULL, "
    "PRIMARY KEY (note, tag)) WITHOUT ROWID",
    'CREATE TABLE "odd name" ("a b" TEXT, n NUMERIC)',
    "INSERT INTO notes (title, score, data, flag, at, anything) VALUES "
    "('first', 1.5, x'00ff10', 1, '2030-01-02 03:04:05', 7), "
    "('tab\there, newline\nthere', 0, NULL, 0, NULL, 'text'), ('big', 2.5, NULL, 0, NULL, 9007199254740993)",
    "DELETE FROM notes WHERE title = 'big'",  # AUTOINCREMENT: the next id is 4, not 3
    "INSERT INTO note_tags VALUES (1, 'b'), (1, 'a'), (2, 'c')",
    "INSERT INTO \"odd name\" VALUES ('x', 1.25), (NULL, NULL)",
]


def _app_with_raw_tables(tmp_path: Path, *statements: str) -> Path:
    """A pybase SQLite app with one collection and tables made with SQL (as a migration makes them)."""
    from pybase.core.app import App
    from pybase.core.collection_bind import new_collection

    app = App(str(tmp_path / "pb_data"))
    app.bootstrap()
    app.save_collection(new_collection({"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}))
    app.save(app.new_record("posts", {"title": "a post"}))
    with app.db.write() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    app.db.close()
    app.logs.close()
    return tmp_path / "pb_data"


def test_tables_made_with_sql_are_carried_over(databases: Databases, tmp_path: Path) -> None:
    data = _app_with_raw_tables(tmp_path, *RAW_SQLITE)
    url = databases.server.new_database()
    try:
        result = cli("db", "copy", "--dir", str(data), "--to", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "the counts match" in result.stdout
        assert "CHECK" not in result.stdout  # carried (tests/test_db_copy_expressions.py)
        assert "Not copied" not in result.stderr
        assert {"notes", "note_tags", "odd name", "posts"} <= pg_tables(url)
        types = pg_rows(url, "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL FROM information_schema.columns "
                             "WHERE table_name = 'notes' ORDER BY ordinal_position")  # fmt: skip
        assert types == [
            ("id", "bigint", "NO", False), ("title", "text", "NO", True), ("score", "double precision", "YES", False),
            ("data", "bytea", "YES", False), ("flag", "boolean", "YES", True), ("at", "text", "YES", True),
            ("anything", "text", "YES", False),
        ]  # fmt: skip
        assert pg_rows(url, "SELECT id, title, score, data, flag, at, anything FROM notes ORDER BY id") == [
            (1, "first", 1.5, b"\x00\xff\x10", True, "2030-01-02 03:04:05", "7"),
            (2, "tab\there, newline\nthere", 0.0, None, False, None, "text"),
        ]
        assert pg_rows(url, "SELECT note, tag FROM note_tags ORDER BY note, tag") == [(1, "a"), (1, "b"), (2, "c")]
        assert pg_rows(url, 'SELECT "a b", n FROM "odd name" ORDER BY "a b"') == [("x", 1.25), (None, None)]
        # the key goes on after the copied rows (AUTOINCREMENT's highest, as SQLite would),
        # the defaults, unique constraint, index and foreign key hold
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            row = conn.execute("INSERT INTO notes (score) VALUES (3) RETURNING id, title, flag, at").fetchone()
            assert row[:3] == (4, "untitled", False) and len(row[3]) == 19
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute("INSERT INTO notes (title, score) VALUES ('first', 1.5)")
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                conn.execute("INSERT INTO note_tags VALUES (99, 'x')")
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute("INSERT INTO notes (title, score) VALUES ('negative', -1)")
            conn.execute("DELETE FROM notes WHERE id = 1")
            assert conn.execute("SELECT count(*) FROM note_tags").fetchone() == (1,)
            index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'notes_title_nocase'").fetchone()[0]
            assert "lower(title)" in index and "WHERE (score > (1)::double precision)" in index
    finally:
        databases.drop(url)


RAW_REFUSED = [
    ("a virtual table", ["CREATE VIRTUAL TABLE search USING fts5(body)", "INSERT INTO search VALUES ('hello')"],
     "search: a virtual table (fts5)", "nothing was written"),
    ("a value the column cannot take", ["CREATE TABLE counts (n INTEGER)", "INSERT INTO counts VALUES (1), ('many')"],
     "copying 'counts' failed (nothing was committed)", "invalid input syntax for type bigint"),
    ("a name too long for Postgres", [f"CREATE TABLE {'t' * 64} (x TEXT)"], f"{'t' * 64}: the name is longer than", "63 bytes"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "statements", "message", "reason"), RAW_REFUSED, ids=[r[0] for r in RAW_REFUSED])
def test_a_table_made_with_sql_that_cannot_be_carried_over_is_named(
    databases: Databases, tmp_path: Path, name: str, statements: list[str], message: str, reason: str
) -> None:
    data = _app_with_raw_tables(tmp_path, *statements)
    url = databases.server.new_database()
    try:
        for extra in ([], ["--dry-run"]):
            result = cli("db", "copy", "--dir", str(data), "--to", url, *extra, cwd=tmp_path)
            if extra and "nothing was committed" in message:
                assert result.returncode == 0, result.stderr  # NOTE: a dry run copies no row
                continue
            assert result.returncode == 2, result
            assert message in result.stderr and reason in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
        assert pg_tables(url) == set()
    finally:
        databases.drop(url)
