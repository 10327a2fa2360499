"""MFA: the first method answers 401 {mfaId}, a second different one completes the sign-in (as PocketBase 0.40.6)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.test_record_auth_otp import AUTH_URL as OTP_URL
from tests.api.test_record_auth_otp import request_code
from tests.testapp import PASSWORD, USER1_EMAIL, USER1_ID, USER2_EMAIL

pytestmark = pytest.mark.both_backends

PASSWORD_URL = "/api/collections/users/auth-with-password"


def enable_mfa(server, rule: str = ""):
    resp = server.request(
        "PATCH", "/api/collections/users", headers={"Authorization": server.token("superuser")},
        json={"otp": {"enabled": True}, "mfa": {"enabled": True, "duration": 300, "rule": rule}},
    )
    assert resp.status_code == 200, resp.text


def password_sign_in(server, email: str = USER1_EMAIL, **extra):
    return server.request("POST", PASSWORD_URL, json={"identity": email, "password": PASSWORD, **extra})


def mfas(server) -> list[dict]:
    with server.app.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM _mfas"))]


def test_password_then_otp_completes_the_sign_in(server, mailbox):
    enable_mfa(server)
    server.events.clear()
    first = password_sign_in(server)
    assert first.status_code == 401
    assert list(first.json()) == ["mfaId"] and len(first.json()["mfaId"]) == 15
    assert server.events["onRecordAuthWithPasswordRequest"] == 1 and server.events["onRecordAuthRequest"] == 1
    (row,) = mfas(server)
    assert row["id"] == first.json()["mfaId"] and row["method"] == "password" and row["recordRef"] == USER1_ID
    otp_id, code = request_code(server, mailbox)
    done = server.request("POST", OTP_URL, json={"otpId": otp_id, "password": code, "mfaId": first.json()["mfaId"]})
    assert done.status_code == 200, done.text
    assert done.json()["record"]["id"] == USER1_ID and done.json()["token"]
    assert mfas(server) == []
    # the session is gone: presenting it again fails
    again = password_sign_in(server, mfaId=first.json()["mfaId"])
    assert again.status_code == 400 and again.json()["message"] == "Invalid or expired MFA session."


def test_mfa_id_in_the_query_string_and_otp_first(server, mailbox):
    enable_mfa(server)
    otp_id, code = request_code(server, mailbox)
    first = server.request("POST", OTP_URL, json={"otpId": otp_id, "password": code})
    assert first.status_code == 401 and mfas(server)[0]["method"] == "otp"
    done = server.request("POST", PASSWORD_URL + "?mfaId=" + first.json()["mfaId"], json={"identity": USER1_EMAIL, "password": PASSWORD})
    assert done.status_code == 200, done.text


def test_bad_mfa_sessions(server, mailbox):
    enable_mfa(server)
    mfa_id = password_sign_in(server).json()["mfaId"]
    same = password_sign_in(server, mfaId=mfa_id)
    assert same.status_code == 400
    assert same.json() == {"data": {}, "message": "A different authentication method is required.", "status": 400}
    unknown = password_sign_in(server, mfaId="nope")
    assert unknown.status_code == 400 and unknown.json()["message"] == "Invalid or expired MFA session."
    other = password_sign_in(server, USER2_EMAIL).json()["mfaId"]
    otp_id, code = request_code(server, mailbox)
    foreign = server.request("POST", OTP_URL, json={"otpId": otp_id, "password": code, "mfaId": other})
    assert foreign.status_code == 400 and foreign.json()["message"] == "Invalid MFA session."
    wrong_type = password_sign_in(server, mfaId=5)
    assert wrong_type.status_code == 400 and wrong_type.json()["message"] == "Failed to read MFA Id."
    with server.app.db.write() as conn:
        conn.execute(text("UPDATE _mfas SET created = '2020-01-01 00:00:00.000Z'"))
    otp_id, code = request_code(server, mailbox)
    expired = server.request("POST", OTP_URL, json={"otpId": otp_id, "password": code, "mfaId": mfa_id})
    assert expired.status_code == 400 and expired.json()["message"] == "Invalid or expired MFA session."
    assert mfa_id not in [row["id"] for row in mfas(server)]  # an expired session is deleted


def test_mfa_rule_picks_who_needs_a_second_method(server, mailbox):
    enable_mfa(server, rule="email = 'user2@example.com'")
    assert password_sign_in(server).status_code == 200
    assert password_sign_in(server, USER2_EMAIL).status_code == 401


def test_refresh_and_impersonation_skip_mfa(server, mailbox):
    enable_mfa(server)
    refreshed = server.request("POST", "/api/collections/users/auth-refresh", headers={"Authorization": server.token("user1")})
    assert refreshed.status_code == 200
    impersonated = server.request("POST", f"/api/collections/users/impersonate/{USER1_ID}", headers={"Authorization": server.token("superuser")})
    assert impersonated.status_code == 200 and mfas(server) == []
