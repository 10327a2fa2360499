"""``pybase db copy`` (issue #17) carries the CHECK constraints and generated columns of the
tables made with SQL on SQLite: translated with SQLite's meaning, checked by Postgres when the
table is made, enforced and computed alike on both sides afterwards; the ones that cannot be
carried are named, with the reason, before anything is written (a dry run too). The progress
lines and the count check hold for such tables.

tests/test_db_copy.py covers the rest of the copy.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from tests.conftest import Databases
from tests.pg import postgres_only
from tests.test_db_copy import _app_with_raw_tables, cli, pg_rows, pg_tables

pytestmark = postgres_only

ITEMS = (
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 20), "
    "qty INTEGER CONSTRAINT qty_positive CHECK (qty > 0), price REAL, flag INT CHECK (flag IN (0, 1)), "
    "total REAL GENERATED ALWAYS AS (qty * price) STORED, label TEXT AS (upper(name) || ':' || qty) VIRTUAL, "
    "half INT AS (qty / 2), loud TEXT AS (name COLLATE NOCASE), "
    "CHECK (price IS NULL OR price >= 0), CONSTRAINT named_rule CHECK (name <> 'forbidden'), CHECK (qty % 100 <> 99))"
)
ROWS = "INSERT INTO items (name, qty, price, flag) VALUES ('Apple', 3, 1.5, 1), ('pear', 5, NULL, 0), ('fig', 7, 0.25, NULL)"
SELECT = "SELECT id, name, qty, price, flag, total, label, half, loud FROM items ORDER BY id"


def _sqlite_rows(data: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(data / "data.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_checks_and_generated_columns_are_carried_over(databases: Databases, tmp_path: Path) -> None:
    data = _app_with_raw_tables(tmp_path, ITEMS, ROWS)
    expected = _sqlite_rows(data, SELECT)
    url = databases.server.new_database()
    try:
        result = cli("db", "copy", "--dir", str(data), "--to", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        # the progress and the count check hold: the generated values are not copied, the rows are
        assert "items" in result.stderr and "3/3" in result.stderr
        line = next(line for line in result.stdout.splitlines() if line.split() and line.split()[0] == "items")
        assert line.split()[1:3] == ["3", "3"], line
        assert "the counts match" in result.stdout
        assert "generated column(s) label, half, loud are VIRTUAL in SQLite, STORED in Postgres" in result.stdout
        assert "not carried" not in result.stdout
        assert pg_rows(url, SELECT) == expected
        checks = dict(pg_rows(url, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                   "WHERE conrelid = 'items'::regclass AND contype = 'c'"))  # fmt: skip
        assert set(checks) == {"items_name_check", "qty_positive", "items_flag_check", "items_check", "named_rule", "items_check1"}
        generated = pg_rows(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' "
                                 "AND is_generated = 'ALWAYS' ORDER BY ordinal_position")  # fmt: skip
        assert generated == [("total",), ("label",), ("half",), ("loud",)]
        # what SQLite refuses, Postgres refuses; what it computes, Postgres computes alike
        refused = [
            "INSERT INTO items (name, qty) VALUES ('', 1)", "INSERT INTO items (name, qty) VALUES ('x', 0)",
            "INSERT INTO items (name, qty, flag) VALUES ('x', 1, 2)", "INSERT INTO items (name, qty, price) VALUES ('x', 1, -1)",
            "INSERT INTO items (name, qty) VALUES ('forbidden', 1)", "INSERT INTO items (name, qty) VALUES ('x', 199)",
        ]  # fmt: skip
        new_row = "INSERT INTO items (id, name, qty, price) VALUES (4, 'Kiwi', 9, 2)"  # NOTE: Postgres's refused rows took ids
        sqlite = sqlite3.connect(data / "data.db")
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            for sql in refused:
                with pytest.raises(sqlite3.IntegrityError):
                    sqlite.execute(sql)
                with pytest.raises(psycopg.errors.CheckViolation):
                    conn.execute(sql)
            conn.execute(new_row)
        sqlite.execute(new_row)
        sqlite.commit()
        sqlite.close()
        assert pg_rows(url, SELECT) == _sqlite_rows(data, SELECT)
    finally:
        databases.drop(url)


REFUSED = [
    ("a CHECK calling a function Postgres lacks", "CREATE TABLE t (x TEXT CHECK (changes() >= 0))",
     "t: CHECK constraint t_x_check (CHECK (", "function changes() does not exist"),
    ("a generated column reading another", "CREATE TABLE t (a INT, b INT AS (a * 2), c INT AS (b + 1))",
     "t: ", "cannot use generated column \"b\" in column generation expression"),
    ("a generated BLOB", "CREATE TABLE t (a TEXT, b BLOB AS (a))",
     "t: generated column 'b' (a) cannot be translated", "a generated column of type bytea"),
    ("a CHECK named beyond Postgres's 63 bytes", f"CREATE TABLE t (a INT, CONSTRAINT {'c' * 64} CHECK (a > 0))",
     f"CHECK constraint '{'c' * 64}'", "longer than the 63 bytes"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "create", "message", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_check_or_generated_column_that_cannot_be_carried_is_named(
    databases: Databases, tmp_path: Path, name: str, create: str, message: str, reason: str
) -> None:
    data = _app_with_raw_tables(tmp_path, create, ITEMS, ROWS)
    url = databases.server.new_database()
    try:
        for extra in ([], ["--dry-run"]):
            result = cli("db", "copy", "--dir", str(data), "--to", url, *extra, cwd=tmp_path)
            assert result.returncode == 2, result
            assert "cannot be carried over to Postgres (nothing was written)" in result.stderr, result.stderr
            assert message in result.stderr and reason in result.stderr, result.stderr
            assert "items" not in result.stderr  # NOTE: the table that can be carried is not named
            assert "Traceback" not in result.stderr
        assert pg_tables(url) == set()
    finally:
        databases.drop(url)


def test_help_documents_what_is_carried(tmp_path: Path) -> None:
    result = cli("db", "copy", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for words in ("CHECK constraints and generated columns", "a VIRTUAL one is STORED", "before anything is written",
                  "a progress line per table", "counted again once committed", "record files"):  # fmt: skip
        assert words in text, words


VIEWS = [
    "CREATE VIEW cheap_items AS SELECT id, name, price FROM items WHERE price < 1",
    "CREATE VIEW cheap_names (item_name) AS SELECT upper(name) FROM cheap_items",  # a view on a view, its columns named
    "CREATE VIEW item_posts AS SELECT (SELECT count(*) FROM posts) AS posts, count(*) AS items FROM items",
    "CREATE TRIGGER items_touch AFTER INSERT ON items BEGIN UPDATE items SET flag = 1 WHERE id = new.id; END",
]


def test_views_made_with_sql_are_carried_and_triggers_named(databases: Databases, tmp_path: Path) -> None:
    data = _app_with_raw_tables(tmp_path, ITEMS, ROWS, *VIEWS)
    url = databases.server.new_database()
    try:
        result = cli("db", "copy", "--dir", str(data), "--to", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        for view in ("cheap_items", "cheap_names", "item_posts"):
            line = next(line for line in result.stdout.splitlines() if line.split() and line.split()[0] == view)
            assert line.split()[1] == line.split()[2] and line.rstrip().endswith("(view)"), line
            assert pg_rows(url, f"SELECT * FROM {view}") == _sqlite_rows(data, f"SELECT * FROM {view}")
        assert pg_rows(url, "SELECT item_name FROM cheap_names") == [("FIG",)]
        assert "trigger items_touch on items: not carried" in result.stdout
    finally:
        databases.drop(url)


def test_a_view_made_with_sql_that_cannot_be_carried_is_named(databases: Databases, tmp_path: Path) -> None:
    data = _app_with_raw_tables(tmp_path, ITEMS, ROWS, "CREATE VIEW counted AS SELECT changes() AS n FROM items")
    url = databases.server.new_database()
    try:
        for extra in ([], ["--dry-run"]):
            result = cli("db", "copy", "--dir", str(data), "--to", url, *extra, cwd=tmp_path)
            assert result.returncode == 2, result
            assert "views made with SQL that cannot be carried over to Postgres (nothing was written)" in result.stderr
            assert "counted: " in result.stderr and "changes()" in result.stderr, result.stderr
        assert pg_tables(url) == set()
    finally:
        databases.drop(url)
