"""SQL a hook writes reads the columns SQLite would answer, on Postgres too: not the hidden
columns pybase keeps there (a view's SQL values, ``pb$held$<column>``: pybase.store.view_held;
a table's ``_rowid_``, unless named), whichever way the rows come (newQuery, the select builder,
recordQuery's records)."""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory

pytestmark = pytest.mark.both_backends

#: a view of a column read from JSON: Postgres holds its SQL value in a hidden column
VIEW = {"name": "held_v", "type": "view", "viewQuery": "SELECT id, json_extract(meta, '$.k') AS Kay FROM posts"}

#: (case, JS giving the column names the hook sees, those names)
CASES = [
    ("newQuery into arrayOf(DynamicModel({}))",
     "(() => { const rows = arrayOf(new DynamicModel({})); "
     "$app.db().newQuery('SELECT * FROM held_v ORDER BY id').all(rows); return Object.keys(rows[0]); })()",
     ["id", "Kay"]),
    ("newQuery all without a target", "Object.keys($app.db().newQuery('SELECT * FROM held_v ORDER BY id').all()[2])", ["id", "Kay"]),
    ("newQuery one into a plain object", "Object.keys($app.db().newQuery('SELECT * FROM held_v ORDER BY id').one({}))", ["id", "Kay"]),
    ("newQuery row", "$app.db().newQuery('SELECT * FROM held_v ORDER BY id').row().map((_, at) => 'c' + at)", ["c0", "c1"]),
    ("the select builder", "Object.keys($app.db().select('*').from('held_v').orderBy('id').one({}))", ["id", "Kay"]),
    ("a subquery over the view", "Object.keys($app.db().newQuery('SELECT * FROM (SELECT * FROM held_v) t').all()[0])", ["id", "Kay"]),
    ("a view read with its own name", "Object.keys($app.db().newQuery('SELECT held_v.* FROM held_v').one({}))", ["id", "Kay"]),
    ("recordQuery records", "(() => { const r = $app.recordQuery('held_v').orderBy('id').one(new Record()); "
     "return [r.get('pb$held$Kay'), r.get('_rowid_')].map((v) => String(v)); })()", ["null", "null"]),
    ("a table's star", "Object.keys($app.db().newQuery('SELECT * FROM posts LIMIT 1').one({})).filter((k) => /rowid/i.test(k))", []),
    ("recordQuery of a table", "(() => { const r = $app.recordQuery('posts').limit(1).one(new Record()); "
     "return [String(r.get('_rowid_'))]; })()", ["null"]),
    ("a table's rowid named", "Object.keys($app.db().newQuery('SELECT id, _rowid_ AS n FROM posts LIMIT 1').one({}))", ["id", "n"]),
]  # fmt: skip


def test_a_hooks_sql_reads_no_hidden_column(hooks_server: HooksServerFactory) -> None:
    routes = "\n".join(
        f'routerAdd("GET", "/case/{number}", (e) => e.json(200, {source}));' for number, (_, source, _) in enumerate(CASES)
    )
    srv = hooks_server({"held.pb.js": routes})
    created = srv.request("POST", "/api/collections", json=VIEW, headers={"Authorization": srv.token("superuser")})
    assert created.status_code == 200, created.text
    got = {}
    for number, (name, _, _) in enumerate(CASES):
        resp = srv.request("GET", f"/case/{number}")
        got[name] = resp.json() if resp.status_code == 200 else resp.text
    assert got == {name: expected for name, _, expected in CASES}
