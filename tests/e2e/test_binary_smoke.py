"""Smoke test of the one-file binary ``dist/pybase`` as a user runs it.

``scripts/test.sh`` builds the binary (``scripts/build.sh``) and then runs this test, so in CI it
always runs; it is skipped only when ``dist/pybase`` has not been built.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.s3_server import make_bucket, moto_endpoint, s3_settings  # noqa: F401 - moto_endpoint: a fixture

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "dist" / "pybase"
EMAIL = "smoke@example.com"
PASSWORD = "smoke-password-123"

pytestmark = [
    pytest.mark.skipif(not BINARY.is_file(), reason="dist/pybase is not built (scripts/build.sh builds it)"),
    pytest.mark.timeout(300),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``./pybase serve`` running in the background, its output in a log file."""

    def __init__(self, binary: Path, cwd: Path, log: Path, *args: str) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(binary), "serve", "--http", f"127.0.0.1:{self.port}", *args],
                cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                # NOTE: a one-file binary is two processes (the bootloader and the Python
                # child it forwards signals to); its own session lets cleanup kill both.
                start_new_session=True,
            )

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 60) -> None:
        """Poll /api/health until it answers (the one-file binary unpacks itself first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"pybase serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if requests.get(self.base_url + "/api/health", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        pytest.fail(f"pybase serve was not healthy after {timeout}s:\n{self.output()}")

    def request(self, method: str, path: str, token: str = "", **kwargs: Any) -> requests.Response:
        """An HTTP request to the server, authenticated when ``token`` is given."""
        headers = {"Authorization": token} if token else {}
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def superuser_token(self) -> str:
        """Authenticate as the smoke superuser."""
        resp = self.request(
            "POST", "/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        return str(resp.json()["token"])

    def terminate(self) -> int:
        """SIGTERM and wait for the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"pybase serve did not stop within 30s of SIGTERM:\n{self.output()}")

    def kill(self) -> None:
        """Make sure the bootloader and its Python child are gone (test cleanup)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


@pytest.fixture
def install_dir(tmp_path: Path) -> Iterator[Path]:
    """The binary copied alone into a fresh folder, as a user would download it."""
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy2(BINARY, folder / "pybase")
    os.chmod(folder / "pybase", 0o755)
    yield folder


# JS hooks beside pb_data (the default pb_hooks folder), as a user drops them next to the binary.
SMOKE_HOOKS = """
routerAdd("GET", "/smoke/hello/{name}", (e) => {
  return e.json(200, {hello: e.request.pathValue("name"), appName: $app.settings().meta.appName});
});
routerAdd("GET", "/smoke/site/{path...}", $apis.static("site", false));
onRecordCreateRequest((e) => {
  e.record.set("title", e.record.getString("title") + " (hooked)");
  e.next();
}, "smoke");
"""


def _run(binary: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def test_binary_smoke(install_dir: Path, tmp_path: Path, moto_endpoint: str) -> None:  # noqa: F811 - the fixture
    binary = install_dir / "pybase"
    # NOTE: run from another working directory: the data dir must follow the binary, not the cwd.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    version = _run(binary, "version", cwd=elsewhere)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("pybase version "), version.stdout

    upsert = _run(binary, "superuser", "upsert", EMAIL, PASSWORD, cwd=elsewhere)
    assert upsert.returncode == 0, upsert.stdout + upsert.stderr
    assert (install_dir / "pb_data").is_dir(), "pb_data was not created beside the binary"
    assert not (elsewhere / "pb_data").exists(), "pb_data was created in the working directory"

    (install_dir / "pb_hooks").mkdir()
    (install_dir / "pb_hooks" / "smoke.pb.js").write_text(SMOKE_HOOKS, encoding="utf-8")
    (install_dir / "site").mkdir()
    (install_dir / "site" / "hi.txt").write_text("static hi", encoding="utf-8")

    served = Served(binary, elsewhere, tmp_path / "serve1.log")
    try:
        served.wait_healthy()
        token = served.superuser_token()

        # the JS runtime works inside the binary: a route, $apis.static and a record hook
        resp = served.request("GET", "/smoke/hello/binary")
        assert resp.status_code == 200, f"{resp.status_code} {resp.text}\n{served.output()}"
        assert resp.json() == {"hello": "binary", "appName": "Acme"}
        resp = served.request("GET", "/smoke/site/hi.txt")
        assert (resp.status_code, resp.text) == (200, "static hi"), resp.text
        assert served.request("GET", "/smoke/site/missing.txt").status_code == 404

        resp = served.request(
            "POST", "/api/collections", token,
            json={"name": "smoke", "type": "base", "fields": [{"name": "title", "type": "text", "required": True}]},
        )
        assert resp.status_code == 200, resp.text
        resp = served.request("POST", "/api/collections/smoke/records", token, json={"title": "hello"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["title"] == "hello (hooked)", "onRecordCreateRequest did not run"
        record_id = resp.json()["id"]

        resp = served.request("GET", "/api/collections/smoke/records", token)
        assert resp.status_code == 200, resp.text
        assert [r["id"] for r in resp.json()["items"]] == [record_id]

        _s3_round_trip(served, token, moto_endpoint)

        resp = served.request("GET", "/_/")
        assert resp.status_code == 200, f"/_/ answered {resp.status_code}: {resp.text[:200]}"
        assert resp.headers["Content-Type"].startswith("text/html")
        assert resp.content == (ROOT / "dashboard_static" / "index.html").read_bytes()

        assert served.terminate() == 0, served.output()
        assert "Server started at" in served.output()
    finally:
        served.kill()

    # Restart on the same data dir: what was written is still there. Then a backup restore, by
    # the worker processes (the default) and by a single process (which starts itself again).
    for run, args in enumerate(((), ("--workers", "1")), start=2):
        served = Served(binary, elsewhere, tmp_path / f"serve{run}.log", *args)
        try:
            served.wait_healthy()
            token = served.superuser_token()
            resp = served.request("GET", f"/api/collections/smoke/records/{record_id}", token)
            assert resp.status_code == 200, resp.text
            assert resp.json()["title"] == "hello (hooked)"
            _restore_round_trip(served, token, record_id, f"smoke{run}.zip")
            assert served.terminate() == 0, served.output()
        finally:
            served.kill()


def _s3_round_trip(served: Served, token: str, endpoint: str) -> None:
    """Files on S3 (moto's server) from the binary, which carries botocore's S3 model alone
    (build.spec): an upload lands in the bucket and downloads back; then local storage again."""
    bucket = make_bucket(endpoint, "binary-smoke")
    resp = served.request("PATCH", "/api/settings", token, json={"s3": s3_settings(endpoint, "binary-smoke")})
    assert resp.status_code == 200, resp.text
    resp = served.request("POST", "/api/collections", token,
                          json={"name": "docs", "type": "base", "listRule": "", "viewRule": "", "fields": [{"name": "doc", "type": "file"}]})  # fmt: skip
    assert resp.status_code == 200, resp.text
    resp = served.request("POST", "/api/collections/docs/records", token, files={"doc": ("hello.txt", b"hello from S3")})
    assert resp.status_code == 200, f"{resp.text}\n{served.output()}"
    record = resp.json()
    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket="binary-smoke").get("Contents", [])]
    assert keys == [f"{record['collectionId']}/{record['id']}/{record['doc']}"], keys
    resp = served.request("GET", f"/api/files/docs/{record['id']}/{record['doc']}")
    assert (resp.status_code, resp.content) == (200, b"hello from S3"), resp.text
    assert served.request("PATCH", "/api/settings", token, json={"s3": {"enabled": False}}).status_code == 200


def _restore_round_trip(served: Served, token: str, record_id: str, name: str) -> None:
    """Back up, write one more record, restore: the data is back as it was in the backup."""
    assert served.request("POST", "/api/backups", token, json={"name": name}).status_code == 204
    assert served.request("POST", "/api/collections/smoke/records", token, json={"title": "after"}).status_code == 200
    assert served.request("POST", f"/api/backups/{name}/restore", token).status_code == 204
    deadline = time.monotonic() + 90
    ids: list[str] = []
    while time.monotonic() < deadline:
        try:
            resp = served.request("GET", "/api/collections/smoke/records", served.superuser_token())
            ids = [r["id"] for r in resp.json()["items"]]
            if ids == [record_id]:
                return
        except (requests.RequestException, ValueError, KeyError, AssertionError):
            pass
        time.sleep(0.3)
    pytest.fail(f"the restore did not bring the data back ({ids}):\n{served.output()}")
