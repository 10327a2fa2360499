"""The command line, run for real as ``python -m pybase`` in a subprocess.

Covers version and help, the superuser commands against a temp ``--dir``, clear errors (message, non-zero
exit, never a traceback) and ``serve``: where it listens, a working API, and a graceful SIGTERM that lets
in-flight requests finish and closes the database cleanly.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import bcrypt
import pytest
import requests

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from pybase.version import VERSION

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONUNBUFFERED": "1"}
PASSWORD = "1234567890"


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pybase <args>`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "pybase", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


def superusers(data_dir: Path) -> dict[str, str]:
    """email -> password hash, read straight from the database file."""
    with sqlite3.connect(data_dir / "data.db") as conn:
        return dict(conn.execute("SELECT email, password FROM _superusers").fetchall())


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# ---- version and help ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [["version"], ["--version"], ["-v"]], ids=" ".join)
def test_version(tmp_path, args):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"pybase version \d+\.\d+\.\d+\S*\n", result.stdout)
    assert result.stdout.split()[-1] == VERSION
    # NOTE: one version: the package's is read from pybase/version.py
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pybase.version.VERSION"}


@pytest.mark.parametrize("args", [["version"], ["--help"], ["serve", "--help"], ["superuser"]], ids=" ".join)
def test_small_commands_load_none_of_pybase_layers(tmp_path, args):
    # NOTE: what ``pybase version`` and ``--help`` load is what they cost (0.7 s when the CLI
    # loaded all of pybase first)
    probe = ("import sys\nfrom pybase.cli import main\ntry:\n    main(sys.argv[1:])\nfinally:\n"
             "    print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' or m.startswith(('pybase.core', 'pybase.store', 'pybase.apis'))))")
    result = subprocess.run([sys.executable, "-c", probe, *args], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


HELP = [
    ([], ["serve", "superuser", "version"]),
    (["--help"], ["serve", "superuser", "version", "--dir"]),
    (["serve", "--help"], ["--http", "--dir", "--origins", "--dev", "--publicDir"]),
    (["superuser", "--help"], ["create", "upsert", "update", "delete"]),
    (["superuser", "create", "--help"], ["email", "password", "--dir"]),
    (["superuser", "upsert", "--help"], ["email", "password"]),
    (["superuser", "update", "--help"], ["email", "password"]),
    (["superuser", "delete", "--help"], ["email", "--dir"]),
    (["version", "--help"], ["usage:"]),
]


@pytest.mark.parametrize("args,words", HELP, ids=[" ".join(a) or "no arguments" for a, _ in HELP])
def test_help(tmp_path, args, words):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: pybase")
    for word in words:
        assert word in result.stdout
    assert not (tmp_path / "pb_data").exists(), "help must not create a data dir"


# ---- superuser -----------------------------------------------------------------------------


def test_superuser_lifecycle(tmp_path):
    data = tmp_path / "data"
    created = cli("superuser", "create", "admin@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout == 'Successfully created new superuser "admin@example.com"!\n'
    first = superusers(data)["admin@example.com"]
    assert bcrypt.checkpw(PASSWORD.encode(), first.encode())

    updated = cli("superuser", "update", "admin@example.com", "new-password-1", "--dir", str(data), cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    assert updated.stdout == 'Successfully changed superuser "admin@example.com" password!\n'
    assert bcrypt.checkpw(b"new-password-1", superusers(data)["admin@example.com"].encode())

    upsert_new = cli("superuser", "upsert", "second@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path)
    assert upsert_new.returncode == 0 and upsert_new.stdout == 'Successfully saved superuser "second@example.com"!\n'
    upsert_old = cli("superuser", "upsert", "second@example.com", "other-password", "--dir", str(data), cwd=tmp_path)
    assert upsert_old.returncode == 0, upsert_old.stderr
    assert bcrypt.checkpw(b"other-password", superusers(data)["second@example.com"].encode())

    deleted = cli("superuser", "delete", "second@example.com", "--dir", str(data), cwd=tmp_path)
    assert deleted.returncode == 0 and deleted.stdout == 'Successfully deleted superuser "second@example.com"!\n'
    assert set(superusers(data)) == {"admin@example.com"}
    # NOTE: PocketBase treats deleting a missing superuser as done (exit 0).
    again = cli("superuser", "delete", "second@example.com", "--dir", str(data), cwd=tmp_path)
    assert again.returncode == 0 and "missing or already deleted" in again.stdout
    assert not (data / "data.db-wal").exists() or (data / "data.db-wal").stat().st_size == 0


def test_global_flags_work_before_the_command(tmp_path):
    data = tmp_path / "elsewhere"
    result = cli("--dir", str(data), "superuser", "create", "a@example.com", PASSWORD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(superusers(data)) == {"a@example.com"}
    assert not (tmp_path / "pb_data").exists()


def test_default_data_dir_is_pb_data_in_the_working_directory(tmp_path):
    result = cli("superuser", "upsert", "a@example.com", PASSWORD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(superusers(tmp_path / "pb_data")) == {"a@example.com"}


def test_a_cli_superuser_can_sign_in_and_is_verified(tmp_path):
    data = tmp_path / "pb_data"
    assert cli("superuser", "create", "admin@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path).returncode == 0
    with served(tmp_path, "--dir", str(data)) as (proc, base):
        resp = requests.post(f"{base}/api/collections/_superusers/auth-with-password", json={"identity": "admin@example.com", "password": PASSWORD}, timeout=10)
        assert resp.status_code == 200, resp.text
        assert resp.json()["record"]["verified"] is True


BAD_ARGS = [
    (["nope"], ["invalid choice"]),
    (["superuser"], ["missing superuser action"]),
    (["superuser", "nope", "a@example.com"], ["invalid choice"]),
    (["superuser", "create"], ["required", "email"]),
    (["superuser", "create", "a@example.com"], ["required", "password"]),
    (["superuser", "create", "not-an-email", PASSWORD], ["email", "valid email"]),
    (["superuser", "create", "a@example.com", "short"], ["password", "8 character"]),
    (["superuser", "update", "nobody@example.com", PASSWORD], ["nobody@example.com", "does not exist"]),
    (["superuser", "delete"], ["required", "email"]),
    (["serve", "--http", "nonsense"], ["invalid --http address", "nonsense"]),
    (["serve", "--http", "127.0.0.1:99999"], ["invalid --http address", "port"]),
    (["serve", "--unknown-flag"], ["unrecognized arguments", "--unknown-flag"]),
    (["version", "extra"], ["unrecognized arguments"]),
]


@pytest.mark.parametrize("args,fragments", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments_fail_clearly(tmp_path, args, fragments):
    result = cli(*args, "--dir", str(tmp_path / "data"), cwd=tmp_path) if args[0] != "version" else cli(*args, cwd=tmp_path)
    assert_clean_failure(result, *fragments)


def test_creating_an_existing_superuser_fails(tmp_path):
    data = str(tmp_path / "data")
    assert cli("superuser", "create", "a@example.com", PASSWORD, "--dir", data, cwd=tmp_path).returncode == 0
    result = cli("superuser", "create", "a@example.com", "other-password", "--dir", data, cwd=tmp_path)
    assert_clean_failure(result, "a@example.com", "already exists")
    assert bcrypt.checkpw(PASSWORD.encode(), superusers(Path(data))["a@example.com"].encode())


def test_a_file_as_data_dir_fails_clearly(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("x")
    assert_clean_failure(cli("superuser", "create", "a@example.com", PASSWORD, "--dir", str(path), cwd=tmp_path), "not a directory")


def test_a_corrupt_database_fails_clearly(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "data.db").write_bytes(b"this is not sqlite" * 100)
    assert_clean_failure(cli("superuser", "create", "a@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path), "not a database")


def test_encryption_env_encrypts_the_stored_settings(tmp_path):
    data = tmp_path / "data"
    key_env = {**ENV, "PB_SETTINGS_KEY": "0123456789abcdef0123456789abcdef"}
    args = [sys.executable, "-m", "pybase", "superuser", "upsert", "a@example.com", PASSWORD, "--dir", str(data)]
    first = subprocess.run([*args, "--encryptionEnv", "PB_SETTINGS_KEY"], cwd=tmp_path, env=key_env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(data / "data.db") as conn:
        value = conn.execute("SELECT value FROM _params WHERE id = 'settings'").fetchone()[0]
    assert "appName" not in str(value)
    # the same data dir without the key: a clear error, not a traceback
    assert_clean_failure(cli("superuser", "upsert", "a@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path), "missing encryption key")
    # a key of the wrong size (AES takes 16, 24 or 32 bytes) fails clearly too
    bad = subprocess.run(
        [*args[:-2], "--dir", str(tmp_path / "other"), "--encryptionEnv", "PB_SETTINGS_KEY"],
        cwd=tmp_path, env={**ENV, "PB_SETTINGS_KEY": "short"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert_clean_failure(bad, "invalid key size")


def test_a_port_in_use_fails_clearly(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = cli("serve", "--http", f"127.0.0.1:{port}", "--dir", str(tmp_path / "data"), cwd=tmp_path)
    assert_clean_failure(result, "cannot listen", str(port))


# ---- serve ---------------------------------------------------------------------------------


class served:
    """``python -m pybase serve`` (or a launcher script) on a free port, stopped on exit."""

    def __init__(self, cwd: Path, *args: str, launcher: Path | None = None) -> None:
        command = [sys.executable, str(launcher)] if launcher else [sys.executable, "-m", "pybase"]
        self.proc = subprocess.Popen(
            [*command, "serve", "--http", "127.0.0.1:0", *args], cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.banner = ""

    def __enter__(self) -> tuple[subprocess.Popen[str], str]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner += line
            if "Dashboard:" in line:
                break
        match = re.search(r"Server started at (http://127\.0\.0\.1:(\d+))", self.banner)
        if not match:
            self.proc.kill()
            raise AssertionError(f"no banner: {self.banner!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        return self.proc, match.group(1)

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_prints_where_it_listens_and_answers(tmp_path):
    with served(tmp_path, "--dir", str(tmp_path / "data")) as (proc, base):
        port = base.rsplit(":", 1)[1]
        assert int(port) > 0
        health = requests.get(f"{base}/api/health", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"message": "API is healthy.", "code": 200, "data": {}}
        assert requests.get(f"{base}/api/collections", timeout=10).status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr


def test_serve_banner_names_api_and_dashboard(tmp_path):
    # NOTE: with a superuser, so no installer link (tests/test_installer.py) follows the banner
    assert cli("superuser", "upsert", "admin@example.com", PASSWORD, "--dir", str(tmp_path / "data"), cwd=tmp_path).returncode == 0
    server = served(tmp_path, "--dir", str(tmp_path / "data"))
    with server as (proc, base):
        assert server.banner.splitlines() == [
            f"Server started at {base}",
            f"├─ REST API:  {base}/api/",
            f"└─ Dashboard: {base}/_/",
        ]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0


SLOW_LAUNCHER = textwrap.dedent(
    """
    import sys, time
    from pybase.app import PyBase

    app = PyBase()

    @app.route("GET", "/api/slow")
    def slow(req, resp):
        time.sleep(float(req.get_param("seconds") or 2))
        resp.media = {"slow": "done"}

    sys.exit(app.start(sys.argv[1:]))
    """
)


def test_sigterm_lets_a_slow_request_finish_then_exits_cleanly(tmp_path):
    launcher = tmp_path / "slow_app.py"
    launcher.write_text(SLOW_LAUNCHER)
    # NOTE: no --dir: PyBase.start() keeps hooks and routes only for the default data dir.
    data = tmp_path / "pb_data"
    with served(tmp_path, launcher=launcher) as (proc, base):
        token = _superuser_token(tmp_path, base, data)
        created = requests.post(f"{base}/api/collections", json={"name": "notes", "fields": [{"name": "text", "type": "text"}], "createRule": ""},
                                headers={"Authorization": token}, timeout=10)
        assert created.status_code == 200, created.text
        for i in range(20):
            assert requests.post(f"{base}/api/collections/notes/records", json={"text": f"note {i}"}, timeout=10).status_code == 200

        result: dict[str, object] = {}

        def slow_call():
            try:
                resp = requests.get(f"{base}/api/slow?seconds=2", timeout=30)
                result["status"], result["body"] = resp.status_code, resp.json()
            except requests.RequestException as ex:
                result["error"] = ex

        thread = threading.Thread(target=slow_call)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # new connections are refused while the slow one drains
        time.sleep(0.5)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base}/api/health", timeout=5)
        thread.join(30)
        assert result.get("status") == 200 and result.get("body") == {"slow": "done"}, result
        assert proc.wait(20) == 0
        assert time.monotonic() - started < 15
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr

    wal = data / "data.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "the WAL was not checkpointed on shutdown"
    with sqlite3.connect(data / "data.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (20,)


def test_sigterm_waits_for_a_request_still_uploading(tmp_path):
    data = tmp_path / "data"
    with served(tmp_path, "--dir", str(data)) as (proc, base):
        port = int(base.rsplit(":", 1)[1])
        body = b'{"email":"late@example.com","password":"12345678","passwordConfirm":"12345678"}'
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = (
                "POST /api/collections/users/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            sock.sendall(head + body[:10])
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            sock.sendall(body[10:])
            response = b""
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
        assert response.startswith(b"HTTP/1.1 200"), response[:300]
        assert proc.wait(20) == 0
    with sqlite3.connect(data / "data.db") as conn:
        assert conn.execute("SELECT email FROM users").fetchall() == [("late@example.com",)]


def _superuser_token(cwd: Path, base: str, data: Path) -> str:
    # NOTE: the server holds the database; the CLI writes through the same single-writer rules.
    result = cli("superuser", "upsert", "admin@example.com", PASSWORD, "--dir", str(data), cwd=cwd)
    assert result.returncode == 0, result.stderr
    resp = requests.post(f"{base}/api/collections/_superusers/auth-with-password", json={"identity": "admin@example.com", "password": PASSWORD}, timeout=10)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["token"])
