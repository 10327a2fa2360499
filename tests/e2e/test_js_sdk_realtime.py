"""Realtime through the official JS SDK in node: ``realtime_test.mjs`` against a real pybase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.test_js_sdk import _require_node, run_node_checks
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server


def test_js_sdk_realtime(tmp_path: Path, fixture_data: Path) -> None:
    _require_node()
    srv = start_server(tmp_path, fixture_data)

    def short_idle(e: Any) -> Any:
        e.idle_timeout = 3.0  # NOTE: PocketBase's is 5 minutes; short so the SDK's reconnect is seen
        return e.next()

    srv.app.hooks["onRealtimeConnectRequest"].bind(short_idle, id="test-idle")
    try:
        run_node_checks("realtime_test.mjs", srv.base_url, SUPERUSER_EMAIL, PASSWORD)
    finally:
        srv.stop()
