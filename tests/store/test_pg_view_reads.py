"""What a view's translation reads of Postgres (pybase/store/pg_view_reads.py): the same answers
as the per-translation reads it replaced, and read once where nothing it reads changes (a view
collection's save, the views' check at start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from pybase.core.app import App
from pybase.core.collection_bind import apply_changes, new_collection
from pybase.core.view_schema import dry_run_view
from pybase.store import pg_view_reads, schema_sync
from tests.pg import postgres_only

pytestmark = postgres_only

# tables made with SQL, spelt so that names meet in lower case: "Beta"/"beta" (a table spelt two
# ways), "Title"/"title" (a column spelt two ways across tables), one only in a view
TABLES = {
    "Alpha": ["id", "Title", "views"],
    "beta": ["id", "title", "Extra"],
    "Beta": ["id", "only_here"],
    "gamma": ["id", "Title", "Mixed"],
}
VIEWS = {"v_one": 'SELECT "id", "Mixed" AS "ViewOnly" FROM "gamma"'}
# leave_out values: every table and view, a name no table has, none
LEAVE_OUT = [*TABLES, *VIEWS, "missing", ""]


def _reference_spellings(conn: Any, leave_out: str) -> tuple[dict[str, str], dict[str, str]]:
    """The spellings as they were read before pg_view_reads: one query per translation."""
    rows = conn.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name <> :t"
    ), {"t": leave_out}).all()  # fmt: skip
    tables: dict[str, set[str]] = {}
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table.lower(), set()).add(table)
        columns.setdefault(column.lower(), set()).add(column)
    return ({k: next(iter(v)) for k, v in tables.items() if len(v) == 1},
            {k: next(iter(v)) for k, v in columns.items() if len(v) == 1})  # fmt: skip


def _reference_columns(conn: Any, leave_out: str, tables: set[str] | None) -> list[tuple[Any, ...]]:
    rows = conn.execute(text(
        "SELECT lower(c.column_name), c.data_type, t.table_type = 'VIEW', lower(c.table_name) "
        "FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.table_name <> :t"
    ), {"t": leave_out}).all()  # fmt: skip
    return sorted(tuple(r) for r in rows if tables is None or r[3] in tables)


@pytest.fixture
def app(tmp_path: Path, databases: Any) -> Iterator[App]:
    url = databases.new("postgres")
    found = App(str(tmp_path / "pb_data"), database_url=url)
    found.bootstrap()
    with found.db.write() as conn:
        for name, columns in TABLES.items():
            conn.exec_driver_sql(f'CREATE TABLE "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)} TEXT" for c in columns)})')
        for name, query in VIEWS.items():
            conn.exec_driver_sql(f'CREATE VIEW "{name}" AS {query}')
    yield found
    found.db.close()
    databases.drop(url)


@pytest.mark.parametrize("leave_out", LEAVE_OUT)
def test_the_reads_answer_as_one_query_each_did(app: App, leave_out: str) -> None:
    with app.db.write() as conn, pg_view_reads.one_read(conn):
        reads = pg_view_reads.reads(conn)
        for name in LEAVE_OUT:  # NOTE: every other question first: each answer is its own
            reads.spellings(name)
        assert reads.spellings(leave_out) == _reference_spellings(conn, leave_out)
        for tables in (None, {"alpha"}, {"beta", "v_one"}, set()):
            got = sorted(reads.column_rows(leave_out, tables))
            assert got == _reference_columns(conn, leave_out, tables), tables


# queries over the tables above (a double-quoted word, a view, JSON read from a text) x the
# names left out (none, a view, a table, one of two spellings, a temporary name, no table's)
QUERIES = [
    'SELECT "id", "Title" FROM "Alpha"',
    'SELECT id, title AS t FROM beta WHERE title = "x"',
    'SELECT "id", "ViewOnly" FROM v_one',
    "SELECT id, json_extract(Extra, '$.a') AS a FROM beta",
]
NAMES = ["", "v_one", "Alpha", "Beta", "_temp_abc", "missing"]


def _body(conn: Any, query: str, json_columns: tuple[str, ...], name: str) -> str:
    try:
        with conn.begin_nested():
            return schema_sync.view_body(conn, query, json_columns, name)
    except DBAPIError as ex:
        return f"refused: {ex.orig}"


def test_a_body_kept_is_the_body_read_afresh(app: App) -> None:
    cases = [(q, j, n) for q in QUERIES for j in ((), ("a", "t")) for n in NAMES]
    with app.db.write() as conn:
        fresh = {case: _body(conn, *case) for case in cases}  # NOTE: no one_read: each reads for itself
    assert sum(body.startswith("refused") for body in fresh.values()) < len(cases) // 2, fresh
    with app.db.write() as conn, pg_view_reads.one_read(conn):
        _body(conn, QUERIES[0], (), "_temp_warm")
        for case in cases:
            assert _body(conn, *case) == fresh[case], case
        assert pg_view_reads.reads(conn).bodies  # NOTE: they were kept


def _counted(app: App) -> list[str]:
    """The reads of every column of the database (pg_view_reads) the app's connections run from now on."""
    seen: list[str] = []
    for engine in {app.db.read_engine, app.db.write_engine}:
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_a: seen.append(statement) if statement == pg_view_reads.COLUMNS_READ else None)  # fmt: skip
    return seen


def test_a_view_collection_save_reads_the_database_twice_and_a_dry_run_once(app: App) -> None:
    # NOTE: five translations (columns, id type, sample, the view: pybase/core/view_schema.py)
    # in two stretches the hooks part (their code may change tables)
    app.save_collection(new_collection({"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}))
    seen = _counted(app)
    app.save_collection(new_collection({"name": "v_posts", "type": "view", "viewQuery": "SELECT id, title FROM posts"}))
    assert len(seen) == 2
    del seen[:]
    old = app.find_collection("v_posts")
    col = old.clone()
    apply_changes(col, {"viewQuery": "SELECT id, (title || '!') AS shout FROM posts"})
    app.save_collection(col, old)
    assert len(seen) == 2
    with app.db.read() as conn:
        assert conn.execute(text("SELECT shout FROM v_posts")).all() == []
    del seen[:]
    fields, records = dry_run_view(app, "SELECT id, (title || '?') AS ask FROM posts")  # the dashboard's preview
    assert ([f.name for f in fields], records, len(seen)) == (["id", "ask"], [], 1)


def test_a_start_reads_the_database_once_for_every_view(tmp_path: Path, app: App) -> None:
    app.save_collection(new_collection({"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}))
    for n in range(5):
        app.save_collection(new_collection({"name": f"v{n}", "type": "view", "viewQuery": f"SELECT id, title AS t{n} FROM posts"}))
    url = app.db.url
    app.db.close()
    again = App(str(tmp_path / "again"), database_url=url)
    seen = _counted(again)
    again.bootstrap()
    try:
        assert len(seen) == 1, seen
    finally:
        again.db.close()
