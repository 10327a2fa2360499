"""Migrations: JS and Python files in pb_migrations, the runner, ``pybase migrate`` and automigrate.

JS files run for real on QuickJS (``migrate((app) => {...}, (app) => {...})``), Python files are
imported, both in one ordered list tracked in ``_migrations``; every migration commits alone and a
failing one leaves nothing behind. Automigrate is exercised through the real HTTP API, and the
files it writes are applied to a fresh data dir to rebuild the same collections.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pybase.app import PyBase
from pybase.config import Config
from pybase.core.auth import new_auth_token
from pybase.migrations import automigrate, snakecase, templates
from pybase.store.migrations import MigrationError
from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests.test_cli import cli, served

# NOTE: the tests with an app (or served_app) run on SQLite and on Postgres; the command-line
# ones on SQLite.
pytestmark = pytest.mark.both_backends

PASSWORD = "1234567890"


# ---- helpers ---------------------------------------------------------------------------------


def new_app(root: Path, **options: Any) -> PyBase:
    """A bootstrapped PyBase on ``root/pb_data`` (migrations in ``root/pb_migrations``)."""
    app = PyBase(data_dir=str(root / "pb_data"), **options)
    app.bootstrap()
    return app


@pytest.fixture
def app(tmp_path: Path, backend: str, databases: Any) -> Iterator[PyBase]:
    """A bootstrapped app on SQLite, or on a fresh Postgres database (both_backends)."""
    url = databases.new(backend)
    pb = new_app(tmp_path, database_url=url)
    yield pb
    pb.core.db.close()
    databases.drop(url)


def put(app: PyBase, name: str, source: str) -> Path:
    """Write a migration file into the app's migrations dir."""
    folder = Path(app.config.migrations_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def history(app: PyBase) -> list[str]:
    """The ``_migrations`` files, oldest first (either database)."""
    with app.core.db.read() as conn:
        return [row[0] for row in conn.exec_driver_sql('SELECT file FROM "_migrations" ORDER BY applied, file')]


def up(app: PyBase) -> list[str]:
    with app.migrations() as migrations:
        return migrations.up()


def down(app: PyBase, count: int = 1) -> list[str]:
    with app.migrations() as migrations:
        return migrations.down(count)


def names(app: PyBase) -> set[str]:
    """The collections a test made (not the system ones, not the default ``users``)."""
    return {c.name for c in app.core.registry.all() if not c.system and c.name != "users"}


def comparable(col: Any) -> dict[str, Any]:
    """A collection's JSON without timestamps (what a migration reproduces)."""
    return templates.collection_map(col)


CREATE_POSTS = """
    /// <reference path="../pb_data/types.d.ts" />
    const NAME = "posts"; // file-level values are visible to up/down, as in PocketBase

    migrate((app) => {
      const collection = new Collection({
        name: NAME,
        listRule: "",
        fields: [
          { type: "text", name: "title", required: true },
          new NumberField({ name: "views" }),
        ],
        indexes: ["CREATE INDEX idx_posts_title ON posts (title)"],
      });
      app.save(collection);
      app.save(new Record(collection, { title: "seeded", views: 7 }));
    }, (app) => {
      app.delete(app.findCollectionByNameOrId(NAME));
    });
"""

ADD_FIELD = """
    migrate((app) => {
      const collection = app.findCollectionByNameOrId("posts");
      collection.fields.addAt(1, new Field({ type: "bool", name: "published" }));
      collection.fields.getByName("views").min = 0;
      unmarshal({ viewRule: "published = true" }, collection);
      app.save(collection);
    }, (app) => {
      const collection = app.findCollectionByNameOrId("posts");
      collection.fields.removeByName("published");
      unmarshal({ viewRule: null }, collection);
      app.save(collection);
    });
"""


# ---- JS and Python migrations ----------------------------------------------------------------


def test_js_migrations_apply_in_order_and_revert_one_at_a_time(app):
    put(app, "1700000002_add_field.js", ADD_FIELD)
    put(app, "1700000001_create_posts.js", CREATE_POSTS)

    assert up(app) == ["1700000001_create_posts.js", "1700000002_add_field.js"]
    posts = app.core.find_collection("posts")
    assert [f.name for f in posts.fields] == ["id", "published", "title", "views"]
    assert posts.rules["listRule"] == "" and posts.rules["viewRule"] == "published = true"
    assert posts.indexes == ["CREATE INDEX idx_posts_title ON posts (title)"]
    seeded = app.core.records.find_first(posts, title="seeded")
    assert seeded is not None and seeded.get("views") == 7
    assert history(app) == ["1700000001_create_posts.js", "1700000002_add_field.js"]
    assert up(app) == []  # nothing pending

    assert down(app) == ["1700000002_add_field.js"]
    posts = app.core.find_collection("posts")
    assert [f.name for f in posts.fields] == ["id", "title", "views"] and posts.rules["viewRule"] is None
    assert app.core.records.find_first(posts, title="seeded") is not None  # data kept
    assert history(app) == ["1700000001_create_posts.js"]

    assert down(app) == ["1700000001_create_posts.js"]
    assert "posts" not in names(app) and history(app) == []
    assert up(app) == ["1700000001_create_posts.js", "1700000002_add_field.js"]  # and back again


def test_python_js_and_code_migrations_share_one_ordered_list(app):
    put(app, "1700000001_steps.js", """
        migrate((app) => {
          app.save(new Collection({ name: "steps", fields: [{ type: "text", name: "name" }] }));
          app.save(new Record("steps", { name: "js 1" }));
        }, (app) => {
          app.delete(app.findCollectionByNameOrId("steps"));
        });
    """)
    put(app, "1700000002_python.py", """
        def up(app):
            app.save(app.new_record("steps", {"name": "python 2"}))

        def down(app):
            record = app.records.find_first(app.find_collection("steps"), name="python 2")
            app.delete(record)
    """)
    put(app, "1700000004_js.js", """
        migrate((app) => { app.save(new Record("steps", { name: "js 4" })); }, (app) => {
          app.delete(app.findFirstRecordByData("steps", "name", "js 4"));
        });
    """)
    steps = lambda: [r.get("name") for r in app.core.records.list_page(app.core.find_collection("steps"), per_page=50).records]  # noqa: E731
    app.migration("1700000003_code.py", lambda core: core.save(core.new_record("steps", {"name": "code 3"})))

    assert up(app) == ["1700000001_steps.js", "1700000002_python.py", "1700000003_code.py", "1700000004_js.js"]
    assert steps() == ["js 1", "python 2", "code 3", "js 4"]
    assert down(app, 2) == ["1700000004_js.js", "1700000003_code.py"]  # a code migration without down
    assert steps() == ["js 1", "python 2", "code 3"]
    assert down(app, -1) == ["1700000002_python.py", "1700000001_steps.js"]
    assert "steps" not in names(app) and history(app) == []


BROKEN = {
    "js throw": ("1700000002_b.js", 'migrate((app) => {\n  app.save(new Collection({ name: "b" }));\n\n  throw new Error("boom");\n});\n',
                 "failed to apply migration 1700000002_b.js: 1700000002_b.js:4: Error: boom"),
    "js syntax error": ("1700000002_b.js", 'migrate((app) => {\n  const x = ;\n});\n', "1700000002_b.js:2: SyntaxError"),
    "js validation error": ("1700000002_b.js", 'migrate((app) => {\n  app.save(new Collection({ name: "b" }));\n  app.save(new Collection({ name: "bad name" }));\n});\n',
                            "validation_match_invalid"),
    "python exception": ("1700000002_b.py", "def up(app):\n    from pybase.core.collection_bind import new_collection\n    app.save_collection(new_collection({'name': 'b'}))\n    raise RuntimeError('kaput')\n",
                         "failed to apply migration 1700000002_b.py: kaput"),
    "python without up or down": ("1700000002_b.py", "x = 1\n", "defines neither up(app) nor down(app)"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_failing_migration_rolls_back_alone_and_stops_the_run(app, case):
    file, source, message = BROKEN[case]
    put(app, "1700000001_a.js", 'migrate((app) => { app.save(new Collection({ name: "a" })); });\n')
    broken = put(app, file, source)
    put(app, "1700000003_c.js", 'migrate((app) => { app.save(new Collection({ name: "c" })); });\n')

    with pytest.raises(MigrationError) as info:
        up(app)
    assert message in str(info.value)
    assert info.value.file == file and info.value.done == ["1700000001_a.js"]
    assert names(app) == {"a"}  # "b" rolled back (table and registry), "c" never ran
    with app.core.db.read() as conn:
        assert "b" not in app.core.db.dialect.table_names(conn)
    assert history(app) == ["1700000001_a.js"]

    broken.unlink()
    put(app, "1700000002_b.js", 'migrate((app) => { app.save(new Collection({ name: "b" })); });\n')
    assert up(app) == ["1700000002_b.js", "1700000003_c.js"]
    assert names(app) == {"a", "b", "c"}


def test_js_migration_api_collections_fields_unmarshal_and_import(app):
    put(app, "1700000001_api.js", """
        migrate((app) => {
          const members = new Collection({ type: "auth", name: "members", fields: [{ type: "text", name: "nick" }] });
          // NOTE: as PocketBase 0.40.6 (checked): a given field list replaces the system fields
          // until the save puts them back (id first, the others after the given ones).
          if (members.fields.fieldNames().join() !== "nick") {
            throw new Error("fields before the save: " + members.fields.fieldNames().join());
          }
          if (!members.isAuth() || members.id !== "pbc_" + members.id.slice(4)) throw new Error("bad defaults");
          unmarshal({ passwordAuth: { identityFields: ["email", "nick"] }, listRule: "" }, members);
          members.indexes.push("CREATE UNIQUE INDEX idx_nick ON members (nick)");
          app.save(members);
          if (!members.created) throw new Error("save must refresh the collection");

          const user = new Record(members, { email: "m@example.com", nick: "m1" });
          user.setPassword("1234567890");
          app.save(user);

          app.importCollections([{ name: "imported", fields: [{ type: "text", name: "x" }] }], false);
          const all = app.findAllCollections("auth").map((c) => c.name).sort().join();
          if (all !== "_superusers,members,users") throw new Error("findAllCollections: " + all);

          const imported = app.findCollectionByNameOrId("imported");
          imported.fields.add(new TextField({ name: "x", max: 5 }));  // same name: replaced in place
          imported.fields.addAt(0, new EditorField({ name: "body" }));
          imported.name = "renamed";
          app.save(imported);
          app.runInTransaction((txApp) => txApp.save(new Record("renamed", { x: "12345", body: "<p>b</p>" })));
        }, null);
    """)
    assert up(app) == ["1700000001_api.js"]
    members = app.core.find_collection("members")
    assert members.auth["passwordAuth"]["identityFields"] == ["email", "nick"]
    assert len(members.auth["authToken"]["secret"]) >= 30  # secrets made on create, never in files
    assert "CREATE UNIQUE INDEX idx_nick ON members (nick)" in members.indexes
    assert app.core.find_auth_record_by_email("members", "m@example.com").validate_password("1234567890")
    renamed = app.core.find_collection("renamed")
    # NOTE: as PocketBase 0.40.6 (checked): the import puts the omitted id first.
    assert [f.name for f in renamed.fields] == ["body", "id", "x"] and renamed.field("x").max == 5
    assert app.core.records.find_first(renamed, x="12345") is not None
    assert "imported" not in names(app)


def test_history_sync_forgets_migrations_whose_files_are_gone(app):
    put(app, "1700000001_a.js", 'migrate((app) => { app.save(new Collection({ name: "a" })); });\n')
    gone = put(app, "1700000002_b.py", "def up(app):\n    pass\n")
    app.migration("1700000003_code.py", None)
    assert up(app) == ["1700000001_a.js", "1700000002_b.py", "1700000003_code.py"]
    gone.unlink()
    with app.migrations() as migrations:
        assert migrations.history_sync() == ["1700000002_b.py"]
        assert migrations.history_sync() == []
    assert history(app) == ["1700000001_a.js", "1700000003_code.py"]


def test_file_names_are_pocketbase_s():
    assert snakecase("addPostsTable") == "add_posts_table"
    assert snakecase("myTestDB") == "my_test_db"
    assert snakecase("  add posts -- now!") == "add_posts_now"
    assert automigrate.normalize_name("myTest") == "myTest_"
    assert automigrate.normalize_name("posts") == "posts"


# ---- the migrate command ---------------------------------------------------------------------


def test_migrate_create_up_down_history_sync_on_the_command_line(tmp_path):
    data = str(tmp_path / "pb_data")
    created = cli("migrate", "create", "addPosts", "--dir", data, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    path = Path(re.fullmatch(r'Successfully created file "(.+)"\n', created.stdout).group(1))  # type: ignore[union-attr]
    assert path.parent == tmp_path / "pb_migrations" and re.fullmatch(r"\d{10}_add_posts\.js", path.name)
    assert path.read_text() == (
        '/// <reference path="../pb_data/types.d.ts" />\n'
        "migrate((app) => {\n  // add up queries...\n}, (app) => {\n  // add down queries...\n})\n"
    )
    path.write_text(textwrap.dedent(CREATE_POSTS))

    applied = cli("migrate", "up", "--dir", data, cwd=tmp_path)
    assert applied.returncode == 0 and applied.stdout == f"Applied {path.name}\n", applied.stderr
    assert cli("migrate", "--dir", data, cwd=tmp_path).stdout == "No new migrations to apply.\n"

    snapshot = cli("migrate", "collections", "--dir", data, cwd=tmp_path)
    assert snapshot.returncode == 0, snapshot.stderr
    snap_path = Path(re.search(r'"(.+)"', snapshot.stdout).group(1))  # type: ignore[union-attr]
    assert snap_path.name.endswith("_collections_snapshot.js") and snap_path.name > path.name
    assert "app.importCollections(snapshot, false)" in snap_path.read_text()

    reverted = cli("migrate", "down", "--dir", data, cwd=tmp_path)  # NOTE: no prompt without a terminal
    assert reverted.returncode == 0 and reverted.stdout == f"Reverted {path.name}\n", reverted.stderr
    assert cli("migrate", "down", "--dir", data, cwd=tmp_path).stdout == "No migrations to revert.\n"

    # the snapshot was never applied here; a fresh data dir gets posts back from it alone
    fresh = tmp_path / "fresh"
    (fresh / "pb_migrations").mkdir(parents=True)
    shutil.copy(snap_path, fresh / "pb_migrations")
    assert cli("migrate", "up", "--dir", str(fresh / "pb_data"), cwd=tmp_path).returncode == 0
    with sqlite3.connect(fresh / "pb_data" / "data.db") as conn:
        assert conn.execute("SELECT count(*) FROM _collections WHERE name = 'posts'").fetchone()[0] == 1

    assert cli("migrate", "up", "--dir", data, cwd=tmp_path).returncode == 0
    path.unlink()
    snap_path.unlink()
    synced = cli("migrate", "history-sync", "--dir", data, cwd=tmp_path)
    assert synced.stdout == "The _migrations table was synced with the available migrations.\n"
    with sqlite3.connect(tmp_path / "pb_data" / "data.db") as conn:
        assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == 0


@pytest.mark.parametrize(
    "args,fragment",
    [(["create"], "missing migration file name"), (["sideways"], 'unsupported command: "sideways"'),
     (["down", "many"], "invalid number")],
    ids=["create without a name", "unknown action", "down with a bad count"],
)
def test_migrate_usage_errors_fail_clearly(tmp_path, args, fragment):
    result = cli("migrate", *args, "--dir", str(tmp_path / "pb_data"), cwd=tmp_path)
    assert result.returncode != 0 and fragment in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def db_args(backend: str, databases: Any) -> Iterator[tuple[str, ...]]:
    """The command line's data database: none (SQLite), or ``--db`` with a fresh Postgres one."""
    url = databases.new(backend)
    yield ("--db", url) if url else ()
    databases.drop(url)


def test_migrate_up_reports_what_applied_before_a_failure(tmp_path, db_args):
    folder = tmp_path / "pb_migrations"
    folder.mkdir()
    (folder / "1700000001_a.js").write_text('migrate((app) => { app.save(new Collection({ name: "a" })); });\n')
    (folder / "1700000002_b.js").write_text('migrate((app) => {\n  throw new BadRequestError("nope");\n});\n')
    result = cli("migrate", "up", "--dir", str(tmp_path / "pb_data"), *db_args, cwd=tmp_path)
    assert result.returncode != 0 and result.stdout == "Applied 1700000001_a.js\n"
    assert "failed to apply migration 1700000002_b.js: Nope." in result.stderr and "Traceback" not in result.stderr
    # the first stays applied, the failed one is not: the next run tries the failed one alone
    again = cli("migrate", "up", "--dir", str(tmp_path / "pb_data"), *db_args, cwd=tmp_path)
    assert again.returncode != 0 and again.stdout == "", again.stdout


def test_serve_applies_pending_migrations_before_listening_and_refuses_to_start_on_a_failure(tmp_path, db_args):
    folder = tmp_path / "pb_migrations"
    folder.mkdir()
    (folder / "1700000001_notes.js").write_text(textwrap.dedent("""
        migrate((app) => {
          const notes = new Collection({ name: "notes", listRule: "", fields: [{ type: "text", name: "text" }] });
          app.save(notes);
          app.save(new Record(notes, { text: "from a migration" }));
        });
    """))
    with served(tmp_path, "--dir", str(tmp_path / "pb_data"), *db_args, "--automigrate", "false") as (proc, base):
        items = requests.get(f"{base}/api/collections/notes/records", timeout=10).json()["items"]
        assert [i["text"] for i in items] == ["from a migration"]
        proc.terminate()
        assert proc.wait(20) == 0
    (folder / "1700000002_bad.js").write_text('migrate((app) => { throw new Error("no way"); });\n')
    result = cli("serve", "--http", "127.0.0.1:0", "--dir", str(tmp_path / "pb_data"), *db_args, cwd=tmp_path, timeout=60)
    assert result.returncode != 0 and "failed to apply migration 1700000002_bad.js" in result.stderr
    assert "Server started" not in result.stdout


# ---- automigrate ------------------------------------------------------------------------------


@pytest.fixture
def served_app(tmp_path: Path, backend: str, databases: Any) -> Iterator[tuple[PyBase, str, dict[str, str]]]:
    """An in-process server with automigrate on, and a superuser's auth header."""
    url = databases.new(backend)
    pb = PyBase(Config(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0", database_url=url))
    pb.bootstrap()
    su = pb.core.new_record("_superusers", {"email": "admin@example.com"})
    su.set_password_plain("password", PASSWORD)
    pb.core.save(su)
    pb.run_migrations()
    server = pb.serve_in_thread()
    yield pb, f"http://127.0.0.1:{server.port}", {"Authorization": new_auth_token(su)}
    pb.stop()
    databases.drop(url)


def test_automigrate_writes_a_file_per_api_change_that_rebuilds_the_collections(served_app, tmp_path, backend, databases):
    pb, base, auth = served_app
    folder = Path(pb.config.migrations_dir)

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        resp = requests.request(method, base + path, json=body, headers=auth, timeout=10)
        assert resp.status_code in (200, 204), resp.text
        return resp

    call("POST", "/api/collections", {"name": "tags", "fields": [{"name": "label", "type": "text"}]})
    tags_id = pb.core.find_collection("tags").id
    call("POST", "/api/collections", {
        "name": "posts", "listRule": "", "indexes": ["CREATE INDEX idx_posts_title ON posts (title)"],
        "fields": [{"name": "title", "type": "text", "required": True},
                   {"name": "tags", "type": "relation", "collectionId": tags_id, "maxSelect": 3}],
    })
    # NOTE: an identity field needs a single column UNIQUE index (as in PocketBase)
    call("POST", "/api/collections", {"name": "members", "type": "auth", "fields": [{"name": "nick", "type": "text"}],
                                      "indexes": ["CREATE UNIQUE INDEX idx_members_nick ON members (nick)"]})
    posts = pb.core.find_collection("posts").to_json()
    title = next(f for f in posts["fields"] if f["name"] == "title")
    call("PATCH", "/api/collections/posts", {
        "viewRule": "headline != ''",
        "fields": [{**title, "name": "headline", "max": 80}, {"name": "published", "type": "bool"},
                   *[f for f in posts["fields"] if f["name"] not in ("title",)]],
        "indexes": ["CREATE INDEX idx_posts_title ON posts (headline)"],
    })
    call("PATCH", "/api/collections/posts", {"viewRule": "headline != '' && published = true"})
    call("PATCH", "/api/collections/members", {"passwordAuth": {"identityFields": ["email", "nick"]}})
    call("PATCH", "/api/collections/members", {})  # no change: no file
    call("POST", "/api/collections", {"name": "scratch"})
    call("DELETE", "/api/collections/scratch")

    files = sorted(p.name for p in folder.iterdir())
    assert [re.sub(r"^\d+_", "", f) for f in files] == [
        "created_tags.js", "created_posts.js", "created_members.js", "updated_posts.js", "updated_posts.js",
        "updated_members.js", "created_scratch.js", "deleted_scratch.js",
    ]
    assert history(pb) == files  # written as already applied
    text = {f: (folder / f).read_text() for f in files}
    assert "new Collection({" in text[files[1]] and "return app.save(collection);" in text[files[1]]
    assert 'collection.fields.addAt(1, new Field({' in text[files[3]] and "unmarshal({" in text[files[3]]
    assert '"secret"' not in "".join(text.values())
    assert "app.delete(collection)" in text[files[7]]

    # the same files rebuild the same collections on a fresh data dir (and database)
    fresh_url = databases.new(backend)
    fresh = new_app(tmp_path / "fresh", database_url=fresh_url)
    Path(fresh.config.migrations_dir).mkdir(parents=True)
    for f in files:
        shutil.copy(folder / f, fresh.config.migrations_dir)
    assert up(fresh) == files
    for name in ("tags", "posts", "members"):
        assert comparable(fresh.core.find_collection(name)) == comparable(pb.core.find_collection(name)), name
    assert "scratch" not in names(fresh)
    # and their down steps undo them, newest first
    assert down(fresh, 3) == files[7:4:-1]
    assert fresh.core.find_collection("members").auth["passwordAuth"]["identityFields"] == ["email"]
    assert down(fresh, 2) == [files[4], files[3]]
    assert [f.name for f in fresh.core.find_collection("posts").fields] == ["id", "title", "tags"]
    fresh.core.db.close()
    databases.drop(fresh_url)


def test_automigrate_can_be_turned_off_and_ignores_changes_made_in_code(tmp_path):
    pb = PyBase(Config(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0", automigrate=False))
    pb.bootstrap()
    su = pb.core.new_record("_superusers", {"email": "admin@example.com"})
    su.set_password_plain("password", PASSWORD)
    pb.core.save(su)
    pb.run_migrations()
    server = pb.serve_in_thread()
    try:
        resp = requests.post(f"http://127.0.0.1:{server.port}/api/collections", json={"name": "quiet"},
                             headers={"Authorization": new_auth_token(su)}, timeout=10)
        assert resp.status_code == 200, resp.text
        assert not Path(pb.config.migrations_dir).exists()
        automigrate.bind(pb.core, pb.config.migrations_dir)
        from pybase.core.collection_bind import new_collection

        pb.core.save_collection(new_collection({"name": "from_code"}))  # not a request: no file
        assert not Path(pb.config.migrations_dir).exists()
    finally:
        pb.stop()
