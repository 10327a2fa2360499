"""Plain index definitions read without sqlglot give what the sqlglot reading gives.

Every case is read both ways (``parse_index``, which takes the plain path, and
``parse_index_sqlglot``); the two must agree on every field, on the statement SQLite runs for
several column sets, and on the refusal when a name is no column. Cases outside the plain
grammar must go to sqlglot (``plain`` stays None).
"""

from __future__ import annotations

import random
import re

import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: one SQLite per process (see the module)
from pybase.tools import dbutils, index_plain

COLUMNS = ["id", "title", "views", "email", "tokenKey", "ti`tle", 'a"b', "Order", "x_1"]


def _create(index: dbutils.Index, table: str, columns: list[str]) -> str:
    try:
        return index.create_sql(table, columns)
    except dbutils.IndexRefused as ex:
        return f"refused: {ex.message} ({ex.code})"


def _same(sql: str) -> dbutils.Index:
    plain = dbutils.parse_index(sql)
    full = dbutils.parse_index_sqlglot(sql)
    assert plain.plain is not None, sql
    assert full.plain is None
    assert (plain.name, plain.table, plain.unique, plain.optional, plain.columns, plain.where) == (
        full.name, full.table, full.unique, full.optional, full.columns, full.where,
    ), sql  # fmt: skip
    assert plain == full
    assert plain.build() == full.build()
    for table, columns in (("t", COLUMNS), ("other table", COLUMNS[:3]), ('we"ird', ["TITLE", "VIEWS"])):
        assert _create(plain, table, columns) == _create(full, table, columns), sql
    return plain


HAND_WRITTEN = [
    "CREATE UNIQUE INDEX `idx_tokenKey_pbc_123` ON `users` (`tokenKey`)",
    "CREATE UNIQUE INDEX `idx_email_pbc_123` ON `users` (`email`) WHERE `email` != ''",
    "CREATE INDEX `idx_posts_views` ON `posts` (`views`)",
    "create index if not exists idx1 on posts (title collate nocase desc, views ASC)",
    "CREATE INDEX [idx3] ON [posts] ([title])",
    'CREATE INDEX idx4 ON posts ("title", "nosuch")',
    "CREATE INDEX idx5 ON posts (`ti``tle`)",
    'CREATE INDEX idx6 ON posts ("a""b" COLLATE RTRIM)',
    "  CREATE INDEX idx7 ON posts(title,views)  ",
    "CREATE INDEX idx8 ON posts (title)\n  WHERE views >= 10 AND title <> 'it''s' and \"email\" == 'x'",
    "CREATE INDEX `a\"b` ON posts (title)",
    "CREATE INDEX idx9 ON posts (nosuch)",
    "CREATE INDEX idx10 ON posts (title) WHERE \"nosuch\" = 1",
    "CREATE INDEX idx11 ON posts (title) WHERE nosuch = 1",
    "CREATE INDEX idx12 ON `my posts` (`Order`)",
    "CREATE INDEX x_1 ON x_1 (x_1)",
]


@pytest.mark.parametrize("sql", HAND_WRITTEN)
def test_a_plain_definition_reads_as_sqlglot_reads_it(sql: str) -> None:
    _same(sql)


NOT_PLAIN = [
    "CREATE INDEX idx ON posts (lower(title))",
    "CREATE INDEX idx ON posts (title) WHERE views > 1 OR views < 0",
    "CREATE INDEX idx ON posts (title) WHERE views IS NOT NULL",
    "CREATE INDEX idx ON posts (`order`, group)",  # a keyword as a bare name
    "CREATE INDEX idx ON posts (title COLLATE foo)",
    'CREATE INDEX idx ON posts (title COLLATE "NOCASE")',
    "CREATE INDEX idx ON main.posts (title)",
    "CREATE INDEX idx ON posts (title); DROP TABLE posts",
    "CREATE INDEX idx ON posts (title) -- a comment",
    "CREATE INDEX idx ON posts (title) WHERE views > -1",
    "CREATE INDEX idx ON posts (title) WHERE views > 1.5",
    'CREATE INDEX "idx" ON posts (title)',
    "CREATE INDEX idx ON posts ()",
    "CREATE INDEX idx ON posts (title,)",
    "CREATE INDEX idx ON posts (title) WHERE",
    "CREATE INDEX idx ON `` (title)",
    "CREATE TABLE idx (title)",
    "",
]


@pytest.mark.parametrize("sql", NOT_PLAIN)
def test_anything_else_goes_to_sqlglot(sql: str) -> None:
    assert index_plain.parse_plain(sql) is None


def _name(rng: random.Random, words: list[str], *, double: bool = True) -> str:
    word = rng.choice(words)
    style = rng.randrange(4 if double else 3)
    if style == 0 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word) and word.upper() not in index_plain._KEYWORDS:
        return word
    if style == 1:
        return "`" + word.replace("`", "``") + "`"
    if style == 2 and "]" not in word:
        return f"[{word}]"
    if not double:
        return "`" + word.replace("`", "``") + "`"
    return '"' + word.replace('"', '""') + '"'


def _random_definition(rng: random.Random) -> str:
    columns = ["title", "views", "EMAIL", "tokenKey", "ti`tle", 'a"b', "Order", "x_1", "nosuch", "two words"]
    sql = rng.choice(["CREATE", "create", "Create"])
    sql += rng.choice(["", " UNIQUE", " unique"]) + " INDEX"
    sql += rng.choice(["", "", " IF NOT EXISTS", " if not exists"])
    # NOTE: a "double-quoted" index or table name goes to sqlglot
    sql += " " + _name(rng, ["idx_a", "idx b", "Idx`c"], double=False)
    sql += rng.choice([" ON ", " on ", "\nON "]) + _name(rng, ["posts", "my table"], double=False)
    parts = []
    for _ in range(rng.randint(1, 3)):
        part = _name(rng, columns)
        if rng.random() < 0.3:
            part += " COLLATE " + rng.choice(["nocase", "NOCASE", "binary", "RTrim"])
        if rng.random() < 0.3:
            part += " " + rng.choice(["ASC", "desc", "Desc"])
        parts.append(part)
    sql += rng.choice([" (", "(", " ( "]) + rng.choice([",", ", ", " ,\n  "]).join(parts) + rng.choice([")", " )"])
    if rng.random() < 0.4:
        conditions = []
        for _ in range(rng.randint(1, 3)):
            literal = rng.choice(["''", "'x'", "'it''s'", "0", "10", "'a b'"])
            conditions.append(f"{_name(rng, columns)} {rng.choice(list(index_plain._OPERATORS))} {literal}")
        sql += rng.choice([" WHERE ", " where ", "\n WHERE "]) + rng.choice([" AND ", " and "]).join(conditions)
    return sql


def test_random_plain_definitions_read_as_sqlglot_reads_them() -> None:
    rng = random.Random(16)
    for _ in range(400):
        _same(_random_definition(rng))


def test_the_rendered_statement_creates_the_index_sqlite_would() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE "t" (title TEXT, views NUMERIC, email TEXT, tokenKey TEXT)')
    index = _same("CREATE UNIQUE INDEX `idx_email` ON `users` (`email` COLLATE NOCASE) WHERE `email` != ''")
    conn.execute(index.create_sql("t", ["title", "views", "email", "tokenKey"]))
    conn.execute("INSERT INTO t (email) VALUES ('A@x'), (''), ('')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO t (email) VALUES ('a@X')")


def test_sqlglot_keywords_are_never_read_as_plain_names() -> None:
    from sqlglot.dialects.sqlite import SQLite

    words = {k for k in SQLite.Tokenizer.KEYWORDS if re.fullmatch(r"[A-Z_][A-Z0-9_]*", k)}
    words |= {t.name for t in SQLite.Parser.NO_PAREN_FUNCTIONS}
    assert words <= index_plain._KEYWORDS, sorted(words - index_plain._KEYWORDS)
