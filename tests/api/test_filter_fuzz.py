"""Fuzzing the query parameters: random text and random valid filters through the list API.

Whatever ``filter``, ``sort``, ``fields`` and ``expand`` hold, the answer is never a 500, a
refused filter is a 400/403 with PocketBase's error shape, and a list never returns a row its
listRule hides from the caller (``notes`` lets a user see only the notes it owns). On SQLite
and on Postgres.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybase.tools import picker
from tests import testapp
from tests.data.filter_cases import (
    N1,
    N2,
    N3,
    NOTES,
    WHO,
    Client,
    add_superuser,
    build_dataset,
    build_notes,
)

pytestmark = pytest.mark.both_backends

POSTS = "/api/collections/posts/records"
OWNER_RULE = "owner = @request.auth.id"
# What each caller may see in notes under OWNER_RULE (anonymous: the ownerless note).
VISIBLE_NOTES = {"anon": {N3}, "u1": {N1}, "u2": {N2}, "su": {N1, N2, N3}}
ERROR_KEYS = {"data", "message", "status"}

POST_IDENTIFIERS = [
    "id", "title", "views", "score", "published", "status", "labels", "meta", "author", "editors", "tags",
    "team", "publishedAt", "secret", "location", "title:lower", "labels:each", "labels:length",
    "status:each", "editors:each", "editors:length", "tags:length", "meta.k", "meta.arr.0", "meta.nested.deep",
    "location.lon", "location.lat", "author.name", "author.id", "author.email", "author.pin", "author.team.name",
    "author.team.rank", "editors.name", "editors.team.name", "tags.name", "tags.weight", "team.rank",
    "comments_via_post.message", "comments_via_post.likes", "comments_via_post.author.name",
    "reactions_via_posts.kind", "author.posts_via_author.title", "@collection.tags.name",
    "@collection.comments:c.likes", "@request.auth.id", "@request.auth.email", "@request.method",
    "@request.context", "@request.query.perPage", "@request.headers.user_agent", "@request.body.title",
    "@request.body.title:isset", "@now", "@todayStart", "@year", "nope", "author.nope", "title.x",
]  # fmt: skip
NOTE_IDENTIFIERS = [
    "id", "title", "owner", "tags", "team", "count", "tags:each", "tags:length", "title:lower", "owner.name",
    "owner.email", "owner.team.name", "owner.pin", "team.name", "team.users_via_team.name", "@request.auth.id",
    "@collection.notes.title", "nope",
]  # fmt: skip
OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"]

text_literal = st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
number_literal = st.one_of(st.integers(-2000, 2000), st.floats(-1e6, 1e6, allow_nan=False)).map(str)
keyword = st.sampled_from(["null", "true", "false", "NULL", "TRUE"])


def operands(identifiers: list[str]) -> st.SearchStrategy[str]:
    """Identifiers, literals and the two functions."""
    identifier = st.sampled_from(identifiers)
    plain = st.one_of(identifier, text_literal, number_literal, keyword)
    geo = st.tuples(plain, plain, number_literal, number_literal).map(lambda a: f"geoDistance({', '.join(a)})")
    strftime = st.tuples(st.sampled_from(["'%Y'", "'%Y-%m-%d'", "'%H'"]), plain).map(
        lambda a: f"strftime({a[0]}, {a[1]})"
    )
    return st.one_of(identifier, identifier, plain, geo, strftime)


def filters(identifiers: list[str]) -> st.SearchStrategy[str]:
    """Syntactically valid filters: comparisons joined by && / || with parentheses."""
    operand = operands(identifiers)
    comparison = st.tuples(operand, st.sampled_from(OPERATORS), operand).map(" ".join)
    return st.recursive(
        comparison,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(" ".join),
            inner.map(lambda text: f"({text})"),
        ),
        max_leaves=6,
    )


def sorts(identifiers: list[str]) -> st.SearchStrategy[str]:
    """Comma lists of (possibly signed) identifiers, ``@random`` and ``@rowid``."""
    key = st.tuples(st.sampled_from(["", "-", "+"]), st.sampled_from([*identifiers, "@random", "@rowid"]))
    return st.lists(key.map("".join), max_size=4).map(",".join)


RELATIONS = [
    "author", "editors", "tags", "team", "author.team", "editors.team", "comments_via_post", "comments_via_post.author",
    "reactions_via_posts", "locked_via_post", "author.posts_via_author.tags", "nope", "title", "a.b.c.d.e.f.g.h",
]  # fmt: skip
expands = st.lists(st.sampled_from(RELATIONS), max_size=4).map(",".join)
fields_params = st.lists(
    st.sampled_from(["*", "id", "title", "expand", "expand.author.name", "expand.*", "title:excerpt(5,true)",
                     "body:excerpt(3)", "nope", "expand.editors.team"]),
    max_size=4,
).map(",".join)  # fmt: skip
junk = st.text(max_size=40)
callers = st.sampled_from(["su", "anon", "u1", "u2"])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory, backend: str, databases: Any) -> Iterator[Client]:
    """The filter data set plus ``notes`` guarded by OWNER_RULE for list and view."""
    url = databases.new(backend)
    server = testapp.start_server(tmp_path_factory.mktemp("fuzz"), None, url)
    try:
        add_superuser(server)
        client = build_dataset(server.base_url)
        build_notes(client)
        client.ok("PATCH", NOTES, json={"listRule": OWNER_RULE, "viewRule": OWNER_RULE})
        yield client
    finally:
        server.stop()
        databases.drop(url)


def list_records(client: Client, url: str, who: str, **params: str) -> Any:
    """GET a list; asserts the answer is a list or a well-formed 400/403."""
    resp = client.request("GET", url, who=WHO[who], params={k: v for k, v in params.items() if v is not None})
    assert resp.status_code < 500, resp.text[:500]
    if resp.status_code != 200:
        assert resp.status_code in (400, 403), resp.text[:500]
        assert set(resp.json()) == ERROR_KEYS
        return None
    return resp.json()


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(who=callers, filter=junk, sort=junk, fields=junk, expand=junk)
def test_random_text_never_fails(dataset: Client, who: str, filter: str, sort: str, fields: str, expand: str) -> None:
    list_records(dataset, POSTS, who, filter=filter, sort=sort, fields=fields, expand=expand)
    resp = dataset.request("GET", f"{POSTS}/post00000000001", who=WHO[who], params={"fields": fields, "expand": expand})
    try:
        picker.parse_fields(fields)
    except picker.FieldsError:
        assert resp.status_code == 400, resp.text[:300]  # as PocketBase: a bad modifier is a 400
    else:
        assert resp.status_code == 200, resp.text[:300]


@FUZZ
@given(filter=filters(POST_IDENTIFIERS), sort=sorts(POST_IDENTIFIERS), expand=expands, fields=fields_params)
def test_valid_filters_never_fail(dataset: Client, filter: str, sort: str, expand: str, fields: str) -> None:
    body = list_records(dataset, POSTS, "su", filter=filter, sort=sort, expand=expand, fields=fields)
    if body is not None:
        assert body["totalItems"] >= len(body["items"])


@FUZZ
@given(who=callers, filter=filters(NOTE_IDENTIFIERS), sort=sorts(NOTE_IDENTIFIERS))
def test_filters_never_show_what_the_list_rule_hides(dataset: Client, who: str, filter: str, sort: str) -> None:
    body = list_records(dataset, f"{NOTES}/records", who, filter=filter, sort=sort, expand="owner,team", perPage="100")
    if body is None:
        return
    ids = [item["id"] for item in body["items"]]
    assert set(ids) <= VISIBLE_NOTES[who], (filter, ids)
    assert len(ids) == len(set(ids)) == body["totalItems"]
    for item in body["items"]:
        owner = item.get("expand", {}).get("owner")
        # NOTE: users' own viewRule lets a user expand only itself.
        assert owner is None or who == "su" or owner["id"] == WHO[who]


@pytest.mark.parametrize(
    "text",
    [
        "title = \"x' OR 1=1 --\"",
        'title = "\\" OR 1=1 --"',
        "title ~ \"%' OR '1'='1\"",
        "meta.k = \"1); DROP TABLE posts; --\"",
        '@request.query.q = title',
    ],
)
def test_values_are_never_sql(dataset: Client, text: str) -> None:
    body = list_records(dataset, POSTS, "su", filter=text, q="x' OR 1=1 --")
    assert body is not None and body["items"] == []
    assert list_records(dataset, POSTS, "su")["totalItems"] == 6
