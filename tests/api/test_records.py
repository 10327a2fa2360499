"""Records read API: list (paging, sort, filter, fields, expand), view, and who may read.

Expected bodies follow tests/data/pb_reference/records_crud.json (PocketBase 0.40).
"""

from __future__ import annotations

import time

import jwt
import pytest

from tests.scenarios import Scenario, run
from tests.testapp import LOCKED1_ID, OWNED1_ID, POST1_ID, POST2_ID, POST3_ID, USER1_ID, USER2_ID

pytestmark = pytest.mark.both_backends

POSTS = "/api/collections/posts/records"
LOCKED = "/api/collections/locked/records"
OWNED = "/api/collections/owned/records"
GENERIC_400 = '"message":"Something went wrong while processing your request."'
NOT_FOUND = '"message":"The requested resource wasn\'t found."'
SUPERUSERS_ONLY = '"message":"Only superusers can perform this action."'
# A well-formed user1 token signed with the wrong key: must count as anonymous.
FORGED_USER1 = jwt.encode(
    {"collectionId": "_pb_users_auth_", "exp": int(time.time()) + 3600, "id": USER1_ID, "refreshable": True, "type": "auth"},
    "not-the-signing-key-of-any-record-at-all",
    algorithm="HS256",
)
LIST_EVENTS = {"onRecordsListRequest": 1, "onRecordEnrich": 3, "*": 0}


def ids_in_order(*expected: str):
    """An ``after`` check: the list items have exactly these ids, in this order."""

    def check(server, resp):
        assert [item["id"] for item in resp.json()["items"]] == list(expected)

    return check


def item_keys(expected: set[str]):
    """An ``after`` check: every list item has exactly these keys."""

    def check(server, resp):
        items = resp.json()["items"]
        assert items
        for item in items:
            assert set(item) == expected

    return check


LIST_SCENARIOS = [
    Scenario(
        "anonymous lists posts with the default paging in creation order", "GET", POSTS,
        expected_content=['"page":1', '"perPage":30', '"totalItems":3', '"totalPages":1', '"title":"First post"',
                          '"location":{"lat":0,"lon":0}', '"meta":{"k":1}', '"cover":""', '"editors":[]'],
        not_expected_content=['"secret"', '"expand"'],
        expected_events=LIST_EVENTS,
        after=ids_in_order(POST1_ID, POST2_ID, POST3_ID),
    ),
    Scenario("superuser sees the hidden field", "GET", POSTS, headers={"Authorization": "SUPERUSER"},
             expected_content=['"secret":"s1"', '"secret":""']),
    Scenario("page two of one per page", "GET", POSTS + "?page=2&perPage=1",
             expected_content=['"page":2', '"perPage":1', '"totalItems":3', '"totalPages":3'], after=ids_in_order(POST2_ID)),
    Scenario("perPage is clamped to 1000", "GET", POSTS + "?perPage=5000", expected_content=['"perPage":1000']),
    Scenario("zero page and perPage fall back to the defaults", "GET", POSTS + "?perPage=0&page=0",
             expected_content=['"page":1', '"perPage":30']),
    Scenario("negative page and perPage fall back to the defaults", "GET", POSTS + "?perPage=-1&page=-5",
             expected_content=['"page":1', '"perPage":30']),
    Scenario("a page past the end is empty but keeps its number", "GET", POSTS + "?page=999",
             expected_content=['"items":[]', '"page":999', '"totalItems":3', '"totalPages":1']),
    Scenario("skipTotal gives -1 totals", "GET", POSTS + "?skipTotal=1",
             expected_content=['"totalItems":-1', '"totalPages":-1'], after=ids_in_order(POST1_ID, POST2_ID, POST3_ID)),
    Scenario("skipTotal=true is accepted", "GET", POSTS + "?skipTotal=true", expected_content=['"totalItems":-1']),
    # NOTE: as PocketBase: the offset is an int64 product that wraps around, and a negative one
    # means no offset, so the largest pages answer the first rows (probed on 0.40.6).
    Scenario("the largest page answers the first rows", "GET", POSTS + "?page=9223372036854775807",
             expected_content=['"page":9223372036854775807', '"perPage":30', '"totalItems":3', '"totalPages":1'],
             after=ids_in_order(POST1_ID, POST2_ID, POST3_ID)),
    Scenario("a page whose offset wraps to a positive one", "GET", POSTS + "?page=4611686018427387906&perPage=4&sort=views",
             expected_content=['"items":[]', '"page":4611686018427387906', '"perPage":4']),
    Scenario("a page whose offset wraps to zero", "GET", POSTS + "?page=4611686018427387905&perPage=4&skipTotal=1",
             expected_content=['"page":4611686018427387905', '"totalItems":-1'], after=ids_in_order(POST1_ID, POST2_ID, POST3_ID)),
    Scenario("the largest page of one per page is past the end", "GET", POSTS + "?page=9223372036854775807&perPage=1",
             expected_content=['"items":[]', '"totalPages":3']),
    Scenario("the smallest page and perPage fall back to the defaults", "GET", POSTS + "?page=-9223372036854775808&perPage=-9223372036854775808",
             expected_content=['"page":1', '"perPage":30']),
    Scenario("a page past int64 is a bad request", "GET", POSTS + "?page=9223372036854775808", expected_status=400,
             expected_content=[GENERIC_400, '"data":{}']),
    Scenario("a perPage past int64 is a bad request", "GET", POSTS + "?perPage=99999999999999999999999", expected_status=400,
             expected_content=[GENERIC_400]),
    Scenario("text page is a bad request", "GET", POSTS + "?page=abc", expected_status=400, expected_content=[GENERIC_400, '"data":{}']),
    Scenario("text perPage is a bad request", "GET", POSTS + "?perPage=abc", expected_status=400, expected_content=[GENERIC_400]),
    Scenario("text skipTotal is a bad request", "GET", POSTS + "?skipTotal=abc", expected_status=400, expected_content=[GENERIC_400]),
    Scenario("sort descending by one key", "GET", POSTS + "?sort=-views", after=ids_in_order(POST2_ID, POST1_ID, POST3_ID)),
    Scenario("sort by several keys", "GET", POSTS + "?sort=published,-views", after=ids_in_order(POST3_ID, POST2_ID, POST1_ID)),
    Scenario("sort with a plus prefix", "GET", POSTS + "?sort=+title", after=ids_in_order(POST1_ID, POST2_ID, POST3_ID)),
    Scenario("sort by an unknown field is a bad request", "GET", POSTS + "?sort=nope", expected_status=400, expected_content=[GENERIC_400]),
    Scenario("sort with empty parts is a bad request", "GET", POSTS + "?sort=-title,,", expected_status=400, expected_content=[GENERIC_400]),
    Scenario("sort by a hidden field as anonymous is a bad request", "GET", POSTS + "?sort=secret", expected_status=400),
    Scenario("filter on a number", "GET", POSTS + "?filter=views>5&sort=views", expected_content=['"totalItems":2'],
             after=ids_in_order(POST1_ID, POST2_ID)),
    Scenario("filter with like", "GET", POSTS + "?filter=title~'second'", after=ids_in_order(POST2_ID)),
    Scenario("filter on a multi select", "GET", POSTS + "?filter=tags~'c'", after=ids_in_order(POST2_ID)),
    Scenario("invalid filter is a bad request", "GET", POSTS + "?filter=(((", expected_status=400,
             expected_content=[GENERIC_400], expected_events={"*": 0}),
    Scenario("filter on an unknown field is a bad request", "GET", POSTS + "?filter=nope=1", expected_status=400, expected_content=[GENERIC_400]),
    Scenario("filter on a hidden field as anonymous is a bad request", "GET", POSTS + "?filter=secret='s1'",
             expected_status=400, expected_content=[GENERIC_400]),
    Scenario("filter on a hidden field as superuser", "GET", POSTS + "?filter=secret='s1'", headers={"Authorization": "SUPERUSER"},
             expected_content=['"totalItems":1'], after=ids_in_order(POST1_ID)),
    Scenario("fields keeps only the listed keys", "GET", POSTS + "?fields=id,title,meta&perPage=2",
             expected_content=['"totalItems":3', '"perPage":2'], after=item_keys({"id", "title", "meta"})),
    Scenario("fields with an excerpt modifier", "GET", POSTS + "?fields=id,title:excerpt(3,true)&perPage=1",
             expected_content=['"title":"Fir..."']),
    Scenario("fields cannot reveal a hidden field", "GET", POSTS + "?fields=id,secret", after=item_keys({"id"})),
    Scenario("expand of a relation the caller cannot view is an empty object", "GET", POSTS + "?expand=author&filter=author!=''",
             expected_content=['"expand":{}', '"totalItems":2'], not_expected_content=['"User One"']),
    Scenario("expand of an unknown field adds no expand key", "GET", POSTS + "?expand=nope", not_expected_content=['"expand"']),
    Scenario("superuser expands single and multi relations", "GET", POSTS + "?expand=author,editors&perPage=1",
             headers={"Authorization": "SUPERUSER"},
             expected_content=['"expand":{"author":{"avatar":""', '"email":"user1@example.com"', '"name":"User One"',
                               '"editors":[{"avatar":""', '"name":"User Two"']),
    Scenario("a user expands only the relations it may view", "GET", POSTS + "?expand=editors&perPage=1",
             headers={"Authorization": "USER1"},
             expected_content=['"editors":[{"avatar":"","collectionId":"_pb_users_auth_","collectionName":"users","created"',
                               '"name":"User One"'],
             not_expected_content=['"name":"User Two"']),
    Scenario("unknown collection", "GET", "/api/collections/nope/records", expected_status=404,
             expected_content=['"message":"Missing collection context."'], expected_events={"*": 0}),
    Scenario("null listRule as anonymous", "GET", LOCKED, expected_status=403, expected_content=[SUPERUSERS_ONLY], expected_events={"*": 0}),
    Scenario("null listRule as a user", "GET", LOCKED, headers={"Authorization": "USER1"}, expected_status=403, expected_content=[SUPERUSERS_ONLY]),
    Scenario("null listRule with a forged token", "GET", LOCKED, headers={"Authorization": FORGED_USER1}, expected_status=403,
             expected_content=[SUPERUSERS_ONLY]),
    Scenario("null listRule as superuser", "GET", LOCKED, headers={"Authorization": "SUPERUSER"},
             expected_content=['"title":"locked one"', '"totalItems":1']),
    Scenario("garbage token on a public list is anonymous", "GET", POSTS, headers={"Authorization": "garbage"},
             expected_content=['"totalItems":3'], not_expected_content=['"secret"']),
    Scenario("forged token on a public list is anonymous", "GET", POSTS, headers={"Authorization": "Bearer " + FORGED_USER1},
             expected_content=['"totalItems":3']),
    Scenario("owner rule hides everything from anonymous", "GET", OWNED, expected_content=['"items":[]', '"totalItems":0']),
    Scenario("owner rule shows the owner its records", "GET", OWNED, headers={"Authorization": "USER1"},
             expected_content=['"totalItems":1', '"title":"mine"']),
    Scenario("owner rule hides the records of others", "GET", OWNED, headers={"Authorization": "USER2"}, expected_content=['"totalItems":0']),
    Scenario("owner rule with a forged owner token", "GET", OWNED, headers={"Authorization": FORGED_USER1}, expected_content=['"totalItems":0']),
    Scenario("users list shows a user only itself, with its email", "GET", "/api/collections/users/records",
             headers={"Authorization": "USER1"},
             expected_content=['"totalItems":1', '"email":"user1@example.com"', '"emailVisibility":false'],
             not_expected_content=['"password"', '"tokenKey"']),
]

VIEW_SCENARIOS = [
    Scenario(
        "anonymous views a post", "GET", f"{POSTS}/{POST1_ID}",
        expected_content=[f'"id":"{POST1_ID}"', '"collectionName":"posts"', '"tags":["a","b"]', f'"author":"{USER1_ID}"',
                          f'"editors":["{USER1_ID}","{USER2_ID}"]', '"views":10', '"published":true', '"status":"published"'],
        not_expected_content=['"secret"', '"expand"'],
        expected_events={"onRecordViewRequest": 1, "onRecordEnrich": 1, "*": 0},
    ),
    Scenario("view of a sparse post shows the zero values", "GET", f"{POSTS}/{POST3_ID}",
             expected_content=['"author":""', '"body":""', '"contact":""', '"cover":""', '"editors":[]', '"location":{"lat":0,"lon":0}',
                               '"meta":null', '"published":false', '"publishedAt":""', '"score":0', '"status":""', '"tags":[]',
                               '"views":0', '"website":""']),
    Scenario("superuser views the hidden field", "GET", f"{POSTS}/{POST1_ID}", headers={"Authorization": "SUPERUSER"},
             expected_content=['"secret":"s1"']),
    Scenario("view with expand as superuser", "GET", f"{POSTS}/{POST1_ID}?expand=author", headers={"Authorization": "SUPERUSER"},
             expected_content=['"expand":{"author":{', '"name":"User One"']),
    Scenario("view with expand of a hidden relation target", "GET", f"{POSTS}/{POST1_ID}?expand=author", expected_content=['"expand":{}']),
    Scenario("view with fields", "GET", f"{POSTS}/{POST1_ID}?fields=id,views", expected_content=[f'{{"id":"{POST1_ID}","views":10}}']),
    Scenario("unknown record", "GET", f"{POSTS}/nope123456789ab", expected_status=404, expected_content=[NOT_FOUND], expected_events={"*": 0}),
    Scenario("unknown collection", "GET", "/api/collections/nope/records/abc", expected_status=404,
             expected_content=['"message":"Missing collection context."']),
    Scenario("null viewRule as anonymous", "GET", f"{LOCKED}/{LOCKED1_ID}", expected_status=403, expected_content=[SUPERUSERS_ONLY]),
    Scenario("null viewRule as a user", "GET", f"{LOCKED}/{LOCKED1_ID}", headers={"Authorization": "USER2"}, expected_status=403,
             expected_content=[SUPERUSERS_ONLY]),
    Scenario("null viewRule as superuser", "GET", f"{LOCKED}/{LOCKED1_ID}", headers={"Authorization": "SUPERUSER"},
             expected_content=['"title":"locked one"']),
    Scenario("owner rule: the owner views", "GET", f"{OWNED}/{OWNED1_ID}", headers={"Authorization": "USER1"}, expected_content=['"title":"mine"']),
    Scenario("owner rule: another user gets 404", "GET", f"{OWNED}/{OWNED1_ID}", headers={"Authorization": "USER2"},
             expected_status=404, expected_content=[NOT_FOUND]),
    Scenario("owner rule: anonymous gets 404", "GET", f"{OWNED}/{OWNED1_ID}", expected_status=404),
    Scenario("a superuser sees a user's hidden email", "GET", f"/api/collections/users/records/{USER1_ID}",
             headers={"Authorization": "SUPERUSER"}, expected_content=['"email":"user1@example.com"', '"emailVisibility":false']),
    Scenario("a user cannot view another user", "GET", f"/api/collections/users/records/{USER2_ID}", headers={"Authorization": "USER1"},
             expected_status=404),
]


@pytest.mark.parametrize("scenario", LIST_SCENARIOS, ids=str)
def test_list_records(server, scenario):
    run(server, scenario)


@pytest.mark.parametrize("scenario", VIEW_SCENARIOS, ids=str)
def test_view_record(server, scenario):
    run(server, scenario)


def _make_view(server):
    resp = server.request(
        "POST", "/api/collections",
        headers={"Authorization": server.token("superuser")},
        json={"name": "post_views", "type": "view", "listRule": "", "viewRule": "",
              "viewQuery": "SELECT id, title, views FROM posts WHERE published = TRUE"},
    )
    assert resp.status_code == 200, resp.text


VIEW_COLLECTION_SCENARIOS = [
    Scenario("a view collection lists its rows", "GET", "/api/collections/post_views/records?sort=-views", before=_make_view,
             expected_content=['"totalItems":2', '"collectionName":"post_views"', '"title":"Second post"'],
             after=ids_in_order(POST2_ID, POST1_ID)),
    Scenario("a view collection row keeps only the selected columns", "GET", f"/api/collections/post_views/records/{POST1_ID}",
             before=_make_view, expected_content=['"title":"First post"', '"views":10'], not_expected_content=['"tags"']),
    Scenario("a view collection filters on inferred fields", "GET", "/api/collections/post_views/records?filter=views>100",
             before=_make_view, after=ids_in_order(POST2_ID)),
    Scenario("a view collection refuses create", "POST", "/api/collections/post_views/records", body={"title": "x"},
             before=_make_view, expected_status=400),
    Scenario("a view collection refuses update", "PATCH", f"/api/collections/post_views/records/{POST1_ID}", body={"title": "xyz"},
             before=_make_view, expected_status=400),
    Scenario("a view collection refuses delete", "DELETE", f"/api/collections/post_views/records/{POST1_ID}",
             before=_make_view, expected_status=400),
]


@pytest.mark.parametrize("scenario", VIEW_COLLECTION_SCENARIOS, ids=str)
def test_view_collection_records(server, scenario):
    run(server, scenario)
