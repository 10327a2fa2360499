"""pb_json_value(text, path) on Postgres (issue #17): the JSON value SQLite's json_extract reads
from a text that may be no JSON (a view's json field, often a text the view computes: a date, a
year), as a jsonb number or string. It tells most texts apart by their first character instead
of parsing each under an EXCEPTION block: its answers (and its errors) must be those of parsing
every text, the reference below, for texts of every first character, JSON or not. The plpgsql
*_once helpers compute a costly argument once and answer as the SQL they wrap.
(pybase/store/dialect/pg_functions.py; the answers are PocketBase's:
tests/conformance/test_view_comparisons.py, test_view_strftime.py, test_view_json_fields.py)
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import psycopg
import pytest

from tests.pg import postgres_only

pytestmark = postgres_only

# NOTE: pb_json_value as it was before the first character was read (every text parsed): the
# reference, with its errors as text ('ERR ...') so that a row's error is an answer too
REFERENCE = r"""
CREATE FUNCTION parsed_json_value(doc text, path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    found json;
BEGIN
    BEGIN
        found := CAST(doc AS json) #> pb_json_path(path);
    EXCEPTION WHEN others THEN
        RETURN pb_json_value(to_jsonb(doc), path);
    END;
    IF json_typeof(found) IN ('object', 'array') THEN
        RETURN to_jsonb(pb_json_min(found));
    END IF;
    RETURN pb_value(CAST(found AS jsonb));
END $$;

CREATE FUNCTION answer(doc text, path text, fast boolean) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN COALESCE(CAST(CASE WHEN fast THEN pb_json_value(doc, path) ELSE parsed_json_value(doc, path) END AS text), '<NULL>');
EXCEPTION WHEN others THEN
    RETURN 'ERR ' || SQLERRM;
END $$;
"""
# pieces of texts: blanks JSON allows and others, signs, digits, exponents, words, quotes,
# brackets, times as views compute them, numbers past numeric's range
PIECES = [
    "", " ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "-", "+", "0", "1", "9", "01", "00", ".", "5", "e", "E", "e+", "e-",
    "1e5", "1E+2", "true", "false", "null", "tru", "nul", "True", "NULL", "NaN", "Infinity", "inf", "x", '"', '"a"', '"a',
    "{", "}", '{"b":1,"a":[1,2]}', "[", "]", "[1, 2]", "{}", "[]", ",", ":", "2024", "2024-07-04", "2024-07-04 13",
    "2460495.5", "12:34", "0x1F", "1_000", "-0", "-0.0", "1.", ".5", "1e", "1e+", "\\", "\u00e9", "\uff12", "1e400",
    "123456789012345678901234567890", "ab", "n", "t", "f", '{"a":{"c":2,"b":1}}', '[{"z":1,"y":[true,null]}]', '"\\u0041"',
]  # fmt: skip
PATHS = ["$", "$.a", "$[0]", "$.a.b", "$[1]", "$.a[1]", "$.b"]


def _texts() -> list[str | None]:
    chance = random.Random(17)
    found = set(PIECES) | {a + b for a, b in itertools.product(PIECES, repeat=2)}
    found |= {"".join(chance.choice(PIECES) for _ in range(chance.randint(3, 5))) for _ in range(3000)}
    return [*sorted(found), None]


@pytest.fixture(scope="module")
def pg(pg: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The database of pybase's functions (tests/store/conftest.py), with the reference."""
    pg.execute(REFERENCE)
    return pg


@pytest.mark.parametrize("path", PATHS)
def test_json_value_of_a_text_answers_as_parsing_it(pg: psycopg.Connection[Any], path: str) -> None:
    texts = _texts()
    rows = pg.execute(
        "SELECT v, answer(v, %s, true), answer(v, %s, false) FROM unnest(%s::text[]) AS t(v)", [path, path, texts]
    ).fetchall()
    differ = [(text, fast, parsed) for text, fast, parsed in rows if fast != parsed]
    assert not differ, differ[:20]
    if path == "$":
        answers = {parsed for _, _, parsed in rows}
        # NOTE: the corpus holds JSON and no JSON of every kind, and texts neither reads
        assert {"2024", '"2024-07-04"', "1", "0", "<NULL>", '"[1,2]"', '"{\\"b\\":1,\\"a\\":[1,2]}"'} <= answers
        assert any(answer.startswith("ERR ") for answer in answers)


@pytest.mark.parametrize(
    ("helper", "sql"),
    [
        ("pb_cmp_once(a, b)", "pb_cmp(a, b)"),
        ("pb_same_once(a, b)", "CASE WHEN a IS NULL OR b IS NULL THEN a IS NULL AND b IS NULL ELSE pb_cmp(a, b) = 0 END"),
        ("pb_text_once(a)", "pb_text(a)"),
        ("pb_json_text_key_once(a)", "CASE WHEN jsonb_typeof(a) = 'number' THEN '' ELSE 's' || (a #>> '{}') END"),
    ],
)  # fmt: skip
def test_the_once_helpers_answer_as_the_sql_they_wrap(pg: psycopg.Connection[Any], helper: str, sql: str) -> None:
    values = ["1", "1.0", "-2.5", "9007199254740993", "1e20", '"1"', '"a"', '"B"', '""', '"2024-07-04"', None]
    rows = pg.execute(
        f"SELECT a, b, CAST({helper} AS text), CAST({sql} AS text) "
        "FROM unnest(CAST(%s AS jsonb[])) AS x(a), unnest(CAST(%s AS jsonb[])) AS y(b)", [values, values]
    ).fetchall()  # fmt: skip
    assert len(rows) == len(values) ** 2
    differ = [row for row in rows if row[2] != row[3]]
    assert not differ, differ
