"""Filters generated from tables: every operator x operands of every field type x value classes.

One collection holds a field of each type and one record per value class (null, empty, zero,
negative, float, numeric string, text, upper case, bools, dates, JSON arrays/objects/nested,
non-ASCII, LIKE's escapes ``% _ \\``, a number past 64 bits, a JSON string holding a number).
Each filter is listed on PocketBase and on pybase and the ids compared in order: the
comparisons, ``~``, multi-value any/every matching, JSON paths, modifiers and sorting must
answer as PocketBase's SQLite does, whichever database pybase runs on.

The full matrix is about 19,000 filters; CI runs a fixed sample of it (``PYBASE_FILTER_MATRIX``:
``all`` for every case, or a number ``n`` to keep one case in ``n``; default 6).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Any
from urllib.parse import quote

from tests.conformance.harness import Pair, Request

ITEMS, REFS = "fm_items", "fm_refs"
PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}
SELECT_VALUES = ["a", "b", "Ä", "10", "0"]
REF_RECORDS = [("fixfmref0000001", "a", 1), ("fixfmref0000002", "Ä", -2), ("fixfmref0000003", "10", 0)]
R1, R2, R3 = (rid for rid, _, _ in REF_RECORDS)

# value class -> field values of its record
RECORDS: dict[str, dict[str, Any]] = {
    "unset": {},
    "empty": {"t": "", "n": 0, "j": ""},
    "zero": {"t": "0", "n": 0, "j": 0, "s": "0", "ms": ["0"]},
    "negative": {"t": "-5", "n": -5, "j": -5, "g": {"lon": -10, "lat": -20}},
    "float": {"t": "1.5", "n": 1.5, "j": 1.5},
    "numeric": {"t": "10", "n": 10, "j": "10", "s": "10", "ms": ["10", "a"], "r": R3},
    "text": {"t": "abc", "j": "abc", "s": "a", "ms": ["a"], "r": R1, "rs": [R1], "e": "x@example.com"},
    "upper": {"t": "ABC", "j": "ABC", "s": "b"},
    "true": {"t": "true", "b": True, "j": True},
    "false": {"t": "false", "b": False, "j": False},
    "date": {"t": "2024-01-02", "d": "2024-01-02 03:04:05.000Z", "j": "2024-01-02 03:04:05.000Z"},
    "array": {"j": [1, "a", None, {"x": 2}], "ms": ["a", "b"], "rs": [R1, R2]},
    "object": {"j": {"x": 1, "y": "a", "z": {"w": [1, 2]}, "b": "Ä"}, "g": {"lon": 23.32, "lat": 42.69}},
    "nonascii": {"t": "Ünïcode ÄÖ", "j": "äö", "s": "Ä", "ms": ["Ä"], "r": R2, "rs": [R2, R3]},
    "escapes": {"t": "50% a_b c\\d", "j": "%_\\"},
    "big": {"t": "abcd", "n": 1e20, "j": 1e20},
    "nested": {"j": [[1, 2], {"x": [3]}], "t": "[1,2]"},
    "jsonnull": {"j": None, "t": "null"},
    "strings": {"j": {"x": "1", "y": None, "bb": "2", "c": "3"}},
    "spaces": {"t": " a ", "j": " a "},
    "jsonstring": {"j": '"10"', "t": "1e1"},
}
IDS = {name: f"fixfm{index:010d}" for index, name in enumerate(RECORDS)}
NAMES = {rid: name for name, rid in IDS.items()}

OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"]
OPERANDS = [
    "t", "n", "b", "d", "s", "ms", "j", "r", "rs", "g", "e", "j.x", "j.y", "j.z.w", "j.0", "j.z.w.1", "j.b",
    "r.name", "r.k", "rs.name", "rs.k", "ms:each", "rs:each", "ms:length", "rs:length", "t:lower", "g.lon",
    "g.lat", "j.3.x",
]  # fmt: skip
VALUES = [
    "null", "''", "0", "-5", "1.5", "'10'", "10", "'abc'", "'ABC'", "true", "false", "'2024-01-02'",
    "'2024-01-02 03:04:05.000Z'", "'Ä'", "'ä'", "'ü'", "'%'", "'_'", "'\\\\'", "'a%'", "'1e20'", "'1.5'", "'-5'",
    "'a'", "' a '", "'null'", "'[1,2]'", "'true'", "1e20", "'0'", "'1e1'",
]  # fmt: skip
FIELD_OPERANDS = [
    "t", "n", "b", "d", "s", "ms", "j", "r", "j.x", "r.name", "r.k", "rs.k", "ms:each", "e", "t:lower",
    "ms:length", "g.lon", "j.0",
]  # fmt: skip
FUNCTIONS = [
    "strftime('%Y-%m-%d', d)", "strftime('%H:%M:%S', d)", "strftime('%Y', j)", "strftime('%s', d)",
    "strftime('%j %w %W %u %e %k %l %p %I %%', d)", "strftime('%f', d)", "strftime('%Y', j.x)",
    "strftime('%J', d)", "strftime('%Y-%m-%d %H', d, '+1 day', 'start of month', '-2 hours')",
    "strftime('%Y-%m-%d', d, 'weekday 0')", "strftime('%Y', n, 'unixepoch')", "strftime('%m', j, 'start of year')",
    "geoDistance(g.lon, g.lat, 23.32, 42.69)", "geoDistance(g.lon, g.lat, n, n)", "@now", "@todayStart",
    "@yesterday", "@year", "@month",
]  # fmt: skip
SORTS = [
    "t", "n", "b", "d", "s", "ms", "j", "r", "j.x", "j.0", "r.name", "r.k", "g.lon", "t:lower", "ms:length",
    "j.z.w.1", "e", "g", "rs",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class MatrixCase:
    """One list of the items collection with a filter and a sort."""

    name: str
    filter: str
    sort: str = "@rowid"

    @property
    def request(self) -> Request:
        query = f"filter={quote(self.filter, safe='')}&sort={quote(self.sort, safe='')}&perPage=100&skipTotal=1"
        return Request("GET", f"/api/collections/{ITEMS}/records?{query}", who="superuser")


def _kept(text: str, one_in: int) -> bool:
    if one_in <= 1:
        return True
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % one_in == 0


def sample_rate() -> int:
    """Keep one case in this many (``PYBASE_FILTER_MATRIX``)."""
    setting = os.environ.get("PYBASE_FILTER_MATRIX", "6").strip().lower()
    return 1 if setting == "all" else max(int(setting or "1"), 1)


def build_cases(one_in: int | None = None) -> list[MatrixCase]:
    """Operand x operator x value, operand x operator x operand, functions and sorts."""
    one_in = sample_rate() if one_in is None else one_in
    filters = [f"{left} {op} {value}" for left in OPERANDS for op in OPERATORS for value in VALUES]
    filters += [f"{left} {op} {right}" for left in FIELD_OPERANDS for op in OPERATORS for right in FIELD_OPERANDS if left != right]
    filters += [f"{fn} {op} {right}" for fn in FUNCTIONS for op in OPERATORS[:8] for right in ("''", "'2024'", "0", "t", "n", "d", "'2460311.627835648'", "'2023-12-31 22'")]
    cases = [MatrixCase(text, text) for text in filters if _kept(text, one_in)]
    # NOTE: sorts are few: all of them run, plain and with a join (DISTINCT rows).
    for key in SORTS:
        for sign in ("", "-"):
            cases.append(MatrixCase(f"sort {sign}{key}", "", f"{sign}{key},@rowid"))
            cases.append(MatrixCase(f"sort {sign}{key} with a join", "rs.k > -100", f"{sign}{key},@rowid"))
    return cases


def ids_of(body: Any) -> Any:
    """The value class names of a list answer's items, in order."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return body
    return [NAMES.get(item.get("id"), item.get("id")) for item in body["items"]]


def setup(pair: Pair) -> None:
    """The referenced collection, the items collection and one record per value class."""
    if not pair.first_time("filter_matrix"):
        return
    for target in pair.targets:
        refs = target.ok("POST", "/api/collections", {
            "name": REFS, **PUBLIC, "fields": [{"name": "name", "type": "text"}, {"name": "k", "type": "number"}],
        })  # fmt: skip
        for rid, name, k in REF_RECORDS:
            target.ok("POST", f"/api/collections/{REFS}/records", {"id": rid, "name": name, "k": k})
        target.ok("POST", "/api/collections", {
            "name": ITEMS, **PUBLIC,
            "fields": [
                {"name": "t", "type": "text"}, {"name": "n", "type": "number"}, {"name": "b", "type": "bool"},
                {"name": "d", "type": "date"},
                {"name": "s", "type": "select", "values": SELECT_VALUES, "maxSelect": 1},
                {"name": "ms", "type": "select", "values": SELECT_VALUES, "maxSelect": 5},
                {"name": "j", "type": "json"},
                {"name": "r", "type": "relation", "collectionId": refs["id"], "maxSelect": 1},
                {"name": "rs", "type": "relation", "collectionId": refs["id"], "maxSelect": 5},
                {"name": "g", "type": "geoPoint"}, {"name": "e", "type": "email"},
            ],
        })  # fmt: skip
        for name, data in RECORDS.items():
            target.ok("POST", f"/api/collections/{ITEMS}/records", {"id": IDS[name], **data})
