"""A record deleted right after it was written: its create and update events still arrive,
with the values it had at each change (issue #17); in one transaction, as PocketBase, its
changes are checked against the row after the commit (deletes: before the transaction).

The subscriber's access is checked against the record's values as of the change (a one-row
snapshot, core/realtime/access.py), not against the table when the bus gets to it. To make
"the row is gone before the check" certain rather than likely, the subscriber node's bus is
held (a hook on the bus thread waits inside an earlier event) while the writes commit, and the
test reads the record's 404 before letting the bus go on.

Both databases; on Postgres also with the subscriber on a second node of the same database
(the change crosses through NOTIFY and is rebuilt from its values there).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from pybase.apis.realtime import realtime_of
from tests.realtime.sse import SseClient
from tests.testapp import POST1_ID, USER1_ID, USER2_ID, TestServer, start_server

pytestmark = pytest.mark.both_backends

ALL = ("create", "update", "delete")  # a subscriber that gets every change the case makes

VALUES = {
    # collection: (values created, values an update sets, fields compared in each event)
    "owned": ({"title": "gone soon", "owner": USER1_ID}, {"title": "changed then gone"}, ("id", "title", "owner")),
    "posts": (
        {"title": "typed gone soon", "views": 50, "published": True, "meta": {"k": 1}, "tags": ["a", "b"], "secret": "s"},
        {"views": 60, "tags": ["b", "c"]},
        ("id", "title", "views", "published", "meta", "tags"),
    ),
}

# (name, collection, steps, subscribers)
# steps: "create", "update", "delete" each a request of its own, in order; a step written
#   "-create" is done before anyone subscribes; "batch" makes the steps one transaction.
# subscribers: (who, topic: "*" or "id", subscription filter, actions it receives)
CASES = [
    ("create then delete, list rule", "owned", "create,delete", [
        ("user1", "*", "", ALL), ("user2", "*", "", ()),
    ]),
    ("create then delete, view rule", "owned", "create,delete", [
        ("user1", "id", "", ALL), ("user2", "id", "", ()),
    ]),
    ("update then delete, list rule", "owned", "-create,update,delete", [
        ("user1", "*", "", ALL), ("user2", "*", "", ()),
    ]),
    ("update then delete, view rule", "owned", "-create,update,delete", [
        ("user1", "id", "", ALL), ("user2", "id", "", ()),
    ]),
    # one transaction, as PocketBase: its creates and updates are checked against the row after
    # the commit (none here: only superusers hear of them), its deletes against the row as
    # committed before it (none when the transaction created it)
    ("create, update, delete in one transaction", "owned", "batch,create,update,delete", [
        ("user1", "*", "", ()), ("user1", "id", "", ()), ("superuser", "*", "", ALL),
        ("superuser", "*", "title ~ 'gone'", ()),
    ]),
    ("update then delete in one transaction", "owned", "batch,-create,update,delete", [
        ("user1", "*", "", ("delete",)), ("user1", "id", "", ("delete",)), ("user2", "*", "", ()),
        ("superuser", "*", "", ALL),
    ]),
    ("an update handing the record over, then delete", "owned", "-create,update:owner,delete", [
        ("user1", "*", "", ()), ("user2", "*", "", ("update", "delete")), ("user2", "id", "", ("update", "delete")),
    ]),
    ("a filter joining the owner", "owned", "create,update,delete", [
        ("user1", "*", "owner.name = 'User One' && title ~ 'gone'", ALL),
        ("user1", "*", "owner.name = 'User Two'", ()),
    ]),
    ("a filter over typed values", "posts", "create,update,delete", [
        ("anon", "*", "views > 10 && published = true && meta.k = 1 && tags ~ 'b'", ALL),
        ("anon", "id", "", ALL),
        ("anon", "*", "views > 100", ()),
    ]),
]
WHERE = ["same node", "other node"]


def NOT_RUN(params: dict[str, Any]) -> bool:  # noqa: N802 - read by tests/conftest.py
    """A second node needs a shared Postgres database; on SQLite the processes sharing one app
    are workers, whose delivery tests/workers/test_workers.py covers."""
    return params.get("where") == "other node" and params["backend"] == "sqlite"


class Gate:
    """Holds a node's realtime bus: a comment's event waits in an enrich hook (on the bus
    thread) until released, so changes committed meanwhile are checked after."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def hook(self, e: Any) -> Any:
        info = e.request_info
        if self.armed and e.record.collection.name == "comments" and info is not None and info.context == "realtime":
            self.armed = False
            self.entered.set()
            self.release.wait(30)
        return e.next()

    @contextmanager
    def held(self, writer: TestServer) -> Iterator[None]:
        self.entered.clear()
        self.release.clear()
        self.armed = True
        resp = writer.request("POST", "/api/collections/comments/records", json={"message": "gate", "post": POST1_ID})
        assert resp.status_code == 200, resp.text
        assert self.entered.wait(20), "the bus never reached the gate"
        try:
            yield
        finally:
            self.release.set()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any) -> Iterator[list[tuple[TestServer, Gate]]]:
    """One node on SQLite; two nodes of one Postgres database (one data dir: one file storage)."""
    root = tmp_path_factory.mktemp("deleted_soon")
    url = ""
    template: Path | None = fixture_data
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    started: list[tuple[TestServer, Gate]] = []
    try:
        for _ in range(2 if url else 1):
            server = start_server(root, template, url)
            template = None
            gate = Gate()
            server.app.hooks["onRecordEnrich"].bind(gate.hook, id="gate")
            # NOTE: a write waits for its subscribers' checks (as PocketBase answers after
            # them): off here, where the bus is held on purpose while the next writes commit
            realtime_of(server.app).broadcaster.settle_seconds = 0
            started.append((server, gate))
        settings = started[0][0].app.settings()
        settings["batch"]["enabled"] = True
        started[0][0].app.save_settings(settings)
        yield started
    finally:
        for server, gate in started:
            gate.release.set()
            server.stop()
        databases.drop(url)


def _superuser(server: TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def _write(writer: TestServer, collection: str, rid: str, title: str, steps: list[str], batch: bool) -> None:
    created, updated, _fields = VALUES[collection]
    requests_ = []
    for step in steps:
        action, _, detail = step.partition(":")
        if action == "create":
            requests_.append(("POST", f"/api/collections/{collection}/records", {**created, "id": rid, "title": title}))
        elif action == "update":
            body = {"owner": USER2_ID} if detail == "owner" else updated
            requests_.append(("PATCH", f"/api/collections/{collection}/records/{rid}", body))
        else:
            requests_.append(("DELETE", f"/api/collections/{collection}/records/{rid}", None))
    if batch:
        body = {"requests": [{"method": m, "url": u, **({"body": b} if b is not None else {})} for m, u, b in requests_]}
        resp = writer.request("POST", "/api/batch", json=body, headers=_superuser(writer))
        assert resp.status_code == 200, resp.text
        return
    for method, path, body in requests_:
        resp = writer.request(method, path, json=body, headers=_superuser(writer))
        assert resp.status_code in (200, 204), resp.text


def _expected(collection: str, rid: str, title: str, steps: list[str]) -> dict[str, dict[str, Any]]:
    """The record's compared fields as each action of ``steps`` leaves them (a delete: as it was)."""
    created, updated, fields = VALUES[collection]
    values: dict[str, Any] = {"id": rid, **created, "title": title}
    out = {}
    for step in steps:
        action, _, detail = step.partition(":")
        if action == "update":
            values = {**values, **({"owner": USER2_ID} if detail == "owner" else updated)}
        out[action] = {name: values[name] for name in fields}
    return out


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("name,collection,steps,subscribers", CASES, ids=[c[0] for c in CASES])
def test_events_of_a_record_deleted_right_after(
    nodes: list[tuple[TestServer, Gate]], where: str, name: str, collection: str, steps: str, subscribers: list[Any]
) -> None:
    writer = nodes[0][0]
    listener, gate = nodes[-1] if where == "other node" else nodes[0]
    number = [c[0] for c in CASES].index(name) * len(WHERE) + WHERE.index(where)
    rid = f"rtsnap{number:09d}"
    title = f"{VALUES[collection][0]['title']} {number}"  # NOTE: posts titles are unique
    batch = steps.startswith("batch,")
    all_steps = steps.removeprefix("batch,").split(",")
    before = [s.lstrip("-") for s in all_steps if s.startswith("-")]
    after = [s for s in all_steps if not s.startswith("-")]
    made = [step.partition(":")[0] for step in after]
    _write(writer, collection, rid, title, before, batch=False)
    clients: list[tuple[SseClient, str, tuple[str, ...]]] = []
    gate_client = SseClient(listener.base_url)
    try:
        assert gate_client.subscribe("comments/*").status_code == 204
        for who, form, filter_text, actions in subscribers:
            client = SseClient(listener.base_url)
            topic = f"{collection}/{'*' if form == '*' else rid}"
            if filter_text:
                topic += "?options=" + quote(json.dumps({"query": {"filter": filter_text}}))
            token = None if who == "anon" else listener.token(who)
            clients.append((client, topic, tuple(action for action in made if action in actions)))
            assert client.subscribe(topic, token=token).status_code == 204
        with gate.held(writer):
            _write(writer, collection, rid, title, after, batch=batch)
            gone = writer.request("GET", f"/api/collections/{collection}/records/{rid}", headers=_superuser(writer))
            assert gone.status_code == 404  # NOTE: gone before the bus checks any of its changes
        expected = _expected(collection, rid, title, [*before, *after])
        for client, topic, actions in clients:
            got = []
            for _ in actions:
                event = client.next(10)
                assert event is not None, "the stream ended"
                record = event.data["record"]
                got.append((event.name, event.data["action"], {k: record.get(k) for k in expected["create"]}))
            wanted = [(topic, action, expected[action]) for action in actions]
            assert got == wanted, f"{topic}: {got}"
        time.sleep(0.3)  # NOTE: once for all: nothing more came, to the receivers or the others
        for client, topic, _actions in clients:
            assert client.events.empty(), f"{topic}: {client.events.get_nowait()}"
    finally:
        gate_client.close()
        for client, _topic, _actions in clients:
            client.close()
