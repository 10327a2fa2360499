"""The registry of realtime clients (PocketBase's ``SubscriptionsBroker``), indexed by topic."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.realtime.client import CLIENT_ID_LENGTH, Client, Message, Transport
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.realtime.remote import RemoteClients


class SubscriptionsBroker:
    """Every connected client by id, and the clients of each topic's collection part.

    With several processes serving the app (``remote`` set), ``clients()``, ``client_by_id()``,
    ``total_clients()``, ``chunked_clients()`` and ``send()`` take in the clients the others hold
    (see :mod:`pybase.core.realtime.remote`); the ``local_*`` methods only this process's.

    PERF: a record change looks at the clients subscribed to its collection only (by name or
    id), not at every connected client.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        self._by_base: defaultdict[str, set[Client]] = defaultdict(set)
        self._bases: dict[str, set[str]] = {}  # client id -> the bases it is indexed under
        #: the first characters of this process's client ids (names the worker holding a client)
        self.id_prefix = ""
        #: the clients of the other workers (None when this process serves alone)
        self.remote: RemoteClients | None = None
        #: told +1 / -1 as clients come and go (workers keep a count across processes with it)
        self.on_clients_changed: Callable[[int], Any] | None = None
        #: another process's delete to check this process's subscribers for, before its row
        #: goes (the change as a bus frame; set by the broadcaster)
        self.on_prepare_delete: Callable[[Any], Any] | None = None
        #: another process's delete checked here will not commit: forget its checks
        self.on_forget_delete: Callable[[Any], Any] | None = None

    def new_client(self) -> Client:
        """A client with a fresh id (carrying this worker's name when there are several)."""
        return Client(self.id_prefix + random_string(CLIENT_ID_LENGTH - len(self.id_prefix)))

    def register(self, client: Client) -> None:
        client.on_topics_changed = self._reindex
        with self._lock:
            added = client.id not in self._clients
            self._clients[client.id] = client
        self._reindex(client)
        if added and self.on_clients_changed is not None:
            self.on_clients_changed(1)

    def unregister(self, client_id: str) -> Client | None:
        """Remove and discard a client; returns it (None when unknown or held by another process)."""
        with self._lock:
            client = self._clients.pop(client_id, None)
            if client is None:
                if self.remote is not None and self.remote.owner(client_id) is not None:
                    # NOTE: another process holds it: there, it is discarded, and unregistered as its stream ends
                    self.remote.post(client_id, {"op": "discard"})
                return None
            for base in self._bases.pop(client_id, ()):
                members = self._by_base.get(base)
                if members is not None:
                    members.discard(client)
                    if not members:
                        del self._by_base[base]
        if self.on_clients_changed is not None:
            self.on_clients_changed(-1)
        client.on_topics_changed = None
        client.discard()
        return client

    def local_client(self, client_id: str) -> Client | None:
        """The client of this id whose stream this process holds."""
        with self._lock:
            return self._clients.get(client_id)

    def local_clients(self) -> dict[str, Client]:
        """A copy of the id -> client map of this process."""
        with self._lock:
            return dict(self._clients)

    def total_local_clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def client_by_id(self, client_id: str) -> Client | None:
        """The client of this id, wherever its stream is held (None when unknown)."""
        client = self.local_client(client_id)
        if client is None and self.remote is not None and self.remote.owner(client_id) is not None:
            client = self.remote.client(client_id)
        return client

    def clients(self) -> dict[str, Client]:
        """Every client by id (with other processes: theirs too, as they answered)."""
        found = self.local_clients()
        if self.remote is not None:
            for client in self.remote.clients():
                found.setdefault(client.id, client)
        return found

    def total_clients(self) -> int:
        total = self.total_local_clients()
        return total + self.remote.count() if self.remote is not None else total

    def chunked_clients(self, size: int) -> list[list[Client]]:
        clients = list(self.clients().values())
        size = max(1, int(size))
        return [clients[i : i + size] for i in range(0, len(clients), size)]

    def subscribers(self, *bases: str) -> list[Client]:
        """Clients with at least one topic whose collection part is one of ``bases``."""
        with self._lock:
            found: set[Client] = set()
            for base in bases:
                found |= self._by_base.get(base, set())
            return list(found)

    def send(self, topic: str, data: bytes) -> int:
        """Send a custom message to every client subscribed to exactly ``topic`` (those of the
        other processes too); returns how many."""
        sent = self.send_local(topic, Message(topic, data))
        return sent + self.remote.send_topic(topic, Message(topic, data)) if self.remote is not None else sent

    def send_local(self, topic: str, message: Message) -> int:
        """Send ``message`` to this process's clients subscribed to exactly ``topic``; how many."""
        batch = [(c, message) for c in self.subscribers(topic.split("/", 1)[0].split("?", 1)[0]) if c.has_subscription(topic)]
        self.deliver(batch)
        return len(batch)

    def deliver(self, batch: list[tuple[Client, Message]]) -> None:
        """Hand many messages over at once, one call per transport."""
        by_transport: dict[Transport | None, list[tuple[Client, Message]]] = {}
        for client, message in batch:
            if not client.discarded:
                by_transport.setdefault(client.transport, []).append((client, message))
        for transport, items in by_transport.items():
            if transport is None:
                for client, message in items:
                    client.send(message)
            else:
                transport.deliver(items)

    def _reindex(self, client: Client) -> None:
        bases = client.topic_bases()
        with self._lock:
            if client.id not in self._clients:
                return
            old = self._bases.get(client.id, set())
            for base in old - bases:
                members = self._by_base.get(base)
                if members is not None:
                    members.discard(client)
                    if not members:
                        del self._by_base[base]
            for base in bases - old:
                self._by_base[base].add(client)
            self._bases[client.id] = bases
