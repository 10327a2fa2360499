"""SQLite's JSON reader on Postgres (issue #17): pb_json5_scan(doc) reads a text as SQLite's
parser does, JSON5 included: where it fails (json_error_position()'s answer) or the canonical
JSON it reads (json()'s). The reference is pybase's own SQLite (3.45 or later reads JSON5), for
texts generated from JSON5 and malformed seeds (their characters dropped, added, changed), and
pb_json_error_position(), pb_json() and json_extract's pb_view_arrow_value() on top of it.
(pybase/store/sqlite_json5_sql.py; the answers are PocketBase's: tests/conformance/test_sql_json5.py)
"""

from __future__ import annotations

import random
from typing import Any

import psycopg
import pytest

from pybase.store.sqlite_driver import sqlite3
from tests.pg import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 45, 0), reason="an SQLite before 3.45 reads no JSON5"),
]

SEEDS = [
    "{a:1,}", "'ab\\x41'", "0x1F", "[.5, 5., +1, Infinity, -Infinity, NaN]", "/*c*/ [1,//x\n 2]", '{"a\\u0041":1}', '"a\\\nb"',
    "{'k.y':1, 'q\"':2, 'b[0]':3, '':4, 'a b':5}", "{a:1} x", "[1,] x", "", "  ", "[1,  ", '{"a" 1}', "{true:1}", "[1 2]", "-0x",
    "1.e5", "0x" + "F" * 17, "-0xFFFFFFFFFFFFFFFF", "{\u00e9:1, a\u00a0:2}", '"\\x4a\\x4A"', "'a\x01b\x1fc'", '{"a":[1,2,{"b":null}],"c":"d"}',
    "[1e5, -1.5E-3, 0.0, -0, 1e+9]", "{\\u0041b:1}", "{$a:1,_b:2}", "[+inf, -Infinity, +Infinityx]", "[QNaN, snan, nan, NaN1]",
    '{"a":1 , "b" : 2 }', "[1 /*x*/ , 2 // y\n ]", "\"\\v\\0\\'\"", "'\\r\n'", "[01]", "[-01]", "[1.2.3]", "[1e5e5]", "[1e]", "[.e1]",
    "[-.]", "{a b:1}", "{:1}", '{"a":}', '{"a"::1}', "[,]", "[1,,2]", '{"a":1,,}', '"\\q"', '"abc', "'abc\"'", "[truex]", "[nullx]",
    "[tru]", "\ufeff[1]", "[1]\u3000", "/* open", "// line", "[1] /* c */", "[1] // c", "{a:1 b:2}", '{"a":1}}', "[[[]]]", "[{}]",
    '{"a":{"b":{}}}', "1.", "-1.", "+.5", "-.5e3", "5.e-2", "0x", "0xG", "+0x10", "-0X1f", "+1.5", "+-1", "--1", "+", "-", ".",
    '"\\u12"', '"\\u12G4"', '"\\x4"', '"\\0 1"', '"\\01"', '"tab\there"', '{"\\u00e9":1}', '"\u2028"', '"\\\u2028x"', "{'a':'b\"c'}",
    "[1,\n]", "[1\n,\n2\n]",
]  # fmt: skip
ALPHABET = list("{}[]:,\"'\\/*\n \t.0123456789+-eExabcfnrtuvINQS") + ["\u00a0", "\u2028", "\u00e9", "\x0b"]


def _mutated(text: str, chance: random.Random) -> str:
    chars = list(text)
    for _ in range(chance.randint(1, 3)):
        at = chance.randint(0, len(chars))
        roll = chance.random()
        if roll < 0.4 and chars:
            del chars[min(at, len(chars) - 1)]
        elif roll < 0.8:
            chars.insert(at, chance.choice(ALPHABET))
        elif chars:
            chars[min(at, len(chars) - 1)] = chance.choice(ALPHABET)
    return "".join(chars)


def _texts() -> list[str]:
    chance = random.Random(61)
    return SEEDS + [_mutated(chance.choice(SEEDS), chance) for _ in range(3000)]


def _sqlite(texts: list[str]) -> list[tuple[int, str | None]]:
    conn = sqlite3.connect(":memory:")
    found = []
    for text in texts:
        position = conn.execute("SELECT json_error_position(?)", (text,)).fetchone()[0]
        found.append((position, conn.execute("SELECT json(?)", (text,)).fetchone()[0] if position == 0 else None))
    return found


def test_scan_reads_as_sqlite(pg: psycopg.Connection[Any]) -> None:
    texts = _texts()
    rows = pg.execute(
        "SELECT (s).pos, (s).canon, pb_json_error_position(d) FROM unnest(%s::text[]) WITH ORDINALITY AS u(d, n), "
        "LATERAL (SELECT pb_json5_scan(d) AS s) AS f ORDER BY n",
        (texts,),
    ).fetchall()
    expected = _sqlite(texts)
    wrong = [(text, want, got) for text, want, got in zip(texts, expected, rows, strict=True) if want != (got[0], got[1]) or got[2] != want[0]]
    assert not wrong, f"{len(wrong)} of {len(texts)} differ, e.g. {wrong[:5]}"
    assert sum(1 for position, _ in expected if position) > len(texts) // 2  # NOTE: the errors are the most


@pytest.mark.parametrize(
    ("doc", "path", "value"),
    [
        ("{a: [0x10, 'x'], /* c */ b: .5,}", "$.a[0]", "16"),
        ("{a: [0x10, 'x'], /* c */ b: .5,}", "$.a[1]", '"x"'),
        ("{a: [0x10, 'x'], /* c */ b: .5,}", "$.b", "0.5"),
        ("[Infinity, NaN]", "$[1]", None),
        ("{'k': 'say \"q\"'}", "$.k", '"say \\"q\\""'),
    ],
)
def test_json5_read_by_the_json_functions(pg: psycopg.Connection[Any], doc: str, path: str, value: str | None) -> None:
    """pb_json_parse reads JSON5 through pb_json5_scan: json() its canonical text, ->> the value."""
    canon, found = pg.execute("SELECT pb_json(%s), CAST(pb_view_arrow_value(%s, %s) AS text)", (doc, doc, path)).fetchone()
    conn = sqlite3.connect(":memory:")
    assert canon == conn.execute("SELECT json(?)", (doc,)).fetchone()[0]
    assert found == value


def test_malformed_refused_in_sqlites_words(pg: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="malformed JSON"):
        pg.execute("SELECT pb_json(%s)", ("{a b: 1}",))


# json_each()/json_tree() from the document's root or below it (paths the generated texts' keys use)
_TREE_ROOTS = ["$", "$.a", "$[1]", "$.b[0]", "$.a.b", '$."k.y"', '$.""']
_TREE_COLUMNS = "key, type, id, parent, fullkey, path"


def test_json_tree_reads_as_sqlite(pg: psycopg.Connection[Any]) -> None:
    """pb_json_tree's rows: keys spelled as written in fullkey and path (escapes kept, a
    single-quoted key's " bare), ids as SQLite's offsets in its JSONB encoding, which holds
    JSON5's numbers, strings and keys as written (NaN none, Infinity as 9e999). NOTE: texts
    holding a NUL escape (\\0) left out: Postgres reads no NUL in a JSON string."""
    conn = sqlite3.connect(":memory:")
    texts = [t for t in _texts() if conn.execute("SELECT json_error_position(?)", (t,)).fetchone()[0] == 0]
    texts = [t for t in texts if "\\u0000" not in conn.execute("SELECT json(?)", (t,)).fetchone()[0]]
    wrong = []
    for text, root, deep in ((t, r, d) for t in texts for r in _TREE_ROOTS for d in (True, False)):
        want = [tuple(row) for row in conn.execute(f"SELECT {_TREE_COLUMNS} FROM {'json_tree' if deep else 'json_each'}(?, ?)", (text, root))]
        got = pg.execute(f"SELECT {_TREE_COLUMNS} FROM pb_json_tree(%s, %s, %s)", (text, root, deep)).fetchall()
        # NOTE: an array member's key is an INTEGER to SQLite, pb_json_tree's text of it
        got = [(int(row[0]) if row[0] is not None and row[4].endswith("]") else row[0], *row[1:]) for row in got]
        if want != got:
            wrong.append((text, root, deep, want, got))
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:3]}"
    assert len(texts) > 300


# roots SQLite reads as written: the root row's key (an index's digits, 0 for [#-n]; a quoted
# key's text as written) and path (root's steps before the last, as written); a quoted key's
# escapes read to find it
ROOTS = [
    ("[1,[2,3]]", "$[#-1]"), ("[1,2,3]", "$[2]"), ('{"q\\"":{"x":1}}', '$."q\\""'),
    ('{"a\\u0062":5}', '$."a\\u0062"'), ('{"ab":5}', '$."a\\u0062"'), ('{"a\\u0062":5}', "$.ab"), ('{"a b":{"c":1}}', '$."a b".c'),
    ('{"a":{"b":1}}', '$."a"."b"'), ('{"a":[{"b":1}]}', '$."a"[0]'), ('{"a.b":{"c":[1]}}', '$."a.b".c[0]'), ("[[1]]", "$[0][0]"),
    ("{'q\"': 1}", '$."q\\""'),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "root"), ROOTS)
@pytest.mark.parametrize("deep", [True, False])
def test_json_tree_root_as_sqlite(pg: psycopg.Connection[Any], doc: str, root: str, deep: bool) -> None:
    conn = sqlite3.connect(":memory:")
    want = [tuple(row) for row in conn.execute(f"SELECT {_TREE_COLUMNS} FROM {'json_tree' if deep else 'json_each'}(?, ?)", (doc, root))]
    got = pg.execute(f"SELECT {_TREE_COLUMNS} FROM pb_json_tree(%s, %s, %s)", (doc, root, deep)).fetchall()
    assert [(int(row[0]) if row[0] is not None and row[4].endswith("]") else row[0], *row[1:]) for row in got] == want
    assert want
