"""strftime() and the date functions, letter by letter, over each class of time: the same answers
from PocketBase and from pybase, on SQLite and on Postgres, in views and in filters.

On Postgres PocketBase's times (YYYY-MM-DD, a blank or T and HH:MM[:SS[.fff]], Z or nothing)
are written from their own digits by pb_strftime_inline, the others by pb_strftime_exact
(pybase/store/dialect/pg_strftime.py; tests/store/test_pg_strftime.py checks the two agree and
which times each answers): the rows hold both kinds, each format letter is a case of its own.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest

from tests.conformance.harness import Pair, Request, compare_together, difference, view_columns
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

SOURCE = "sft_src"
PUBLIC = {"listRule": "", "viewRule": ""}
# (text, date) per row: the text a class of time; the date a date field's (PocketBase's form)
VALUES = [
    ("2024-02-29 13:45:30.250Z", "2024-02-29 13:45:30.250Z"), ("2024-02-29 13:45:30.250", "2023-12-31 00:05:09.000Z"),
    ("2024-02-29T13:45:30.250Z", "2021-01-03 23:59:59.900Z"), ("2023-12-31 00:05:09Z", "1969-12-31 23:59:59.999Z"),
    ("2024-01-01 12:00:00", "9999-12-31 23:59:59.999Z"), ("2024-07-04T09:08", "2000-02-29 12:00:00.000Z"),
    ("2024-07-04", "2024-07-04 00:00:00.000Z"), ("2024-07-04Z", "2020-12-28 11:00:00.000Z"),
    ("2021-01-03 23:59:59.9Z", ""), ("2020-12-31 10:20:30.45", ""), ("1969-12-31 23:59:59.999Z", ""),
    ("0001-01-01 00:00:00.000Z", ""), ("9999-12-31 23:59:59.999Z", ""), ("1900-02-28 23:00", ""),
    # NOTE: pb_strftime_exact's: no real date, the hour 24, four decimals, another zone, a time
    # alone, a Julian day, a word
    ("2024-02-30 10:00:00.000Z", ""), ("2023-02-29", ""), ("2024-04-31 10:00", ""), ("2024-12-31 24:00:00.000Z", ""),
    ("2024-01-01 10:00:00.1234Z", ""), ("2024-01-01 10:00:00.000z", ""), ("2024-01-01T10:00:00+02:00", ""),
    ("12:34:56", ""), ("2460311.5", ""), ("", ""), ("abc", ""), ("2024-01-0a 10:00:00.000Z", ""),
]  # fmt: skip
ROWS = [{"id": f"fixsft{number:09d}", "t": t, "d": d} for number, (t, d) in enumerate(VALUES)]
LETTERS = "YmdFHMSfTRekIlpPsJjwuVGgWU"
# NOTE: a blank-padded number (%e %k %l: " 4") in brackets, a text however a view's json field
# reads a number's text ("[ 4]"; the letter's text is the same)
CASES = [(f"%{letter} of {name}", f"strftime('{'[%' + letter + ']' if letter in 'ekl' else '%' + letter}', {name})")
         for name, letter in itertools.product("td", LETTERS)]  # fmt: skip
CASES += [
    ("datetime of text", "strftime('%Y-%m-%d %H:%M:%S', t)"), ("mixed of text", "strftime('week %W/%U, %G-W%V-%u %g [%e|%k|%l]', t)"),
    ("percent of text", "strftime('%Y %% %m', t)"), ("date()", "date(t)"), ("time()", "time(t)"), ("datetime()", "datetime(d)"),
    ("julianday()", "julianday(t)"), ("unixepoch()", "unixepoch(d)"), ("datetime() subsec", "datetime(t, 'subsec')"),
    ("unixepoch() subsec", "unixepoch(t, 'subsec')"), ("modifier", "strftime('%Y-%m-%d %H:%M:%f', t, '+0 days')"),
    ("literal", "strftime('%Y %j %s %J %f %w %U', '2024-02-29 13:45:30.250Z')"),
    ("literal impossible", "strftime('%Y %j %s %J %f', '2024-02-30 13:45:30.250Z')"),
]  # fmt: skip
# the filters, per letter: the records whose text (date) has that letter's text of a time
REFERENCE = "2024-02-29 13:45:30.250Z"
FILTERS = [f"strftime('%{letter}', {name}) = strftime('%{letter}', '{REFERENCE}')" for name, letter in itertools.product("td", LETTERS)]
FILTERS += ["strftime('%Y', d) = '2024'", "strftime('%Y-%m-%d', t) > '2000'", "strftime('%s', d) > 0", "strftime('%H:%M', t) = ''"]
_names = itertools.count()


@pytest.fixture(scope="module")
def strftime_pair(pair: Pair) -> Pair:
    """The pair with the source collection and its rows."""
    if pair.first_time("view strftime"):
        fields = [{"name": "t", "type": "text"}, {"name": "d", "type": "date"}]
        pair.ok("POST", "/api/collections", {"name": SOURCE, **PUBLIC, "fields": fields})
        for row in ROWS:
            pair.ok("POST", f"/api/collections/{SOURCE}/records", row)
    return pair


@pytest.mark.parametrize(("label", "expression"), CASES, ids=[label for label, _ in CASES])
def test_view_strftime(strftime_pair: Pair, label: str, expression: str) -> None:
    batched = view_columns(strftime_pair, f"view strftime {id(strftime_pair)}", CASES, lambda columns: f"SELECT id, {columns} FROM {SOURCE}",
                           (f"sft_v{next(_names)}" for _ in itertools.count())).get(label)  # fmt: skip
    if compare_together(batched, f"view strftime {label}"):
        return
    name = f"sft_v{next(_names)}"
    query = f"SELECT id, {expression} AS v FROM {SOURCE}"
    pb, py = strftime_pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query}))
    assert (pb.status, py.status) == (200, 200), difference(pb, py)
    pb, py = strftime_pair.ask(Request("GET", f"/api/collections/{name}/records?sort=id&perPage=50&fields=id,v"))
    explain(f"view strftime {label}", pb, py, difference(pb, py))


@pytest.mark.parametrize("text", FILTERS, ids=FILTERS)
def test_filter_strftime(strftime_pair: Pair, text: str) -> None:
    request = Request("GET", f"/api/collections/{SOURCE}/records?filter={quote(text, safe='')}&sort=id&fields=id&perPage=50")
    pb, py = strftime_pair.ask(request)
    explain(f"filter strftime {text}", pb, py, difference(pb, py))
