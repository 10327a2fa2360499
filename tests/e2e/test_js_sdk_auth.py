"""OAuth2 (code and popup modes), impersonation through the official JS SDK in node: ``oauth2_test.mjs``."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from tests.e2e.test_js_sdk import E2E_DIR, _require_node
from tests.oauth2_provider import OAuth2Provider
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, start_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)


def test_js_sdk_oauth2(tmp_path: Path, fixture_data: Path) -> None:
    node = _require_node()
    provider = OAuth2Provider().start()
    srv = start_server(tmp_path, fixture_data)
    try:
        resp = srv.request(
            "PATCH", "/api/collections/users", headers={"Authorization": srv.token("superuser")},
            json={"oauth2": {"enabled": True, "providers": [provider.provider_config()]}},
        )
        assert resp.status_code == 200, resp.text
        proc = subprocess.run(
            [node, "oauth2_test.mjs", srv.base_url, SUPERUSER_EMAIL, PASSWORD],
            cwd=E2E_DIR, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
    finally:
        srv.stop()
        provider.stop()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.rstrip().endswith(" passed, 0 failed"), output
