"""Auth system fields (email, verified, password, tokenKey, emailVisibility) set through create,
update and batch by each kind of caller, compared with PocketBase.

PocketBase lets only a superuser or a caller passing the collection's ``manageRule`` change
``verified`` (and ``email`` on update), asks for ``oldPassword`` before anyone else changes a
password, and drops ``tokenKey`` from any non-superuser body. Every update case changes a record
of its own (so successful changes do not leak into other cases); an ``owner`` case signs in as
that record.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from tests.conformance.harness import Answer, Pair, Request

COLLECTION = "af_users"
PASSWORD = "1234567890"
MANAGER_EMAIL, OTHER_EMAIL = "af_manager@example.com", "af_other@example.com"
RULES = {
    "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": None,
    "manageRule": "@request.auth.role = 'admin'",
}  # fmt: skip
CREATE_CALLERS = ("anon", "other", "manager", "superuser")
UPDATE_CALLERS = ("anon", "owner", "other", "manager", "superuser")
NEW_PASSWORD = "new-password-1"

# (name, body) applied to a fresh record; "{n}" is the case's number
UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("email", {"email": "af_changed{n}@example.com"}),
    ("same email", {"email": "af{n}@example.com"}),
    ("verified", {"verified": True}),
    ("verified unchanged", {"verified": False}),
    ("verified text", {"verified": "true"}),
    ("email and verified", {"email": "af_changed{n}@example.com", "verified": True}),
    ("email and bad role", {"email": "af_changed{n}@example.com", "role": "x" * 30}),
    ("bad role", {"role": "x" * 30}),
    ("emailVisibility", {"emailVisibility": True}),
    ("tokenKey", {"tokenKey": "k" * 50}),
    ("password without old", {"password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}),
    ("password with old", {"password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD, "oldPassword": PASSWORD}),
    ("password with wrong old", {"password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD, "oldPassword": "nope-nope-1"}),
    ("password confirm only", {"passwordConfirm": NEW_PASSWORD}),
    ("old password only", {"oldPassword": PASSWORD}),
    ("verified and password without old", {"verified": True, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}),
]  # fmt: skip

# (name, extra body) of a create; email and password are always given
CREATES: list[tuple[str, dict[str, Any]]] = [
    ("plain", {}),
    ("verified", {"verified": True}),
    ("verified false", {"verified": False}),
    ("tokenKey", {"tokenKey": "k" * 50}),
    ("emailVisibility", {"emailVisibility": True}),
    ("verified and bad role", {"verified": True, "role": "x" * 30}),
]


@dataclasses.dataclass(frozen=True)
class FieldCase:
    """One request; ``target`` is the record made for it in setup (its number), if any."""

    name: str
    request: Request
    target: int = 0
    owner: bool = False

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


def _fill(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {k: (v.format(n=n) if isinstance(v, str) else v) for k, v in body.items()}


def _record_id(n: int) -> str:
    return f"fixafield{n:06d}"


def build_cases() -> list[FieldCase]:
    """Updates and creates by each caller, alone and in a batch."""
    cases: list[FieldCase] = []
    counter = itertools.count(1)
    records = f"/api/collections/{COLLECTION}/records"
    for (label, body), who, batch in itertools.product(UPDATES, UPDATE_CALLERS, (False, True)):
        n = next(counter)
        caller = f"owner{n}" if who == "owner" else who
        url = f"{records}/{_record_id(n)}"
        if batch:
            sub = {"method": "PATCH", "url": url, "body": _fill(body, n)}
            req = Request("POST", "/api/batch", json={"requests": [sub]}, who=caller)
        else:
            req = Request("PATCH", url, json=_fill(body, n), who=caller)
        kind = "batch update" if batch else "update"
        cases.append(FieldCase(f"{kind} {label} as {who}", req, target=n, owner=who == "owner"))
        # what was stored (as the superuser sees it)
        cases.append(FieldCase(f"{kind} {label} as {who}: stored", Request("GET", url)))
    for (label, extra), who, batch in itertools.product(CREATES, CREATE_CALLERS, (False, True)):
        n = next(counter)
        body = {"id": _record_id(n), "email": f"af{n}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
        if batch:
            req = Request("POST", "/api/batch", json={"requests": [{"method": "POST", "url": records, "body": body}]}, who=who)
        else:
            req = Request("POST", records, json=body, who=who)
        kind = "batch create" if batch else "create"
        cases.append(FieldCase(f"{kind} {label} as {who}", req))
        cases.append(FieldCase(f"{kind} {label} as {who}: stored", Request("GET", f"{records}/{_record_id(n)}")))
    return cases


def setup(pair: Pair) -> None:
    """The auth collection, a manager and another user (signed in), and one record per update."""
    if not pair.first_time("auth fields"):
        return
    fields = [{"name": "role", "type": "text", "max": 10}]
    made = pair.ok("POST", "/api/collections", {"name": COLLECTION, "type": "auth", **RULES, "fields": fields})
    for target, collection in zip(pair.targets, made, strict=True):
        # PERF: bcrypt's least cost (PocketBase's default is 10, ~60x the work): the setup signs
        # up and signs in ~200 users on each server, and the cases make and check passwords
        cheap = [{**f, "cost": 4} if f["name"] == "password" else f for f in collection["fields"]]
        target.ok("PATCH", f"/api/collections/{COLLECTION}", {"fields": cheap})
    pair.ok("PATCH", "/api/settings", {"batch": {"enabled": True, "maxRequests": 5}})
    for email, role in ((MANAGER_EMAIL, "admin"), (OTHER_EMAIL, "")):
        pair.ok("POST", f"/api/collections/{COLLECTION}/records", {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, "role": role})
    for target in pair.targets:
        target.login("manager", COLLECTION, MANAGER_EMAIL)
        target.login("other", COLLECTION, OTHER_EMAIL)
    for case in build_cases():
        if not case.target:
            continue
        n = case.target
        body = {"id": _record_id(n), "email": f"af{n}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        pair.ok("POST", f"/api/collections/{COLLECTION}/records", body)
        if case.owner:
            for target in pair.targets:
                target.login(f"owner{n}", COLLECTION, body["email"])
