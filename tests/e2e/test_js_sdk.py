"""The official PocketBase JS SDK (npm ``pocketbase``) against a real pybase: ``sdk_test.mjs``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.needed import missing
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server

E2E_DIR = Path(__file__).resolve().parent
SDK_INSTALLED = (E2E_DIR / "node_modules" / "pocketbase" / "package.json").is_file()
NODE = shutil.which("node")


def _require_node() -> str:
    # NOTE: scripts/test.sh installs node_modules; in CI a missing SDK is a failure, not a skip.
    reason = None
    if NODE is None:
        reason = "node is not installed"
    elif not SDK_INSTALLED:
        reason = "the pocketbase SDK is not installed (run scripts/test.sh or `npm ci` in tests/e2e)"
    if reason is None:
        assert NODE is not None
        return NODE
    missing(reason)


def run_node_checks(script: str, *args: str) -> str:
    """Run a node script of checks in tests/e2e; it must end with "N passed, 0 failed"."""
    node = _require_node()
    proc = subprocess.run(
        [node, script, *args], cwd=E2E_DIR, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.rstrip().endswith(" passed, 0 failed"), output
    return output


def run_on_new_app(script: str, tmp_path: Path, backend: str, databases: Any) -> None:
    """Run the checks of ``script`` (:func:`run_node_checks`) against a pybase on a new, empty
    database of ``backend`` holding one superuser (SUPERUSER_EMAIL / PASSWORD)."""
    _require_node()
    url = databases.new(backend)
    srv = start_server(tmp_path, None, url)
    try:
        su = srv.app.new_record("_superusers", {"email": SUPERUSER_EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        run_node_checks(script, srv.base_url, SUPERUSER_EMAIL, PASSWORD)
    finally:
        srv.stop()
        databases.drop(url)


@pytest.mark.both_backends
def test_js_sdk(tmp_path: Path, backend: str, databases: Any) -> None:
    run_on_new_app("sdk_test.mjs", tmp_path, backend, databases)
