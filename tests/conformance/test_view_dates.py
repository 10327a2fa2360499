"""SQLite's date functions in a view query answer as in PocketBase, on both databases: each case
is a view ``SELECT id, <date function of X> AS v FROM <source>``, created on both servers, whose
fields and records are compared. The rows are the classes of value (a date, a date and time
with milliseconds, with a time zone offset, a time alone, an impossible date, the hour 24, a
Julian day number and a Unix time as texts and numbers, an empty text, NULL, a word, a date
before 1970 and near 9999); X is each column that holds them (a text, a number, a date and a
json field).

On Postgres the calls are pb_strftime's (pybase/store/sqlite_functions.py, _date), the
SQLite-exact strftime the filters use.
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

SOURCE = "dt_src"
FIELDS = [{"name": "t", "type": "text"}, {"name": "n", "type": "number"}, {"name": "d", "type": "date"},
          {"name": "j", "type": "json"}]  # fmt: skip
# (text, number, date, json) per row: each a class of value
VALUES = [
    ("2024-01-02", 2460311.5, "2024-01-02 03:04:05.678Z", "2024-03-31 10:00:00"),
    ("2024-01-02 03:04:05.678Z", 1704164645, "", 2460311.25),
    ("2024-01-31T23:59:59.999+02:00", 0, "1969-12-31 23:59:59.500Z", None),
    ("12:34:56", -1, "2024-12-29 00:00:00.000Z", {"a": 1}),
    ("2024-02-30", 4.75, "9999-12-31 23:59:59.999Z", "2024-02-30"),
    ("2024-12-31 24:00:00", 1e20, "2000-02-29 12:00:00.000Z", [1]),
    ("2460311.5", 5373484.4, "", ""),
    ("", 2440587.5, "", 0),
    ("abc", 1.5, "", "abc"),
    ("1969-12-31 23:59:59.5", -0.5, "", True),
]  # fmt: skip
ROWS = [
    {"id": f"fixdt{number:010d}", **{k: v for k, v in zip(("t", "n", "d", "j"), row, strict=True) if v is not None}}
    for number, row in enumerate(VALUES)
] + [{"id": "fixdt9999999999"}]  # NOTE: NULL (or the field's zero value) in every column

ARGS = [("text", "t"), ("number", "n"), ("date", "d"), ("json", "j")]
# (label, expression of X)
FUNCTIONS = [
    ("strftime", "strftime('%Y|%m|%d|%H|%M|%S|%f|%j|%w|%s|%J|%%', X)"),
    ("strftime more codes", "strftime('%e|%F|%T|%R|%k|%l|%I|%p|%P|%W|%U|%G|%g|%V|%u', X)"),
    ("strftime modifiers", "strftime('%Y-%m-%d %H:%M:%f', X, '+1 month', 'start of day', '-90 minutes')"),
    ("date", "date(X)"), ("time", "time(X)"), ("datetime", "datetime(X)"), ("julianday", "julianday(X)"),
    ("unixepoch", "unixepoch(X)"), ("datetime subsec", "datetime(X, 'subsec')"),
    ("unixepoch subsec", "unixepoch(X, 'subsec')"), ("date start of month", "date(X, 'start of month', '+1 month', '-1 day')"),
    ("datetime unixepoch", "datetime(X, 'unixepoch')"), ("date weekday", "date(X, 'weekday 0', '-1 year')"),
    ("time bad modifier", "time(X, 'fortnight')"), ("strftime null modifier", "strftime('%Y', X, NULL)"),
    ("julianday compared", "julianday(X) > 2460000"), ("unixepoch plus", "unixepoch(X) + 1"),
]  # fmt: skip
CASES = [(f"{fname} of {aname}", expr.replace("X", arg)) for (fname, expr), (aname, arg) in itertools.product(FUNCTIONS, ARGS)]
CASES += [
    ("strftime of literal", "strftime('%Y %j', '2024-03-01', '-1 day')"), ("strftime null format", "strftime(NULL, t)"),
    ("strftime format column", "strftime(t, '2024-01-02')"), ("date of null", "date(NULL)"),
    ("strftime bad code", "strftime('%Q', '2024-01-02')"), ("julianday of literal", "julianday('2000-01-01 12:00')"),
]  # fmt: skip
# case -> why pybase on Postgres differs from PocketBase (each must still differ)
_BEFORE_POSTGRES = ("a Julian day number below 30 is in November 4714 BC: its start of month is before Postgres's "
                    "first timestamp (4714-11-24 BC), NULL on Postgres")
POSTGRES_DIFFERS = {"date start of month of number": _BEFORE_POSTGRES, "date start of month of json": _BEFORE_POSTGRES}
_names = itertools.count()


@pytest.fixture(scope="module")
def dates_pair(pair: Pair) -> Pair:
    """The pair with the source collection and its rows."""
    if pair.first_time("view dates"):
        pair.ok("POST", "/api/collections", {"name": SOURCE, "fields": FIELDS})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
    return pair


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_date(dates_pair: Pair, backend: str, label: str, expression: str) -> None:
    # NOTE: the known differences are asked alone (xfail)
    together = [(lab, e) for lab, e in CASES if lab not in POSTGRES_DIFFERS]
    batched = view_columns(dates_pair, f"view dates {backend}", together, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
                           (f"dt_v{next(_names)}" for _ in itertools.count())).get(label)  # fmt: skip
    if compare_together(batched, f"view date {label}"):
        return
    name = f"dt_v{next(_names)}"
    query = f"SELECT id, {expression} AS v FROM {SOURCE}"
    pb, py = dates_pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    if pb.status != 200:
        return
    pb, py = dates_pair.ask(Request("GET", f"/api/collections/{name}/records?sort=id&perPage=50&fields=id,v"))
    why = POSTGRES_DIFFERS.get(label) if backend == "postgres" else None
    if why is not None:
        assert difference(pb, py) is not None, f"pybase now answers as PocketBase; drop the entry: {why}"
        pytest.xfail(why)
    explain(f"view date {label}", pb, py, difference(pb, py))
