"""Backups of an app on Postgres restored (issue #17): a dump of every table, made while the
app runs, put back in one transaction (nothing changes when any part fails), the record files
beside it; a SQLite backup (pybase's or PocketBase's data.db) copied in; the other nodes of
the database reload; backups in S3.

tests/api/test_backups.py runs the API's scenarios on both databases.
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
import requests

from pybase.app import PyBase
from pybase.config import Config
from pybase.core.errors import BadRequestError
from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests import testapp
from tests.pg import postgres_only
from tests.s3_server import make_bucket, moto_endpoint, s3_settings  # noqa: F401 - the fixture
from tests.test_hardening import EMAIL, ENV, _wait_banner
from tests.testapp import (
    COMMENT1_ID,
    PASSWORD,
    POST1_ID,
    POST2_ID,
    POST3_ID,
    USER1_EMAIL,
    USER1_ID,
    USER2_ID,
    start_server,
)

pytestmark = postgres_only

PG_MANIFEST = "pb_postgres/manifest.json"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


@pytest.fixture
def pg(tmp_path: Path, databases: Any) -> Iterator[testapp.TestServer]:
    """A pybase on a fresh Postgres copy of the fixture."""
    template, url = databases.copy_of_fixture()
    srv = start_server(tmp_path, template, url)
    yield srv
    srv.stop()
    databases.drop(url)


def _su(server: testapp.TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def _everything(server: testapp.TestServer) -> dict[str, Any]:
    """Every collection and every record of every base and auth collection, in the order the
    API lists them (insertion order), as a superuser sees them."""
    su = _su(server)
    collections = server.request("GET", "/api/collections?perPage=500&sort=name", headers=su).json()["items"]
    out: dict[str, Any] = {"collections": sorted(collections, key=lambda c: c["name"])}
    for col in collections:
        if col["type"] == "view":
            continue
        resp = server.request("GET", f"/api/collections/{col['name']}/records?perPage=500", headers=su)
        assert resp.status_code == 200, resp.text
        out[col["name"]] = resp.json()["items"]
    settings = server.request("GET", "/api/settings", headers=su).json()
    out["appName"] = settings["meta"]["appName"]
    return out


def _populate(server: testapp.TestServer) -> dict[str, Any]:
    """Records with relations, JSON, a file, a new user; a view collection; a settings change."""
    su = _su(server)
    resp = server.request(
        "POST", "/api/collections/posts/records", headers=su,
        data={"title": "With a file", "views": "7", "meta": '{"nested": {"a": [1, 2, "x\\ty"]}, "line": "one\\ntwo"}',
              "author": USER1_ID, "body": "tab\there, newline\nthere, backslash \\ end", "score": "1.5"},
        files={"cover": ("pic.png", PNG, "image/png")},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    post = resp.json()
    user = {"email": "new@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, "name": "New Person"}
    created = server.request("POST", "/api/collections/users/records", json=user)
    assert created.status_code == 200, created.text
    comment = {"message": "on the third post", "post": POST3_ID}
    assert server.request("POST", "/api/collections/comments/records", json=comment).status_code == 200
    view = {"name": "post_titles", "type": "view", "listRule": "", "viewQuery": "SELECT id, title, views FROM posts"}
    assert server.request("POST", "/api/collections", json=view, headers=su).status_code == 200
    settings = server.request("PATCH", "/api/settings", json={"meta": {"appName": "Before The Backup"}}, headers=su)
    assert settings.status_code == 200, settings.text
    return post


def _change_everything(server: testapp.TestServer, post: dict[str, Any]) -> None:
    su = _su(server)
    assert server.request("PATCH", f"/api/collections/posts/records/{POST1_ID}", json={"title": "Changed title"}).status_code == 200
    assert server.request("DELETE", f"/api/collections/comments/records/{COMMENT1_ID}").status_code == 204
    assert server.request("DELETE", f"/api/collections/posts/records/{post['id']}", headers=su).status_code == 204
    assert server.request("POST", "/api/collections/posts/records", json={"title": "After the backup"}).status_code == 200
    assert server.request("DELETE", "/api/collections/locked", headers=su).status_code == 204
    field = {"fields": [*server.request("GET", "/api/collections/owned", headers=su).json()["fields"], {"name": "extra", "type": "text"}]}
    assert server.request("PATCH", "/api/collections/owned", json=field, headers=su).status_code == 200
    assert server.request("PATCH", "/api/settings", json={"meta": {"appName": "After"}}, headers=su).status_code == 200
    users = server.request("GET", "/api/collections/users/records?filter=email='new@example.com'", headers=su).json()["items"]
    for user in users or [{"id": USER2_ID}]:
        assert server.request("DELETE", f"/api/collections/users/records/{user['id']}", headers=su).status_code == 204


def _wait_restored(server: testapp.TestServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.events["onBackupRestore"] and server.app.backups.active is None:
            return
        time.sleep(0.05)
    raise AssertionError("the restore did not finish")


def _sign_in(server: testapp.TestServer, email: str) -> int:
    body = {"identity": email, "password": PASSWORD}
    return server.request("POST", "/api/collections/users/auth-with-password", json=body).status_code


def test_a_backup_restored_brings_back_every_record_file_and_setting(pg: testapp.TestServer) -> None:
    post = _populate(pg)
    before = _everything(pg)
    su = _su(pg)
    assert pg.request("POST", "/api/backups", json={"name": "round.zip"}, headers=su).status_code == 204
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / "round.zip") as zf:
        names = zf.namelist()
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    assert f"storage/{post['collectionId']}/{post['id']}/{post['cover']}" in names
    dumped = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert {"_params", "_migrations", "_collections", "_logs", "_superusers", "users", "posts", "comments", "_mfas"} <= set(dumped)
    assert "post_titles" not in dumped and dumped["posts"] == 4 and dumped["users"] == 3
    _change_everything(pg, post)
    assert _everything(pg) != before
    resp = pg.request("POST", "/api/backups/round.zip/restore", headers=su)
    assert resp.status_code == 204, resp.text
    _wait_restored(pg)
    after = _everything(pg)
    for key in before:
        assert after[key] == before[key], key
    # the file is back and served, the new user signs in again, the views and indexes work
    file = pg.request("GET", f"/api/files/posts/{post['id']}/{post['cover']}")
    assert file.status_code == 200 and file.content == PNG
    assert _sign_in(pg, "new@example.com") == 200 and _sign_in(pg, USER1_EMAIL) == 200
    assert pg.request("GET", "/api/collections/post_titles/records").json()["totalItems"] == 4
    assert "idx_posts_title" in pg.index_sql("posts")
    dup = pg.request("POST", "/api/collections/posts/records", json={"title": "First post"})
    assert dup.status_code == 400 and dup.json()["data"]["title"]["code"] == "validation_not_unique"
    # new rows go after the restored ones (insertion order kept)
    assert pg.request("POST", "/api/collections/posts/records", json={"title": "After the restore"}).status_code == 200
    titles = [p["title"] for p in pg.request("GET", "/api/collections/posts/records").json()["items"]]
    assert titles == [p["title"] for p in before["posts"]] + ["After the restore"]
    # the backups themselves are kept
    assert [b["key"] for b in pg.request("GET", "/api/backups", headers=_su(pg)).json()] == ["round.zip"]


def _rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """A copy of ``archive`` with members replaced (None: removed)."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            if item.filename in change:
                continue
            dst.writestr(item, src.read(item.filename))
        for name, data in change.items():
            if data is not None:
                dst.writestr(name, data)


def _manifest_with(archive: Path, edit: Any) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    edit(manifest)
    return orjson.dumps(manifest)


def _posts_rows(archive: Path) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return zf.read("pb_postgres/posts.copy")


BROKEN: list[tuple[str, Any, str]] = [
    ("a row Postgres refuses (text in a number column)",
     lambda a: {"pb_postgres/posts.copy": _posts_rows(a).replace(b"\t10\t", b"\tten\t", 1)}, "invalid input syntax"),
    ("a row with a column missing", lambda a: {"pb_postgres/posts.copy": _posts_rows(a) + b"onlyone\n"}, "missing data"),
    ("a duplicated row (a unique id)", lambda a: {"pb_postgres/posts.copy": _posts_rows(a) + _posts_rows(a).splitlines(True)[0]},
     "duplicate key"),
    ("a row count that differs from the manifest",
     lambda a: {PG_MANIFEST: _manifest_with(a, lambda m: [t.update(rows=t["rows"] + 1) for t in m["tables"] if t["name"] == "posts"])},
     "holds 3 rows where the backup lists 4"),
    ("a table file missing", lambda a: {"pb_postgres/comments.copy": None}, "lacks the rows of comments"),
    ("a collection without its rows",
     lambda a: {PG_MANIFEST: _manifest_with(a, lambda m: m.update(tables=[t for t in m["tables"] if t["name"] != "owned"]))},
     "lacks the rows of the collection(s) owned"),
    ("a column its collection does not declare",
     lambda a: {PG_MANIFEST: _manifest_with(a, lambda m: [t["columns"].append("nope") for t in m["tables"] if t["name"] == "locked"])},
     "column(s) its collection does not declare: nope"),
    ("a manifest of another format", lambda a: {PG_MANIFEST: _manifest_with(a, lambda m: m.update(format=99))}, "format 99"),
    ("a manifest that is not JSON", lambda a: {PG_MANIFEST: b"{nope"}, "cannot be read"),
    ("no _collections table", lambda a: {PG_MANIFEST: _manifest_with(
        a, lambda m: m.update(tables=[t for t in m["tables"] if t["name"] != "_collections"]))}, "has no _collections table"),
    ("a view that no longer works", lambda a: {"pb_postgres/_collections.copy": _posts_view_broken(a)}, "post_titles"),
]  # fmt: skip


def _posts_view_broken(archive: Path) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        rows = zf.read("pb_postgres/_collections.copy")
    return rows.replace(b"SELECT id, title, views FROM posts", b"SELECT id, title, nothere FROM posts")


@pytest.mark.parametrize(("name", "change", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_restore_that_fails_changes_nothing(pg: testapp.TestServer, tmp_path: Path, name: str, change: Any, message: str) -> None:
    su = _su(pg)
    view = {"name": "post_titles", "type": "view", "listRule": "", "viewQuery": "SELECT id, title, views FROM posts"}
    assert pg.request("POST", "/api/collections", json=view, headers=su).status_code == 200
    pg.app.backups.create("good.zip")
    folder = Path(pg.app.data_dir) / "backups"
    _rewrite(folder / "good.zip", folder / "broken.zip", change(folder / "good.zip"))
    # what the database holds now differs from the backup
    assert pg.request("PATCH", f"/api/collections/posts/records/{POST2_ID}", json={"title": "Kept title"}).status_code == 200
    pg.request("POST", "/api/collections/posts/records", data={"title": "Kept file"}, files={"cover": ("k.png", PNG, "image/png")})
    before = _everything(pg)
    tables = pg.table_names()
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("broken.zip")
    assert message in caught.value.message
    assert pg.app.backups.active is None and pg.app.backups.pending_restore is None
    assert _everything(pg) == before and pg.table_names() == tables
    kept = next(p for p in before["posts"] if p["title"] == "Kept file")
    assert pg.request("GET", f"/api/files/posts/{kept['id']}/{kept['cover']}").content == PNG
    # the app keeps writing, and the good backup still restores
    assert pg.request("POST", "/api/collections/posts/records", json={"title": "Still writable"}).status_code == 200
    pg.app.backups.restore("good.zip")
    assert pg.request("GET", f"/api/collections/posts/records/{POST2_ID}").json()["title"] == "Second post"
    assert not [p for p in _everything(pg)["posts"] if p["title"] in ("Kept file", "Still writable")]


def test_a_corrupt_archive_changes_nothing(pg: testapp.TestServer) -> None:
    folder = Path(pg.app.data_dir) / "backups"
    folder.mkdir(exist_ok=True)
    pg.app.backups.create("good.zip")
    good = (folder / "good.zip").read_bytes()
    (folder / "cut.zip").write_bytes(good[: len(good) // 2])
    before = _everything(pg)
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("cut.zip")
    assert "not a valid zip archive" in caught.value.message
    resp = pg.request("POST", "/api/backups/cut.zip/restore", headers=_su(pg))
    assert resp.status_code == 400 and "not a valid zip archive" in resp.json()["message"]
    assert _everything(pg) == before


def _sqlite_backup(fixture_data: Path, tmp_path: Path) -> bytes:
    """A backup of the SQLite fixture app, as pybase on SQLite makes it (data.db, auxiliary.db)."""
    from pybase.core.app import App

    data = tmp_path / "sqlite_app"
    shutil.copytree(fixture_data, data)
    app = App(str(data))
    app.bootstrap()
    try:
        app.backups.create("sqlite.zip")
    finally:
        app.terminate()
    return (data / "backups" / "sqlite.zip").read_bytes()


def test_a_sqlite_backup_is_copied_into_postgres(pg: testapp.TestServer, fixture_data: Path, tmp_path: Path) -> None:
    archive = _sqlite_backup(fixture_data, tmp_path)
    sqlite_server = start_server(tmp_path / "sqlite", fixture_data)
    try:
        expected = _everything(sqlite_server)  # what the API answers on SQLite
    finally:
        sqlite_server.stop()
    assert "data.db" in zipfile.ZipFile(io.BytesIO(archive)).namelist()
    su = _su(pg)
    up = pg.request("POST", "/api/backups/upload", headers=su, files={"file": ("sqlite.zip", archive, "application/zip")})
    assert up.status_code == 204, up.text
    _change_everything(pg, pg.request("GET", f"/api/collections/posts/records/{POST2_ID}").json())
    resp = pg.request("POST", "/api/backups/sqlite.zip/restore", headers=su)
    assert resp.status_code == 204, resp.text
    _wait_restored(pg)
    after = _everything(pg)
    assert after == expected
    assert _sign_in(pg, USER1_EMAIL) == 200
    assert "data.db" not in [p.name for p in Path(pg.app.data_dir).iterdir()]
    with pg.app.db.read() as conn:
        # still a Postgres app: typed tables, its logs table
        assert pg.app.db.dialect.has_table(conn, "_logs")


def test_a_sqlite_backup_that_cannot_be_copied_changes_nothing(pg: testapp.TestServer, fixture_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "broken_sqlite"
    shutil.copytree(fixture_data, data)
    conn = sqlite3.connect(data / "data.db")
    conn.execute("DROP TABLE comments")  # a collection without its table
    conn.commit()
    conn.close()  # NOTE: the last connection out writes the WAL into data.db
    folder = Path(pg.app.data_dir) / "backups"
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(folder / "broken.zip", "w") as zf:
        zf.write(data / "data.db", "data.db")
    before = _everything(pg)
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("broken.zip")
    assert "collection 'comments' has no table" in caught.value.message
    assert _everything(pg) == before


def test_a_restore_on_one_node_reloads_the_others(pg: testapp.TestServer) -> None:
    """A second node (in this process, on the same database and data dir): after a restore on
    the first, its very next requests see the restored collections, records and settings."""
    other = PyBase(Config(data_dir=pg.app.data_dir, http="127.0.0.1:0", database_url=pg.app.database_url))
    other.bootstrap()
    node = testapp.TestServer(other, f"http://127.0.0.1:{other.serve_in_thread().port}")
    try:
        su = _su(pg)
        assert node.request("PATCH", "/api/settings", json={"meta": {"appName": "Backed Up"}}, headers=su).status_code == 200
        pg.app.backups.create("nodes.zip")
        _change_everything(pg, pg.request("GET", f"/api/collections/posts/records/{POST2_ID}").json())
        assert node.request("GET", "/api/collections/locked/records", headers=su).status_code == 404
        assert node.request("GET", "/api/settings", headers=su).json()["meta"]["appName"] == "After"
        pg.app.backups.restore("nodes.zip")
        assert node.request("GET", "/api/collections/locked/records", headers=su).json()["totalItems"] == 1
        assert node.request("GET", "/api/settings", headers=su).json()["meta"]["appName"] == "Backed Up"
        assert "extra" not in node.request("GET", "/api/collections/owned", headers=su).text
        assert node.request("GET", f"/api/collections/posts/records/{POST1_ID}").json()["title"] == "First post"
        assert _sign_in(node, USER1_EMAIL) == 200
        assert node.request("POST", "/api/collections/locked/records", json={"title": "x"}, headers=su).status_code == 200
    finally:
        node.stop()


def test_backups_in_s3(pg: testapp.TestServer, moto_endpoint: str) -> None:  # noqa: F811
    su = _su(pg)
    client = make_bucket(moto_endpoint, "pg-backups")
    body = {"backups": {"s3": s3_settings(moto_endpoint, "pg-backups")}, "meta": {"appName": "In S3"}}
    assert pg.request("PATCH", "/api/settings", headers=su, json=body).status_code == 200
    assert pg.request("POST", "/api/backups", headers=su, json={"name": "s3.zip"}).status_code == 204
    assert [o["Key"] for o in client.list_objects_v2(Bucket="pg-backups")["Contents"]] == ["s3.zip"]
    token = pg.request("POST", "/api/files/token", headers=su).json()["token"]
    archive = pg.request("GET", f"/api/backups/s3.zip?token={token}")
    assert archive.status_code == 200 and PG_MANIFEST in zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert pg.request("PATCH", f"/api/collections/posts/records/{POST1_ID}", json={"title": "Changed"}).status_code == 200
    assert pg.request("POST", "/api/backups/s3.zip/restore", headers=su).status_code == 204
    _wait_restored(pg)
    assert pg.request("GET", f"/api/collections/posts/records/{POST1_ID}").json()["title"] == "First post"
    assert pg.request("GET", "/api/settings", headers=_su(pg)).json()["meta"]["appName"] == "In S3"


def test_scheduled_backups_dump_postgres(pg: testapp.TestServer) -> None:
    backups = pg.app.backups
    backups.run_scheduled()
    autos = [b["key"] for b in backups.list() if b["key"].startswith("@auto_pb_backup_")]
    assert len(autos) == 1
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / autos[0]) as zf:
        assert PG_MANIFEST in zf.namelist()


def test_a_served_app_restores_and_restarts(tmp_path: Path, databases: Any) -> None:
    """``pybase serve --db ... --workers 2``: the restore replaces the tables, then both workers
    stop and start again on the restored data (as on SQLite)."""
    url = databases.server.new_database()
    data = tmp_path / "pb_data"
    subprocess.run(
        [sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data), "--db", url],
        env=ENV, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["serve", "--http", f"127.0.0.1:{port}", "--dir", str(data), "--db", url, "--workers", "2"]
    with open(tmp_path / "server.log", "w") as err, open(tmp_path / "stdout.log", "w+") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pybase", *args], cwd=tmp_path, env=ENV, stdout=out, stderr=err, text=True)
        try:
            base = _wait_banner(tmp_path / "stdout.log", proc)
            auth = requests.post(f"{base}/api/collections/_superusers/auth-with-password",
                                 json={"identity": EMAIL, "password": PASSWORD}, timeout=30)  # fmt: skip
            su = {"Authorization": auth.json()["token"]}
            body = {"name": "notes", "type": "base", "listRule": "", "createRule": "", "fields": [{"name": "t", "type": "text"}]}
            assert requests.post(f"{base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
            for text in ("kept one", "kept two"):
                requests.post(f"{base}/api/collections/notes/records", json={"t": text}, timeout=30).raise_for_status()
            assert requests.post(f"{base}/api/backups", json={"name": "before.zip"}, headers=su, timeout=60).status_code == 204
            requests.post(f"{base}/api/collections/notes/records", json={"t": "after the backup"}, timeout=30).raise_for_status()
            assert requests.post(f"{base}/api/backups/before.zip/restore", headers=su, timeout=30).status_code == 204
            deadline = time.monotonic() + 90
            texts: list[str] = []
            while time.monotonic() < deadline:
                try:
                    resp = requests.get(f"{base}/api/collections/notes/records?sort=t", headers={"Connection": "close"}, timeout=5)
                    texts = [r["t"] for r in resp.json()["items"]]
                    if texts == ["kept one", "kept two"]:
                        break
                except (requests.RequestException, ValueError, KeyError):
                    pass
                time.sleep(0.2)
            assert texts == ["kept one", "kept two"], (tmp_path / "server.log").read_text()[-3000:]
            assert proc.poll() is None
            assert (tmp_path / "server.log").read_text().count("replacing the Postgres tables") == 1
            # every worker serves the restored data, and writes go on
            statuses = {requests.get(f"{base}/api/collections/notes/records", headers={"Connection": "close"}, timeout=30).json()["totalItems"]
                        for _ in range(10)}  # fmt: skip
            assert statuses == {2}
            assert requests.post(f"{base}/api/collections/notes/records", json={"t": "new"}, timeout=30).status_code == 200
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            databases.drop(url)


def test_a_pocketbase_backup_moves_into_postgres(pg: testapp.TestServer) -> None:
    """A backup made by the real PocketBase 0.40 (its data.db) restored into pybase on Postgres:
    collections, records, files and passwords carry over."""
    from tests.conformance.harness import pocketbase_or_skip
    from tests.data.filter_cases import run_pocketbase

    binary = pocketbase_or_skip()
    with run_pocketbase(binary) as base:
        auth = requests.post(f"{base}/api/collections/_superusers/auth-with-password",
                             json={"identity": EMAIL, "password": PASSWORD}, timeout=30)  # fmt: skip
        su = {"Authorization": auth.json()["token"]}
        users = requests.get(f"{base}/api/collections/users", headers=su, timeout=30).json()
        body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                "fields": [{"name": "t", "type": "text"}, {"name": "n", "type": "number"}, {"name": "ok", "type": "bool"},
                           {"name": "data", "type": "json"}, {"name": "doc", "type": "file", "maxSelect": 1},
                           {"name": "owner", "type": "relation", "collectionId": users["id"], "maxSelect": 1}],
                "indexes": ["CREATE UNIQUE INDEX idx_notes_t ON notes (t)"]}  # fmt: skip
        assert requests.post(f"{base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
        user = {"email": "pbuser@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, "name": "From PocketBase"}
        owner = requests.post(f"{base}/api/collections/users/records", json=user, headers=su, timeout=30).json()
        made = requests.post(
            f"{base}/api/collections/notes/records", headers=su, timeout=30,
            data={"t": "from pocketbase", "n": "2.5", "ok": "true", "data": '{"a": [1, "two"]}', "owner": owner["id"]},
            files={"doc": ("doc.png", PNG, "image/png")},
        ).json()  # fmt: skip
        assert requests.post(f"{base}/api/backups", json={"name": "pb.zip"}, headers=su, timeout=60).status_code == 204
        token = requests.post(f"{base}/api/files/token", headers=su, timeout=30).json()["token"]
        archive = requests.get(f"{base}/api/backups/pb.zip?token={token}", timeout=60).content
        expected = requests.get(f"{base}/api/collections/notes/records", headers=su, timeout=30).json()["items"]
    mine = _su(pg)
    up = pg.request("POST", "/api/backups/upload", headers=mine, files={"file": ("pb.zip", archive, "application/zip")})
    assert up.status_code == 204, up.text
    assert pg.request("POST", "/api/backups/pb.zip/restore", headers=mine).status_code == 204
    _wait_restored(pg)
    su = {"Authorization": pg.request("POST", "/api/collections/_superusers/auth-with-password",
                                       json={"identity": EMAIL, "password": PASSWORD}).json()["token"]}  # fmt: skip
    got = pg.request("GET", "/api/collections/notes/records", headers=su).json()["items"]
    assert got == expected
    assert pg.request("GET", f"/api/files/notes/{made['id']}/{made['doc']}").content == PNG
    assert _sign_in(pg, "pbuser@example.com") == 200
    assert pg.request("GET", "/api/collections/posts", headers=su).status_code == 404  # the fixture's data is gone


def test_a_restore_meeting_a_deadlock_tries_again(pg: testapp.TestServer, caplog: pytest.LogCaptureFixture) -> None:
    """Another node's transaction holds a table the restore waits for, then waits for one the
    restore holds: Postgres ends one side (the restore, which waited first); it tries again.

    NOTE: Postgres looks for a deadlock once per wait, deadlock_timeout after it began, and ends
    the side that finds it. The restore's look must come after the test's UPDATE closes the
    cycle (under load that took over the default 1 s: the test's side looked and was ended), and
    the test's side must not look first: 10 s for the server (the restore's backend), 60 s for
    the test's own connection."""
    url = pg.app.database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET deadlock_timeout = '10s'")
        admin.execute("SELECT pg_reload_conf()")
    pg.app.backups.create("dl.zip")
    other = psycopg.connect(url)
    try:
        other.execute("SET deadlock_timeout = '60s'")
        other.execute("UPDATE posts SET views = views WHERE id = %s", (POST1_ID,))  # holds posts
        failures: list[BaseException] = []

        def restore() -> None:
            try:
                pg.app.backups.restore("dl.zip")
            except BaseException as ex:  # noqa: BLE001 - reported below
                failures.append(ex)

        with caplog.at_level("WARNING", logger="pybase.backups"):
            thread = threading.Thread(target=restore)
            thread.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the restore waits for posts, holding _params
                waiting = pg.rows(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' "
                    "AND relation = 'posts'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )[0][0]
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, "the restore never waited for the posts table"
            other.execute("UPDATE _params SET updated = updated")  # waits for the restore: a deadlock
            other.commit()
            thread.join(60)
        assert not thread.is_alive() and not failures, failures
        assert "a deadlock with another node's transaction; trying again (1)" in caplog.text
    finally:
        other.close()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("ALTER SYSTEM RESET deadlock_timeout")
            admin.execute("SELECT pg_reload_conf()")
    assert pg.request("GET", f"/api/collections/posts/records/{POST1_ID}").json()["title"] == "First post"


# ---- tables made with SQL (a migration's $app.db().newQuery("CREATE TABLE ..."), an app's own) ----

RAW_TABLES = [
    # a serial key, a default, a check, a unique pair, an array, JSONB, a partial expression index
    "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL DEFAULT 'untitled', "
    "score NUMERIC(8, 2) CHECK (score >= 0), tags TEXT[], meta JSONB, at TIMESTAMPTZ NOT NULL DEFAULT now(), "
    "UNIQUE (title, score))",
    "CREATE INDEX notes_lower_title ON notes (lower(title)) WHERE score > 1",
    # an identity key, a foreign key to the other table, a generated column
    "CREATE TABLE note_links (id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "note BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE, label VARCHAR(20), "
    "doubled INT GENERATED ALWAYS AS (id * 2) STORED)",
    # an odd name, no key, a collation, bytes
    'CREATE TABLE "Odd Name" ("a b" TEXT COLLATE "C", data BYTEA)',
]
RAW_ROWS = [
    "INSERT INTO notes (title, score, tags, meta) VALUES ('first', 1.5, ARRAY['a', 'b'], '{\"k\": [1, \"x\"]}'), "
    "('tab\there, newline\nthere, back\\slash', 0, NULL, NULL), ('no score', NULL, '{}', 'null')",
    "INSERT INTO note_links (note, label) SELECT id, left('link of ' || title, 20) FROM notes ORDER BY id",
    "INSERT INTO \"Odd Name\" VALUES ('x', '\\x00ff10'::bytea), (NULL, NULL)",
]


def _raw_state(server: testapp.TestServer) -> dict[str, Any]:
    """The raw tables' definitions (as Postgres reads them back) and rows."""
    from pybase.store import pg_tables

    with server.app.db.read() as conn:
        definitions = {name: pg_tables.read_definition(conn, name) for name in ("notes", "note_links", "Odd Name")}
    rows = {
        "notes": server.rows("SELECT id, title, score, tags, meta, at FROM notes ORDER BY id"),
        "note_links": server.rows("SELECT id, note, label, doubled FROM note_links ORDER BY id"),
        "Odd Name": server.rows('SELECT "a b", data FROM "Odd Name" ORDER BY "a b"'),
    }
    for definition in definitions.values():
        for seq in definition["sequences"]:
            seq.pop("last")  # NOTE: compared by what the next row gets
            seq.pop("called")
    return {"definitions": definitions, "rows": rows}


def _run_sql(server: testapp.TestServer, *statements: str) -> None:
    with server.app.db.write() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)


def test_a_backup_carries_the_tables_made_with_sql(pg: testapp.TestServer) -> None:
    _run_sql(pg, *RAW_TABLES, *RAW_ROWS)
    before = _raw_state(pg)
    records = _everything(pg)
    pg.app.backups.create("raw.zip")
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / "raw.zip") as zf:
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    dumped = {t["name"]: t for t in manifest["tables"]}
    assert {"notes", "note_links", "Odd Name"} <= set(dumped)
    assert "_pybase_notify_spill" not in dumped  # the nodes' own machinery
    assert dumped["notes"]["rows"] == 3 and dumped["note_links"]["rows"] == 3 and dumped["Odd Name"]["rows"] == 2
    assert "doubled" not in dumped["note_links"]["columns"]  # computed again by Postgres
    assert "definition" not in dumped["posts"]  # collections are rebuilt from _collections
    # after the backup: a table dropped, rows changed, a table made
    _run_sql(
        pg, "DROP TABLE note_links", "UPDATE notes SET title = 'changed' WHERE title = 'first'",
        "INSERT INTO notes (title) VALUES ('after the backup')", "CREATE TABLE later (x INT)",
    )  # fmt: skip
    pg.app.backups.restore("raw.zip")
    assert _raw_state(pg) == before
    assert _everything(pg) == records
    assert "later" not in pg.table_names()  # as data.db on SQLite: the tables are the backup's
    # the sequences go on after the restored rows, the constraints and indexes hold
    _run_sql(pg, "INSERT INTO notes (title) VALUES ('next')", "INSERT INTO note_links (note) VALUES (1)")
    assert pg.rows("SELECT id FROM notes WHERE title = 'next'") == [(4,)]
    assert pg.rows("SELECT id, doubled FROM note_links WHERE label IS NULL") == [(4, 8)]
    with pytest.raises(Exception, match="violates check constraint"):
        _run_sql(pg, "INSERT INTO notes (title, score) VALUES ('negative', -1)")
    with pytest.raises(Exception, match="violates foreign key constraint"):
        _run_sql(pg, "INSERT INTO note_links (note) VALUES (999)")
    _run_sql(pg, "DELETE FROM notes WHERE id = 1")
    assert pg.rows("SELECT count(*) FROM note_links WHERE note = 1") == [(0,)]  # ON DELETE CASCADE
    assert "notes_lower_title" in pg.index_sql("notes")


def _with_raw_table(archive: Path, edit: Any) -> dict[str, bytes | None]:
    def change(manifest: dict[str, Any]) -> None:
        for entry in manifest["tables"]:
            if entry["name"] == "notes":
                edit(entry)

    return {PG_MANIFEST: _manifest_with(archive, change)}


RAW_BROKEN: list[tuple[str, Any, str]] = [
    ("a type Postgres does not know",
     lambda a: _with_raw_table(a, lambda e: e["definition"]["columns"][1].update(type="nosuchtype")), "notes"),
    ("rows its check refuses",
     lambda a: _with_raw_table(a, lambda e: e["definition"]["constraints"].append(
         {"name": "never", "kind": "c", "sql": "CHECK (length(title) > 100)"})), "never"),
    ("a table named like a collection", lambda a: _with_raw_table(a, lambda e: e.update(name="posts")), "posts"),
    ("a definition of an unknown shape", lambda a: _with_raw_table(a, lambda e: e.update(definition={"columns": 1})),
     "unknown shape"),
    ("an index that is no CREATE INDEX",
     lambda a: _with_raw_table(a, lambda e: e["definition"]["indexes"].append({"name": "x", "sql": "DROP TABLE posts"})),
     "not a CREATE INDEX"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "message"), RAW_BROKEN, ids=[b[0] for b in RAW_BROKEN])
def test_a_restore_of_tables_made_with_sql_that_fails_changes_nothing(
    pg: testapp.TestServer, name: str, change: Any, message: str
) -> None:
    _run_sql(pg, RAW_TABLES[0], RAW_ROWS[0])
    pg.app.backups.create("good.zip")
    folder = Path(pg.app.data_dir) / "backups"
    _rewrite(folder / "good.zip", folder / "broken.zip", change(folder / "good.zip"))
    _run_sql(pg, "UPDATE notes SET title = 'kept' WHERE title = 'first'")
    before, tables = _everything(pg), pg.table_names()
    rows = pg.rows("SELECT id, title FROM notes ORDER BY id")
    with pytest.raises(BadRequestError) as caught:
        pg.app.backups.restore("broken.zip")
    assert message in caught.value.message
    assert _everything(pg) == before and pg.table_names() == tables
    assert pg.rows("SELECT id, title FROM notes ORDER BY id") == rows


def test_a_sqlite_backup_brings_its_tables_made_with_sql(pg: testapp.TestServer, fixture_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "sqlite_app"
    shutil.copytree(fixture_data, data)
    conn = sqlite3.connect(data / "data.db")
    conn.executescript(
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, page TEXT NOT NULL, at TEXT DEFAULT CURRENT_TIMESTAMP);"
        "CREATE INDEX visits_page ON visits (page);"
        "INSERT INTO visits (page) VALUES ('/'), ('/about');"
        # NOTE: a % in the names (no placeholder to the driver), quotes, unicode
        'CREATE TABLE "5% ünï \'q\'" ("a%s" TEXT, "x :y" INTEGER);'
        'INSERT INTO "5% ünï \'q\'" VALUES (\'100%\', 1), (NULL, 2);'
    )
    conn.commit()
    conn.close()
    folder = Path(pg.app.data_dir) / "backups"
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(folder / "with_tables.zip", "w") as zf:
        zf.write(data / "data.db", "data.db")
    _run_sql(pg, "CREATE TABLE pg_only (x INT)", "CREATE TABLE visits (other TEXT)")
    pg.app.backups.restore("with_tables.zip")
    tables = pg.table_names()
    assert "visits" in tables and "pg_only" not in tables  # the tables become the backup's
    assert pg.rows("SELECT id, page FROM visits ORDER BY id") == [(1, "/"), (2, "/about")]
    assert "visits_page" in pg.index_sql("visits")
    assert _raw_rows(pg, 'SELECT "a%s", "x :y" FROM "5% ünï \'q\'" ORDER BY 2') == [("100%", 1), (None, 2)]
    _run_sql(pg, "INSERT INTO visits (page) VALUES ('/next')")
    assert pg.rows("SELECT id FROM visits WHERE page = '/next'") == [(3,)]


# ---- odd names: a % (a placeholder to a driver given parameters), quotes, spaces, colons
# (a bind parameter to SQLAlchemy's text()), unicode; in tables, columns, indexes, sequences ----

ODD_TABLES = [
    'CREATE TABLE "50% off" (id SERIAL PRIMARY KEY, "a%s" TEXT, "%(x)s" INT, "it\'s ""q""" TEXT, "naïve ☃" TEXT, '
    '"x :y" INT DEFAULT 7, "%%" TEXT UNIQUE)',
    'CREATE INDEX "idx %d :z" ON "50% off" ("a%s", "naïve ☃")',
    'CREATE TABLE "ünï :code%" (id INT GENERATED BY DEFAULT AS IDENTITY, ref INT REFERENCES "50% off" (id), "space d" TEXT)',
    'CREATE TABLE "parts%" (k TEXT NOT NULL, "v%" INT) PARTITION BY LIST (k)',
    'CREATE TABLE "parts% \'a\'" PARTITION OF "parts%" FOR VALUES IN (\'a\', \'%\')',
    'CREATE TABLE "parts% rest" PARTITION OF "parts%" DEFAULT',
]
ODD_ROWS = [
    'INSERT INTO "50% off" ("a%s", "%(x)s", "it\'s ""q""", "naïve ☃", "%%") VALUES '
    "('100%', 1, 'o''k', 'ü', '%s'), ('%(x)s', NULL, NULL, '☃', '%'), (NULL, 3, '\"', NULL, NULL)",
    'INSERT INTO "ünï :code%" (ref, "space d") SELECT id, "a%s" FROM "50% off"',
    'INSERT INTO "parts%" VALUES (\'a\', 1), (\'%\', 2), (\'b\', 3), (\'c\', 4), (\'d\', 5)',
]
ODD_QUERIES = {
    "50% off": 'SELECT id, "a%s", "%(x)s", "it\'s ""q""", "naïve ☃", "x :y", "%%" FROM "50% off" ORDER BY id',
    "ünï :code%": 'SELECT id, ref, "space d" FROM "ünï :code%" ORDER BY id',
    "parts%": 'SELECT tableoid::regclass::text, k, "v%" FROM "parts%" ORDER BY k',
}


def _raw_rows(server: testapp.TestServer, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query run as written (no parameters: a ``%`` is no placeholder)."""
    with psycopg.connect(server.app.database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def test_a_backup_carries_tables_and_columns_with_odd_names(pg: testapp.TestServer) -> None:
    from pybase.store.pg_tables import run

    with pg.app.db.write() as conn:
        for sql in (*ODD_TABLES, *ODD_ROWS):
            run(conn, sql)
    before = {name: _raw_rows(pg, sql) for name, sql in ODD_QUERIES.items()}
    assert len(before["50% off"]) == 3 and len(before["parts%"]) == 5
    pg.app.backups.create("odd.zip")
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / "odd.zip") as zf:
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    counts = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert {k: counts[k] for k in ODD_QUERIES} == {"50% off": 3, "ünï :code%": 3, "parts%": 5}
    assert counts["parts% 'a'"] == 2 and counts["parts% rest"] == 3
    _run_sql(pg, "CREATE TABLE later (x INT)")
    with pg.app.db.write() as conn:
        run(conn, 'DELETE FROM "ünï :code%"')
        run(conn, 'INSERT INTO "50% off" ("a%s") VALUES (\'after\')')
    pg.app.backups.restore("odd.zip")
    assert {name: _raw_rows(pg, sql) for name, sql in ODD_QUERIES.items()} == before
    # the sequences go on, the indexes and keys hold
    with pg.app.db.write() as conn:
        run(conn, 'INSERT INTO "50% off" ("a%s") VALUES (\'next\')')
        run(conn, 'INSERT INTO "ünï :code%" (ref) VALUES (4)')
    assert _raw_rows(pg, 'SELECT id, "x :y" FROM "50% off" WHERE "a%s" = \'next\'') == [(4, 7)]
    assert _raw_rows(pg, 'SELECT max(id) FROM "ünï :code%"') == [(4,)]
    assert "idx %d :z" in pg.index_sql("50% off")
    with pytest.raises(Exception, match="violates foreign key constraint"), pg.app.db.write() as conn:
        run(conn, 'INSERT INTO "ünï :code%" (ref) VALUES (999)')


_TEXT_COLLATIONS = (
    "SELECT a.attname, l.collname FROM pg_attribute a JOIN pg_collation l ON l.oid = a.attcollation "
    "WHERE a.attrelid = 'posts'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype ORDER BY 1"
)


def test_a_restore_brings_text_columns_to_byte_order_at_once(pg: testapp.TestServer) -> None:
    """A backup an older pybase made lists the text columns SQL added to a collection's table in
    the database's collation (``default``; so does SQL adding one now): right after the restore,
    with no restart, they are ``COLLATE "C"`` as every text column of pybase's tables (their
    indexes serve the byte-order sorts and ``<``/``>`` filters); a collation set on purpose
    stays."""
    _run_sql(pg, "ALTER TABLE posts ADD COLUMN note text", "UPDATE posts SET note = title", "CREATE INDEX posts_note ON posts (note)",
             'ALTER TABLE posts ADD COLUMN kept text COLLATE "POSIX"')  # fmt: skip
    pg.app.backups.create("old.zip")
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / "old.zip") as zf:
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    posts = next(t for t in manifest["tables"] if t["name"] == "posts")
    assert {c["name"]: c["collation"] for c in posts["additions"]["columns"]} == {"note": "", "kept": "POSIX"}
    pg.app.backups.restore("old.zip")
    collations = dict(pg.rows(_TEXT_COLLATIONS))
    assert collations.pop("kept") == "POSIX"
    assert set(collations.values()) == {"C"}, collations
    assert "note" in collations
    with psycopg.connect(pg.app.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        for sql in ('SELECT * FROM posts ORDER BY (note) COLLATE "C" LIMIT 5', 'SELECT * FROM posts WHERE (note) COLLATE "C" > (\'a\') COLLATE "C"'):
            plan = " ".join(row[0] for row in conn.execute(f"EXPLAIN {sql}"))
            assert "posts_note" in plan, (sql, plan)
    assert pg.rows("SELECT count(*) FROM posts WHERE note = title") == pg.rows("SELECT count(*) FROM posts")


def test_a_backup_carries_no_index_pybase_makes_as_an_addition(pg: testapp.TestServer) -> None:
    """The indexes pybase makes for a collection are made again by the restore, not carried as
    additions to its table: the lookup index beside a unique one over long keys (``__pb_eq``)
    and an index whose name Postgres cut to 63 bytes were (the additions named the collection's
    indexes by their names as written); one made by hand with SQL is carried."""
    from pybase.core.collection_bind import new_collection

    long_name = "idx_" + "l" * 70
    pg.app.save_collection(new_collection({
        "name": "Notes", "type": "base",
        "fields": [{"name": "body", "type": "text"}, {"name": "tag", "type": "text", "max": 20}],
        "indexes": ["CREATE UNIQUE INDEX idx_notes_body ON Notes (body)", f"CREATE INDEX {long_name} ON Notes (tag)"],
    }))  # fmt: skip
    _run_sql(pg, 'CREATE INDEX notes_by_hand ON "Notes" (tag, body)')
    made = pg.index_sql("Notes")
    assert {"idx_notes_body", "idx_notes_body__pb_eq", long_name[:63], "notes_by_hand"} <= set(made), made
    pg.app.backups.create("own.zip")
    with zipfile.ZipFile(Path(pg.app.data_dir) / "backups" / "own.zip") as zf:
        manifest = orjson.loads(zf.read(PG_MANIFEST))
    notes = next(t for t in manifest["tables"] if t["name"] == "Notes")
    assert [i["name"] for i in (notes.get("additions") or {}).get("indexes", [])] == ["notes_by_hand"]
    pg.app.backups.restore("own.zip")
    assert pg.index_sql("Notes") == made
