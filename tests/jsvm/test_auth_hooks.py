"""The OTP and OAuth2 request hooks from JS: PocketBase's event fields, read and written."""

from __future__ import annotations

import logging

from tests.jsvm.conftest import HooksServerFactory
from tests.mailbox import Mailbox, html_of
from tests.oauth2_provider import OAuth2Provider
from tests.testapp import USER1_EMAIL, USER1_ID

logging.getLogger("werkzeug").setLevel(logging.ERROR)

AUTH_HOOKS = """
onRecordRequestOTPRequest((e) => {
    if (e.record && e.record.email() === "user1@example.com") {
        e.password = "123456";
    }
    e.next();
}, "users");

onRecordAuthWithOTPRequest((e) => {
    if (e.otp.get("recordRef") !== e.record.id || e.collection.name !== "users") {
        throw new BadRequestError("unexpected event");
    }
    e.next();
}, "users");

onRecordAuthWithOAuth2Request((e) => {
    if (e.isNewRecord) {
        e.createData = { name: "js " + e.oauth2User.name + " via " + e.providerName };
    }
    e.next();
}, "users");

onRecordAuthRequest((e) => {
    e.meta = Object.assign({}, e.meta || {}, { method: e.authMethod, hasToken: e.token.length > 0 });
    e.next();
}, "users");
"""


def test_otp_hooks_from_js(hooks_server: HooksServerFactory, mailbox: Mailbox):
    srv = hooks_server({"auth.pb.js": AUTH_HOOKS})
    mailbox.configure(srv)
    srv.request("PATCH", "/api/collections/users", headers={"Authorization": srv.token("superuser")}, json={"otp": {"enabled": True}})
    otp_id = srv.request("POST", "/api/collections/users/request-otp", json={"email": USER1_EMAIL}).json()["otpId"]
    assert "<strong>123456</strong>" in html_of(mailbox.wait_for(1)[0])  # the code the hook chose was mailed
    resp = srv.request("POST", "/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": "123456"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["record"]["id"] == USER1_ID
    assert resp.json()["meta"] == {"method": "otp", "hasToken": True}


def test_oauth2_hook_from_js(hooks_server: HooksServerFactory):
    provider = OAuth2Provider().start()
    try:
        srv = hooks_server({"auth.pb.js": AUTH_HOOKS})
        srv.request("PATCH", "/api/collections/users", headers={"Authorization": srv.token("superuser")},
                    json={"oauth2": {"enabled": True, "providers": [provider.provider_config()]}})
        info = srv.request("GET", "/api/collections/users/auth-methods").json()["oauth2"]["providers"][0]
        code = provider.authorize(info["authURL"], "http://localhost/cb")["code"]
        resp = srv.request("POST", "/api/collections/users/auth-with-oauth2", json={
            "provider": "oidc", "code": code, "codeVerifier": info["codeVerifier"], "redirectURL": "http://localhost/cb",
        })
        assert resp.status_code == 200, resp.text
        assert resp.json()["record"]["name"] == "js Ext User via oidc"
        meta = resp.json()["meta"]
        assert meta["method"] == "oauth2" and meta["isNew"] is True and meta["email"] == "ext@example.com"
    finally:
        provider.stop()
