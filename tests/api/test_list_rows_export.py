"""A list answered without hooks exports its rows straight (serialize.rows_to_json); the JSON
is the one the records give (Record.from_row + record_to_json), for every collection that takes
that path, every caller kind, NULL columns, hidden and password fields, ``fields=`` and paging,
on both databases. Over HTTP, binding an onRecordEnrich hook sends the same lists through the
records: the answers must not change."""

from __future__ import annotations

import pytest

from pybase.apis.serialize import record_to_json, rows_to_json
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from tests.testapp import USER1_ID

pytestmark = pytest.mark.both_backends

VAULT = {
    "name": "vault", "listRule": "", "viewRule": "", "fields": [
        {"name": "pin", "type": "password"}, {"name": "code", "type": "password", "hidden": True},
        {"name": "note", "type": "text", "hidden": True}, {"name": "when", "type": "date"},
        {"name": "files", "type": "file", "maxSelect": 3}, {"name": "n", "type": "number"},
        {"name": "flag", "type": "bool"}, {"name": "doc", "type": "json"},
        {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
        {"name": "spot", "type": "geoPoint"},
    ],
}  # fmt: skip


def _info(auth: Record | None) -> RequestInfo:
    return RequestInfo(method="GET", query={}, headers={}, auth=auth)


def _seed_vault(server) -> None:
    su = {"Authorization": server.token("superuser")}
    resp = server.request("POST", "/api/collections", headers=su, json=VAULT)
    assert resp.status_code == 200, resp.text
    for body in (
        {"pin": "12345678", "code": "12345678", "note": "x", "when": "2024-01-02 03:04:05.000Z", "n": 1.5,
         "flag": True, "doc": {"b": [1, 2], "a": None}, "tags": ["b", "a"], "spot": {"lon": 1.25, "lat": -2}},
        {"note": "", "n": -0.0, "doc": "text", "tags": []},
        {},
    ):  # fmt: skip
        resp = server.request("POST", "/api/collections/vault/records", headers=su, json=body)
        assert resp.status_code == 200, resp.text
    # NOTE: a view whose outer join leaves columns NULL: read as the records read them
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "vault_view", "type": "view", "listRule": "", "viewRule": "",
        "viewQuery": "SELECT a.id, b.n AS other_n, b.note AS other_note, b.flag AS other_flag, a.doc, a.`when` "
                     "FROM vault a LEFT JOIN vault b ON b.id = a.id AND a.n > 1",
    })  # fmt: skip
    assert resp.status_code == 200, resp.text


def test_rows_export_as_their_records(server) -> None:
    _seed_vault(server)
    app = server.app
    superuser = app.records.find_first(app.find_collection("_superusers"))
    user = app.find_record_by_id("users", USER1_ID)
    checked = 0
    for collection in app.registry.all():
        if collection.is_auth:
            continue  # NOTE: auth lists go through the records (emails depend on caller and record)
        page = app.records.list_page(collection, page=1, per_page=100, skip_total=True)
        for auth in (superuser, user, None):
            info = _info(auth)
            records = [Record.from_row(collection, row, app.records) for row in page.rows]
            assert rows_to_json(collection, page.rows, info) == [record_to_json(r, info) for r in records], (
                collection.name, auth and auth.collection.name,
            )  # fmt: skip
            checked += len(records)
    assert checked > 30
    view_rows = app.records.list_page(app.find_collection("vault_view"), page=1, per_page=10, skip_total=True).rows
    assert any(None in row for row in view_rows)


QUERIES = (
    "", "?perPage=2", "?page=2&perPage=1", "?skipTotal=1", "?fields=id,n,doc", "?fields=*,when:excerpt(3)",
    "?sort=-n,id", "?filter=n>0", "?fields=nope",
)  # fmt: skip


@pytest.mark.parametrize("query", QUERIES)
def test_lists_answer_alike_with_and_without_hooks(server, query: str) -> None:
    _seed_vault(server)
    callers = {"guest": {}, "user": {"Authorization": server.token("user1")},
               "superuser": {"Authorization": server.token("superuser")}}  # fmt: skip
    names = [c.name for c in server.app.registry.all() if not c.is_auth and not c.name.startswith("_")]
    assert "vault" in names and len(names) > 3

    def answers() -> dict:
        got = {}
        for name in names:
            for who, headers in callers.items():
                resp = server.request("GET", f"/api/collections/{name}/records{query}", headers=headers)
                got[name, who] = (resp.status_code, resp.json())
        return got

    # NOTE: the test server counts every hook, which would keep every list off the straight export
    for name in ("onRecordsListRequest", "onRecordEnrich"):
        hook = server.app.hooks[name]
        hook.unbind(*[b.id for b in hook._bindings if "_counter" in b.func.__qualname__])
        assert hook.length() == 0, name
    straight = answers()
    server.app.hooks["onRecordEnrich"].bind(lambda e: e.next(), id="through_the_records")
    try:
        assert answers() == straight
    finally:
        server.app.hooks["onRecordEnrich"].unbind("through_the_records")
    assert straight["vault", "guest"][0] == 200
