"""Hook chains (tools/hook.py) and the hooks the API fires for record and collection writes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from pybase.tools.hook import Event, Hook
from tests.scenarios import Scenario, run
from tests.testapp import POST1_ID, POST2_ID


class TaggedEvent(Event):
    """An event carrying tags, like a record event's collection id and name."""

    def __init__(self, *tags: str) -> None:
        self._tags = tags
        self.seen: list[str] = []

    def tags(self):
        return self._tags


def _recorder(name: str, *, call_next: bool = True):
    def handler(e):
        e.seen.append(name)
        return e.next() if call_next else None

    return handler


def _finalizer(e):
    e.seen.append("final")
    return "done"


# ---- tools/hook.py -------------------------------------------------------------------------


def test_handlers_run_in_registration_order_then_the_finalizer():
    hook = Hook("test")
    for name in "abc":
        hook.bind(_recorder(name))
    event = TaggedEvent()
    assert hook.trigger(event, _finalizer) == "done"
    assert event.seen == ["a", "b", "c", "final"]


def test_lower_priority_runs_first_and_ties_keep_registration_order():
    hook = Hook("test")
    hook.bind(_recorder("p0-first"))
    hook.bind(_recorder("p10"), priority=10)
    hook.bind(_recorder("p-5"), priority=-5)
    hook.bind(_recorder("p0-second"))
    event = TaggedEvent()
    hook.trigger(event, _finalizer)
    assert event.seen == ["p-5", "p0-first", "p0-second", "p10", "final"]


def test_code_after_next_runs_after_the_rest_of_the_chain():
    hook = Hook("test")

    def wrapper(e):
        e.seen.append("before")
        result = e.next()
        e.seen.append(f"after:{result}")
        return result

    hook.bind(wrapper)
    hook.bind(_recorder("inner"))
    event = TaggedEvent()
    assert hook.trigger(event, _finalizer) == "done"
    assert event.seen == ["before", "inner", "final", "after:done"]


def test_a_handler_that_does_not_call_next_stops_the_chain():
    hook = Hook("test")
    hook.bind(_recorder("a"))
    hook.bind(_recorder("stop", call_next=False))
    hook.bind(_recorder("never"))
    event = TaggedEvent()
    assert hook.trigger(event, _finalizer) is None
    assert event.seen == ["a", "stop"]


def test_an_exception_stops_the_chain_and_propagates():
    hook = Hook("test")

    def boom(e):
        raise ValueError("nope")

    hook.bind(boom)
    hook.bind(_recorder("never"))
    event = TaggedEvent()
    with pytest.raises(ValueError, match="nope"):
        hook.trigger(event, _finalizer)
    assert event.seen == []


def test_trigger_without_handlers_runs_only_the_finalizer():
    hook = Hook("test")
    event = TaggedEvent()
    assert hook.trigger(event, _finalizer) == "done"
    assert event.seen == ["final"]
    assert hook.trigger(TaggedEvent()) is None


def test_next_after_the_end_of_the_chain_is_a_no_op():
    hook = Hook("test")
    calls = []

    def twice(e):
        e.next()
        calls.append(e.next())

    hook.bind(twice)
    event = TaggedEvent()
    hook.trigger(event, _finalizer)
    assert event.seen == ["final"] and calls == [None]


def test_an_event_can_be_triggered_again_and_through_nested_hooks():
    outer, inner = Hook("outer"), Hook("inner")
    outer.bind(_recorder("outer"))
    inner.bind(_recorder("inner"))
    event = TaggedEvent()
    outer.trigger(event, lambda e: inner.trigger(e, _finalizer))
    outer.trigger(event, _finalizer)
    assert event.seen == ["outer", "inner", "final", "outer", "final"]


def test_tagged_handlers_run_only_for_matching_events():
    hook = Hook("test")
    hook.bind(_recorder("any"))
    hook.bind(_recorder("posts"), tags=["posts"])
    hook.bind(_recorder("by-id"), tags=["pbc_1"])
    hook.bind(_recorder("other"), tags=["comments", "users"])
    posts = TaggedEvent("pbc_1", "posts")
    hook.trigger(posts, _finalizer)
    assert posts.seen == ["any", "posts", "by-id", "final"]
    comments = TaggedEvent("pbc_2", "comments")
    hook.trigger(comments, _finalizer)
    assert comments.seen == ["any", "other", "final"]
    untagged = TaggedEvent()
    hook.trigger(untagged, _finalizer)
    assert untagged.seen == ["any", "final"]


def test_unbind_removes_by_id_and_unbind_all_clears():
    hook = Hook("test")
    a = hook.bind(_recorder("a"))
    b = hook.bind(_recorder("b"))
    hook.bind(_recorder("c"))
    assert hook.length() == 3 and a != b
    hook.unbind(a, "unknown-id")
    event = TaggedEvent()
    hook.trigger(event, _finalizer)
    assert event.seen == ["b", "c", "final"]
    hook.unbind_all()
    assert hook.length() == 0


def test_binding_an_existing_id_replaces_the_handler_in_place():
    hook = Hook("test")
    hook.bind(_recorder("first"), id="x")
    hook.bind(_recorder("second"))
    assert hook.bind(_recorder("replaced"), id="x") == "x"
    assert hook.length() == 2
    event = TaggedEvent()
    hook.trigger(event, _finalizer)
    assert event.seen == ["replaced", "second", "final"]


def test_generated_ids_never_clash_with_explicit_ones():
    hook = Hook("test")
    ids = {hook.bind(_recorder(str(i))) for i in range(5)}
    for i in range(50):
        hook.bind(_recorder(f"explicit{i}"), id=f"h{i}")
    ids |= {hook.bind(_recorder(f"late{i}")) for i in range(5)}
    assert len(ids) == 10
    assert hook.length() == 10 + len({f"h{i}" for i in range(50)} - ids)


def test_binding_while_triggering_from_other_threads_is_safe():
    hook = Hook("test")
    counter = {"runs": 0}
    lock = threading.Lock()

    def count(e):
        with lock:
            counter["runs"] += 1
        return e.next()

    stop = threading.Event()

    def binder():
        while not stop.is_set():
            hid = hook.bind(count)
            hook.unbind(hid)

    thread = threading.Thread(target=binder)
    thread.start()
    try:
        for _ in range(2000):
            event = TaggedEvent()
            hook.trigger(event, _finalizer)
            assert event.seen == ["final"]
    finally:
        stop.set()
        thread.join()


# ---- hooks fired by the API ----------------------------------------------------------------

CREATE_EVENTS = {
    "onRecordCreateRequest": 1,
    "onModelCreate": 1,
    "onRecordCreate": 1,
    "onModelValidate": 1,
    "onRecordValidate": 1,
    "onModelCreateExecute": 1,
    "onRecordCreateExecute": 1,
    "onModelAfterCreateSuccess": 1,
    "onRecordAfterCreateSuccess": 1,
    "onRecordEnrich": 1,
    "*": 0,
}
UPDATE_EVENTS = {k.replace("Create", "Update"): v for k, v in CREATE_EVENTS.items()}
DELETE_EVENTS = {
    "onRecordDeleteRequest": 1,
    "onModelDelete": 1,
    "onRecordDelete": 1,
    "onModelDeleteExecute": 1,
    "onRecordDeleteExecute": 1,
    "onModelAfterDeleteSuccess": 1,
    "onRecordAfterDeleteSuccess": 1,
    "*": 0,
}
COLLECTION_CREATE_EVENTS = {
    "onCollectionCreateRequest": 1,
    "onModelCreate": 1,
    "onCollectionCreate": 1,
    "onModelValidate": 1,
    "onCollectionValidate": 1,
    "onModelCreateExecute": 1,
    "onCollectionCreateExecute": 1,
    "onModelAfterCreateSuccess": 1,
    "onCollectionAfterCreateSuccess": 1,
    "*": 0,
}

SCENARIOS = [
    Scenario("record create fires the create chain once", "POST", "/api/collections/posts/records", body={"title": "Hooked post"},
             expected_events=CREATE_EVENTS),
    Scenario("record update fires the update chain once", "PATCH", f"/api/collections/posts/records/{POST2_ID}", body={"views": 5},
             expected_events=UPDATE_EVENTS),
    Scenario("record delete fires the delete chain once", "DELETE", f"/api/collections/posts/records/{POST2_ID}", expected_status=204,
             expected_events=DELETE_EVENTS),
    Scenario(
        "invalid record create fires the error hooks", "POST", "/api/collections/posts/records", body={"title": "x"}, expected_status=400,
        expected_events={
            "onRecordCreateRequest": 1, "onModelCreate": 1, "onRecordCreate": 1, "onModelValidate": 1, "onRecordValidate": 1,
            "onModelAfterCreateError": 1, "onRecordAfterCreateError": 1, "*": 0,
        },
    ),
    Scenario("record view fires only the view hooks", "GET", f"/api/collections/posts/records/{POST1_ID}",
             expected_events={"onRecordViewRequest": 1, "onRecordEnrich": 1, "*": 0}),
    Scenario("refused create fires no model hook", "POST", "/api/collections/locked/records", body={"title": "x"}, expected_status=403,
             expected_events={"*": 0}),
    Scenario("collection create fires the collection chain once", "POST", "/api/collections", headers={"Authorization": "SUPERUSER"},
             body={"name": "hooked", "fields": [{"name": "title", "type": "text"}]}, expected_events=COLLECTION_CREATE_EVENTS),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_api_events(server, scenario):
    run(server, scenario)


def test_after_success_hooks_see_the_committed_row(server):
    seen = {}

    def after(e):
        table = e.record.collection.table
        # NOTE: a fresh read connection: the row must already be committed.
        with server.app.db.read_engine.connect() as conn:
            seen["row"] = conn.execute(select(table.c.title).where(table.c.id == e.record.id)).first()
            seen["in_write"] = server.app.db.in_write()
        return e.next()

    server.app.hooks["onRecordAfterCreateSuccess"].bind(after, tags=["posts"])
    resp = server.request("POST", "/api/collections/posts/records", json={"title": "Committed"})
    assert resp.status_code == 200, resp.text
    assert seen == {"row": ("Committed",), "in_write": False}


def test_a_failing_create_hook_rolls_back_and_fires_the_error_hooks(server):
    errors = []

    def refuse(e):
        e.next()
        raise RuntimeError("refused after insert")

    server.app.hooks["onRecordCreateExecute"].bind(refuse, tags=["posts"])
    server.app.hooks["onRecordAfterCreateError"].bind(lambda e: errors.append(type(e.error).__name__) or e.next())
    before = server.request("GET", "/api/collections/posts/records?perPage=1").json()["totalItems"]
    resp = server.request("POST", "/api/collections/posts/records", json={"title": "Rolled back"})
    assert resp.status_code == 500
    assert errors == ["RuntimeError"]
    assert server.request("GET", "/api/collections/posts/records?perPage=1").json()["totalItems"] == before
    assert server.events["onRecordAfterCreateSuccess"] == 0


def test_tagged_api_hooks_see_only_their_collection(server):
    seen = []
    server.app.hooks["onRecordCreate"].bind(lambda e: seen.append(e.record.collection.name) or e.next(), tags=["comments"])
    server.request("POST", "/api/collections/posts/records", json={"title": "Not for comments"})
    resp = server.request("POST", "/api/collections/comments/records", json={"message": "hi", "post": POST1_ID})
    assert resp.status_code == 200, resp.text
    assert seen == ["comments"]


def test_a_request_hook_can_change_the_record_before_save(server):
    def shout(e):
        e.record.set("title", e.record.get("title").upper())
        return e.next()

    server.app.hooks["onRecordCreateRequest"].bind(shout)
    resp = server.request("POST", "/api/collections/posts/records", json={"title": "quiet words"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["title"] == "QUIET WORDS"


def test_saves_inside_a_rolled_back_transaction_fire_the_error_hooks_after_it(tmp_path):
    from collections import Counter

    from pybase.core.app import App
    from pybase.core.collection_bind import new_collection

    app = App(str(tmp_path / "pb_data"))
    app.bootstrap()
    col = app.save_collection(new_collection({"name": "notes", "fields": [{"name": "title", "type": "text"}]}))
    fired: Counter[str] = Counter()
    for name in ("onRecordAfterCreateSuccess", "onRecordAfterCreateError"):
        app.hooks[name].bind(lambda e, name=name: (fired.update([name]), e.next())[1])

    class Abort(Exception):
        pass

    try:
        with app.db.write():
            app.save(app.new_record(col, {"title": "kept?"}))
            assert fired == Counter()  # nothing is known until the outer transaction ends
            raise Abort
    except Abort:
        pass
    assert fired == Counter({"onRecordAfterCreateError": 1})
    assert app.records.count(col) == 0
    with app.db.write():
        app.save(app.new_record(col, {"title": "kept"}))
    assert fired["onRecordAfterCreateSuccess"] == 1
    app.db.close()
