"""Random valid filters and sorts answer the same on SQLite and on Postgres.

Two pybase servers hold the filter data set (tests/data/filter_cases.py: relations, back-
relations, multi-valued fields, JSON, dates, geo points) and the rule-guarded ``notes``; every
generated list request goes to both and must get the same status and the same ids in the same
order (each sort ends with ``@rowid``, so ties are ordered too). SQLite's answers are the
reference: they are PocketBase's (tests/conformance compares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.test_filter_fuzz import NOTE_IDENTIFIERS, OWNER_RULE, POST_IDENTIFIERS, filters
from tests.data.filter_cases import (
    NOTES,
    WHO,
    Client,
    build_dataset,
    build_notes,
    sqlite_and_postgres,
)
from tests.pg import postgres_only

pytestmark = postgres_only

POSTS = "/api/collections/posts/records"


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[tuple[Client, Client]]:
    """The data set on a SQLite pybase and on a Postgres pybase."""

    def build(server: Any) -> Client:
        client = build_dataset(server.base_url)
        build_notes(client)
        client.ok("PATCH", NOTES, json={"listRule": OWNER_RULE, "viewRule": OWNER_RULE})
        return client

    with sqlite_and_postgres(tmp_path_factory, databases, "parity", build) as clients:
        yield clients


def answer(client: Client, url: str, who: str, params: dict[str, str]) -> tuple[int, Any]:
    resp = client.request("GET", url, who=WHO[who], params={**params, "perPage": "200"})
    if resp.status_code != 200:
        return resp.status_code, None
    body = resp.json()
    return 200, ([item["id"] for item in body["items"]], body["totalItems"])


def sorts(identifiers: list[str]) -> st.SearchStrategy[str]:
    """Sort keys ending with @rowid (ties ordered the same way on both databases)."""
    key = st.tuples(st.sampled_from(["", "-"]), st.sampled_from(identifiers)).map("".join)
    return st.lists(key, max_size=3).map(lambda keys: ",".join([*keys, "@rowid"]))


# NOTE: every key a sort may name, multi-valued ones too (a relation's or back-relation's
# path, ":each", a geo point): a row with several items sorts by the one SQLite's joins meet
# first (store/dialect/pg_order.py), a geo point by its JSON text; and geoDistance
SORT_KEYS = [
    *(i for i in POST_IDENTIFIERS if not i.startswith("@") and i not in ("nope", "author.nope", "title.x")),
    "geoDistance(location.lon, location.lat, 23.3219, 42.6977)", "geoDistance(2.35, 48.85, location.lon, location.lat)",
]
# NOTE: derandomized: CI runs the same examples each time (a random run found the two sort
# differences named at SORT_KEYS, which then failed CI at random)
PARITY = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
callers = st.sampled_from(["su", "anon", "u1", "u2"])


@PARITY
@given(filter=filters(POST_IDENTIFIERS), sort=sorts(SORT_KEYS))
def test_post_filters_answer_as_on_sqlite(both: tuple[Client, Client], filter: str, sort: str) -> None:
    params = {"filter": filter, "sort": sort}
    sqlite, postgres = (answer(client, POSTS, "su", params) for client in both)
    assert postgres == sqlite, (filter, sort)


@PARITY
@given(who=callers, filter=filters(NOTE_IDENTIFIERS))
def test_rule_guarded_filters_answer_as_on_sqlite(both: tuple[Client, Client], who: str, filter: str) -> None:
    params = {"filter": filter, "sort": "@rowid", "expand": "owner,team"}
    sqlite, postgres = (answer(client, f"{NOTES}/records", who, params) for client in both)
    assert postgres == sqlite, (who, filter)


#: sorts through multi-valued paths under filters on the same paths: which item of a record
#: SQLite meets first depends on its plan (an automatic index on the joined table, read in its
#: columns' order; or the joined table scanned first, in insertion order, once a condition no
#: NULL passes makes the join an inner one)
MULTI_FILTERS = [
    "", "comments_via_post.likes > 0", "comments_via_post.likes >= 0", "comments_via_post.message != ''",
    "editors.name != 'x'", "tags.weight > 1", "comments_via_post.author.name != ''", "labels:each != 'z'",
    "reactions_via_posts.kind != ''", "author.posts_via_author.title != ''", "comments_via_post.message ~ 'i'",
]  # fmt: skip
MULTI_SORTS = [
    "comments_via_post.message", "-comments_via_post.message", "comments_via_post.likes", "-comments_via_post.likes",
    "-editors.name", "tags.name", "-tags.weight", "-comments_via_post.author.name", "-reactions_via_posts.kind",
    "reactions_via_posts.kind", "-author.posts_via_author.title", "-labels:each", "editors.team.name",
    "-editors.team.name", "comments_via_post.likes,-comments_via_post.message",
]  # fmt: skip


def test_multi_valued_sorts_under_filters_answer_as_on_sqlite(both: tuple[Client, Client]) -> None:
    wrong = []
    for filter in MULTI_FILTERS:
        for sort in MULTI_SORTS:
            params = {"filter": filter, "sort": f"{sort},@rowid"}
            sqlite, postgres = (answer(client, POSTS, "su", params) for client in both)
            if postgres != sqlite:
                wrong.append((filter, sort, sqlite, postgres))
    assert not wrong, "\n".join(map(str, wrong))
