"""``/api/collections/meta/oauth2-providers`` and ``/api/collections/meta/dry-run-view``.

Answers checked against PocketBase 0.40.6 (tests/conformance/test_sql_meta.py compares them live).
"""

from __future__ import annotations

import time

import jwt
import pytest

from tests.scenarios import Scenario, run
from tests.testapp import USER1_ID

pytestmark = pytest.mark.both_backends

SU = {"Authorization": "SUPERUSER"}
USER = {"Authorization": "USER1"}
FORGED = jwt.encode({"collectionId": "pbc_3142635823", "exp": int(time.time()) + 3600, "id": "x", "refreshable": True,
                     "type": "auth"}, "not-the-signing-key-of-any-record-at-all", algorithm="HS256")
FORGED_USER1 = jwt.encode({"collectionId": "_pb_users_auth_", "exp": int(time.time()) + 3600, "id": USER1_ID, "refreshable": True,
                           "type": "auth"}, "not-the-signing-key-of-any-record-at-all", algorithm="HS256")
UNAUTHORIZED = '"message":"The request requires valid record authorization token."'
FORBIDDEN = '"message":"The authorized record is not allowed to perform this action."'
LOAD_FAILED = '"message":"An error occurred while loading the submitted data."'
VALIDATION_FAILED = '"message":"An error occurred while validating the submitted data."'
BLANK = '"query":{"code":"validation_required","message":"Cannot be blank."}'
TOO_LONG = '"query":{"code":"validation_length_too_long","message":"The length must be no more than 5000.","params":{"max":5000,"min":0}}'
ID_FIELD = ('"id":"text3208210256","max":0,"min":0,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,'
            '"required":true,"system":true,"type":"text"')
PROVIDERS = "/api/collections/meta/oauth2-providers"
DRY_RUN = "/api/collections/meta/dry-run-view"


def auth_scenarios(method: str, url: str, body=None) -> list[Scenario]:
    """Who may call a superusers-only endpoint."""
    return [
        Scenario(f"{url}: no token", method, url, body=body, expected_status=401, expected_content=[UNAUTHORIZED]),
        Scenario(f"{url}: user token", method, url, body=body, headers=USER, expected_status=403, expected_content=[FORBIDDEN]),
        Scenario(f"{url}: forged superuser token", method, url, body=body, headers={"Authorization": FORGED}, expected_status=401,
                 expected_content=[UNAUTHORIZED]),
        Scenario(f"{url}: forged user token", method, url, body=body, headers={"Authorization": FORGED_USER1}, expected_status=401,
                 expected_content=[UNAUTHORIZED]),
        Scenario(f"{url}: garbage token", method, url, body=body, headers={"Authorization": "a.b.c"}, expected_status=401,
                 expected_content=[UNAUTHORIZED]),
    ]


def sample_size(expected: int):
    def check(server, resp):
        assert len(resp.json()["sample"]) == expected

    return check


def no_temp_views(server, resp):
    names = server.table_names()
    assert not [n for n in names if n.startswith(("temp_view_", "_temp_"))], names


def dry(name: str, body, **kwargs) -> Scenario:
    kwargs.setdefault("headers", SU)
    return Scenario(name, "POST", DRY_RUN, body=body, **kwargs)


def invalid(message: str) -> list[str]:
    return ['"data":{}', f'"message":"Invalid view query. Raw error: \\n{message}"', '"status":400']


DRY_RUN_SCENARIOS = [
    *auth_scenarios("POST", DRY_RUN, {"query": "select id from users"}),
    dry("fields and sample of a collection's columns", {"query": "select id, name, email, verified from users"},
        expected_content=[ID_FIELD, '"name":"email"', '"type":"email"', '"name":"verified"', '"type":"bool"',
                          '"collectionName":"temp_view_', f'"id":"{USER1_ID}"'],
        not_expected_content=['"tokenKey"', '"password"'], after=lambda s, r: (sample_size(2)(s, r), no_temp_views(s, r))),
    dry("computed columns get json, count and cast types", {"query": "select 1 as id, 2 as x, count(*) as c, cast(3 as real) as r"},
        expected_content=[ID_FIELD, '"id":"json2363233923","maxSize":1,"name":"x"', '"name":"c","onlyInt":true',
                          '"name":"r","onlyInt":false', '"c":1', '"id":"1"', '"r":3', '"x":2'], after=sample_size(1)),
    dry("hidden fields stay out of the sample", {"query": "select id, password, tokenKey from users"},
        expected_content=['"name":"password"', '"name":"tokenKey"', '"hidden":true'], not_expected_content=['"tokenKey":"'],
        after=no_temp_views),
    dry("at most 10 sample records", {"query": "select (ROW_NUMBER() OVER()) as id from (select 1 union all select 1 union all select 1 "
                                               "union all select 1 union all select 1 union all select 1 union all select 1 "
                                               "union all select 1 union all select 1 union all select 1 union all select 1 union all select 1)"},
        after=sample_size(10)),
    dry("a trailing semicolon is fine", {"query": "select id from users;"}, after=sample_size(2)),
    dry("no such table", {"query": "bad query"}, expected_status=400,
        expected_content=invalid("SQL logic error: no such table: main.bad (1).")),
    dry("not a select", {"query": "delete from users"}, expected_status=400,
        expected_content=invalid('SQL logic error: near \\"delete\\": syntax error (1).')),
    dry("no id column", {"query": "select 1"}, expected_status=400,
        expected_content=invalid("missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).")),
    dry("two statements", {"query": "select id from users; select 1"}, expected_status=400,
        expected_content=invalid("multiple statements are not supported.")),
    dry("a NUL ending the statement", {"query": "select id from users\x00"}, expected_status=400,
        expected_content=invalid("SQL logic error: incomplete input (1).")),
    dry("a NUL between statements", {"query": "select \x00id from users"}, expected_status=400,
        expected_content=invalid("multiple statements are not supported.")),
    dry("wildcard", {"query": "select * from users"}, expected_status=400,
        expected_content=invalid("wildcard columns (*) are not supported - manually type the collection field names you want the "
                                 "view query to have.")),
    dry("empty id", {"query": "select null as id"}, expected_status=400,
        expected_content=invalid("the query could return records with empty or invalid ids.")),
    dry("duplicate ids", {"query": "select 'a' as id from users"}, expected_status=400,
        expected_content=invalid("the query could return records with non-unique ids.")),
    dry("empty JSON object", {}, expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    dry("empty body", b"", expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    dry("null query", {"query": None}, expected_status=400, expected_content=[VALIDATION_FAILED, BLANK]),
    dry("number query", {"query": 1}, expected_status=400, expected_content=[LOAD_FAILED]),
    dry("list query", {"query": ["select 1"]}, expected_status=400, expected_content=[LOAD_FAILED]),
    dry("array body", [1], expected_status=400, expected_content=[LOAD_FAILED]),
    dry("malformed JSON", b"{bad", headers={**SU, "Content-Type": "application/json"}, expected_status=400,
        expected_content=[LOAD_FAILED]),
    dry("plain text body", b"select 1", headers={**SU, "Content-Type": "text/plain"}, expected_status=400,
        expected_content=['"message":"Unsupported Content-Type."']),
    dry("form body", b"query=select+id+from+users", headers={**SU, "Content-Type": "application/x-www-form-urlencoded"},
        after=sample_size(2)),
    dry("too long", {"query": "select 1 " + "x" * 5000}, expected_status=400, expected_content=[VALIDATION_FAILED, TOO_LONG]),
]


@pytest.mark.parametrize("scenario", DRY_RUN_SCENARIOS, ids=str)
def test_dry_run_view(server, scenario):
    run(server, scenario)


def test_dry_run_view_fields_match_a_saved_view(server):
    """The fields a dry run answers are those a view collection with the query gets."""
    query = "select id, name, created from users"
    token = server.token("superuser")
    dry_run = server.request("POST", DRY_RUN, json={"query": query}, headers={"Authorization": token}).json()
    saved = server.request("POST", "/api/collections", json={"name": "v1", "type": "view", "viewQuery": query},
                           headers={"Authorization": token}).json()
    strip = [{k: v for k, v in f.items() if k != "id" or not v.startswith("_clone_")} for f in dry_run["fields"]]
    assert strip == [{k: v for k, v in f.items() if k != "id" or not v.startswith("_clone_")} for f in saved["fields"]]


PROVIDER_SCENARIOS = [
    *auth_scenarios("GET", PROVIDERS),
    Scenario("the providers pybase knows, in PocketBase's order", "GET", PROVIDERS, headers=SU,
             expected_content=['[{"displayName":"Apple","logo":"","name":"apple"},{"displayName":"Google","logo":"","name":"google"},'
                               '{"displayName":"Microsoft","logo":"","name":"microsoft"},{"displayName":"Facebook","logo":"","name":"facebook"},'
                               '{"displayName":"GitHub","logo":"","name":"github"},{"displayName":"GitLab","logo":"","name":"gitlab"},'
                               '{"displayName":"Discord","logo":"","name":"discord"},{"displayName":"OIDC","logo":"","name":"oidc"},'
                               '{"displayName":"OIDC","logo":"","name":"oidc2"},{"displayName":"OIDC","logo":"","name":"oidc3"}]']),
]


@pytest.mark.parametrize("scenario", PROVIDER_SCENARIOS, ids=str)
def test_oauth2_providers(server, scenario):
    run(server, scenario)
