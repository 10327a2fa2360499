"""The example apps in ``examples/``, run as a user runs them: a subprocess on a free loopback port.

``examples/hello/app.py`` is checked through its own command line (``superuser create``, then
``serve`` with a temp ``--dir``): its code migration made the collections, its route answers, its
record hook tidies titles and its cron job is listed and runs on demand. The same checks run
against ``dist/hello`` when it has been built (``PYBASE_ENTRY=examples/hello/app.py
PYBASE_NAME=hello scripts/build.sh``).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.test_cli import ENV, served

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "hello" / "app.py"
HELLO_BINARY = ROOT / "dist" / "hello"
EMAIL, PASSWORD = "admin@example.com", "1234567890"


def check_hello(command: list[str], tmp_path: Path) -> None:
    data = tmp_path / "pb_data"
    created = subprocess.run([*command, "superuser", "create", EMAIL, PASSWORD, "--dir", str(data)],
                             cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    launcher = _Launcher(command)
    with served(tmp_path, "--dir", str(data), launcher=launcher.path(tmp_path)) as (proc, base):
        assert requests.get(f"{base}/hello/world", timeout=10).json() == {"message": "Hello world!"}

        note = requests.post(f"{base}/api/collections/notes/records", json={"title": "  buy milk "}, timeout=10)
        assert note.status_code == 200, note.text
        assert note.json()["title"] == "Buy milk"

        token = requests.post(f"{base}/api/collections/_superusers/auth-with-password",
                              json={"identity": EMAIL, "password": PASSWORD}, timeout=10).json()["token"]
        auth = {"Authorization": token}
        jobs = requests.get(f"{base}/api/crons", headers=auth, timeout=10).json()
        assert {"id": "count_notes", "expression": "*/10 * * * *"} in jobs
        assert requests.post(f"{base}/api/crons/count_notes", headers=auth, timeout=10).status_code == 204
        deadline = time.monotonic() + 10
        while True:
            stat = requests.get(f"{base}/api/collections/stats/records/notescount00000", timeout=10)
            if stat.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert stat.status_code == 200 and stat.json()["value"] == 1, stat.text

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


class _Launcher:
    """``served`` runs ``python <launcher>``; for a binary, a tiny script that execs it."""

    def __init__(self, command: list[str]) -> None:
        self.command = command

    def path(self, tmp_path: Path) -> Path:
        if self.command[0] == sys.executable:
            return Path(self.command[1])
        script = tmp_path / "run_binary.py"
        script.write_text(f"import os, sys\nos.execv({self.command[0]!r}, [{self.command[0]!r}, *sys.argv[1:]])\n")
        return script


def test_hello_example_runs_its_route_hook_cron_and_migration(tmp_path):
    check_hello([sys.executable, str(HELLO)], tmp_path)


@pytest.mark.skipif(not HELLO_BINARY.is_file(), reason="dist/hello is not built yet: scripts/test.sh builds it, then runs this test")
@pytest.mark.timeout(300)
def test_hello_example_built_as_one_binary(tmp_path):
    check_hello([str(HELLO_BINARY)], tmp_path)
