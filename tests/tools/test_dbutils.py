"""Index definitions: parsed with sqlglot, checked against an allowlist, rendered from the AST."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from pybase.tools.dbutils import IndexColumn, IndexParseError, IndexRefused, parse_index

COLUMNS = ("id", "title", "views", "contact")


def run(sql: str) -> list[tuple[str, str]]:
    """Create ``sql`` (rendered for table ``t``) in a fresh SQLite database; the indexes it holds."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id TEXT, title TEXT, views NUMERIC, contact TEXT)")
    conn.execute(parse_index(sql).create_sql("t", COLUMNS))
    return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()


@pytest.mark.parametrize("sql, name, unique, columns, where", [
    ("CREATE INDEX idx ON posts (title)", "idx", False, [IndexColumn("title")], ""),
    ("create unique index `idx` on `posts` (`title`)", "idx", True, [IndexColumn("title")], ""),
    ("CREATE INDEX IF NOT EXISTS [idx] ON \"posts\" (title COLLATE NOCASE DESC, views)", "idx", False,
     [IndexColumn("title", "NOCASE", "DESC"), IndexColumn("views")], ""),
    ("CREATE INDEX idx ON posts (lower(title))", "idx", False, [IndexColumn("lower(title)", expression=True)], ""),
    ("CREATE INDEX idx ON posts (title asc) WHERE title != \"\"", "idx", False, [IndexColumn("title", "", "ASC")], 'title != ""'),
    ("CREATE INDEX idx ON posts (title) WHERE views > 1 AND (title IS NOT NULL OR contact LIKE 'a%')", "idx", False,
     [IndexColumn("title")], "views > 1 AND (title IS NOT NULL OR contact LIKE 'a%')"),
    ("CREATE INDEX idx ON posts (title || 'x', json_extract(contact, '$.a'))", "idx", False,
     [IndexColumn("title || 'x'", expression=True), IndexColumn("json_extract(contact, '$.a')", expression=True)], ""),
])  # fmt: skip
def test_parse(sql, name, unique, columns, where):
    index = parse_index(sql)
    assert (index.name, index.unique, list(index.columns), index.where) == (name, unique, columns, where)
    assert index.table == "posts"
    assert index.refusal is None


@pytest.mark.parametrize("sql", [
    "", "garbage", "CREATE TABLE x (a)", "DROP INDEX idx", "CREATE INDEX ON posts (title)",
    "CREATE INDEX idx ON posts ()", "CREATE INDEX idx ON posts title",
    "CREATE INDEX idx ON posts (title); DROP TABLE posts", "CREATE INDEX idx ON posts (title); CREATE INDEX b ON posts (views)",
    "CREATE INDEX idx ON posts (title) WHERE", "CREATE INDEX idx ON posts (title) USING btree",
    "CREATE INDEX idx ON posts (posts.title)", "CREATE INDEX idx ON posts (title) WHERE 'unclosed",
    "SELECT 1", "ATTACH DATABASE 'x' AS y", "CREATE INDEX idx ON posts (title);",
])  # fmt: skip
def test_outside_the_grammar(sql):
    with pytest.raises(IndexParseError):
        parse_index(sql)


@pytest.mark.parametrize("sql, message, code", [
    ("CREATE INDEX idx ON t (foo(title))", "no such function: foo", 1),
    ("CREATE INDEX idx ON t (load_extension('x'))", "unsafe use of load_extension()", 1),
    ("CREATE INDEX idx ON t (random())", "non-deterministic functions prohibited in index expressions", 1),
    ("CREATE INDEX idx ON t (title) WHERE random() > 0", "non-deterministic functions prohibited in partial index WHERE clauses", 1),
    ("CREATE INDEX idx ON t ((SELECT 1))", "subqueries prohibited in index expressions", 1),
    ("CREATE INDEX idx ON t (title) WHERE title IN (SELECT id FROM x)", "subqueries prohibited in partial index WHERE clauses", 1),
    ("CREATE INDEX idx ON t (title) WHERE EXISTS (SELECT 1)", "subqueries prohibited in partial index WHERE clauses", 1),
    ("CREATE INDEX idx ON t (title) WHERE title = ?", "parameters prohibited in partial index WHERE clauses", 1),
    ("CREATE INDEX idx ON t (title) WHERE title = :x", "parameters prohibited in partial index WHERE clauses", 1),
    ("CREATE INDEX idx ON t (title COLLATE foo)", "no such collation sequence: foo", 257),
    ("CREATE INDEX idx ON t (count(title))", "misuse of aggregate function count()", 1),
    ("CREATE INDEX idx ON t (nope)", "no such column: nope", 1),
    ("CREATE INDEX idx ON t (title) WHERE `nope` = 1", "no such column: nope", 1),
])  # fmt: skip
def test_refused_as_sqlite_refuses(sql, message, code):
    index = parse_index(sql)  # the names still parse: PocketBase checks them first
    assert index.name == "idx"
    with pytest.raises(IndexRefused) as caught:
        index.create_sql("t", COLUMNS)
    assert (caught.value.message, caught.value.code) == (message, code)


def test_created_from_the_ast_on_the_given_table():
    created = run('create unique index if not exists idx on whatever (lower(title) collate nocase desc, views) where title != ""')
    assert created == [("idx", 'CREATE UNIQUE INDEX "idx" ON "t"(LOWER(title) COLLATE nocase DESC, views) WHERE title <> \'\'')]


def test_a_double_quoted_name_is_a_column_when_one_exists_else_a_string():
    assert run('CREATE INDEX idx ON t (title) WHERE "title" != "nope"')[0][1].endswith("WHERE \"title\" <> 'nope'")


@pytest.mark.parametrize("expression", [
    "lower(title)", "upper(title)", "length(title)", "substr(title, 1, 3)", "ifnull(views, 0)", "coalesce(views, 0)",
    "abs(views)", "round(views, 1)", "trim(title)", "replace(title, 'a', 'b')", "instr(title, 'a')",
    "json_extract(contact, '$.a')", "contact ->> 'a'", "contact -> '$.a'", "typeof(title)", "iif(views > 1, 1, 0)",
    "min(views, 1)", "max(views, 1)", "views * 2 + 1", "-views", "views % 3", "title || 'x'", "CAST(views AS INTEGER)",
    "CASE WHEN views > 1 THEN 'a' ELSE 'b' END", "date(title)", "strftime('%Y', title)", "printf('%d', views)",
])  # fmt: skip
def test_allowed_expressions_run_in_sqlite(expression):
    assert run(f"CREATE INDEX idx ON posts ({expression})")


def test_rendering_leaves_the_parsed_index_untouched():
    index = parse_index("CREATE INDEX idx ON posts (title) WHERE contact != \"\"")
    first = index.create_sql("a", COLUMNS)
    assert index.create_sql("a", COLUMNS) == first
    assert 'ON "b"' in index.create_sql("b", COLUMNS)


@pytest.mark.parametrize("sql, built", [
    ("CREATE INDEX idx ON posts (title)", "CREATE INDEX `idx` ON `other` (`title`)"),
    ("create unique index if not exists idx on posts (title collate nocase desc) where title != ''",
     "CREATE UNIQUE INDEX IF NOT EXISTS `idx` ON `other` (`title` COLLATE nocase DESC) WHERE title != ''"),
    ("CREATE INDEX idx ON posts (lower(title), views)", "CREATE INDEX `idx` ON `other` (\n  lower(title),\n  `views`\n)"),
])  # fmt: skip
def test_build_writes_back_as_pocketbase(sql, built):
    rebuilt = parse_index(sql).with_table("other").build()
    assert rebuilt == built
    assert parse_index(rebuilt).build() == built  # what is stored parses again


def test_definition_ignores_names_only():
    first = parse_index("CREATE INDEX a ON posts (title)")
    assert first.definition() == parse_index("CREATE INDEX b ON other (title)").definition()
    assert first.definition() != parse_index("CREATE UNIQUE INDEX a ON posts (title)").definition()
    assert first.definition() != parse_index("CREATE INDEX a ON posts (title DESC)").definition()


def test_identifier_quotes_are_escaped():
    index = parse_index('CREATE INDEX `a"b` ON posts (title)')
    assert index.name == 'a"b'
    assert 'INDEX "a""b"' in index.create_sql("t", COLUMNS)


_PIECES = ["CREATE", "UNIQUE", "INDEX", "IF", "NOT", "EXISTS", "idx", "ON", "t", "(", ")", ",", "title", "views", "WHERE", "=",
           "!=", "'x'", '"y"', "`z`", "[w]", "COLLATE", "NOCASE", "DESC", "lower", "SELECT", "1", ";", "AND", "NULL", "IS", "IN",
           "+", "?", ":p", ".", "main", "CAST", "AS", "INTEGER", "CASE", "WHEN", "END", "--c\n", "/*", "*/", "x'00'", "->>",
           "OVER", "USING", "NULLS", "WITH", "DROP", "TABLE"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20), st.booleans())
def test_any_text_is_parsed_or_refused(pieces, with_head):
    """Whatever the text, the answer is an Index or IndexParseError, and a parsed index renders
    SQL that SQLite accepts or refuses with an error (never a crash)."""
    text = " ".join((["CREATE", "INDEX", "idx", "ON", "t", "("] if with_head else []) + pieces)
    try:
        index = parse_index(text)
    except IndexParseError:
        return
    index.build()
    try:
        sql = index.create_sql("t", COLUMNS)
    except (IndexParseError, IndexRefused):
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id TEXT, title TEXT, views NUMERIC, contact TEXT)")
    try:
        conn.execute(sql)
    except sqlite3.Error:
        pass
    assert not conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != 't'").fetchone()[0]
