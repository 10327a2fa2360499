"""OAuth2, OTP and MFA sign-ins that succeed, step by step on PocketBase and on pybase.

Both servers get the same collection, users and steps: OAuth2 against the same authlib
authorization server on loopback, OTP codes read from the mail each server sends to the same
test SMTP server. The answers of every step must match once random values are masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import Answer, Pair, Request, Target, difference, normalise
from tests.conformance.known import explain
from tests.mailbox import Mailbox, html_of
from tests.oauth2_provider import OAuth2Provider

pytestmark = pytest.mark.both_backends

logging.getLogger("werkzeug").setLevel(logging.ERROR)

COLLECTION = "sf_users"
BASE = f"/api/collections/{COLLECTION}"
PASSWORD = "1234567890"
USERS = {"fixsfuser000001": ("sf_user@example.com", True), "fixsfuser000002": ("sf_unverified@example.com", False)}
REDIRECT = "http://localhost/cb"
_RANDOM = frozenset({"mfaId", "otpId", "accessToken", "expiry"})


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if key in _RANDOM and isinstance(value, str) and value:
        return f"<{key}>"
    if key in ("iat", "exp", "auth_time", "at_hash") and value is not None:
        return f"<{key}>"
    return value


class Flow:
    """The steps, run on one server; ``answers`` collects (step, masked answer)."""

    def __init__(self, target: Target, provider: OAuth2Provider, box: Mailbox) -> None:
        self.target, self.provider, self.box = target, provider, box
        self.answers: list[tuple[str, Answer]] = []

    def keep(self, step: str, answer: Answer) -> Answer:
        self.answers.append((step, Answer(answer.status, _mask(answer.body))))
        return answer

    def post(self, step: str, path: str, body: Any, who: str = "anon") -> Answer:
        return self.keep(step, normalise(self.target.send(Request("POST", path, json=body, who=who))))

    def oauth2(self, step: str, user: dict[str, Any], **body: Any) -> Answer:
        self.provider.user = user
        methods = self.target.send(Request("GET", f"{BASE}/auth-methods", who="anon")).json()
        info = methods["oauth2"]["providers"][0]
        code = self.provider.authorize(info["authURL"], REDIRECT)["code"]
        payload = {"provider": "oidc", "code": code, "codeVerifier": info["codeVerifier"], "redirectURL": REDIRECT, **body}
        return self.post(step, f"{BASE}/auth-with-oauth2", payload)

    def otp(self, step: str, email: str, **extra: Any) -> Answer:
        seen = len(self.box.messages)
        resp = self.target.send(Request("POST", f"{BASE}/request-otp", json={"email": email}, who="anon"))
        otp_id = resp.json()["otpId"]
        message = self.box.wait_for(seen + 1)[seen]
        code = re.search(r"<strong>(\d+)</strong>", html_of(message)).group(1)  # type: ignore[union-attr]
        answer = self.post(step, f"{BASE}/auth-with-otp", {"otpId": otp_id, "password": code, **extra})
        self.post(step + " (the code again)", f"{BASE}/auth-with-otp", {"otpId": otp_id, "password": code, **extra})
        return answer

    def run(self) -> None:
        new_user = {"sub": "ext-1", "name": "Ext User", "email": "sf_ext@example.com", "email_verified": True,
                    "preferred_username": "extuser", "picture": ""}  # fmt: skip
        self.oauth2("oauth2 first sign-in", new_user, createData={"emailVisibility": True})
        self.oauth2("oauth2 second sign-in", new_user)
        self.oauth2("oauth2 links a verified user by email", {**new_user, "sub": "ext-2", "email": "sf_user@example.com"})
        self.oauth2("oauth2 verifies an unverified user", {**new_user, "sub": "ext-3", "email": "sf_unverified@example.com"})
        self.post("the unverified user's old password", f"{BASE}/auth-with-password",
                  {"identity": "sf_unverified@example.com", "password": PASSWORD})
        self.oauth2("oauth2 unverified provider email", {**new_user, "sub": "ext-4", "email_verified": False},
                    createData={"email": "sf_new@example.com"})
        self.oauth2("oauth2 create refused", {**new_user, "sub": "ext-5", "email": "sf_other@example.com"},
                    createData={"password": "1"})
        self.otp("otp sign-in", "sf_user@example.com")
        self.target.ok("PATCH", f"/api/collections/{COLLECTION}", {"mfa": {"enabled": True}})
        first = self.post("mfa password first", f"{BASE}/auth-with-password", {"identity": "sf_user@example.com", "password": PASSWORD})
        mfa_id = first.body.get("mfaId", "") if isinstance(first.body, dict) else ""
        self.post("mfa password again", f"{BASE}/auth-with-password",
                  {"identity": "sf_user@example.com", "password": PASSWORD, "mfaId": mfa_id})
        self.otp("mfa completed by otp", "sf_user@example.com", mfaId=mfa_id)
        self.target.ok("PATCH", f"/api/collections/{COLLECTION}", {"mfa": {"enabled": False}})


@pytest.fixture(scope="module")
def flows(pair: Pair) -> Iterator[tuple[Flow, Flow]]:
    box = Mailbox()
    provider = OAuth2Provider().start()
    try:
        pair.ok("PATCH", "/api/settings", {"smtp": {"enabled": True, "host": "127.0.0.1", "port": box.port},
                                           "meta": {"senderAddress": "support@acme.test"}})  # fmt: skip
        if pair.first_time("auth sign-in flows"):
            pair.ok("POST", "/api/collections", {
                "name": COLLECTION, "type": "auth", "createRule": "", "viewRule": "",
                "otp": {"enabled": True, "duration": 300, "length": 6},
                "oauth2": {"enabled": True, "providers": [provider.provider_config()], "mappedFields": {"name": "name"}},
                "fields": [{"name": "name", "type": "text"}],
            })  # fmt: skip
            for rid, (email, verified) in USERS.items():
                pair.ok("POST", f"{BASE}/records", {"id": rid, "email": email, "password": PASSWORD,
                                                    "passwordConfirm": PASSWORD, "verified": verified})  # fmt: skip
        pb, py = (Flow(target, provider, box) for target in pair.targets)
        pb.run()
        py.run()
        yield pb, py
    finally:
        provider.stop()
        box.stop()


STEPS = [
    "oauth2 first sign-in", "oauth2 second sign-in", "oauth2 links a verified user by email",
    "oauth2 verifies an unverified user", "the unverified user's old password", "oauth2 unverified provider email",
    "oauth2 create refused", "otp sign-in", "otp sign-in (the code again)", "mfa password first", "mfa password again",
    "mfa completed by otp", "mfa completed by otp (the code again)",
]  # fmt: skip


@pytest.mark.parametrize("step", STEPS)
def test_auth_signin_flow(flows: tuple[Flow, Flow], step: str) -> None:
    pb, py = (dict(flow.answers)[step] for flow in flows)
    explain(f"flow {step}", pb, py, difference(pb, py))


def test_the_steps_did_what_they_say(flows: tuple[Flow, Flow]) -> None:
    statuses = {step: answer.status for step, answer in flows[1].answers}
    assert statuses == {
        "oauth2 first sign-in": 200, "oauth2 second sign-in": 200, "oauth2 links a verified user by email": 200,
        "oauth2 verifies an unverified user": 200, "the unverified user's old password": 400,
        "oauth2 unverified provider email": 200, "oauth2 create refused": 400, "otp sign-in": 200,
        "otp sign-in (the code again)": 400, "mfa password first": 401, "mfa password again": 400,
        "mfa completed by otp": 200, "mfa completed by otp (the code again)": 400,
    }  # fmt: skip
    first = dict(flows[1].answers)["oauth2 first sign-in"].body
    assert first["meta"]["isNew"] is True and first["record"]["email"] == "sf_ext@example.com"
