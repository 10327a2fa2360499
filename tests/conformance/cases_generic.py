"""The generic 4xx answers: unknown routes and collections, wrong methods, bad bodies, bad ids
and bad tokens, on the records and collections routes (run on the query cases' data).
"""

from __future__ import annotations

import base64
import dataclasses

import orjson

from tests.conformance import cases_query
from tests.conformance.cases_query import RULE_PUBLIC
from tests.conformance.harness import Answer, Pair, Request

ITEMS = "g_items"
ITEM_ID = "fixgitem0000001"
RECORDS = f"/api/collections/{ITEMS}/records"
ONE = f"{RECORDS}/{ITEM_ID}"

JSON = "application/json"
BAD_BODIES: list[tuple[str, bytes, str | None]] = [
    ("unclosed object", b'{"title":', JSON),
    ("array", b"[1,2]", JSON),
    ("string", b'"x"', JSON),
    ("number", b"1", JSON),
    ("null", b"null", JSON),
    ("missing value", b'{"title":}', JSON),
    ("trailing comma", b'{"title":"x",}', JSON),
    ("nul word", b"nul", JSON),
    ("invalid utf-8", b'{"title":"\xff"}', JSON),
    ("empty", b"", JSON),
    ("spaces", b"   ", JSON),
    ("two objects", b'{"title":"a"}{"title":"b"}', JSON),
    ("wrong type title", b'{"title":{"x":1}}', JSON),
    ("json as text/plain", b'{"title":"x"}', "text/plain"),
    ("json without content type", b'{"title":"x"}', None),
    ("urlencoded", b"title=x&n=5", "application/x-www-form-urlencoded"),
    ("multipart without boundary", b"--x\r\n", "multipart/form-data"),
    ("multipart with a broken body", b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx", "multipart/form-data; boundary=b"),
    ("json with charset", b'{"title":"x"}', "application/json; charset=utf-8"),
    ("xml", b"<title>x</title>", "application/xml"),
    ("number past float64", b'{"n":1e999}', JSON),
    ("negative number past float64", b'{"meta":-1e999}', JSON),
    ("integer past float64", b'{"n":1' + b"0" * 400 + b"}", JSON),
    ("NaN", b'{"n":NaN}', JSON),
    ("Infinity", b'{"meta":Infinity}', JSON),
    ("big integer", b'{"n":123456789012345678901234567890}', JSON),
    # two equal names in an object (after their escapes) make a malformed body (Go's reader), in
    # a @jsonPayload part too; names differing in case, or in a value after the body's, do not
    ("repeated name", b'{"title":"a","title":"b"}', JSON),
    ("repeated name in a json value", b'{"meta":{"a":1,"a":2}}', JSON),
    ("repeated escaped name", b'{"meta":[{"b":{"a":1,"\\u0061":2}}]}', JSON),
    ("names differing in case", b'{"meta":{"a":1,"A":2}}', JSON),
    ("repeated name after the value", b'{"title":"x"} {"a":1,"a":2}', JSON),
    ("repeated name in a json payload", b'--b\r\nContent-Disposition: form-data; name="@jsonPayload"\r\n\r\n{"title":"a","title":"b"}\r\n--b--\r\n',
     "multipart/form-data; boundary=b"),
    # NOTE: last: PocketBase keeps this body and pybase refuses it (known.py), so the record
    # differs for the cases after it.
    ("deep nesting", b'{"meta":' + b"[" * 5000 + b"]" * 5000 + b"}", JSON),
]  # fmt: skip

ROUTES: list[tuple[str, str]] = [
    ("GET", "/api/nope"), ("GET", "/api/"), ("GET", "/api"), ("GET", "/api/collections/nope/records"),
    ("GET", "/api/collections/nope/records/x"), ("POST", "/api/collections/nope/records"),
    ("PATCH", "/api/collections/nope/records/x"), ("DELETE", "/api/collections/nope/records/x"),
    ("GET", f"{RECORDS}/"), ("GET", f"/api/collections/{ITEMS}/nope"), ("PUT", RECORDS), ("DELETE", RECORDS),
    ("PATCH", RECORDS), ("PUT", ONE), ("POST", ONE), ("POST", "/api/health"), ("PATCH", "/api/health"),
    ("GET", "/api/collections/nope"), ("DELETE", "/api/collections/nope"), ("PATCH", "/api/collections/nope"),
    ("GET", "/api/collections/nope/auth-methods"), ("GET", f"/api/collections/{ITEMS}/auth-methods"),
    ("POST", f"/api/collections/{ITEMS}/auth-with-password"), ("POST", "/api/collections/nope/auth-with-password"),
    ("GET", f"{RECORDS}/nope"), ("GET", f"{RECORDS}/a%20b"), ("GET", f"{RECORDS}/{'x' * 1000}"),
    ("GET", f"{RECORDS}/%C3%BC"), ("GET", f"{RECORDS}/%00"), ("GET", f"{RECORDS}/..%2Fx"),
    ("DELETE", f"{RECORDS}/nope"), ("PATCH", f"{RECORDS}/nope"), ("GET", f"{RECORDS}/{ITEM_ID.upper()}"),
    ("GET", "/api/collections/G_ITEMS/records"), ("HEAD", RECORDS), ("OPTIONS", RECORDS),
    ("GET", "/api/collections/_superusers/records"), ("GET", "/api/collections/_mfas/records"),
    ("GET", "/api/collections/_otps/records"), ("GET", "/api/collections/_externalAuths/records"),
    ("GET", "/api/collections/_authOrigins/records"), ("POST", "/api/collections/_superusers/records"),
    ("GET", "/api/collections"), ("POST", "/api/collections"), ("GET", "/api/collections/meta/scaffolds"),
    ("PUT", "/api/collections/import"), ("GET", "/api/health?x=1"),
]  # fmt: skip

WHO = ("anon", "user", "superuser", "forged", "garbage", "bearer")


@dataclasses.dataclass(frozen=True)
class GenericCase:
    """One request meant to fail (or to show how a route answers an odd call)."""

    name: str
    request: Request

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


def build_cases() -> list[GenericCase]:
    """Every route x caller, every bad body on create and update."""
    cases: list[GenericCase] = []
    for method, path in ROUTES:
        for who in WHO:
            cases.append(GenericCase(f"{method} {path[:60]} as {who}", Request(method, path, who=who)))
    for label, raw, content_type in BAD_BODIES:
        for method, path in (("POST", RECORDS), ("PATCH", ONE), ("POST", "/api/collections"), ("PATCH", f"/api/collections/{ITEMS}")):
            for who in ("anon", "superuser"):
                req = Request(method, path, raw=raw, content_type=content_type, who=who)
                cases.append(GenericCase(f"{method} {path} body {label} as {who}", req))
    return cases


def setup(pair: Pair) -> None:
    """A collection with one record, and tokens that must fail (forged, garbage, Bearer-prefixed)."""
    if not pair.first_time("generic"):
        return
    cases_query.setup(pair)  # the signed-in user
    fields = [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}, {"name": "meta", "type": "json"}]
    pair.ok("POST", "/api/collections", {"name": ITEMS, **RULE_PUBLIC, "fields": fields})
    pair.ok("POST", RECORDS, {"id": ITEM_ID, "title": "one"})
    for target in pair.targets:
        header, payload, _signature = target.tokens["superuser"].split(".")
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["exp"] = int(claims["exp"]) + 3600
        forged = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
        target.tokens["forged"] = f"{header}.{forged}.{_signature}"
        target.tokens["garbage"] = "not-a-token"
        target.tokens["bearer"] = "Bearer " + target.tokens["user"]
