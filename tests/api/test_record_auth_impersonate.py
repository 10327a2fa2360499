"""impersonate/{id} and the auth-methods listing of OTP, MFA and OAuth2 (probed on PocketBase 0.40.6)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import orjson
import pytest

from pybase.tools.oauth2.base import s256_challenge
from tests.scenarios import Scenario, run
from tests.testapp import USER1_ID

pytestmark = pytest.mark.both_backends

URL = f"/api/collections/users/impersonate/{USER1_ID}"
LOAD = '"message":"An error occurred while loading the submitted data."'
EVENTS = {"onRecordAuthRequest": 1, "*": 0}

SCENARIOS = [
    Scenario("no auth", "POST", URL, expected_status=401,
             expected_content=['"message":"The request requires valid record authorization token."'], expected_events={"*": 0}),
    Scenario("a user cannot impersonate", "POST", URL, headers={"Authorization": "USER1"}, expected_status=403,
             expected_content=['"message":"The authorized record is not allowed to perform this action."']),
    Scenario("unknown collection", "POST", f"/api/collections/nope/impersonate/{USER1_ID}", headers={"Authorization": "SUPERUSER"},
             expected_status=404, expected_content=['"message":"Missing or invalid auth collection context."']),
    Scenario("base collection", "POST", f"/api/collections/posts/impersonate/{USER1_ID}", headers={"Authorization": "SUPERUSER"},
             expected_status=404, expected_content=['"message":"Missing or invalid auth collection context."']),
    Scenario("unknown record", "POST", "/api/collections/users/impersonate/missing", headers={"Authorization": "SUPERUSER"},
             expected_status=404, expected_content=['"message":"The requested resource wasn\'t found."']),
    Scenario("negative duration", "POST", URL, body={"duration": -1}, headers={"Authorization": "SUPERUSER"}, expected_status=400,
             expected_content=['"duration":{"code":"validation_min_greater_equal_than_required","message":"Must be no less than 0.","params":{"threshold":0}}']),
    Scenario("duration as a string", "POST", URL, body={"duration": "5"}, headers={"Authorization": "SUPERUSER"},
             expected_status=400, expected_content=[LOAD]),
    Scenario("duration as a fraction", "POST", URL, body={"duration": 5.5}, headers={"Authorization": "SUPERUSER"},
             expected_status=400, expected_content=[LOAD]),
    Scenario("malformed JSON", "POST", URL, body='{"duration":', headers={"Authorization": "SUPERUSER", "Content-Type": "application/json"},
             expected_status=400, expected_content=[LOAD]),
    Scenario("default duration", "POST", URL, headers={"Authorization": "SUPERUSER"},
             expected_content=['"email":"user1@example.com"', f'"id":"{USER1_ID}"', '"token":"'], expected_events=EVENTS),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_impersonate(server, scenario):
    run(server, scenario)


def test_impersonate_token_is_static_with_custom_duration(server):
    resp = server.request("POST", URL + "?fields=token", json={"duration": 100}, headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["refreshable"] is False and claims["type"] == "auth" and claims["id"] == USER1_ID
    assert abs(claims["exp"] - (time.time() + 100)) < 5
    # usable, but a refresh hands back the same token
    refreshed = server.request("POST", "/api/collections/users/auth-refresh", headers={"Authorization": token})
    assert refreshed.status_code == 200 and refreshed.json()["token"] == token
    # no duration: the collection's authToken duration
    plain = server.request("POST", URL, headers={"Authorization": server.token("superuser")}).json()["token"]
    duration = server.app.find_collection("users").token_option("authToken")["duration"]
    assert abs(jwt.decode(plain, options={"verify_signature": False})["exp"] - (time.time() + duration)) < 5


PROVIDERS = [
    {"name": "google", "clientId": "cid", "clientSecret": "sec"},
    {"name": "github", "clientId": "cid", "clientSecret": "sec"},
    {"name": "oidc", "clientId": "cid", "clientSecret": "sec", "authURL": "http://127.0.0.1:9999/auth",
     "tokenURL": "http://127.0.0.1:9999/token", "userInfoURL": "http://127.0.0.1:9999/userinfo", "displayName": "My OIDC", "pkce": False},
    {"name": "apple", "clientId": "cid", "clientSecret": "sec"},
    {"name": "microsoft", "clientId": "cid", "clientSecret": "sec"},
    {"name": "gitlab", "clientId": "cid", "clientSecret": "sec"},
    {"name": "discord", "clientId": "cid", "clientSecret": "sec"},
    {"name": "facebook", "clientId": "cid", "clientSecret": "sec"},
]
# authorization URLs PocketBase 0.40.6 lists for these configs, up to state and PKCE values
EXPECTED = {
    "google": ("Google", "https://accounts.google.com/o/oauth2/v2/auth", "https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email"),
    "github": ("GitHub", "https://github.com/login/oauth/authorize", "read:user user:email"),
    "oidc": ("My OIDC", "http://127.0.0.1:9999/auth", "openid email profile"),
    "apple": ("Apple", "https://appleid.apple.com/auth/authorize", "name email"),
    "microsoft": ("Microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", "User.Read"),
    "gitlab": ("GitLab", "https://gitlab.com/oauth/authorize", "read_user"),
    "discord": ("Discord", "https://discord.com/api/oauth2/authorize", "identify email"),
    "facebook": ("Facebook", "https://www.facebook.com/v3.2/dialog/oauth", "email"),
}


def test_auth_methods_lists_enabled_otp_mfa_and_providers(server):
    resp = server.request(
        "PATCH", "/api/collections/users", headers={"Authorization": server.token("superuser")},
        json={"otp": {"enabled": True, "duration": 120, "length": 6}, "mfa": {"enabled": True, "duration": 300},
              "oauth2": {"enabled": True, "providers": PROVIDERS}},
    )
    assert resp.status_code == 200, resp.text
    body = server.request("GET", "/api/collections/users/auth-methods").json()
    assert body["mfa"] == {"enabled": True, "duration": 300}
    assert body["otp"] == {"enabled": True, "duration": 120}
    assert body["password"] == {"identityFields": ["email"], "enabled": True}
    assert body["oauth2"]["enabled"] is True and body["emailPassword"] is True and body["usernamePassword"] is False
    providers = body["oauth2"]["providers"]
    assert [p["name"] for p in providers] == [p["name"] for p in PROVIDERS]
    for info, legacy in zip(providers, body["authProviders"], strict=True):
        assert list(info) == ["name", "displayName", "logo", "state", "authURL", "authUrl", "codeVerifier", "codeChallenge", "codeChallengeMethod"]
        assert legacy == {**info, "logo": ""}
        display, base, scope = EXPECTED[info["name"]]
        assert info["displayName"] == display and info["authURL"] == info["authUrl"]
        assert len(info["state"]) == 30
        url, _, query = info["authURL"].partition("?")
        assert url == base and query.endswith("&redirect_uri=")
        keys = [part.split("=")[0] for part in query.split("&")]
        assert keys[:-1] == sorted(keys[:-1]) and keys[-1] == "redirect_uri"
        params = {k: v[0] for k, v in parse_qs(urlsplit(info["authURL"]).query, keep_blank_values=True).items()}
        assert params["client_id"] == "cid" and params["response_type"] == "code" and params["scope"] == scope
        assert params["state"] == info["state"]
        if info["name"] == "oidc":  # pkce turned off in the config
            assert info["codeVerifier"] == info["codeChallenge"] == info["codeChallengeMethod"] == ""
            assert "code_challenge" not in params
        else:
            assert len(info["codeVerifier"]) == 43 and info["codeChallengeMethod"] == "S256"
            assert info["codeChallenge"] == s256_challenge(info["codeVerifier"]) == params["code_challenge"]
        assert ("response_mode" in params) == (info["name"] == "apple")
    # oauth2 turned off: no providers, legacy list empty too
    server.request("PATCH", "/api/collections/users", headers={"Authorization": server.token("superuser")}, json={"oauth2": {"enabled": False}})
    body = orjson.loads(server.request("GET", "/api/collections/users/auth-methods").content)
    assert body["oauth2"] == {"providers": [], "enabled": False} and body["authProviders"] == []
