"""$app.runInTransaction, $app.db().newQuery(), findAllRecords/$dbx, new Collection + $app.save, unmarshal."""

from __future__ import annotations

import threading
import time

import pytest

from tests.jsvm.conftest import HooksServerFactory
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

# NOTE: $app.db(), the record finders, transactions and collections from JS on both databases
pytestmark = pytest.mark.both_backends

DB_JS = """
routerAdd("POST", "/tx/{mode}", (e) => {
  const mode = e.request.pathValue("mode");
  const make = (app, title) => app.save(new Record(app.findCollectionByNameOrId("locked"), { title: title }));
  try {
    const out = $app.runInTransaction((txApp) => {
      make(txApp, "tx one");
      if (mode === "nested") {
        txApp.runInTransaction((inner) => { make(inner, "tx inner"); });
      }
      if (mode === "throw") throw new BadRequestError("nope");
      if (mode === "slow") sleep(1500);
      return "done";
    });
    e.json(200, { out: out });
  } catch (err) {
    e.json(200, { error: err.message });
  }
});

routerAdd("POST", "/tx-runaway", (e) => {
  $app.runInTransaction((txApp) => {
    txApp.save(new Record(txApp.findCollectionByNameOrId("locked"), { title: "runaway" }));
    while (true) {}
  });
});

routerAdd("GET", "/query", (e) => {
  const one = $app.db()
    .newQuery("SELECT id, title, views, published, meta FROM posts WHERE id = {:id}")
    .bind({ id: e.request.url.query().get("id") })
    .one(new DynamicModel({ id: "", title: "", views: 0, published: false, meta: {} }));
  const rows = arrayOf(new DynamicModel({ title: "", views: 0 }));
  $app.db().newQuery("SELECT title, views FROM posts WHERE views >= {:min} ORDER BY views").bind({ min: 10 }).all(rows);
  const injected = $app.db()
    .newQuery("SELECT count(*) AS n FROM posts WHERE title = {:t}")
    .bind({ t: "x' OR '1'='1" }).one(new DynamicModel({ n: 0 }));
  const colons = $app.db().newQuery("SELECT __HM__ AS hm, [[title]] AS t FROM {{posts}} LIMIT 1").one({});
  let missing = "";
  try { $app.db().newQuery("SELECT id FROM posts WHERE id = 'nope'").one({}); } catch (err) { missing = err.message; }
  e.json(200, { one: one, rows: rows, injected: injected.n, colons: colons, missing: missing,
                isModel: rows[0] instanceof DynamicModel });
});

routerAdd("POST", "/exec", (e) => {
  const res = $app.db().newQuery("UPDATE posts SET views = views + {:n} WHERE views < 100").bind({ n: 1 }).execute();
  e.json(200, { affected: res.rowsAffected() });
});

routerAdd("GET", "/find-all", (e) => {
  const titles = (list) => list.map((r) => r.getString("title"));
  e.json(200, {
    all: titles($app.findAllRecords("posts")),
    hash: titles($app.findAllRecords("posts", $dbx.hashExp({ published: true }))),
    exp: titles($app.findAllRecords("posts", $dbx.exp("views > {:v}", { v: 5 }), $dbx.not($dbx.like("title", "Second")))),
    inOr: titles($app.findAllRecords("posts", $dbx.or($dbx.in("id", "post3aaaaaaaaaa"), $dbx.between("views", 500, 700)))),
    count: $app.countRecords("posts", $dbx.notIn("id", "post1aaaaaaaaaa"), "views > 0"),
    relCount: $app.countRecords("posts", "author.name = 'User Two'"),
    relAll: titles($app.findAllRecords("posts", $dbx.hashExp({ published: true }), "editors.name ?= 'User Two'")),
    backRel: $app.countRecords("posts", "comments_via_post.message = 'hello'"),
  });
});

routerAdd("POST", "/collections", (e) => {
  const c = new Collection({
    name: "notes", type: "base", listRule: "",
    fields: [{ name: "text", type: "text", required: true }, { name: "n", type: "number" }],
  });
  $app.save(c);
  const created = { id: c.id, isBase: c.isBase(), field: c.fields.getByName("text").type };
  $app.save(new Record(c, { text: "first note", n: 3 }));

  const loaded = $app.findCollectionByNameOrId("notes");
  loaded.fields.add({ name: "extra", type: "bool" });
  unmarshal({ viewRule: "", indexes: ["CREATE INDEX idx_notes_n ON notes (n)"] }, loaded);
  $app.save(loaded);
  const again = $app.findCollectionByNameOrId("notes");
  e.json(200, {
    created: created,
    fields: again.fields.map((f) => f.name),
    viewRule: again.viewRule,
    indexes: again.indexes,
    count: $app.countRecords("notes"),
  });
});

routerAdd("DELETE", "/collections/{name}", (e) => {
  $app.delete($app.findCollectionByNameOrId(e.request.pathValue("name")));
  e.noContent(204);
});

routerAdd("POST", "/collections-invalid", (e) => {
  try {
    $app.save(new Collection({ name: "bad name!" }));
  } catch (err) {
    return e.json(200, { error: err.message, status: err.status });
  }
});

routerAdd("POST", "/unmarshal", (e) => {
  const rec = new Record($app.findCollectionByNameOrId("locked"));
  unmarshal({ title: "from unmarshal" }, rec);
  const obj = { a: 1, keep: true };
  unmarshal('{"a": 2, "b": [1]}', obj);
  e.json(200, { title: rec.get("title"), obj: obj });
});
"""


# raw SQL is the database's own: a time formatted with colons inside a literal, per database
HOUR_MINUTE = {
    "sqlite": "strftime('%H:%M', '2024-01-01 10:20:00')",
    "postgres": "to_char(timestamp '2024-01-01 10:20:00', 'HH24:MI')",
}


@pytest.fixture
def srv(hooks_server: HooksServerFactory, backend: str):
    return hooks_server({"db.pb.js": DB_JS.replace("__HM__", HOUR_MINUTE[backend])}, timeout=3.0)


def _titles(srv, name="locked"):
    return sorted(r.get("title") for r in srv.app.records.list_page(srv.app.find_collection(name), per_page=100).records)


def test_run_in_transaction_commits(srv):
    assert srv.request("POST", "/tx/ok").json() == {"out": "done"}
    assert _titles(srv) == ["locked one", "tx one"]
    assert srv.request("POST", "/tx/nested").json() == {"out": "done"}
    assert _titles(srv) == ["locked one", "tx inner", "tx one", "tx one"]


def test_run_in_transaction_rolls_back_on_throw(srv):
    # NOTE: an ApiError's message is normalised when it is made, as PocketBase's NewApiError
    assert srv.request("POST", "/tx/throw").json() == {"error": "Nope."}
    assert _titles(srv) == ["locked one"]
    assert srv.events["onRecordAfterCreateSuccess"] == 0


def test_run_in_transaction_is_a_real_write_transaction(srv):
    # While one request holds the transaction, a plain write from another thread waits for it.
    started = threading.Event()
    result = {}
    srv.token("superuser")  # warm up outside the timed part

    def slow():
        started.set()
        result["tx"] = srv.request("POST", "/tx/slow").json()

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait()
    time.sleep(0.5)
    t0 = time.monotonic()
    su = {"Authorization": srv.token("superuser")}
    r = srv.request("POST", "/api/collections/locked/records", json={"title": "outside"}, headers=su)
    waited = time.monotonic() - t0
    thread.join()
    assert r.status_code == 200 and result["tx"] == {"out": "done"}
    assert waited > 0.5
    assert _titles(srv) == ["locked one", "outside", "tx one"]


def test_interrupted_handler_rolls_its_transaction_back(srv):
    r = srv.request("POST", "/tx-runaway")
    assert r.status_code == 500
    assert _titles(srv) == ["locked one"]
    # the writer is free again
    assert srv.request("POST", "/tx/ok").json() == {"out": "done"}


def test_new_query_binds_params_and_fills_dynamic_models(srv):
    body = srv.request("GET", "/query", params={"id": POST1_ID}).json()
    assert body["one"] == {"id": POST1_ID, "title": "First post", "views": 10, "published": True, "meta": {"k": 1}}
    assert body["rows"] == [{"title": "First post", "views": 10}, {"title": "Second post", "views": 600}]
    assert body["isModel"] is True
    assert body["injected"] == 0
    assert body["colons"] == {"hm": "10:20", "t": "First post"}
    assert body["missing"] == "sql: no rows in result set"


def test_new_query_execute_writes_through_the_writer(srv):
    assert srv.request("POST", "/exec").json() == {"affected": 2}
    views = {r.id: r.get("views") for r in srv.app.records.list_page(srv.app.find_collection("posts")).records}
    assert views == {POST1_ID: 11, POST2_ID: 600, POST3_ID: 1}


def test_find_all_records_with_dbx_expressions(srv):
    assert srv.request("GET", "/find-all").json() == {
        "all": ["First post", "Second post", "Third post"],
        "hash": ["First post", "Second post"],
        "exp": ["First post"],
        "inOr": ["Second post", "Third post"],
        "count": 1,
        # Filter text with relation paths gets its joins (as in findRecordsByFilter).
        "relCount": 1,
        "relAll": ["First post"],
        "backRel": 1,
    }


def test_new_collection_save_update_and_delete(srv):
    body = srv.request("POST", "/collections").json()
    assert body["created"]["isBase"] is True and body["created"]["field"] == "text"
    assert body["created"]["id"].startswith("pbc_")
    assert body["fields"] == ["id", "text", "n", "extra"]
    assert body["viewRule"] == "" and body["indexes"] == ["CREATE INDEX idx_notes_n ON notes (n)"]
    assert body["count"] == 1
    r = srv.request("GET", "/api/collections/notes/records")
    assert r.status_code == 200 and r.json()["items"][0]["text"] == "first note"
    assert srv.request("DELETE", "/collections/notes").status_code == 204
    assert srv.app.registry.find("notes") is None


def test_invalid_collection_reaches_js_as_a_validation_error(srv):
    body = srv.request("POST", "/collections-invalid").json()
    assert body["status"] == 400


def test_unmarshal_into_records_and_objects(srv):
    assert srv.request("POST", "/unmarshal").json() == {"title": "from unmarshal", "obj": {"a": 2, "keep": True, "b": [1]}}


RUNAWAY_JS = """
routerAdd("GET", "/runaway-read", (e) => {
  const SPIN = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) ";
  $app.db().newQuery(SPIN + "SELECT count(*) AS n FROM c").one({});
  e.json(200, {});
});

routerAdd("POST", "/runaway-write", (e) => {
  const SPIN = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) ";
  let caught = "";
  try {
    $app.runInTransaction((txApp) => {
      txApp.db().newQuery("INSERT INTO posts (id, title) VALUES ('runawaybefore01', 'before')").execute();
      try {
        txApp.db().newQuery("INSERT INTO posts (id, title) " + SPIN + "SELECT 'spin' || x, 'spin' || x FROM c").execute();
      } catch (err) {
        caught = String(err.message || err);
      }
      // SQLite rolled the whole transaction back: this must not commit on its own.
      txApp.db().newQuery("INSERT INTO posts (id, title) VALUES ('runawayafter001', 'after')").execute();
    });
  } catch (err) {
    return e.json(400, { caught: caught });
  }
  return e.json(200, { caught: caught });
});
"""


#: what the stopped statement raises in JS
STOPPED = {"sqlite": "interrupted", "postgres": "canceling statement due to statement timeout"}


def test_hook_queries_stop_at_the_statement_time_limit(hooks_server: HooksServerFactory, backend: str) -> None:
    server = hooks_server({"runaway.pb.js": RUNAWAY_JS}, query_timeout=0.5)
    assert server.request("GET", "/runaway-read").status_code == 400
    resp = server.request("POST", "/runaway-write")
    assert resp.status_code == 400 and resp.json() == {"caught": STOPPED[backend]}, resp.text
    # Nothing of the stopped transaction was kept: not the row before, not the row after.
    su = {"Authorization": server.token("superuser")}
    for rid in ("runawaybefore01", "runawayafter001"):
        assert server.request("GET", f"/api/collections/posts/records/{rid}", headers=su).status_code == 404
    spin = server.request("GET", "/api/collections/posts/records?filter=title~'spin%25'&perPage=1", headers=su)
    assert spin.json()["totalItems"] == 0
