"""Rate limits (``settings.rateLimits``): request sequences under rules of every label kind x
audience x caller, compared with PocketBase request by request.

Every sequence uses a collection (or path) no other sequence touches, so their counters are
independent; the cases of one sequence run in order. ``teardown`` switches the limits off again.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from tests.conformance.harness import Answer, Pair, Request

PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}
USER_EMAIL, USER_PASSWORD = "rluser@example.com", "1234567890"
CALLERS = ("anon", "user", "superuser")
AUDIENCES = {"all": "", "guests": "@guest", "users": "@auth"}
REPEAT = 4  # each rule allows 2 per minute: 2 pass, then 429s


@dataclasses.dataclass(frozen=True)
class Sequence:
    """A rule (label made from the collection) and the request repeated against it."""

    name: str
    label: str  # "{c}" is the sequence's collection
    method: str
    path: str  # "{c}" likewise
    body: dict[str, Any] | None = None


SEQUENCES = [
    Sequence("collection create tag", "{c}:create", "POST", "/api/collections/{c}/records", {"t": "x"}),
    Sequence("wildcard list tag", "*:list", "GET", "/api/collections/{c}/records"),
    Sequence("collection view tag", "{c}:view", "GET", "/api/collections/{c}/records/missing000001"),
    Sequence("collection delete tag", "{c}:delete", "DELETE", "/api/collections/{c}/records/missing000001"),
    Sequence("prefix on records", "/api/collections/{c}/", "POST", "/api/collections/{c}/records", {"t": "y"}),
    Sequence("method and path on records (not applied)", "PATCH /api/collections/{c}/records/missing000001", "PATCH",
             "/api/collections/{c}/records/missing000001", {"t": "z"}),
    Sequence("exact path", "/api/collections/{c}", "GET", "/api/collections/{c}"),
    Sequence("method and path", "GET /api/collections/{c}/nothing", "GET", "/api/collections/{c}/nothing"),
    Sequence("prefix on another route", "/api/collections/{c}/other/", "GET", "/api/collections/{c}/other/x"),
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LimitCase:
    """One request of a sequence."""

    name: str
    request: Request

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


def _plan() -> list[tuple[str, Sequence, str, str]]:
    """(collection, sequence, audience, caller) for every combination, each with its collection."""
    plan = []
    for n, (seq, audience, who) in enumerate(itertools.product(SEQUENCES, AUDIENCES, CALLERS)):
        plan.append((f"rl{n:03d}", seq, audience, who))
    return plan


def build_cases() -> list[LimitCase]:
    cases: list[LimitCase] = []
    for collection, seq, audience, who in _plan():
        for i in range(REPEAT):
            req = Request(seq.method, seq.path.format(c=collection), json=seq.body, who=who)
            cases.append(LimitCase(f"{seq.name} for {audience} as {who} #{i + 1}", req))
    return cases


def setup(pair: Pair) -> None:
    """One collection per sequence, a user, and every rule at once (limits on)."""
    if not pair.first_time("ratelimit"):
        return
    rules: dict[tuple[str, str], dict[str, Any]] = {}
    for collection, seq, audience, _who in _plan():
        pair.ok("POST", "/api/collections", {"name": collection, **PUBLIC, "fields": [{"name": "t", "type": "text"}]})
        label = seq.label.format(c=collection)
        # NOTE: one "*:list" rule serves every wildcard sequence; each collection counts apart.
        if label.startswith("*:") and audience != "all":
            continue  # NOTE: PocketBase refuses an audience rule beside the all-audience one
        rules[(label, audience)] = {"label": label, "audience": AUDIENCES[audience], "duration": 60, "maxRequests": 2}
    user = {"email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}
    pair.ok("POST", "/api/collections/users/records", user)
    for target in pair.targets:
        target.login("user", "users", USER_EMAIL, USER_PASSWORD)
    pair.ok("PATCH", "/api/settings", {"rateLimits": {"enabled": True, "rules": list(rules.values())}})


def teardown(pair: Pair) -> None:
    """Limits off, so that later tables are not limited."""
    pair.ok("PATCH", "/api/settings", {"rateLimits": {"enabled": False}})
