"""Realtime through the official JS SDK in node: ``realtime_test.mjs`` against a real pybase."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.test_js_sdk import E2E_DIR, _require_node
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server


def test_js_sdk_realtime(tmp_path: Path, fixture_data: Path) -> None:
    node = _require_node()
    srv = start_server(tmp_path, fixture_data)

    def short_idle(e: Any) -> Any:
        e.idle_timeout = 1.0  # NOTE: PocketBase's is 5 minutes; short so the SDK's reconnect is seen
        return e.next()

    srv.app.hooks["onRealtimeConnectRequest"].bind(short_idle, id="test-idle")
    try:
        proc = subprocess.run(
            [node, "realtime_test.mjs", srv.base_url, SUPERUSER_EMAIL, PASSWORD],
            cwd=E2E_DIR, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
    finally:
        srv.stop()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.rstrip().endswith(" passed, 0 failed"), output
