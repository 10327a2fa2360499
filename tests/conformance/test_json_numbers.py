"""Numbers past a double's exact integers (2^53) and past 64 bits in a json field, identical to
PocketBase once stored: records written with them (as a JSON body's numbers, as JSON text in a
JSON string and in a form), then read back one by one and listed, and found by filters.

What a write answers is compared by the fields table (cases_fields.py: the json value classes
"integer past 64 bits" and the others).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.conformance.harness import Pair, Request, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

SOURCE = "jnum"
BIG = 123456789012345678901234567890
# (name, how it is sent: "json" or "form", the value of j): each record's id is fixjn<10 digits>
ROWS: list[tuple[str, str, Any]] = [
    ("past 64 bits", "json", BIG),
    ("negative past 64 bits", "json", -BIG),
    ("nested past 64 bits", "json", {"a": BIG}),
    ("array past 64 bits", "json", [BIG, 1]),
    ("2^64", "json", 2**64),
    ("2^63", "json", 2**63),
    ("past 2^53", "json", 2**53 + 1),
    ("integral float", "json", 5.0),
    ("text past 64 bits", "json", str(BIG)),
    ("text past 2^53", "json", str(2**53 + 1)),
    ("form past 64 bits", "form", str(BIG)),
    ("form past 2^53", "form", str(2**53 + 1)),
    ("form nested past 64 bits", "form", f'{{"a":{BIG}}}'),
]
IDS = {name: f"fixjn{index:010d}" for index, (name, _how, _value) in enumerate(ROWS)}

FILTERS = [
    f"j = {BIG}", f"j = -{BIG}", f"j.a = {BIG}", f"j.0 = {BIG}", f"j = {2**64}", f"j = {2**63}", f"j = {2**53 + 1}",
    f"j = {2**53}", "j > 1", "j < 0", "j.a > 1", f"j = '{BIG}'", "j ~ '1234'", "j = 5", f"j >= {2**63}",
]  # fmt: skip

# NOTE: form nested JSON text is kept as written by PocketBase and read back so: pybase reads it
# into Python values, where a number past 64 bits is a double (known.py: _BIG_JSON_NUMBER)
PB_KEEPS_TEXT = "form nested past 64 bits"

CASES: list[tuple[str, Request]] = [
    (f"json numbers view {name}", Request("GET", f"/api/collections/{SOURCE}/records/{IDS[name]}")) for name, _how, _value in ROWS
]
CASES += [("json numbers list", Request("GET", f"/api/collections/{SOURCE}/records?perPage=100&sort=t"))]
CASES += [
    (f"json numbers filter {text}", Request("GET", f"/api/collections/{SOURCE}/records?perPage=100&sort=t&fields=t&filter={quote(text)}"))
    for text in FILTERS
]



@pytest.fixture(scope="module")
def numbers_pair(pair: Pair) -> Pair:
    """The pair with the records of ROWS on both servers."""
    if pair.first_time("json numbers"):
        public = dict.fromkeys(("listRule", "viewRule"), "")
        pair.ok("POST", "/api/collections", {"name": SOURCE, **public, "fields": [
            {"name": "t", "type": "text"}, {"name": "j", "type": "json"}, {"name": "x", "type": "number"}]})  # fmt: skip
        for name, how, value in ROWS:
            path = f"/api/collections/{SOURCE}/records"
            if how == "json":
                pair.ok("POST", path, {"id": IDS[name], "t": name, "j": value})
                continue
            for target in pair.targets:
                resp = target.send(Request("POST", path, form=(("id", IDS[name]), ("t", name), ("j", value))))
                assert resp.status_code == 200, f"{target.name}: {resp.text[:500]}"
    return pair


@pytest.mark.parametrize(("name", "request_"), CASES, ids=[name for name, _ in CASES])
def test_json_numbers_read_as_pocketbase(numbers_pair: Pair, name: str, request_: Request) -> None:
    pb, py = numbers_pair.ask(request_)
    diff = difference(pb, py)
    if diff is not None and name in (f"json numbers view {PB_KEEPS_TEXT}", "json numbers list"):
        # NOTE: the one known difference (see PB_KEEPS_TEXT), nothing else in the answer
        pb_body, py_body = _without(pb.body, IDS[PB_KEEPS_TEXT]), _without(py.body, IDS[PB_KEEPS_TEXT])
        assert (pb.status, pb_body) == (py.status, py_body), diff
        return
    explain(name, pb, py, diff)


def _without(body: Any, rid: str) -> Any:
    """The answer with the value of j of record ``rid`` left out."""
    if isinstance(body, dict) and body.get("id") == rid:
        return {k: v for k, v in body.items() if k != "j"}
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return {**body, "items": [_without(item, rid) for item in body["items"]]}
    return body


# numbers a JSON body sends to a number field (x) and a json field (j): the answer's text of
# each (the harness's comparison reads 5.0 and 5 as one number). NOTE: not yet alike: an
# integral number field value past 2^53 (2**60: PocketBase 1152921504606847000, pybase
# 1.152921504606847e+18; held as a float) and a number from 1e-6 to 1e-5 (2.5e-6: PocketBase
# 0.0000025), both as orjson writes doubles
WRITTEN = [2**53, 2**53 + 1, 5e15, 1e15, 123.0, -(2**53), 0.5, 1e-7]


@pytest.mark.parametrize("value", WRITTEN, ids=[repr(value) for value in WRITTEN])
def test_numbers_are_written_as_pocketbase_writes_them(numbers_pair: Pair, value: Any) -> None:
    texts = []
    for target in numbers_pair.targets:
        resp = target.send(Request("POST", f"/api/collections/{SOURCE}/records", json={"t": "written", "x": value, "j": value}))
        assert resp.status_code == 200, resp.text
        texts.append({key: re.search(rf'"{key}":([^,}}]+)', resp.text).group(1) for key in ("x", "j")})  # type: ignore[union-attr]
    assert texts[0] == texts[1], f"PocketBase {texts[0]}, pybase {texts[1]}"


# ---- comparisons of integers past 2^53 (table: value classes x operators x operands) --------
#
# SQLite compares an INTEGER with a REAL exactly (9007199254740993 > 9007199254740992.0) and a
# filter's number literal is a double (PocketBase binds float64): a json value holding an integer
# from 2^53 to 2^63 is not equal to the double nearest to it. An integer past 64 bits, a number
# with a fraction and a filter literal are REALs.

COMPARED = "jcmp"
# value class -> how it is sent: a JSON body's text (kept as written by PocketBase), a number x
CLASSES: dict[str, str] = {
    "2^53": f'{{"j":{2**53},"x":1}}',
    "2^53+1": f'{{"j":{2**53 + 1},"x":1}}',
    "2^53+2": f'{{"j":{2**53 + 2},"x":{2**53 + 2}}}',
    "2^60+1": f'{{"j":{2**60 + 1},"x":{2**60}}}',
    "2^63-1": f'{{"j":{2**63 - 1},"x":{2**63}}}',
    "-2^63": f'{{"j":{-(2**63)},"x":{-(2**63)}}}',
    "2^63": f'{{"j":{2**63},"x":1}}',
    "2^64-1": f'{{"j":{2**64 - 1},"x":{2**64}}}',
    "2^64": f'{{"j":{2**64},"x":1}}',
    "-(2^53+1)": f'{{"j":{-(2**53 + 1)},"x":{-(2**53)}}}',
    "real 2^53+1.0": f'{{"j":{2**53 + 1}.0,"x":1}}',
    "fraction": '{"j":1.5,"x":1.5}',
    "small": '{"j":5,"x":5}',
    "text": f'{{"j":"{2**53 + 1}","x":1}}',
    "nested": f'{{"j":{{"a":{2**53 + 1},"b":{2**64 - 1}}},"x":{2**53}}}',
    "array": f'{{"j":[{2**53 + 1},{2**63 - 1}],"x":1}}',
    "true": '{"j":true,"x":1}',
    "null": '{"j":null,"x":0}',
}
CMP_IDS = {name: f"fixjc{index:010d}" for index, name in enumerate(CLASSES)}
CMP_NAMES = {rid: name for name, rid in CMP_IDS.items()}
CMP_OPERATORS = ["=", "!=", ">", ">=", "<", "<="]
CMP_OPERANDS = ["j", "j.a", "j.b", "j.0", "j.1"]
CMP_LITERALS = [
    str(2**53), str(2**53 + 1), str(2**53 + 2), str(2**60), str(2**63 - 1), str(-(2**63)), str(2**64 - 1),
    str(2**64), f"-{2**53 + 1}", "1.5", f"'{2**53 + 1}'",
]  # fmt: skip
CMP_FILTERS = [f"{operand} {op} {value}" for operand in CMP_OPERANDS for op in CMP_OPERATORS for value in CMP_LITERALS]
# a json value against a number field (a double) and against another json value
CMP_FILTERS += [f"{left} {op} {right}" for left, right in (("j", "x"), ("j.a", "x"), ("j.a", "j.b"), ("j.0", "j.1"), ("x", "j"))
                for op in CMP_OPERATORS]  # fmt: skip
# API rules: a literal, and a query parameter (a text)
CMP_RULES = [f"j >= {2**53 + 1}", f"j.a = {2**53 + 1}", "j = @request.query.v", "j.a > @request.query.v", "x < j"]
CMP_QUERIES = [str(2**53 + 1), str(2**53), str(2**64 - 1)]


@pytest.fixture(scope="module")
def compared_pair(pair: Pair) -> Pair:
    """The pair with one record per value class of CLASSES, plus one collection per rule."""
    if pair.first_time("json number comparisons"):
        public = dict.fromkeys(("listRule", "viewRule"), "")
        fields = [{"name": "j", "type": "json"}, {"name": "x", "type": "number"}]
        pair.ok("POST", "/api/collections", {"name": COMPARED, **public, "fields": fields})
        for index, rule in enumerate(CMP_RULES):
            pair.ok("POST", "/api/collections", {"name": f"{COMPARED}{index}", "listRule": rule, "fields": fields})
        for name, body in CLASSES.items():
            raw = body.replace("{", f'{{"id":"{CMP_IDS[name]}",', 1).encode()
            for collection in [COMPARED, *(f"{COMPARED}{index}" for index in range(len(CMP_RULES)))]:
                for target in pair.targets:
                    resp = target.send(Request("POST", f"/api/collections/{collection}/records", raw=raw, content_type="application/json"))
                    assert resp.status_code == 200, f"{target.name} {name}: {resp.text[:500]}"
    return pair


def _classes(answer: Any) -> Any:
    body = answer.body
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return (answer.status, body)
    return (answer.status, [CMP_NAMES.get(item["id"], item["id"]) for item in body["items"]])


@pytest.mark.parametrize("text", CMP_FILTERS, ids=str)
def test_big_integers_compare_as_pocketbase(compared_pair: Pair, text: str) -> None:
    query = f"perPage=100&sort=id&fields=id&filter={quote(text)}"
    pb, py = compared_pair.ask(Request("GET", f"/api/collections/{COMPARED}/records?{query}"))
    assert _classes(py) == _classes(pb), f"{text}: PocketBase {_classes(pb)}, pybase {_classes(py)}"


@pytest.mark.parametrize(("index", "value"), [(i, v) for i in range(len(CMP_RULES)) for v in CMP_QUERIES],
                         ids=[f"{rule} v={v}" for rule in CMP_RULES for v in CMP_QUERIES])  # fmt: skip
def test_big_integers_in_rules_as_pocketbase(compared_pair: Pair, index: int, value: str) -> None:
    path = f"/api/collections/{COMPARED}{index}/records?perPage=100&sort=id&fields=id&v={quote(value)}"
    pb, py = compared_pair.ask(Request("GET", path, who="anon"))
    assert _classes(py) == _classes(pb), f"{CMP_RULES[index]} v={value}: PocketBase {_classes(pb)}, pybase {_classes(py)}"
