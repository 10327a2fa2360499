"""A json field's stored text in an older pybase's spelling (orjson's, before 06284fb: 4.0, 1e16,
-0.0, 1e-06) or Postgres's (its jsonb's text: 4.0, 0.000001) lists as its record shows it: with
Go's numbers, as PocketBase writes them (10000000000000000, 4, -0, 0.000001). The list's rows
(serialize.rows_to_json, reading and export fused: JSONField.export_reader) tell from the
stored text whether to write a value again; the record (record_to_json) always does. Written
straight into the table, as the older pybase left it, then read through the API, both databases.
"""

from __future__ import annotations

import pytest

from pybase.apis.serialize import dumps, record_to_json, rows_to_json
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from tests.conformance.number_spelling import spelled

pytestmark = pytest.mark.both_backends

ITEMS = {"name": "oldj", "listRule": "", "viewRule": "", "fields": [{"name": "j", "type": "json"}]}
# (the stored text, how the API writes it: Go's numbers)
STORED = [
    ('{"a":4.0}', '{"a":4}'),
    ("[1e16]", "[10000000000000000]"),
    ("[1e+16,-2.0]", "[10000000000000000,-2]"),
    ('{"a":-0.0}', '{"a":-0}'),
    ('{"a":-0}', '{"a":-0}'),
    ("[1e-06]", "[0.000001]"),
    ("[1.5e-6]", "[0.0000015]"),
    ('{"a":0.000001}', '{"a":0.000001}'),
    ('{"a":1e20}', '{"a":100000000000000000000}'),
    ("[1.8446744073709552e+19]", "[18446744073709552000]"),
    ("[18446744073709552000,-9223372036854776000]", "[18446744073709552000,-9223372036854776000]"),
    ("[1e21,1e+22,0.5,1e-7]", "[1e+21,1e+22,0.5,1e-7]"),
    ('{"b":[2.0,{"c":3.0}],"t":"4.0 -0 1e16"}', '{"b":[2,{"c":3}],"t":"4.0 -0 1e16"}'),
    ('"e-6 -0 000"', '"e-6 -0 000"'),
    ('{"n":123,"s":"x"}', '{"n":123,"s":"x"}'),
]
# what Postgres's jsonb keeps of a value (its numbers' text): no -0
PG_STORED = {'{"a":-0.0}': '{"a":0}', '{"a":-0}': '{"a":0}'}


def _ids() -> list[str]:
    return [f"fixoldj{k:08d}" for k in range(len(STORED))]


def test_old_spelling_lists_as_the_record_shows_it(server, backend: str) -> None:
    su = {"Authorization": server.token("superuser")}
    assert server.request("POST", "/api/collections", headers=su, json=ITEMS).status_code == 200
    placeholder = "?::jsonb" if backend == "postgres" else "?"
    for record_id, (text, _shown) in zip(_ids(), STORED, strict=True):
        assert server.request("POST", "/api/collections/oldj/records", headers=su, json={"id": record_id, "j": 1}).status_code == 200
        assert server.rows(f"UPDATE oldj SET j = {placeholder} WHERE id = ? RETURNING id", text, record_id) == [(record_id,)]
    app = server.app
    collection = app.find_collection("oldj")
    rows = app.records.list_page(collection, page=1, per_page=100, skip_total=True).rows
    info = RequestInfo(method="GET", query={}, headers={}, auth=None)
    records = [Record.from_row(collection, row, app.records) for row in rows]
    assert dumps(rows_to_json(collection, rows, info)) == dumps([record_to_json(r, info) for r in records])
    listed = {item["id"]: item["j"] for item in spelled(server.request("GET", "/api/collections/oldj/records?perPage=100").content)["items"]}
    for record_id, (text, shown) in zip(_ids(), STORED, strict=True):
        expected = PG_STORED.get(text, shown) if backend == "postgres" else shown
        viewed = server.request("GET", f"/api/collections/oldj/records/{record_id}").content
        assert _j_text(viewed) == expected, text
        assert listed[record_id] == spelled(expected.encode()), text


def _j_text(body: bytes) -> str:
    """The text of the ``j`` value of a record's JSON body (its keys sorted: j is the last)."""
    return body[body.index(b'"j":') + 4 : -1].decode()
