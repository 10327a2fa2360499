"""A long value under an index (issue #17).

PocketBase (SQLite) stores a value of any length under an index, and so does pybase on SQLite.
A Postgres btree index row holds at most 2,704 bytes (a third of a page, after compression;
random text does not compress), and a row of more than 8,191 bytes is refused before that check
with no index named. pybase on Postgres refuses such a write with a 400 naming the fields of the
index that hold the long values (validation_invalid_value, the index named in the message), and
stores nothing: record API and batch, create and update. Why not an index Postgres can hold
(over a hash or a prefix of the value): such an index serves none of the filters' ``=``, ``<``,
``LIKE 'a%'`` and sorts on the column (README, "Outgrowing one box").

Each case: the collection's index, the body of the write that holds the long values, whether it
creates or updates (a record made short first), through the record API or a batch, and the
fields Postgres names.
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.testapp import TestServer, start_server

pytestmark = pytest.mark.both_backends

_letters = random.Random(17)
#: random letters do not compress: 4,000 bytes overflow the 2,704 bytes of a btree row
LONG = "".join(_letters.choices(string.ascii_letters, k=4000))
#: 1,500 bytes: two of them overflow one row of a two-column index, one does not
HALF = "".join(_letters.choices(string.ascii_letters, k=1500))
#: past 8,191 bytes Postgres refuses the row before the btree's check, naming no index
HUGE = "".join(_letters.choices(string.ascii_letters, k=9000))
FIELDS = [{"name": "title", "type": "text", "max": 20000}, {"name": "note", "type": "text", "max": 20000},
          {"name": "n", "type": "number"}, {"name": "meta", "type": "json"}]  # fmt: skip
_numbers = itertools.count()


@dataclass(frozen=True)
class LongCase:
    """``index`` over a fresh collection ``{c}``; ``body`` written (``verb``, ``via``); the
    fields a Postgres refusal names."""

    name: str
    index: str
    body: dict[str, Any]
    fields: tuple[str, ...]
    verb: str = "create"
    via: str = "api"


CASES = [
    LongCase("plain index, create", "CREATE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",)),
    LongCase("plain index, update", "CREATE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",), verb="update"),
    LongCase("unique index, create", "CREATE UNIQUE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",)),
    LongCase("unique index, update", "CREATE UNIQUE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",), verb="update"),
    LongCase("unique nocase index", "CREATE UNIQUE INDEX {i} ON {c} (title COLLATE NOCASE)", {"title": LONG}, ("title",)),
    LongCase("multi-column index, one value long", "CREATE INDEX {i} ON {c} (n, title)", {"n": 1, "title": LONG}, ("title",)),
    LongCase("multi-column index, two halves too long together", "CREATE INDEX {i} ON {c} (title, note)",
             {"title": HALF, "note": HALF}, ("note", "title")),
    LongCase("multi-column index, a short value beside a long one", "CREATE INDEX {i} ON {c} (title, note)",
             {"title": "short", "note": LONG}, ("note",)),
    LongCase("json index", "CREATE INDEX {i} ON {c} (meta)", {"meta": {"k": LONG}}, ("meta",)),
    LongCase("past 8,191 bytes: no index named", "CREATE INDEX {i} ON {c} (title)", {"title": HUGE}, ("title",)),
    LongCase("an index name past Postgres's 63 bytes",
             "CREATE INDEX {i}_named_past_the_sixty_three_bytes_postgres_keeps_of_a_name ON {c} (title)", {"title": LONG}, ("title",)),
    LongCase("batch create", "CREATE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",), via="batch"),
    LongCase("batch update", "CREATE UNIQUE INDEX {i} ON {c} (title)", {"title": LONG}, ("title",), verb="update", via="batch"),
]  # fmt: skip


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any) -> Iterator[TestServer]:
    """One pybase for the module (each case works in a collection of its own), batch on."""
    template, url = fixture_data, ""
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    server = start_server(Path(tmp_path_factory.mktemp("long_index")), template, url)
    try:
        su = {"Authorization": server.token("superuser")}
        assert server.request("PATCH", "/api/settings", headers=su, json={"batch": {"enabled": True}}).status_code == 200
        yield server
    finally:
        server.stop()
        databases.drop(url)


def _write(server: TestServer, su: dict[str, str], name: str, case: LongCase, record_id: str) -> tuple[int, dict[str, Any]]:
    """The write's status and the answer of the record's own request (a batch's inner one)."""
    method, url = ("PATCH", f"/api/collections/{name}/records/{record_id}") if case.verb == "update" else (
        "POST", f"/api/collections/{name}/records")
    if case.via == "api":
        resp = server.request(method, url, headers=su, json=case.body)
        return resp.status_code, resp.json()
    resp = server.request("POST", "/api/batch", headers=su, json={"requests": [{"method": method, "url": url, "body": case.body}]})
    answer = resp.json()
    if resp.status_code != 200:
        assert answer["message"] == "Batch transaction failed.", answer
        inner = answer["data"]["requests"]["0"]
        assert inner["code"] == "batch_request_failed"
        return resp.status_code, inner["response"]
    return resp.status_code, answer[0]["body"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_long_value_under_an_index(long_server: TestServer, backend: str, case: LongCase) -> None:
    su = {"Authorization": long_server.token("superuser")}
    name = f"long{next(_numbers)}"
    index = case.index.format(i=f"idx_{name}", c=name)
    created = long_server.request("POST", "/api/collections", headers=su, json={"name": name, "fields": FIELDS, "indexes": [index]})
    assert created.status_code == 200, created.text
    record_id = ""
    if case.verb == "update":
        first = long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": "short", "n": 1})
        assert first.status_code == 200, first.text
        record_id = first.json()["id"]
    status, answer = _write(long_server, su, name, case, record_id)
    records = long_server.request("GET", f"/api/collections/{name}/records", headers=su).json()["items"]
    if backend == "sqlite":  # NOTE: as PocketBase: stored as sent
        assert status == 200, answer
        assert len(records) == 1
        assert {key: records[0][key] for key in case.body} == case.body
        return
    assert status == 400, answer
    assert answer["message"] == ("Failed to create record." if case.verb == "create" else "Failed to update record.")
    assert sorted(answer["data"]) == list(case.fields)
    for field in case.fields:
        assert answer["data"][field]["code"] == "validation_invalid_value"
        message = answer["data"][field]["message"]
        index_name = index.split(" ON ")[0].split()[-1]
        assert message.startswith(f"The value is too long for the index {index_name}:"), message
    # nothing stored: no record made, the updated one as it was
    assert [(r["title"], r["note"]) for r in records] == ([] if case.verb == "create" else [("short", "")])


def test_an_index_over_a_long_value_already_stored(long_server: TestServer, backend: str) -> None:
    """The index added to a collection whose records hold a long value: SQLite (PocketBase)
    makes it; Postgres cannot, and the collection's save names the index in Postgres's words,
    as it names any index the database refuses, keeping the collection as it was."""
    su = {"Authorization": long_server.token("superuser")}
    name = f"long{next(_numbers)}"
    assert long_server.request("POST", "/api/collections", headers=su, json={"name": name, "fields": FIELDS}).status_code == 200
    assert long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": LONG}).status_code == 200
    index = f"CREATE INDEX idx_{name} ON {name} (title)"
    resp = long_server.request("PATCH", f"/api/collections/{name}", headers=su, json={"indexes": [index]})
    if backend == "sqlite":
        assert resp.status_code == 200, resp.text
        assert resp.json()["indexes"] == [index]
        return
    assert resp.status_code == 400, resp.text
    assert resp.json()["data"] == {"indexes": {"0": {"code": "validation_invalid_index_expression", "message": (
        f'Failed to create index idx_{name} - index row size 4016 exceeds btree version 4 maximum 2704 for index "idx_{name}".')}}}
    assert long_server.request("GET", f"/api/collections/{name}", headers=su).json()["indexes"] == []
