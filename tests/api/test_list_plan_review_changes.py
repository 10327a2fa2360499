"""Review of the compiled list plans, continued (tests/api/test_list_plan_review.py, split so
xdist runs the two files side by side): plans cached before a collection change are not used
after it, and the straight row export (serialize.rows_to_json) answers as the records do. On
both databases.
"""

from __future__ import annotations

import pytest

from tests.api.test_list_plan_review import EXTRAS, _callers, _compare, _setup

pytestmark = pytest.mark.both_backends


def test_plans_follow_collection_changes(server) -> None:
    """Plans cached before a change (a field hidden, renamed, removed; the rule changed) are
    not used after it."""
    su = _setup(server)
    callers = _callers(server, su)
    rule = "owner = @request.auth.id || label = @request.query.n"
    resp = server.request("PATCH", "/api/collections/plans", headers=su, json={"listRule": rule})
    assert resp.status_code == 200, resp.text
    filters = ["n > 0", "done = true && tags ?= 'a'"]
    _compare(server, callers, filters, "before", EXTRAS[:3])
    fields = server.request("GET", "/api/collections/plans", headers=su).json()["fields"]
    steps = []
    for field in fields:
        if field["name"] == "n":
            steps.append(("n hidden", {"fields": [{**f, "hidden": f["name"] == "n"} for f in fields]}))
            steps.append(("n renamed", {"fields": [{**f, "name": "m"} if f["name"] == "n" else f for f in fields]}))
    steps.append(("done removed", {"fields": [f for f in fields if f["name"] not in ("done", "n")]}))
    steps.append(("rule", {"listRule": "owner != @request.auth.id"}))
    for label, change in steps:
        resp = server.request("PATCH", "/api/collections/plans", headers=su, json=change)
        assert resp.status_code == 200, (label, resp.text)
        _compare(server, callers, filters, label, EXTRAS[:3])
    guest = server.request("GET", "/api/collections/plans/records?filter=n%3E0")
    assert guest.status_code == 400, guest.text


# ---- the straight row export over HTTP -------------------------------------------------------

LIST_HOOKS = ("onRecordsListRequest", "onRecordEnrich")
QUERIES = (
    "", "?page=99", "?page=2&perPage=1", "?perPage=5000", "?perPage=0&page=0", "?page=-1&perPage=-5",
    "?skipTotal=1&perPage=1", "?skipTotal=0", "?fields=id,secret,title", "?fields=*,body:excerpt(4,true)",
    "?fields=expand,collectionName", "?sort=-views,id&filter=views>=0", "?filter=secret='s'", "?filter=(",
    "?fields=((", "?expand=", "?page=abc",
)  # fmt: skip


def _without_counters(server) -> None:
    """The test server counts every hook; a list then never takes the straight export."""
    for name in LIST_HOOKS:
        hook = server.app.hooks[name]
        hook.unbind(*[b.id for b in hook._bindings if "_counter" in b.func.__qualname__])
        assert hook.length() == 0, name


def test_straight_export_answers_as_the_records(server) -> None:
    su = {"Authorization": server.token("superuser")}
    rule = "owner = @request.auth.id || @request.auth.id = ''"
    resp = server.request("PATCH", "/api/collections/owned", headers=su, json={"listRule": rule})
    assert resp.status_code == 200, resp.text
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "posts_view", "type": "view", "listRule": "", "viewRule": "",
        "viewQuery": "SELECT p.id, p.title, p.secret, p.meta, p.views, c.message FROM posts p "
                     "LEFT JOIN comments c ON c.post = p.id",
    })  # fmt: skip
    assert resp.status_code == 200, resp.text
    _without_counters(server)
    names = [c.name for c in server.app.registry.all() if not c.is_auth and not c.name.startswith("_")]
    callers = {"guest": {}, "user1": {"Authorization": server.token("user1")}, "superuser": su}

    def answers() -> dict:
        got = {}
        for name in names:
            for query in QUERIES:
                for who, headers in callers.items():
                    resp = server.request("GET", f"/api/collections/{name}/records{query}", headers=headers)
                    got[name, query, who] = (resp.status_code, resp.json())
        return got

    straight = answers()
    server.app.hooks["onRecordsListRequest"].bind(lambda e: e.next(), id="through_the_records")
    try:
        assert answers() == straight
    finally:
        server.app.hooks["onRecordsListRequest"].unbind("through_the_records")
    posts = straight["posts", "", "superuser"]
    assert posts[0] == 200 and posts[1]["items"] and "secret" in posts[1]["items"][0]
    assert "secret" not in straight["posts", "", "guest"][1]["items"][0]
