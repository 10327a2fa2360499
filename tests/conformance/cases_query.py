"""List and view query parameters generated from tables: sort, fields, expand, filter, page,
perPage and skipTotal, each with valid, invalid and hostile values, for every kind of caller.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from tests.conformance.harness import Answer, Pair, Request

AUTHORS, POSTS = "q_authors", "q_posts"
A1, A2 = "fixauthor000001", "fixauthor000002"
U1 = "fixuser00000001"
USER_EMAIL, USER_PASSWORD = "quser@example.com", "1234567890"
POST_IDS = [f"fixpost00000{i:03d}" for i in range(1, 8)]
RULE_PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}

CALLERS = ("anon", "user", "superuser")

SORTS = [
    "", "title", "-n", "+title,-n", "@rowid", "-@rowid", "rel.name", "-rel.name,title", "rel", "meta.k",
    "hidden", "created", "-updated", "id", "tags", "tags:length", "title:lower", "b,-n,title",
    ",", "-", "+", "title,", ",title", "nope", "title desc", "title; DROP TABLE users", "title)", "'title'",
    "rel.nope", "@request.auth.id", "@collection.q_authors.name", "1", "null", "NULL", "true", "x" * 300,
    "a,b,c,d,e,f,g,h,i", "title,n,b,d,id,created,updated,rel", "title,n,b,d,id,created,updated,rel,tags",
    "ünï", " title ", "TITLE", "q_posts_via_rel", "rel.q_posts_via_rel.title", "@random,", "--n", "-+n",
]  # fmt: skip

FIELDS = [
    "", "*", "id", "id,title", "title:excerpt(5)", "title:excerpt(5,true)", "title:excerpt(5, false)",
    "title:excerpt(x)", "title:excerpt(10,abc)", "title:excerpt()", "title:excerpt(0)", "title;x", "a,,b", ",",
    "expand.rel.name", "expand.*", "*,expand.rel.name", "expand.rel.*", "title:unknown", "id,id", " id ", "ID",
    "ünï", "x" * 1000, "hidden", "meta.k", "expand", "expand.rel", "*,expand", "title:excerpt(5,true),id",
    "id:excerpt(3)", "n:excerpt(2)", "tags:excerpt(1)", "*:excerpt(2)", "expand.rel.name:excerpt(2,true)",
]  # fmt: skip

EXPANDS = [
    "", "rel", "rel,rel", "nope", "rel.nope", "rel.name", "q_posts_via_rel", "rel.q_posts_via_rel",
    "rel.q_posts_via_rel.rel", "rel.", ",", " rel ", "Rel", "rel,nope", "owner", "x" * 500,
    "a.b.c.d.e.f.g", "rel.q_posts_via_rel.rel.q_posts_via_rel.rel.q_posts_via_rel.rel",
]  # fmt: skip

FILTERS = [
    "", "title='a'", "n>1", "n>", "title ~ 'o'", "nope=1", "(", "hidden='h1'", "@request.auth.id != ''",
    "@collection.q_authors.name='Ann'", "1=1", "title = null", "tags ?= 'a'", "tags = 'a'", "rel.name = 'Ann'",
    "rel.name ?= 'Ann'", "q_posts_via_rel.id != ''", "meta.k > 1", "b = true", "d > '2024-01-01'",
    "d > @now", "created > @yesterday", "title:lower = 'first'", "tags:length > 1", "title = 'it''s'",
    "title = \"x\"", "title='a' || n>3 && b=false", "((n>1))", "n>1)", "'a'='a'", "n = '5'", "n ~ 5",
    "title !~ 'o'", "title ?~ 'o'", "id = @request.auth.id", "@request.query.x = ''", "x" * 4000,
    "title = 'a'; DROP TABLE users", "n > 1 --", "/* */ n > 1", "strftime('%Y', created) = '2026'",
    "geoDistance(0,0,0,0) < 1", "title = 'ünï'", "n >= 0 && n <= 3", "n in (1,2)", "rel = ''", "rel != ''",
    "title = '\x00'", "title ~ '\x00'", "title = 'a\x00b' || n > 0",
]  # fmt: skip

PAGES = ["", "1", "2", "0", "-1", "abc", "1.5", "999999", " 1", "1e2", "2147483648", "0x1"]
PER_PAGES = ["", "1", "2", "0", "-1", "500", "501", "1000", "abc", "1.5", "3"]
SKIP_TOTALS = ["", "1", "0", "true", "false", "abc", "t", "TRUE", "yes", "f", "2"]


@dataclasses.dataclass(frozen=True)
class QueryCase:
    """One list or view request with some query parameters, by one caller."""

    name: str
    request: Request
    random_order: bool = False

    def mask(self, answer: Answer) -> Answer:
        """Items in a random order are compared as a set (sorted by id)."""
        body = answer.body
        if self.random_order and isinstance(body, dict) and isinstance(body.get("items"), list):
            items = sorted(body["items"], key=lambda item: str(item.get("id", "")))
            return Answer(answer.status, {**body, "items": items})
        return answer


def _list(params: dict[str, str]) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"/api/collections/{POSTS}/records" + (f"?{query}" if query else "")


def _view(params: dict[str, str]) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"/api/collections/{POSTS}/records/{POST_IDS[0]}" + (f"?{query}" if query else "")


def build_cases() -> list[QueryCase]:
    """Every parameter x value class x caller, on the list (and the view where it applies)."""
    cases: list[QueryCase] = []
    tables: list[tuple[str, list[str], bool]] = [
        ("sort", SORTS, False), ("fields", FIELDS, True), ("expand", EXPANDS, True), ("filter", FILTERS, False),
        ("page", PAGES, False), ("perPage", PER_PAGES, False), ("skipTotal", SKIP_TOTALS, False),
    ]  # fmt: skip
    for param, values, on_view in tables:
        for value in values:
            for who in CALLERS:
                label = value if len(value) <= 40 else value[:37] + "..."
                params = {param: value, "sort": "title"} if param != "sort" else {param: value}
                random = "@random" in value
                cases.append(QueryCase(f"list {param}={label!r} as {who}", Request("GET", _list(params), who=who), random))
                if on_view:
                    cases.append(QueryCase(f"view {param}={label!r} as {who}", Request("GET", _view({param: value}), who=who)))
    for page in PAGES:
        for per_page in PER_PAGES:
            params = {"page": page, "perPage": per_page, "sort": "title"}
            cases.append(QueryCase(f"list page={page!r} perPage={per_page!r}", Request("GET", _list(params), who="anon")))
    for expand in ("rel", "q_posts_via_rel", "rel.q_posts_via_rel"):
        for fields in ("*,expand.rel.name", "id,expand", "expand.rel.id", "id"):
            for who in CALLERS:
                req = Request("GET", _list({"expand": expand, "fields": fields, "sort": "title"}), who=who)
                cases.append(QueryCase(f"list expand={expand!r} fields={fields!r} as {who}", req))
    cases.append(QueryCase("list sort=@random as anon", Request("GET", _list({"sort": "@random"}), who="anon"), True))
    return cases


def _collections(authors_id: str) -> list[dict[str, Any]]:
    return [{
        "name": POSTS, **RULE_PUBLIC,
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "n", "type": "number"},
            {"name": "b", "type": "bool"},
            {"name": "d", "type": "date"},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {"name": "rel", "type": "relation", "collectionId": authors_id, "maxSelect": 1},
            {"name": "meta", "type": "json"},
            {"name": "hidden", "type": "text", "hidden": True},
            {"name": "created", "type": "autodate", "onCreate": True},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
    }]  # fmt: skip


POSTS_DATA: list[dict[str, Any]] = [
    {"title": "first", "n": 1, "b": True, "d": "2024-05-01 00:00:00.000Z", "tags": ["a"], "rel": A1, "meta": {"k": 1}, "hidden": "h1"},
    {"title": "second", "n": 2, "b": False, "d": "2023-05-01 00:00:00.000Z", "tags": ["a", "b"], "rel": A2, "meta": {"k": 2}},
    {"title": "third one", "n": 3, "b": True, "tags": [], "rel": A1, "meta": None, "hidden": "h3"},
    {"title": "it's", "n": 5, "b": False, "d": "2025-01-01 10:00:00.000Z", "tags": ["c"], "meta": [1, 2]},
    {"title": "ünï", "n": 0, "b": False, "tags": ["a", "b", "c"], "rel": A2, "meta": "text"},
    {"title": "Zeta", "n": -1.5, "b": True, "meta": {"k": 3, "deep": {"x": 1}}},
    {"title": "", "n": 4, "b": False, "rel": A1},
]  # fmt: skip


def setup(pair: Pair) -> None:
    """Authors, posts and one user, with the same ids on both servers; the user signed in."""
    if not pair.first_time("query"):
        return
    for target in pair.targets:
        target.ok("POST", "/api/collections", {"name": AUTHORS, **RULE_PUBLIC, "fields": [{"name": "name", "type": "text"}]})
        authors_id = target.ok("GET", f"/api/collections/{AUTHORS}")["id"]
        for data in _collections(authors_id):
            target.ok("POST", "/api/collections", data)
        for rid, name in ((A1, "Ann"), (A2, "Bob")):
            target.ok("POST", f"/api/collections/{AUTHORS}/records", {"id": rid, "name": name})
        for rid, data in zip(POST_IDS, POSTS_DATA, strict=True):
            target.ok("POST", f"/api/collections/{POSTS}/records", {"id": rid, **data})
        user = {"id": U1, "email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}
        target.ok("POST", "/api/collections/users/records", user)
        target.login("user", "users", USER_EMAIL, USER_PASSWORD)
