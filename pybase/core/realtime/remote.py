"""The realtime clients of the other processes serving the same app (``--workers N`` on one
machine, nodes of a Postgres cluster), as this process's broker sees them.

A client's stream is held by one process (its id starts with that process's name); the others
reach it through :class:`Peers`, the transport between them (the supervisor's hub between
workers, Postgres NOTIFY between nodes):

- a hook listing clients (``clients()``, ``totalClients()``, ``chunkedClients()``) asks every
  other process for its own (one round trip to all of them, answers waited for up to
  :data:`LIST_SECONDS`): the list is a snapshot of that moment;
- a client of another process is a :class:`RemoteClient`: its id, topics, IP and auth as they
  were when listed; ``send()``, ``discard()`` and topic changes travel to the holder (in the
  order they were made; nothing waits for them), ``set()``/``unset()`` of other keys stay in
  the snapshot;
- ``send(topic, data)`` of the broker reaches every client subscribed to the topic wherever its
  stream is.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pybase.core.realtime.client import AUTH_KEY, IP_KEY, Client, Message, parse_options

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.realtime")

#: how long listing the clients of the other processes waits for their answers
LIST_SECONDS = 2.0


class Peers(Protocol):
    """The other processes: ask one, tell one, ask all."""

    def owner(self, client_id: str) -> str | None:
        """The name of the process holding ``client_id`` when it is another one, else None."""

    def call(self, owner: str, body: Any) -> Any:
        """Ask ``owner``; its answer (None when it is gone or does not answer in time)."""

    def post(self, owner: str, body: Any) -> None:
        """Tell ``owner`` (no answer; posts to one process arrive in the order they were made)."""

    def call_all(self, body: Any, timeout: float) -> list[Any]:
        """Ask every other process; the answers that came within ``timeout``."""

    def post_all(self, body: Any) -> None:
        """Tell every other process (no answer; in order with what this one asks them)."""


def _data(message: Message) -> dict[str, str]:
    try:
        return {"name": message.name, "data": message.data.decode()}
    except UnicodeDecodeError:
        return {"name": message.name, "data64": base64.b64encode(message.data).decode()}


def _message(body: dict[str, Any]) -> Message:
    if "data64" in body:
        return Message(str(body.get("name") or ""), base64.b64decode(str(body["data64"])))
    return Message(str(body.get("name") or ""), str(body.get("data") or "").encode())


class RemoteClients:
    """The clients the other processes hold, through ``peers``."""

    def __init__(self, peers: Peers, find_record: Callable[[str, str], Any]) -> None:
        self.peers = peers
        #: (collection id, record id) -> the auth record, or None when gone
        self.find_record = find_record

    def owner(self, client_id: str) -> str | None:
        return self.peers.owner(client_id)

    def lookup(self, client_id: str) -> dict[str, Any] | None:
        """``{"id", "ip", "auth": [collectionId, recordId] | None, "topics"}``; None when unknown."""
        owner = self.peers.owner(client_id)
        if owner is None:
            return None
        found = self.peers.call(owner, {"op": "lookup", "client": client_id})
        return found if isinstance(found, dict) else None

    def apply(self, client_id: str, auth: list[str] | None, topics: list[str]) -> bool:
        """Set a remote client's auth and topics (a subscribe request); False when it is gone."""
        owner = self.peers.owner(client_id)
        if owner is None:
            return False
        return bool(self.peers.call(owner, {"op": "apply", "client": client_id, "auth": auth, "topics": topics}))

    def client(self, client_id: str) -> RemoteClient | None:
        found = self.lookup(client_id)
        return None if found is None else RemoteClient(self, {**found, "id": client_id})

    def clients(self) -> list[RemoteClient]:
        """Every client of the other processes, as they answered."""
        found: list[RemoteClient] = []
        for answer in self.peers.call_all({"op": "list"}, LIST_SECONDS):
            if isinstance(answer, list):
                found.extend(RemoteClient(self, item) for item in answer if isinstance(item, dict) and item.get("id"))
        return found

    def prepare_delete(self, frame: dict[str, Any]) -> list[Any]:
        """Have every other process check its subscribers' access to a delete now (before its
        row goes); their answers (waited for up to :data:`LIST_SECONDS`)."""
        return self.peers.call_all({"op": "prepareDelete", "frame": frame}, LIST_SECONDS)

    def forget_delete(self, body: dict[str, Any]) -> None:
        """Tell every other process that a delete it checked will not commit."""
        self.peers.post_all({"op": "forgetDelete", **body})

    def count(self) -> int:
        return sum(int(n) for n in self.peers.call_all({"op": "count"}, LIST_SECONDS) if isinstance(n, int))

    def send_topic(self, topic: str, message: Message) -> int:
        """Send to the clients of the other processes subscribed to ``topic``; how many."""
        body = {"op": "sendTopic", "topic": topic, **_data(message)}
        return sum(int(n) for n in self.peers.call_all(body, LIST_SECONDS) if isinstance(n, int))

    def post(self, client_id: str, body: dict[str, Any]) -> None:
        owner = self.peers.owner(client_id)
        if owner is not None:
            try:
                self.peers.post(owner, {**body, "client": client_id})
            except Exception:  # noqa: BLE001 - as a send to a gone client: nothing happens
                log.exception("realtime: failed to reach client %s on %s", client_id, owner)


class RemoteClient(Client):
    """A client whose stream another process holds: a snapshot that forwards what it is told."""

    def __init__(self, remote: RemoteClients, found: dict[str, Any]) -> None:
        super().__init__(str(found["id"]))
        self.remote = remote
        self._subscriptions = {str(t): parse_options(str(t)) for t in found.get("topics") or [] if t}
        self._store[IP_KEY] = found.get("ip") or ""
        ref = found.get("auth")
        #: the auth record's ids, read on first use (a listing reads no record)
        self._auth_ref: list[str] | None = [str(ref[0]), str(ref[1])] if ref else None

    def get(self, key: str) -> Any:
        if key == AUTH_KEY and self._auth_ref is not None:
            ref, self._auth_ref = self._auth_ref, None
            try:
                record = self.remote.find_record(ref[0], ref[1])
            except Exception:  # noqa: BLE001 - deleted meanwhile: a guest
                record = None
            if record is not None:
                super().set(AUTH_KEY, record)
        return super().get(key)

    def set(self, key: str, value: Any) -> None:
        if key == AUTH_KEY:
            self._auth_ref = None
        super().set(key, value)

    def unset(self, key: str) -> None:
        if key == AUTH_KEY:
            self._auth_ref = None
        super().unset(key)

    def apply(self, auth: list[str] | None, topics: list[str]) -> bool:
        """A subscribe request for this client: auth and topics set where it is held."""
        return self.remote.apply(self.id, auth, topics)

    def send(self, message: Message) -> None:
        if not self.discarded:
            self.remote.post(self.id, {"op": "send", **_data(message)})

    def discard(self) -> None:
        if not self.discarded:
            self.discarded = True
            self.remote.post(self.id, {"op": "discard"})

    def _changed(self) -> None:
        self.remote.post(self.id, {"op": "topics", "topics": list(self.subscriptions())})


def describe(client: Client) -> dict[str, Any]:
    """What another process learns of a client held here."""
    auth = client.get(AUTH_KEY)
    return {
        "id": client.id,
        "ip": client.get(IP_KEY) or "",
        "auth": [auth.collection.id, auth.id] if auth is not None else None,
        "topics": list(client.subscriptions()),
    }


def _delete_checks(broker: Any, op: str, body: dict[str, Any]) -> Any:
    """Another process's delete: check its subscribers here now, or forget those checks."""
    if op == "prepareDelete":
        prepare = broker.on_prepare_delete
        return (prepare(body.get("frame")) or False) if prepare is not None else False
    forget = broker.on_forget_delete
    if forget is not None:
        forget(body)
    return None


def answer_remote_request(app: App, body: Any, refresh: Callable[[], Any]) -> Any:
    """The holder's side: what another process asks or tells about the clients held here.
    ``refresh`` reloads collections changed elsewhere before an auth record is read."""
    if not isinstance(body, dict):
        return None
    broker = app.subscriptions_broker()
    op = body.get("op")
    if op == "list":
        return [describe(client) for client in broker.local_clients().values()]
    if op == "count":
        return broker.total_local_clients()
    if op == "sendTopic":
        return broker.send_local(str(body.get("topic", "")), _message(body))
    if op in ("prepareDelete", "forgetDelete"):
        return _delete_checks(broker, op, body)
    client = broker.local_client(str(body.get("client", "")))
    if client is None:
        return None
    if op == "lookup":
        return describe(client)
    if op == "send":
        client.send(_message(body))
    elif op == "discard":
        client.discard()
    elif op == "topics":
        client.set_subscriptions([str(t) for t in body.get("topics") or []])
    elif op == "apply":
        ref = body.get("auth")
        if ref:
            refresh()
            try:
                client.set(AUTH_KEY, app.find_record_by_id(str(ref[0]), str(ref[1])))
            except Exception:  # noqa: BLE001 - deleted meanwhile: a guest
                client.unset(AUTH_KEY)
        else:
            client.unset(AUTH_KEY)
        client.set_subscriptions([str(t) for t in body.get("topics") or []])
        return True
    return None
