"""SQLite's GLOB on Postgres: pb_glob(pattern, value) (pybase/store/index_sql_helpers.py, used by
an index's WHERE and a view's SQL) answers as SQLite's GLOB, the reference being pybase's own
SQLite: classes holding a reversed range (none of its characters), a range after a range, a
``-`` or ``]`` at either end, ``[`` or ``\\`` or ``[:alpha:]`` as characters (Postgres's regular
expressions read these otherwise: the pattern failed with an error), ``^`` inverting, an
unterminated class; then patterns drawn at random from the characters that mean something."""

from __future__ import annotations

import itertools
import random
from typing import Any

import psycopg

from pybase.store.sqlite_driver import sqlite3
from tests.pg import postgres_only

pytestmark = postgres_only

VALUES = ["", "a", "abc", "ABC", "é", "a*b", "a?b", "a[b", "ab]", "😀x", "a-c", "b", "]", "[", ":", "\\", "d", "-", "^", ".", "\n"]
PATTERNS = [
    "", "a", "*", "?", "a*", "*b*", "[a-c]*", "[^a]*", "[]]", "[!a]*", "a[*]b", "a\\*", "?😀", "[a-]*", "*c", "A*", "[é]",
    "[z-a]*", "[^z-a]", "*[z-ab]", "[a-c-e]", "[[:]", "[\\]", "[a\\]*", "[[.]", "[[=a=]]", "[[:alpha:]]", "[^-]", "[^^]",
    "[-a]", "[]-a]", "[\\-a]", "[", "a[", "[^]", "[]", "[^]]", "[a-😀]", "?",
]  # fmt: skip
ALPHABET = list("ab-^[]*?\\z!é😀")


def _pairs() -> list[tuple[str, str]]:
    chance = random.Random(5)
    drawn = [
        ("".join(chance.choices(ALPHABET, k=chance.randint(0, 4))), "".join(chance.choices(ALPHABET, k=chance.randint(1, 6))))
        for _ in range(3000)
    ]  # fmt: skip
    return list(itertools.product(VALUES, PATTERNS)) + drawn


def test_glob_answers_as_sqlite(pg: psycopg.Connection[Any]) -> None:
    pairs = _pairs()
    conn = sqlite3.connect(":memory:")
    want = [conn.execute("SELECT ? GLOB ?", pair).fetchone()[0] for pair in pairs]
    got = [
        row[0] for row in pg.execute(
            "SELECT CAST(pb_glob(p, v) AS int) FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(v, p, n) ORDER BY n",
            ([v for v, _p in pairs], [p for _v, p in pairs]),
        )
    ]  # fmt: skip
    wrong = [(v, p, w, g) for (v, p), w, g in zip(pairs, want, got, strict=True) if w != g]
    assert not wrong, f"{len(wrong)} of {len(pairs)} differ, e.g. {wrong[:5]}"
    assert 0 < sum(want) < len(pairs)
