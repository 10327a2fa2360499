"""Realtime over HTTP with a raw SSE client: the stream, the subscribe form, who gets which event."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import requests
from sqlalchemy import select, update

from pybase.apis.realtime import realtime_of
from pybase.store.schema import collections_table
from tests.realtime.sse import SseClient
from tests.scenarios import compact
from tests.testapp import POST1_ID, USER1_ID, USER2_ID, TestServer

pytestmark = pytest.mark.both_backends

PB_ERROR = "Something went wrong while processing your request."


@pytest.fixture
def clients(server: TestServer) -> Iterator[Callable[..., SseClient]]:
    opened: list[SseClient] = []

    def open_client(**kwargs: Any) -> SseClient:
        client = SseClient(server.base_url, **kwargs)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


def _create(server: TestServer, collection: str, body: dict[str, Any], token: str = "superuser") -> dict[str, Any]:
    resp = server.request("POST", f"/api/collections/{collection}/records", json=body, headers={"Authorization": server.token(token)})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _next_record_event(client: SseClient, timeout: float = 5.0) -> tuple[str, str, dict[str, Any]]:
    event = client.next(timeout)
    assert event is not None, "the stream ended"
    assert event.id == client.client_id
    return event.name, event.data["action"], event.data["record"]


# ---- the stream ----------------------------------------------------------------------------------


def test_connect_sends_pb_connect_with_the_client_id_and_pocketbase_headers(server: TestServer, clients: Any) -> None:
    client = clients()
    head = client.head.decode().lower()
    assert head.startswith("http/1.1 200")
    for header in ("content-type: text/event-stream", "cache-control: no-store", "x-accel-buffering: no", "transfer-encoding: chunked"):
        assert header in head
    assert "connection: close" not in head
    assert len(client.client_id) == 40
    assert realtime_of(server.app).broker.client_by_id(client.client_id) is not None
    assert server.events["onRealtimeConnectRequest"] == 1
    assert server.events["onRealtimeMessageSend"] >= 1  # PB_CONNECT goes through the hook too


def test_a_stream_holds_no_worker_thread(server: TestServer, clients: Any) -> None:
    streams = [clients() for _ in range(40)]  # more than the server's worker threads
    assert server.request("GET", "/api/health").status_code == 200
    assert realtime_of(server.app).streams.count() >= len(streams)


def test_a_client_that_leaves_is_unregistered(server: TestServer, clients: Any) -> None:
    client = clients()
    broker = realtime_of(server.app).broker
    client.close()
    deadline = time.monotonic() + 20  # NOTE: generous: a loaded machine delays the loop's wake-up
    while broker.client_by_id(client.client_id) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert broker.client_by_id(client.client_id) is None


# ---- the subscribe form: bad input (as PocketBase 0.40 answers it) ---------------------------------

BAD_SUBSCRIBE = [
    # (name, body (CLIENT becomes a live client id), headers, status, fragments)
    ("empty body", b"", {}, 400, ['"clientId":{"code":"validation_required"']),
    ("malformed json", b"{", {}, 400, [f'"message":"{PB_ERROR}"', '"data":{}']),
    ("no client id", {}, {}, 400, ['"clientId":{"code":"validation_required","message":"Cannot be blank."}']),
    ("empty client id", {"clientId": ""}, {}, 400, ['"validation_required"']),
    ("client id of the wrong type", {"clientId": 5}, {}, 400, ['"data":{}', PB_ERROR]),
    ("subscriptions not a list", {"clientId": "CLIENT", "subscriptions": "a"}, {}, 400, ['"data":{}']),
    ("a topic that is not a string", {"clientId": "CLIENT", "subscriptions": [5]}, {}, 400, ['"data":{}']),
    ("unknown client id", {"clientId": "x"}, {}, 404, ['"message":"Missing or invalid client id."']),
    ("a too long client id", {"clientId": "x" * 256}, {}, 400, ['"clientId":{"code":"validation_length_out_of_range"', '"max":255']),
    ("too many topics", {"clientId": "CLIENT", "subscriptions": ["a"] * 1001}, {}, 400, ['"subscriptions":{"code":"validation_length_too_long"', '"max":1000']),
    ("a too long topic", {"clientId": "CLIENT", "subscriptions": ["ok", "a" * 2501]}, {}, 400, ['"subscriptions":{"1":{"code":"validation_length_too_long"', '"max":2500']),
    ("a forged token is a guest", {"clientId": "CLIENT", "subscriptions": ["posts"]}, {"Authorization": "forged.token.value"}, 204, []),
    ("no topics", {"clientId": "CLIENT"}, {}, 204, []),
    ("null topics", {"clientId": "CLIENT", "subscriptions": None}, {}, 204, []),
]


@pytest.mark.parametrize("name,body,headers,status,fragments", BAD_SUBSCRIBE, ids=[c[0] for c in BAD_SUBSCRIBE])
def test_subscribe_input(server: TestServer, clients: Any, name: str, body: Any, headers: dict[str, str], status: int, fragments: list[str]) -> None:
    client = clients()
    if isinstance(body, dict):
        body = orjson.dumps(body).replace(b'"CLIENT"', orjson.dumps(client.client_id))
    resp = requests.post(server.base_url + "/api/realtime", data=body, headers={"Content-Type": "application/json", **headers}, timeout=10)
    text = compact(resp.text)
    assert resp.status_code == status, text
    for fragment in fragments:
        assert fragment in text, text
    if status >= 400:
        assert f'"status":{status}' in text


def test_a_client_id_used_from_another_ip_is_refused(server: TestServer, clients: Any) -> None:
    client = clients()
    realtime_of(server.app).broker.client_by_id(client.client_id).set("pbRealtimeClientIP", "10.9.9.9")
    resp = client.subscribe("posts")
    assert resp.status_code == 400
    assert resp.json()["message"] == "Invalid realtime client."


def test_signed_in_client_cannot_switch_to_another_auth(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("posts", token=server.token("user1")).status_code == 204
    other = client.subscribe("posts", token=server.token("user2"))
    assert other.status_code == 403
    assert other.json()["message"] == "The current and the previous request authorization don't match."
    assert client.subscribe("posts").status_code == 403  # nor back to a guest
    assert client.subscribe("posts", token=server.token("user1")).status_code == 204


# ---- events ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["posts/*", "posts", "POSTS_ID/*"])
def test_create_update_delete_events_reach_a_collection_subscriber(server: TestServer, clients: Any, topic: str) -> None:
    topic = topic.replace("POSTS_ID", server.app.find_collection("posts").id)
    client = clients()
    assert client.subscribe(topic).status_code == 204
    created = _create(server, "posts", {"title": "hello there"})
    name, action, record = _next_record_event(client)
    assert (name, action, record["id"], record["title"]) == (topic, "create", created["id"], "hello there")
    assert record["collectionName"] == "posts" and "secret" not in record  # hidden from guests
    server.request("PATCH", f"/api/collections/posts/records/{created['id']}", json={"title": "changed"})
    assert _next_record_event(client)[1:3:1][0] == "update"
    server.request("DELETE", f"/api/collections/posts/records/{created['id']}")
    name, action, record = _next_record_event(client)
    assert (action, record["id"], record["title"]) == ("delete", created["id"], "changed")


def test_record_topic_gets_only_its_record(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe(f"posts/{POST1_ID}").status_code == 204
    _create(server, "posts", {"title": "another one"})
    server.request("PATCH", f"/api/collections/posts/records/{POST1_ID}", json={"views": 7})
    name, action, record = _next_record_event(client)
    assert (name, action, record["id"], record["views"]) == (f"posts/{POST1_ID}", "update", POST1_ID, 7)
    client.expect_none()


def test_rules_decide_who_receives(server: TestServer, clients: Any) -> None:
    guest, user1, user2, superuser = clients(), clients(), clients(), clients()
    assert guest.subscribe("owned/*").status_code == 204
    assert user1.subscribe("owned/*", token=server.token("user1")).status_code == 204
    assert user2.subscribe("owned/*", token=server.token("user2")).status_code == 204
    assert superuser.subscribe("owned/*", token=server.token("superuser")).status_code == 204
    created = _create(server, "owned", {"title": "mine", "owner": USER1_ID}, token="user1")
    assert _next_record_event(user1)[2]["id"] == created["id"]
    assert _next_record_event(superuser)[2]["id"] == created["id"]
    guest.expect_none(0.3)
    user2.expect_none(0.3)


def test_superuser_sees_hidden_fields(server: TestServer, clients: Any) -> None:
    superuser = clients()
    assert superuser.subscribe("posts/*", token=server.token("superuser")).status_code == 204
    _create(server, "posts", {"title": "with a secret", "secret": "s3"})
    assert _next_record_event(superuser)[2]["secret"] == "s3"


def test_subscription_options_filter_expand_fields(server: TestServer, clients: Any) -> None:
    client = clients()
    options = orjson.dumps({"query": {"filter": "views > 10", "expand": "author", "fields": "id,views,expand.author.name"}}).decode()
    topic = "posts/*?options=" + requests.utils.quote(options)
    assert client.subscribe(topic, token=server.token("user1")).status_code == 204  # users: only self is viewable
    _create(server, "posts", {"title": "few views", "views": 1, "author": USER1_ID})
    big = _create(server, "posts", {"title": "many views", "views": 50, "author": USER1_ID})
    name, action, record = _next_record_event(client)
    assert name == topic
    assert record == {"id": big["id"], "views": 50, "expand": {"author": {"name": "User One"}}}
    client.expect_none(0.3)


def test_a_filter_only_superusers_may_write_sends_nothing(server: TestServer, clients: Any) -> None:
    client = clients()
    options = orjson.dumps({"query": {"filter": "@collection.users.id != ''"}}).decode()
    assert client.subscribe("posts/*?options=" + requests.utils.quote(options)).status_code == 204
    _create(server, "posts", {"title": "anything"})
    client.expect_none(0.4)


def test_a_rolled_back_write_sends_nothing(server: TestServer, clients: Any) -> None:
    settings = server.app.settings()
    settings["batch"]["enabled"] = True
    server.app.save_settings(settings)
    client = clients()
    assert client.subscribe("posts/*").status_code == 204
    resp = server.request("POST", "/api/batch", json={"requests": [
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "rolled back"}},
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "x"}},  # too short: fails
    ]})
    assert resp.status_code == 400
    client.expect_none(0.5)
    resp = server.request("POST", "/api/batch", json={"requests": [
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "first of two"}},
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "second of two"}},
    ]})
    assert resp.status_code == 200
    titles = [_next_record_event(client)[2]["title"] for _ in range(2)]
    assert titles == ["first of two", "second of two"]


def test_unsubscribe_stops_events(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("posts/*").status_code == 204
    assert client.subscribe().status_code == 204
    _create(server, "posts", {"title": "nobody listens"})
    client.expect_none(0.4)


def test_cascade_delete_events_are_checked_before_the_rows_go(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("comments/*", "posts/*").status_code == 204
    post = _create(server, "posts", {"title": "with comments"})
    comment = _create(server, "comments", {"message": "hi", "post": post["id"]})
    assert [_next_record_event(client)[1] for _ in range(2)] == ["create", "create"]
    # NOTE: comments.post is required and not cascading: the delete is refused, nothing is sent.
    assert server.request("DELETE", f"/api/collections/posts/records/{post['id']}", headers={"Authorization": server.token("superuser")}).status_code == 400
    client.expect_none(0.4)
    assert server.request("DELETE", f"/api/collections/comments/records/{comment['id']}").status_code == 204
    assert _next_record_event(client)[1:] [0] == "delete"


# ---- the client's auth changes -------------------------------------------------------------------


def test_a_new_token_key_makes_the_client_a_guest(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("owned/*", token=server.token("user1")).status_code == 204
    _create(server, "owned", {"title": "first", "owner": USER1_ID}, token="user1")
    assert _next_record_event(client)[1] == "create"
    user = server.app.find_record_by_id("users", USER1_ID)
    user.set_password_plain("password", "a-new-password-1")
    server.app.save(user)  # a password change renews the tokenKey
    _create(server, "owned", {"title": "second", "owner": USER1_ID})
    client.expect_none(0.5)
    # the stream stays open: a new sign-in may subscribe again
    assert client.subscribe("owned/*", token=server.token("user1")).status_code == 204
    _create(server, "owned", {"title": "third", "owner": USER1_ID})
    assert _next_record_event(client)[2]["title"] == "third"


def test_deleting_the_auth_record_drops_its_access(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("owned/*", token=server.token("user2")).status_code == 204
    broker = realtime_of(server.app).broker
    server.app.delete(server.app.find_record_by_id("users", USER2_ID))
    realtime_of(server.app).app.event_bus.drain()
    assert broker.client_by_id(client.client_id).auth is None


def test_an_updated_auth_record_is_what_rules_see(server: TestServer, clients: Any) -> None:
    client = clients()
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    user = server.app.find_record_by_id("users", USER1_ID)
    user.set("name", "renamed")
    server.app.save(user)
    server.app.event_bus.drain()
    assert realtime_of(server.app).broker.client_by_id(client.client_id).auth.get("name") == "renamed"


def _set_users_token_secret_unheard(server: TestServer, secret: str) -> str:
    """Another process's change: the users row's token secret, written without this process's
    collections hearing of it; returns the one before."""
    with server.app.db.write() as conn:
        row = conn.execute(select(collections_table.c.options).where(collections_table.c.name == "users")).one()
        options = orjson.loads(row.options)
        before = options["authToken"]["secret"]
        options["authToken"]["secret"] = secret
        conn.execute(update(collections_table).where(collections_table.c.name == "users").values(options=orjson.dumps(options).decode()))
    return str(before)


def test_a_token_secret_changed_elsewhere_signs_out_when_read_inside_a_write(server: TestServer, clients: Any) -> None:
    """A worker first reads another's new token secret inside a write of its own (a collection
    save reloads inside its transaction): the reload made live at its commit signs the clients
    out, and once is enough (found by review, H69)."""
    client = clients()
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    broker = realtime_of(server.app).broker
    assert broker.client_by_id(client.client_id).auth is not None
    before = _set_users_token_secret_unheard(server, "n" * 50)
    try:
        assert broker.client_by_id(client.client_id).auth is not None  # not heard of yet
        with server.app.db.write():
            server.app.registry.reload()  # inside the write: that write's view, read again at its commit
        assert broker.client_by_id(client.client_id).auth is None
        server.app.registry.reload()
        assert broker.client_by_id(client.client_id).auth is None
    finally:
        _set_users_token_secret_unheard(server, before)
        server.app.registry.reload()
    # signed in again with a token of the secret in force, the client stays so across reloads
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    server.app.registry.reload()
    assert broker.client_by_id(client.client_id).auth is not None


def test_a_token_secret_changed_in_a_write_rolled_back_signs_no_one_out(server: TestServer, clients: Any) -> None:
    """A write changing the token secret and reading the collections again (a migration's
    reloadCachedCollections) rolls back: its clients stay signed in (they were signed out at
    the reload inside it, before anything committed)."""
    client = clients()
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    broker = realtime_of(server.app).broker
    with pytest.raises(RuntimeError), server.app.db.write():
        _set_users_token_secret_unheard(server, "r" * 50)  # NOTE: joins this write
        server.app.registry.reload()
        raise RuntimeError("rolled back")
    assert broker.client_by_id(client.client_id).auth is not None
    server.app.registry.reload()
    assert broker.client_by_id(client.client_id).auth is not None


@pytest.mark.parametrize("fails", [False, True])
def test_a_token_secret_saved_here_signs_out_once_committed(server: TestServer, clients: Any, fails: bool) -> None:
    """The collection saved through the app with a new token secret: its clients are guests
    once the save commits; a save rolled back by a later hook signs no one out."""
    client = clients()
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    broker = realtime_of(server.app).broker
    users = server.app.registry.find("users")
    before = users.token_option("authToken")["secret"]
    changed = users.clone()
    changed.auth = {**changed.auth, "authToken": {**changed.token_option("authToken"), "secret": "k" * 50}}
    try:
        if fails:
            with pytest.raises(RuntimeError), server.app.db.write():
                server.app.save_collection(changed, users)
                assert broker.client_by_id(client.client_id).auth is not None  # not committed yet
                raise RuntimeError("a later hook failed")
            assert broker.client_by_id(client.client_id).auth is not None
        else:
            server.app.save_collection(changed, users)
            assert broker.client_by_id(client.client_id).auth is None
    finally:
        now = server.app.registry.find("users")
        if now.token_option("authToken")["secret"] != before:
            restored = now.clone()
            restored.auth = {**restored.auth, "authToken": {**restored.token_option("authToken"), "secret": before}}
            server.app.save_collection(restored, now)


def test_an_auth_record_read_under_a_new_token_secret_signs_its_client_out(server: TestServer, clients: Any) -> None:
    """A change of a signed-in user read under a token secret this process has not reloaded
    yet (another process changed it) no longer fits the client's token: a guest."""
    client = clients()
    assert client.subscribe("posts/*", token=server.token("user1")).status_code == 204
    broker = realtime_of(server.app).broker
    realtime = realtime_of(server.app)
    user = server.app.find_record_by_id("users", USER1_ID)
    changed = server.app.registry.find("users").clone()
    changed.auth = {**changed.auth, "authToken": {**changed.token_option("authToken"), "secret": "m" * 50}}
    user.collection = changed
    realtime.broadcaster._refresh_auth(user)
    assert broker.client_by_id(client.client_id).auth is None


# ---- hooks, timeouts, slow clients, shutdown -------------------------------------------------------


def test_message_hook_can_rewrite_or_drop_messages(server: TestServer, clients: Any) -> None:
    def hook(e: Any) -> Any:
        if e.message.name == "posts/*" and b"drop me" in e.message.data:
            return None  # not calling next: the message is not sent
        return e.next()

    server.app.hooks["onRealtimeMessageSend"].bind(hook, id="test")
    client = clients()
    assert client.subscribe("posts/*").status_code == 204
    _create(server, "posts", {"title": "drop me"})
    _create(server, "posts", {"title": "keep me"})
    assert _next_record_event(client)[2]["title"] == "keep me"


def test_subscribe_hook_sees_and_changes_the_topics(server: TestServer, clients: Any) -> None:
    seen: list[list[str]] = []

    def hook(e: Any) -> Any:
        seen.append(list(e.subscriptions))
        e.subscriptions = [*e.subscriptions, "comments/*"]
        return e.next()

    server.app.hooks["onRealtimeSubscribeRequest"].bind(hook, id="test")
    client = clients()
    assert client.subscribe("posts/*").status_code == 204
    assert seen == [["posts/*"]]
    assert realtime_of(server.app).broker.client_by_id(client.client_id).subscriptions().keys() == {"posts/*", "comments/*"}


def test_idle_streams_close_after_the_idle_timeout(server: TestServer, clients: Any) -> None:
    def short(e: Any) -> Any:
        e.idle_timeout = 1.0
        return e.next()

    server.app.hooks["onRealtimeConnectRequest"].bind(short, id="test")
    client = clients()
    assert client.next(5) is None  # the stream ended cleanly (last chunk), no event
    assert client.closed.wait(2)


def test_a_client_that_reads_nothing_is_dropped(server: TestServer, clients: Any) -> None:
    realtime = realtime_of(server.app)
    realtime.streams.max_backlog = 64 << 10
    reader = clients()
    assert reader.subscribe("posts/*").status_code == 204
    stuck = clients(rcvbuf=4096)
    assert stuck.subscribe("posts/*").status_code == 204
    stuck_id = stuck.client_id
    stuck.paused.set()  # from now on it reads nothing
    body = "x" * 60_000
    ids = []
    deadline = time.monotonic() + 30
    while realtime.broker.client_by_id(stuck_id) is not None and time.monotonic() < deadline:
        ids.append(_create(server, "posts", {"title": f"big {len(ids)}", "body": body})["id"])
        while True:  # the reading client keeps up
            try:
                if _next_record_event(reader, 5)[2]["id"] == ids[-1]:
                    break
            except queue.Empty:
                raise AssertionError("the reading client fell behind") from None
    assert realtime.broker.client_by_id(stuck_id) is None


def test_shutdown_closes_streams_cleanly(tmp_path: Any, fixture_data: Any) -> None:
    from tests.testapp import start_server

    srv = start_server(tmp_path, fixture_data)
    client = SseClient(srv.base_url)
    srv.stop()
    assert client.next(10) is None
    assert client.closed.is_set()
    client.close()


def test_python_code_sends_custom_messages_to_a_topic_or_a_client(server: TestServer, clients: Any) -> None:
    from pybase.core.realtime import Message

    broker = server.app.subscriptions_broker()
    listener, other = clients(), clients()
    assert listener.subscribe("custom", "@oauth2").status_code == 204
    assert other.subscribe("posts/*").status_code == 204
    assert broker.send("custom", b'{"hello":"world"}') == 1
    event = listener.next(5)
    assert event is not None and (event.name, event.data, event.id) == ("custom", {"hello": "world"}, listener.client_id)
    # the OAuth2 popup flow: the redirect handler finds the client by id and sends on @oauth2
    client = broker.client_by_id(listener.client_id)
    assert client is not None and client.has_subscription("@oauth2")
    client.send(Message("@oauth2", b'{"state":"' + client.id.encode() + b'","code":"abc"}'))
    event = listener.next(5)
    assert event is not None and event.name == "@oauth2" and event.data["code"] == "abc"
    other.expect_none(0.3)
