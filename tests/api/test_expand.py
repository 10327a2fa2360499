"""``expand``: nested paths, multi and back-relations, each expanded record behind its viewRule.

Cases run on the filter table's data set. Each response is summarised as a tree of record
names: a record without an ``expand`` key is its name (``"U1"``), one with it a dict
``{"@": name, <relation>: <summary or list>}``. The expectations were compared with
PocketBase 0.40.6 (set ``PYBASE_PB_BINARY`` to compare whole responses again).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import testapp
from tests.data.filter_cases import (
    NAMES,
    P1,
    WHO,
    Client,
    add_superuser,
    build_dataset,
    pocketbase_binary,
    run_pocketbase,
)

pytestmark = pytest.mark.both_backends

POSTS = "/api/collections/posts/records"
ID_NAMES = {v: k for k, v in NAMES.items()} | {"locked000000001": "L1"}
NEW_COMMENT = "newcomment00001"


def summary(record: dict[str, Any]) -> Any:
    """A record as its name, or with its expand tree when the ``expand`` key is present."""
    name = ID_NAMES.get(record["id"], record["id"])
    if "expand" not in record:
        return name
    out: dict[str, Any] = {"@": name}
    for key, value in sorted(record["expand"].items()):
        out[key] = [summary(item) for item in value] if isinstance(value, list) else summary(value)
    return out


def summarise(body: dict[str, Any]) -> Any:
    """A list response as a list of record summaries, a record as its summary."""
    return [summary(item) for item in body["items"]] if "items" in body else summary(body)


P1_URL = f"{POSTS}/{P1}"
FULL = "expand=author.team,editors,tags,team,comments_via_post.author&sort=@rowid"
DEEP = "expand=post.comments_via_post.post.comments_via_post.post.comments_via_post.post&sort=@rowid"
C1_P1 = {"@": "C1", "post": {"@": "P1", "comments_via_post": ["C1", "C2"]}}
C2_P1 = {"@": "C2", "post": {"@": "P1", "comments_via_post": ["C1", "C2"]}}
P1_DEEP = {"@": "P1", "comments_via_post": [{"@": "C1", "post": {"@": "P1", "comments_via_post": [C1_P1, C2_P1]}},
                                            {"@": "C2", "post": {"@": "P1", "comments_via_post": [C1_P1, C2_P1]}}]}
P2_DEEP = {"@": "P2", "comments_via_post": [{"@": "C3", "post": {"@": "P2", "comments_via_post": [
    {"@": "C3", "post": {"@": "P2", "comments_via_post": ["C3"]}}]}}]}
P4_DEEP = {"@": "P4", "comments_via_post": [{"@": "C4", "post": {"@": "P4", "comments_via_post": [
    {"@": "C4", "post": {"@": "P4", "comments_via_post": ["C4"]}}]}}]}

CASES: list[tuple[str, str, Any]] = [
    ("su", f"{P1_URL}?expand=nope", "P1"),
    ("su", f"{P1_URL}?expand=author,team.nope", {"@": "P1", "author": "U1"}),
    ("su", f"{P1_URL}?expand=comments_via_post", {"@": "P1", "comments_via_post": ["C1", "C2"]}),
    ("su", f"{P1_URL}?expand=reactions_via_posts", {"@": "P1", "reactions_via_posts": ["R1", "R2"]}),
    ("su", f"{P1_URL}?expand=comments(post)", {"@": "P1", "comments(post)": ["C1", "C2"]}),
    ("anon", f"{P1_URL}?expand=author,editors", {"@": "P1"}),
    ("u2", f"{P1_URL}?expand=author,editors", {"@": "P1", "editors": ["U2"]}),
    ("u1", f"{P1_URL}?expand=author,editors,team,tags",
     {"@": "P1", "author": "U1", "editors": ["U1"], "tags": ["A", "B"], "team": "RED"}),
    ("su", "/api/collections/posts/records/post00000000003?expand=author,editors,team", {"@": "P3"}),
    ("su", "/api/collections/comments/records/comment00000001?expand=post.author.team,post.tags",
     {"@": "C1", "post": {"@": "P1", "author": {"@": "U1", "team": "RED"}, "tags": ["A", "B"]}}),
    ("su", "/api/collections/comments/records/comment00000001?expand=post.author.team,post.author.comments_via_author",
     {"@": "C1", "post": {"@": "P1", "author": {"@": "U1", "comments_via_author": ["C1", "C3"], "team": "RED"}}}),
    ("su", f"/api/collections/comments/records?{DEEP}", [
        {"@": "C1", "post": P1_DEEP}, {"@": "C2", "post": P1_DEEP},
        {"@": "C3", "post": P2_DEEP}, {"@": "C4", "post": P4_DEEP}]),
    ("su", f"{POSTS}?{FULL}", [
        {"@": "P1", "author": {"@": "U1", "team": "RED"}, "comments_via_post": [{"@": "C1", "author": "U1"},
         {"@": "C2", "author": "U2"}], "editors": ["U1", "U2"], "tags": ["A", "B"], "team": "RED"},
        {"@": "P2", "author": {"@": "U2", "team": "BLUE"}, "comments_via_post": [{"@": "C3", "author": "U1"}],
         "editors": ["U2"], "tags": ["C"], "team": "BLUE"},
        {"@": "P3"},
        {"@": "P4", "author": {"@": "U1", "team": "RED"}, "comments_via_post": [{"@": "C4", "author": "U3"}],
         "editors": ["U3"], "tags": ["A"], "team": "RED"},
        {"@": "P5", "author": {"@": "U3"}, "editors": ["U1", "U2", "U3"], "tags": ["A", "B", "C"], "team": "EMPTY"},
        {"@": "P6", "author": {"@": "U2", "team": "BLUE"}, "editors": ["U1"], "tags": ["B"]}]),
    ("anon", f"{POSTS}?{FULL}", [
        {"@": "P1", "comments_via_post": [{"@": "C1"}, {"@": "C2"}], "tags": ["A", "B"], "team": "RED"},
        {"@": "P2", "comments_via_post": [{"@": "C3"}], "tags": ["C"], "team": "BLUE"},
        {"@": "P3"},
        {"@": "P4", "comments_via_post": [{"@": "C4"}], "tags": ["A"], "team": "RED"},
        {"@": "P5", "tags": ["A", "B", "C"], "team": "EMPTY"},
        {"@": "P6", "tags": ["B"]}]),
    ("u1", f"{POSTS}?{FULL}", [
        {"@": "P1", "author": {"@": "U1", "team": "RED"}, "comments_via_post": [{"@": "C1", "author": "U1"},
         {"@": "C2"}], "editors": ["U1"], "tags": ["A", "B"], "team": "RED"},
        {"@": "P2", "comments_via_post": [{"@": "C3", "author": "U1"}], "tags": ["C"], "team": "BLUE"},
        {"@": "P3"},
        {"@": "P4", "author": {"@": "U1", "team": "RED"}, "comments_via_post": [{"@": "C4"}], "tags": ["A"],
         "team": "RED"},
        {"@": "P5", "editors": ["U1"], "tags": ["A", "B", "C"], "team": "EMPTY"},
        {"@": "P6", "editors": ["U1"], "tags": ["B"]}]),
    ("su", f"{POSTS}?expand= author , ,tags.&sort=@rowid", [
        {"@": "P1", "author": "U1", "tags": ["A", "B"]}, {"@": "P2", "author": "U2", "tags": ["C"]}, {"@": "P3"},
        {"@": "P4", "author": "U1", "tags": ["A"]}, {"@": "P5", "author": "U3", "tags": ["A", "B", "C"]},
        {"@": "P6", "author": "U2", "tags": ["B"]}]),
    ("su", "/api/collections/teams/records?expand=users_via_team&sort=@rowid",
     [{"@": "RED", "users_via_team": ["U1"]}, {"@": "BLUE", "users_via_team": ["U2"]}, {"@": "EMPTY"}]),
    ("u1", "/api/collections/teams/records?expand=users_via_team&sort=@rowid",
     [{"@": "RED", "users_via_team": ["U1"]}, {"@": "BLUE"}, {"@": "EMPTY"}]),
    ("su", f"{P1_URL}?expand=editors.team,editors",
     {"@": "P1", "editors": [{"@": "U1", "team": "RED"}, {"@": "U2", "team": "BLUE"}]}),
    ("su", "/api/collections/locked/records?expand=post.author", [{"@": "L1", "post": {"@": "P1", "author": "U1"}}]),
]  # fmt: skip

# NOTE: PocketBase prints no "expand" key when every requested path failed.
NO_EXPAND_KEY_CASES: list[tuple[str, str, Any]] = [
    ("su", f"{P1_URL}?expand=author.nope", "P1"),
    ("anon", f"{P1_URL}?expand=locked_via_post", "P1"),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory, backend: str, databases: Any) -> Iterator[Client]:
    """A pybase with the filter data set."""
    url = databases.new(backend)
    server = testapp.start_server(tmp_path_factory.mktemp("expand"), None, url)
    try:
        add_superuser(server)
        yield build_dataset(server.base_url)
    finally:
        server.stop()
        databases.drop(url)


@pytest.mark.parametrize(("who", "url", "expected"), CASES, ids=[f"{w} {u}" for w, u, _ in CASES])
def test_expand(dataset: Client, who: str, url: str, expected: Any) -> None:
    resp = dataset.request("GET", url, who=WHO[who])
    assert resp.status_code == 200
    assert summarise(resp.json()) == expected


@pytest.mark.parametrize(("who", "url", "expected"), NO_EXPAND_KEY_CASES, ids=[u for _, u, _ in NO_EXPAND_KEY_CASES])
def test_no_expand_key_when_every_path_failed(dataset: Client, who: str, url: str, expected: Any) -> None:
    assert summarise(dataset.request("GET", url, who=WHO[who]).json()) == expected


def test_expand_on_create_and_update_responses(dataset: Client) -> None:
    created = dataset.ok("POST", "/api/collections/comments/records?expand=post.author",
                         json={"id": NEW_COMMENT, "message": "x", "post": P1})  # fmt: skip
    try:
        assert summary(created) == {"@": NEW_COMMENT, "post": {"@": "P1", "author": "U1"}}
        updated = dataset.ok("PATCH", f"/api/collections/comments/records/{NEW_COMMENT}?expand=post",
                             json={"message": "y"})  # fmt: skip
        assert summary(updated) == {"@": NEW_COMMENT, "post": "P1"}
    finally:
        dataset.ok("DELETE", f"/api/collections/comments/records/{NEW_COMMENT}")


def test_expand_checks_the_view_rule_in_the_expand_context(dataset: Client) -> None:
    dataset.ok("PATCH", "/api/collections/teams", json={"viewRule": '@request.context = "expand"'})
    try:
        direct = dataset.request("GET", "/api/collections/teams/records/teamred00000001", who=WHO["anon"])
        assert direct.status_code == 404
        resp = dataset.request("GET", f"{P1_URL}?expand=team", who=WHO["anon"])
        assert summary(resp.json()) == {"@": "P1", "team": "RED"}
    finally:
        dataset.ok("PATCH", "/api/collections/teams", json={"viewRule": ""})


def test_superusers_only_collection_is_never_expanded_for_others(dataset: Client) -> None:
    resp = dataset.request("GET", f"{P1_URL}?expand=locked_via_post,author", who=WHO["u1"])
    assert summary(resp.json()) == {"@": "P1", "author": "U1"}
    resp = dataset.request("GET", f"{P1_URL}?expand=locked_via_post")
    assert summary(resp.json()) == {"@": "P1", "locked_via_post": ["L1"]}


def _normalised(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _normalised(v) for k, v in body.items() if k not in ("created", "updated")}
    if isinstance(body, list):
        return [_normalised(v) for v in body]
    return body


@pytest.mark.skipif(pocketbase_binary() is None, reason="set PYBASE_PB_BINARY to compare with PocketBase")
def test_expand_matches_pocketbase(dataset: Client) -> None:
    binary = pocketbase_binary()
    assert binary is not None
    differences = []
    with run_pocketbase(binary) as url:
        pocketbase = build_dataset(url)
        for who, path, _ in CASES + NO_EXPAND_KEY_CASES:
            ours = _normalised(dataset.request("GET", path, who=WHO[who]).json())
            theirs = _normalised(pocketbase.request("GET", path, who=WHO[who]).json())
            if ours != theirs:
                differences.append(path)
    assert differences == []
