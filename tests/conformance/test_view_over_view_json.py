"""A view reading another view's column of a value read from JSON (json_extract(), ->>, ->, a
json_each() value's subquery), on both databases, against PocketBase (#17). SQLite's view
column holds the value with its class (7 an INTEGER, 1.5 a REAL, "7" a TEXT); pybase's on
Postgres shows the text a json field reads and holds the SQL value beside it in a hidden
column (pybase.store.view_held), which typeof(), comparisons and arithmetic read. Each case is
a column of a view over INNER, itself a view over SOURCE's rows.
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

SOURCE = "vvj_src"
INNER = "vvj_inner"
ROWS = [
    {"id": "fixvvj000000001", "n": 3, "j": {"a": 7}},
    {"id": "fixvvj000000002", "n": 1, "j": {"a": 1.5}},
    {"id": "fixvvj000000003", "n": 2, "j": {"a": "7"}},
    {"id": "fixvvj000000004", "n": 4, "j": {"a": "abc"}},
    {"id": "fixvvj000000005", "n": 5, "j": {"a": None}},
]
INNER_QUERY = (
    f"SELECT id, json_extract(j, '$.a') AS x, (j ->> '$.a') AS y, (j -> '$.a') AS w, "
    f"((SELECT value FROM json_each('[7, 2.5]'))) AS z, n AS m FROM {SOURCE}"
)
# the inner view's columns: json_extract, ->>, ->, json_each value, a number field (as a control)
COLUMNS = {"extract": "x", "arrow value": "y", "arrow": "w", "json_each": "z", "number field": "m"}
SHAPES = {
    "value": "{}", "class": "typeof({})", "halved": "{} / 2", "plus one": "{} + 1", "equal 7": "{} = 7", "above 5": "{} > 5",
    "equal text 7": "{} = '7'", "text": "CAST({} AS TEXT)", "concatenated": "{} || ''", "abs": "abs({})",
    "coalesced": "coalesce({}, 'z')", "coalesced halved": "coalesce({}, 0) / 2",
}  # fmt: skip
CASES = [(f"{column} {shape}", form.format(name)) for (column, name), (shape, form) in itertools.product(COLUMNS.items(), SHAPES.items())]
# a view over INNER's columns, read by the queries below: the values held through two views
MIDDLE = "vvj_middle"
MIDDLE_QUERY = f"SELECT id, x, z AS zz, m FROM {INNER}"
QUERIES = [
    ("where above 2", f"SELECT id, x AS v FROM {INNER} WHERE x > 2"),
    ("sum", f"SELECT max(id) AS id, sum(x) AS v FROM {INNER}"),
    ("ordered", f"SELECT id, x AS v FROM {INNER} ORDER BY x LIMIT 2"),
    ("chained class", f"SELECT id, typeof(x) || typeof(zz) AS v FROM {MIDDLE}"),
    ("chained equal 7", f"SELECT id, (x = 7) AS v FROM {MIDDLE}"),
    ("chained shown", f"SELECT id, x AS v, zz AS w FROM {MIDDLE}"),
    ("chained halved", f"SELECT id, x / 2 AS v FROM {MIDDLE}"),
    ("aliased", f"SELECT i.id, typeof(i.x) AS v FROM {INNER} i"),
    ("joined", f"SELECT s.id, typeof(i.x) || typeof(y) AS v FROM {SOURCE} s JOIN {INNER} i ON i.id = s.id"),
    ("joined both", f"SELECT a.id, (a.x = b.y) AS v FROM {INNER} a JOIN {INNER} b ON b.id = a.id"),
    ("grouped", f"SELECT max(id) AS id, typeof(x) AS v, count(*) AS c FROM {INNER} GROUP BY x"),
    ("grouped by class", f"SELECT max(id) AS id, count(*) AS v FROM {INNER} GROUP BY typeof(x)"),
    ("having", f"SELECT max(id) AS id, count(*) AS v FROM {INNER} GROUP BY x HAVING x = 7"),
    ("aggregated class", f"SELECT max(id) AS id, group_concat(typeof(x), ',') AS v FROM {INNER}"),
    ("union", f"SELECT id, x AS v FROM {INNER} WHERE m < 3 UNION ALL SELECT id, 5 FROM {SOURCE} WHERE n >= 3"),
    ("distinct", f"SELECT DISTINCT id, typeof(x) AS v FROM {INNER}"),
    ("subquery", f"SELECT id, (SELECT typeof(x) FROM {INNER} i WHERE i.id = s.id) AS v FROM {SOURCE} s"),
    ("in from", f"SELECT id, typeof(v) AS v FROM (SELECT id, x AS v FROM {INNER})"),
    ("with", f"WITH c AS (SELECT id, x FROM {INNER}) SELECT id, typeof(x) AS v FROM c"),
    ("in from twice", f"SELECT id, typeof(w) || (w = 7) AS v FROM (SELECT id, v AS w FROM (SELECT id, x AS v FROM {INNER}))"),
    ("union of stars", f"SELECT id, x AS v FROM (SELECT * FROM {INNER} UNION ALL SELECT id, 1, 2, 3, 4, n FROM {SOURCE} WHERE n > 9)"),
    ("union of a star", f"SELECT id, x AS v FROM (SELECT i.* FROM {INNER} i UNION ALL SELECT id, 1, 2, 3, 4, n FROM {SOURCE} WHERE n > 9)"),
]
_names = itertools.count()


@pytest.fixture(scope="module")
def src_pair(pair: Pair) -> Pair:
    """The pair with SOURCE, its rows and INNER."""
    if pair.first_time("view over view json"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": [{"name": "n", "type": "number"}, {"name": "j", "type": "json"}]})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
        pair.ok("POST", "/api/collections", {"name": INNER, "type": "view", "viewQuery": INNER_QUERY})
        pair.ok("POST", "/api/collections", {"name": MIDDLE, "type": "view", "viewQuery": MIDDLE_QUERY})
    return pair


def _alone(pair: Pair, name: str, query: str) -> None:
    view = f"vvj_v{next(_names)}"
    pb, py = pair.ask(Request("POST", "/api/collections", json={"name": view, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50"))
    explain(name, pb, py, difference(pb, py))


@pytest.mark.parametrize("view", [INNER, MIDDLE])
def test_inner_view(src_pair: Pair, view: str) -> None:
    """The views read list alike (their json fields' display), with the same fields (a value
    held beside its text is no field)."""
    pb, py = src_pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50"))
    assert pb == py, difference(pb, py)
    pb, py = src_pair.ask(Request("GET", f"/api/collections/{view}"))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_over_view_json(src_pair: Pair, backend: str, label: str, expression: str) -> None:
    batched = view_columns(
        src_pair, f"view over view json {backend}", CASES, lambda columns: f"SELECT id, {columns} FROM {INNER}",
        (f"vvj_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False,
    ).get(label)  # fmt: skip
    name = f"view over view json [{backend}] {label}"
    if not compare_together(batched, name):
        _alone(src_pair, name, f"SELECT id, ({expression}) AS v FROM {INNER}")


@pytest.mark.parametrize(("label", "query"), QUERIES, ids=[label for label, _ in QUERIES])
def test_view_over_view_json_query(src_pair: Pair, backend: str, label: str, query: str) -> None:
    _alone(src_pair, f"view over view json [{backend}] {label}", query)
