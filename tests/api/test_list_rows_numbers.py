"""A list answered without hooks (serialize.rows_to_json, its readers and exports fused into one
call per value) writes each number byte for byte as the records do (record_to_json, the path the
conformance tests compare with PocketBase, whose test servers count every hook): number fields,
json objects and a view's REAL columns holding the values whose Go spelling is not orjson's
(gonumbers), on both databases."""

from __future__ import annotations

import pytest

from pybase.apis.serialize import dumps, record_to_json, rows_to_json
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo

pytestmark = pytest.mark.both_backends

NUMBERS = [4, -7, 0, 0.1, -2.5, 1e-7, 1e-6, 1.5e-6, 1e-5, 1e6, 1e15, 1e16, 1.5e17, 2.0**53 + 2, 1e20, -1e20, 2.0**64, 1e21, 1.5e300]
ITEMS = {"name": "nums", "listRule": "", "fields": [{"name": "n", "type": "number"}, {"name": "doc", "type": "json"}]}
VIEW = {"name": "nums_view", "type": "view", "listRule": "",
        "viewQuery": "SELECT id, (n * 1.0) AS r, (n / 3) AS third, round(n, 1) AS rounded, n FROM nums"}  # fmt: skip


def test_rows_write_numbers_as_their_records(server) -> None:
    su = {"Authorization": server.token("superuser")}
    assert server.request("POST", "/api/collections", headers=su, json=ITEMS).status_code == 200
    for k, number in enumerate(NUMBERS):
        body = {"id": f"fixnum{k:09d}", "n": number, "doc": {"a": number, "b": [number, -0.0]}}
        resp = server.request("POST", "/api/collections/nums/records", headers=su, json=body)
        assert resp.status_code == 200, resp.text
    assert server.request("POST", "/api/collections", headers=su, json=VIEW).status_code == 200
    app = server.app
    info = RequestInfo(method="GET", query={}, headers={}, auth=None)
    for name in ("nums", "nums_view"):
        collection = app.find_collection(name)
        rows = app.records.list_page(collection, page=1, per_page=100, skip_total=True).rows
        assert len(rows) == len(NUMBERS)
        records = [Record.from_row(collection, row, app.records) for row in rows]
        assert dumps(rows_to_json(collection, rows, info)) == dumps([record_to_json(r, info) for r in records]), name
    listed = server.request("GET", "/api/collections/nums/records?perPage=100&sort=id").content
    assert b'"n":10000000000000000}' in listed and b'"n":0.000001}' in listed and b'"a":100000000000000000000,' in listed
