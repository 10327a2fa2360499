"""``pybase db copy`` of an app with full-text search (pybase.core.record_search): the source's
FTS5 tables and triggers are no data; the target makes its own index from the collections."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Databases
from tests.test_db_copy import cli, pg_tables
from tests.testapp import start_server


def test_search_carried_over(databases: Databases, tmp_path: Path) -> None:
    from pybase.core.app import App
    from pybase.core.collection_bind import new_collection

    app = App(str(tmp_path / "pb_data"))
    app.bootstrap()
    app.save_collection(new_collection({"name": "notes", "type": "base", "listRule": "", "fields": [
        {"name": "title", "type": "text", "searchable": True}, {"name": "body", "type": "editor", "searchable": True},
        {"name": "other", "type": "text"}]}))  # fmt: skip
    for title in ("Hello world", "Héllo again", "Nothing here"):
        app.save(app.new_record("notes", {"title": title, "body": "<p>body text</p>", "other": "hello"}))
    collection_id = app.find_collection("notes").id
    app.db.close()
    app.logs.close()
    url = databases.server.new_database()
    result = cli("db", "copy", "--dir", str(tmp_path / "pb_data"), "--to", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "_pb_fts_" not in result.stdout + result.stderr  # NOTE: no note about its triggers
    assert not any(name.startswith("_pb_fts_") for name in pg_tables(url))
    server = start_server(tmp_path / "node", None, url)
    try:
        assert f"_pb_fts_{collection_id}" in server.index_sql("notes")
        items = server.request("GET", "/api/collections/notes/records?search=hello").json()["items"]
        assert sorted(item["title"] for item in items) == ["Hello world", "Héllo again"]
    finally:
        server.stop()
    databases.drop(url)
