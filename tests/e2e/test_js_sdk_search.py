"""Full-text search (pybase.core.record_search) through the official JS SDK: ``sdk_search.mjs``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_js_sdk import _require_node, run_node_checks
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server


@pytest.mark.both_backends
def test_js_sdk_search(tmp_path: Path, backend: str, databases: Any) -> None:
    _require_node()
    url = databases.new(backend)
    srv = start_server(tmp_path, None, url)
    try:
        su = srv.app.new_record("_superusers", {"email": SUPERUSER_EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        run_node_checks("sdk_search.mjs", srv.base_url, SUPERUSER_EMAIL, PASSWORD)
    finally:
        srv.stop()
        databases.drop(url)
