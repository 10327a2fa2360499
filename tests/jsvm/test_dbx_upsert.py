"""$app.db().upsert() on a column a unique index covers, on both databases (issue #17).

On Postgres a unique index over a text that may be long holds SHA-256 digests of it
(pybase.store.index_long_keys): ``ON CONFLICT (title)`` names no such index there, so the
conflict target is the index's own keys (and its WHERE); on SQLite the statement is dbx's.
"""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory

pytestmark = pytest.mark.both_backends

UPSERT_JS = """
routerAdd("POST", "/upsert/{table}/{column}", (e) => {
  const body = e.requestInfo().body;
  const out = $app.db().upsert(e.request.pathValue("table"), body, e.request.pathValue("column")).execute();
  e.json(200, { rows: out.rowsAffected });
});
"""

CASES = [
    # (fields, index, conflict column); a partial index is no conflict target on SQLite either
    ([{"name": "title", "type": "text"}, {"name": "n", "type": "number"}],
     "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title"),
    ([{"name": "title", "type": "text", "max": 100}, {"name": "n", "type": "number"}],
     "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "index", "column"), CASES, ids=["no max", "bounded"])
def test_upsert_on_a_unique_text(hooks_server: HooksServerFactory, fields: list[dict[str, str]], index: str, column: str) -> None:
    srv = hooks_server({"upsert.pb.js": UPSERT_JS})
    su = {"Authorization": srv.token("superuser")}
    body = {"name": "ups", "fields": fields, "indexes": [index.format(c="ups")]}
    assert srv.request("POST", "/api/collections", headers=su, json=body).status_code == 200
    long_title = "t" + "".join(chr(65 + (n * 7919) % 57) for n in range(3000)) if "max" not in fields[0] else "t"
    for n in (1, 2):
        resp = srv.request("POST", f"/upsert/ups/{column}", json={"id": f"upsertrecord00{n}", "title": long_title, "n": n})
        assert resp.status_code == 200, resp.text
    rows = srv.rows("SELECT id, n FROM ups")
    assert rows == [("upsertrecord002", 2)]  # NOTE: dbx sets every column given, the id too
