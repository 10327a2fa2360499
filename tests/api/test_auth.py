"""Record auth: auth-methods, auth-with-password, auth-refresh, tokens, password changes, auth record JSON.

Expected bodies and messages follow tests/data/pb_reference (auth.json, errors.json) and probes of the
PocketBase 0.40 binary.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import jwt
import orjson
import pytest

from tests.scenarios import Scenario, compact, run
from tests.testapp import PASSWORD, SUPERUSER_EMAIL, USER1_EMAIL, USER1_ID, USER2_EMAIL, USER2_ID

SU_PASSWORD_URL = "/api/collections/_superusers/auth-with-password"
USERS_PASSWORD_URL = "/api/collections/users/auth-with-password"
USERS_REFRESH_URL = "/api/collections/users/auth-refresh"
SU_REFRESH_URL = "/api/collections/_superusers/auth-refresh"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

AUTH_METHODS_BODY = (
    '{"authProviders":[],"emailPassword":true,"mfa":{"duration":0,"enabled":false},'
    '"oauth2":{"enabled":false,"providers":[]},"otp":{"duration":0,"enabled":false},'
    '"password":{"enabled":true,"identityFields":["email"]},"usernamePassword":false}'
)
pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; tests/conftest.py), for CI time
POSTGRES_EVERY = 2

# NOTE: as PocketBase's tests, a sign-in also saves the client's _authOrigins row (first sign-in:
# no alert mail).
ORIGIN_EVENTS = {name: 1 for name in (
    "onModelCreate", "onModelCreateExecute", "onModelAfterCreateSuccess", "onModelValidate",
    "onRecordCreate", "onRecordCreateExecute", "onRecordAfterCreateSuccess", "onRecordValidate",
)}  # fmt: skip
AUTH_EVENTS = {"onRecordAuthWithPasswordRequest": 1, "onRecordAuthRequest": 1, **ORIGIN_EVENTS, "*": 0}
REFRESH_EVENTS = {"onRecordAuthRefreshRequest": 1, "onRecordAuthRequest": 1, "*": 0}
NO_EVENTS = {"*": 0}

MSG_FAILED = '"message":"Failed to authenticate."'
MSG_LOAD = '"message":"An error occurred while loading the submitted data."'
MSG_VALIDATE = '"message":"An error occurred while validating the submitted data."'
MSG_401 = '"message":"The request requires valid record authorization token."'
BLANK = '{"code":"validation_required","message":"Cannot be blank."}'


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(server, who: str, claims: dict, *, key: str | None = None) -> str:
    """A token for ``who`` with arbitrary claims, signed with the real key unless ``key`` is given."""
    record = _auth_record(server, who)
    secret = record.collection.token_option("authToken").get("secret") or ""
    return jwt.encode(claims, key if key is not None else record.token_key + secret, algorithm="HS256")


def _auth_record(server, who: str):
    if who == "superuser":
        return server.app.records.find_first(server.app.find_collection("_superusers"), email=SUPERUSER_EMAIL)
    return server.app.find_record_by_id("users", USER1_ID if who == "user1" else USER2_ID)


def _claims(server, who: str, **overrides) -> dict:
    record = _auth_record(server, who)
    claims = {"collectionId": record.collection.id, "exp": int(time.time()) + 3600, "id": record.id, "refreshable": True, "type": "auth"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _users_public_rules(server):
    resp = server.request(
        "PATCH", "/api/collections/users", json={"listRule": "", "viewRule": ""}, headers={"Authorization": server.token("superuser")}
    )
    assert resp.status_code == 200, resp.text


def _user2_email_visible(server):
    _users_public_rules(server)
    resp = server.request(
        "PATCH", f"/api/collections/users/records/{USER2_ID}", json={"emailVisibility": True}, headers={"Authorization": server.token("superuser")}
    )
    assert resp.status_code == 200, resp.text


def _disable_password_auth(server):
    resp = server.request(
        "PATCH", "/api/collections/users", json={"passwordAuth": {"enabled": False}}, headers={"Authorization": server.token("superuser")}
    )
    assert resp.status_code == 200, resp.text


# ---- auth-methods --------------------------------------------------------------------------

METHODS_SCENARIOS = [
    Scenario("auth methods of users", "GET", "/api/collections/users/auth-methods", expected_content=[AUTH_METHODS_BODY], expected_events=NO_EVENTS),
    Scenario("auth methods of superusers", "GET", "/api/collections/_superusers/auth-methods", expected_content=[AUTH_METHODS_BODY]),
    Scenario("auth methods need no token even a garbage one", "GET", "/api/collections/users/auth-methods", headers={"Authorization": "garbage"}, expected_content=[AUTH_METHODS_BODY]),
    Scenario("auth methods with fields picks keys", "GET", "/api/collections/users/auth-methods?fields=password", expected_content=['{"password":{"enabled":true,"identityFields":["email"]}}']),
    Scenario("auth methods of a base collection is a 404", "GET", "/api/collections/posts/auth-methods", expected_status=404, expected_content=['"message":"Missing or invalid auth collection context."']),
    Scenario("auth methods of an unknown collection is a 404", "GET", "/api/collections/nope/auth-methods", expected_status=404, expected_content=['"message":"Missing or invalid collection context."']),
    Scenario(
        "auth methods with password auth disabled list no identity fields", "GET", "/api/collections/users/auth-methods",
        before=_disable_password_auth,
        expected_content=['"password":{"enabled":false,"identityFields":[]}', '"emailPassword":false'],
    ),
    Scenario("auth methods by POST is an unknown route", "POST", "/api/collections/users/auth-methods", expected_status=404),
]


@pytest.mark.parametrize("scenario", METHODS_SCENARIOS, ids=str)
def test_auth_methods(server, scenario):
    run(server, scenario)


# ---- auth-with-password --------------------------------------------------------------------

PASSWORD_SCENARIOS = [
    Scenario(
        "superuser signs in", "POST", SU_PASSWORD_URL, body={"identity": SUPERUSER_EMAIL, "password": PASSWORD},
        expected_content=['"record":{"collectionId":', '"collectionName":"_superusers"', f'"email":"{SUPERUSER_EMAIL}"', '"verified":true', '"token":"eyJ'],
        not_expected_content=['"password"', '"tokenKey"'],
        expected_events=AUTH_EVENTS,
    ),
    Scenario(
        "user signs in and sees its own email", "POST", USERS_PASSWORD_URL, body={"identity": USER1_EMAIL, "password": PASSWORD},
        expected_content=[f'"email":"{USER1_EMAIL}"', f'"id":"{USER1_ID}"', '"name":"User One"', '"collectionName":"users"', '"token":"eyJ'],
        not_expected_content=['"password"', '"tokenKey"', '"passwordHash"'],
        expected_events=AUTH_EVENTS,
    ),
    Scenario(
        "explicit identityField email is accepted", "POST", USERS_PASSWORD_URL,
        body={"identity": USER1_EMAIL, "password": PASSWORD, "identityField": "email"}, expected_content=['"token":"eyJ'],
    ),
    Scenario(
        "urlencoded body signs in", "POST", SU_PASSWORD_URL, body="identity=admin%40example.com&password=1234567890", headers=FORM,
        expected_content=['"token":"eyJ'],
    ),
    Scenario(
        "json with a charset and unknown keys signs in", "POST", SU_PASSWORD_URL,
        body=orjson.dumps({"identity": SUPERUSER_EMAIL, "password": PASSWORD, "extra": 1}), headers={"Content-Type": "application/json; charset=utf-8"},
        expected_content=['"token":"eyJ'],
    ),
    Scenario(
        "fields=token keeps only the token", "POST", USERS_PASSWORD_URL + "?fields=token", body={"identity": USER1_EMAIL, "password": PASSWORD},
        expected_content=['{"token":"eyJ'], not_expected_content=['"record"'],
    ),
    Scenario(
        "wrong password fails to authenticate", "POST", SU_PASSWORD_URL, body={"identity": SUPERUSER_EMAIL, "password": "wrong-password"},
        expected_status=400, expected_content=['{"data":{},"message":"Failed to authenticate.","status":400}'],
        expected_events={"onRecordAuthWithPasswordRequest": 1, "*": 0},
    ),
    Scenario(
        "unknown identity fails the same way", "POST", SU_PASSWORD_URL, body={"identity": "nobody@example.com", "password": PASSWORD},
        expected_status=400, expected_content=['{"data":{},"message":"Failed to authenticate.","status":400}'],
        expected_events={"onRecordAuthWithPasswordRequest": 1, "*": 0},
    ),
    Scenario(
        "user password on the superusers collection fails", "POST", SU_PASSWORD_URL, body={"identity": USER1_EMAIL, "password": PASSWORD},
        expected_status=400, expected_content=[MSG_FAILED],
    ),
    Scenario(
        "email identity is case sensitive", "POST", SU_PASSWORD_URL, body={"identity": "ADMIN@example.com", "password": PASSWORD},
        expected_status=400, expected_content=[MSG_FAILED],
    ),
    Scenario(
        "empty object reports both fields", "POST", SU_PASSWORD_URL, body={},
        expected_status=400, expected_content=[f'"data":{{"identity":{BLANK},"password":{BLANK}}}', MSG_VALIDATE], expected_events=NO_EVENTS,
    ),
    Scenario(
        "empty strings are blank", "POST", SU_PASSWORD_URL, body={"identity": "", "password": ""},
        expected_status=400, expected_content=[f'"identity":{BLANK}', f'"password":{BLANK}'],
    ),
    Scenario(
        "missing password is reported alone", "POST", SU_PASSWORD_URL, body={"identity": SUPERUSER_EMAIL},
        expected_status=400, expected_content=[f'{{"data":{{"password":{BLANK}}},"message":"An error occurred while validating the submitted data.","status":400}}'],
    ),
    Scenario(
        "no body at all is a validation error", "POST", SU_PASSWORD_URL, headers=JSON,
        expected_status=400, expected_content=[f'"identity":{BLANK}', MSG_VALIDATE],
    ),
    Scenario(
        "invalid identityField", "POST", SU_PASSWORD_URL, body={"identity": SUPERUSER_EMAIL, "password": PASSWORD, "identityField": "name"},
        expected_status=400, expected_content=['"identityField":{"code":"validation_in_invalid","message":"Must be a valid value."}', MSG_VALIDATE],
    ),
    Scenario(
        "malformed json", "POST", SU_PASSWORD_URL, body='{"identity":', headers=JSON,
        expected_status=400, expected_content=[f'{{"data":{{}},{MSG_LOAD},"status":400}}'], expected_events=NO_EVENTS,
    ),
    Scenario("json array body", "POST", SU_PASSWORD_URL, body=[1, 2], expected_status=400, expected_content=[MSG_LOAD]),
    Scenario("number identity", "POST", SU_PASSWORD_URL, body={"identity": 123, "password": PASSWORD}, expected_status=400, expected_content=[MSG_LOAD]),
    Scenario("number password", "POST", SU_PASSWORD_URL, body={"identity": SUPERUSER_EMAIL, "password": 123}, expected_status=400, expected_content=[MSG_LOAD]),
    Scenario(
        "text/plain body is an unsupported content type", "POST", SU_PASSWORD_URL,
        body=orjson.dumps({"identity": SUPERUSER_EMAIL, "password": PASSWORD}), headers={"Content-Type": "text/plain"},
        expected_status=400, expected_content=['"message":"Unsupported Content-Type."'],
    ),
    Scenario(
        "base collection is not an auth collection", "POST", "/api/collections/posts/auth-with-password", body={"identity": "x", "password": "y"},
        expected_status=404, expected_content=['{"data":{},"message":"Missing or invalid auth collection context.","status":404}'],
    ),
    Scenario(
        "unknown collection", "POST", "/api/collections/nope/auth-with-password", body={"identity": "x", "password": "y"},
        expected_status=404, expected_content=['"message":"Missing or invalid collection context."'],
    ),
    Scenario(
        "password auth disabled is refused before reading the body", "POST", USERS_PASSWORD_URL, body="{bad", headers=JSON,
        before=_disable_password_auth,
        expected_status=403, expected_content=['"message":"The collection is not configured to allow password authentication."'],
    ),
    Scenario("GET is an unknown static path", "GET", USERS_PASSWORD_URL, expected_status=404, expected_content=['"message":"File not found."']),
]


@pytest.mark.parametrize("scenario", PASSWORD_SCENARIOS, ids=str)
def test_auth_with_password(server, scenario):
    run(server, scenario)


def _jwt_parts(token: str) -> tuple[bytes, bytes, bytes]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return base64.urlsafe_b64decode(pad(header)), base64.urlsafe_b64decode(pad(payload)), base64.urlsafe_b64decode(pad(signature))


@pytest.mark.parametrize("who,url,email", [("superuser", SU_PASSWORD_URL, SUPERUSER_EMAIL), ("user1", USERS_PASSWORD_URL, USER1_EMAIL)])
def test_token_is_pocketbase_jwt(server, who, url, email):
    before = int(time.time())
    resp = server.request("POST", url, json={"identity": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    header, payload, signature = _jwt_parts(token)
    # NOTE: byte-exact compact JSON with sorted keys, as the real binary writes it.
    assert header == b'{"alg":"HS256","typ":"JWT"}'
    claims = orjson.loads(payload)
    assert list(claims) == ["collectionId", "exp", "id", "refreshable", "type"]
    record = _auth_record(server, who)
    duration = 86400 if who == "superuser" else 432000
    assert claims["collectionId"] == record.collection.id
    assert claims["id"] == record.id
    assert claims["refreshable"] is True and claims["type"] == "auth"
    assert before + duration <= claims["exp"] <= int(time.time()) + duration
    assert payload == orjson.dumps(claims)
    key = (record.token_key + record.collection.token_option("authToken")["secret"]).encode()
    signing_input = token.rsplit(".", 1)[0].encode()
    assert hmac.compare_digest(signature, hmac.new(key, signing_input, hashlib.sha256).digest())


def test_tokens_signed_in_the_same_second_are_identical(server):
    claims = _claims(server, "user1")
    assert _signed(server, "user1", claims) == _signed(server, "user1", claims)


# ---- auth-refresh --------------------------------------------------------------------------

REFRESH_SCENARIOS = [
    Scenario(
        "user refreshes its token", "POST", USERS_REFRESH_URL, headers={"Authorization": "USER1"},
        expected_content=[f'"email":"{USER1_EMAIL}"', f'"id":"{USER1_ID}"', '"token":"eyJ'], not_expected_content=['"tokenKey"'],
        expected_events=REFRESH_EVENTS,
    ),
    Scenario(
        "superuser refreshes its token", "POST", SU_REFRESH_URL, headers={"Authorization": "SUPERUSER"},
        expected_content=[f'"email":"{SUPERUSER_EMAIL}"', '"token":"eyJ'], expected_events=REFRESH_EVENTS,
    ),
    Scenario("no token", "POST", USERS_REFRESH_URL, expected_status=401, expected_content=[f'{{"data":{{}},{MSG_401},"status":401}}'], expected_events=NO_EVENTS),
    Scenario("garbage token", "POST", USERS_REFRESH_URL, headers={"Authorization": "garbage"}, expected_status=401, expected_content=[MSG_401]),
    Scenario(
        "user token on the superusers collection names the token's collection", "POST", SU_REFRESH_URL, headers={"Authorization": "USER1"},
        expected_status=403, expected_content=['{"data":{},"message":"The request requires auth record from users collection.","status":403}'],
        expected_events=NO_EVENTS,
    ),
    Scenario(
        "superuser token on the users collection", "POST", USERS_REFRESH_URL, headers={"Authorization": "SUPERUSER"},
        expected_status=403, expected_content=['"message":"The request requires auth record from _superusers collection."'],
    ),
    Scenario(
        "superuser token on a base collection", "POST", "/api/collections/posts/auth-refresh", headers={"Authorization": "SUPERUSER"},
        expected_status=403, expected_content=['"message":"The request requires auth record from _superusers collection."'],
    ),
    Scenario("no token on a base collection", "POST", "/api/collections/posts/auth-refresh", expected_status=401, expected_content=[MSG_401]),
    Scenario(
        "unknown collection comes before the token check", "POST", "/api/collections/nope/auth-refresh",
        expected_status=404, expected_content=['"message":"Missing or invalid collection context."'],
    ),
    Scenario("GET is an unknown static path", "GET", USERS_REFRESH_URL, expected_status=404, expected_content=['"message":"File not found."']),
]


@pytest.mark.parametrize("scenario", REFRESH_SCENARIOS, ids=str)
def test_auth_refresh(server, scenario):
    run(server, scenario)


# Tokens built per test: (name, who, claims overrides, signing key override, expected status).
CUSTOM_TOKENS = [
    ("forged signature", "user1", {}, "not-the-key-" * 4, 401),
    ("validly signed but expired", "user1", {"exp": int(time.time()) - 10}, None, 401),
    ("validly signed file token", "user1", {"type": "file"}, None, 401),
    ("validly signed token of an unknown record", "user1", {"id": "nobodyaaaaaaaaa"}, None, 401),
    ("validly signed token of an unknown collection", "user1", {"collectionId": "nope"}, None, 401),
    ("validly signed token without exp", "user1", {"exp": None}, None, 200),
]


@pytest.mark.parametrize("name,who,overrides,key,status", CUSTOM_TOKENS, ids=[c[0] for c in CUSTOM_TOKENS])
def test_auth_refresh_custom_tokens(server, name, who, overrides, key, status):
    token = _signed(server, who, _claims(server, who, **overrides), key=key)
    resp = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": token})
    assert resp.status_code == status, resp.text
    if status == 401:
        assert compact(resp.text) == f'{{"data":{{}},{MSG_401},"status":401}}'


@pytest.mark.parametrize("prefix,status", [("Bearer ", 200), ("bearer ", 200), ("", 200), ("Bearer  ", 401), ("Token ", 401)])
def test_auth_refresh_authorization_prefixes(server, prefix, status):
    resp = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": prefix + server.token("user1")})
    assert resp.status_code == status, resp.text


def test_refresh_issues_a_new_valid_token(server):
    resp = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": server.token("user1")})
    token = resp.json()["token"]
    again = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": token})
    assert again.status_code == 200
    assert again.json()["record"]["id"] == USER1_ID


@pytest.mark.parametrize("refreshable", [False, None], ids=["refreshable false", "refreshable missing"])
def test_refresh_of_a_non_refreshable_token_returns_it_unchanged(server, refreshable):
    token = _signed(server, "user1", _claims(server, "user1", refreshable=refreshable))
    resp = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": token})
    assert resp.status_code == 200, resp.text
    assert resp.json()["token"] == token


def test_invalid_token_on_a_public_route_is_anonymous(server):
    expired = _signed(server, "user1", _claims(server, "user1", exp=int(time.time()) - 10))
    for token in ("garbage", expired):
        resp = server.request("GET", "/api/collections/posts/records", headers={"Authorization": token})
        assert resp.status_code == 200
        users = server.request("GET", "/api/collections/users/records", headers={"Authorization": token})
        assert users.status_code == 200 and users.json()["items"] == []


# ---- password change -----------------------------------------------------------------------

USER1_URL = f"/api/collections/users/records/{USER1_ID}"
NEW = {"password": "abcdefgh", "passwordConfirm": "abcdefgh"}

PASSWORD_CHANGE_SCENARIOS = [
    Scenario(
        "user changes password without oldPassword", "PATCH", USER1_URL, body=NEW, headers={"Authorization": "USER1"},
        expected_status=400, expected_content=[f'{{"data":{{"oldPassword":{BLANK}}},"message":"Failed to update record.","status":400}}'],
    ),
    Scenario(
        "user changes password with a wrong oldPassword", "PATCH", USER1_URL, body={**NEW, "oldPassword": "wrong"}, headers={"Authorization": "USER1"},
        expected_status=400, expected_content=['"oldPassword":{"code":"validation_invalid_old_password","message":"Missing or invalid old password."}'],
    ),
    Scenario(
        "user password confirm mismatch", "PATCH", USER1_URL, body={"oldPassword": PASSWORD, "password": "abcdefgh", "passwordConfirm": "xxxxxxxx"},
        headers={"Authorization": "USER1"},
        expected_status=400, expected_content=['"passwordConfirm":{"code":"validation_values_mismatch","message":"Values don\'t match."}'],
    ),
    Scenario(
        "user new password too short", "PATCH", USER1_URL, body={"oldPassword": PASSWORD, "password": "short", "passwordConfirm": "short"},
        headers={"Authorization": "USER1"},
        expected_status=400, expected_content=['"password":{"code":"validation_min_text_constraint","message":"Must be at least 8 character(s)."}'],
    ),
    Scenario(
        "user changes password with its old one", "PATCH", USER1_URL, body={**NEW, "oldPassword": PASSWORD}, headers={"Authorization": "USER1"},
        expected_content=[f'"id":"{USER1_ID}"', f'"email":"{USER1_EMAIL}"'], not_expected_content=['"password"', '"tokenKey"', '"oldPassword"'],
    ),
    Scenario(
        "superuser changes a user password without oldPassword", "PATCH", USER1_URL, body=NEW, headers={"Authorization": "SUPERUSER"},
        expected_content=[f'"id":"{USER1_ID}"'], not_expected_content=['"password"', '"tokenKey"'],
    ),
    Scenario(
        "user cannot change another user's password", "PATCH", f"/api/collections/users/records/{USER2_ID}", body={**NEW, "oldPassword": PASSWORD},
        headers={"Authorization": "USER1"}, expected_status=404,
    ),
]


@pytest.mark.parametrize("scenario", PASSWORD_CHANGE_SCENARIOS, ids=str)
def test_password_change(server, scenario):
    run(server, scenario)


@pytest.mark.parametrize("who", ["user1", "superuser"])
def test_password_change_rotates_token_key(server, who):
    old_token = server.token("user1")
    old_key = _auth_record(server, "user1").token_key
    body = {**NEW, "oldPassword": PASSWORD} if who == "user1" else NEW
    resp = server.request("PATCH", USER1_URL, json=body, headers={"Authorization": server.token(who)})
    assert resp.status_code == 200, resp.text
    assert _auth_record(server, "user1").token_key != old_key
    stale = server.request("POST", USERS_REFRESH_URL, headers={"Authorization": old_token})
    assert stale.status_code == 401 and MSG_401 in compact(stale.text)
    assert server.request("GET", USER1_URL, headers={"Authorization": old_token}).status_code == 404
    old_login = server.request("POST", USERS_PASSWORD_URL, json={"identity": USER1_EMAIL, "password": PASSWORD})
    assert old_login.status_code == 400
    login = server.request("POST", USERS_PASSWORD_URL, json={"identity": USER1_EMAIL, "password": "abcdefgh"})
    assert login.status_code == 200, login.text
    assert server.request("POST", USERS_REFRESH_URL, headers={"Authorization": login.json()["token"]}).status_code == 200


def test_a_name_change_keeps_tokens_valid(server):
    token = server.token("user1")
    resp = server.request("PATCH", USER1_URL, json={"name": "Renamed"}, headers={"Authorization": token})
    assert resp.status_code == 200, resp.text
    assert server.request("POST", USERS_REFRESH_URL, headers={"Authorization": token}).status_code == 200


def test_password_is_stored_as_bcrypt(server):
    record = _auth_record(server, "user1")
    stored = record.data["password"]
    assert stored.startswith(("$2a$", "$2b$")) and PASSWORD not in stored


# ---- the users record JSON -----------------------------------------------------------------

USER2_URL = f"/api/collections/users/records/{USER2_ID}"

RECORD_JSON_SCENARIOS = [
    Scenario(
        "user sees its own email", "GET", USER1_URL, headers={"Authorization": "USER1"},
        expected_content=[f'"email":"{USER1_EMAIL}"', '"emailVisibility":false', '"verified":true'],
        not_expected_content=['"password"', '"tokenKey"'],
    ),
    Scenario("anonymous cannot view a user under the default rule", "GET", USER1_URL, expected_status=404),
    Scenario(
        "anonymous view hides the email", "GET", USER1_URL, before=_users_public_rules,
        expected_content=[f'"id":"{USER1_ID}"', '"emailVisibility":false'], not_expected_content=['"email":', '"password"', '"tokenKey"'],
    ),
    Scenario(
        "another user does not see the email", "GET", USER1_URL, headers={"Authorization": "USER2"}, before=_users_public_rules,
        expected_content=[f'"id":"{USER1_ID}"'], not_expected_content=['"email":'],
    ),
    Scenario(
        "superuser sees the email", "GET", USER1_URL, headers={"Authorization": "SUPERUSER"},
        expected_content=[f'"email":"{USER1_EMAIL}"'], not_expected_content=['"password"', '"tokenKey"'],
    ),
    Scenario(
        "emailVisibility shows the email to anyone", "GET", USER2_URL, before=_user2_email_visible,
        expected_content=[f'"email":"{USER2_EMAIL}"', '"emailVisibility":true'],
    ),
    Scenario(
        "anonymous list shows only visible emails", "GET", "/api/collections/users/records", before=_user2_email_visible,
        expected_content=[f'"email":"{USER2_EMAIL}"', '"totalItems":2'], not_expected_content=[USER1_EMAIL, '"tokenKey"', '"password"'],
    ),
    Scenario(
        "user list shows its own email and visible ones", "GET", "/api/collections/users/records", headers={"Authorization": "USER1"},
        before=_users_public_rules, expected_content=[f'"email":"{USER1_EMAIL}"'], not_expected_content=[USER2_EMAIL],
    ),
    Scenario(
        "superuser list shows every email but never the secrets", "GET", "/api/collections/users/records", headers={"Authorization": "SUPERUSER"},
        expected_content=[USER1_EMAIL, USER2_EMAIL], not_expected_content=['"tokenKey"', '"password"'],
    ),
    Scenario(
        "filtering on the hidden password field is refused", "GET", "/api/collections/users/records?filter=password!=''",
        before=_users_public_rules, expected_status=400,
    ),
    Scenario(
        "anonymous filter by email matches nothing", "GET", f"/api/collections/users/records?filter=email='{USER1_EMAIL}'",
        before=_users_public_rules, expected_content=['"totalItems":0'],
    ),
]


@pytest.mark.parametrize("scenario", RECORD_JSON_SCENARIOS, ids=str)
def test_users_record_json(server, scenario):
    run(server, scenario)


# ---- auth hooks ----------------------------------------------------------------------------


def test_password_hook_sees_the_found_record_before_the_password_check(server):
    seen = []

    def spy(e):
        seen.append((e.record.id if e.record else None, e.identity, e.password))
        return e.next()

    server.app.hooks["onRecordAuthWithPasswordRequest"].bind(spy, tags=["users"])
    wrong = server.request("POST", USERS_PASSWORD_URL, json={"identity": USER1_EMAIL, "password": "wrong-password"})
    unknown = server.request("POST", USERS_PASSWORD_URL, json={"identity": "nobody@example.com", "password": "x"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.text == unknown.text
    assert seen == [(USER1_ID, USER1_EMAIL, "wrong-password"), (None, "nobody@example.com", "x")]


def test_password_hook_can_swap_the_record(server):
    def as_user2(e):
        e.record = server.app.find_record_by_id("users", USER2_ID)
        return e.next()

    server.app.hooks["onRecordAuthWithPasswordRequest"].bind(as_user2)
    resp = server.request("POST", USERS_PASSWORD_URL, json={"identity": USER1_EMAIL, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    assert resp.json()["record"]["id"] == USER2_ID


def test_auth_request_hook_can_add_meta(server):
    def add_meta(e):
        e.meta = {"source": "hook"}
        return e.next()

    server.app.hooks["onRecordAuthRequest"].bind(add_meta)
    resp = server.request("POST", USERS_PASSWORD_URL, json={"identity": USER1_EMAIL, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    assert list(resp.json()) == ["meta", "record", "token"]  # a Go map: keys sorted
    assert resp.json()["meta"] == {"source": "hook"}
