"""Collections' indexes on Postgres made by an older pybase are made again at start as this one
makes them (pybase.store.pg_indexes); indexes pybase did not make are left alone."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pybase.core.app import App
from pybase.core.collection_bind import new_collection
from pybase.core.errors import PyBaseError
from tests.pg import postgres_only

pytestmark = postgres_only

# NOTE: past what a Postgres btree row holds (~2,700 bytes) even compressed: random letters
LONG = secrets.token_urlsafe(3600)  # 4,800 characters (a text field holds 5,000)


def _app(tmp_path: Path, url: str) -> App:
    app = App(str(tmp_path / "pb_data"), database_url=url)
    app.bootstrap()
    return app


def _index_sql(app: App, name: str) -> tuple[str, Any]:
    with app.db.read() as conn:
        return conn.execute(text(
            "SELECT pg_get_indexdef(c.oid), obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relname = :n"
        ), {"n": name}).one()  # fmt: skip


@pytest.fixture
def url(databases: Any) -> Any:
    found = databases.new("postgres")
    yield found
    databases.drop(found)


def test_an_older_pybases_btree_index_is_made_again_at_start(tmp_path: Path, url: str) -> None:
    app = _app(tmp_path, url)
    app.save_collection(new_collection({
        "name": "notes", "type": "base",
        "fields": [{"name": "body", "type": "text"}, {"name": "tag", "type": "text", "max": 20}],
        "indexes": ["CREATE UNIQUE INDEX idx_notes_body ON notes (body)", "CREATE INDEX idx_notes_tag ON notes (tag)"],
    }))  # fmt: skip
    made_now = {name: _index_sql(app, name) for name in ("idx_notes_body", "idx_notes_tag")}
    assert all(comment and comment.startswith("pybase index ") for _sql, comment in made_now.values())
    # as an older pybase made them: plain btrees, no mark; and one made by hand with SQL
    with app.db.write() as conn:
        conn.exec_driver_sql("DROP INDEX idx_notes_body")
        conn.exec_driver_sql("DROP INDEX idx_notes_body__pb_eq")  # NOTE: an older pybase made no lookup index
        conn.exec_driver_sql('CREATE UNIQUE INDEX idx_notes_body ON notes USING btree (body COLLATE "C")')
        conn.exec_driver_sql('CREATE INDEX by_hand ON notes USING btree (tag)')
    with pytest.raises(PyBaseError, match="validating") as refused:
        app.save(app.new_record("notes", {"body": LONG}))
    assert "too long for the index idx_notes_body" in str(refused.value.data)  # the old btree refuses it
    app.logs.close()
    app.db.close()

    again = _app(tmp_path, url)
    try:
        again.save(again.new_record("notes", {"body": LONG, "tag": "a"}))
        with pytest.raises(PyBaseError):
            again.save(again.new_record("notes", {"body": LONG}))  # still unique
        assert {name: _index_sql(again, name) for name in made_now} == made_now
        assert _index_sql(again, "by_hand")[1] is None  # not pybase's: left as it was
        assert again._refresh_indexes() == []  # nothing to do once made
    finally:
        again.logs.close()
        again.db.close()


def test_a_mixed_case_table_and_a_name_past_63_bytes_are_found_as_made(tmp_path: Path, url: str) -> None:
    app = _app(tmp_path, url)
    try:
        long_name = "idx_" + "l" * 70
        app.save_collection(new_collection({
            "name": "Notes", "type": "base", "fields": [{"name": "body", "type": "text"}],
            "indexes": [f"CREATE UNIQUE INDEX {long_name} ON Notes (body)"],
        }))  # fmt: skip
        kept = long_name[:63]  # NOTE: Postgres keeps a name's first 63 bytes
        made = {name: _index_sql(app, name) for name in (kept, kept[: 63 - len("__pb_eq")] + "__pb_eq")}

        assert app._refresh_indexes() == []
        with app.db.write() as conn:
            conn.exec_driver_sql(f'COMMENT ON INDEX "{kept}" IS NULL')
        assert app._refresh_indexes() == ["Notes"]
        assert {name: _index_sql(app, name) for name in made} == made
    finally:
        app.logs.close()
        app.db.close()


def test_a_collection_another_node_changed_since_this_one_started_keeps_its_new_indexes(tmp_path: Path, url: str) -> None:
    first = _app(tmp_path / "one", url)
    try:
        first.save_collection(new_collection({
            "name": "notes", "type": "base", "fields": [{"name": "body", "type": "text"}, {"name": "tag", "type": "text"}],
            "indexes": ["CREATE INDEX idx_notes_body ON notes (body)"],
        }))  # fmt: skip
        second = _app(tmp_path / "two", url)
        try:
            notes = second.find_collection("notes")
            changed = notes.clone()
            changed.indexes = ["CREATE UNIQUE INDEX idx_notes_tag ON notes (tag)"]
            second.save_collection(changed, notes)
            made = {name: _index_sql(second, name) for name in ("idx_notes_tag", "idx_notes_tag__pb_eq")}
        finally:
            second.logs.close()
            second.db.close()
        # the first still holds the collection as it started: its indexes are those of the
        # collection as it is now, not made again from the old one
        assert first._refresh_indexes() == []
        assert {name: _index_sql(first, name) for name in made} == made
        with first.db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relname = 'idx_notes_body'")).scalar() == 0
    finally:
        first.logs.close()
        first.db.close()


@pytest.mark.parametrize(("statement", "functions"), [
    ('CREATE INDEX "c" ON "p" USING hash ((LOWER("title")))', set()),
    ('CREATE UNIQUE INDEX "a" ON "p"((PB_INDEX_DIGEST("title")))', {"pb_index_digest"}),
    ('CREATE INDEX "b" ON "p" USING hash ((PB_JSON_VALUE("meta", \'$.x\')))', {"pb_json_value"}),
])  # fmt: skip
def test_a_mark_holds_the_definitions_of_the_functions_an_index_calls(statement: str, functions: set[str]) -> None:
    # NOTE: an index holds what its functions gave when it was made: a later pybase whose
    # function reads values otherwise (a NUL's escape) makes it again (its mark differs)
    from pybase.store import pg_indexes

    called = pg_indexes._helpers_called([statement])
    named = {m.lower() for m in pg_indexes._FUNCTION_RE.findall(called)}
    assert functions <= named
    for name in named:  # NOTE: and those these call, whole
        assert pg_indexes._helper_definitions()[name] in called
    assert pg_indexes.fingerprint([statement]) != pg_indexes.INDEX_MARK + hashlib.sha256(statement.encode()).hexdigest()[:20] or not functions
