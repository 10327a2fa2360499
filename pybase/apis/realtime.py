"""Realtime routes: ``GET /api/realtime`` (the SSE stream) and ``POST /api/realtime`` (topics).

The access checks and the event bus are core's (``pybase.core.realtime``); this module owns
the wire: the stream's response, the subscribe form and the SSE transport.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

import falcon
import orjson

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import bad_request, forbidden, not_found
from pybase.apis.realtime_streams import (
    HIJACK_ENV,
    IDLE_TIMEOUT,
    BlockingStream,
    QueueTransport,
    SseStreams,
)
from pybase.apis.request_body import read_body, request_info
from pybase.apis.serialize import record_to_json
from pybase.core.errors import FieldError, required
from pybase.core.events import (
    RealtimeConnectRequestEvent,
    RealtimeMessageEvent,
    RealtimeSubscribeRequestEvent,
)
from pybase.core.realtime import AUTH_KEY, IP_KEY, Client, Message, RecordBroadcaster, as_message
from pybase.core.realtime.remote import RemoteClient

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.realtime")

MSG_MISSING_CLIENT = "Missing or invalid client id."
MSG_INVALID_CLIENT = "Invalid realtime client."
MSG_AUTH_MISMATCH = "The current and the previous request authorization don't match."
MAX_CLIENT_ID = 255
MAX_TOPICS = 1000
MAX_TOPIC_LENGTH = 2500


class Realtime:
    """The realtime parts of one app: broker and bus (core), streams and broadcaster (here)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.broker = app.subscriptions_broker()
        self.streams = SseStreams(self.broker)
        self.fallback = QueueTransport()
        self.streams.before_send = self.fallback.before_send = self._before_send
        self.broadcaster = RecordBroadcaster(app, self.broker, app.event_bus, _export)
        self.broadcaster.bind()
        app.hooks["onTerminate"].bind(self._terminate, id="__pbRealtimeShutdown__", priority=-99)

    def _before_send(self, client: Client, message: Message) -> Message | None:
        hook = self.app.hooks["onRealtimeMessageSend"]
        if not hook.length():
            return message
        event = RealtimeMessageEvent(self.app)
        event.client, event.message = client, message
        sent: list[Message] = []
        try:
            hook.trigger(event, lambda e: sent.append(as_message(e.message)))
        except Exception:  # noqa: BLE001 - as PocketBase: a failing hook drops the message
            log.exception("realtime: onRealtimeMessageSend failed; the message to %s is dropped", client.id)
            return None
        return sent[0] if sent else None

    def _terminate(self, e: Any) -> Any:
        self.app.event_bus.close()
        self.streams.shutdown()
        for client in list(self.broker.local_clients()):
            self.broker.unregister(client)
        return e.next()


_instances: dict[int, Realtime] = {}


def realtime_of(app: App) -> Realtime:
    """The app's realtime parts (made once per app, whatever number of WSGI apps serve it)."""
    found = _instances.get(id(app))
    if found is None or found.app is not app:
        found = _instances[id(app)] = Realtime(app)
    return found


def _export(record: Any, info: Any, show_email: bool) -> dict[str, Any]:
    return record_to_json(record, info, show_email=show_email)


def register(api: falcon.App, app: App) -> None:
    api.add_route("/api/realtime", RealtimeResource(realtime_of(app)))


def _same_auth(a: Any, b: Any) -> bool:
    if a is None:
        return b is None
    return b is not None and a.id == b.id and a.collection.id == b.collection.id


class RealtimeResource:
    def __init__(self, realtime: Realtime) -> None:
        self.realtime = realtime
        self.app = realtime.app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.skip_success_log = True  # NOTE: as PocketBase: streams are not logged
        client = self.realtime.broker.new_client()
        client.set(IP_KEY, real_ip(req))
        event = RealtimeConnectRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        event.client, event.idle_timeout = client, IDLE_TIMEOUT

        def finalize(e: RealtimeConnectRequestEvent) -> None:
            realtime = self.realtime
            resp.status = falcon.HTTP_200
            resp.content_type = "text/event-stream"
            resp.set_header("Cache-Control", "no-store")
            # NOTE: tells nginx not to buffer the stream (PocketBase sends it too)
            resp.set_header("X-Accel-Buffering", "no")
            connected = Message("PB_CONNECT", b'{"clientId":' + orjson.dumps(e.client.id) + b"}")
            idle = float(getattr(e, "idle_timeout", IDLE_TIMEOUT) or IDLE_TIMEOUT)
            hijack = req.env.get(HIJACK_ENV)
            realtime.broker.register(e.client)
            if hijack is not None:

                def adopt(sock: socket.socket, head: bytes, chunked: bool) -> None:
                    realtime.streams.adopt(e.client, sock, head, chunked, idle)
                    realtime.streams.deliver([(e.client, connected)])

                hijack(adopt)
                resp.stream = iter(())
                return
            stream = BlockingStream(e.client, idle)
            realtime.fallback.streams[e.client.id] = stream
            e.client.transport = realtime.fallback
            realtime.fallback.deliver([(e.client, connected)])
            resp.stream = _unregistering(stream, realtime, e.client)

        self.app.hooks["onRealtimeConnectRequest"].trigger(event, finalize)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        client_id, topics = _read_form(req)
        # NOTE: with several workers or nodes the stream may be held by another one: the
        # broker asks it (a RemoteClient).
        client = self.realtime.broker.client_by_id(client_id)
        if client is None:
            raise not_found(MSG_MISSING_CLIENT)
        # NOTE: as PocketBase: another IP may not take over a client (against guessed ids)...
        ip = client.get(IP_KEY)
        if ip and ip != real_ip(req):
            raise bad_request(MSG_INVALID_CLIENT)
        # ... and a client's auth may only go from guest to signed in.
        auth = req.context.auth
        current = client.get(AUTH_KEY)
        if current is not None and not _same_auth(current, auth):
            raise forbidden(MSG_AUTH_MISMATCH)
        event = RealtimeSubscribeRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, auth
        event.client, event.subscriptions = client, list(topics)
        request_info(req)

        def finalize(e: RealtimeSubscribeRequestEvent) -> None:
            topics = list(e.subscriptions or [])
            if isinstance(e.client, RemoteClient):
                auth_ref = [e.auth.collection.id, e.auth.id] if e.auth is not None else None
                if not e.client.apply(auth_ref, topics):
                    raise not_found(MSG_MISSING_CLIENT)
                resp.status = falcon.HTTP_204
                return
            if e.auth is None:
                e.client.unset(AUTH_KEY)
            else:
                e.client.set(AUTH_KEY, e.auth)
            e.client.set_subscriptions(topics)
            resp.status = falcon.HTTP_204

        self.app.hooks["onRealtimeSubscribeRequest"].trigger(event, finalize)


def _read_form(req: falcon.Request) -> tuple[str, list[str]]:
    """The subscribe form, checked as PocketBase checks it."""
    data, _files = read_body(req, infer=False)
    client_id = data.get("clientId", "")
    topics = data.get("subscriptions")
    if not isinstance(client_id, str) or not (topics is None or isinstance(topics, list)):
        raise bad_request()
    topics = topics or []
    if not all(isinstance(t, str) for t in topics):
        raise bad_request()
    errors: dict[str, Any] = {}
    if not client_id:
        errors["clientId"] = required().to_json()
    elif len(client_id) > MAX_CLIENT_ID:
        errors["clientId"] = _length_error("validation_length_out_of_range", f"The length must be between 1 and {MAX_CLIENT_ID}.", 1, MAX_CLIENT_ID)
    if len(topics) > MAX_TOPICS:
        errors["subscriptions"] = _length_error("validation_length_too_long", f"The length must be no more than {MAX_TOPICS}.", 0, MAX_TOPICS)
    else:
        long = {
            str(i): _length_error("validation_length_too_long", f"The length must be no more than {MAX_TOPIC_LENGTH}.", 0, MAX_TOPIC_LENGTH)
            for i, t in enumerate(topics)
            if len(t) > MAX_TOPIC_LENGTH
        }
        if long:
            errors["subscriptions"] = long
    if errors:
        raise bad_request(data=errors)
    return client_id, topics


def _length_error(code: str, message: str, low: int, high: int) -> dict[str, Any]:
    return FieldError(code, message, {"max": high, "min": low}).to_json()


def _unregistering(stream: BlockingStream, realtime: Realtime, client: Client) -> Any:
    try:
        yield from stream
    finally:
        realtime.fallback.streams.pop(client.id, None)
        realtime.broker.unregister(client.id)
