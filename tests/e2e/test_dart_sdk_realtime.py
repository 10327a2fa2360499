"""The Dart SDK's realtime client (lib/src/sse/sse_client.dart, services/realtime_service.dart)
and the sign-ins built on it, against pybase and PocketBase 0.40.6 at the wire level (see
tests/e2e/test_dart_sdk_wire.py for how the SDK is emulated and what differs from the JS SDK):
its stream read as its SSE parser reads it, subscriptions under the keys it builds, the OAuth2
all-in-one flow over ``@oauth2`` and an OTP sign-in.
"""

from __future__ import annotations

import queue
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.conformance.harness import Answer, Target, difference, normalise
from tests.e2e import dart_dtos as dto
from tests.e2e.dart_servers import (
    POST1,
    POSTS,
    RECORDS,
    USER_EMAIL,
    USERS,
    Servers,
    masked,
)
from tests.e2e.dart_wire import (
    DartSse,
    Reply,
    dart_query,
    expand_fields,
    subscription_key,
    token_expiry,
)

pytestmark = pytest.mark.both_backends


def _drain(sse: DartSse, quiet: float = 1.0, limit: float = 8.0) -> list[Any]:
    """The messages that arrive until none came for ``quiet`` seconds."""
    found = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            message = sse.next(quiet)
        except queue.Empty:
            break
        if message is None:
            break
        found.append(message)
    return found


def _connect(target: Target) -> tuple[DartSse, str]:
    sse = DartSse(target.base_url)
    assert sse.status == 200, target.name
    assert "content-encoding" not in sse.headers, f"{target.name}: a compressed stream"
    assert sse.headers.get("content-type", "").startswith("text/event-stream"), sse.headers
    connect = sse.next()
    assert connect is not None and connect.event == "PB_CONNECT", f"{target.name}: {connect} {sse.lines}"
    # NOTE: RealtimeService takes the client id from the message's id line
    assert connect.id and connect.json_data().get("clientId") == connect.id, f"{target.name}: {connect}"
    return sse, connect.id


#: the keys RealtimeService builds for subscribe(topic, filter:/expand:/fields:)
KEY_ALL = subscription_key(f"{POSTS}/*")
KEY_FILTERED = subscription_key(f"{POSTS}/*", {"filter": "title = 'rt a b' && n >= 0"})
KEY_ONE = subscription_key(f"{POSTS}/{POST1}", {"expand": "owner", "fields": "id,n,expand.owner.name"})
KEY_PRIVATE = subscription_key("dart_private/*", headers={"x-dart": "1"})
#: subscribe(topic, headers: {...}): the headers a rule reads as @request.headers.*
KEY_HEADERS = subscription_key("dart_headers/*", headers={"X-Dart": "1"})
KEY_OTHER_HEADERS = subscription_key("dart_headers/*", {"filter": "title != ''"}, {"X-Dart": "2"})


def _events(dart_pair: Servers, target: Target) -> dict[str, Any]:
    """One Dart client signed in as the user (all four keys), one signed out (the private
    collection), the writes, and what each received: event name -> normalised data."""
    user_sse, user_id = _connect(target)
    anon_sse, anon_id = _connect(target)
    user, anon = dart_pair.client(target, "user"), dart_pair.client(target, "anon")
    try:
        keys = [KEY_ALL, KEY_FILTERED, KEY_ONE, KEY_PRIVATE, KEY_HEADERS, KEY_OTHER_HEADERS]
        assert user.send("/api/realtime", "POST", body={"clientId": user_id, "subscriptions": keys}).status_code == 204
        assert anon.send("/api/realtime", "POST", body={"clientId": anon_id, "subscriptions": [KEY_PRIVATE]}).status_code == 204
        target.ok("POST", RECORDS, {"id": "fixpost00000040", "title": "rt a b", "n": 1})
        target.ok("PATCH", f"{RECORDS}/{POST1}", {"n": 7})
        target.ok("POST", "/api/collections/dart_private/records", {"id": "fixpriv00000001", "title": "private"})
        target.ok("POST", "/api/collections/dart_headers/records", {"id": "fixhead00000001", "title": "headers"})
        target.ok("DELETE", f"{RECORDS}/fixpost00000040")
        first = _drain(user_sse)
        # the SDK's unsubscribe of all but one topic: the remaining keys sent again
        assert user.send("/api/realtime", "POST", body={"clientId": user_id, "subscriptions": [KEY_FILTERED]}).status_code == 204
        target.ok("POST", RECORDS, {"id": "fixpost00000041", "title": "rt a b"})
        target.ok("POST", RECORDS, {"id": "fixpost00000042", "title": "not matching"})
        second = _drain(user_sse)
        anon_seen = _drain(anon_sse, quiet=0.3)
    finally:
        user_sse.close()
        anon_sse.close()
    for message in first + second:
        assert message.event in keys, f"{target.name}: event {message.event!r} names no subscription: the SDK drops it"
        assert message.id == user_id, f"{target.name}: {message}"
        spec = {"action": dto.S, "record": {"id": dto.S}} if message.event == KEY_ONE else dto.SUBSCRIPTION_EVENT
        assert not dto.problems(message.json_data(), spec), (target.name, message)

    def shown(messages: list[Any]) -> list[Any]:
        data = [(m.event, masked(normalise(Reply(200, {}, m.data.encode())).body)) for m in messages]  # type: ignore[arg-type]
        return sorted(data, key=lambda item: (item[0], item[1]["action"], item[1]["record"]["id"]))

    return {"first": shown(first), "second": shown(second), "signed out": shown(anon_seen)}


def test_realtime_as_the_dart_sdk(dart_pair: Servers) -> None:
    pb, py = (_events(dart_pair, target) for target in dart_pair.pair.targets)
    for part in pb:
        assert pb[part] == py[part], f"{part}:\n  PocketBase: {pb[part]}\n  pybase:     {py[part]}"
    assert len(pb["first"]) == 8 and len(pb["second"]) == 1 and pb["signed out"] == []


def _dart_url(url: str, **replaced: str) -> str:
    """``Uri.parse(url).replace(queryParameters: {...url's, ...replaced})``."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    query.update(replaced)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{dart_query(query)}"


def _oauth2_all_in_one(dart_pair: Servers, target: Target) -> Answer:
    """RecordService.authWithOAuth2("oidc", urlCallback): auth methods, an @oauth2 subscription
    on a connection of its own, the provider's page (the browser), the redirect, the code."""
    client = dart_pair.client(target, "anon")
    methods = client.send(f"{USERS}/auth-methods", query={"fields": "mfa,otp,password,oauth2"}).data
    provider = next(p for p in methods["oauth2"]["providers"] if p["name"] == "oidc")
    redirect_url = target.base_url + "/api/oauth2-redirect"
    sse, client_id = _connect(target)
    try:
        assert client.send("/api/realtime", "POST", body={"clientId": client_id, "subscriptions": ["@oauth2"]}).status_code == 204
        granted = dart_pair.provider.authorize(_dart_url(provider["authURL"] + redirect_url, state=client_id), "")
        redirect = requests.get(f"{redirect_url}?{urlencode(granted)}", allow_redirects=False, timeout=10)
        assert redirect.status_code in (302, 307), redirect.text
        message = sse.next()
    finally:
        sse.close()
    assert message is not None and message.event == "@oauth2", (target.name, message)
    event = message.json_data()
    assert event.get("state") == client_id and event.get("code"), (target.name, event)
    reply = client.send(f"{USERS}/auth-with-oauth2", "POST", query=expand_fields(), body={
        "provider": provider["name"], "code": event["code"], "codeVerifier": provider["codeVerifier"], "redirectURL": redirect_url,
        "createData": {},
    })  # fmt: skip
    assert reply.status_code == 200, (target.name, reply.text)
    assert not dto.problems(reply.data, dto.RECORD_AUTH_OAUTH2), (target.name, reply.text)
    assert isinstance(token_expiry(reply.data["token"]), int)
    answer = normalise(reply)  # type: ignore[arg-type]
    return Answer(answer.status, {"record": answer.body["record"], "meta": sorted(answer.body["meta"])})


def test_oauth2_all_in_one_flow(dart_pair: Servers) -> None:
    pb, py = (_oauth2_all_in_one(dart_pair, target) for target in dart_pair.pair.targets)
    assert difference(pb, py) is None, difference(pb, py)


def _otp(dart_pair: Servers, target: Target) -> Answer:
    """requestOTP, then authWithOTP with the code mailed."""
    client = dart_pair.client(target, "anon")
    seen = dart_pair.mails_to(USER_EMAIL)
    requested = client.send(f"{USERS}/request-otp", "POST", body={"email": USER_EMAIL})
    assert requested.status_code == 200 and not dto.problems(requested.data, dto.OTP_RESPONSE), (target.name, requested.text)
    code = re.search(r"<strong>(\d+)</strong>", dart_pair.next_mail_to(USER_EMAIL, seen)).group(1)  # type: ignore[union-attr]
    reply = client.send(f"{USERS}/auth-with-otp", "POST", query=expand_fields(), body={"otpId": requested.data["otpId"], "password": code})
    assert reply.status_code == 200 and not dto.problems(reply.data, dto.RECORD_AUTH), (target.name, reply.text)
    assert isinstance(token_expiry(reply.data["token"]), int)
    return normalise(reply)  # type: ignore[arg-type]


def test_otp_flow(dart_pair: Servers) -> None:
    pb, py = (_otp(dart_pair, target) for target in dart_pair.pair.targets)
    assert difference(pb, py) is None, difference(pb, py)


def _redirect_event(dart_pair: Servers, target: Target, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The ``@oauth2`` event a provider's redirect with ``query`` (its ``state`` the client's id)
    sends, as the SDK reads it; the redirect's status."""
    client = dart_pair.client(target, "anon")
    sse, client_id = _connect(target)
    try:
        assert client.send("/api/realtime", "POST", body={"clientId": client_id, "subscriptions": ["@oauth2"]}).status_code == 204
        redirect = requests.get(target.base_url + "/api/oauth2-redirect?" + urlencode({**query, "state": client_id}),
                                allow_redirects=False, timeout=10)  # fmt: skip
        message = sse.next()
    finally:
        sse.close()
    assert message is not None and message.event == "@oauth2", (target.name, message)
    event = message.json_data()
    assert event.get("state") == client_id, (target.name, event)
    return redirect.status_code, {**event, "state": "<client id>"}


@pytest.mark.parametrize("query", [{"error": "access_denied", "error_description": "the user said no"}, {"code": "abc", "extra": "1"}])
def test_oauth2_redirect_events(dart_pair: Servers, query: dict[str, str]) -> None:
    """What the SDK's ``@oauth2`` listener reads (state, code, error) from a provider's redirect."""
    pb, py = (_redirect_event(dart_pair, target, query) for target in dart_pair.pair.targets)
    assert pb == py
