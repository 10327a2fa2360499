"""The class of the value coalesce(), ifnull(), iif(), CASE, nullif() and max()/min() pick, in a view's
arithmetic and typeof(), on both databases, against PocketBase (#17): SQLite answers whichever
value with its own class (``coalesce(json_extract('[7]', '$[0]'), 'z') / 2`` is 3: an integer
from JSON), where Postgres mixed the values into one type (a double: 3.5, or refused "COALESCE
types text and integer cannot be matched"). A table: each function (FUNCTIONS) of each first
argument's class (FIRST: literals, a number and a text field, values read from JSON) and each
second one's (SECOND), read through each shape (SHAPES), as a view's columns over SOURCE's rows
(n > 0 picks the first argument of iif()/CASE, else the second).
"""

from __future__ import annotations

import itertools

import pytest

from tests.conformance.harness import (
    Pair,
    Request,
    compare_together,
    difference,
    view_columns,
    view_fields,
)
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

SOURCE = "vbc_src"
ROWS = [
    {"id": "fixvbc000000001", "n": 3, "t": "7"},
    {"id": "fixvbc000000002", "n": 0, "t": "abc"},
    {"id": "fixvbc000000003", "n": -2.5, "t": "7.5"},
]
FIRST = {
    "integer": "7", "real": "7.5", "integral real": "7.0", "text number": "'7'", "text real": "'7.5'", "text": "'abc'", "null": "NULL",
    "json integer": "json_extract('[7]', '$[0]')", "json real": "json_extract('[7.5]', '$[0]')",
    "json integral real": "json_extract('[7.0]', '$[0]')", "json text": "json_extract('[\"7\"]', '$[0]')",
    "json null": "json_extract('[null]', '$[0]')", "number field": "n", "text field": "t",
}  # fmt: skip
SECOND = {"text": "'z'", "integer": "0", "real": "0.5", "json integer": "('[4]' ->> 0)", "null": "NULL"}
FUNCTIONS = {
    "coalesce": "coalesce({a}, {b})", "ifnull": "ifnull({a}, {b})", "iif": "iif(n > 0, {a}, {b})",
    "case": "CASE WHEN n > 0 THEN {a} ELSE {b} END", "nullif": "nullif({a}, {b})",
    "simple case": "CASE n WHEN 3 THEN {a} WHEN 0 THEN {b} END", "max": "max({a}, {b})", "min": "min({a}, {b})",
    "nested": "coalesce(nullif({a}, 'q'), {b})",
}  # fmt: skip
SHAPES = {"value": "{}", "class": "typeof({})", "halved": "({}) / 2"}
CASES = [
    (f"{function} {a} or {b} {shape}", form.format(call.format(a=first, b=second)))
    for (function, call), (a, first), (b, second), (shape, form) in itertools.product(FUNCTIONS.items(), FIRST.items(), SECOND.items(), SHAPES.items())
]  # fmt: skip
_names = itertools.count()


@pytest.fixture(scope="module")
def src_pair(pair: Pair) -> Pair:
    """The pair with SOURCE and its rows."""
    if pair.first_time("view branch classes"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": [{"name": "n", "type": "number"}, {"name": "t", "type": "text"}]})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
    return pair


def _alone(pair: Pair, name: str, query: str) -> None:
    view = f"vbc_v{next(_names)}"
    pb, py = pair.ask(Request("POST", "/api/collections", json={"name": view, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50"))
    explain(name, pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_branch_class(src_pair: Pair, backend: str, label: str, expression: str) -> None:
    batched = view_columns(
        src_pair, f"view branch classes {backend}", CASES, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
        (f"vbc_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False, batch=60,
    ).get(label)  # fmt: skip
    name = f"view branch class {label}"
    if not compare_together(batched, name):
        _alone(src_pair, name, f"SELECT id, ({expression}) AS v FROM {SOURCE}")
