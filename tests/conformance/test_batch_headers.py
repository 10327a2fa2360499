"""Batch sub-requests carry the batch request's headers, as PocketBase's (apis/batch.go).

Each case sets the collection's createRule to a ``@request.headers.*`` check, sends one batch
with the caller's headers and the sub-request's own, and compares both servers' answers: a
sub-request seeing other headers than PocketBase's fails its rule (400) where the other passes.
PocketBase's sub-request is the batch request's headers with the sub-request's set over them
(Authorization excepted: the batch's auth is every sub-request's), as multipart form data.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
import urllib3

from tests.conformance.harness import Pair, Target, normalise

pytestmark = pytest.mark.both_backends

COLLECTION = "hdrbatch"
NONE = urllib3.util.SKIP_HEADER  # NOTE: urllib3 sends no User-Agent of its own then


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    rule: str
    #: the batch request's headers (``NONE`` leaves out one the HTTP client would send by itself)
    caller: dict[str, str] = dataclasses.field(default_factory=dict)
    #: the sub-request's ``headers``
    sub: dict[str, str] = dataclasses.field(default_factory=dict)
    status: int = 200  # what both answer
    who: str = "anon"


CASES = [
    Case("user agent of the caller", '@request.headers.user_agent = "ua-caller"', {"User-Agent": "ua-caller"}),
    Case("no user agent when the caller sent none", '@request.headers.user_agent = ""', {"User-Agent": NONE}),
    Case("no made-up user agent", '@request.headers.user_agent ~ "falcon"', {"User-Agent": NONE}, status=400),
    Case("user agent of the sub-request", '@request.headers.user_agent = "ua-sub"', {"User-Agent": "ua-caller"}, {"User-Agent": "ua-sub"}),
    Case("a header of the caller", '@request.headers.x_custom = "c1"', {"X-Custom": "c1"}),
    Case("the sub-request's header wins, any case", '@request.headers.x_custom = "c2"', {"X-Custom": "c1"}, {"x-custom": "c2"}),
    Case("a header only the sub-request sends", '@request.headers.x_only_sub = "s"', {}, {"X-Only-Sub": "s"}),
    Case("a header the sub-request sends empty", '@request.headers.x_custom = ""', {"X-Custom": "c1"}, {"X-Custom": ""}),
    Case("a header nobody sent", '@request.headers.x_missing = ""'),
    Case("the host is no header", '@request.headers.host = ""', {"Host": "example.com"}),
    Case("the caller's accept-encoding", '@request.headers.accept_encoding = "gzip"', {"Accept-Encoding": "gzip"}),
    Case("multipart form data", '@request.headers.content_type ~ "multipart/form-data; boundary="'),
    Case("not JSON, whatever the batch was", '@request.headers.content_type = "application/json"', status=400),
    Case("the sub-request's content type is not taken", '@request.headers.content_type ~ "multipart/form-data"', {},
         {"Content-Type": "application/json"}),
    Case("the sub-request's authorization is not taken", '@request.auth.id != ""', {}, {"Authorization": "<user token>"}, status=400),
    Case("the caller's auth is", '@request.auth.id != "" && @request.headers.authorization != ""', who="user"),
    Case("a rule not met", '@request.headers.user_agent = "someone else"', {"User-Agent": "ua-caller"}, status=400),
    Case("the batch context", '@request.context = "batch" && @request.method = "POST"'),
]


@pytest.fixture(scope="module")
def headers_pair(pair: Pair) -> Pair:
    """The pair with batches on, the collection the cases' rules guard and a signed-in user."""
    if pair.first_time("batch_headers"):
        for target in pair.targets:
            settings = target.ok("GET", "/api/settings")
            target.ok("PATCH", "/api/settings", {"batch": {**settings["batch"], "enabled": True, "maxRequests": 10}})
        pair.ok("POST", "/api/collections", {"name": COLLECTION, "type": "base", "createRule": "", "fields": [{"name": "t", "type": "text"}]})
        user = {"email": "hdr@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}
        pair.ok("POST", "/api/collections/users/records", user)
        for target in pair.targets:
            target.login("hdr-user", "users", user["email"])
    return pair


def _send(target: Target, case: Case) -> Any:
    headers = {"Content-Type": "application/json", **case.caller}
    if case.who != "anon":
        headers["Authorization"] = target.tokens["hdr-user"]
    sub = {k: (target.tokens["hdr-user"] if v == "<user token>" else v) for k, v in case.sub.items()}
    body = {"requests": [{"method": "POST", "url": f"/api/collections/{COLLECTION}/records", "body": {"t": case.name}, "headers": sub}]}
    return target.session.post(target.base_url + "/api/batch", data=orjson.dumps(body), headers=headers, timeout=60)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_sub_requests_see_the_headers_pocketbase_gives_them(headers_pair: Pair, case: Case) -> None:
    headers_pair.ok("PATCH", f"/api/collections/{COLLECTION}", {"createRule": case.rule})
    pb, py = (normalise(_send(target, case)) for target in headers_pair.targets)
    assert pb.status == case.status, f"PocketBase: {pb}"
    assert (py.status, py.body) == (pb.status, pb.body), f"\n  PocketBase: {pb}\n  pybase:     {py}"
