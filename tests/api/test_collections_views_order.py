"""A field turned from one value to several (its column made again, every view dropped and made
again around it) with a view over another view in the database: on Postgres the views were
dropped in no set order, and a view others depend on refused to go ("cannot drop view ...
because other objects depend on it": the collection update answered 400)."""

from __future__ import annotations

import pytest

from pybase.core.collection_bind import new_collection
from tests.testapp import TestServer

pytestmark = pytest.mark.both_backends


def test_a_select_made_multiple_beside_a_view_over_a_view(empty_server: TestServer) -> None:
    app = empty_server.app
    app.save_collection(new_collection({"name": "vo_base", "type": "base", "listRule": "", "fields": [
        {"name": "t", "type": "text"}, {"name": "s", "type": "select", "values": ["a", "b"], "maxSelect": 1},
    ]}))
    app.save_collection(new_collection({"name": "vo_inner", "type": "view", "listRule": "", "viewQuery": "SELECT id, t, s FROM vo_base"}))
    app.save_collection(new_collection({"name": "vo_outer", "type": "view", "listRule": "", "viewQuery": "SELECT id, t FROM vo_inner"}))
    # NOTE: the inner view made again after the outer one would come later by creation
    base = app.registry.find("vo_base")
    record = app.new_record(base, {"t": "x", "s": "a"})
    app.save(record)
    changed = base.clone()
    changed.field("s").maxSelect = 2
    app.save_collection(changed, base)
    assert app.find_record_by_id("vo_base", record.id).get("s") == ["a"]
    for view in ("vo_inner", "vo_outer"):
        resp = empty_server.request("GET", f"/api/collections/{view}/records")
        assert resp.status_code == 200 and resp.json()["items"][0]["t"] == "x", resp.text
