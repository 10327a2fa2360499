"""API rules for every records operation, as anonymous, user and superuser callers.

Each case sets one rule of the ``notes`` collection, sends one request and checks the status
(403: rule is null and the caller is no superuser; 404: view/update/delete of a record the rule
hides; 400: create rule not satisfied), the ids a list returns, and that a refused write wrote
nothing. The data set is the filter table's plus ``notes``; with ``PYBASE_PB_BINARY`` set the
same cases run against PocketBase too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import testapp
from tests.data.filter_cases import (
    N1,
    N2,
    N3,
    NOTE_RECORDS,
    NOTES,
    U1,
    U2,
    WHO,
    Client,
    add_superuser,
    build_dataset,
    build_notes,
    pocketbase_binary,
    run_pocketbase,
)

pytestmark = pytest.mark.both_backends

NOTE_NAMES = {"N1": N1, "N2": N2, "N3": N3}
NEW = "newnote00000001"
SUPERUSERS_ONLY = "Only superusers can perform this action."
CREATE_FAILED = "Failed to create record."


@dataclass(frozen=True)
class RuleCase:
    """One request against ``notes`` with one rule set.

    ``expected`` is the status; for a list, ``ids`` names the notes returned (``N1 N3``).
    """

    name: str
    rule: str
    value: str | None
    op: str
    who: str
    expected: int
    target: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    ids: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    message: str | None = None


def _cases() -> list[RuleCase]:
    c = RuleCase
    owner = "owner = @request.auth.id"
    return [
        # ---- list
        c("null listRule, anonymous", "listRule", None, "list", "anon", 403, message=SUPERUSERS_ONLY),
        c("null listRule, user", "listRule", None, "list", "u1", 403, message=SUPERUSERS_ONLY),
        c("null listRule, superuser", "listRule", None, "list", "su", 200, ids="N1 N2 N3"),
        c("public listRule, anonymous", "listRule", "", "list", "anon", 200, ids="N1 N2 N3"),
        c("owner listRule, anonymous sees the ownerless note", "listRule", owner, "list", "anon", 200, ids="N3"),
        c("owner listRule, user", "listRule", owner, "list", "u1", 200, ids="N1"),
        c("owner listRule, other user", "listRule", owner, "list", "u2", 200, ids="N2"),
        c("owner listRule, superuser", "listRule", owner, "list", "su", 200, ids="N1 N2 N3"),
        c("signed-in listRule, anonymous", "listRule", '@request.auth.id != ""', "list", "anon", 200, ids=""),
        c("signed-in listRule, user", "listRule", '@request.auth.id != ""', "list", "u3", 200, ids="N1 N2 N3"),
        c("auth relation listRule, red team user", "listRule", '@request.auth.team.name = "Red"', "list", "u1", 200,
          ids="N1 N2 N3"),
        c("auth relation listRule, blue team user", "listRule", '@request.auth.team.name = "Red"', "list", "u2", 200,
          ids=""),
        c("auth relation listRule, anonymous", "listRule", '@request.auth.team.name = "Red"', "list", "anon", 200,
          ids=""),
        c("relation vs auth relation, user", "listRule", "owner.team = @request.auth.team", "list", "u1", 200, ids="N1"),
        c("relation vs auth relation, teamless user", "listRule", "owner.team = @request.auth.team", "list", "u3", 200,
          ids="N3"),
        c("relation vs auth relation, anonymous", "listRule", "owner.team = @request.auth.team", "list", "anon", 200,
          ids="N3"),
        c("hidden auth field in a rule", "listRule", '@request.auth.pin = "1111"', "list", "u1", 200, ids="N1 N2 N3"),
        c("hidden auth field in a rule, other user", "listRule", '@request.auth.pin = "1111"', "list", "u2", 200, ids=""),
        c("auth email in a rule", "listRule", '@request.auth.email ~ "u2@"', "list", "u2", 200, ids="N1 N2 N3"),
        c("related email in a rule ignores emailVisibility", "listRule", 'owner.email = "u2@example.com"', "list", "u1",
          200, ids="N2"),
        c("auth collection and multi select", "listRule", '@request.auth.collectionName = "users" && tags ~ "b"',
          "list", "u1", 200, ids="N2"),
        c("@collection in a rule, commenter", "listRule", "@collection.comments.author ?= @request.auth.id", "list",
          "u3", 200, ids="N1 N2 N3"),
        c("@collection in a rule, anonymous", "listRule", "@collection.comments.author ?= @request.auth.id", "list",
          "anon", 200, ids=""),
        c("listRule and filter together", "listRule", owner, "list", "u1", 200, ids="",
          params=(("filter", 'title = "n2"'),)),
        c("rule can use hidden fields the filter cannot", "listRule", '@request.auth.pin != ""', "list", "u1", 400,
          params=(("filter", 'owner.pin != ""'),)),
        c("query param in a list rule", "listRule", '@request.query.key = "k1"', "list", "anon", 200, ids="N1 N2 N3",
          params=(("key", "k1"),)),
        # ---- view
        c("null viewRule, anonymous", "viewRule", None, "view", "anon", 403, target=N1, message=SUPERUSERS_ONLY),
        c("null viewRule, user", "viewRule", None, "view", "u1", 403, target=N1),
        c("null viewRule, superuser", "viewRule", None, "view", "su", 200, target=N1),
        c("owner viewRule, owner", "viewRule", owner, "view", "u1", 200, target=N1),
        c("owner viewRule, other user gets 404", "viewRule", owner, "view", "u1", 404, target=N2),
        c("owner viewRule, anonymous gets 404", "viewRule", owner, "view", "anon", 404, target=N2),
        c("owner viewRule, anonymous and the ownerless note", "viewRule", owner, "view", "anon", 200, target=N3),
        c("owner viewRule, superuser", "viewRule", owner, "view", "su", 200, target=N2),
        c("unknown id", "viewRule", "", "view", "u1", 404, target="nope00000000000"),
        c("query param viewRule, matching", "viewRule", '@request.query.key = "secret"', "view", "anon", 200,
          target=N1, params=(("key", "secret"),)),
        c("query param viewRule, missing", "viewRule", '@request.query.key = "secret"', "view", "anon", 404, target=N1),
        c("header viewRule", "viewRule", '@request.headers.x_key = "k"', "view", "anon", 200, target=N1,
          headers=(("X-Key", "k"),)),
        c("method viewRule", "viewRule", '@request.method = "GET"', "view", "anon", 200, target=N1),
        c("context viewRule", "viewRule", '@request.context = "default"', "view", "anon", 200, target=N1),
        # ---- create (rule checked against the submitted record, in the write transaction)
        c("null createRule, anonymous", "createRule", None, "create", "anon", 403, body={"title": "x"},
          message=SUPERUSERS_ONLY),
        c("null createRule, user", "createRule", None, "create", "u1", 403, body={"title": "x"}),
        c("null createRule, superuser", "createRule", None, "create", "su", 200, body={"title": "x"}),
        c("public createRule, anonymous", "createRule", "", "create", "anon", 200, body={"title": "x"}),
        c("signed-in createRule, anonymous", "createRule", '@request.auth.id != ""', "create", "anon", 400,
          body={"title": "x"}, message=CREATE_FAILED),
        c("signed-in createRule, user", "createRule", '@request.auth.id != ""', "create", "u1", 200, body={"title": "x"}),
        c("owner createRule, own record", "createRule", owner, "create", "u1", 200, body={"owner": U1}),
        c("owner createRule, someone else's", "createRule", owner, "create", "u1", 400, body={"owner": U2}),
        c("owner createRule, anonymous without owner", "createRule", owner, "create", "anon", 200, body={"title": "x"}),
        c("body isset, present", "createRule", "@request.body.title:isset = true", "create", "anon", 200,
          body={"title": "x"}),
        c("body isset, missing", "createRule", "@request.body.title:isset = true", "create", "anon", 400,
          body={"count": 1}),
        c("body number limit, ok", "createRule", "@request.body.count:isset = false || @request.body.count < 10",
          "create", "anon", 200, body={"count": 5}),
        c("body number limit, too big", "createRule", "@request.body.count:isset = false || @request.body.count < 10",
          "create", "anon", 400, body={"count": 50}),
        c("body number limit, absent", "createRule", "@request.body.count:isset = false || @request.body.count < 10",
          "create", "anon", 200, body={"title": "x"}),
        c("body length, ok", "createRule", "@request.body.tags:length <= 2", "create", "anon", 200, body={"tags": ["a"]}),
        c("body length, too long", "createRule", "@request.body.tags:length <= 2", "create", "anon", 400,
          body={"tags": ["a", "b", "c"]}),
        c("body each, ok", "createRule", '@request.body.tags:each != "c"', "create", "anon", 200,
          body={"tags": ["a", "b"]}),
        c("body each, one bad item", "createRule", '@request.body.tags:each != "c"', "create", "anon", 400,
          body={"tags": ["a", "c"]}),
        c("body each any, ok", "createRule", '@request.body.tags:each ?= "c"', "create", "anon", 200,
          body={"tags": ["a", "c"]}),
        c("body relation traversal, ok", "createRule", '@request.body.owner.team.name = "Red"', "create", "anon", 200,
          body={"owner": U1}),
        c("body relation traversal, other team", "createRule", '@request.body.owner.team.name = "Red"', "create",
          "anon", 400, body={"owner": U2}),
        c("body relation traversal, no relation", "createRule", '@request.body.owner.team.name = "Red"', "create",
          "anon", 400, body={"title": "x"}),
        c("body lower", "createRule", '@request.body.title:lower = "hello"', "create", "anon", 200,
          body={"title": "HeLLo"}),
        c("record value, ok", "createRule", 'title ~ "ok"', "create", "anon", 200, body={"title": "is ok"}),
        c("record value, refused", "createRule", 'title ~ "ok"', "create", "anon", 400, body={"title": "bad"}),
        c("record relation", "createRule", 'count > 0 && owner.name = "Alice"', "create", "anon", 200,
          body={"owner": U1, "count": 1}),
        c("record relation, refused", "createRule", 'count > 0 && owner.name = "Alice"', "create", "anon", 400,
          body={"owner": U2, "count": 1}),
        c("context createRule", "createRule", '@request.context = "default"', "create", "anon", 200, body={}),
        c("@collection createRule, existing title", "createRule", "@collection.notes.title ?= @request.body.title",
          "create", "anon", 200, body={"title": "n1"}),
        c("superuser bypasses the createRule", "createRule", "1 = 2", "create", "su", 200, body={"title": "x"}),
        # ---- update (rule checked against the stored record, body as submitted)
        c("null updateRule, anonymous", "updateRule", None, "update", "anon", 403, target=N1, body={"title": "x"}),
        c("null updateRule, user", "updateRule", None, "update", "u1", 403, target=N1, body={"title": "x"}),
        c("null updateRule, superuser", "updateRule", None, "update", "su", 200, target=N1, body={"title": "x"}),
        c("owner updateRule, owner", "updateRule", owner, "update", "u1", 200, target=N1, body={"title": "x"}),
        c("owner updateRule, other user gets 404", "updateRule", owner, "update", "u1", 404, target=N2,
          body={"title": "x"}),
        c("owner updateRule, anonymous and the ownerless note", "updateRule", owner, "update", "anon", 200, target=N3,
          body={"title": "x"}),
        c("changed, unchanged value", "updateRule", "@request.body.title:changed = false", "update", "anon", 200,
          target=N1, body={"title": "n1"}),
        c("changed, new value", "updateRule", "@request.body.title:changed = false", "update", "anon", 404,
          target=N1, body={"title": "x"}),
        c("changed, absent", "updateRule", "@request.body.title:changed = false", "update", "anon", 200,
          target=N1, body={"count": 3}),
        c("isset forbids a field", "updateRule", "@request.body.count:isset = false", "update", "anon", 404,
          target=N1, body={"count": 3}),
        c("body vs auth, same owner", "updateRule",
          "@request.body.owner = @request.auth.id || @request.body.owner:isset = false", "update", "u1", 200,
          target=N1, body={"owner": U1}),
        c("body vs auth, other owner", "updateRule",
          "@request.body.owner = @request.auth.id || @request.body.owner:isset = false", "update", "u1", 404,
          target=N1, body={"owner": U2}),
        c("stored vs body, larger", "updateRule", "count < @request.body.count", "update", "anon", 200, target=N1,
          body={"count": 5}),
        c("stored vs body, smaller", "updateRule", "count < @request.body.count", "update", "anon", 404, target=N1,
          body={"count": 0}),
        # ---- delete
        c("null deleteRule, anonymous", "deleteRule", None, "delete", "anon", 403, target=N1),
        c("null deleteRule, user", "deleteRule", None, "delete", "u1", 403, target=N1),
        c("null deleteRule, superuser", "deleteRule", None, "delete", "su", 204, target=N1),
        c("owner deleteRule, other user gets 404", "deleteRule", owner, "delete", "u1", 404, target=N2),
        c("owner deleteRule, owner", "deleteRule", owner, "delete", "u1", 204, target=N1),
        c("verified deleteRule, unverified user", "deleteRule", "@request.auth.verified = true", "delete", "u3", 404,
          target=N1),
        c("verified deleteRule, verified user", "deleteRule", "@request.auth.verified = true", "delete", "u2", 204,
          target=N1),
        c("unknown id with a public deleteRule", "deleteRule", "", "delete", "anon", 404, target="nope00000000000"),
    ]  # fmt: skip


CASES = _cases()

# NOTE: pybase checks the createRule after the INSERT (inside the same transaction), so
# `@collection.notes` also sees the new row; PocketBase checks before it. Needs the check to
# run before the insert (record_save), see the issue 3 report.
# NOTE: these two need the record pipeline (rule before the INSERT, body modifiers resolved).
PIPELINE_CASES: list[RuleCase] = [
    RuleCase("@collection createRule, new title", "createRule", "@collection.notes.title ?= @request.body.title",
             "create", "anon", 400, body={"title": "zzz"}),
    # NOTE: PocketBase applies `count+` before the rule sees @request.body.
    RuleCase("modifier seen as the new value", "updateRule", "@request.body.count > 2", "update", "anon", 200,
             target=N1, body={"count+": 2}),
]  # fmt: skip


def run_rule_case(client: Client, case: RuleCase) -> list[str]:
    """Apply the rule, send the request, restore the data; returns what differs from expected."""
    problems: list[str] = []
    client.ok("PATCH", NOTES, json={case.rule: case.value})
    who = WHO[case.who]
    params = dict(case.params)
    headers = dict(case.headers)
    try:
        if case.op == "list":
            resp = client.request("GET", f"{NOTES}/records", who=who, params=params, headers=headers)
        elif case.op == "view":
            resp = client.request("GET", f"{NOTES}/records/{case.target}", who=who, params=params, headers=headers)
        elif case.op == "create":
            body = {"id": NEW, **case.body}
            resp = client.request("POST", f"{NOTES}/records", who=who, json=body, params=params, headers=headers)
        elif case.op == "update":
            resp = client.request("PATCH", f"{NOTES}/records/{case.target}", who=who, json=case.body, params=params,
                                  headers=headers)  # fmt: skip
        else:
            resp = client.request("DELETE", f"{NOTES}/records/{case.target}", who=who, params=params, headers=headers)
        if resp.status_code != case.expected:
            problems.append(f"status {resp.status_code} (expected {case.expected}): {resp.text[:300]}")
        if case.message is not None and resp.status_code >= 400 and resp.json().get("message") != case.message:
            problems.append(f"message {resp.json().get('message')!r}")
        if case.ids is not None and resp.status_code == 200:
            names = {v: k for k, v in NOTE_NAMES.items()}
            got = sorted(names.get(item["id"], item["id"]) for item in resp.json()["items"])
            if got != sorted(case.ids.split()):
                problems.append(f"ids {got} (expected {case.ids!r})")
        problems.extend(_check_and_restore(client, case, resp.status_code))
    finally:
        client.ok("PATCH", NOTES, json={case.rule: ""})
    return problems


def _check_and_restore(client: Client, case: RuleCase, status: int) -> list[str]:
    problems: list[str] = []
    stored = {item["id"]: item for item in client.ok("GET", f"{NOTES}/records?perPage=100")["items"]}
    if case.op == "create":
        if status == 200:
            client.ok("DELETE", f"{NOTES}/records/{NEW}")
        elif NEW in stored:
            problems.append("a refused create wrote the record")
            client.ok("DELETE", f"{NOTES}/records/{NEW}")
    original = {record["id"]: record for record in NOTE_RECORDS}.get(case.target)
    if case.op == "update" and original is not None:
        current = stored[case.target]
        changed = any(current.get(k) != v for k, v in original.items())
        if status != 200 and changed:
            problems.append("a refused update wrote the record")
        if changed:
            client.ok("PATCH", f"{NOTES}/records/{case.target}", json=original)
    if case.op == "delete" and original is not None:
        if case.target not in stored:
            if status != 204:
                problems.append("a refused delete removed the record")
            client.ok("POST", f"{NOTES}/records", json=original)
    return problems


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory, backend: str, databases: Any) -> Iterator[Client]:
    """A pybase with the filter data set and ``notes``."""
    url = databases.new(backend)
    server = testapp.start_server(tmp_path_factory.mktemp("rules"), None, url)
    try:
        add_superuser(server)
        client = build_dataset(server.base_url)
        build_notes(client)
        yield client
    finally:
        server.stop()
        databases.drop(url)


def test_every_operation_and_caller_is_covered() -> None:
    covered = {(case.op, case.who if case.who != "u3" else "u1") for case in CASES}
    for op in ("list", "view", "create", "update", "delete"):
        for who in ("anon", "u1", "su"):
            assert (op, who) in covered, (op, who)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_rule_case(notes: Client, case: RuleCase) -> None:
    assert run_rule_case(notes, case) == []


@pytest.mark.parametrize("case", PIPELINE_CASES, ids=lambda case: case.name)
def test_pipeline_rule_cases(notes: Client, case: RuleCase) -> None:
    assert run_rule_case(notes, case) == []


@pytest.mark.skipif(pocketbase_binary() is None, reason="set PYBASE_PB_BINARY to compare with PocketBase")
def test_rule_cases_match_pocketbase() -> None:
    binary = pocketbase_binary()
    assert binary is not None
    with run_pocketbase(binary) as url:
        client = build_dataset(url)
        build_notes(client)
        problems = {case.name: run_rule_case(client, case) for case in CASES + PIPELINE_CASES}
    assert {name: p for name, p in problems.items() if p} == {}
