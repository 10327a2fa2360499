"""A realtime client: its id, topics with their options, a small store, and where its messages go."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from pybase.tools.security import random_string

CLIENT_ID_LENGTH = 40
# Store keys PocketBase uses (hooks read them through client.get()).
AUTH_KEY = "auth"
IP_KEY = "pbRealtimeClientIP"
# Messages a client without a transport (one a Python app registered itself) keeps for reading.
DETACHED_BACKLOG = 1000


@dataclass(frozen=True)
class Message:
    """One server-sent event: ``name`` is the topic (or PB_CONNECT), ``data`` its JSON bytes."""

    name: str
    data: bytes


def as_message(value: Any) -> Message:
    """A message from a hook: a Message, or ``{name, data}`` with data as text or bytes."""
    if isinstance(value, Message):
        return value
    if not isinstance(value, dict):
        raise TypeError("a realtime message needs a name and data")
    data = value.get("data")
    if isinstance(data, list):
        raw = bytes(int(b) & 0xFF for b in data)
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        raw = ("" if data is None else str(data)).encode()
    return Message(str(value.get("name") or ""), raw)


@dataclass(frozen=True)
class SubscriptionOptions:
    """The ``?options={"query":{...},"headers":{...}}`` of a topic, as strings."""

    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def key(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """Hashable form (subscriptions with equal options share their payloads)."""
        return tuple(sorted(self.query.items())), tuple(sorted(self.headers.items()))


def _to_string(value: Any) -> str:
    # NOTE: as Go's cast.ToString: numbers and booleans print plainly, objects become "".
    if value is None or isinstance(value, dict | list):
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _snake(name: str) -> str:
    """Header names as rules see them (``X-Token`` -> ``x_token``, PocketBase's Snakecase)."""
    words = re.sub(r"[^\w]+", " ", name).strip()
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", words)
    return "_".join(words.lower().split())


def parse_options(topic: str) -> SubscriptionOptions:
    """The options a topic carries; unreadable options count as none (as PocketBase)."""
    if "?" not in topic:
        return SubscriptionOptions()
    try:
        raw = parse_qs(urlsplit(topic).query).get("options", [""])[0]
        decoded = orjson.loads(raw) if raw else {}
    except (ValueError, orjson.JSONDecodeError):
        return SubscriptionOptions()
    if not isinstance(decoded, dict):
        return SubscriptionOptions()
    query = decoded.get("query")
    headers = decoded.get("headers")
    return SubscriptionOptions(
        query={str(k): _to_string(v) for k, v in query.items()} if isinstance(query, dict) else {},
        headers={_snake(str(k)): _to_string(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
    )


def topic_base(topic: str) -> str:
    """The collection part of a topic (``posts/abc?options=...`` -> ``posts``)."""
    return topic.split("?", 1)[0].split("/", 1)[0]


class Client:
    """One subscriber. Thread-safe: the API, the broadcaster and the transport all use it.

    ``transport`` is set by whoever owns the connection (the SSE streams); without one the
    client keeps its last messages in ``backlog`` (a client a Python app registered itself).
    """

    def __init__(self, client_id: str | None = None) -> None:
        self.id = client_id or random_string(CLIENT_ID_LENGTH)
        self._lock = threading.Lock()
        self._subscriptions: dict[str, SubscriptionOptions] = {}
        self._store: dict[str, Any] = {}
        self.discarded = False
        self.transport: Transport | None = None
        self.backlog: deque[Message] = deque(maxlen=DETACHED_BACKLOG)
        #: called with the client when its topics change (the broker keeps its index with it)
        self.on_topics_changed: Callable[[Client], None] | None = None

    # ---- topics ---------------------------------------------------------------------------

    def subscribe(self, *topics: str) -> None:
        """Add topics (each parsed for its options once)."""
        with self._lock:
            for topic in topics:
                if topic:
                    self._subscriptions[topic] = parse_options(topic)
        self._changed()

    def unsubscribe(self, *topics: str) -> None:
        """Remove the given topics, or every topic when none is given."""
        with self._lock:
            if topics:
                for topic in topics:
                    self._subscriptions.pop(topic, None)
            else:
                self._subscriptions.clear()
        self._changed()

    def set_subscriptions(self, topics: list[str]) -> None:
        """Replace every topic at once (what the subscribe request does)."""
        parsed = {t: parse_options(t) for t in topics if t}
        with self._lock:
            self._subscriptions = parsed
        self._changed()

    def subscriptions(self, *prefixes: str) -> dict[str, SubscriptionOptions]:
        """Topics (with options) starting with any prefix (PocketBase matches ``topic + "?"``)."""
        with self._lock:
            subs = dict(self._subscriptions)
        if not prefixes:
            return subs
        return {t: o for t, o in subs.items() if any((t + "?").startswith(p) for p in prefixes)}

    def has_subscription(self, topic: str) -> bool:
        with self._lock:
            return topic in self._subscriptions

    def topic_bases(self) -> set[str]:
        with self._lock:
            return {topic_base(t) for t in self._subscriptions}

    def _changed(self) -> None:
        if self.on_topics_changed is not None:
            self.on_topics_changed(self)

    # ---- store ----------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        with self._lock:
            return self._store.get(key)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._store[key] = value

    def unset(self, key: str) -> None:
        with self._lock:
            self._store.pop(key, None)

    @property
    def auth(self) -> Any:
        """The auth record the client subscribed with (None for a guest)."""
        return self.get(AUTH_KEY)

    # ---- messages ---------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Queue one message for this client (dropped once the client is discarded)."""
        if self.discarded:
            return
        transport = self.transport
        if transport is None:
            self.backlog.append(message)
        else:
            transport.deliver([(self, message)])

    def discard(self) -> None:
        """Mark the client gone; its transport closes the connection."""
        if self.discarded:
            return
        self.discarded = True
        if self.transport is not None:
            self.transport.close(self)


class Transport:
    """Where a client's messages go (the HTTP layer's SSE streams implement it)."""

    def deliver(self, batch: list[tuple[Client, Message]]) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, client: Client) -> None:  # pragma: no cover - interface
        raise NotImplementedError
