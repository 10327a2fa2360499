"""Running pybase on a server: the systemd unit, and no acknowledged write lost to ``kill -9``."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests.test_hardening import REPO, serve, superuser_token

UNIT = REPO / "scripts" / "pybase.service"


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # NOTE: verify checks that ExecStart's binary exists; point it at this checkout's command.
    command = Path(sys.executable).parent / "pybase"
    assert command.exists(), "no pybase command beside this Python (scripts/test.sh installs it in .venv)"
    unit = tmp_path / "pybase.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/pybase", str(command)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # NOTE: an unknown directive or a bad value is only a warning (exit 0): none may be printed.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result


def test_kill_9_during_concurrent_creates_loses_no_acknowledged_write(tmp_path: Path) -> None:
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    with serve(tmp_path) as server:
        su = {"Authorization": superuser_token(server.base)}
        body = {"name": "events", "type": "base", "createRule": "", "fields": [{"name": "n", "type": "number"}]}
        assert requests.post(f"{server.base}/api/collections", json=body, headers=su, timeout=30).status_code == 200

        def writer(worker: int) -> None:
            session = requests.Session()
            for i in range(100_000):
                if stop.is_set():
                    return
                rid = f"w{worker:02d}{i:012d}"
                try:
                    resp = session.post(
                        f"{server.base}/api/collections/events/records", json={"id": rid, "n": i}, timeout=10
                    )
                except requests.RequestException:
                    return  # the server is gone
                if resp.status_code == 200:
                    with lock:
                        acknowledged.append(rid)

        with ThreadPoolExecutor(8) as pool:
            for worker in range(8):
                pool.submit(writer, worker)
            deadline = time.monotonic() + 30
            while len(acknowledged) < 1000 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
            stop.set()
    assert len(acknowledged) >= 1000
    db = tmp_path / "pb_data" / "data.db"
    with sqlite3.connect(db) as conn:  # opening it replays the WAL, as a restart does
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with serve(tmp_path) as server:  # and pybase starts on it again
        su = {"Authorization": superuser_token(server.base)}
        stored: set[str] = set()
        page = 1
        while True:
            resp = requests.get(
                f"{server.base}/api/collections/events/records",
                params={"page": page, "perPage": 500, "fields": "id", "skipTotal": "1"}, headers=su, timeout=30,
            )  # fmt: skip
            items = resp.json()["items"]
            stored.update(item["id"] for item in items)
            if len(items) < 500:
                break
            page += 1
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged creates lost, e.g. {sorted(missing)[:5]}"


def test_restore_brings_the_data_back_and_restarts_the_process(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve(tmp_path, "--http", f"127.0.0.1:{port}") as server:
        base = f"http://127.0.0.1:{port}"
        su = {"Authorization": superuser_token(base)}
        body = {"name": "notes", "type": "base", "listRule": "", "fields": [{"name": "t", "type": "text"}]}
        assert requests.post(f"{base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
        for text in ("kept one", "kept two"):
            requests.post(f"{base}/api/collections/notes/records", json={"t": text}, headers=su, timeout=30).raise_for_status()
        assert requests.post(f"{base}/api/backups", json={"name": "before.zip"}, headers=su, timeout=60).status_code == 204
        requests.post(f"{base}/api/collections/notes/records", json={"t": "after the backup"}, headers=su, timeout=30).raise_for_status()
        pid = server.proc.pid
        assert requests.post(f"{base}/api/backups/before.zip/restore", headers=su, timeout=30).status_code == 204
        deadline = time.monotonic() + 60
        texts: list[str] = []
        while time.monotonic() < deadline:
            try:
                resp = requests.get(f"{base}/api/collections/notes/records?sort=t", timeout=2)
                texts = [r["t"] for r in resp.json()["items"]]
                if texts == ["kept one", "kept two"]:
                    break
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        assert texts == ["kept one", "kept two"], server.log.read_text()[-2000:]
        assert server.proc.pid == pid and server.proc.poll() is None  # the same process, started again
        # the backups themselves survive the restore
        su = {"Authorization": superuser_token(base)}
        assert [b["key"] for b in requests.get(f"{base}/api/backups", headers=su, timeout=30).json()] == ["before.zip"]
