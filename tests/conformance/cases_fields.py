"""Record writes generated from tables: every field type x its options x value classes.

Each field *variant* (a type with some options) gets its own collection holding one field
``v``; each value class is then sent on create and on update, as JSON and as multipart, by an
anonymous caller (public rules) and by the superuser. The answers of PocketBase and pybase
must be identical.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import orjson

from tests.conformance.harness import Answer, Pair, Request

ABSENT = object()  # the key is left out of the body

PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}
TARGETS = "targets"
TARGET_IDS = ("fix000000000001", "fix000000000002", "fix000000000003")
MISSING_ID = "fix999999999999"

UNICODE = "ünïcødé ✓ 日本語 🙂"
HUGE = "x" * 6000

# Value classes every type receives, on top of its own.
COMMON: list[tuple[str, Any]] = [
    ("absent", ABSENT),
    ("null", None),
    ("empty string", ""),
    ("zero", 0),
    ("false", False),
    ("true", True),
    ("empty array", []),
    ("empty object", {}),
    ("spaces", "   "),
    ("unicode", UNICODE),
    ("huge text", HUGE),
    ("nested object", {"a": {"b": [1, 2]}}),
]

TYPE_VALUES: dict[str, list[tuple[str, Any]]] = {
    "text": [
        ("short word", "abc"),
        ("trailing newline", "abc\n"),
        ("one char", "a"),
        ("two chars", "ab"),
        ("four chars", "abcd"),
        ("five chars", "abcde"),
        ("six chars", "abcdef"),
        ("digits", "12345"),
        ("number", 123),
        ("float", 12.5),
        ("one-item array", ["abc"]),
        ("two-item array", ["ab", "cd"]),
        ("mixed case", "AbC"),
        ("5000 chars", "y" * 5000),
        ("5001 chars", "y" * 5001),
        ("leading spaces", "  abc"),
    ],
    "number": [
        ("one", 1),
        ("half", 0.5),
        ("minus one", -1),
        ("minus six", -6),
        ("ten", 10),
        ("eleven", 11),
        ("one and a half", 1.5),
        ("five point five", 5.5),
        ("numeric string", "5"),
        ("float string", "2.5"),
        ("exponent string", "1e3"),
        ("padded string", " 7 "),
        ("word", "abc"),
        ("one-item array", [1]),
        ("two-item array", [1, 2]),
        ("huge", 1e308),
        ("beyond int53", 9007199254740993),
        ("negative zero", -0.0),
        ("string minus", "-3"),
    ],
    "bool": [
        ("string true", "true"),
        ("string false", "false"),
        ("string one", "1"),
        ("string zero", "0"),
        ("string yes", "yes"),
        ("string TRUE", "TRUE"),
        ("string t", "t"),
        ("one", 1),
        ("two", 2),
        ("one-item array", [True]),
    ],
    "email": [
        ("plain", "someone@example.com"),
        ("other domain", "someone@other.com"),
        ("upper case", "SOMEONE@EXAMPLE.COM"),
        ("no at", "not-an-email"),
        ("no tld", "a@b"),
        ("space inside", "a b@example.com"),
        ("display name", "Some One <someone@example.com>"),
        ("subdomain", "x@mail.example.com"),
        ("one-item array", ["someone@example.com"]),
        ("number", 42),
        ("plus tag", "a+tag@example.com"),
    ],
    "url": [
        ("https", "https://example.com"),
        ("with path", "https://example.com/a/b?c=d#e"),
        ("other domain", "http://other.com/x"),
        ("subdomain", "https://www.example.com"),
        ("ftp", "ftp://example.com/file"),
        ("no scheme", "example.com"),
        ("scheme only", "https://"),
        ("space inside", "http://a b.com"),
        ("protocol relative", "//example.com"),
        ("mailto", "mailto:someone@example.com"),
        ("one-item array", ["https://example.com"]),
        ("localhost port", "http://localhost:8090"),
        ("ip", "http://127.0.0.1/x"),
    ],
    "editor": [
        ("html", "<p>hello <b>world</b></p>"),
        ("ten bytes", "0123456789"),
        ("eleven bytes", "0123456789a"),
        ("script", "<script>alert(1)</script>"),
        ("relative link", '<a href="/x">x</a>'),
        ("number", 12),
        ("one-item array", ["<p>x</p>"]),
    ],
    "date": [
        ("full", "2024-06-01 10:00:00.000Z"),
        ("date only", "2024-06-01"),
        ("iso T", "2024-06-01T10:00:00Z"),
        ("no zone", "2024-06-01 10:00:00"),
        ("offset", "2024-06-01T10:00:00+02:00"),
        ("micro", "2024-06-01 10:00:00.123456Z"),
        ("before min", "2023-12-31 23:59:59.999Z"),
        ("at min", "2024-01-01 00:00:00.000Z"),
        ("at max", "2025-01-01 00:00:00.000Z"),
        ("after max", "2025-01-01 00:00:00.001Z"),
        ("month 13", "2024-13-01"),
        ("word", "not a date"),
        ("unix number", 1700000000),
        ("one-item array", ["2024-06-01"]),
    ],
    "autodate": [
        ("a date", "2020-01-01 00:00:00.000Z"),
        ("word", "yesterday"),
    ],
    "select": [
        ("a", "a"),
        ("unknown", "z"),
        ("one-item array", ["a"]),
        ("two-item array", ["a", "b"]),
        ("three-item array", ["a", "b", "c"]),
        ("repeated", ["a", "a"]),
        ("comma text", "a,b"),
        ("unknown in array", ["a", "z"]),
        ("json array text", '["a","b"]'),
        ("number", 1),
        ("upper case", "A"),
    ],
    "json": [
        ("object", {"a": 1, "b": [True, None]}),
        ("array", [1, "two", 3.5]),
        ("string", "str"),
        ("number", 42),
        ("json object text", '{"a":1}'),
        ("invalid json text", "{a:1"),
        ("number text past a double", "1e400"),
        ("negative number text past a double", "-1e400"),
        ("array text with a number past a double", "[2,1e400]"),
        ("tiny number text", "1e-400"),
        ("infinity text", "-Infinity"),
        ("twenty chars", {"k": "0123456789a"}),
        ("big float", 1.5e300),
        # numbers past a double's exact integers (2^53) and past 64 bits: a JSON body's are
        # Go float64s, JSON text is kept as written
        ("integer past 2^53", 2**53 + 1),
        ("integer 2^63", 2**63),
        ("integer 2^64", 2**64),
        ("integer past 64 bits", 123456789012345678901234567890),
        ("negative integer past 64 bits", -123456789012345678901234567890),
        ("object with an integer past 64 bits", {"a": 123456789012345678901234567890, "b": 2**53 + 1}),
        ("array with integers past 2^53", [2**53 + 1, 123456789012345678, 1]),
        ("integral float", 5.0),
        ("integer text past 2^53", "9007199254740993"),
        ("integer text past 64 bits", "123456789012345678901234567890"),
        ("object text with an integer past 64 bits", '{"a":123456789012345678901234567890}'),
        ("deep", {"a": [{"b": [{"c": [1, [2, [3]]]}]}]}),
        # an object with two equal names (after their escapes) is no valid JSON to PocketBase (Go)
        ("object text with a repeated name", '{"a":1,"a":2}'),
        ("array text with a repeated escaped name", '[{"b":{"a":1,"\\u0061":2}}]'),
        ("object text with names differing in case", '{"a":1,"A":2}'),
        # a text that is no JSON is kept as Go's strconv.Quote of it: \a, \v, \xNN and \U escapes
        # are no JSON (invalid), \b \f \n \r \t and \uNNNN are
        ("text with a NUL", "a\x00b"),
        ("text with a bell", "a\x07b"),
        ("text with a vertical tab", "a\x0bb"),
        ("text with DEL", "a\x7fb"),
        ("quoted text with a control character", '"a\x01"'),
        ("text with a private-use character past U+FFFF", "a\U000f0000"),
        ("text with a newline, a tab and a form feed", "a\nb\tc\fd"),
        ("text with an emoji and a C1 control", "a\U0001f600\x85b"),
    ],
    "relation": [
        ("one id", TARGET_IDS[0]),
        ("missing id", MISSING_ID),
        ("one-item array", [TARGET_IDS[0]]),
        ("two ids", [TARGET_IDS[0], TARGET_IDS[1]]),
        ("three ids", list(TARGET_IDS)),
        ("repeated id", [TARGET_IDS[0], TARGET_IDS[0]]),
        ("one missing of two", [TARGET_IDS[0], MISSING_ID]),
        ("json array text", orjson.dumps([TARGET_IDS[0], TARGET_IDS[1]]).decode()),
        ("number", 5),
    ],
    "password": [
        ("short word", "abc"),
        ("two chars", "ab"),
        ("five chars", "abcde"),
        ("six chars", "abcdef"),
        ("digits", "12345"),
        ("72 chars", "p" * 72),
        ("number", 123),
    ],
    "geoPoint": [
        ("point", {"lon": 23.32, "lat": 42.69}),
        ("lon out of range", {"lon": 181, "lat": 0}),
        ("lat out of range", {"lon": 0, "lat": -90.5}),
        ("edges", {"lon": -180, "lat": 90}),
        ("string numbers", {"lon": "1.5", "lat": "2"}),
        # NOTE: not {"lon": "1.5", "lat": 2}: PocketBase answers it at random ({0, 0} or {0, 2}),
        # by the order Go happens to walk the map in.
        ("only lon", {"lon": 5}),
        ("array", [1, 2]),
        ("json text", '{"lon":1,"lat":2}'),
        ("extra key", {"lon": 1, "lat": 2, "alt": 3}),
    ],
    "file": [
        ("a name", "x.txt"),
        ("names", ["x.txt", "y.txt"]),
    ],
}


@dataclasses.dataclass(frozen=True)
class Variant:
    """A field type with some options, and a value it accepts (for the record updates start from)."""

    type: str
    options: dict[str, Any]
    valid: Any = ABSENT
    #: False when no record can be made to update without an upload (a required file)
    updatable: bool = True

    @property
    def label(self) -> str:
        opts = ",".join(f"{k}={_short(v)}" for k, v in self.options.items())
        return f"{self.type}[{opts}]"


def _short(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else value
    return text if len(text) <= 24 else text[:21] + "..."


REQ = {"required": True}
HIDDEN = {"hidden": True}
SELECT_VALUES = {"values": ["a", "b", "c", "d"]}
MIN_DATE, MAX_DATE = "2024-01-01 00:00:00.000Z", "2025-01-01 00:00:00.000Z"

VARIANTS: list[Variant] = [
    Variant("text", {}),
    Variant("text", REQ, "abcd"),
    Variant("text", {"min": 3}),
    Variant("text", {"max": 5}),
    Variant("text", {"min": 2, "max": 4, **REQ}, "abc"),
    Variant("text", {"pattern": "^[a-z]+$"}),
    Variant("text", {"pattern": "^\\d+$", **REQ}, "123"),
    Variant("text", {"autogeneratePattern": "[a-z]{5}"}),
    Variant("text", {"autogeneratePattern": "[0-9]{3}", "pattern": "^[0-9]+$", **REQ}, "555"),
    Variant("text", HIDDEN, "abc"),
    Variant("number", {}),
    Variant("number", REQ, 3),
    Variant("number", {"min": 1}),
    Variant("number", {"max": 10}),
    Variant("number", {"min": 1, "max": 10}),
    Variant("number", {"onlyInt": True}),
    Variant("number", {"min": -5.5, "max": 5.5, **REQ}, 2),
    Variant("number", {"onlyInt": True, "min": 0, **REQ}, 4),
    Variant("number", HIDDEN, 1),
    Variant("bool", {}),
    Variant("bool", REQ, True),
    Variant("bool", HIDDEN, True),
    Variant("email", {}),
    Variant("email", REQ, "someone@example.com"),
    Variant("email", {"onlyDomains": ["example.com"]}),
    Variant("email", {"exceptDomains": ["example.com"]}),
    Variant("url", {}),
    Variant("url", REQ, "https://example.com"),
    Variant("url", {"onlyDomains": ["example.com"]}),
    Variant("url", {"exceptDomains": ["example.com"]}),
    Variant("editor", {}),
    Variant("editor", REQ, "<p>x</p>"),
    Variant("editor", {"maxSize": 10}),
    Variant("editor", {"convertURLs": True}),
    Variant("date", {}),
    Variant("date", REQ, "2024-06-01 10:00:00.000Z"),
    Variant("date", {"min": MIN_DATE}),
    Variant("date", {"max": MAX_DATE}),
    Variant("date", {"min": MIN_DATE, "max": MAX_DATE, **REQ}, "2024-06-01 10:00:00.000Z"),
    Variant("autodate", {"onCreate": True, "onUpdate": False}),
    Variant("autodate", {"onCreate": False, "onUpdate": True}),
    Variant("autodate", {"onCreate": True, "onUpdate": True}),
    Variant("select", {**SELECT_VALUES, "maxSelect": 1}),
    Variant("select", {**SELECT_VALUES, "maxSelect": 1, **REQ}, "b"),
    Variant("select", {**SELECT_VALUES, "maxSelect": 2}),
    Variant("select", {**SELECT_VALUES, "maxSelect": 3, **REQ}, ["b"]),
    Variant("json", {}),
    Variant("json", REQ, {"x": 1}),
    Variant("json", {"maxSize": 20}),
    Variant("relation", {"collectionId": TARGETS, "maxSelect": 1}),
    Variant("relation", {"collectionId": TARGETS, "maxSelect": 1, **REQ}, TARGET_IDS[2]),
    Variant("relation", {"collectionId": TARGETS, "maxSelect": 3}),
    Variant("relation", {"collectionId": TARGETS, "minSelect": 2, "maxSelect": 3}),
    Variant("relation", {"collectionId": TARGETS, "maxSelect": 3, **REQ}, [TARGET_IDS[2]]),
    Variant("password", {}),
    Variant("password", REQ, "secret1"),
    Variant("password", {"min": 3}),
    Variant("password", {"max": 5}),
    Variant("password", {"pattern": "^[a-z]+$"}),
    Variant("geoPoint", {}),
    Variant("geoPoint", REQ, {"lon": 1, "lat": 1}),
    Variant("file", {"maxSelect": 1}),
    Variant("file", {"maxSelect": 3}),
    Variant("file", {"maxSelect": 1, **REQ}, updatable=False),
]


# ---- encodings --------------------------------------------------------------------------


def form_parts(value: Any) -> list[str]:
    """How a value travels as multipart form parts: one part per list item, objects as JSON."""
    if isinstance(value, list):
        return [p for item in value for p in form_parts(item)] if value else [""]
    if value is None:
        return [""]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dict):
        return [json.dumps(value, separators=(",", ":"))]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return [str(int(value))]
    return [str(value)]


def body_of(value: Any, encoding: str) -> dict[str, Any]:
    """The request body for one value of ``v`` in ``encoding`` (json or form)."""
    if encoding == "json":
        return {} if value is ABSENT else {"v": value}
    return {} if value is ABSENT else {"v": form_parts(value)}


def request_for(method: str, path: str, value: Any, encoding: str, who: str) -> Request:
    """A create/update request carrying ``value`` for ``v``."""
    if encoding == "json":
        return Request(method, path, json=body_of(value, "json"), who=who)
    parts = body_of(value, "form").get("v", [])
    form = tuple(("v", part) for part in parts) or (("other", "x"),)
    return Request(method, path, form=form, who=who)


# ---- the cases --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FieldCase:
    """One write of one value class into one field variant."""

    name: str
    collection: str
    action: str  # create | update
    request: Request
    base: Any = ABSENT  # for updates: the stored value of the record updated
    generated: str = ""  # autogeneratePattern: random values are compared by this pattern

    def mask(self, answer: Answer) -> Answer:
        """The answer with a value generated from ``generated`` replaced by a placeholder."""
        body = answer.body
        if self.generated and isinstance(body, dict) and isinstance(body.get("v"), str):
            if re.fullmatch(self.generated, body["v"]):
                return Answer(answer.status, {**body, "v": "<generated>"})
        return answer


# (action, encoding, caller) combinations every value class is sent with
WRITES = (
    ("create", "json", "anon"),
    ("create", "json", "superuser"),
    ("create", "form", "anon"),
    ("update", "json", "anon"),
    ("update", "form", "superuser"),
)


def collection_name(index: int) -> str:
    """The collection of the variant at ``index``."""
    return f"f{index:02d}_{VARIANTS[index].type.lower()}"


def build_cases() -> list[FieldCase]:
    """Every variant x value class x write kind."""
    cases: list[FieldCase] = []
    for index, variant in enumerate(VARIANTS):
        col = collection_name(index)
        values = COMMON + TYPE_VALUES[variant.type]
        for label, value in values:
            for action, encoding, who in WRITES:
                if action == "update" and not variant.updatable:
                    continue
                name = f"{variant.label} {action} {encoding} as {who}: {label}"
                generated = variant.options.get("autogeneratePattern", "")
                if action == "create":
                    req = request_for("POST", f"/api/collections/{col}/records", value, encoding, who)
                    cases.append(FieldCase(name, col, action, req, generated=generated))
                else:
                    rid = f"upd{len(cases):012d}"
                    req = request_for("PATCH", f"/api/collections/{col}/records/{rid}", value, encoding, who)
                    cases.append(FieldCase(name, col, action, req, variant.valid, generated))
    return cases


def setup(pair: Pair) -> None:
    """The target collection of relations and one collection per variant, on both servers."""
    if not pair.first_time("fields"):
        return
    for target in pair.targets:
        target.ok("POST", "/api/collections", {"name": TARGETS, **PUBLIC, "fields": [{"name": "t", "type": "text"}]})
        for rid in TARGET_IDS:
            target.ok("POST", f"/api/collections/{TARGETS}/records", {"id": rid, "t": rid})
        targets_id = target.ok("GET", f"/api/collections/{TARGETS}")["id"]
        for index, variant in enumerate(VARIANTS):
            options = dict(variant.options)
            if options.get("collectionId") == TARGETS:
                options["collectionId"] = targets_id
            field = {"name": "v", "type": variant.type, **options}
            target.ok("POST", "/api/collections", {"name": collection_name(index), **PUBLIC, "fields": [field]})


def prepare(pair: Pair, case: FieldCase) -> None:
    """Create the record an update case changes (same id on both servers)."""
    if case.action != "update":
        return
    rid = case.request.path.rsplit("/", 1)[1]
    body: dict[str, Any] = {"id": rid}
    if case.base is not ABSENT:
        body["v"] = case.base
    pair.ok("POST", f"/api/collections/{case.collection}/records", body)
