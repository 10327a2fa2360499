"""Sign-in flows through the official JS SDK in node: OAuth2 (code and popup modes) and impersonation
(``oauth2_test.mjs``), OTP and MFA with codes read from real mail (``otp_test.mjs``)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

from tests.api.test_record_auth_otp import code_in
from tests.e2e.test_js_sdk import E2E_DIR, _require_node
from tests.mailbox import Mailbox
from tests.oauth2_provider import OAuth2Provider
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, USER1_EMAIL, start_server

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


def test_js_sdk_otp_and_mfa(tmp_path: Path, fixture_data: Path, mailbox: Mailbox) -> None:
    node = _require_node()
    srv = start_server(tmp_path, fixture_data)
    mailbox.configure(srv)
    output: list[str] = []
    try:
        resp = srv.request("PATCH", "/api/collections/users", headers={"Authorization": srv.token("superuser")},
                           json={"otp": {"enabled": True, "length": 6}})
        assert resp.status_code == 200, resp.text
        proc = subprocess.Popen(
            [node, "otp_test.mjs", srv.base_url, USER1_EMAIL, PASSWORD],
            cwd=E2E_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.startswith("OTP "):
                message = _next_mail(mailbox)
                proc.stdin.write(code_in(message) + "\n")
                proc.stdin.flush()
        assert proc.wait(timeout=120) == 0, "".join(output)
    finally:
        srv.stop()
    assert "".join(output).rstrip().endswith(" passed, 0 failed"), "".join(output)


def _next_mail(mailbox: Mailbox) -> Any:
    seen = getattr(mailbox, "read", 0)
    message = mailbox.wait_for(seen + 1)[seen]
    mailbox.read = seen + 1
    return message
