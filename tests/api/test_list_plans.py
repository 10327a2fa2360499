"""Lists whose SQL is compiled once (record_access.list_records): every later request with the
same texts binds only its page, and nothing stale is served after a change.

The scenarios of a table run in order on one server: the first request of a filter compiles
it, the next ones use the compiled plan.
"""

from __future__ import annotations

import pytest

from tests.scenarios import Scenario, run
from tests.testapp import POST1_ID, POST2_ID, POST3_ID

pytestmark = pytest.mark.both_backends

POSTS = "/api/collections/posts/records"
PUBLISHED = "filter=published%3Dtrue&sort=-views"
GENERIC_400 = '"message":"Something went wrong while processing your request."'


def ids(*expected: str):
    def check(server, resp):
        assert [item["id"] for item in resp.json()["items"]] == list(expected)

    return check


def rename_views(server) -> None:
    col = server.request("GET", "/api/collections/posts", headers={"Authorization": server.token("superuser")}).json()
    fields = [dict(f, name="hits") if f["name"] == "views" else f for f in col["fields"]]
    indexes = [index.replace("(views)", "(hits)") for index in col["indexes"]]
    resp = server.request("PATCH", "/api/collections/posts", json={"fields": fields, "indexes": indexes},
                          headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 200, resp.text


def set_list_rule(rule: str):
    def before(server) -> None:
        resp = server.request("PATCH", "/api/collections/posts", json={"listRule": rule},
                              headers={"Authorization": server.token("superuser")})
        assert resp.status_code == 200, resp.text

    return before


SEQUENCE = [
    Scenario("first run compiles", "GET", f"{POSTS}?{PUBLISHED}",
             expected_content=['"totalItems":2', '"page":1'], after=ids(POST2_ID, POST1_ID)),
    Scenario("same texts, page 2 of 1 per page", "GET", f"{POSTS}?{PUBLISHED}&perPage=1&page=2",
             expected_content=['"totalItems":2', '"totalPages":2', '"perPage":1', '"page":2'], after=ids(POST1_ID)),
    Scenario("same texts, page 1 of 1 per page", "GET", f"{POSTS}?{PUBLISHED}&perPage=1",
             expected_content=['"page":1', '"perPage":1'], after=ids(POST2_ID)),
    Scenario("same texts, skipTotal", "GET", f"{POSTS}?{PUBLISHED}&skipTotal=1",
             expected_content=['"totalItems":-1', '"totalPages":-1'], after=ids(POST2_ID, POST1_ID)),
    Scenario("same texts, a page past the end", "GET", f"{POSTS}?{PUBLISHED}&page=9",
             expected_content=['"items":[]', '"totalItems":2']),
    Scenario("a hidden field: superuser compiles", "GET", f"{POSTS}?filter=secret%3D%27s1%27",
             headers={"Authorization": "SUPERUSER"}, after=ids(POST1_ID)),
    Scenario("a hidden field: a user is still refused", "GET", f"{POSTS}?filter=secret%3D%27s1%27",
             headers={"Authorization": "USER1"}, expected_status=400, expected_content=[GENERIC_400]),
    Scenario("a hidden field: anonymous is still refused", "GET", f"{POSTS}?filter=secret%3D%27s1%27",
             expected_status=400, expected_content=[GENERIC_400]),
    Scenario("a new record is in the next page", "GET", f"{POSTS}?filter=views%3E%3D0&sort=views",
             expected_content=['"totalItems":3'], after=ids(POST3_ID, POST1_ID, POST2_ID)),
    Scenario("a listRule set: the compiled list without it is not used", "GET", f"{POSTS}?{PUBLISHED}",
             before=set_list_rule("views > 100"), expected_content=['"totalItems":1'], after=ids(POST2_ID)),
    Scenario("a listRule with @request is not compiled once, and still holds", "GET", f"{POSTS}?{PUBLISHED}",
             before=set_list_rule("@request.auth.id != ''"), expected_content=['"totalItems":0']),
    Scenario("... for a signed-in user", "GET", f"{POSTS}?{PUBLISHED}", headers={"Authorization": "USER1"},
             expected_content=['"totalItems":2']),
    Scenario("a renamed field: the old name is unknown", "GET", f"{POSTS}?filter=views%3E100",
             before=lambda s: (set_list_rule("")(s), rename_views(s)), expected_status=400, expected_content=[GENERIC_400]),
    Scenario("a renamed field: the new name filters", "GET", f"{POSTS}?filter=hits%3E100", after=ids(POST2_ID)),
    Scenario("a renamed field: sorting by the old name is refused", "GET", f"{POSTS}?sort=-views",
             expected_status=400, expected_content=[GENERIC_400]),
]


def test_compiled_lists_answer_as_the_first_run(server) -> None:
    for scenario in SEQUENCE:
        run(server, scenario)
