"""A record's JSON from its collection's export plan (serialize.record_to_json without export
options) is the JSON the field-by-field export gives (with empty export options), for every
record of every collection, for a superuser, a user and a guest, on both databases."""

from __future__ import annotations

import pytest

from pybase.apis.serialize import record_to_json
from pybase.core.records import ExportOptions, Record
from pybase.core.request_info import RequestInfo
from tests.testapp import USER1_ID

pytestmark = pytest.mark.both_backends


def _info(auth: Record | None) -> RequestInfo:
    return RequestInfo(method="GET", query={}, headers={}, auth=auth)


def _both(record: Record, info: RequestInfo) -> tuple[dict, dict]:
    record.export = None
    planned = record_to_json(record, info)
    record.export = ExportOptions()
    try:
        return planned, record_to_json(record, info)
    finally:
        record.export = None


def test_the_plan_exports_as_the_fields(server) -> None:
    su = {"Authorization": server.token("superuser")}
    # NOTE: password fields outside auth collections read "" when shown; a hidden one not at all.
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "vault", "listRule": "", "fields": [
            {"name": "pin", "type": "password"}, {"name": "code", "type": "password", "hidden": True},
            {"name": "note", "type": "text", "hidden": True}, {"name": "when", "type": "date"},
            {"name": "files", "type": "file", "maxSelect": 3}, {"name": "n", "type": "number"},
        ]})
    assert resp.status_code == 200, resp.text
    resp = server.request("POST", "/api/collections/vault/records", headers=su,
                          json={"pin": "12345678", "code": "12345678", "note": "x", "when": "2024-01-02 03:04:05.000Z"})
    assert resp.status_code == 200, resp.text
    app = server.app
    superuser = app.records.find_first(app.find_collection("_superusers"))
    user = app.find_record_by_id("users", USER1_ID)
    checked = 0
    for collection in app.registry.all():
        records = app.records.list_page(collection, page=1, per_page=100, skip_total=True).records
        records.append(Record(collection, {}))  # NOTE: a new record (hooks, the framework): zero values
        for record in records:
            for auth in (superuser, user, None):
                planned, fielded = _both(record, _info(auth))
                assert planned == fielded, (collection.name, record.id)
                checked += 1
    assert checked > 30
    vault = app.records.list_page(app.find_collection("vault"), page=1, per_page=1, skip_total=True).records[0]
    assert record_to_json(vault, _info(user)).get("pin") == "" and "code" not in record_to_json(vault, _info(user))
    assert record_to_json(vault, _info(superuser))["code"] == ""
