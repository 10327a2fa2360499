"""A NUL character in a record's text, editor or JSON value (issue #17).

PocketBase 0.40.6 stores it and reads it back (checked against the real binary: each create
answers 200 with the value as sent), and so does pybase on both databases: Postgres text and
jsonb hold no NUL, so pybase escapes it there (pybase.store.pg_nul). Compared with PocketBase
case by case in tests/conformance/test_nul_values.py; here: stored, read back, found by an
``=`` filter with the value from ``@request.query``, and the stored text is the escape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.testapp import TestServer, start_server

pytestmark = pytest.mark.both_backends

# (name, body, what the record reads back)
CASES = [
    ("text", {"t": "a\x00b"}, {"t": "a\x00b"}),
    ("editor", {"e": "<p>\x00</p>"}, {"e": "<p>\x00</p>"}),
    ("json string in an object", {"j": {"k": "a\x00b"}}, {"j": {"k": "a\x00b"}}),
]


@pytest.fixture(scope="module")
def nul_server(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any) -> Iterator[TestServer]:
    """One pybase for the module (each case creates a record of its own)."""
    template, url = fixture_data, ""
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    server = start_server(Path(tmp_path_factory.mktemp("nul")), template, url)
    try:
        su = {"Authorization": server.token("superuser")}
        body = {"name": "nuls", "listRule": "", "viewRule": "", "createRule": "",
                "fields": [{"name": "t", "type": "text"}, {"name": "e", "type": "editor"}, {"name": "j", "type": "json"}]}  # fmt: skip
        assert server.request("POST", "/api/collections", headers=su, json=body).status_code == 200
        yield server
    finally:
        server.stop()
        databases.drop(url)


@pytest.mark.parametrize(("body", "expected"), [pytest.param(b, e, id=n) for n, b, e in CASES])
def test_a_nul_is_kept_as_pocketbase_keeps_it(nul_server: TestServer, backend: str, body: dict[str, Any], expected: dict[str, Any]) -> None:
    created = nul_server.request("POST", "/api/collections/nuls/records", json=body)
    assert created.status_code == 200, created.text
    record_id = created.json()["id"]
    read = nul_server.request("GET", f"/api/collections/nuls/records/{record_id}").json()
    assert {key: read[key] for key in expected} == expected
    key, value = next(iter(expected.items()))
    filter_text = f"{key} = @request.query.v" if isinstance(value, str) else f"{key}.k = @request.query.v"
    su = {"Authorization": nul_server.token("superuser")}  # NOTE: only superusers filter by @request
    found = nul_server.request("GET", "/api/collections/nuls/records", headers=su, params={"filter": filter_text, "v": value if isinstance(value, str) else value["k"]})
    assert found.status_code == 200, found.text
    assert record_id in [item["id"] for item in found.json()["items"]]
    if backend == "postgres" and key == "t":
        # NOTE: the stored text is the escape (U+0000 as U+0001 U+0001)
        assert nul_server.rows('SELECT t FROM nuls WHERE id = ?', record_id) == [("a\x01\x01b",)]


def test_a_view_column_computed_from_a_nul_reads_it(nul_server: TestServer) -> None:
    """A view's columns Postgres computes as text (lower(), json_extract(), ->>: json fields to
    PocketBase) and as JSON text (json_object()) read a NUL as written, as a plain column does."""
    su = {"Authorization": nul_server.token("superuser")}
    query = ("SELECT id, t AS plain, lower(t) AS lowered, json_extract(j, '$.k') AS extracted, j->>'$.k' AS arrow, "
             "json_object('k', t) AS built FROM nuls")  # fmt: skip
    view = {"name": "nuls_view", "type": "view", "listRule": "", "viewRule": "", "viewQuery": query}
    made = nul_server.request("POST", "/api/collections", headers=su, json=view)
    assert made.status_code == 200, made.text
    record_id = nul_server.request("POST", "/api/collections/nuls/records", json={"t": "a\x00b", "j": {"k": "a\x00b"}}).json()["id"]
    read = nul_server.request("GET", f"/api/collections/nuls_view/records/{record_id}").json()
    shown = {key: read[key] for key in ("plain", "lowered", "extracted", "arrow", "built")}
    assert shown == {"plain": "a\x00b", "lowered": "a\x00b", "extracted": "a\x00b", "arrow": "a\x00b", "built": {"k": "a\x00b"}}
