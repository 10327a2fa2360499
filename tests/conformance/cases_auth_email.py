"""The email flows (request/confirm verification, password reset, email change) with bad and
good input, compared with PocketBase.

Tokens differ per server, so a body may hold a placeholder that each server's own token
replaces: ``{AUTH}`` (the user's auth token: a wrong type), ``{FORGED:<type>}`` (signed with a
wrong key), ``{EXPIRED:<type>}``, ``{VALID:<type>}``, ``{NOEMAIL:<type>}`` (valid, without the
email claims) and ``{OTHER:<type>}`` (valid, but its email claim is another address). Valid
tokens are signed with the record's tokenKey and the collection's secret, which a superuser
can read.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import jwt

from tests.conformance.harness import Answer, Pair, Request, Target

COLLECTION, OTHER_COLLECTION = "ae_users", "ae_others"
PASSWORD = "1234567890"
USER_ID, USER_EMAIL = "fixaeuser000001", "ae_user@example.com"
TAKEN_EMAIL = "ae_taken@example.com"
# set by the superuser on both servers, so each server's tokens can be made here
TOKEN_KEY, SECRET = "k" * 50, "s" * 50
SECRETS = {"verification": "verificationToken", "passwordReset": "passwordResetToken", "emailChange": "emailChangeToken"}

_BASE = f"/api/collections/{COLLECTION}"


def _bodies_common() -> list[tuple[str, Any, str | None]]:
    """(label, body, raw body) shapes every endpoint gets."""
    return [
        ("no body", None, None),
        ("malformed JSON", None, "{"),
        ("empty object", {}, None),
        ("JSON list", None, "[1]"),
    ]


# endpoint -> [(label, body)]
BODIES: dict[str, list[tuple[str, Any]]] = {
    "request-verification": [
        ("number email", {"email": 5}), ("malformed email", {"email": "nope"}), ("long email", {"email": "a" * 250 + "@x.io"}),
        ("unknown email", {"email": "nobody@example.com"}), ("known email", {"email": USER_EMAIL}),
        ("other case email", {"email": USER_EMAIL.upper()}),
    ],
    "confirm-verification": [
        ("number token", {"token": 1}), ("garbage token", {"token": "abc"}), ("auth token", {"token": "{AUTH}"}),
        ("forged token", {"token": "{FORGED:verification}"}), ("expired token", {"token": "{EXPIRED:verification}"}),
        ("reset token", {"token": "{VALID:passwordReset}"}), ("token without email", {"token": "{NOEMAIL:verification}"}),
        ("token for another email", {"token": "{OTHER:verification}"}),
    ],
    "request-password-reset": [
        ("number email", {"email": True}), ("malformed email", {"email": "a@"}), ("unknown email", {"email": "nobody@example.com"}),
        ("known email", {"email": USER_EMAIL}),
    ],
    "confirm-password-reset": [
        ("only a token", {"token": "{VALID:passwordReset}"}),
        ("mismatch", {"token": "{VALID:passwordReset}", "password": "new-pass-123", "passwordConfirm": "other-pass-1"}),
        ("short password", {"token": "{VALID:passwordReset}", "password": "short", "passwordConfirm": "short"}),
        ("long password", {"token": "{VALID:passwordReset}", "password": "p" * 256, "passwordConfirm": "p" * 256}),
        ("auth token", {"token": "{AUTH}", "password": "new-pass-123", "passwordConfirm": "new-pass-123"}),
        ("forged token", {"token": "{FORGED:passwordReset}", "password": "new-pass-123", "passwordConfirm": "new-pass-123"}),
        ("expired token", {"token": "{EXPIRED:passwordReset}", "password": "new-pass-123", "passwordConfirm": "new-pass-123"}),
        ("verification token", {"token": "{VALID:verification}", "password": "new-pass-123", "passwordConfirm": "new-pass-123"}),
        ("number password", {"token": "{VALID:passwordReset}", "password": 12345678, "passwordConfirm": "12345678"}),
    ],
    "request-email-change": [
        ("number email", {"newEmail": 3}), ("malformed email", {"newEmail": "x"}), ("same email", {"newEmail": USER_EMAIL}),
        ("taken email", {"newEmail": TAKEN_EMAIL}), ("free email", {"newEmail": "ae_free@example.com"}),
    ],
    "confirm-email-change": [
        ("only a token", {"token": "{VALID:emailChange}"}),
        ("wrong password", {"token": "{VALID:emailChange}", "password": "wrong-one-1"}),
        ("long password", {"token": "{VALID:emailChange}", "password": "p" * 101}),
        ("token without newEmail", {"token": "{NOEMAIL:emailChange}", "password": PASSWORD}),
        ("token for a taken email", {"token": "{TAKEN:emailChange}", "password": PASSWORD}),
        ("auth token", {"token": "{AUTH}", "password": PASSWORD}),
        ("forged token", {"token": "{FORGED:emailChange}", "password": PASSWORD}),
        ("expired token", {"token": "{EXPIRED:emailChange}", "password": PASSWORD}),
        ("reset token", {"token": "{VALID:passwordReset}", "password": PASSWORD}),
    ],
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class EmailCase:
    """One request; its body placeholders are filled per server."""

    name: str
    request: Request

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


def build_cases() -> list[EmailCase]:
    """Each endpoint x common shapes and its own bodies, as each caller; other collections."""
    cases: list[EmailCase] = []
    for action, bodies in BODIES.items():
        url = f"{_BASE}/{action}"
        callers = ("anon", "user") if action != "request-email-change" else ("anon", "user", "other", "superuser")
        for who in callers:
            for label, body, raw in _bodies_common():
                if raw is not None:
                    req = Request("POST", url, raw=raw.encode(), content_type="application/json", who=who)
                else:
                    req = Request("POST", url, json=body, who=who)
                cases.append(EmailCase(f"{action} {label} as {who}", req))
            for label, body in bodies:
                cases.append(EmailCase(f"{action} {label} as {who}", Request("POST", url, json=body, who=who)))
        for col in ("_superusers", "posts_ae", "nope"):
            cases.append(EmailCase(f"{action} on {col}", Request("POST", f"/api/collections/{col}/{action}", json={}, who="anon")))
        if action.startswith("confirm"):
            body = dict(bodies[-1][1])
            body["token"] = "{VALID:" + {"confirm-verification": "verification", "confirm-password-reset": "passwordReset",
                                         "confirm-email-change": "emailChange"}[action] + "}"  # fmt: skip
            cases.append(EmailCase(f"{action} token of another collection",
                                   Request("POST", f"/api/collections/{OTHER_COLLECTION}/{action}", json=body, who="anon")))  # fmt: skip
    return cases


def setup(pair: Pair, smtp_port: int) -> None:
    """Two auth collections, a base one, the user (signed in), a record holding a taken email,
    and SMTP settings pointing both servers at the test's mail server."""
    if not pair.first_time("auth email"):
        return
    pair.ok("PATCH", "/api/settings", {"smtp": {"enabled": True, "host": "127.0.0.1", "port": smtp_port},
                                       "meta": {"senderAddress": "support@acme.test", "appURL": "http://acme.test"}})  # fmt: skip
    secrets = {option: {"duration": 3600, "secret": SECRET} for option in SECRETS.values()}
    pair.ok("POST", "/api/collections", {"name": COLLECTION, "type": "auth", "createRule": "", "updateRule": "", "viewRule": "", **secrets})
    pair.ok("POST", "/api/collections", {"name": OTHER_COLLECTION, "type": "auth"})
    pair.ok("POST", "/api/collections", {"name": "posts_ae", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    pair.ok("POST", f"{_BASE}/records", {"id": USER_ID, "email": USER_EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD})
    pair.ok("PATCH", f"{_BASE}/records/{USER_ID}", {"tokenKey": TOKEN_KEY})
    pair.ok("POST", f"{_BASE}/records", {"email": TAKEN_EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD})
    pair.ok("POST", f"{_BASE}/records", {"email": "ae_other@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD})
    for target in pair.targets:
        target.login("user", COLLECTION, USER_EMAIL)
        target.login("other", COLLECTION, "ae_other@example.com")


def fill(target: Target, req: Request) -> Request:
    """The request with this server's tokens in place of the body placeholders."""
    if not isinstance(req.json, dict):
        return req
    body = {k: (_token(target, v) if isinstance(v, str) and v.startswith("{") else v) for k, v in req.json.items()}
    return dataclasses.replace(req, json=body)


def _token(target: Target, placeholder: str) -> str:
    kind, _, token_type = placeholder.strip("{}").partition(":")
    if kind == "AUTH":
        return target.tokens["user"]
    collection = target.ok("GET", f"/api/collections/{COLLECTION}")
    record = target.ok("GET", f"{_BASE}/records/{USER_ID}")
    key = TOKEN_KEY + SECRET
    claims: dict[str, Any] = {"id": USER_ID, "collectionId": collection["id"], "type": token_type, "exp": int(time.time()) + 3600}
    if kind != "NOEMAIL":
        claims["email"] = record["email"] if kind != "OTHER" else "someone@example.com"
        if token_type == "emailChange":
            claims["newEmail"] = TAKEN_EMAIL if kind == "TAKEN" else "ae_new@example.com"
    if kind == "EXPIRED":
        claims["exp"] = int(time.time()) - 60
    if kind == "FORGED":
        key = "not-the-key"
    return jwt.encode(claims, key, algorithm="HS256")


def ask(pair: Pair, case: EmailCase) -> tuple[Answer, Answer]:
    """Both answers, each server with its own tokens."""
    from tests.conformance.harness import normalise

    return tuple(normalise(t.send(fill(t, case.request))) for t in pair.targets)  # type: ignore[return-value]
