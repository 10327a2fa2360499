"""The OTP, OAuth2 and auth request hooks in Python: PocketBase's event fields, read and changed."""

from __future__ import annotations

import logging

import pytest

from pybase.tools.oauth2 import AuthUser
from tests.api.test_record_auth_oauth2 import enable_oauth2, provider, sign_in  # noqa: F401 - fixture
from tests.api.test_record_auth_otp import enable_otp, request_code
from tests.testapp import USER1_EMAIL, USER1_ID

pytestmark = pytest.mark.both_backends

logging.getLogger("werkzeug").setLevel(logging.ERROR)


def test_otp_hooks_see_pocketbase_fields(server, mailbox):  # noqa: F811
    seen: dict = {}

    def on_request(e):
        seen["request"] = (e.collection.name, e.record.id, e.password)
        return e.next()

    def on_auth(e):
        seen["auth"] = (e.otp.get("recordRef"), e.record.id, e.collection.name)
        return e.next()

    def on_record_auth(e):
        seen["record_auth"] = (e.auth_method, bool(e.token), e.record.id)
        e.meta = {"from": "python"}
        return e.next()

    server.app.on_record_request_otp_request.bind(on_request, tags=["users"])
    server.app.on_record_auth_with_otp_request.bind(on_auth, tags=["users"])
    server.app.on_record_auth_request.bind(on_record_auth, tags=["users"])
    enable_otp(server)
    otp_id, code = request_code(server, mailbox)
    assert seen["request"] == ("users", USER1_ID, code)
    resp = server.request("POST", "/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert resp.status_code == 200, resp.text
    assert seen["auth"] == (USER1_ID, USER1_ID, "users")
    assert seen["record_auth"] == ("otp", True, USER1_ID)
    assert resp.json()["meta"] == {"from": "python"}


def test_oauth2_hook_sees_pocketbase_fields_and_can_pick_the_record(server, provider):  # noqa: F811
    seen: dict = {}

    def on_oauth2(e):
        seen.update(provider=e.provider_name, user=e.oauth2_user, new=e.is_new_record, client=e.provider_client)
        # a hook may sign the account in as an existing user
        e.record = e.app.find_record_by_id("users", USER1_ID)
        e.is_new_record = False
        return e.next()

    server.app.on_record_auth_with_oauth2_request.bind(on_oauth2)
    enable_oauth2(server, provider, pkce=False)
    resp = sign_in(server, provider)
    assert resp.status_code == 200, resp.text
    assert seen["provider"] == "oidc" and seen["new"] is True
    assert isinstance(seen["user"], AuthUser) and seen["user"].email == "ext@example.com"
    assert seen["client"].token_url.endswith("/token")
    assert resp.json()["record"]["id"] == USER1_ID and resp.json()["record"]["email"] == USER1_EMAIL
    assert "code_verifier" not in provider.token_requests[-1]  # PKCE turned off for this provider
