"""``/api/backups`` and ``POST /api/files/token``: backups of a live pb_data, on SQLite and on
Postgres (a dump of its tables in the archive: tests/api/test_backups_postgres.py restores them)."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests import testapp
from tests.scenarios import Scenario, run

pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; tests/conftest.py), for CI time
POSTGRES_EVERY = 2

SU = {"Authorization": "SUPERUSER"}
PG_MANIFEST = "pb_postgres/manifest.json"


def _backup(name: str):
    def before(server: testapp.TestServer) -> None:
        server.pybase.core.backups.create(name)

    return before


def _archive(name: str, members: dict[str, bytes] | None = None, raw: bytes | None = None):
    """Put an archive straight into the backups folder (as a restore of it would find it)."""

    def before(server: testapp.TestServer) -> None:
        folder = Path(server.app.data_dir) / "backups"
        folder.mkdir(exist_ok=True)
        if raw is not None:
            (folder / name).write_bytes(raw)
            return
        with zipfile.ZipFile(folder / name, "w") as zf:
            for member, data in (members or {}).items():
                zf.writestr(member, data)

    return before


POSTGRES_DUMP = {PG_MANIFEST: orjson.dumps({"kind": "pybase-postgres", "format": 1, "tables": []})}
SCENARIOS = [
    Scenario("guests may not list", "GET", "/api/backups", expected_status=401),
    Scenario("users may not list", "GET", "/api/backups", headers={"Authorization": "USER1"}, expected_status=403),
    Scenario("an empty list", "GET", "/api/backups", headers=SU, expected_content=["[]"]),
    Scenario("create with a name", "POST", "/api/backups", body={"name": "first.zip"}, headers=SU, expected_status=204,
             expected_events={"onBackupCreate": 1}),
    Scenario("create without a name", "POST", "/api/backups", headers=SU, expected_status=204),
    Scenario("list", "GET", "/api/backups", headers=SU, before=_backup("b1.zip"),
             expected_content=['"key":"b1.zip"', '"size":', '"modified":"']),
    Scenario("an invalid name", "POST", "/api/backups", body={"name": "No Good.zip"}, headers=SU, expected_status=400,
             expected_content=['"message":"An error occurred while validating the submitted data."', '"code":"validation_match_invalid"']),
    Scenario("a name taken", "POST", "/api/backups", body={"name": "b1.zip"}, headers=SU, before=_backup("b1.zip"),
             expected_status=400, expected_content=['"code":"validation_backup_name_exists"']),
    Scenario("a name of the wrong type", "POST", "/api/backups", body={"name": 5}, headers=SU, expected_status=400,
             expected_content=['"message":"An error occurred while loading the submitted data."']),
    Scenario("malformed JSON", "POST", "/api/backups", body="{", headers={**SU, "Content-Type": "application/json"},
             expected_status=400),
    Scenario("users may not create", "POST", "/api/backups", headers={"Authorization": "USER1"}, expected_status=403),
    Scenario("delete", "DELETE", "/api/backups/b1.zip", headers=SU, before=_backup("b1.zip"), expected_status=204),
    Scenario("delete a missing one", "DELETE", "/api/backups/nope.zip", headers=SU, expected_status=400,
             expected_content=['"message":"Invalid or already deleted backup file.']),
    Scenario("delete as a guest", "DELETE", "/api/backups/b1.zip", expected_status=401),
    Scenario("download without a token", "GET", "/api/backups/b1.zip", before=_backup("b1.zip"), expected_status=403,
             expected_content=['"message":"Insufficient permissions to access the resource."']),
    Scenario("restore of a missing backup", "POST", "/api/backups/nope.zip/restore", headers=SU, expected_status=400,
             expected_content=['"message":"Missing or invalid backup file."']),
    Scenario("restore of a key that is a path", "POST", "/api/backups/..%2Fdata.db/restore", headers=SU, expected_status=400,
             expected_content=['"message":"Missing or invalid backup file."']),
    Scenario("restore as a guest", "POST", "/api/backups/b1.zip/restore", before=_backup("b1.zip"), expected_status=401),
    Scenario("restore as a user", "POST", "/api/backups/b1.zip/restore", headers={"Authorization": "USER1"},
             before=_backup("b1.zip"), expected_status=403),
    Scenario("restore of a corrupt zip", "POST", "/api/backups/bad.zip/restore", headers=SU,
             before=_archive("bad.zip", raw=b"PK\x03\x04 not really a zip"), expected_status=400,
             expected_content=['"message":"The backup file is not a valid zip archive:'], expected_events={"onBackupRestore": 0}),
    Scenario("delete as a user", "DELETE", "/api/backups/b1.zip", headers={"Authorization": "USER1"}, before=_backup("b1.zip"),
             expected_status=403),
    Scenario("download of an unknown key with a forged token", "GET", "/api/backups/nope.zip?token=eyJhbGciOiJIUzI1NiJ9.e30.x",
             expected_status=403),
    Scenario("file token for guests", "POST", "/api/files/token", expected_status=401),
    Scenario("file token for a user", "POST", "/api/files/token", headers={"Authorization": "USER1"}, expected_content=['"token":"eyJ']),
]  # fmt: skip


SQLITE_SCENARIOS = [
    Scenario("restore needs the command line's process", "POST", "/api/backups/b1.zip/restore", headers=SU,
             before=_backup("b1.zip"), expected_status=400, expected_content=["needs pybase started by its command line"]),
    Scenario("restore of a zip without data.db", "POST", "/api/backups/empty.zip/restore", headers=SU,
             before=_archive("empty.zip", {"storage/x.txt": b"x"}), expected_status=400,
             expected_content=['"message":"The backup archive has no data.db."']),
    Scenario("restore of a Postgres backup into SQLite", "POST", "/api/backups/pg.zip/restore", headers=SU,
             before=_archive("pg.zip", POSTGRES_DUMP), expected_status=400,
             expected_content=['"message":"The backup holds a Postgres database', "only into a pybase app whose data is in Postgres"]),
]  # fmt: skip


def _restored(server: testapp.TestServer, _resp: object) -> None:
    """Wait for the restore the answer started in the background (it sleeps 1 s first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.events["onBackupRestore"] and server.app.backups.active is None:
            return
        time.sleep(0.05)
    raise AssertionError("the restore did not finish")


POSTGRES_SCENARIOS = [
    Scenario("restore in place", "POST", "/api/backups/b1.zip/restore", headers=SU, before=_backup("b1.zip"),
             expected_status=204, after=_restored),
    Scenario("restore of a zip with neither data.db nor a dump", "POST", "/api/backups/empty.zip/restore", headers=SU,
             before=_archive("empty.zip", {"storage/x.txt": b"x"}), expected_status=400,
             expected_content=['"message":"The backup archive has neither a data.db nor a Postgres dump']),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_backups(server: testapp.TestServer, scenario: Scenario) -> None:
    run(server, scenario)


@pytest.mark.parametrize("scenario", SQLITE_SCENARIOS, ids=str)
def test_backups_on_sqlite(server: testapp.TestServer, backend: str, scenario: Scenario) -> None:
    if backend != "sqlite":
        pytest.skip("these answers are an app on SQLite's (a Postgres dump into it is refused): the Postgres run has its own table")
    run(server, scenario)


@pytest.mark.parametrize("scenario", POSTGRES_SCENARIOS, ids=str)
@pytest.mark.postgres_only("these answers are an app on Postgres's (a dump is restored in place): the SQLite run has its own table")
def test_backups_on_postgres(server: testapp.TestServer, backend: str, scenario: Scenario) -> None:
    run(server, scenario)


def _file_token(server: testapp.TestServer, who: str) -> str:
    resp = server.request("POST", "/api/files/token", headers={"Authorization": server.token(who)})
    return str(resp.json()["token"])


def test_download_with_a_superuser_file_token(server: testapp.TestServer) -> None:
    server.pybase.core.backups.create("dl.zip")
    user_token = _file_token(server, "user1")
    assert server.request("GET", f"/api/backups/dl.zip?token={user_token}").status_code == 403
    resp = server.request("GET", f"/api/backups/dl.zip?token={_file_token(server, 'superuser')}")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"] == 'attachment; filename="dl.zip"'
    names = zipfile.ZipFile(io.BytesIO(resp.content)).namelist()
    if server.app.database_url:
        assert PG_MANIFEST in names and "data.db" not in names
    else:
        assert "data.db" in names and PG_MANIFEST not in names
    assert server.request("GET", f"/api/backups/nope.zip?token={_file_token(server, 'superuser')}").status_code == 404


def test_upload(server: testapp.TestServer) -> None:
    su = {"Authorization": server.token("superuser")}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data.db", b"")
    ok = server.request("POST", "/api/backups/upload", files={"file": ("up.zip", archive.getvalue(), "application/zip")}, headers=su)
    assert ok.status_code == 204
    assert [b["key"] for b in server.request("GET", "/api/backups", headers=su).json()] == ["up.zip"]
    again = server.request("POST", "/api/backups/upload", files={"file": ("up.zip", archive.getvalue())}, headers=su)
    assert again.status_code == 400 and again.json()["data"]["file"]["code"] == "validation_backup_name_exists"
    text = server.request("POST", "/api/backups/upload", files={"file": ("x.zip", b"not a zip")}, headers=su)
    assert text.status_code == 400 and text.json()["data"]["file"]["code"] == "validation_invalid_mime_type"
    missing = server.request("POST", "/api/backups/upload", files={"other": ("x.zip", b"PK")}, headers=su)
    assert missing.status_code == 400 and missing.json()["data"]["file"]["code"] == "validation_required"


def test_a_backup_taken_during_concurrent_writes_is_consistent(server: testapp.TestServer, tmp_path: Path) -> None:
    """Creates keep running while the backup is taken; the archive holds a consistent database
    whose posts are exactly those committed before some moment, checked row by row."""
    app = server.pybase.core
    stop = threading.Event()
    created: list[str] = []

    def write() -> None:
        i = 0
        while not stop.is_set():
            rid = f"bkp{i:012d}"
            resp = server.request("POST", "/api/collections/posts/records", json={"id": rid, "title": f"Backup run {i}", "views": 1})
            if resp.status_code == 200:
                created.append(rid)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(created) < 30:
            threading.Event().wait(0.01)
        app.backups.create("live.zip")
        during = len(created)
    finally:
        stop.set()
        writer.join(30)
    with zipfile.ZipFile(Path(app.data_dir) / "backups" / "live.zip") as zf:
        zf.extractall(tmp_path / "restored")
        names = zf.namelist()
    assert not any(n.endswith(("-wal", "-shm")) or n.startswith("backups/") for n in names)
    if app.database_url:
        rows = _dumped_posts(tmp_path / "restored")
    else:
        assert "data.db" in names and "auxiliary.db" in names
        with sqlite3.connect(tmp_path / "restored" / "data.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            rows = {r[0]: r[1] for r in conn.execute("SELECT id, title FROM posts WHERE id LIKE 'bkp%'")}
    # a prefix of the creates, each row whole
    assert 30 <= len(rows) <= during + 1
    assert set(rows) == set(created[: len(rows)])
    assert all(rows[rid] == f"Backup run {int(rid[3:])}" for rid in rows)


def _dumped_posts(root: Path) -> dict[str, str]:
    """id -> title of the posts in a Postgres backup's dump (COPY's text format), checked
    against the manifest's row count."""
    manifest = orjson.loads((root / PG_MANIFEST).read_bytes())
    entry = next(t for t in manifest["tables"] if t["name"] == "posts")
    lines = (root / entry["file"]).read_text().splitlines()
    assert len(lines) == entry["rows"]
    at_id, at_title = entry["columns"].index("id"), entry["columns"].index("title")
    rows = {}
    for line in lines:
        values = line.split("\t")
        assert len(values) == len(entry["columns"])
        if values[at_id].startswith("bkp"):
            rows[values[at_id]] = values[at_title]
    return rows


def test_one_backup_at_a_time(server: testapp.TestServer) -> None:
    backups = server.pybase.core.backups
    backups.active = "busy.zip"  # as while another backup runs
    try:
        resp = server.request("POST", "/api/backups", headers={"Authorization": server.token("superuser")})
        assert resp.status_code == 400 and resp.json()["message"].startswith("Try again later")
        health = server.request("GET", "/api/health", headers={"Authorization": server.token("superuser")})
        assert health.json()["data"]["canBackup"] is False
    finally:
        backups.active = None


def test_scheduled_backups_keep_the_newest(server: testapp.TestServer) -> None:
    app = server.pybase.core
    settings = app.settings()
    settings["backups"] = {**settings["backups"], "cron": "0 3 * * *", "cronMaxKeep": 2}
    app.save_settings(settings)
    assert any(job.id == "__pbAutoBackup__" and job.expression == "0 3 * * *" for job in app.cron.jobs())
    backups = app.backups
    for _ in range(4):
        backups.run_scheduled()
        time.sleep(1.05)  # NOTE: the generated names (and modified times) carry the second
    autos = [b["key"] for b in backups.list() if b["key"].startswith("@auto_pb_backup_")]
    assert len(autos) == 2
    settings["backups"] = {**settings["backups"], "cron": ""}
    app.save_settings(settings)
    assert not any(job.id == "__pbAutoBackup__" for job in app.cron.jobs())


# An uploaded archive keeps its name whatever its form (as PocketBase): the file name as the
# multipart form writes it -> the key it is stored, listed, downloaded and deleted as, and the
# download's Content-Disposition bytes (Go's %q of the name, UTF-8 as is: PocketBase 0.40.6's);
# None: refused (as an existing name, or as no file). Never a file outside pb_data/backups.
UPLOAD_NAMES = [
    (b"\xe6\x97\xa5\xe6\x9c\xac.zip", "日本.zip", b'attachment; filename="\xe6\x97\xa5\xe6\x9c\xac.zip"'),
    (b"\xc3\xa9.zip", "é.zip", b'attachment; filename="\xc3\xa9.zip"'),
    (b'a\\"b.zip', 'a"b.zip', b'attachment; filename="a\\"b.zip"'),
    (b"t\tab.zip", "t\tab.zip", b'attachment; filename="t\\tab.zip"'),
    (b".zip", ".zip", b'attachment; filename=".zip"'),
    (b"../../evil.zip", "evil.zip", b'attachment; filename="evil.zip"'),
    (b"..", None, None),
    (b"a\x00b.zip", None, None),
    (b"n" * 256, None, None),
]


@pytest.mark.parametrize(("sent", "key", "disposition"), UPLOAD_NAMES)
def test_upload_names_of_any_form(server: testapp.TestServer, sent: bytes, key: str | None, disposition: bytes | None) -> None:
    su = {"Authorization": server.token("superuser")}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data.db", b"")
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="' + sent + b'"\r\n'
        b"Content-Type: application/zip\r\n\r\n" + archive.getvalue() + b"\r\n--XX--\r\n"
    )
    headers = {**su, "Content-Type": "multipart/form-data; boundary=XX"}
    resp = server.request("POST", "/api/backups/upload", data=body, headers=headers)
    data_dir = Path(server.pybase.core.data_dir)
    stored = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file() and "zip" in p.name)
    if key is None:
        # NOTE: a NUL is no byte a part's header may hold: Go's reader refuses the whole form,
        # so there is no file (tests/conformance/test_multipart_names.py)
        code = "validation_required" if b"\x00" in sent else "validation_backup_name_exists"
        assert resp.status_code == 400 and resp.json()["data"]["file"]["code"] == code
        assert stored == []
        return
    assert resp.status_code == 204, resp.text
    assert stored == [f"backups/{key}", f"backups/{key}.attrs"]
    assert [b["key"] for b in server.request("GET", "/api/backups", headers=su).json()] == [key]
    url = "/api/backups/" + quote(key, safe="")
    got = server.request("GET", f"{url}?token={_file_token(server, 'superuser')}")
    assert got.status_code == 200 and got.content == archive.getvalue()
    assert got.headers["Content-Disposition"].encode("latin-1") == disposition
    assert server.request("DELETE", url, headers=su).status_code == 204
    assert server.request("GET", "/api/backups", headers=su).json() == []
