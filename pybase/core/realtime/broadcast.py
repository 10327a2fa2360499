"""Record changes to realtime messages: who may receive each change, and what they see.

The broadcaster publishes committed record changes on the bus and, on the bus's side, turns
each change into messages for the subscribed clients of this process. Clients subscribed to
the same topic with the same auth share one access check and one encoded payload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.events import RecordEnrichEvent
from pybase.core.realtime.access import can_receive
from pybase.core.realtime.bus import EventBus, RecordChange
from pybase.core.realtime.client import AUTH_KEY, Client, Message, SubscriptionOptions
from pybase.core.record_expand import expand_records
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.tools import picker

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.realtime.broker import SubscriptionsBroker

log = logging.getLogger("pybase.realtime")

REALTIME_CONTEXT = "realtime"
#: the record as the API shows it to a caller: (record, request info, show email) -> JSON-ready dict
Export = Callable[[Record, RequestInfo, bool], dict[str, Any]]
_VIEW, _LIST = "viewRule", "listRule"


def fresh_copy(record: Record) -> Record:
    """The record's stored values without expand or extra keys (each subscriber shapes its own)."""
    copy = Record.__new__(Record)
    copy.collection = record.collection
    copy.data = dict(record.data)
    copy.is_new = False
    copy.original = dict(record.data)
    copy.original_id = record.id
    copy.store = record.store
    copy.expand = {}
    copy.extra = {}
    copy.export = None
    copy._plain_passwords = {}
    return copy


def request_info(client: Client, options: SubscriptionOptions) -> RequestInfo:
    """What rules see for a subscription: its options' query and headers, the client's auth."""
    return RequestInfo("GET", dict(options.query), dict(options.headers), {}, client.get(AUTH_KEY), REALTIME_CONTEXT)


def auth_token_secrets(app: App) -> dict[str, Any]:
    """Each auth collection's auth token secret, by collection id (compare before and after a
    reload of changes another process made)."""
    return {c.id: c.token_option("authToken").get("secret") for c in app.registry.all() if c.is_auth}


def sign_out_changed_auth(app: App, before: dict[str, Any]) -> None:
    """Realtime clients signed in to an auth collection whose token secret changed (or which
    went) since ``before`` become guests, as on the process that changed it."""
    after = auth_token_secrets(app)
    changed = {cid for cid, secret in before.items() if after.get(cid) != secret}
    if not changed:
        return
    for client in app.subscriptions_broker().local_clients().values():
        auth = client.get(AUTH_KEY)
        if auth is not None and auth.collection.id in changed:
            client.unset(AUTH_KEY)


def _same_auth(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a.id == b.id and a.collection.id == b.collection.id


class RecordBroadcaster:
    """Binds the record hooks to the bus, and the bus to the clients of ``broker``."""

    def __init__(self, app: App, broker: SubscriptionsBroker, bus: EventBus, export: Export) -> None:
        self.app = app
        self.broker = broker
        self.bus = bus
        self.export = export
        self._pending_deletes: dict[tuple[str, str], list[tuple[Client, Message]]] = {}
        self._lock = threading.Lock()

    # ---- publishing side ---------------------------------------------------------------------

    def bind(self) -> None:
        hooks = self.app.hooks
        # NOTE: published right after the commit, still under the write lock (in commit order,
        # across processes too); nothing is published for a write that rolls back.
        hooks["onModelCreateExecute"].bind(self._executed("create"), id="__pbRealtimeCreate__", priority=-99)
        hooks["onModelUpdateExecute"].bind(self._executed("update"), id="__pbRealtimeUpdate__", priority=-99)
        hooks["onModelDelete"].bind(self._before_delete, id="__pbRealtimeDeleteDry__", priority=99)
        hooks["onModelDeleteExecute"].bind(self._executed("delete"), id="__pbRealtimeDelete__", priority=-99)
        hooks["onModelAfterDeleteError"].bind(self._delete_failed, id="__pbRealtimeDeleteError__", priority=-99)
        hooks["onCollectionUpdate"].bind(self._collection_update, id="__pbRealtimeCollectionUpdate__", priority=-99)
        hooks["onCollectionAfterDeleteSuccess"].bind(self._collection_deleted, id="__pbRealtimeCollectionDelete__", priority=-99)
        self.bus.subscribe(self.handle)

    def _executed(self, action: str) -> Callable[[Any], Any]:
        def handler(e: Any) -> Any:
            result = e.next()
            record = e.model
            if isinstance(record, Record):
                change = RecordChange(action, fresh_copy(record))
                if action == "delete":
                    with self._lock:
                        change.prepared = self._pending_deletes.pop((record.collection.id, record.id), None)
                # NOTE: a bus between nodes (Postgres NOTIFY) sends it inside the transaction,
                # so it is delivered on commit only and in commit order.
                in_transaction = getattr(self.bus, "publish_in_transaction", None)
                if in_transaction is None or not in_transaction(change):
                    self.app.db.on_commit_locked(lambda: self.bus.publish(change))
            return result

        return handler

    def _before_delete(self, e: Any) -> Any:
        record = e.model
        if isinstance(record, Record) and self.broker.subscribers(record.collection.name, record.collection.id):
            # NOTE: as PocketBase, a delete's messages are made before the row goes (its rules
            # may read it), checked outside the transaction (a cascade may have removed a parent
            # the rule reads), and sent only once the delete commits.
            try:
                with self.app.db.read_engine.connect() as conn:
                    messages = self.messages("delete", fresh_copy(record), conn)
            except Exception:  # noqa: BLE001 - realtime must never fail a delete
                log.exception("realtime: failed to prepare the delete of %s", record.id)
                messages = []
            with self._lock:
                self._pending_deletes[(record.collection.id, record.id)] = messages
        return e.next()

    def _delete_failed(self, e: Any) -> Any:
        record = e.model
        if isinstance(record, Record):
            with self._lock:
                self._pending_deletes.pop((record.collection.id, record.id), None)
        return e.next()

    def _collection_update(self, e: Any) -> Any:
        collection = e.collection
        if not collection.is_auth:
            return e.next()
        old = self.app.registry.find(collection.id)
        result = e.next()
        if old is not None and old.token_option("authToken").get("secret") != collection.token_option("authToken").get("secret"):
            self.unset_auth(lambda auth: auth.collection.id == collection.id)
        return result

    def _collection_deleted(self, e: Any) -> Any:
        collection = e.collection
        if collection.is_auth:
            self.unset_auth(lambda auth: auth.collection.id == collection.id)
        return e.next()

    # ---- delivering side ---------------------------------------------------------------------

    def handle(self, change: RecordChange) -> None:
        """Deliver one committed change to this process's clients (the bus calls it)."""
        record = change.record
        if record.collection.is_auth:
            if change.action == "update":
                self._refresh_auth(record)
            elif change.action == "delete":
                self.unset_auth(lambda auth: auth.id == record.id and auth.collection.id == record.collection.id)
        batch = change.prepared if change.prepared is not None else self.messages(change.action, record)
        if batch:
            self.broker.deliver(batch)

    def messages(self, action: str, record: Record, conn: Any = None) -> list[tuple[Client, Message]]:
        """The messages ``action`` on ``record`` makes for the subscribed clients."""
        collection = record.collection
        clients = self.broker.subscribers(collection.name, collection.id)
        if not clients:
            return []
        kinds = (
            (f"{collection.name}/{record.id}?", _VIEW),
            (f"{collection.id}/{record.id}?", _VIEW),
            (f"{collection.name}/*?", _LIST),
            (f"{collection.id}/*?", _LIST),
            (f"{collection.name}?", _LIST),  # NOTE: PocketBase's deprecated form of "name/*"
            (f"{collection.id}?", _LIST),
        )
        groups: dict[tuple[str, Any], list[Client]] = {}
        options_of: dict[str, tuple[SubscriptionOptions, str]] = {}
        for client in clients:
            auth = client.get(AUTH_KEY)
            auth_key = (auth.collection.id, auth.id) if auth is not None else None
            for topic, options in client.subscriptions().items():
                probe = topic + "?"
                kind = next((k for prefix, k in kinds if probe.startswith(prefix)), None)
                if kind is None:
                    continue
                options_of[topic] = (options, kind)
                groups.setdefault((topic, auth_key), []).append(client)
        batch: list[tuple[Client, Message]] = []
        for (topic, _auth_key), members in groups.items():
            options, kind = options_of[topic]
            try:
                data = self._payload(action, record, members[0], options, collection.rules[kind], conn)
            except Exception:  # noqa: BLE001 - one subscription's failure must not stop the others
                log.exception("realtime: failed to build the %s message of %s for %s", action, record.id, topic)
                continue
            if data is None:
                continue
            message = Message(topic, data)
            batch.extend((client, message) for client in members)
        return batch

    def _payload(
        self, action: str, record: Record, client: Client, options: SubscriptionOptions, rule: str | None, conn: Any
    ) -> bytes | None:
        info = request_info(client, options)
        if not can_receive(self.app, record, info, rule, conn):
            return None
        copy = fresh_copy(record)
        expand = options.query.get("expand", "")
        if expand:
            expand_records(self.app, [copy], expand, info)
        enrich = self.app.hooks["onRecordEnrich"]
        if enrich.length():
            event = RecordEnrichEvent(self.app, copy)
            event.request_info = info
            enrich.trigger(event)
        show_email = False
        if copy.collection.is_auth:
            manage = copy.collection.rule("manageRule")
            show_email = _same_auth(info.auth, copy) or info.is_superuser or (
                info.auth is not None and bool((manage or "").strip()) and can_receive(self.app, copy, info, manage, conn)
            )
        data: Any = self.export(copy, info, show_email)
        raw_fields = options.query.get("fields", "")
        if raw_fields:
            try:
                data = picker.pick(data, picker.parse_fields(raw_fields))
            except picker.FieldsError:
                pass  # NOTE: as PocketBase: unreadable fields send the whole record
        body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        return b'{"record":' + body + b',"action":' + orjson.dumps(action) + b"}"

    # ---- clients' auth -----------------------------------------------------------------------

    def _refresh_auth(self, record: Record) -> None:
        """A changed auth record: its clients keep the new state, or lose it on a new tokenKey."""
        for client in self.broker.local_clients().values():
            auth = client.get(AUTH_KEY)
            if _same_auth(auth, record):
                if auth.get("tokenKey") != record.get("tokenKey"):
                    client.unset(AUTH_KEY)
                else:
                    client.set(AUTH_KEY, record)

    def unset_auth(self, matches: Callable[[Any], bool]) -> None:
        """Make every client whose auth ``matches`` a guest again (its stream stays open)."""
        for client in self.broker.local_clients().values():
            auth = client.get(AUTH_KEY)
            if auth is not None and matches(auth):
                client.unset(AUTH_KEY)
