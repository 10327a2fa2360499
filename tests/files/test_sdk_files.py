"""The official JS SDK's files support (``tests/e2e/sdk_files.mjs``), on local storage and S3."""

from __future__ import annotations

import subprocess

from tests.e2e.test_js_sdk import E2E_DIR, _require_node
from tests.files.conftest import FilesEnv
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, USER1_EMAIL


def test_js_sdk_files(env: FilesEnv) -> None:
    node = _require_node()
    proc = subprocess.run(
        [node, "sdk_files.mjs", env.server.base_url, SUPERUSER_EMAIL, USER1_EMAIL, PASSWORD],
        cwd=E2E_DIR, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.rstrip().endswith(" passed, 0 failed"), output
    assert env.keys(f"{env.server.app.find_collection('docs').id}/") != []  # the plain-object record's files stay
