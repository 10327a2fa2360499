"""OTP, OAuth2, impersonation and auth-methods with bad and good input, compared with PocketBase.

``si_users`` has OTP (6 digits) and OAuth2 (an ``oidc`` provider whose token endpoint refuses
connections, and ``github``) enabled; ``si_plain`` has neither. Random values (OTP and MFA ids,
OAuth2 states, PKCE values) and the providers' logos (PocketBase ships SVGs, pybase none) are
masked; everything else must match.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from tests.conformance.harness import Answer, Pair, Request

COLLECTION, PLAIN = "si_users", "si_plain"
PASSWORD = "1234567890"
USER_ID, USER_EMAIL = "fixsiuser000001", "si_user@example.com"
PLAIN_ID = "fixsiplain00001"
_BASE = f"/api/collections/{COLLECTION}"
_RANDOM_ID = re.compile(r"^[a-z0-9]{15}$")
_URL_RANDOM = re.compile(r"(state|code_challenge)=[^&]+")


def _shapes() -> list[tuple[str, Any, str | None]]:
    """(label, body, raw body) every POST endpoint gets."""
    return [("no body", None, None), ("malformed JSON", None, "{"), ("empty object", {}, None), ("JSON list", None, "[1]")]


BODIES: dict[str, list[tuple[str, Any]]] = {
    "request-otp": [
        ("number email", {"email": 5}), ("malformed email", {"email": "nope"}),
        ("long email", {"email": "a" * 250 + "@x.io"}), ("unknown email", {"email": "nobody@example.com"}),
        ("known email", {"email": USER_EMAIL}),
    ],
    "auth-with-otp": [
        ("number otpId", {"otpId": 5, "password": "1"}), ("only otpId", {"otpId": "abc"}),
        ("long password", {"otpId": "abc", "password": "1" * 72}), ("long otpId", {"otpId": "a" * 256, "password": "1"}),
        ("unknown otp", {"otpId": "abcdefghijklmno", "password": "123456"}),
    ],
    "auth-with-oauth2": [
        ("number provider", {"provider": 5, "code": "x"}), ("unknown provider", {"provider": "nope", "code": "x"}),
        ("long provider", {"provider": "p" * 101, "code": "x"}), ("missing code", {"provider": "oidc"}),
        ("createData number", {"provider": "oidc", "code": "x", "createData": 5}),
        ("createData list", {"provider": "oidc", "code": "x", "createData": [1]}),
        ("unreachable token endpoint", {"provider": "oidc", "code": "x", "codeVerifier": "v", "redirectURL": "http://localhost/cb"}),
        ("legacy redirectUrl", {"provider": "oidc", "code": "x", "redirectUrl": "http://localhost/cb"}),
    ],
}  # fmt: skip

IMPERSONATE_BODIES: list[tuple[str, Any, str | None]] = [
    ("no body", None, None), ("empty object", {}, None), ("negative duration", {"duration": -1}, None),
    ("string duration", {"duration": "5"}, None), ("fraction duration", {"duration": 5.5}, None),
    ("malformed JSON", None, "{"), ("huge duration", None, '{"duration":100000000000000000000}'), ("custom duration", {"duration": 100}, None),
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SignInCase:
    """One request; random values in the answer are masked."""

    name: str
    request: Request

    def mask(self, answer: Answer) -> Answer:
        """Random ids, states, PKCE values and logos replaced by placeholders."""
        return Answer(answer.status, _mask(answer.body))


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if isinstance(value, str) and key == "logo":
        return "<logo>"  # NOTE: pybase ships no provider logos (PocketBase's are SVGs)
    if isinstance(value, str) and value:
        if key in ("otpId", "mfaId") and _RANDOM_ID.match(value):
            return "<random id>"
        if key in ("state", "codeVerifier", "codeChallenge"):
            return f"<{key}>"
        if key in ("authURL", "authUrl"):
            return _URL_RANDOM.sub(r"\1=<random>", value)
    return value


def _post(name: str, path: str, body: Any, raw: str | None, who: str) -> SignInCase:
    if raw is not None:
        return SignInCase(name, Request("POST", path, raw=raw.encode(), content_type="application/json", who=who))
    return SignInCase(name, Request("POST", path, json=body, who=who))


def build_cases() -> list[SignInCase]:
    """Each endpoint x shapes and its own bodies; the other collections; impersonate; auth-methods."""
    cases: list[SignInCase] = []
    for action, bodies in BODIES.items():
        for who in ("anon", "user"):
            for label, body, raw in _shapes():
                cases.append(_post(f"{action} {label} as {who}", f"{_BASE}/{action}", body, raw, who))
            for label, body in bodies:
                cases.append(_post(f"{action} {label} as {who}", f"{_BASE}/{action}", body, None, who))
        for col in (PLAIN, "_superusers", "si_posts", "nope"):
            cases.append(_post(f"{action} on {col}", f"/api/collections/{col}/{action}", {}, None, "anon"))
    for who in ("anon", "user", "superuser"):
        for label, body, raw in IMPERSONATE_BODIES:
            cases.append(_post(f"impersonate {label} as {who}", f"{_BASE}/impersonate/{USER_ID}", body, raw, who))
    for col, record in ((COLLECTION, "missing00000001"), (PLAIN, PLAIN_ID), ("si_posts", USER_ID), ("nope", USER_ID)):
        cases.append(_post(f"impersonate on {col} {record}", f"/api/collections/{col}/impersonate/{record}", {}, None, "superuser"))
    for col in (COLLECTION, PLAIN, "_superusers", "si_posts", "nope"):
        for query in ("", "?fields=password,otp"):
            cases.append(SignInCase(f"auth-methods of {col}{query}", Request("GET", f"/api/collections/{col}/auth-methods{query}", who="anon")))
    return cases


def setup(pair: Pair, smtp_port: int) -> None:
    """The collections and the signed-in user; both servers mail to the test's SMTP server."""
    if not pair.first_time("auth sign-in"):
        return
    pair.ok("PATCH", "/api/settings", {"smtp": {"enabled": True, "host": "127.0.0.1", "port": smtp_port},
                                       "meta": {"senderAddress": "support@acme.test"}})  # fmt: skip
    providers = [
        {"name": "oidc", "clientId": "cid", "clientSecret": "secret", "authURL": "http://127.0.0.1:1/auth",
         "tokenURL": "http://127.0.0.1:1/token", "userInfoURL": "http://127.0.0.1:1/userinfo", "displayName": "Local"},
        {"name": "github", "clientId": "cid", "clientSecret": "secret", "pkce": False},
    ]  # fmt: skip
    pair.ok("POST", "/api/collections", {
        "name": COLLECTION, "type": "auth", "createRule": "", "viewRule": "",
        "otp": {"enabled": True, "duration": 300, "length": 6}, "oauth2": {"enabled": True, "providers": providers},
    })  # fmt: skip
    pair.ok("POST", "/api/collections", {"name": PLAIN, "type": "auth"})
    pair.ok("POST", "/api/collections", {"name": "si_posts", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    pair.ok("POST", f"{_BASE}/records", {"id": USER_ID, "email": USER_EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD})
    pair.ok("POST", f"/api/collections/{PLAIN}/records", {"id": PLAIN_ID, "email": USER_EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD})
    for target in pair.targets:
        target.login("user", COLLECTION, USER_EMAIL)
