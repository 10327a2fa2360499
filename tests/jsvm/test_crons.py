"""cronAdd/cronRemove from pb_hooks, GET /api/crons, POST /api/crons/{id}, and the built-in jobs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from pybase.apis.crons import scheduler
from pybase.core.cron_jobs import delete_expired
from pybase.tools.types import format_datetime, now
from tests.jsvm.conftest import HooksServerFactory
from tests.testapp import USER1_ID

BUILTIN = [
    {"id": "__pbDBOptimize__", "expression": "0 0 * * *"},
    {"id": "__pbMFACleanup__", "expression": "0 * * * *"},
    {"id": "__pbOTPCleanup__", "expression": "0 * * * *"},
    {"id": "__pbLogsCleanup__", "expression": "0 */6 * * *"},
]

CRONS_JS = """
cronAdd("zz-report", "*/5 * * * *", () => {
  const col = $app.findCollectionByNameOrId("locked");
  const rec = new Record(col, { title: "from cron" });
  $app.save(rec);
});
cronAdd("aa-hourly", "@hourly", () => { console.log("hourly"); });
cronAdd("boom", "0 0 1 1 *", () => { throw new Error("cron failure"); });
cronRemove("__pbOTPCleanup__");

routerAdd("POST", "/crons/add/{id}", (e) => {
  cronAdd(e.request.pathValue("id"), "0 12 * * *", () => {
    $app.save(new Record($app.findCollectionByNameOrId("locked"), { title: "runtime job" }));
  });
  e.noContent(204);
});
routerAdd("DELETE", "/crons/{id}", (e) => {
  cronRemove(e.request.pathValue("id"));
  e.noContent(204);
});
"""


@pytest.fixture
def srv(hooks_server: HooksServerFactory):
    return hooks_server({"crons.pb.js": CRONS_JS})


def _su(srv):
    return {"Authorization": srv.token("superuser")}


def _wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _locked_titles(srv):
    return [r.get("title") for r in srv.app.records.list_page(srv.app.find_collection("locked"), per_page=100).records]


def test_crons_list_is_superusers_only(srv):
    assert srv.request("GET", "/api/crons").status_code == 401
    r = srv.request("GET", "/api/crons", headers={"Authorization": srv.token("user1")})
    assert r.status_code == 403
    assert srv.request("POST", "/api/crons/aa-hourly").status_code == 401


def test_crons_list_has_js_jobs_sorted_then_builtins(srv):
    r = srv.request("GET", "/api/crons", headers=_su(srv))
    assert r.status_code == 200
    assert r.json() == [
        {"id": "aa-hourly", "expression": "0 * * * *"},  # NOTE: expanded, as PocketBase lists it
        {"id": "boom", "expression": "0 0 1 1 *"},
        {"id": "zz-report", "expression": "*/5 * * * *"},
        # __pbOTPCleanup__ was removed by cronRemove() in the hooks file
        BUILTIN[0], BUILTIN[1], BUILTIN[3],
    ]


@pytest.mark.both_backends
def test_run_now_runs_the_js_handler_in_the_background(srv):
    r = srv.request("POST", "/api/crons/zz-report", headers=_su(srv))
    assert (r.status_code, r.content) == (204, b"")
    assert _wait_for(lambda: "from cron" in _locked_titles(srv))


def test_run_now_of_an_unknown_job_is_404(srv):
    r = srv.request("POST", "/api/crons/nope", headers=_su(srv))
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "Missing or invalid cron job.", "status": 404}


def test_a_failing_js_job_is_logged_and_answers_204(srv, caplog):
    assert srv.request("POST", "/api/crons/boom", headers=_su(srv)).status_code == 204
    assert _wait_for(lambda: "failed to execute cron job boom" in caplog.text)


def test_cron_add_and_remove_inside_a_handler_change_the_scheduler_at_once(srv):
    assert srv.request("POST", "/crons/add/live-job").status_code == 204
    ids = [j["id"] for j in srv.request("GET", "/api/crons", headers=_su(srv)).json()]
    assert "live-job" in ids
    assert srv.request("POST", "/api/crons/live-job", headers=_su(srv)).status_code == 204
    assert _wait_for(lambda: "runtime job" in _locked_titles(srv))
    assert srv.request("DELETE", "/crons/live-job").status_code == 204
    assert srv.request("POST", "/api/crons/live-job", headers=_su(srv)).status_code == 404


def test_reload_swaps_js_jobs_and_restores_removed_builtins(srv):
    runtime = srv.pybase.jsvm
    hooks = runtime.hooks_dir + "/crons.pb.js"
    with open(hooks, "w", encoding="utf-8") as fh:
        fh.write('cronAdd("only-one", "0 3 * * *", () => {});\n')
    assert runtime.load()
    jobs = srv.request("GET", "/api/crons", headers=_su(srv)).json()
    # NOTE: a restored built-in job goes last, as in PocketBase's job list (a slice, appended to).
    assert jobs == [{"id": "only-one", "expression": "0 3 * * *"}, BUILTIN[0], BUILTIN[1], BUILTIN[3], BUILTIN[2]]


def test_invalid_cron_expression_fails_the_load_with_file_and_line(hooks_server: HooksServerFactory):
    srv = hooks_server({"bad.pb.js": '\n\ncronAdd("x", "61 * * * *", () => {});\n'})
    error = srv.pybase.jsvm.last_error
    assert error is not None and error.file == "bad.pb.js" and error.line == 3
    assert "invalid cron expression" in error.message


@pytest.mark.both_backends
def test_builtin_cleanup_deletes_expired_otps_and_mfas_only(srv):
    app = srv.app
    users = app.find_collection("users")
    old = format_datetime(now() - timedelta(seconds=users.auth["otp"]["duration"] + 60))
    for table, extra in (("_otps", {"password": "secret123"}), ("_mfas", {"method": "password"})):
        fresh = app.new_record(table, {"collectionRef": users.id, "recordRef": USER1_ID, **extra})
        app.save(fresh)
        stale = app.new_record(table, {"collectionRef": users.id, "recordRef": USER1_ID, **extra})
        app.save(stale)
        with app.db.write() as conn:
            conn.execute(stale.collection.table.update().where(stale.collection.table.c.id == stale.id).values(created=old))
    # MFA duration (600 s) is longer than the OTP one (180 s): push the stale MFA further back.
    older = format_datetime(now() - timedelta(seconds=users.auth["mfa"]["duration"] + 60))
    mfas = app.find_collection("_mfas")
    with app.db.write() as conn:
        conn.execute(mfas.table.update().where(mfas.table.c.created == old).values(created=older))
    assert delete_expired(app, "_otps", "otp", 180) == 1
    assert delete_expired(app, "_mfas", "mfa", 600) == 1
    assert app.records.count(app.find_collection("_otps")) == 1
    assert app.records.count(mfas) == 1


@pytest.mark.both_backends
def test_builtin_db_optimize_runs(srv):
    srv.app.db.optimize()
    assert scheduler(srv.app).get("__pbDBOptimize__") is not None
    assert srv.request("POST", "/api/crons/__pbDBOptimize__", headers=_su(srv)).status_code == 204


def test_the_scheduler_ticks_while_serving_and_stops_with_the_server(srv):
    cron = scheduler(srv.app)
    assert cron.started
    srv.stop()
    assert _wait_for(lambda: not cron.started)
