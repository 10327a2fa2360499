"""A scalar subquery answering more than one row in a view's query, on both databases, against
PocketBase (#17): SQLite takes the first row it meets (Postgres failed: "more than one row
returned by a subquery used as an expression"). Each case is a view column over SOURCE's rows
(inserted with ids out of their order: SQLite meets a table's rows in rowid order, or in the
id's order where it reads them through the primary key's index; INDEXED's, with an index on n,
in n's order where SQLite reads them through it: a KNOWN difference on Postgres), in a SELECT list, arithmetic,
a function's argument, with ORDER BY/LIMIT/OFFSET/DISTINCT/GROUP BY, over json_each(), joins,
UNION/UNION ALL, correlated; QUERIES: whole views (WHERE, ORDER BY, IN and EXISTS, which read
every row), each asked alone.
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

SOURCE = "vfr_src"
ROWS = [
    {"id": "zzzzzzzzzzzzzz1", "n": 5, "t": "first"},
    {"id": "aaaaaaaaaaaaaa2", "n": 1, "t": "second"},
    {"id": "mmmmmmmmmmmmmm3", "n": 3, "t": "third"},
    {"id": "bbbbbbbbbbbbbb4", "n": 3, "t": "fourth"},
    {"id": "cccccccccccccc5", "n": 1, "t": "fifth"},
]
S = SOURCE
INDEXED = "vfr_indexed"
# (label, expression): a value of a view column
CASES = [
    ("table", f"(SELECT o.t FROM {S} o)"), ("table in parentheses", f"((SELECT o.t FROM {S} o))"),
    ("table concatenated", f"(SELECT o.t FROM {S} o) || 'x'"), ("table in a function", f"upper((SELECT o.t FROM {S} o))"),
    ("table number plus one", f"(SELECT o.n FROM {S} o) + 1"), ("table number halved", f"(SELECT o.n FROM {S} o) / 2"),
    ("table filtered", f"(SELECT o.t FROM {S} o WHERE o.n > 2)"), ("table correlated", f"(SELECT o.t FROM {S} o WHERE o.n < {S}.n)"),
    ("table nested", f"(SELECT (SELECT o.t FROM {S} o) FROM {S} p)"),
    ("id only", f"(SELECT o.id = 'aaaaaaaaaaaaaa2' FROM {S} o)"), ("id only filtered", f"(SELECT o.id = 'aaaaaaaaaaaaaa2' FROM {S} o WHERE o.n > 0)"),
    ("id looked up", f"(SELECT (SELECT x.t FROM {S} x WHERE x.id = o.id) FROM {S} o)"),
    ("id range", f"(SELECT o.t FROM {S} o WHERE o.id > 'a')"), ("id list", f"(SELECT o.t FROM {S} o WHERE o.id IN ('mmmmmmmmmmmmmm3', 'aaaaaaaaaaaaaa2'))"),
    ("id equal", f"(SELECT o.t FROM {S} o WHERE o.id = 'mmmmmmmmmmmmmm3')"),
    ("ordered", f"(SELECT o.t FROM {S} o ORDER BY o.n)"), ("ordered descending", f"(SELECT o.t FROM {S} o ORDER BY o.n DESC)"),
    ("ordered ties", f"(SELECT o.t FROM {S} o ORDER BY o.n > 2)"), ("ordered ties descending", f"(SELECT o.t FROM {S} o ORDER BY o.n > 2 DESC)"),
    ("ordered limit offset", f"(SELECT o.t FROM {S} o ORDER BY o.n DESC LIMIT 5 OFFSET 1)"),
    ("limit negative", f"(SELECT o.t FROM {S} o LIMIT -1)"), ("limit offset comma", f"(SELECT o.t FROM {S} o LIMIT 2, 5)"),
    ("limit zero", f"(SELECT o.t FROM {S} o LIMIT 0)"), ("limit one", f"(SELECT o.t FROM {S} o LIMIT 1)"),
    ("distinct", f"(SELECT DISTINCT o.n FROM {S} o)"), ("distinct text", f"(SELECT DISTINCT o.t FROM {S} o)"),
    ("grouped", f"(SELECT o.n FROM {S} o GROUP BY o.n)"), ("grouped count", f"(SELECT count(*) FROM {S} o GROUP BY o.n)"),
    ("aggregate", f"(SELECT max(o.n) FROM {S} o)"), ("aggregate ordered", f"(SELECT max(o.n) FROM {S} o ORDER BY count(*))"), ("scalar max", f"(SELECT max(o.n, 2) FROM {S} o)"),
    ("group_concat", f"(SELECT group_concat(o.t) FROM {S} o)"), ("window count", f"(SELECT count(*) OVER () FROM {S} o)"),
    ("window row number", f"(SELECT row_number() OVER (ORDER BY o.n DESC) FROM {S} o)"),
    ("cross join", f"(SELECT o.t || p.t FROM {S} o, {S} p)"), ("join", f"(SELECT o.t || p.t FROM {S} o JOIN {S} p ON p.n = o.n AND p.id <> o.id)"),
    ("table and json_each", f"(SELECT j.value FROM {S} o, json_each('[7,8]') j)"),
    ("union", "(SELECT 'b' UNION SELECT 'a')"), ("union all", "(SELECT 'b' UNION ALL SELECT 'a')"),
    ("union ordered", "(SELECT 2 UNION SELECT 1 ORDER BY 1 DESC)"), ("except", "(SELECT 2 EXCEPT SELECT 3)"),
    ("union of a table", f"(SELECT o.n FROM {S} o UNION SELECT 0)"), ("union all of a table", f"(SELECT o.n FROM {S} o UNION ALL SELECT 0)"),
    ("union in from", "(SELECT t FROM (SELECT 'b' AS t UNION SELECT 'a'))"),
    ("json_each", "(SELECT value FROM json_each('[3,1,2]'))"), ("json_each plus one", "(SELECT value FROM json_each('[3,1,2]')) + 1"),
    ("json_each integers", "(SELECT value FROM json_each('[1,2]'))"), ("json_each object key", "(SELECT key FROM json_each('{\"b\":1,\"a\":2}'))"),
    ("json_each filtered", "(SELECT value FROM json_each('[3,1,2]') WHERE value < 3)"),
    ("json_each ordered", "(SELECT value FROM json_each('[3,1,2]') ORDER BY value)"),
    ("json_tree", "(SELECT fullkey FROM json_tree('[[5],1]') WHERE atom IS NOT NULL)"),
    ("json_each typeof", "typeof((SELECT value FROM json_each('[1.5,2]')))"),
    ("json_each in abs", "abs((SELECT value FROM json_each('[-3,1,2]')))"), ("json_each real in abs", "abs((SELECT value FROM json_each('[-2.0,1]')))"),
    ("json_each in round", "round((SELECT value FROM json_each('[-2.5,1]')))"),
    ("json_each in abs typeof", "typeof(abs((SELECT value FROM json_each('[-2.0,1]'))))"),
    # SQLite reads a table through a collection's own index (on n) where the WHERE ranges over
    # it or no other column is read: its first row is the index's (tests/conformance/known.py)
    ("index range", f"(SELECT o.t FROM {INDEXED} o WHERE o.n > 2)"), ("index covering", f"(SELECT o.n FROM {INDEXED} o)"),
    ("index unused", f"(SELECT o.t FROM {INDEXED} o)"),
]  # fmt: skip
# (label, query): whole views, each asked alone
QUERIES = [
    ("where compared", f"SELECT id, t AS v FROM {S} WHERE n > (SELECT value FROM json_each('[2,9]'))"),
    ("where equal", f"SELECT id, t AS v FROM {S} WHERE t = (SELECT o.t FROM {S} o)"),
    ("in a table", f"SELECT id, t AS v FROM {S} WHERE n IN (SELECT o.n FROM {S} o WHERE o.n > 2)"),
    ("in json_each", f"SELECT id, t AS v FROM {S} WHERE n IN (SELECT value FROM json_each('[1,3]'))"),
    ("not in json_each", f"SELECT id, t AS v FROM {S} WHERE n NOT IN (SELECT value FROM json_each('[1,3]'))"),
    ("text in json_each", f"SELECT id, t AS v FROM {S} WHERE t IN (SELECT j.value FROM json_each('[\"first\",\"third\"]') j)"),
    ("in json_each shown", f"SELECT id, (n IN (SELECT value FROM json_each('[1,3.0]'))) AS v FROM {S}"),
    ("exists", f"SELECT id, t AS v FROM {S} WHERE EXISTS (SELECT value FROM json_each('[1,3]'))"),
    ("order by a subquery", f"SELECT id, t AS v FROM {S} ORDER BY (SELECT o.t FROM {S} o)"),
    ("json_each of a subquery", f"SELECT o.id, j.value AS v FROM {S} o JOIN json_each((SELECT value FROM json_each('[\"[1]\", \"[2]\"]'))) j"),
]  # fmt: skip
_names = itertools.count()


@pytest.fixture(scope="module")
def src_pair(pair: Pair) -> Pair:
    """The pair with SOURCE and its rows."""
    if pair.first_time("view first row"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": [{"name": "n", "type": "number"}, {"name": "t", "type": "text"}]})
        pair.ok("POST", "/api/collections", {"name": INDEXED, "fields": [{"name": "n", "type": "number"}, {"name": "t", "type": "text"}],
                                             "indexes": [f"CREATE INDEX idx_{INDEXED}_n ON {INDEXED} (n)"]})  # fmt: skip
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
            pair.ok("POST", f"/api/collections/{INDEXED}/records", row)
    return pair


def _alone(pair: Pair, name: str, query: str) -> None:
    """The view of ``query`` saved and listed on both servers, compared."""
    view = f"vfr_v{next(_names)}"
    pb, py = pair.ask(Request("POST", "/api/collections", json={"name": view, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = pair.ask(Request("GET", f"/api/collections/{view}/records?sort=id&perPage=50"))
    explain(name, pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_first_row(src_pair: Pair, backend: str, label: str, expression: str) -> None:
    batched = view_columns(
        src_pair, f"view first row {backend}", CASES, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
        (f"vfr_v{next(_names)}" for _ in itertools.count()), parens=True, picked=False,
    ).get(label)  # fmt: skip
    name = f"view first row [{backend}] {label}"
    if not compare_together(batched, name):
        _alone(src_pair, name, f"SELECT id, ({expression}) AS v FROM {SOURCE}")


@pytest.mark.parametrize(("label", "query"), QUERIES, ids=[label for label, _ in QUERIES])
def test_view_first_row_query(src_pair: Pair, backend: str, label: str, query: str) -> None:
    _alone(src_pair, f"view first row [{backend}] {label}", query)
