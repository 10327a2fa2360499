"""Realtime, generated from tables: which event each subscription gets, compared with PocketBase.

Every (caller x topic) pair gets its own SSE client on both servers; the same writes then run on
both (fixed ids), and each client's events (topic name, action, record as it was sent) must be
the same. Callers: a guest, two users, a superuser. Topics: every form (collection, ``/*``, by
id, by id), with every subscription option (filter, expand, fields, headers, broken options).
Records: public or private, owned by either user, with a hidden field and an email-bearing
relation, created, updated and deleted.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from tests.conformance.harness import Pair, Target, normalise
from tests.realtime.sse import SseClient

USERS = {"user1": "fixrtuser000001", "user2": "fixrtuser000002"}
CALLERS = ("anon", "user1", "user2", "superuser")
RECORDS = {
    "pub1": ("fixrtrec0000001", {"title": "public one", "public": True, "owner": USERS["user1"], "secret": "s1", "views": 5}),
    "prv1": ("fixrtrec0000002", {"title": "private one", "public": False, "owner": USERS["user1"], "secret": "s2", "views": 50}),
    "prv2": ("fixrtrec0000003", {"title": "private two", "public": False, "owner": USERS["user2"], "secret": "s3", "views": 500}),
}
# listRule lets everyone see public records and owners their own; viewRule only owners.
COLLECTION = {
    "name": "rtnotes",
    "type": "base",
    "listRule": "public = true || owner = @request.auth.id",
    "viewRule": "owner = @request.auth.id",
    "createRule": None, "updateRule": None, "deleteRule": None,
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "public", "type": "bool"},
        {"name": "views", "type": "number"},
        {"name": "secret", "type": "text", "hidden": True},
        {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
    ],
}


def _options(query: dict[str, Any] | None = None, headers: dict[str, Any] | None = None) -> str:
    raw: dict[str, Any] = {}
    if query is not None:
        raw["query"] = query
    if headers is not None:
        raw["headers"] = headers
    return "?options=" + quote(json.dumps(raw))


OPTION_VARIANTS = {
    "plain": "",
    "filter": _options({"filter": "views > 10"}),
    "filter_auth": _options({"filter": "owner = @request.auth.id"}),
    "filter_superuser_only": _options({"filter": "@collection.users.id != ''"}),
    "filter_bad": _options({"filter": "views >"}),
    "expand": _options({"expand": "owner"}),
    "fields": _options({"fields": "id,title,secret"}),
    "fields_expand": _options({"expand": "owner", "fields": "id,expand.owner.email,expand.owner.name"}),
    "fields_bad": _options({"fields": "title:excerpt(x)"}),
    "headers": _options({"filter": "@request.headers.x_test = 'yes'"}, {"X-Test": "yes"}),
    "numbers": _options({"filter": "views > 20", "perPage": 5}),
    "broken_json": "?options=%7Bnot json",
}
TOPICS = {
    "collection": "rtnotes",
    "wildcard": "rtnotes/*",
    "record_pub1": f"rtnotes/{RECORDS['pub1'][0]}",
    "record_prv1": f"rtnotes/{RECORDS['prv1'][0]}",
    "other_collection": "users/*",
}


def topics() -> dict[str, str]:
    out = {}
    for tname, topic in TOPICS.items():
        for oname, option in OPTION_VARIANTS.items():
            if tname.startswith("record") and oname not in ("plain", "fields", "expand", "filter"):
                continue  # NOTE: fewer combinations on the record topics; the options work the same
            out[f"{tname}-{oname}"] = topic + option
    return out


def build_cases() -> list[str]:
    """One case per (caller, topic) pair: its name."""
    return [f"{caller}:{name}" for caller in CALLERS for name in topics()]


class RealtimeRun:
    """Clients on both servers for every case, the writes, and what each client received."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.received: dict[str, dict[str, list[Any]]] = {}

    def setup(self) -> None:
        pair = self.pair
        pair.ok("POST", "/api/collections", COLLECTION)
        # the users' emails are hidden from others unless emailVisibility: one of each
        for n, (who, uid) in enumerate(USERS.items(), start=1):
            pair.ok("POST", "/api/collections/users/records", {
                "id": uid, "email": f"rt{n}@example.com", "password": "rt-password-1", "passwordConfirm": "rt-password-1",
                "name": f"RT {who}", "emailVisibility": n == 1, "verified": True,
            })
            for target in pair.targets:
                target.login(who, "users", f"rt{n}@example.com", "rt-password-1")

    def run(self) -> None:
        cases = build_cases()
        all_topics = topics()
        clients: dict[str, dict[str, SseClient]] = {}
        try:
            for target in self.pair.targets:
                opened = clients[target.name] = {}
                for case in cases:
                    caller, tname = case.split(":", 1)
                    client = SseClient(target.base_url)
                    opened[case] = client
                    headers = {} if caller == "anon" else {"Authorization": target.tokens[caller]}
                    resp = target.session.post(
                        target.base_url + "/api/realtime",
                        json={"clientId": client.client_id, "subscriptions": [all_topics[tname]]},
                        headers=headers, timeout=30,
                    )
                    if resp.status_code != 204:
                        raise AssertionError(f"{target.name}: subscribe {case}: {resp.status_code} {resp.text}")
            for target in self.pair.targets:
                self._writes(target)
            time.sleep(1.0)
            for target in self.pair.targets:
                got = self.received[target.name] = {}
                for case, client in clients[target.name].items():
                    events = []
                    while not client.events.empty():
                        event = client.events.get_nowait()
                        if event is not None:
                            events.append(_normalise(event.name, event.data))
                    got[case] = events
        finally:
            for opened in clients.values():
                for client in opened.values():
                    client.close()

    @staticmethod
    def _writes(target: Target) -> None:
        for _key, (rid, data) in RECORDS.items():
            target.ok("POST", "/api/collections/rtnotes/records", {"id": rid, **data})
        target.ok("PATCH", f"/api/collections/rtnotes/records/{RECORDS['pub1'][0]}", {"views": 7, "public": False})
        target.ok("PATCH", f"/api/collections/rtnotes/records/{RECORDS['prv2'][0]}", {"public": True})
        for rid, _data in RECORDS.values():
            target.ok("DELETE", f"/api/collections/rtnotes/records/{rid}")
        # the users collection topic sees a user change too
        target.ok("PATCH", f"/api/collections/users/records/{USERS['user2']}", {"name": "RT user2 renamed"})
        target.ok("PATCH", f"/api/collections/users/records/{USERS['user2']}", {"name": "RT user2"})


def _normalise(name: str, data: Any) -> Any:
    class _Fake:
        status_code = 200
        content = json.dumps(data).encode()
        text = content.decode()

    return {"event": name, "data": normalise(_Fake()).body}  # type: ignore[arg-type]
