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


# ---- one transaction ---------------------------------------------------------------------------
# Changes made in one transaction (a batch), each checked per caller and subscription. PocketBase
# checks creates and updates once the transaction commits, against the rows as they are then (a
# record created and deleted in one batch reaches nobody but superusers and open rules), and
# deletes against the row as committed before the transaction.
TX_IDS = {"made_and_gone": "fixrtrec0000011", "made_then_hidden": "fixrtrec0000012", "changed_and_gone": "fixrtrec0000013"}
TX_TOPICS = {
    "plain": "rtnotes/*",
    "filter": "rtnotes/*" + _options({"filter": "views > 10"}),
    "record": f"rtnotes/{TX_IDS['changed_and_gone']}",
}
TX_CALLERS = ("anon", "user1", "superuser")


def build_tx_cases() -> list[str]:
    return [f"{caller}:{name}" for caller in TX_CALLERS for name in TX_TOPICS]


class TransactionRun(RealtimeRun):
    """The clients of every transaction case, three batches, what each client received."""

    def run(self) -> None:
        batch_before = {}
        for target in self.pair.targets:
            batch_before[target.name] = target.ok("GET", "/api/settings")["batch"]
            target.ok("PATCH", "/api/settings", {"batch": {**batch_before[target.name], "enabled": True}})
            target.ok("POST", "/api/collections/rtnotes/records", {
                "id": TX_IDS["changed_and_gone"], "title": "changed and gone", "public": False, "owner": USERS["user1"], "views": 50,
            })  # fmt: skip
        clients: dict[str, dict[str, SseClient]] = {}
        try:
            for target in self.pair.targets:
                opened = clients[target.name] = {}
                for case in build_tx_cases():
                    caller, tname = case.split(":", 1)
                    client = opened[case] = SseClient(target.base_url)
                    headers = {} if caller == "anon" else {"Authorization": target.tokens[caller]}
                    resp = target.session.post(
                        target.base_url + "/api/realtime",
                        json={"clientId": client.client_id, "subscriptions": [TX_TOPICS[tname]]}, headers=headers, timeout=30,
                    )  # fmt: skip
                    if resp.status_code != 204:
                        raise AssertionError(f"{target.name}: subscribe {case}: {resp.status_code} {resp.text}")
            for target in self.pair.targets:
                self._batches(target)
            for target in self.pair.targets:
                # NOTE: a superuser's plain subscription gets every change, the delete last: once
                # it came, each client of that server got what it gets (one change at a time).
                last = clients[target.name]["superuser:plain"]
                seen = self.received.setdefault(target.name, {})["superuser:plain"] = []
                while not seen or seen[-1]["data"].get("action") != "delete" or TX_IDS["changed_and_gone"] not in str(seen[-1]):
                    event = last.next(10)
                    assert event is not None, f"{target.name}: the stream ended"
                    seen.append(_normalise(event.name, event.data))
            time.sleep(0.3)
            for target in self.pair.targets:
                got = self.received[target.name]
                for case, client in clients[target.name].items():
                    got[case] = got.get(case, []) + _drain(client)
        finally:
            for opened in clients.values():
                for client in opened.values():
                    client.close()
            for target in self.pair.targets:
                target.ok("PATCH", "/api/settings", {"batch": batch_before[target.name]})

    @staticmethod
    def _batches(target: Target) -> None:
        path = "/api/collections/rtnotes/records"
        made, hidden, changed = TX_IDS["made_and_gone"], TX_IDS["made_then_hidden"], TX_IDS["changed_and_gone"]
        batches = [
            [("POST", path, {"id": made, "title": "made and gone", "public": False, "owner": USERS["user1"], "views": 50}),
             ("PATCH", f"{path}/{made}", {"title": "made and gone 2"}),
             ("DELETE", f"{path}/{made}", None)],
            [("POST", path, {"id": hidden, "title": "made then hidden", "public": True, "owner": USERS["user2"], "views": 50}),
             ("PATCH", f"{path}/{hidden}", {"views": 5, "public": False})],
            [("PATCH", f"{path}/{changed}", {"title": "changed then gone"}),
             ("DELETE", f"{path}/{changed}", None)],
        ]  # fmt: skip
        for requests_ in batches:
            body = {"requests": [{"method": m, "url": u, **({"body": b} if b is not None else {})} for m, u, b in requests_]}
            resp = target.session.post(
                target.base_url + "/api/batch", json=body, headers={"Authorization": target.tokens["superuser"]}, timeout=30,
            )  # fmt: skip
            if resp.status_code != 200:
                raise AssertionError(f"{target.name}: batch: {resp.status_code} {resp.text}")


def _drain(client: SseClient) -> list[Any]:
    events = []
    while not client.events.empty():
        event = client.events.get_nowait()
        if event is not None:
            events.append(_normalise(event.name, event.data))
    return events
