"""JS event hooks: request hooks, model hooks with tag filters, onBootstrap, routerUse."""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory
from tests.testapp import POST1_ID

# NOTE: record, collection and request hooks on both databases
pytestmark = pytest.mark.both_backends


def test_create_request_hook_alters_a_field(hooks_server: HooksServerFactory):
    srv = hooks_server(["records.pb.js"])
    r = srv.request("POST", "/api/collections/posts/records", json={"title": "Hello"})
    assert r.status_code == 200
    assert r.json()["title"] == "Hello via js"
    assert srv.app.find_record_by_id("posts", r.json()["id"]).get("title") == "Hello via js"


def test_create_request_hook_rejects_with_bad_request(hooks_server: HooksServerFactory):
    srv = hooks_server(["records.pb.js"])
    before = srv.app.records.count(srv.app.find_collection("posts"))
    r = srv.request("POST", "/api/collections/posts/records", json={"title": "forbidden"})
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "message": "Titles like this are not allowed.",
        "data": {"title": {"code": "no_way", "message": "Nope."}},
    }
    assert srv.app.records.count(srv.app.find_collection("posts")) == before
    assert srv.events["onRecordCreate"] == 0


def test_model_hook_runs_only_for_its_collection_tag(hooks_server: HooksServerFactory):
    srv = hooks_server(["records.pb.js"])
    comment = srv.request("POST", "/api/collections/comments/records", json={"message": "hi", "post": POST1_ID})
    assert comment.status_code == 200 and comment.json()["message"] == "hi (checked)"
    post = srv.request("POST", "/api/collections/posts/records", json={"title": "Plain"})
    assert post.status_code == 200 and post.json()["title"] == "Plain via js"
    assert srv.events["onRecordCreate"] == 2


def test_code_after_next_sees_the_saved_record(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "after.pb.js": """
onRecordCreateRequest((e) => {
  e.next();
  // after the built-in action: the record is saved and the response written, so (as Go's
  // ResponseWriter in PocketBase) a header set now is not sent
  e.response.header().set("X-Saved-Id", e.record.id);
  const note = [e.record.id, e.record.isNew(), e.written(), e.status()].join(" ");
  $app.save(new Record(e.record.collection(), { title: "after " + note }));
}, "posts");
""",
    })
    r = srv.request("POST", "/api/collections/posts/records", json={"title": "After next"})
    assert r.status_code == 200, r.text
    assert "X-Saved-Id" not in r.headers
    found = srv.request("GET", "/api/collections/posts/records", params={"filter": "title ~ ' true '"},
                        headers={"Authorization": srv.token("superuser")}).json()["items"]
    assert [item["title"] for item in found] == [f"after {r.json()['id']} false true 200"]


def test_hook_that_does_not_call_next_stops_the_chain(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "stop.pb.js": """
onRecordViewRequest((e) => {
  return e.json(200, { intercepted: e.record.id, by: e.collection.name });
}, "posts");
""",
    })
    r = srv.request("GET", f"/api/collections/posts/records/{POST1_ID}")
    assert r.json() == {"intercepted": POST1_ID, "by": "posts"}


def test_on_bootstrap_runs_after_the_core_is_ready(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "boot.pb.js": """
onBootstrap((e) => {
  e.next();
  const record = new Record($app.findCollectionByNameOrId("locked"), { title: "from bootstrap" });
  $app.save(record);
});
""",
    })
    locked = srv.app.find_collection("locked")
    assert srv.app.records.find_first(locked, title="from bootstrap") is not None


def test_router_use_wraps_js_routes_and_runs_before_pybase_routes(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "use.pb.js": """
routerUse((e) => {
  if (e.request.header.get("X-Block") === "1") {
    throw new ForbiddenError("blocked by middleware");
  }
  e.response.header().set("X-Mw", "yes");
  e.next();
});
routerAdd("GET", "/ping", (e) => e.string(200, "pong"));
""",
    })
    ping = srv.request("GET", "/ping")
    assert (ping.text, ping.headers["X-Mw"]) == ("pong", "yes")
    health = srv.request("GET", "/api/health")
    assert health.status_code == 200 and health.headers["X-Mw"] == "yes"
    blocked = srv.request("GET", "/api/health", headers={"X-Block": "1"})
    assert (blocked.status_code, blocked.json()["message"]) == (403, "Blocked by middleware.")


def test_handlers_cannot_see_file_level_variables(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "scope.pb.js": """
const secret = "file level";
routerAdd("GET", "/scope", (e) => e.json(200, { seen: typeof secret }));
""",
    })
    assert srv.request("GET", "/scope").json() == {"seen": "undefined"}


def test_auth_record_passwords_from_js(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "pw.pb.js": """
routerAdd("POST", "/signup", (e) => {
  const body = e.requestInfo().body;
  const user = new Record($app.findCollectionByNameOrId("users"), { email: body.email, name: "JS" });
  user.setPassword(body.password);
  $app.save(user);
  const found = $app.findAuthRecordByEmail("users", body.email);
  return e.json(200, {
    ok: found.validatePassword(body.password),
    wrong: found.validatePassword("nope"),
    email: found.email(),
    collection: found.collection().name,
  });
});
""",
    })
    r = srv.request("POST", "/signup", json={"email": "js@example.com", "password": "secret-pass-123"})
    assert r.json() == {"ok": True, "wrong": False, "email": "js@example.com", "collection": "users"}
    login = srv.request(
        "POST", "/api/collections/users/auth-with-password", json={"identity": "js@example.com", "password": "secret-pass-123"}
    )
    assert login.status_code == 200


def test_memory_limit_per_context(hooks_server: HooksServerFactory):
    srv = hooks_server({
        "mem.pb.js": """
routerAdd("GET", "/hog", (e) => {
  const chunks = [];
  while (true) chunks.push(new Array(100000).fill(7));
});
routerAdd("GET", "/ok", (e) => e.json(200, { ok: true }));
""",
    }, memory_limit=16 << 20)
    r = srv.request("GET", "/hog")
    assert r.status_code in (400, 500)
    assert srv.request("GET", "/ok").json() == {"ok": True}


REQUEST_INFO_HOOK = """
onRecordUpdateRequest((e) => {
    const info = e.requestInfo();
    e.record.set("title", info.body.title + " " + e.request.pathValue("id") + " " + info.method);
    e.next();
}, "posts");
"""


def test_record_request_hooks_see_the_body_and_path_values(hooks_server: HooksServerFactory):
    srv = hooks_server({"info.pb.js": REQUEST_INFO_HOOK})
    r = srv.request("PATCH", f"/api/collections/posts/records/{POST1_ID}", json={"title": "Changed"})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == f"Changed {POST1_ID} PATCH"


RELATION_FILTER_ROUTE = """
routerAdd("GET", "/by-author", (e) => {
    const titles = $app.findRecordsByFilter("posts", "author.name = {:name}", "title", 10, 0, { name: "User Two" })
        .map((r) => r.get("title"));
    return e.json(200, { titles });
});
"""


def test_find_records_by_filter_follows_relations(hooks_server: HooksServerFactory):
    srv = hooks_server({"rel.pb.js": RELATION_FILTER_ROUTE})
    r = srv.request("GET", "/by-author")
    assert r.status_code == 200, r.text
    assert r.json() == {"titles": ["Second post"]}


REPEATED_FILTER_ROUTE = """
routerAdd("GET", "/filtered/{min}", (e) => {
    const min = parseInt(e.request.pathValue("min"));
    const rows = $app.findRecordsByFilter("posts", "views > {:min}", "title", 10, 0, { min: min });
    const recent = $app.findRecordsByFilter("posts", "created <= @now && views > 0", "title", 10, 0);
    return e.json(200, {
        titles: rows.map((r) => r.get("title")),
        subtitles: rows.map((r) => r.get("subtitle")),
        recent: recent.map((r) => r.get("title")),
    });
});
"""


def test_find_records_by_filter_called_again_reads_the_data_and_schema_of_now(hooks_server: HooksServerFactory):
    # The statement of a repeated filter is compiled once: new rows, other parameters, a
    # changed collection and the datetime macros must still answer as on the first call.
    srv = hooks_server({"filtered.pb.js": REPEATED_FILTER_ROUTE})
    first = srv.request("GET", "/filtered/5").json()
    assert first == {"titles": ["First post", "Second post"], "subtitles": [None, None],
                     "recent": ["First post", "Second post"]}
    assert srv.request("GET", "/filtered/5").json() == first

    created = srv.request("POST", "/api/collections/posts/records", json={"title": "Fourth post", "views": 50})
    assert created.status_code == 200, created.text
    assert srv.request("GET", "/filtered/5").json()["titles"] == ["First post", "Fourth post", "Second post"]
    assert srv.request("GET", "/filtered/20").json()["titles"] == ["Fourth post", "Second post"]
    assert srv.request("GET", "/filtered/5").json()["recent"] == ["First post", "Fourth post", "Second post"]

    su = {"Authorization": srv.token("superuser")}
    posts = srv.request("GET", "/api/collections/posts", headers=su).json()
    fields = [*posts["fields"], {"name": "subtitle", "type": "text"}]
    r = srv.request("PATCH", "/api/collections/posts", json={"fields": fields}, headers=su)
    assert r.status_code == 200, r.text
    r = srv.request("PATCH", f"/api/collections/posts/records/{POST1_ID}", json={"subtitle": "sub"}, headers=su)
    assert r.status_code == 200, r.text
    assert srv.request("GET", "/filtered/5").json()["subtitles"] == ["sub", "", ""]


ROUND_TRIP_ROUTE = """
routerAdd("GET", "/round-trip", (e) => {
    const post = $app.findRecordById("posts", "post1aaaaaaaaaa");
    const back = (value) => { e.set("k", value); return e.get("k"); };
    const list = back([post, $app.findRecordById("posts", "post2aaaaaaaaaa")]);
    const held = back({ post: post, n: 1 });
    return e.json(200, {
        text: back("h\\u00e9llo \\u2713 \\ud83d\\ude00"), empty: back(""), int: back(42), big: back(Math.pow(2, 40)),
        float: back(1.5), negZero: Object.is(back(-0), 0), yes: back(true), no: back(false),
        nil: back(null), undef: back(undefined), none: back([]), nested: back({ a: [1, "x", null] }),
        list: list.map((r) => r.get("title")), same: list[0] === post, held: held.post.get("title"), heldN: held.n,
        records: [post],
    });
});
"""


def test_values_cross_to_python_and_back_unchanged(hooks_server: HooksServerFactory):
    # Strings, booleans, null and int32 numbers cross as they are, records by handle, the rest
    # as JSON; simple answers come back without JSON: each kind keeps its value and type.
    srv = hooks_server({"trip.pb.js": ROUND_TRIP_ROUTE})
    r = srv.request("GET", "/round-trip")
    assert r.status_code == 200, r.text
    body = r.json()
    records = body.pop("records")
    assert body == {
        "text": "h\u00e9llo \u2713 \U0001f600", "empty": "", "int": 42, "big": 2**40, "float": 1.5, "negZero": True,
        "yes": True, "no": False, "nil": None, "undef": None, "none": [], "nested": {"a": [1, "x", None]},
        "list": ["First post", "Second post"], "same": True, "held": "First post", "heldN": 1,
    }
    assert [rec["id"] for rec in records] == [POST1_ID]
    assert "secret" not in records[0]
