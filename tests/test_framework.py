"""pybase as a Python framework: ``PyBase`` hooks, routes, crons, code migrations and ``start()``.

Routes and hooks are exercised over real HTTP on loopback; ``start()`` runs the real command line
in-process, so hooks bound before it must fire on whatever data dir ``--dir`` names.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon
import pytest
import requests

import pybase
from pybase.apis.errors import ApiError
from pybase.config import Config
from pybase.core.auth import new_auth_token
from pybase.core.collection_bind import new_collection
from pybase.tools.cron import CronError

PASSWORD = "1234567890"

# NOTE: the tests with a served app run on SQLite and on Postgres
pytestmark = pytest.mark.both_backends


# ---- hooks -------------------------------------------------------------------------------------


def test_import_pybase_gives_the_framework_surface():
    assert pybase.PyBase is pybase.app.PyBase and pybase.Config is Config and pybase.ApiError is ApiError
    assert isinstance(pybase.__version__, str)


def test_a_new_app_touches_nothing_until_it_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = pybase.PyBase()

    @app.on_record_create("posts")
    def handler(e):
        return e.next()

    @app.route("GET", "/x")
    def route(e):
        return {}

    assert not (tmp_path / "pb_data").exists()
    assert app.config.data_dir == str(tmp_path / "pb_data")


def test_hook_decorator_forms_bind_on_the_core_hooks(tmp_path):
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"))
    seen: list[str] = []

    @app.on_record_create
    def plain(e):
        seen.append("plain")
        return e.next()

    @app.on_record_create("posts", priority=-10)
    def tagged_first(e):
        seen.append("posts first")
        return e.next()

    @app.on_record_create(tags=["other"], id="other-only")
    def other(e):
        seen.append("other")
        return e.next()

    app.on_record_create.bind(lambda e: (seen.append("bound"), e.next())[1], id="bound")
    assert "on_record_create" in dir(app) and "on_collection_after_create_success" in dir(app)
    assert app.hook("onRecordCreate") is app.hook("on_record_create")
    with pytest.raises(AttributeError):
        app.on_record_creat  # noqa: B018 - a typo must fail loudly
    app.bootstrap()  # the core now exists: what was bound before is on its hooks
    assert app.core.hooks["onRecordCreate"].length() == 4
    app.core.save_collection(new_collection({"name": "posts", "fields": [{"name": "title", "type": "text"}]}))
    app.core.save(app.core.new_record("posts", {"title": "a"}))
    assert seen == ["posts first", "plain", "bound"]
    app.on_record_create.unbind("bound")  # after bootstrap, straight on the core hook
    seen.clear()
    app.core.save(app.core.new_record("posts", {"title": "b"}))
    assert seen == ["posts first", "plain"]
    app.core.db.close()


def test_start_with_another_dir_keeps_hooks_crons_and_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = pybase.PyBase(hooks_timeout=5.0)
    created: list[str] = []

    @app.on_record_create("_superusers")
    def remember(e):
        created.append(e.record.get("email"))
        return e.next()

    @app.cron("nightly", "@daily")
    def nightly():
        pass

    elsewhere = tmp_path / "elsewhere"
    assert app.start(["superuser", "create", "a@example.com", PASSWORD, "--dir", str(elsewhere)]) == 0
    assert created == ["a@example.com"]
    assert app.config.data_dir == str(elsewhere) and app.config.hooks_timeout == 5.0
    assert (elsewhere / "data.db").exists() and not (tmp_path / "pb_data").exists()
    from pybase.apis.crons import scheduler

    assert scheduler(app.core).get("nightly") is not None


def test_options_given_to_pybase_hold_unless_the_command_line_sets_them(tmp_path):
    app = pybase.PyBase(data_dir=str(tmp_path / "mine"), automigrate=False)
    assert app.start(["superuser", "upsert", "a@example.com", PASSWORD]) == 0
    assert (tmp_path / "mine" / "data.db").exists() and app.config.automigrate is False
    assert app.config.migrations_dir == str(tmp_path / "pb_migrations")


# ---- routes ------------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, backend: str, databases: Any) -> Iterator[tuple[pybase.PyBase, str]]:
    """An app with Python routes, a posts collection, a user and a superuser, served on loopback
    (on either database: the tests using it run on both)."""
    url = databases.new(backend)
    app = pybase.PyBase(Config(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0", database_url=url))

    @app.route("GET", "/hello/{name}")
    def hello(e):
        return e.json(200, {"message": "Hello " + e.request.path_value("name"), "missing": e.request.path_value("nope")})

    @app.route("POST", "/echo")
    def echo(e):
        info = e.request_info()
        target: dict[str, Any] = {}
        e.bind_body(target)
        e.response.set_header("X-Seen", e.request.header("X-Probe"))
        return e.json(201, {
            "body": info.body, "query": info.query, "bound": target, "method": e.request.method,
            "auth": e.auth.id if e.auth else None, "superuser": e.has_superuser_auth(),
            "raw": isinstance(e.request.raw, falcon.Request), "ip": e.real_ip(),
        })

    @app.route("GET", "/files/{path...}")
    def files(e):
        return {"path": e.request.path_value("path")}

    @app.route("GET", "/text")
    def text(e):
        return e.string(200, "plain")

    @app.route("GET", "/page")
    def page(e):
        return e.html(200, "<b>hi</b>")

    @app.route("DELETE", "/nothing")
    def nothing(e):
        return e.no_content(204)

    @app.route("GET", "/away")
    def away(e):
        return e.redirect(302, "/hello/there")

    @app.route("GET", "/teapot")
    def teapot(e):
        raise ApiError(418, "Short and stout.")

    @app.route("GET", "/posts/{id}")
    def post(e):
        return e.json(200, e.app.find_record_by_id("posts", e.request.path_value("id")))

    def timing(e):
        e.set("started", "yes")
        e.next()
        e.response.set_header("X-Middleware", "after")

    @app.route("GET", "/private", pybase.PyBase.require_auth("users"), timing)
    def private(e):
        return {"user": e.auth.get("email"), "store": e.get("started")}

    @app.route("*", "/any")
    def any_method(e):
        return {"method": e.request.method}

    @app.route("GET", "/legacy/{name}")
    def legacy(req, resp, name):
        resp.media = {"legacy": name}

    app.bootstrap()
    core = app.core
    core.save_collection(new_collection({"name": "posts", "listRule": "", "fields": [{"name": "title", "type": "text"}]}))
    core.save(core.new_record("posts", {"id": "post1aaaaaaaaaa", "title": "first"}))
    user = core.new_record("users", {"email": "u@example.com"})
    user.set_password_plain("password", PASSWORD)
    core.save(user)
    server = app.serve_in_thread()
    yield app, f"http://127.0.0.1:{server.port}"
    app.stop()
    databases.drop(url)


def test_route_event_reads_the_request_and_writes_responses(served):
    app, base = served
    hello = requests.get(f"{base}/hello/world", timeout=10)
    assert hello.status_code == 200 and hello.json() == {"message": "Hello world", "missing": ""}
    # NOTE: as Go's router: an encoded slash stays inside its path value.
    assert requests.get(f"{base}/hello/a%2Fb", timeout=10).json()["message"] == "Hello a/b"
    user = app.core.find_auth_record_by_email("users", "u@example.com")
    echo = requests.post(f"{base}/echo?q=1", json={"a": [1, 2], "big": 2**53}, headers={"Authorization": new_auth_token(user), "X-Probe": "p"}, timeout=10)
    assert echo.status_code == 201 and echo.headers["X-Seen"] == "p"
    assert echo.json() == {
        "body": {"a": [1, 2], "big": 2**53}, "query": {"q": "1"}, "bound": {"a": [1, 2], "big": 2**53}, "method": "POST",
        "auth": user.id, "superuser": False, "raw": True, "ip": "127.0.0.1",
    }
    assert requests.get(f"{base}/files/a/b/c.txt", timeout=10).json() == {"path": "a/b/c.txt"}
    text = requests.get(f"{base}/text", timeout=10)
    assert text.text == "plain" and text.headers["Content-Type"].startswith("text/plain")
    page = requests.get(f"{base}/page", timeout=10)
    assert page.text == "<b>hi</b>" and page.headers["Content-Type"].startswith("text/html")
    assert requests.delete(f"{base}/nothing", timeout=10).status_code == 204
    away = requests.get(f"{base}/away", allow_redirects=False, timeout=10)
    assert away.status_code == 302 and away.headers["Location"].endswith("/hello/there")
    assert requests.get(f"{base}/teapot", timeout=10).json() == {"status": 418, "message": "Short and stout.", "data": {}}
    post = requests.get(f"{base}/posts/post1aaaaaaaaaa", timeout=10).json()
    assert post["title"] == "first" and post["collectionName"] == "posts"
    assert requests.get(f"{base}/posts/missing", timeout=10).status_code == 404
    assert requests.get(f"{base}/legacy/old", timeout=10).json() == {"legacy": "old"}
    assert requests.head(f"{base}/hello/world", timeout=10).status_code == 200
    assert requests.patch(f"{base}/any", timeout=10).json() == {"method": "PATCH"}
    assert requests.post(f"{base}/hello/world", timeout=10).status_code == 404  # other methods fall through
    # pybase's own API is untouched
    assert requests.get(f"{base}/api/collections/posts/records", timeout=10).json()["totalItems"] == 1


def test_route_middlewares_guard_and_wrap_the_handler(served):
    app, base = served
    assert requests.get(f"{base}/private", timeout=10).status_code == 401
    user = app.core.find_auth_record_by_email("users", "u@example.com")
    ok = requests.get(f"{base}/private", headers={"Authorization": new_auth_token(user)}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"user": "u@example.com", "store": "yes"}
    assert ok.headers["X-Middleware"] == "after"


# ---- crons and code migrations -----------------------------------------------------------------


def test_cron_jobs_are_listed_and_run_through_the_api(tmp_path):
    app = pybase.PyBase(Config(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0"))
    ran = threading.Event()

    @app.cron("cleanup", "*/5 * * * *")
    def cleanup():
        ran.set()

    with pytest.raises(CronError):
        app.cron("broken", "every now and then")

    app.bootstrap()

    @app.cron("late", "@hourly")  # after the core exists: straight into the scheduler
    def late():
        pass

    su = app.core.new_record("_superusers", {"email": "admin@example.com"})
    su.set_password_plain("password", PASSWORD)
    app.core.save(su)
    server = app.serve_in_thread()
    base, auth = f"http://127.0.0.1:{server.port}", {"Authorization": new_auth_token(su)}
    try:
        listed = requests.get(f"{base}/api/crons", headers=auth, timeout=10).json()
        assert [j for j in listed if not j["id"].startswith("__pb")] == [
            {"id": "cleanup", "expression": "*/5 * * * *"}, {"id": "late", "expression": "0 * * * *"},  # NOTE: macros listed expanded, as PocketBase
        ]
        assert requests.post(f"{base}/api/crons/cleanup", headers=auth, timeout=10).status_code == 204
        assert ran.wait(10)
        app.cron_remove("late")
        assert "late" not in {j["id"] for j in requests.get(f"{base}/api/crons", headers=auth, timeout=10).json()}
    finally:
        app.stop()


def test_code_migrations_run_with_the_files(tmp_path):
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"))

    def up(core):
        core.save_collection(new_collection({"name": "from_code"}))

    def down(core):
        core.delete_collection(core.find_collection("from_code"))

    app.migration("1700000000_from_code.py", up, down)
    assert app.run_migrations() == ["1700000000_from_code.py"]
    assert app.core.registry.find("from_code") is not None
    assert app.run_migrations() == []
    with app.migrations() as migrations:
        assert migrations.down() == ["1700000000_from_code.py"]
    assert app.core.registry.find("from_code") is None
    app.core.db.close()


def test_a_slow_route_does_not_block_others(served):
    app, base = served

    @app.route("GET", "/slow")
    def slow(e):
        time.sleep(1)
        return {"slow": True}

    # NOTE: routes added after serving starts are seen at once (the middleware reads app.routes)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(requests.get(f"{base}/slow", timeout=10).json()))
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert requests.get(f"{base}/hello/quick", timeout=10).status_code == 200
    assert time.monotonic() - started < 0.8
    thread.join(10)
    assert result == {"slow": True}


@pytest.mark.parametrize("fallback,expected", [(True, 200), (False, 404)])
def test_index_fallback_flag_for_pb_public(tmp_path: Path, fallback: bool, expected: int) -> None:
    public = tmp_path / "pb_public"
    public.mkdir()
    (public / "index.html").write_text("<p>spa</p>")
    app = pybase.PyBase(Config(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0", public_dir=str(public)))
    app.config.index_fallback = fallback  # what --indexFallback sets
    served = app.serve_in_thread()
    try:
        resp = requests.get(f"http://127.0.0.1:{served.port}/some/client/route", timeout=10)
        assert resp.status_code == expected
        assert requests.get(f"http://127.0.0.1:{served.port}/index.html", allow_redirects=False, timeout=10).status_code in (200, 301)
    finally:
        app.stop()


def test_a_record_made_as_record_of_a_collection_saves_with_its_relations(tmp_path: Path) -> None:
    """``Record(collection)`` (no store) validated its relations against nothing: 'Failed to find
    all relation records' for an owner that exists; saving gives it the app's."""
    from pybase.core.errors import ValidationError
    from pybase.core.records import Record

    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"), hooks_dir=str(tmp_path / "pb_hooks"), migrations_dir=str(tmp_path / "pb_migrations"))
    app.bootstrap()
    core = app.core
    users = core.registry.find("users")
    user = Record(users)
    user.set("email", "owner@example.com")
    user.set_password_plain("password", "1234567890")
    core.save(user)
    core.save_collection(new_collection({"name": "tasks", "type": "base", "fields": [
        {"name": "owner", "type": "relation", "collectionId": users.id, "maxSelect": 1},
    ]}))
    task = Record(core.registry.find("tasks"))
    task.set("owner", user.id)
    core.save(task)
    assert core.find_record_by_id("tasks", task.id).get("owner") == user.id
    stray = Record(core.registry.find("tasks"))
    stray.set("owner", "nosuchuser00000")
    with pytest.raises(ValidationError) as refused:
        core.save(stray)
    assert refused.value.errors["owner"].code == "validation_missing_rel_records"
