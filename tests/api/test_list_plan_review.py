"""Review of the compiled list plans (record_access.list_records) and the straight row export
(serialize.rows_to_json): a plan compiled for one caller must answer another exactly as a list
compiled for that caller's request, whatever values of the same shape it brings (numbers read
from text for number fields, bools, empties, NULLs, any-item operators, callers of another auth
collection, impersonation), and across collection changes made while plans are cached. Each
answer is compared with the same list sorted by ``@rowid`` (the order an unsorted list has),
which keeps it off the plans. On both databases. The collection changes and the row export are
in tests/api/test_list_plan_review_changes.py (a file of their own: xdist runs it beside this one).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.testapp import USER1_ID, USER2_ID

pytestmark = pytest.mark.both_backends

RULES = [
    "n = @request.query.n", "n >= @request.headers.x_n", "n != @request.query.n", "label = @request.query.n",
    "done = @request.headers.x_done", "done != @request.query.done", "editors:each ?= @request.headers.x_who",
    "tags:each ?!= @request.query.t", "tags:each ?= @request.query.t", "editors:each ?!= @request.auth.id",
    "@request.auth.collectionName = 'users' || owner = @request.auth.id", "@request.auth.verified = true",
    "@request.auth.emailVisibility = false && n > 0", "@request.auth.email != '' && owner = @request.auth.id",
    "@request.headers.x_team = label || @request.query.n = label", "@request.auth.collectionId = 'members0000000'",
]
ROWS = [
    {"label": "1", "n": 1, "done": True, "owner": USER1_ID, "editors": [USER2_ID], "tags": ["a"]},
    {"label": "red", "n": 0, "done": False, "owner": USER2_ID, "editors": [], "tags": []},
    {"label": "", "n": -2.5, "done": True, "owner": "", "editors": [USER1_ID, USER2_ID], "tags": ["a", "b"]},
    {"label": "1.0", "n": 10, "done": False, "owner": USER1_ID, "editors": [USER1_ID], "tags": ["b"]},
]  # fmt: skip
# (headers, query) pairs: values of the same shape differing in value, text read as numbers or
# not, empty, repeated keys (the first counts), header names in other cases
EXTRAS = [
    ({}, ""), ({"X-N": "1", "X-Done": "true", "X-Who": USER1_ID, "X-Team": "red"}, "&n=1&done=true&t=a"),
    ({"X-N": "abc", "X-Done": "1", "X-Who": USER2_ID}, "&n=abc&done=1&t=b"),
    ({"x-n": "", "x-done": "", "x-who": ""}, "&n=&done=&t="), ({"X-N": "1e400"}, "&n=nan&n=1"),
    ({"X-n": "-2.5", "X-DONE": "false", "X-TEAM": ""}, "&n=1.0&n=abc&t=c"),
]  # fmt: skip


def _setup(server) -> dict[str, str]:
    su = {"Authorization": server.token("superuser")}
    users = server.request("GET", "/api/collections/users", headers=su).json()["id"]
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "plans", "listRule": "", "fields": [
            {"name": "label", "type": "text"}, {"name": "n", "type": "number"}, {"name": "done", "type": "bool"},
            {"name": "owner", "type": "relation", "collectionId": users, "maxSelect": 1},
            {"name": "editors", "type": "relation", "collectionId": users, "maxSelect": 5},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
        ]})  # fmt: skip
    assert resp.status_code == 200, resp.text
    for row in ROWS:
        resp = server.request("POST", "/api/collections/plans/records", headers=su, json=row)
        assert resp.status_code == 200, resp.text
    resp = server.request("POST", "/api/collections", headers=su, json={
        "id": "members0000000", "name": "members", "type": "auth", "fields": [{"name": "nick", "type": "text"}],
    })  # fmt: skip
    assert resp.status_code == 200, resp.text
    resp = server.request("POST", "/api/collections/members/records", headers=su, json={
        "id": USER1_ID, "email": "m@example.com", "password": "1234567890", "passwordConfirm": "1234567890",
        "verified": True, "emailVisibility": True,
    })  # fmt: skip
    assert resp.status_code == 200, resp.text
    resp = server.request("PATCH", f"/api/collections/users/records/{USER2_ID}", headers=su, json={"verified": False})
    assert resp.status_code == 200, resp.text
    return su


def _callers(server, su: dict[str, str]) -> dict[str, dict[str, str]]:
    resp = server.request("POST", "/api/collections/members/auth-with-password",
                          json={"identity": "m@example.com", "password": "1234567890"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    member = resp.json()["token"]
    resp = server.request("POST", f"/api/collections/users/impersonate/{USER2_ID}", headers=su, json={})
    assert resp.status_code == 200, resp.text
    return {
        "guest": {}, "user1": {"Authorization": server.token("user1")},
        "user2": {"Authorization": server.token("user2")},
        # NOTE: a member with user1's id, in another auth collection
        "member": {"Authorization": member}, "impersonated user2": {"Authorization": resp.json()["token"]},
        "superuser": su,
    }  # fmt: skip


def _compare(server, callers, filters, label, extras=EXTRAS) -> set:
    """Each caller x extra x filter: planned (compiled by the first caller of its shape, reused
    by the next ones) vs fresh; the answers' (status, totalItems) seen."""
    seen = set()
    for who, auth in callers.items():
        for more_headers, query in extras:
            headers = {**auth, **more_headers}
            for filter_text in filters:
                base = f"/api/collections/plans/records?perPage=2{query}&filter={quote(filter_text)}"
                planned = server.request("GET", base, headers=headers)
                fresh = server.request("GET", f"{base}&sort=@rowid", headers=headers)
                assert (planned.status_code, planned.json()) == (fresh.status_code, fresh.json()), (
                    label, who, more_headers, query, filter_text,
                )  # fmt: skip
                seen.add((planned.status_code, planned.json().get("totalItems")))
    return seen


def test_plans_answer_every_caller_as_fresh_lists(server) -> None:
    su = _setup(server)
    callers = _callers(server, su)
    for rule in RULES:
        resp = server.request("PATCH", "/api/collections/plans", headers=su, json={"listRule": rule})
        assert resp.status_code == 200, (rule, resp.text)
        seen = _compare(server, callers, ["n > -1 || label = ''"], rule)
        # NOTE: each rule lets different callers see different rows (else the table proves little)
        assert len(seen) > 1, (rule, seen)
