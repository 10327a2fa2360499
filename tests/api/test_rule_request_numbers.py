"""A ``@request.*`` text value read for a number field's name is taken as a number when Go's
``strconv.ParseFloat`` reads it (PocketBase's record field resolver), else kept as text: special
values (``inf``, ``+Infinity``; NaN binds as NULL), hexadecimal floats, underscores between
digits; out of range (``1e400``) and malformed (``+nan``, ``0x1_p1``) stay text. Submitted
number values are read alike. Answers checked on PocketBase 0.40.6; both databases, through
compiled list plans and fresh lists alike.
"""

from __future__ import annotations

import pytest

from pybase.tools.cast import parse_float

pytestmark = pytest.mark.both_backends

ALL, NONE = [-3, 1, 2], []
# (rule, ?n=, the n values listed), as PocketBase 0.40.6 answers
CASES = [
    ("n < @request.query.n", "inf", ALL), ("n < @request.query.n", "+Inf", ALL),
    ("n < @request.query.n", "INFINITY", ALL), ("n < @request.query.n", "-Infinity", NONE),
    ("n > @request.query.n", "-Infinity", ALL), ("n > @request.query.n", "-inf", ALL),
    ("n < @request.query.n", "1e400", ALL), ("n < @request.query.n", "-1e400", NONE),
    ("n > @request.query.n", "-1e400", ALL), ("t = @request.query.n", "1e400", [-3]),
    ("t = @request.query.n", "inf", NONE), ("n < @request.query.n", "nan", NONE),
    ("n > @request.query.n", "NaN", NONE), ("n != @request.query.n", "nan", ALL),
    ("n < @request.query.n", "+nan", ALL), ("n < @request.query.n", "-nan", ALL),
    ("n < @request.query.n", "0x1p1", [-3, 1]), ("n < @request.query.n", "0X1P-1", [-3]),
    ("n > @request.query.n", "0X1P-1", [1, 2]), ("n = @request.query.n", "0x_1p1", [2]),
    ("n < @request.query.n", "0x1p1024", ALL), ("n > @request.query.n", "0x.8p1", [2]),
    ("n > @request.query.n", "0_1", [2]), ("n > @request.query.n", "0x1p-1080", [1, 2]),
    ("n < @request.query.n", "0x10", ALL), ("n < @request.query.n", "1_0", ALL),
    ("n > @request.query.n", "1e-400", [1, 2]), ("n = @request.query.n", "2", [2]),
    ("n = @request.headers.n", "0x1p1", [2]), ("n >= @request.headers.n", "-INF", ALL),
]  # fmt: skip


def _nums(server) -> dict[str, str]:
    """The public collection ``nums`` (n, t) with three records: (1, "1"), (2, "inf") and
    (-3, "1e400"); the superuser's headers."""
    su = {"Authorization": server.token("superuser")}
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "nums", "listRule": "", "fields": [{"name": "n", "type": "number"}, {"name": "t", "type": "text"}],
    })  # fmt: skip
    assert resp.status_code == 200, resp.text
    for n, t in ((1, "1"), (2, "inf"), (-3, "1e400")):
        resp = server.request("POST", "/api/collections/nums/records", headers=su, json={"n": n, "t": t})
        assert resp.status_code == 200, resp.text
    return su


def test_request_text_read_as_numbers_as_pocketbase(server, backend: str) -> None:
    su = _nums(server)
    rule = None
    wrong = []
    for case_rule, value, expected in CASES:
        if case_rule != rule:
            rule = case_rule
            resp = server.request("PATCH", "/api/collections/nums", headers=su, json={"listRule": rule})
            assert resp.status_code == 200, resp.text
        as_query = "headers" not in rule
        for sort in ("", "&sort=@rowid"):  # NOTE: a compiled plan, then a fresh list
            resp = server.request(
                "GET", f"/api/collections/nums/records?perPage=9{sort}",
                params={"n": value} if as_query else None, headers=None if as_query else {"n": value},
            )  # fmt: skip
            assert resp.status_code == 200, (rule, value, resp.text)
            got = sorted(item["n"] for item in resp.json()["items"])
            if got != expected:
                wrong.append((rule, value, sort, got, expected))
    assert not wrong, wrong


def test_number_fields_read_text_as_pocketbase(server) -> None:
    """The same reading for submitted values (spf13/cast's ToFloat64: 0 on a ParseFloat error)."""
    su = {"Authorization": server.token("superuser")}
    resp = server.request("POST", "/api/collections", headers=su, json={
        "name": "nums", "fields": [{"name": "n", "type": "number"}],
    })  # fmt: skip
    assert resp.status_code == 200, resp.text
    for value, expected in (("0_1", 1), ("0x1p1024", 0), ("0x1p1", 2), ("1e400", 0), ("+nan", 0), ("1_0.5", 10.5)):
        for how in ("json", "data"):
            resp = server.request("POST", "/api/collections/nums/records", headers=su, **{how: {"n": value}})
            assert (resp.status_code, resp.json().get("n")) == (200, expected), (value, how, resp.text)


def test_parse_float_as_go() -> None:
    cases = {
        "0_1": 1.0, "1_0.5": 10.5, "-0x1p1_0": -1024.0, "0x_1p-1": 0.5, "1e1_0": 1e10, "0x1_p1": None,
        "0x1__1p1": None, "_1": None, "1_": None, "1__0": None, "1_.5": None, "+nan": None, "1e400": None,
        "-Inf": float("-inf"), "0x10": None, ".5": 0.5, "1.": 1.0, "": None, "1e": None,
    }  # fmt: skip
    assert {text: parse_float(text) for text in cases} == cases


# (rule, the n values listed): out-of-range number text read as +-Inf against a number
# column (SQLite's numeric affinity), from a literal or a text field; "inf" is no number there;
# "=" compares through COALESCE, which drops the affinity (as PocketBase)
TEXT_CASES = [
    ('n > "-1e400"', ALL), ('n < "-1e400"', NONE), ('n < "1e400"', ALL), ('"-1e400" < n', ALL),
    ("n < t", [-3, 2]), ("n > t", NONE), ("n = t", NONE), ('n >= "-1E+400 "', ALL), ('n > "1e-400"', [1, 2]),
]  # fmt: skip


def test_out_of_range_number_text_reads_as_infinity(server) -> None:
    su = _nums(server)
    wrong = []
    for rule, expected in TEXT_CASES:
        resp = server.request("GET", "/api/collections/nums/records", headers=su, params={"filter": rule})
        assert resp.status_code == 200, (rule, resp.text)
        got = sorted(item["n"] for item in resp.json()["items"])
        if got != expected:
            wrong.append((rule, got, expected))
    assert not wrong, wrong
