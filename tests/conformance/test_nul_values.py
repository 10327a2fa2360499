"""A NUL character (U+0000) in record values, against PocketBase 0.40.6, on both databases (#17).

SQLite's TEXT holds U+0000 and PocketBase stores it; Postgres text and jsonb hold none, so
pybase escapes it there (pybase.store.pg_nul). The same records, holding NUL and U+0001 (the
escape's own character) in text, editor and JSON values, are made on both servers; then every
case (a write, a read, a filter with the value from ``@request.query``, a sort, a view) must
answer as PocketBase does.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conformance.harness import Pair, Request, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

NAME = "nulvals"
RECORDS = "/api/collections/nulvals/records"
FIELDS = [{"name": "t", "type": "text"}, {"name": "e", "type": "editor"}, {"name": "j", "type": "json"},
          {"name": "em", "type": "email"}, {"name": "u", "type": "url"}]  # fmt: skip
#: the texts each record holds (t and e), in id order
TEXTS = ["a\x00b", "\x00", "\x00\x00", "a\x01b", "\x01\x01", "\x01\x02", "a\x00\x01", "ab\x00", "a", "ab", "",
         "\\u0000", "a\x02b", "\x01", "\x00\x02"]  # fmt: skip
#: the JSON values of the same records
#: (a string is JSON text PocketBase parses: '"\\u0000"' is the string U+0000)
JSONS = [{"k": "a\x00b"}, {"k": "\x00"}, ["\x00", "\x01"], '"\\u0000"', {"k": "\\u0000"}, {"k": "\x01\x01"}, {"k": "a"},
         {"k": "\x01\x02"}, None, {"k": "ab"}, '{"k": "a\\u0000\\u0001"}', {"k": "\x01"}, [], {"k": "\x00\x01"},
         {"k": "\x00\x02"}]  # fmt: skip
IDS = [f"fixnul{n:09d}" for n in range(len(TEXTS))]


def _q(value: str) -> str:
    return quote(value, safe="")


def _filter(text: str) -> Request:
    return Request("GET", f"{RECORDS}?perPage=50&sort=id&fields=id&filter={_q(text)}")


def _find(field: str, op: str, value: str, sort: str = "id") -> Request:
    """Records whose ``field op @request.query.v`` (the value need not be a filter's literal)."""
    return Request("GET", f"{RECORDS}?perPage=50&sort={sort}&fields=id&filter={_q(f'{field} {op} @request.query.v')}&v={_q(value)}")


CASES: list[tuple[str, Request]] = [
    ("list", Request("GET", f"{RECORDS}?perPage=50&sort=id")),
    ("view by id", Request("GET", f"{RECORDS}/{IDS[0]}")),
    ("sort by text", Request("GET", f"{RECORDS}?perPage=50&sort=t,id&fields=id")),
    ("sort by text desc", Request("GET", f"{RECORDS}?perPage=50&sort=-t,id&fields=id")),
    ("sort by editor", Request("GET", f"{RECORDS}?perPage=50&sort=e,id&fields=id")),
    ("sort by json", Request("GET", f"{RECORDS}?perPage=50&sort=j,id&fields=id")),
    ("sort by json key", Request("GET", f"{RECORDS}?perPage=50&sort=j.k,id&fields=id")),
    ("filter literal with U+0001", _filter('t = "a\x01b"')),
    ("filter literal contains U+0001", _filter('t ~ "\x01"')),
    ("filter literal NUL", _filter('t = "\x00"')),
    ("filter literal with a backslash escape", _filter('t = "\\u0000"')),
]  # fmt: skip
for label, value in [("nul in the middle", "a\x00b"), ("nul", "\x00"), ("two nuls", "\x00\x00"), ("u+0001", "\x01"),
                     ("u+0001 twice", "\x01\x01"), ("u+0001 u+0002", "\x01\x02"), ("nul then u+0001", "a\x00\x01"),
                     ("trailing nul", "ab\x00"), ("plain", "ab"), ("u+0002", "\x02"), ("backslash u0000", "\\u0000")]:  # fmt: skip
    CASES += [
        (f"text = {label}", _find("t", "=", value)),
        (f"text != {label}", _find("t", "!=", value)),
        (f"text < {label}", _find("t", "<", value)),
        (f"text >= {label}", _find("t", ">=", value)),
        (f"text ~ {label}", _find("t", "~", value)),
        (f"text !~ {label}", _find("t", "!~", value)),
        (f"editor = {label}", _find("e", "=", value)),
        (f"json key = {label}", _find("j.k", "=", value)),
        (f"json key < {label}", _find("j.k", "<", value)),
        (f"json key ~ {label}", _find("j.k", "~", value)),
        (f"json array has {label}", _find("j", "?=", value)),
    ]
CASES += [
    ("json = a string", _find("j", "=", "\x00")),
    ("json ~ nul", _find("j", "~", "\x00")),
    ("json = its text", _find("j", "=", '{"k":"a\\u0000b"}')),
]


WRITES: list[tuple[str, Request]] = [
    ("create with nul in email", Request("POST", RECORDS, json={"em": "a\x00@example.com"})),
    ("create with nul in url", Request("POST", RECORDS, json={"u": "https://example.com/\x00"})),
    ("create with nul in the id", Request("POST", RECORDS, json={"id": "abc\x00def", "t": "x"})),
    ("create, then read", Request("POST", RECORDS, json={"id": "fixnulw00000001", "t": "w\x00\x01", "j": {"\x01": "\x00"}})),
    ("read it back", Request("GET", f"{RECORDS}/fixnulw00000001")),
    ("update it", Request("PATCH", f"{RECORDS}/fixnulw00000001", json={"t": "\x01\x00", "e": "<p>\x00</p>", "j": ["\x01\x01"]})),
    ("read the update", Request("GET", f"{RECORDS}/fixnulw00000001")),
    ("form data with nul", Request("POST", RECORDS, form=(("id", "fixnulw00000002"), ("t", "f\x00"), ("j", '{"k":"\\u0000"}')))),
    ("read the form's", Request("GET", f"{RECORDS}/fixnulw00000002")),
    ("delete it", Request("DELETE", f"{RECORDS}/fixnulw00000001")),
]  # fmt: skip

VIEW = "nulview"
VIEW_CASES: list[tuple[str, str]] = [
    ("columns as they are", "SELECT id, t, e, j FROM nulvals"),
    ("text length", "SELECT id, length(t) AS n FROM nulvals"),
    ("text compared", "SELECT id, (t = 'a' || char(1) || 'b') AS same FROM nulvals"),
    ("text concatenated", "SELECT id, ((t || '!') = 'a' || char(0) || 'b!') AS c FROM nulvals"),
    ("json value", "SELECT id, (json_extract(j, '$.k') = 'a' || char(0) || 'b') AS k FROM nulvals"),
    ("json value's length", "SELECT id, length(json_extract(j, '$.k')) AS k FROM nulvals"),
    ("text = a literal with U+0001", "SELECT id, (t = 'a\x01b') AS v FROM nulvals"),
    ("text ~ a literal with U+0001", "SELECT id, instr(t, 'a\x01') AS v FROM nulvals"),
]
#: SQL functions and operators ({x}: the value) applied to each value class (the records' texts,
#: their JSON values), their results as text: SQLite reads some up to a NUL (length, substr, quote, unicode, LIKE), some
#: to their end (||, comparisons, instr, hex, octet_length, json_quote)
VIEW_FUNCTIONS = [
    ("length", "length({x})"), ("octet_length", "octet_length({x})"), ("substr from 2", "substr({x}, 2)"),
    ("substr of the last 2", "substr({x}, -2, 2)"), ("instr nul", "instr({x}, char(0))"), ("instr u+0001", "instr({x}, char(1))"),
    ("instr b", "instr({x}, 'b')"), ("upper", "upper({x})"), ("lower", "lower({x})"), ("hex", "hex({x})"), ("quote", "quote({x})"),
    ("unicode", "unicode({x})"), ("concatenated", "{x} || char(0) || {x}"), ("replace u+0001", "replace({x}, char(1), '+')"),
    ("replace with nul", "replace({x}, 'b', char(0))"),
    ("replace u+0002", "replace({x}, char(2), '+')"), ("replace a nul", "replace({x}, char(0), '+')"),
    ("replace u+0001 u+0002", "replace({x}, char(1, 2), '+')"), ("date before it", "date('2024-01-02' || char(0) || {x})"),
    ("time before it", "strftime('%H:%M', '2024-01-02 10:11' || {x})"), ("number before it", "CAST('12' || {x} AS INTEGER)"), ("trim u+0001", "trim({x}, char(1))"),
    ("< u+0001", "{x} < char(1)"), ("= nul", "{x} = char(0)"), ("> nul", "{x} > char(0)"), ("like", "{x} LIKE 'a%'"), ("like a_b", "{x} LIKE 'A_b'"), ("like u+0002", "{x} LIKE '%' || char(2) || '%'"),
    ("like a backslash", "{x} LIKE '\\u%'"), ("like escape", "{x} LIKE 'a!%' ESCAPE '!'"), ("not like", "{x} NOT LIKE 'a%'"),
    ("glob", "{x} GLOB 'a*'"), ("json_quote", "json_quote({x})"), ("json_object", "json_object('k', {x})"),
    ("printf", "printf('%s|', {x})"), ("typeof", "typeof({x})"), ("max", "(SELECT max({x}) FROM nulvals AS o WHERE o.id <= nulvals.id)"),
]  # fmt: skip
VIEW_VALUES = [("text", "t"), ("json value", "json_extract(j, '$.k')"), ("json ->>", "(j ->> '$.k')")]
# NOTE: as TEXT: PocketBase makes an expression's column a json field, and answers no JSON for a text in one
VIEW_CASES += [(f"{label} of {value_label}", f"SELECT id, CAST({sql.format(x=value)} AS TEXT) AS v FROM nulvals")
               for label, sql in VIEW_FUNCTIONS for value_label, value in VIEW_VALUES]  # fmt: skip


#: a JSON key holding a NUL: SQLite's path reads the key up to it ("k\u0000" is "k")
KEY_RECORDS = [{"j": {"k\x00": 1}}, {"j": {"k": 2}}, {"j": {"k\x00x": 3}}]
KEY_CASES = [("key = 1", "j.k = 1"), ("key with the nul = 1", 'j.k = 1 && j != "x"'), ("key exists", "j.k != null")]


@pytest.fixture(scope="module")
def nul_pair(pair: Pair) -> Pair:
    """The pair with the collection and its records."""
    if pair.first_time("nul_values"):
        rules = {key: "" for key in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
        pair.ok("POST", "/api/collections", {"name": NAME, "fields": FIELDS, **rules})
        for record_id, text, value in zip(IDS, TEXTS, JSONS, strict=True):
            pair.ok("POST", RECORDS, {"id": record_id, "t": text, "e": text, "j": value})
    return pair


@pytest.mark.parametrize(("label", "req"), CASES, ids=[label for label, _ in CASES])
def test_nul_values_read_and_filtered(nul_pair: Pair, backend: str, label: str, req: Request) -> None:
    pb, py = nul_pair.ask(req)
    explain(f"nul values [{backend}] {label}", pb, py, difference(pb, py))


def test_nul_values_written(nul_pair: Pair) -> None:
    """The writes in order (each may read what the one before wrote)."""
    diffs = []
    for label, req in WRITES:
        pb, py = nul_pair.ask(req)
        if (diff := difference(pb, py)) is not None:
            diffs.append(f"{label}:{diff}")
    assert not diffs, "\n".join(diffs)


@pytest.mark.parametrize(("label", "query"), VIEW_CASES, ids=[label for label, _ in VIEW_CASES])
def test_nul_values_in_a_view(nul_pair: Pair, backend: str, label: str, query: str) -> None:
    name = f"{VIEW}{VIEW_CASES.index((label, query))}"
    pb, py = nul_pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query, "listRule": ""}))
    diff = None if pb.status == py.status == 200 else difference(pb, py)
    if diff is None:
        pb, py = nul_pair.ask(Request("GET", f"/api/collections/{name}/records?perPage=50&sort=id"))
        diff = difference(pb, py)
    explain(f"nul values [{backend}] view {label}", pb, py, diff)


@pytest.mark.parametrize(("label", "filter_text"), KEY_CASES, ids=[label for label, _ in KEY_CASES])
def test_nul_in_a_json_key(nul_pair: Pair, backend: str, label: str, filter_text: str) -> None:
    if nul_pair.first_time("nul_keys"):
        nul_pair.ok("POST", "/api/collections", {"name": "nulkeys", "fields": [{"name": "j", "type": "json"}], "listRule": "", "createRule": ""})
        for number, body in enumerate(KEY_RECORDS):
            nul_pair.ok("POST", "/api/collections/nulkeys/records", {"id": f"fixnulk0000000{number}", **body})
    req = Request("GET", f"/api/collections/nulkeys/records?sort=id&fields=id,j&filter={_q(filter_text)}")
    pb, py = nul_pair.ask(req)
    explain(f"nul values [{backend}] json key {label}", pb, py, difference(pb, py))
