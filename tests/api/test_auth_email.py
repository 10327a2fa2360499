"""The email flows end to end over HTTP (issue 12): the test reads each mail its SMTP server
received (aiosmtpd on loopback) and follows the token inside.

Bad input with PocketBase's exact answers is compared against the real binary by
``tests/conformance/cases_auth_email.py``; here are the flows and what only pybase can show
(older tokens dying, hooks, mail off the request path).
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from pybase.core.auth import TOKEN_PASSWORD_RESET, TOKEN_VERIFICATION, signing_key
from pybase.core.mail import mail_queue
from tests import testapp
from tests.mailbox import Mailbox, html_of, token_in
from tests.testapp import PASSWORD, USER1_EMAIL, USER1_ID

pytestmark = pytest.mark.both_backends

USERS = "/api/collections/users"
NEW_PASSWORD = "a-new-password-1"
INVALID_TOKEN = {"token": {"code": "validation_invalid_token", "message": "Invalid or expired token."}}


def _post(server: testapp.TestServer, action: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": token} if token else {}
    return server.request("POST", f"{USERS}/{action}", json=body, headers=headers)


def _sign_in(server: testapp.TestServer, email: str = USER1_EMAIL, password: str = PASSWORD) -> Any:
    return server.request("POST", f"{USERS}/auth-with-password", json={"identity": email, "password": password})


def _new_user(server: testapp.TestServer, email: str, verified: bool = False) -> str:
    record = server.app.new_record("users", {"email": email, "verified": verified})
    record.set_password_plain("password", PASSWORD)
    server.app.save(record)
    return record.id


def _user(server: testapp.TestServer, record_id: str = USER1_ID) -> Any:
    return server.app.find_record_by_id("users", record_id)


def _settle(server: testapp.TestServer) -> None:
    assert mail_queue(server.app).wait_idle(60)


def test_verification_flow(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    uid = _new_user(server, "new@example.com")
    assert _post(server, "request-verification", {"email": "new@example.com"}).status_code == 204
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "new@example.com" and message["Subject"] == "Verify your Acme email"
    token = token_in(message)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["type"] == "verification" and claims["email"] == "new@example.com" and claims["id"] == uid
    # the duration comes from the collection options
    duration = _user(server, uid).collection.token_option("verificationToken")["duration"]
    assert abs(claims["exp"] - time.time() - duration) < 120
    assert _post(server, "confirm-verification", {"token": token}).status_code == 204
    assert _user(server, uid).get("verified") is True
    # again: nothing left to do, still 204 (as PocketBase)
    assert _post(server, "confirm-verification", {"token": token}).status_code == 204
    # a verified record gets no more verification mails
    assert _post(server, "request-verification", {"email": "new@example.com"}).status_code == 204
    _settle(server)
    assert len(mailbox.messages) == 1


def test_unknown_and_repeated_requests_send_nothing_more(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    _new_user(server, "new@example.com")
    for email in ("nobody@example.com", "new@example.com", "new@example.com"):
        assert _post(server, "request-verification", {"email": email}).status_code == 204
        assert _post(server, "request-password-reset", {"email": email}).status_code == 204
    _settle(server)
    # one of each for the known email; a repeat within 2 minutes sends nothing (as PocketBase)
    assert sorted(m["Subject"] for m in mailbox.messages) == ["Reset your Acme password", "Verify your Acme email"]


def test_password_reset_flow_kills_every_older_token(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    old_token = _sign_in(server).json()["token"]
    assert _post(server, "request-password-reset", {"email": USER1_EMAIL}).status_code == 204
    (message,) = mailbox.wait_for(1)
    token = token_in(message)
    assert jwt.decode(token, options={"verify_signature": False})["type"] == "passwordReset"
    resp = _post(server, "confirm-password-reset", {"token": token, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD})
    assert resp.status_code == 204, resp.text
    assert _sign_in(server, password=PASSWORD).status_code == 400
    assert _sign_in(server, password=NEW_PASSWORD).status_code == 200
    # the tokenKey changed: the old session and the reset token itself are dead
    assert server.request("POST", f"{USERS}/auth-refresh", headers={"Authorization": old_token}).status_code == 401
    again = _post(server, "confirm-password-reset", {"token": token, "password": "x-another-one", "passwordConfirm": "x-another-one"})
    assert again.status_code == 400 and again.json()["data"] == INVALID_TOKEN


def test_password_reset_verifies_the_address(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    uid = _new_user(server, "unverified@example.com")
    _post(server, "request-password-reset", {"email": "unverified@example.com"})
    token = token_in(mailbox.wait_for(1)[0])
    assert _post(server, "confirm-password-reset", {"token": token, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}).status_code == 204
    assert _user(server, uid).get("verified") is True


def test_email_change_flow(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    old_token = _sign_in(server).json()["token"]
    assert _post(server, "request-email-change", {"newEmail": "changed@example.com"}, old_token).status_code == 204
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "changed@example.com"
    token = token_in(message)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["type"], claims["email"], claims["newEmail"]) == ("emailChange", USER1_EMAIL, "changed@example.com")
    wrong = _post(server, "confirm-email-change", {"token": token, "password": "not-the-password"})
    assert wrong.status_code == 400
    assert wrong.json()["data"] == {"password": {"code": "validation_invalid_password", "message": "Missing or invalid auth record password."}}
    assert _post(server, "confirm-email-change", {"token": token, "password": PASSWORD}).status_code == 204
    record = _user(server)
    assert record.email == "changed@example.com" and record.get("verified") is True
    assert server.request("POST", f"{USERS}/auth-refresh", headers={"Authorization": old_token}).status_code == 401
    assert _post(server, "confirm-email-change", {"token": token, "password": PASSWORD}).status_code == 400
    assert _sign_in(server, "changed@example.com").status_code == 200


def test_request_email_change_needs_the_collections_own_user(server: testapp.TestServer) -> None:
    resp = _post(server, "request-email-change", {"newEmail": "x@example.com"})
    assert (resp.status_code, resp.json()["message"]) == (401, "The request requires valid record authorization token.")
    resp = _post(server, "request-email-change", {"newEmail": "x@example.com"}, server.token("superuser"))
    assert (resp.status_code, resp.json()["message"]) == (403, "The request requires auth record from _superusers collection.")


def _signed(record: Any, token_type: str, **claims: Any) -> str:
    base = {"id": record.id, "collectionId": record.collection.id, "type": token_type, "email": record.email,
            "exp": int(time.time()) + 600}  # fmt: skip
    return jwt.encode({**base, **claims}, signing_key(record, token_type), algorithm="HS256")


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("expired", lambda r: _signed(r, TOKEN_PASSWORD_RESET, exp=int(time.time()) - 1)),
        ("forged", lambda r: jwt.encode({"id": r.id, "collectionId": r.collection.id, "type": "passwordReset", "exp": int(time.time()) + 600},
                                        "guessed-secret", algorithm="HS256")),
        ("wrong type", lambda r: _signed(r, TOKEN_VERIFICATION)),
        ("an auth token", lambda r: _signed(r, "auth")),
        ("alg none", lambda r: jwt.encode({"id": r.id, "collectionId": r.collection.id, "type": "passwordReset"}, None, algorithm="none")),
        ("unknown record", lambda r: _signed(r, TOKEN_PASSWORD_RESET, id="nobody000000000")),
    ],
)  # fmt: skip
def test_bad_reset_tokens(server: testapp.TestServer, label: str, make: Any) -> None:
    token = make(_user(server))
    resp = _post(server, "confirm-password-reset", {"token": token, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD})
    assert resp.status_code == 400, label
    assert resp.json() == {"data": INVALID_TOKEN, "message": "An error occurred while validating the submitted data.", "status": 400}
    assert _user(server).validate_password(PASSWORD)


def test_request_hooks_see_the_record_and_can_stop_the_mail(server: testapp.TestServer, mailbox: Mailbox) -> None:
    from pybase.core.errors import BadRequestError

    mailbox.configure(server)
    seen: list[tuple[str, Any, Any]] = []

    def watch(name: str):
        def handler(e: Any) -> Any:
            seen.append((name, e.record.id if e.record else None, getattr(e, "new_email", None)))
            return e.next()

        return handler

    for name in ("onRecordRequestPasswordResetRequest", "onRecordRequestEmailChangeRequest", "onRecordRequestVerificationRequest"):
        server.app.hooks[name].bind(watch(name), tags=["users"])

    def refuse(e: Any) -> Any:
        raise BadRequestError("Not now.")

    server.app.hooks["onRecordRequestVerificationRequest"].bind(refuse)
    uid = _new_user(server, "new@example.com")
    assert _post(server, "request-password-reset", {"email": USER1_EMAIL}).status_code == 204
    token = _sign_in(server).json()["token"]
    assert _post(server, "request-email-change", {"newEmail": "n@example.com"}, token).status_code == 204
    resp = _post(server, "request-verification", {"email": "new@example.com"})
    assert (resp.status_code, resp.json()["message"]) == (400, "Not now.")
    _settle(server)
    assert seen == [("onRecordRequestPasswordResetRequest", USER1_ID, None), ("onRecordRequestEmailChangeRequest", USER1_ID, "n@example.com"),
                    ("onRecordRequestVerificationRequest", uid, None)]  # fmt: skip
    assert len(mailbox.messages) == 2


def test_a_stalled_smtp_server_does_not_hold_the_answer(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    mailbox.hold()
    assert _post(server, "request-password-reset", {"email": USER1_EMAIL}).status_code == 204
    assert _post(server, "request-verification", {"email": "nobody@example.com"}).status_code == 204
    assert not mailbox.messages
    mailbox.release()
    assert "confirm-password-reset" in html_of(mailbox.wait_for(1)[0])


def test_only_verified_users_sign_in_through_the_auth_rule(server: testapp.TestServer, mailbox: Mailbox) -> None:
    """PocketBase's "onlyVerified": an authRule reading ``verified``, passed once the mailed link is followed."""
    mailbox.configure(server)
    resp = server.request("PATCH", USERS, json={"authRule": "verified = true"}, headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 200, resp.text
    _new_user(server, "fresh@example.com")
    refused = _sign_in(server, "fresh@example.com")
    assert (refused.status_code, refused.json()["message"]) == (403, "The request doesn't satisfy the collection requirements to authenticate.")
    seen: list[str] = []

    def confirm_hook(e: Any) -> Any:
        seen.append(e.record.email)
        return e.next()

    server.app.hooks["onRecordConfirmVerificationRequest"].bind(confirm_hook)
    assert _post(server, "request-verification", {"email": "fresh@example.com"}).status_code == 204
    assert _post(server, "confirm-verification", {"token": token_in(mailbox.wait_for(1)[0])}).status_code == 204
    assert seen == ["fresh@example.com"]
    assert _sign_in(server, "fresh@example.com").status_code == 200
