"""``$app.subscriptionsBroker()``, realtime clients and ``SubscriptionMessage`` for JS."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.core.realtime import Client, Message, as_message

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def message_of(value: Any) -> Message:
    try:
        return as_message(value)
    except TypeError as ex:
        raise BadRequestError(str(ex)) from ex


def _broker(ex: Executor) -> Any:
    return ex.runtime.app.subscriptions_broker()


def clients(ex: Executor) -> dict[str, Client]:
    return _broker(ex).clients()


def client_by_id(ex: Executor, client_id: Any) -> Client:
    client = _broker(ex).client_by_id(str(client_id))
    if client is None:
        raise BadRequestError("no client associated with connection ID")  # NOTE: Go's error text
    return client


def total_clients(ex: Executor) -> int:
    return int(_broker(ex).total_clients())


def chunked_clients(ex: Executor, size: Any) -> list[list[Client]]:
    return list(_broker(ex).chunked_clients(int(size or 1)))


def unregister(ex: Executor, client_id: Any) -> None:
    _broker(ex).unregister(str(client_id))


def register(ex: Executor, client: Any) -> None:
    if not isinstance(client, Client):
        raise BadRequestError("only a realtime client can be registered")
    _broker(ex).register(client)


def new_client(ex: Executor) -> Client:
    return Client()


def _subscriptions(client: Client, *prefixes: Any) -> dict[str, Any]:
    return {topic: {"query": o.query, "headers": o.headers} for topic, o in client.subscriptions(*(str(p) for p in prefixes)).items()}


_CLIENT_METHODS: dict[str, Callable[..., Any]] = {
    "id": lambda c: c.id,
    "subscriptions": _subscriptions,
    "subscribe": lambda c, *topics: c.subscribe(*(str(t) for t in topics)),
    "unsubscribe": lambda c, *topics: c.unsubscribe(*(str(t) for t in topics)),
    "hasSubscription": lambda c, topic: c.has_subscription(str(topic)),
    "get": lambda c, key: c.get(str(key)),
    "set": lambda c, key, value: c.set(str(key), value),
    "unset": lambda c, key: c.unset(str(key)),
    "send": lambda c, message: c.send(message_of(message)),
    "discard": lambda c: c.discard(),
    "isDiscarded": lambda c: c.discarded,
}


def client_call(ex: Executor, client: Any, method: Any, *args: Any) -> Any:
    if not isinstance(client, Client):
        raise BadRequestError("not a realtime client")
    func = _CLIENT_METHODS.get(str(method))
    if func is None:
        raise BadRequestError(f"realtime clients have no method {method!r}")
    return func(client, *args)


OPS: dict[str, Callable[..., Any]] = {
    "realtime.clients": clients,
    "realtime.clientById": client_by_id,
    "realtime.totalClients": total_clients,
    "realtime.chunkedClients": chunked_clients,
    "realtime.unregister": unregister,
    "realtime.register": register,
    "realtime.newClient": new_client,
    "realtime.client": client_call,
}
