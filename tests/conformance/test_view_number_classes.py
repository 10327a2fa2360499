"""SQLite's number classes in a view's values where kinds mix, on both databases, against
PocketBase (#17): coalesce(), CASE, iif() and nullif() choosing per row between a REAL and an
integer or a text (SQLite keeps each value's own class: 4.0 stays a REAL, 4 an integer), abs()
of a text (a REAL: abs('4') is 4.0), sums of integers and reals. Each case is a view column over
SOURCE's rows, read as the view's json field and through typeof() and CAST(... AS TEXT), asked
together (harness.view_columns) or alone where a view fails. OVERFLOWS: sum() of integers past
64 bits, SQLite's "integer overflow" (PocketBase refuses the view, or its list fails), each view
asked alone.
"""

from __future__ import annotations

import itertools
import re

import orjson
import pytest

from tests.conformance.harness import (
    Answer,
    Pair,
    Request,
    ViewAnswers,
    compare_together,
    difference,
    view_columns,
    view_fields,
)
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

SOURCE = "nvc_src"
ROWS = [
    {"id": "fixnvc000000001", "n": 9000000000000000000, "t": "4.0"},
    {"id": "fixnvc000000002", "n": 9000000000000000000, "t": "4"},
    {"id": "fixnvc000000003", "n": 3, "t": "-4.5"},
    {"id": "fixnvc000000004", "n": 4.5, "t": "abc"},
    {"id": "fixnvc000000005", "n": -2, "t": ""},
]  # fmt: skip
# (label, expression): the values whose class is read (by SHAPES)
VALUES = [
    ("coalesce real or integer", "coalesce(CASE WHEN n > 3 THEN n * 1.0 END, n)"),
    ("coalesce real or text", "coalesce(CASE WHEN n > 3 THEN n * 1.0 END, t)"),
    ("coalesce integer or real", "coalesce(CASE WHEN n < 4 THEN n END, n * 1.0)"),
    ("coalesce real literal or integer", "coalesce(CASE WHEN n > 3 THEN 4.0 END, 4)"),
    ("case real or text", "CASE WHEN n > 3 THEN n * 1.0 ELSE t END"),
    ("case real or integer", "CASE WHEN n > 3 THEN n * 1.0 ELSE CAST(n AS INTEGER) END"),
    ("case real literal or integer literal", "CASE WHEN n > 3 THEN 2.0 ELSE 1 END"),
    ("case integer or real sum", "CASE WHEN n < 4 THEN n ELSE n + 0.5 END"),
    ("case text or real", "CASE WHEN n > 3 THEN t ELSE n * 1.0 END"),
    ("simple case real or integer", "CASE n WHEN 3 THEN 3.0 WHEN -2 THEN -2 ELSE 0 END"),
    ("iif real or integer", "iif(n > 3, n * 1.0, n)"), ("ifnull real or integer", "ifnull(CASE WHEN n > 3 THEN n * 1.0 END, n)"),
    ("nullif real", "nullif(n * 1.0, 3)"), ("case real or null", "CASE WHEN n > 3 THEN n * 1.0 END"),
    ("coalesce real text or integer", "coalesce(CASE WHEN n > 3 THEN t END, n)"),
    ("case cast real or integer", "CASE WHEN n > 3 THEN CAST(n AS REAL) ELSE CAST(n AS INTEGER) END"),
    ("max real or integer", "max(n * 1.0, 3)"), ("min integer or real", "min(CAST(n AS INTEGER), 4.5)"),
    ("abs real text", "abs('4.0')"), ("abs integer text", "abs('4')"), ("abs negative real text", "abs('-4.5')"),
    ("abs text column", "abs(t)"), ("abs real text plus one", "abs('4.0') + 1"),
    ("sum within 64 bits", f"(SELECT sum(s.n) FROM {SOURCE} s WHERE s.n < 1e18)"),
    ("total past 64 bits", f"(SELECT total(s.n) FROM {SOURCE} s)"),
    ("sum of integer literals", "(SELECT sum(x) FROM (SELECT 1 AS x UNION ALL SELECT 2))"),
    ("sum of an integer and a real literal", "(SELECT sum(x) FROM (SELECT 1 AS x UNION ALL SELECT 2.5))"),
    ("sum of integers cast", f"(SELECT sum(CAST(s.n AS INTEGER)) FROM {SOURCE} s WHERE s.n < 1e18)"),
    ("blob of text", "CAST(t AS BLOB)"), ("blob of number", "CAST(n AS BLOB)"), ("blob of literal", "CAST('a\u00e9' AS BLOB)"),
    ("blob of null", "CAST(NULL AS BLOB)"), ("blob of blob", "CAST(x'41' AS BLOB)"),
    ("blob literal", "x'34'"), ("blob literal of text", "x'6162'"), ("blob literal text", "CAST(x'C3A9' AS TEXT) || 'x'"),
    ("coalesce number field or text", "coalesce(n, '')"), ("coalesce integer or text", "coalesce(CAST(n AS INTEGER), 'x')"),
    ("ifnull integer or text", "ifnull(CASE WHEN n > 3 THEN CAST(n AS INTEGER) END, t)"),
    ("case integer or text", "CASE WHEN n > 3 THEN CAST(n AS INTEGER) ELSE t END"),
    ("coalesce json_each parent or text", "(SELECT COALESCE(j.parent, '') FROM json_each('[1]') AS j)"),
    ("coalesce json_tree parent or text", "(SELECT max(COALESCE(j.parent, 'p')) FROM json_tree('[1,[2]]') AS j)"),
    ("coalesce json_tree id or text", "(SELECT min(COALESCE(j.id, 'p') || '') FROM json_tree('[1,[2]]') AS j)"),
    # a value read from JSON (json_extract(), ->>, a json_each() value, alone or a scalar subquery's)
    # keeps its class where it is read: JSON's 1e999 is SQLite's REAL infinity ("+Inf" shown)
    ("json infinity", "json_extract('{\"a\":1e999}', '$.a')"), ("arrow infinity", "('[1e999]' ->> 0)"),
    ("json infinity plus one", "json_extract('[1e999]', '$[0]') + 1"), ("json infinity times", "json_extract('[1e999]', '$[0]') * n"),
    ("json infinity negated", "-json_extract('[1e999]', '$[0]')"), ("json infinity remainder", "json_extract('[1e999]', '$[0]') % 2"),
    ("json_each infinity", "(SELECT value FROM json_each('[1e999]'))"), ("json_each negative infinity", "(SELECT value FROM json_each('[-1e999]'))"),
    ("json_each infinity minus one", "(SELECT value FROM json_each('[1e999]')) - 1"),
    ("json_each integer", "(SELECT value FROM json_each('[1]'))"), ("json_each real", "(SELECT value FROM json_each('[1.5]'))"),
    ("json_each text", "(SELECT value FROM json_each('[\"7\"]'))"), ("json_each integer over integer", "(SELECT value FROM json_each('[7]')) / 2"),
    ("json integer over integer", "json_extract('[7]', '$[0]') / 2"), ("json text over integer", "json_extract('[\"7\"]', '$[0]') / 2"),
    ("json text times", "json_extract('[\"7.5x\"]', '$[0]') * 2"), ("json integer negated", "-json_extract('[7]', '$[0]')"),
    ("json integer past 2^53 plus one", "json_extract('[9007199254740993]', '$[0]') + 1"), ("json null plus one", "json_extract('[null]', '$[0]') + 1"),
]  # fmt: skip
SHAPES = [("value", "{}"), ("class", "typeof({})"), ("text", "CAST(({}) AS TEXT)")]
CASES = [(f"{label} {shape}", form.format(expression)) for (label, expression), (shape, form) in itertools.product(VALUES, SHAPES)]
# Views whose listing SQLite refuses: asked alone
OVERFLOWS = [
    ("sum of reals past 64 bits", f"SELECT id, (SELECT sum(s.n) FROM {SOURCE} s) AS v FROM {SOURCE}"),
    ("sum of integers past 64 bits", f"SELECT id, (SELECT sum(CAST(s.n AS INTEGER)) FROM {SOURCE} s) AS v FROM {SOURCE}"),
    ("sum of integers past 64 bits grouped", f"SELECT max(id) AS id, sum(CAST(n AS INTEGER)) AS v FROM {SOURCE}"),
    ("negative sum of integers past 64 bits", f"SELECT id, (SELECT sum(-CAST(s.n AS INTEGER)) FROM {SOURCE} s) AS v FROM {SOURCE}"),
    ("sum of integer literals past 64 bits",
     f"SELECT id, (SELECT sum(x) FROM (SELECT 9000000000000000000 AS x UNION ALL SELECT 9000000000000000000)) AS v FROM {SOURCE}"),
    ("window sum of integers past 64 bits", f"SELECT id, (sum(CAST(n AS INTEGER)) OVER (ORDER BY id)) AS v FROM {SOURCE}"),
    ("sum of integers past 64 bits compared", f"SELECT id, ((SELECT sum(CAST(s.n AS INTEGER)) FROM {SOURCE} s) > 0) AS v FROM {SOURCE}"),
    ("sum of integers past 64 bits unused",
     f"SELECT id, n AS v FROM {SOURCE} WHERE (SELECT sum(CAST(s.n AS INTEGER)) FROM {SOURCE} s) IS NOT NULL"),
    ("total of integers past 64 bits", f"SELECT id, (SELECT total(CAST(s.n AS INTEGER)) FROM {SOURCE} s) AS v FROM {SOURCE}"),
]  # fmt: skip
_names = itertools.count()
TEMP_VIEW_RE = re.compile(rb"temp_view_[A-Za-z0-9]+")


@pytest.fixture(scope="module")
def src_pair(pair: Pair) -> Pair:
    """The pair with SOURCE and its rows."""
    if pair.first_time("view number classes"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": [{"name": "n", "type": "number"}, {"name": "t", "type": "text"}]})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
    return pair


def _temp_names(answer: Answer) -> Answer:
    """An answer with the random names of PocketBase's query check (temp_view_XXXXX) replaced."""
    return Answer(answer.status, orjson.loads(TEMP_VIEW_RE.sub(b"temp_view_<random>", orjson.dumps(answer.body))))


def _alone(pair: Pair, name: str, query: str) -> None:
    """The view of ``query`` saved and listed on both servers, compared."""
    view = f"nvc_v{next(_names)}"
    pb, py = (_temp_names(answer) for answer in pair.ask(Request("POST", "/api/collections", json={"name": view, "type": "view", "viewQuery": query})))
    if pb.status != 200 and py.status == pb.status:
        explain(name, pb, py, difference(pb, py))
        return
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50"))
    explain(name, pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_number_class(src_pair: Pair, backend: str, label: str, expression: str) -> None:
    batched: ViewAnswers | None = view_columns(
        src_pair, f"view number classes {backend}", CASES, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
        (f"nvc_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False,
    ).get(label)  # fmt: skip
    name = f"view number class {label}"
    if not compare_together(batched, name):
        _alone(src_pair, name, f"SELECT id, ({expression}) AS v FROM {SOURCE}")


# Postgres: where pybase still answers otherwise (label -> why)
_PG_NOT_YET = {
    "sum of integers past 64 bits grouped": "Postgres: the failed query PocketBase shows wraps the id in CAST([[id]] as TEXT) "
    "(SQLite declares no type for max(id)); Postgres's max(id) is a text, so pybase shows the query unwrapped",
}


@pytest.mark.parametrize(("label", "query"), OVERFLOWS, ids=[label for label, _ in OVERFLOWS])
def test_view_sum_overflow(src_pair: Pair, backend: str, label: str, query: str) -> None:
    if backend == "postgres" and label in _PG_NOT_YET:
        with pytest.raises(AssertionError):
            _alone(src_pair, f"view number class {label}", query)
        pytest.xfail(_PG_NOT_YET[label])
    _alone(src_pair, f"view number class {label}", query)
