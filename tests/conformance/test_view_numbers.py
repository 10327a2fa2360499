"""SQLite's classes of number in a view query's arithmetic answer as in PocketBase, on both
databases: an operation of integers is an integer within 64 bits and a REAL past them (Postgres
raised "bigint out of range"); a text literal is the number it starts with ('4' an integer,
'4.0' a REAL); a REAL's text keeps its point and an integer's has none, where Postgres computes
both as doubles (CAST(n * 1.0 AS TEXT) is '4.0'). Each case is a view ``SELECT id, (<expression>)
AS v FROM <source>`` over the rows of tests/conformance/test_view_comparisons.py (its value
classes: numbers and texts that read as integers, reals, no number), compared.

On Postgres the operations are translated (pybase/store/view_sql.py: arithmetic, numbers_as_sqlite).
"""

from __future__ import annotations

import itertools

import pytest

from tests.conformance.harness import (
    Pair,
    Request,
    ViewAnswers,
    compare_together,
    difference,
    view_columns,
    view_fields,
)
from tests.conformance.known import explain
from tests.conformance.test_view_comparisons import SOURCE, compare_pair  # noqa: F401 - a fixture

pytestmark = pytest.mark.both_backends

# (label, expression of {}): each over the operations below
SHAPES = [
    ("as text", "CAST(({}) AS TEXT)"), ("printed", "printf('%s|', {})"), ("over 2", "({}) / 2"),
    ("compared", "CASE WHEN ({}) = 5 THEN 'five' ELSE 'other' END"),
]
# (label, an operation)
OPERATIONS = [
    ("literals by zero", "7 / 0"), ("negative literals", "-7 / 2 - 1"), ("text literal", "'4' + 1"),
    ("real text literal", "'4.0' + 1"), ("word", "'abc' + 1"), ("number prefix", "'12.5x' * 2"),
    ("spaced text literal", "' -3' - 1"), ("real product", "n * 1.0"), ("number sum", "n + 1"), ("text sum", "title + 1"),
    ("real sum nested", "(n + 1) * 1.5"), ("text product", "title * 1"),
]  # fmt: skip
# NOTE: a REAL past 2^63 is compared only: its text differs between SQLite versions (PocketBase's
# writes 17 digits, 9.2233720368547758e+18; pybase's SQLite 15), and PocketBase shows an integer
# past 2^53 as a double where pybase keeps its digits (known.py)
BIG_SHAPES = [("compared", "CASE WHEN ({0}) > 9.2e18 THEN 'above' WHEN ({0}) < -9.2e18 THEN 'below' ELSE 'within' END"),
              ("halved", "CASE WHEN ({0}) / 2 > 4.6e18 THEN 'above' ELSE 'within' END")]  # fmt: skip
BIG = [
    ("past 64 bits", "9223372036854775807 + 1"), ("product past 64 bits", "9223372036854775807 * 2"),
    ("difference past 64 bits", "-9223372036854775807 - 2"), ("quotient past 64 bits", "(-9223372036854775807 - 1) / -1"),
    ("within 64 bits", "9223372036854775806 + 1"), ("past 64 bits plus number", "(9223372036854775807 + 1) + n"),
]  # fmt: skip
CASES = [(f"{oname} {sname}", shape.format(operation)) for (oname, operation), (sname, shape) in itertools.product(OPERATIONS, SHAPES)]
CASES += [(f"{oname} {sname}", shape.format(operation)) for (oname, operation), (sname, shape) in itertools.product(BIG, BIG_SHAPES)]
_names = itertools.count()


def _compare(pair: Pair, batched: ViewAnswers | None, name: str, query: str, *, picked: bool = True) -> None:
    """Compare a case's answers asked together with others (harness.compare_together), or, when
    it must be asked alone, its own view of ``query`` saved and listed on both servers (``picked``:
    listed with ``fields=id,v``)."""
    if compare_together(batched, name):
        return
    view = f"num_v{next(_names)}"
    pb, py = pair.ask(Request("POST", "/api/collections", json={"name": view, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    # NOTE: without fields=, PocketBase does not decode the records again (a number through a double)
    pb, py = pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50" + ("&fields=id,v" if picked else "")))
    explain(name, pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_number(compare_pair: Pair, backend: str, label: str, expression: str) -> None:  # noqa: F811 - the fixture
    batched = view_columns(compare_pair, f"view numbers {backend}", CASES, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
                           (f"num_v{next(_names)}" for _ in itertools.count()), parens=True).get(label)  # fmt: skip
    _compare(compare_pair, batched, f"view number {label}", f"SELECT id, ({expression}) AS v FROM {SOURCE}")


# An integer past 2^53 that an operation of integers computes: SQLite keeps its 64 bits (a number
# field's integral value is held as an integer), a REAL only past them. Each operation of
# INT_OPERATIONS over each row of INT_SOURCE (integers near 2^53, 2^62, 2^63, reals, texts that
# read as integers) read by each of INT_SHAPES: its text, its class, a comparison (the view's
# json field itself reads through a double in PocketBase, known.py)
INT_SOURCE = "num_int_src"
INT_ROWS = [
    {"id": "fixnumint000001", "title": "9007199254740993", "n": 4},
    {"id": "fixnumint000002", "title": "4611686018427387904", "n": 9007199254740992},
    {"id": "fixnumint000003", "title": "-7", "n": 1e18},
    {"id": "fixnumint000004", "title": "1.5", "n": 4611686018427387904},
    {"id": "fixnumint000005", "title": "12x", "n": -9.2e18},
    {"id": "fixnumint000006", "title": "9223372036854775807", "n": 1.5},
    {"id": "fixnumint000007", "title": "", "n": 1e20},
]  # fmt: skip
INT_SHAPES = [
    ("digits", "CASE typeof({0}) WHEN 'integer' THEN 'i' || ({0}) ELSE typeof({0}) END"), ("printed", "printf('%d', {})"),
    ("last digits", "({}) % 1000"),
    ("compared", "CASE WHEN ({0}) = ({0}) + 1 THEN 'same' WHEN ({0}) > 9223372036854775806 THEN 'top' ELSE 'other' END"),
]  # fmt: skip
INT_OPERATIONS = [
    ("plus big", "n + 9007199254740993"), ("minus one", "n - 1"), ("times billion", "n * 1000000000"),
    ("integer times billion", "CAST(n AS INTEGER) * 1000000000"), ("square", "n * n"), ("sum of two", "n + n"),
    ("difference", "n - 9007199254740993"), ("negated plus", "-n + 1"), ("over three", "n / 3"),
    ("modulo", "n % 9007199254740993"), ("integer plus one", "CAST(n AS INTEGER) + 1"),
    ("text plus one", "title + 1"), ("text integer plus one", "CAST(title AS INTEGER) + 1"),
    ("abs plus one", "abs(n) + 1"), ("max", "max(n, 9007199254740993)"), ("min", "min(n, -9007199254740993)"),
    ("coalesce plus one", "coalesce(n, 0) + 1"), ("nested", "(n + 1) * 2 - 3"),
    ("sum", f"(SELECT sum(s.n) FROM {INT_SOURCE} s WHERE s.n < 5e18 AND s.n <> 1.5 AND s.id <= {INT_SOURCE}.id)"),
    ("sum plus one", f"(SELECT sum(s.n) + 1 FROM {INT_SOURCE} s WHERE s.n < 5e18 AND s.n <> 1.5)"),
    ("window sum", "sum(n) OVER (ORDER BY id ROWS 1 PRECEDING)"),
]  # fmt: skip
INT_CASES = [(f"{oname} {sname}", shape.format(operation))
             for (oname, operation), (sname, shape) in itertools.product(INT_OPERATIONS, INT_SHAPES)]  # fmt: skip


@pytest.fixture(scope="module")
def int_pair(pair: Pair) -> Pair:
    """The pair with INT_SOURCE and its rows."""
    if pair.first_time("view big integers"):
        pair.ok("POST", "/api/collections", {"name": INT_SOURCE, "fields": [
            {"name": "title", "type": "text"}, {"name": "n", "type": "number"}]})  # fmt: skip
        for row in INT_ROWS:
            pair.ok("POST", f"/api/collections/{INT_SOURCE}/records", row)
    return pair


@pytest.mark.parametrize(("label", "expression"), INT_CASES, ids=[label for label, _ in INT_CASES])
def test_view_big_integer(int_pair: Pair, backend: str, label: str, expression: str) -> None:
    batched = view_columns(int_pair, f"view big integers {backend}", INT_CASES, lambda columns: f"SELECT id, {columns} FROM {INT_SOURCE}",
                           (f"num_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False).get(label)  # fmt: skip
    _compare(int_pair, batched, f"view big integer {label}", f"SELECT id, ({expression}) AS v FROM {INT_SOURCE}", picked=False)


# An integral REAL a view computes (4.0, CAST(n AS REAL)), read through a view over that view:
# SQLite holds the REAL, so the outer view's query sees a REAL (typeof 'real', text '4.0'; '#'
# before a text: a JSON number's text reads as the number, 4.0 the same as 4). Each
# of OUTER_READS over each view of REAL_VIEWS (over the rows of test_view_comparisons), and each
# of those views listed itself (its JSON answer)
REAL_VIEWS = [
    ("real literal", "4.0"), ("cast real", "CAST(n AS REAL)"), ("real product", "n * 1.0"), ("doubled", "n * 2"),
    ("real sum", "n + 0.5"), ("real quotient", "n / 0.5"), ("real text", "CAST(title AS REAL)"), ("integer", "n + 0"),
    ("real max", "max(n * 1.0, 1)"), ("real coalesce", "coalesce(n * 1.0, 0)"), ("real case", "CASE WHEN n > 0 THEN n * 1.0 END"),
]  # fmt: skip
OUTER_READS = [
    ("itself", "@"), ("typeof", "typeof(@)"), ("concat", "'#' || @"), ("as text", "'#' || CAST(@ AS TEXT)"),
    ("printed", "printf('#%s', @)"), ("json array", "'#' || json_array(@)"), ("eq", "@ = 4"), ("plus one", "'#' || (@ + 1)"),
    ("abs", "'#' || abs(@)"),
]  # fmt: skip
REAL_CASES = [(f"{vname} {rname}", vname, read.replace("@", "v"))
              for (vname, _), (rname, read) in itertools.product(REAL_VIEWS, OUTER_READS)]  # fmt: skip


@pytest.fixture(scope="module")
def real_pair(compare_pair: Pair) -> Pair:  # noqa: F811 - the fixture
    """The pair with a view of each of REAL_VIEWS (named num_real<N>)."""
    if compare_pair.first_time("view reals"):
        for number, (_, expression) in enumerate(REAL_VIEWS):
            query = f"SELECT id, ({expression}) AS v FROM {SOURCE}"
            compare_pair.ok("POST", "/api/collections", {"name": f"num_real{number}", "type": "view", "viewQuery": query})
    return compare_pair


@pytest.mark.parametrize("label", [label for label, _ in REAL_VIEWS])
def test_view_real_listed(real_pair: Pair, backend: str, label: str) -> None:
    name = f"num_real{[v for v, _ in REAL_VIEWS].index(label)}"
    # NOTE: no fields=: PocketBase picks fields from records decoded again (a number through a double)
    pb, py = real_pair.ask(Request("GET", f"/api/collections/{name}/records?sort=id&perPage=50"))
    explain(f"view real {label} listed", pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "view", "read"), REAL_CASES, ids=[label for label, _v, _r in REAL_CASES])
def test_view_real_read(real_pair: Pair, backend: str, label: str, view: str, read: str) -> None:
    inner = f"num_real{[v for v, _ in REAL_VIEWS].index(view)}"
    reads = [(lab, r) for lab, v, r in REAL_CASES if v == view]
    batched = view_columns(real_pair, f"view real reads {backend} {inner}", reads, lambda columns: f"SELECT id, {columns} FROM {inner}",
                           (f"num_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False).get(label)  # fmt: skip
    _compare(real_pair, batched, f"view real read {label}", f"SELECT id, ({read}) AS v FROM {inner}", picked=False)
