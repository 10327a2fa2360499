"""A long value under an index (issue #17).

PocketBase (SQLite) stores a value of any length under an index, and so does pybase on both
databases. A Postgres btree index row holds at most 2,704 bytes (a third of a page, after
compression; random text does not compress), and a row of more than 8,191 bytes is refused
before that check with no index named: on Postgres an index whose keys may be longer (a field
with no ``max`` under the bound, JSON, an expression) holds them by SHA-256 (unique) and serves
``=`` by a hash index (pybase.store.index_long_keys). Each case: the collection's index, the
body of the write that holds the long values, whether it creates or updates (a record made short
first), through the record API or a batch; the record is stored as sent and found by its value.

An index an older pybase made (a btree over the column) still refuses such a write with a 400
naming the fields (validation_invalid_value, the index named in the message), storing nothing;
the collection's next save makes it anew.
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.testapp import TestServer, start_server

pytestmark = pytest.mark.both_backends

_letters = random.Random(17)
#: random letters do not compress: 3,200 bytes overflow the 2,704 bytes of a btree row (a filter holds 3,500)
LONG = "".join(_letters.choices(string.ascii_letters, k=3200))
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
def test_a_long_value_under_an_index(long_server: TestServer, case: LongCase) -> None:
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
    assert status == 200, answer  # NOTE: as PocketBase: stored as sent
    records = long_server.request("GET", f"/api/collections/{name}/records", headers=su).json()["items"]
    assert len(records) == 1
    assert {key: records[0][key] for key in case.body} == case.body
    key, value = next((k, v) for k, v in case.body.items() if k != "n")
    if len(str(value)) > 3400:
        return  # NOTE: past a filter's 3,500 characters
    found = long_server.request("GET", f"/api/collections/{name}/records", headers=su,
                                params={"filter": f'{key} = "{value}"' if isinstance(value, str) else f'{key}.k = "{value["k"]}"'})  # fmt: skip
    assert found.status_code == 200, found.text[:300]
    assert [r["id"] for r in found.json()["items"]] == [records[0]["id"]]


def test_an_index_over_a_long_value_already_stored(long_server: TestServer) -> None:
    """The index added to a collection whose records hold a long value: made, as SQLite
    (PocketBase) makes it."""
    su = {"Authorization": long_server.token("superuser")}
    name = f"long{next(_numbers)}"
    assert long_server.request("POST", "/api/collections", headers=su, json={"name": name, "fields": FIELDS}).status_code == 200
    assert long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": LONG}).status_code == 200
    index = f"CREATE UNIQUE INDEX idx_{name} ON {name} (title)"
    resp = long_server.request("PATCH", f"/api/collections/{name}", headers=su, json={"indexes": [index]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["indexes"] == [index]
    again = long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": LONG})
    assert again.status_code == 400
    assert again.json()["data"] == {"title": {"code": "validation_not_unique", "message": "Value must be unique."}}


@pytest.mark.postgres_only("SQLite's index holds any value")
def test_an_older_btree_index_refuses_a_long_value_by_name(long_server: TestServer, backend: str) -> None:
    """A btree index an older pybase made over the column (before index_long_keys): the write's
    400 names the field and the index; nothing stored. Saving the collection makes it anew."""
    su = {"Authorization": long_server.token("superuser")}
    name = f"long{next(_numbers)}"
    index = f"CREATE INDEX idx_{name} ON {name} (title)"
    assert long_server.request("POST", "/api/collections", headers=su, json={"name": name, "fields": FIELDS, "indexes": [index]}).status_code == 200
    with psycopg.connect(long_server.app.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP INDEX "idx_{name}"')
        conn.execute(f'CREATE INDEX "idx_{name}" ON "{name}" ("title")')
    resp = long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": LONG})
    assert resp.status_code == 400, resp.text
    assert resp.json()["data"]["title"]["code"] == "validation_invalid_value"
    assert resp.json()["data"]["title"]["message"].startswith(f"The value is too long for the index idx_{name}:")
    assert long_server.request("GET", f"/api/collections/{name}/records", headers=su).json()["items"] == []
    assert long_server.request("PATCH", f"/api/collections/{name}", headers=su, json={"listRule": None}).status_code == 200
    resp = long_server.request("POST", f"/api/collections/{name}/records", headers=su, json={"title": LONG})
    assert resp.status_code == 200, resp.text


@pytest.mark.postgres_only("SQLite makes each index as written")
def test_which_indexes_postgres_makes(long_server: TestServer, backend: str) -> None:
    """A key bounded under a btree row keeps its btree (so <, > and sorts use it); one that may
    be longer is held by digest (unique) or hash, and '=' on it still uses an index."""
    su = {"Authorization": long_server.token("superuser")}
    name = f"long{next(_numbers)}"
    fields = [*FIELDS, {"name": "short", "type": "text", "max": 650}, {"name": "wide", "type": "text", "max": 651},
              {"name": "when", "type": "date"}, {"name": "mail", "type": "email"}]  # fmt: skip
    indexes = {
        "short": f"CREATE UNIQUE INDEX idx_{name}_short ON {name} (short)",
        "wide": f"CREATE UNIQUE INDEX idx_{name}_wide ON {name} (wide)",
        "when": f"CREATE INDEX idx_{name}_when ON {name} (`when`)",
        "title": f"CREATE INDEX idx_{name}_title ON {name} (title)",
        "pair": f"CREATE INDEX idx_{name}_pair ON {name} (n, title)",
        "mail": f"CREATE UNIQUE INDEX idx_{name}_mail ON {name} (mail) WHERE mail != ''",
    }
    created = long_server.request("POST", "/api/collections", headers=su, json={"name": name, "fields": fields, "indexes": list(indexes.values())})
    assert created.status_code == 200, created.text
    found = dict(long_server.rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ?", name))
    kinds = {key: found[f"idx_{name}_{key}"].split(" USING ", 1)[1] for key in indexes}
    assert kinds == {
        "short": "btree (short NULLS FIRST)",
        "wide": "btree (pb_index_digest(wide))",
        "when": 'btree ("when" NULLS FIRST)',
        "title": "hash (title)",
        "pair": "btree (n NULLS FIRST)",
        "mail": "btree (pb_index_digest(mail)) WHERE (mail <> ''::text)",
    }
    assert found[f"idx_{name}_wide__pb_eq"].endswith("USING hash (wide)")
    assert found[f"idx_{name}_mail__pb_eq"].endswith("USING hash (mail)")
    # NOTE: beside a text column held by digest or hash as the first key: a btree over its prefix
    prefix = 'btree ("left"({0}, 128) NULLS FIRST)'  # NOTE: the column's own collation, "C", not shown
    assert {key: found[f"idx_{name}_{key}__pb_ord"].split(" USING ", 1)[1] for key in ("wide", "title", "mail")} == {
        "wide": prefix.format("wide"), "title": prefix.format("title"),
        "mail": prefix.format("mail") + " WHERE (mail <> ''::text)",
    }  # fmt: skip
    assert len(found) == len(indexes) + 6  # NOTE: the primary key's, the two lookup indexes and the three prefix ones
    with psycopg.connect(long_server.app.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        for where, index in (("wide = 'x'", "__pb_eq"), ("mail = 'x'", "__pb_eq"), ("title = 'x'", "_title"), ("short < 'x'", "_short")):
            plan = " ".join(row[0] for row in conn.execute(f'EXPLAIN SELECT id FROM "{name}" WHERE {where}'))
            assert f"idx_{name}" in plan and index in plan and "Seq Scan" not in plan, (where, plan)
