"""The email flows through the official JS SDK in node (``email_flows_test.mjs``), with the
tokens read from the mail a real SMTP server (aiosmtpd on loopback) received."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.test_js_sdk import E2E_DIR, _require_node
from tests.mailbox import Mailbox, token_in
from tests.testapp import PASSWORD, start_server

EMAIL = "sdk-user@example.com"


def test_js_sdk_email_flows(tmp_path: Path, fixture_data: Path, mailbox: Mailbox) -> None:
    node = _require_node()
    srv = start_server(tmp_path, fixture_data)
    mailbox.configure(srv)
    user = srv.app.new_record("users", {"email": EMAIL})
    user.set_password_plain("password", PASSWORD)
    srv.app.save(user)
    output: list[str] = []
    read = 0
    try:
        proc = subprocess.Popen(
            [node, "email_flows_test.mjs", srv.base_url, EMAIL, PASSWORD],
            cwd=E2E_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.startswith("MAIL "):
                message = mailbox.wait_for(read + 1)[read]
                read += 1
                assert message["To"] == line.split()[1], message["To"]
                proc.stdin.write(token_in(message) + "\n")
                proc.stdin.flush()
        assert proc.wait(timeout=120) == 0, "".join(output)
    finally:
        srv.stop()
    assert "".join(output).rstrip().endswith(" passed, 0 failed"), "".join(output)
