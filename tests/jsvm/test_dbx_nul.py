"""A NUL character read and written through $app.db() on both databases (issue #17).

Postgres holds a NUL in text escaped (pybase.store.pg_nul): a hook's raw query binds the value
escaped and reads rows back as written, as on SQLite (PocketBase).
"""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory

pytestmark = pytest.mark.both_backends

NUL_JS = """
routerAdd("POST", "/nul", (e) => {
  const value = e.requestInfo().body.value;
  $app.db().newQuery("UPDATE nuls SET t = {:v} WHERE id = 'nulrecord000001'").bind({ v: value }).execute();
  const row = $app.db().newQuery("SELECT t, t = {:v} AS same FROM nuls WHERE id = 'nulrecord000001'").bind({ v: value }).one({});
  const found = $app.db().newQuery("SELECT count(*) AS n FROM nuls WHERE t = {:v}").bind({ v: value }).one({});
  e.json(200, { t: row.t, same: !!row.same, n: found.n });
});
"""


@pytest.mark.parametrize("value", ["a\x00b", "\x01", "\x01\x01", "plain"])
def test_a_hooks_query_reads_a_nul_as_written(hooks_server: HooksServerFactory, value: str) -> None:
    srv = hooks_server({"nul.pb.js": NUL_JS})
    su = {"Authorization": srv.token("superuser")}
    assert srv.request("POST", "/api/collections", headers=su, json={"name": "nuls", "fields": [{"name": "t", "type": "text"}]}).status_code == 200
    assert srv.request("POST", "/api/collections/nuls/records", headers=su, json={"id": "nulrecord000001"}).status_code == 200
    resp = srv.request("POST", "/nul", json={"value": value})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"t": value, "same": True, "n": 1}
    record = srv.request("GET", "/api/collections/nuls/records/nulrecord000001", headers=su).json()
    assert record["t"] == value
