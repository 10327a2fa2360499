"""``/api/backups`` and ``POST /api/files/token``: backups of a live pb_data."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
import zipfile
from pathlib import Path

import pytest

from tests import testapp
from tests.scenarios import Scenario, run

SU = {"Authorization": "SUPERUSER"}


def _backup(name: str):
    def before(server: testapp.TestServer) -> None:
        server.pybase.core.backups.create(name)

    return before


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
    Scenario("restore needs the command line's process", "POST", "/api/backups/b1.zip/restore", headers=SU,
             before=_backup("b1.zip"), expected_status=400, expected_content=["needs pybase started by its command line"]),
    Scenario("restore of a missing backup", "POST", "/api/backups/nope.zip/restore", headers=SU, expected_status=400,
             expected_content=['"message":"Missing or invalid backup file."']),
    Scenario("file token for guests", "POST", "/api/files/token", expected_status=401),
    Scenario("file token for a user", "POST", "/api/files/token", headers={"Authorization": "USER1"}, expected_content=['"token":"eyJ']),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_backups(server: testapp.TestServer, scenario: Scenario) -> None:
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
    assert "data.db" in zipfile.ZipFile(io.BytesIO(resp.content)).namelist()


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
    assert "data.db" in names and "auxiliary.db" in names
    assert not any(n.endswith(("-wal", "-shm")) or n.startswith("backups/") for n in names)
    with sqlite3.connect(tmp_path / "restored" / "data.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = {r[0]: r[1] for r in conn.execute("SELECT id, title FROM posts WHERE id LIKE 'bkp%'")}
    # a prefix of the creates, each row whole
    assert 30 <= len(rows) <= during + 1
    assert set(rows) == set(created[: len(rows)])
    assert all(rows[rid] == f"Backup run {int(rid[3:])}" for rid in rows)


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
