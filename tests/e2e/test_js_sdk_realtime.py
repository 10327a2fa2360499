"""Realtime through the official JS SDK in node: ``realtime_test.mjs`` against a real pybase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_js_sdk import _require_node, run_node_checks
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server

pytestmark = pytest.mark.both_backends


def test_js_sdk_realtime(tmp_path: Path, fixture_data: Path, backend: str, databases: Any) -> None:
    _require_node()
    template, url = fixture_data, ""
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    srv = start_server(tmp_path, template, url)

    def short_idle(e: Any) -> Any:
        e.idle_timeout = 3.0  # NOTE: PocketBase's is 5 minutes; short so the SDK's reconnect is seen
        return e.next()

    srv.app.hooks["onRealtimeConnectRequest"].bind(short_idle, id="test-idle")
    try:
        run_node_checks("realtime_test.mjs", srv.base_url, SUPERUSER_EMAIL, PASSWORD)
    finally:
        srv.stop()
        databases.drop(url)
