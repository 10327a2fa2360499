"""Long values under an index, against PocketBase 0.40.6, on both databases (issue #17).

SQLite's index holds a value of any length; a Postgres btree row at most 2,704 bytes. Each case
makes a collection with an index on both servers, then sends the same writes and reads: a
record with a long value created, the same value again (a unique index refuses it), a value
that differs only at its end, a lookup by the long value, a sort, an update to another long
value, a short value's lookup. An auth collection's system indexes (email, tokenKey) too.
Every answer must be PocketBase's (pybase.store.index_long_keys).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import string
from typing import Any
from urllib.parse import quote

import pytest

from tests.conformance.harness import Pair, Request, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

_letters = random.Random(62)
#: random letters do not compress: 3,200 bytes overflow a btree row (and fit a filter: 3,500 characters at most)
LONG = "".join(_letters.choices(string.ascii_letters, k=3200))
#: LONG but its last letter
NEAR = LONG[:-1] + ("a" if LONG[-1] != "a" else "b")
#: 1,500 bytes: two overflow one row of a two-column index
HALF = "".join(_letters.choices(string.ascii_letters, k=1500))
#: past 8,191 bytes (Postgres refuses such an index row before the btree's check)
HUGE = "".join(_letters.choices(string.ascii_letters, k=9000))
WIDE = "é" * 1500  # 3,000 bytes in 1,500 characters
FIELDS = [{"name": "title", "type": "text", "max": 20000}, {"name": "note", "type": "text", "max": 20000},
          {"name": "short", "type": "text", "max": 600}, {"name": "n", "type": "number"},
          {"name": "meta", "type": "json"}, {"name": "body", "type": "editor"}]  # fmt: skip
_numbers = itertools.count()


@dataclasses.dataclass(frozen=True)
class Case:
    """``index`` (``{c}`` the collection) and the values of ``key`` written: ``first``, then
    ``again`` (a second record), then ``update`` (the first record's new value)."""

    name: str
    index: str
    key: str
    first: Any
    again: Any
    update: Any
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


CASES = [
    Case("plain", "CREATE INDEX idx_{c} ON {c} (title)", "title", LONG, LONG, NEAR),
    Case("unique", "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title", LONG, LONG, NEAR),
    Case("unique, differs at the end", "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title", LONG, NEAR, LONG),
    Case("unique nocase", "CREATE UNIQUE INDEX idx_{c} ON {c} (title COLLATE NOCASE)", "title", LONG, LONG.upper(), LONG.lower()),
    Case("unique partial", "CREATE UNIQUE INDEX idx_{c} ON {c} (title) WHERE title != ''", "title", LONG, LONG, ""),
    Case("unique two columns", "CREATE UNIQUE INDEX idx_{c} ON {c} (n, title)", "title", LONG, LONG, NEAR, {"n": 1}),
    Case("unique two long columns", "CREATE UNIQUE INDEX idx_{c} ON {c} (title, note)", "title", HALF, HALF, HALF + "x", {"note": HALF}),
    Case("two columns, number first", "CREATE INDEX idx_{c} ON {c} (n, title)", "title", LONG, LONG, NEAR, {"n": 2}),
    Case("unique multibyte", "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title", WIDE, WIDE, WIDE + "e"),
    Case("unique past 8,191 bytes", "CREATE UNIQUE INDEX idx_{c} ON {c} (title)", "title", HUGE, HUGE, HUGE[1:]),
    Case("unique json", "CREATE UNIQUE INDEX idx_{c} ON {c} (meta)", "meta", {"k": LONG}, {"k": LONG}, {"k": NEAR}),
    Case("unique editor", "CREATE UNIQUE INDEX idx_{c} ON {c} (body)", "body", LONG, LONG, NEAR),
    Case("expression", "CREATE INDEX idx_{c} ON {c} (lower(title))", "title", LONG, LONG, NEAR),
    Case("unique expression", "CREATE UNIQUE INDEX idx_{c} ON {c} (substr(title, 2))", "title", LONG, LONG, NEAR),
    Case("bounded field keeps short values", "CREATE UNIQUE INDEX idx_{c} ON {c} (short)", "short", "a" * 600, "a" * 600, "b" * 600),
]  # fmt: skip


def _value_filter(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return quote(f'{key}.k = "{value["k"]}"')
    return quote(f'{key} = "{value}"')


def _steps(name: str, case: Case, first_id: str) -> list[tuple[str, Request]]:
    records = f"/api/collections/{name}/records"
    sort = "title" if case.key != "meta" else "meta"
    return [
        ("again", Request("POST", records, json={case.key: case.again, **case.extra})),
        ("lookup first", Request("GET", f"{records}?filter={_value_filter(case.key, case.first)}&fields=id")),
        ("sorted", Request("GET", f"{records}?sort=-{sort},id&fields=id")),
        ("update", Request("PATCH", f"{records}/{first_id}", json={case.key: case.update}, who="superuser")),
        ("lookup update", Request("GET", f"{records}?filter={_value_filter(case.key, case.update)}&fields=id")),
        ("lookup short", Request("GET", f"{records}?filter={_value_filter(case.key, 'x' if case.key != 'meta' else {'k': 'x'})}&fields=id")),
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_long_values_under_an_index(pair: Pair, case: Case) -> None:
    name = f"longidx{next(_numbers)}"
    body = {"name": name, "fields": FIELDS, "indexes": [case.index.format(c=name)], "listRule": "", "viewRule": "", "createRule": ""}
    pair.ok("POST", "/api/collections", body)
    first = Request("POST", f"/api/collections/{name}/records", json={case.key: case.first, **case.extra})
    answers = [("first", *pair.ask(first))]
    ids = [target.ok("GET", f"/api/collections/{name}/records?perPage=1")["items"] for target in pair.targets]
    if ids[0] and ids[1]:
        # NOTE: the first record's id on each server, the same placeholder in both requests
        for label, req in _steps(name, case, "{id}"):
            pb = pair.pb.ask(dataclasses.replace(req, path=req.path.replace("{id}", ids[0][0]["id"])))
            py = pair.py.ask(dataclasses.replace(req, path=req.path.replace("{id}", ids[1][0]["id"])))
            answers.append((label, pb, py))
            if label == "lookup first" and len(str(case.first)) < 3400:
                assert pb.status == 200 and pb.body["items"], f"PocketBase: {pb}"  # NOTE: the case finds what it wrote
    diffs = [f"{label}:{diff}" for label, pb, py in answers if (diff := difference(pb, py))]
    explain(f"long index {case.name}", answers[0][1], answers[0][2], "\n".join(diffs) or None)


#: random letters, no compression (3,000 repeated letters fit a btree row compressed)
EMAIL = HALF + HALF.lower() + "@example.com"
AUTH_CASES = [
    ("long email", {"email": EMAIL}),
    ("long email, other case", {"email": EMAIL.swapcase()}),
    ("long email again", {"email": EMAIL}),
    ("long username", {"username": LONG}),
    ("long username again", {"username": LONG}),
]


def test_long_values_under_an_auth_collections_indexes(pair: Pair) -> None:
    """The system unique index on email (and a user's on a text field), then signing in by it."""
    name = f"longauth{next(_numbers)}"
    pair.ok("POST", "/api/collections", {
        "name": name, "type": "auth", "createRule": "", "fields": [{"name": "username", "type": "text", "max": 5000}],
        "indexes": [f"CREATE UNIQUE INDEX idx_{name}_username ON {name} (username) WHERE username != ''"],
        "passwordAuth": {"enabled": True, "identityFields": ["email", "username"]},
    })  # fmt: skip
    answers = []
    for number, (label, values) in enumerate(AUTH_CASES):
        email = values.get("email", f"user{number}@example.com")
        body = {"password": "1234567890", "passwordConfirm": "1234567890", **values, "email": email}
        answers.append((label, *pair.ask(Request("POST", f"/api/collections/{name}/records", json=body, who="anon"))))
    for label, identity in (("sign in by a long email", EMAIL), ("sign in by a long username", LONG)):
        req = Request("POST", f"/api/collections/{name}/auth-with-password", json={"identity": identity, "password": "1234567890"}, who="anon")
        pb, py = pair.ask(req)
        answers.append((label, *(_signed_in(a) for a in (pb, py))))
    diffs = [f"{label}:{diff}" for label, pb, py in answers if (diff := difference(pb, py))]
    assert not diffs, "\n".join(diffs)


def _signed_in(answer: Any) -> Any:
    """A sign-in's status and the signed-in record's email (the token is a JWT either way)."""
    body = answer.body
    return dataclasses.replace(answer, body=body.get("record", {}).get("email") if answer.status == 200 else body)
