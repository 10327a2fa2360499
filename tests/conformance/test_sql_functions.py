"""SQLite's functions in a view query answer as in PocketBase, on both databases: each case is a
view ``SELECT id, <function of one argument class> AS v FROM <source>``, created on both
servers, whose fields and records (or whose failure to list) are compared.

The cases are a table: each function (math, printf/format, the JSON builders and editors,
timediff, unhex) against each class of argument (a number column, a text column, a JSON
column, NULL, a number out of the function's range, a number text, a JSON text). On Postgres
the query is translated (pybase/store/sqlite_functions.py, view_sql.py).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: the SQLite pybase runs on
from tests.conformance.harness import (
    Answer,
    Pair,
    Request,
    compare_together,
    difference,
    rounded,
    view_columns,
    view_fields,
)
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

SOURCE = "fn_src"
FIELDS = [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}, {"name": "meta", "type": "json"},
          {"name": "b", "type": "bool"}]  # fmt: skip
ROWS = [
    {"id": "fixfn0000000001", "title": "abc", "n": 4, "meta": {"a": 1, "b": "x"}, "b": True},
    {"id": "fixfn0000000002", "title": "12.5xyz", "n": -2, "meta": [1, 2]},
    {"id": "fixfn0000000003", "title": "", "n": 0, "meta": None},
    {"id": "fixfn0000000004", "title": "héllo", "n": 1.5, "meta": "str"},
    {"id": "fixfn0000000005", "title": '{"k":[1,2]}', "n": 0.25, "meta": 3.5},
    {"id": "fixfn0000000006", "title": "2024-01-02 03:04:05.000Z", "n": 1e20, "meta": {"a": None}},
    {"id": "fixfn0000000007", "title": "4142", "n": 2, "meta": {"z": [True, False]}},
]  # fmt: skip

# argument classes: (label, SQL)
ARGS = [("number", "n"), ("text", "title"), ("json", "meta"), ("null", "NULL"), ("out of range", "-2"),
        ("number text", "'4'"), ("json text", "'{\"a\":[1,2.50]}'"), ("bool", "b"), ("truth", "(n > 1)")]  # fmt: skip
# (label, expression of X)
FUNCTIONS = [
    ("sqrt", "sqrt(X)"), ("ln", "ln(X)"), ("log", "log(X)"), ("log2", "log2(X)"), ("log base", "log(2, X)"),
    ("log of base", "log(X, 8)"), ("acos", "acos(X)"), ("asin", "asin(X)"), ("acosh", "acosh(X)"),
    ("atanh", "atanh(X)"), ("exp", "exp(X)"), ("exp negated", "-exp(X)"), ("pow", "pow(X, 0.5)"), ("pow negative", "pow(X, -1)"),
    ("ceil", "ceil(X)"), ("floor", "floor(X)"), ("sign", "sign(X)"), ("degrees", "degrees(X)"), ("cos", "cos(X)"),
    ("atan2", "atan2(X, 1)"), ("modulo", "(X % 3)"), ("modulo by", "(7 % X)"), ("mod", "mod(X, 2.5)"),
    ("printf", "printf('%d|%s|%.2f|%5.1e|%x|%-3s|', X, X, X, X, X, X)"),
    ("format", "format('%g|%q|%Q|%,d|%05.1f|%+i|%o', X, X, X, X, X, X, X)"), ("printf plain", "printf(X)"),
    # NOTE: SQLite's width and precision count bytes ('héllo' is 6), characters with ! (a cut
    # inside a character, or %c of an empty text, PocketBase cannot list: not compared)
    ("printf width", "printf('[%8s|%-8s|%.3s|%8.4s|%!8s|%!.2s|%9q|%!-8.4s|%-9w]', X, X, X, X, X, X, X, X, X)"),
    ("printf alt2", "printf('[%!g|%!.3g|%!.0f|%!.0e|%!e|%!#g|%!10.2g]', X, X, X, X, X, X, X)"),
    ("json", "json(X)"), ("json array", "json_array(X, 1, 'a', NULL)"), ("json object", "json_object('k', X, 'j', json('[1]'))"),
    ("json nested", "json_array(json_object('k', X), json_array(X))"), ("json set", "json_set('{\"a\":1}', '$.b', X, '$.a', 2)"),
    ("json insert", "json_insert('[1]', '$[#]', X)"), ("json replace", "json_replace('{\"a\":1,\"c\":2}', '$.a', X)"),
    ("json set doc", "json_set(X, '$.z', 1)"), ("json remove", "json_remove(X, '$.a')"), ("json patch", "json_patch(X, '{\"a\":null,\"z\":1}')"),
    ("json patch into", "json_patch('{\"a\":1}', X)"), ("timediff", "timediff(X, '2023-12-31 00:00:00')"), ("unhex", "unhex(X)"),
]  # fmt: skip
AGGREGATES = [("json group array", "json_group_array(X)"), ("json group object", "json_group_object(id, X)"),
              ("window json group array", "json_group_array(X) OVER (ORDER BY id)")]
# functions an SQLite before 3.43/3.41 lacks (Python's own sqlite3 on an older system, where the
# pysqlite3 wheel is missing); PocketBase's (3.53) and pybase on Postgres have them
NEWER_SQLITE = ("timediff", "unhex") if sqlite3.sqlite_version_info < (3, 43, 0) else ()

# case -> why pybase differs from PocketBase on that database (each must still differ)
SQLITE_DIFFERS: dict[str, str] = {}
POSTGRES_DIFFERS = {
    "timediff of number": "a number is a Julian day: days before 4713 BC are out of Postgres's range (NULL)",
    "timediff of number text": "a number is a Julian day: days before 4713 BC are out of Postgres's range (NULL)",
    "timediff of json": "a number is a Julian day: days before 4713 BC are out of Postgres's range (NULL)",
    "timediff of bool": "a number is a Julian day: days before 4713 BC are out of Postgres's range (NULL)",
    "timediff of truth": "a number is a Julian day: days before 4713 BC are out of Postgres's range (NULL)",
}

CASES = [(f"{fname} of {aname}", expr.replace("X", arg)) for (fname, expr), (aname, arg) in itertools.product(FUNCTIONS, ARGS)]
CASES += [(f"{fname} of {aname}", expr.replace("X", arg)) for (fname, expr), (aname, arg) in itertools.product(AGGREGATES, ARGS)]
# PERF: the first half here, the second in test_sql_functions_more.py (a file runs in one xdist
# process; each case saves a view on both servers: ~2 minutes for the table in one)
HALF = len(CASES) // 2
_names = itertools.count()


@pytest.fixture(scope="module")
def functions_pair(pair: Pair) -> Pair:
    """The pair with the source collection and its rows."""
    if pair.first_time("sql functions"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": FIELDS})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
    return pair


def _query(label: str, expression: str) -> str:
    if label.startswith("json group"):
        return f"SELECT (CASE WHEN n > 1 THEN 'big' ELSE 'small' END) AS id, {expression} AS v FROM {SOURCE} GROUP BY 1"
    return f"SELECT id, {expression} AS v FROM {SOURCE}"


_TEMP_VIEW_RE = re.compile(r"temp_view_[A-Za-z0-9]{5}")


@pytest.mark.parametrize(("label", "expression"), CASES[:HALF], ids=[label for label, _ in CASES[:HALF]])
def test_view_function(functions_pair: Pair, backend: str, label: str, expression: str) -> None:
    check_view_function(functions_pair, backend, label, expression, f"fn_v{next(_names)}")


def _together(pair: Pair, backend: str, label: str, expression: str, name: str) -> dict[str, Any]:
    """The answers of the cases of ``label``'s half of the table and of its kind (aggregate or
    not), shown as the columns of a few views (harness.view_columns); the known differences
    and the functions this SQLite lacks are asked alone."""
    half = CASES[:HALF] if (label, expression) in CASES[:HALF] else CASES[HALF:]
    grouped = label.startswith("json group")
    alone = {**SQLITE_DIFFERS, **POSTGRES_DIFFERS}
    cases = [(lab, e) for lab, e in half if lab.startswith("json group") == grouped and lab not in alone and not lab.startswith(NEWER_SQLITE)]
    query = _query("json group" if grouped else "", "{columns}").replace("{columns} AS v", "{columns}")
    prefix = name.rstrip("0123456789")
    return view_columns(pair, f"sql functions {backend} {half[0][0]} {grouped}", cases, lambda columns: query.format(columns=columns),
                        (f"{prefix}b{n}" for n in itertools.count()))  # fmt: skip


def check_view_function(functions_pair: Pair, backend: str, label: str, expression: str, name: str) -> None:
    """The view ``name`` of ``expression`` saved and listed on both servers, compared."""
    if backend == "sqlite" and label.startswith(NEWER_SQLITE):
        pytest.skip(f"pybase's SQLite ({sqlite3.sqlite_version}) has no timediff()/unhex(); PocketBase's SQLite (3.53) has")
    batched = _together(functions_pair, backend, label, expression, name).get(label)
    if compare_together(batched, f"sql function {label}", round_to=12):
        return
    create = Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": _query(label, expression)})
    pb, py = functions_pair.ask(create)
    listing = Request("GET", f"/api/collections/{name}/records?sort=id&perPage=50&fields=id,v")
    if pb.status == 400 and "failed to retrieve query records" in str(pb.body):
        # NOTE: PocketBase reads 10 records of a view when saving it and refuses the query when
        # the first fails, as pybase does; on Postgres in Postgres's words (or when listed)
        pb, py = (Answer(a.status, _TEMP_VIEW_RE.sub("temp_view_<random>", str(a.body))) for a in (pb, py))
        if backend == "sqlite":
            assert difference(pb, py) is None, difference(pb, py)
        assert py.status == 400 or functions_pair.py.ask(listing).status == 400, difference(pb, py)
        return
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = (rounded(answer) for answer in functions_pair.ask(listing))
    why = (SQLITE_DIFFERS if backend == "sqlite" else POSTGRES_DIFFERS).get(label)
    if why is not None:
        assert difference(pb, py) is not None, f"pybase now answers as PocketBase; drop the entry: {why}"
        pytest.xfail(why)
    explain(f"sql function {label}", pb, py, difference(pb, py))
