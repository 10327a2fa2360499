"""Mail (issue 12): ``POST /api/settings/test/email`` through a real SMTP server on loopback,
the mailer hooks, SMTP auth, and background sending that a stalled server cannot block."""

from __future__ import annotations

from typing import Any

import pytest

from pybase.core.mail import Address, Message, mail_queue, new_mail_client, send_in_background
from pybase.core.mail import clients as mail_clients
from tests import testapp
from tests.mailbox import Mailbox, html_of, text_of, token_in
from tests.scenarios import Scenario, run

TEST_EMAIL = "/api/settings/test/email"
SU = {"Authorization": "SUPERUSER"}
FAILED = '"message":"Failed to send the test email."'

# template -> (subject, a fragment of the body)
TEMPLATES = {
    "verification": ("Verify your Acme email", "http://acme.test/_/#/auth/confirm-verification/eyJ"),
    "password-reset": ("Reset your Acme password", "http://acme.test/_/#/auth/confirm-password-reset/eyJ"),
    "email-change": ("Confirm your Acme new email address", "http://acme.test/_/#/auth/confirm-email-change/eyJ"),
    "otp": ("OTP for Acme", "<strong>123456</strong>"),
    "login-alert": ("Login from a new location", "TEST_IP TEST_USER_AGENT"),
}


def _su(server: testapp.TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


@pytest.mark.parametrize("template", list(TEMPLATES))
@pytest.mark.parametrize("collection", ["", "users"])
def test_test_email_sends_each_template(server: testapp.TestServer, mailbox: Mailbox, template: str, collection: str) -> None:
    mailbox.configure(server)
    body = {"email": "someone@example.com", "template": template, **({"collection": collection} if collection else {})}
    resp = server.request("POST", TEST_EMAIL, json=body, headers=_su(server))
    assert resp.status_code == 204, resp.text
    (message,) = mailbox.wait_for(1)
    subject, fragment = TEMPLATES[template]
    assert message["Subject"] == subject
    assert message["From"] == "Acme Support <support@acme.test>"
    assert message["To"] == "someone@example.com"
    assert message["Message-ID"].endswith("@acme.test>")
    assert fragment in html_of(message)
    assert "{APP_NAME}" not in html_of(message) and "Acme" in text_of(message)
    assert mailbox.envelopes[0] == ("support@acme.test", ["someone@example.com"])


def test_test_email_tokens_are_of_their_type(server: testapp.TestServer, mailbox: Mailbox) -> None:
    import jwt

    mailbox.configure(server)
    for template in ("verification", "password-reset", "email-change"):
        resp = server.request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": template, "collection": "users"}, headers=_su(server))
        assert resp.status_code == 204, resp.text
    claims = [jwt.decode(token_in(m), options={"verify_signature": False}) for m in mailbox.wait_for(3)]
    assert sorted(c["type"] for c in claims) == ["emailChange", "passwordReset", "verification"]
    change = next(c for c in claims if c["type"] == "emailChange")
    assert change["newEmail"] == "a@example.com" and change["email"] == "a@example.com"


BAD_INPUT = [
    Scenario("test email as a guest", "POST", TEST_EMAIL, body={"email": "a@example.com", "template": "otp"}, expected_status=401),
    Scenario("test email as a user", "POST", TEST_EMAIL, body={"email": "a@example.com", "template": "otp"},
             headers={"Authorization": "USER1"}, expected_status=403),
    Scenario("test email with a malformed body", "POST", TEST_EMAIL, body="{", headers={**SU, "Content-Type": "application/json"},
             expected_status=400),
    Scenario("test email with nothing", "POST", TEST_EMAIL, body={}, headers=SU, expected_status=400,
             expected_content=[FAILED, '"email":{"code":"validation_required"', '"template":{"code":"validation_required"']),
    Scenario("test email with an unknown template", "POST", TEST_EMAIL, body={"email": "a@example.com", "template": "nope"},
             headers=SU, expected_status=400, expected_content=['"template":{"code":"validation_in_invalid","message":"Must be a valid value."}']),
    Scenario("test email with a base collection", "POST", TEST_EMAIL, body={"email": "a@example.com", "template": "otp", "collection": "posts"},
             headers=SU, expected_status=400,
             expected_content=['"collection":{"code":"validation_invalid_auth_collection","message":"Must be a valid auth collection id or name."}']),
    Scenario("test email with a malformed email", "POST", TEST_EMAIL, body={"email": "nope", "template": "otp"}, headers=SU,
             expected_status=400, expected_content=['"email":{"code":"validation_is_email"']),
]  # fmt: skip


@pytest.mark.parametrize("scenario", BAD_INPUT, ids=str)
def test_test_email_bad_input(server: testapp.TestServer, scenario: Scenario) -> None:
    run(server, scenario)


def test_test_email_reports_an_unreachable_smtp_server(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    mailbox.stop()  # nothing listens on that port any more
    resp = server.request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": "otp"}, headers=_su(server))
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("Failed to send the test email. Raw error: \n")


def test_test_email_without_smtp_or_sendmail(server: testapp.TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """As PocketBase (checked on 0.40.6) when SMTP is off and no sendmail is installed."""
    # NOTE: whatever this machine has installed: pybase looks in no place that exists.
    monkeypatch.setattr(mail_clients, "_SENDMAIL_PATHS", ("/nonexistent/sendmail",))
    resp = server.request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": "verification"}, headers=_su(server))
    assert resp.status_code == 400
    assert resp.json() == {"data": {}, "message": "Failed to send the test email. Raw error: \nfailed to locate a sendmail executable path.",
                           "status": 400}  # fmt: skip


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("method", ["PLAIN", "LOGIN"])
def test_smtp_auth_methods(server: testapp.TestServer, method: str) -> None:
    box = Mailbox(login=("mailer", "s3cret"))
    try:
        box.configure(server)
        settings = server.app.settings()
        settings["smtp"] = {**settings["smtp"], "username": "mailer", "password": "s3cret", "authMethod": method}
        server.app.save_settings(settings)
        resp = server.request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": "otp"}, headers=_su(server))
        assert resp.status_code == 204, resp.text
        box.wait_for(1)
        assert box.logins == [(method, "mailer")]
    finally:
        box.stop()


def test_mailer_hooks_can_change_the_message(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    seen: dict[str, Any] = {}

    def record_hook(e: Any) -> Any:
        seen["record"] = e.record.collection.name
        seen["meta"] = dict(e.meta)
        e.message.subject = "[record hook] " + e.message.subject
        return e.next()

    def send_hook(e: Any) -> Any:
        e.message.subject += " [send hook]"
        e.message.bcc.append(Address("audit@acme.test"))
        return e.next()

    server.app.hooks["onMailerRecordVerificationSend"].bind(record_hook, tags=["users"])
    server.app.hooks["onMailerSend"].bind(send_hook)
    for collection in ("users", "_superusers"):
        body = {"email": "a@example.com", "template": "verification", "collection": collection}
        assert server.request("POST", TEST_EMAIL, json=body, headers=_su(server)).status_code == 204
    first, second = mailbox.wait_for(2)
    assert first["Subject"] == "[record hook] Verify your Acme email [send hook]"
    # the record hook is tagged "users": not fired for the superusers' mail
    assert second["Subject"] == "Verify your Acme email [send hook]"
    assert "Bcc" not in first and mailbox.envelopes[0][1] == ["a@example.com", "audit@acme.test"]
    assert seen["record"] == "users" and set(seen["meta"]) == {"token"}


def test_a_hook_error_stops_the_mail(server: testapp.TestServer, mailbox: Mailbox) -> None:
    from pybase.core.errors import BadRequestError

    mailbox.configure(server)

    def refuse(e: Any) -> Any:
        raise BadRequestError("no mail today")

    server.app.hooks["onMailerSend"].bind(refuse)
    resp = server.request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": "otp"}, headers=_su(server))
    assert resp.status_code == 400
    assert not mailbox.messages


def test_a_stalled_smtp_server_does_not_block_the_api(server: testapp.TestServer, mailbox: Mailbox) -> None:
    """Mails sent in the background wait for the server; requests go on meanwhile."""
    mailbox.configure(server)
    mailbox.hold()
    message = Message(sender=Address("support@acme.test"), to=[Address("b@example.com")], subject="held", html="<p>hi</p>")
    for _ in range(3):
        assert send_in_background(server.app, "a test mail", lambda: new_mail_client(server.app).send(message))
    for _ in range(5):
        assert server.request("GET", "/api/health").status_code == 200
    assert server.request("GET", "/api/collections/posts/records").status_code == 200
    assert not mailbox.messages
    mailbox.release()
    assert len(mailbox.wait_for(3)) == 3
    assert mail_queue(server.app).wait_idle(60)


def test_message_mime_parts() -> None:
    message = Message(sender=Address("s@acme.test", "Säm"), to=[Address("t@example.com", "Tom")], subject="Grüße",
                      html='<p>Hello <a href="http://x.test/a">there</a></p><p>Bye &amp; thanks</p>')  # fmt: skip
    mime = message.to_mime()
    assert mime["Subject"] == "Grüße"
    assert str(mime.get_body(("plain",)).get_content()).strip() == "Hello there (http://x.test/a)\n\nBye & thanks"
    assert "Hello <a href" in mime.get_body(("html",)).get_content()


def test_sendmail_fallback_without_smtp(server: testapp.TestServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """SMTP off: the message goes to a ``sendmail`` program (here a script on PATH that keeps it)."""
    # NOTE: only PATH is searched, so a sendmail this machine has in /usr/sbin is not the one used.
    monkeypatch.setattr(mail_clients, "_SENDMAIL_PATHS", ("sendmail",))
    import email
    import email.policy
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "sent.eml"
    script = bin_dir / "sendmail"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "args"}\ncat > {out}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    body = {"email": "someone@example.com", "template": "password-reset"}
    resp = server.request("POST", TEST_EMAIL, json=body, headers=_su(server))
    assert resp.status_code == 204, resp.text
    message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    # NOTE: "Acme" is PocketBase's default app name
    assert message["To"] == "someone@example.com" and message["Subject"] == "Reset your Acme password"
    assert "confirm-password-reset/eyJ" in html_of(message)  # type: ignore[arg-type]
    assert (tmp_path / "args").read_text().split() == ["-i", "--", "someone@example.com"]


def test_record_placeholders_are_escaped_as_pocketbase(server: testapp.TestServer, mailbox: Mailbox) -> None:
    """``{RECORD:*}`` values are HTML-escaped as Go's html.EscapeString (``'`` -> ``&#39;``)."""
    mailbox.configure(server)
    template = {"subject": "Hi {RECORD:name}", "body": "<p>{RECORD:name} / {RECORD:verified}</p>"}
    resp = server.request("PATCH", "/api/collections/users", json={"verificationTemplate": template}, headers=_su(server))
    assert resp.status_code == 200, resp.text
    col = server.app.find_collection("users")
    record = server.app.new_record(col, {"email": "o@example.com", "name": "O'Neil <b>"})
    from pybase.core.mail.record_mails import send_record_verification

    send_record_verification(server.app, record)
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Hi O&#39;Neil &lt;b&gt;"
    assert "<p>O&#39;Neil &lt;b&gt; / false</p>" in html_of(message)
