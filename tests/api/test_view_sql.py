"""View queries written for SQLite read alike on both databases: a truth the query selects is
SQLite's 0/1 (Postgres's booleans would read true/false), and columns of one name are named
apart as SQLite names them (``title:1``), which PocketBase then refuses as a field name.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import testapp
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

pytestmark = pytest.mark.both_backends


def _su(server: testapp.TestServer) -> dict[str, str]:
    return {"Authorization": server.token("superuser")}


def _view(server: testapp.TestServer, name: str, query: str) -> Any:
    return server.request("POST", "/api/collections", headers=_su(server), json={"name": name, "type": "view", "viewQuery": query})


def test_a_truth_selected_by_a_view_reads_as_a_number(server: testapp.TestServer) -> None:
    query = ("SELECT id, (views > 100) AS popular, (title = 'First post') AS first, (NOT published) AS hidden, "
             "(views BETWEEN 1 AND 100) AS some, published FROM posts")  # fmt: skip
    resp = _view(server, "truths", query)
    assert resp.status_code == 200, resp.text
    types = {f["name"]: f["type"] for f in resp.json()["fields"]}
    assert types == {"id": "text", "popular": "json", "first": "json", "hidden": "json", "some": "json", "published": "bool"}
    items = server.request("GET", "/api/collections/truths/records?sort=id&perPage=50", headers=_su(server)).json()["items"]
    got = {item["id"]: (item["popular"], item["first"], item["hidden"], item["some"], item["published"]) for item in items}
    assert got == {
        POST1_ID: (0, 1, 0, 1, True),
        POST2_ID: (1, 0, 0, 0, True),
        POST3_ID: (0, 0, 1, 0, False),
    }


@pytest.mark.parametrize(("query", "field", "position"), [
    ("SELECT id, title, title FROM posts", "title:1", 2),
    ("SELECT id, title AS t, status AS T FROM posts", "T:1", 2),
    ("SELECT p.id, p.title, c.id FROM posts p JOIN posts c ON c.id = p.id", "id:1", 2),
])  # fmt: skip
def test_columns_of_one_name_are_named_apart_as_in_sqlite(server: testapp.TestServer, query: str, field: str, position: int) -> None:
    resp = _view(server, "dupes", query)
    assert resp.status_code == 400
    assert resp.json()["data"] == {
        "fields": {str(position): {"name": {"code": "validation_match_invalid", "message": "Must be in a valid format."}}},
        "viewQuery": {"code": "validation_invalid_view_query",
                      "message": f'Invalid query - invalid field "{field}" ({position}): name: must be in a valid format.'},
    }  # fmt: skip
    assert "dupes" not in server.table_names()


def test_names_in_another_case_than_the_tables_mean_the_same(server: testapp.TestServer) -> None:
    """SQLite's names ignore case (Postgres's quoted ones do not): a view spelt loosely works on both."""
    resp = _view(server, "loose", "SELECT P.id, TITLE AS t, P.Views, p.PUBLISHED AS pub FROM POSTS P WHERE p.Status != ''")
    assert resp.status_code == 200, resp.text
    assert [(f["name"], f["type"]) for f in resp.json()["fields"]] == [
        ("id", "text"), ("t", "json"), ("Views", "json"), ("pub", "json")]  # as PocketBase types them
    items = server.request("GET", "/api/collections/loose/records?sort=t", headers=_su(server)).json()["items"]
    assert [(item["id"], item["t"], item["Views"], item["pub"]) for item in items] == [
        (POST1_ID, "First post", 10, 1), (POST2_ID, "Second post", 600, 1)]  # fmt: skip
