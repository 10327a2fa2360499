"""Record changes to realtime messages: who may receive each change, and what they see.

The broadcaster publishes committed record changes on the bus and, on the bus's side, turns
each change into messages for the subscribed clients of this process. Clients subscribed to
the same topic with the same auth share one access check and one encoded payload.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from pybase.core.events import RecordEnrichEvent
from pybase.core.fields.json_field import api_dumps
from pybase.core.realtime.access import can_receive
from pybase.core.realtime.bus import EventBus, RecordChange
from pybase.core.realtime.client import (
    AUTH_KEY,
    Client,
    Message,
    SubscriptionOptions,
    parse_options,
)
from pybase.core.record_expand import expand_records
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.tools import picker
from pybase.tools.gonumbers import read_again
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.realtime.broker import SubscriptionsBroker

log = logging.getLogger("pybase.realtime")

REALTIME_CONTEXT = "realtime"
#: the transaction state keys of its record changes, and of each record's first change (see
#: RecordBroadcaster._track)
_TX_CHANGES, _TX_FIRST = "realtime.changes", "realtime.first"
#: the record as the API shows it to a caller: (record, request info, show email) -> JSON-ready dict
Export = Callable[[Record, RequestInfo, bool], dict[str, Any]]
_VIEW, _LIST = "viewRule", "listRule"
#: how long a write's request waits, after its commit, for its subscribers' access checks
SETTLE_SECONDS = 5.0
#: how long a delete's access checks made here for another process's transaction are kept
#: for its change to arrive (a delete rolled back is forgotten at once: its writer says so;
#: this bounds what a writer that died meanwhile leaves behind)
REMOTE_DELETE_SECONDS = 120.0
#: a subscriber group: (topic, auth as (collection id, record id) or None)
Group = tuple[str, Any]
#: a delete's messages, and how its access checks see it (checked, gone), made before its row
#: goes: the messages for this process's subscribers (None: none here), those for the other
#: processes' groups whose payload reads the database (see RecordChange.made)
_Pending = tuple[list[tuple[Client, Message]] | None, Record | None, bool, dict[str, str] | None]


def group_key(group: Group) -> str:
    """A subscriber group as text (the same in every process)."""
    topic, auth = group
    return topic + "\n" + ("" if auth is None else f"{auth[0]}/{auth[1]}")


def topic_kind(record: Record, topic: str) -> str | None:
    """Which rule of ``record``'s collection a subscription to ``topic`` is checked with (None:
    the topic is not about ``record``)."""
    collection = record.collection
    probe = topic + "?"
    for prefix, kind in (
        (f"{collection.name}/{record.id}?", _VIEW),
        (f"{collection.id}/{record.id}?", _VIEW),
        (f"{collection.name}/*?", _LIST),
        (f"{collection.id}/*?", _LIST),
        (f"{collection.name}?", _LIST),  # NOTE: PocketBase's deprecated form of "name/*"
        (f"{collection.id}?", _LIST),
    ):
        if probe.startswith(prefix):
            return kind
    return None


def fresh_copy(record: Record) -> Record:
    """The record's stored values without expand or extra keys (each subscriber shapes its own)."""
    copy = Record.__new__(Record)
    copy.collection = record.collection
    copy.data = dict(record.data)
    copy.is_new = False
    copy.original = dict(record.data)
    copy.loaded = record.loaded
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


def _token_secret(collection: Any) -> Any:
    return collection.token_option("authToken").get("secret")


def sign_out_stale_auth(app: App) -> None:
    """Realtime clients signed in with a token of an auth collection whose token secret has
    changed since (or which went) become guests, as on the process that changed it.

    NOTE: compared with the collection the client's auth record was read under, not with the
    copy before a reload: a reload dropped or made inside a write (OrderedReload) then cannot
    hide a change another process made; running it again changes nothing.
    """
    registry = app.registry
    for client in app.subscriptions_broker().local_clients().values():
        auth = client.get(AUTH_KEY)
        if auth is None:
            continue
        current = registry.find(auth.collection.id)
        if current is None or _token_secret(current) != _token_secret(auth.collection):
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
        #: (collection id, record id) -> what a delete made before the row went (see _Pending)
        self._pending_deletes: dict[tuple[str, str], _Pending] = {}
        self._lock = threading.Lock()
        #: how long a write waits after its commit for the access checks of its changes (0:
        #: not at all); see :meth:`_settle`
        self.settle_seconds = SETTLE_SECONDS
        #: (collection id, record id) -> (when, the groups allowed, the writer's token): the
        #: access checks of a delete another process is making, done here before its row went
        #: (see :meth:`prepare_remote_delete`)
        self._remote_deletes: dict[tuple[str, str], tuple[float, set[Group], str]] = {}
        #: (collection id, record id) -> the token of a delete of this process's open
        #: transaction checked elsewhere (told to forget it when the delete fails or rolls back)
        self._asked_elsewhere: dict[tuple[str, str], str] = {}

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
        hooks["onCollectionAfterDeleteSuccess"].bind(self._collection_deleted, id="__pbRealtimeCollectionDelete__", priority=-99)
        # NOTE: a token secret changed here or elsewhere signs its clients out once the change
        # is live: after its commit (a save rolled back signs no one out)
        self.app.registry.on_installed(lambda: sign_out_stale_auth(self.app))
        self.bus.subscribe(self.handle)
        self.bus.listeners = lambda: self.broker.total_local_clients() > 0
        self.broker.on_prepare_delete = self.prepare_remote_delete
        self.broker.on_forget_delete = self.forget_remote_delete

    def _executed(self, action: str) -> Callable[[Any], Any]:
        def handler(e: Any) -> Any:
            result = e.next()
            record = e.model
            if isinstance(record, Record):
                change = RecordChange(action, fresh_copy(record))
                if action == "delete":
                    with self._lock:
                        pending = self._pending_deletes.pop((record.collection.id, record.id), None)
                    if pending is not None:
                        change.prepared, change.checked, change.gone, change.made = pending
                self._track(change)
                # NOTE: a bus between nodes (Postgres NOTIFY) sends it inside the transaction,
                # so it is delivered on commit only and in commit order.
                in_transaction = getattr(self.bus, "publish_in_transaction", None)
                if in_transaction is None or not in_transaction(change):
                    self.app.db.on_commit_locked(lambda: self.bus.publish(change))
                # NOTE: with any client (not only this collection's subscribers): one that
                # subscribes after the answer must not hear of the change
                if self.settle_seconds > 0 and (self.broker.remote is not None or self.broker.total_local_clients()):
                    # NOTE: last: the bus keeps what it sent for nodes catching up on commit
                    self.app.db.on_commit_last(lambda: self._settle(change))
            return result

        return handler

    def _settle(self, change: RecordChange) -> None:
        """After the commit (the write lock released): wait until every process holding
        subscribers checked who receives ``change``. As PocketBase, which checks them in the
        writing request right after the commit, a write's answer thus comes after the checks:
        what its client writes next (a membership a rule reads, removed) cannot hide it."""
        settle = getattr(self.bus, "settle", None)
        if settle is not None and not settle(change, self.settle_seconds):
            log.warning("realtime: the access checks of the %s of %s took over %.0f s; not waited for",
                        change.action, change.record.id, self.settle_seconds)

    def _track(self, change: RecordChange) -> None:
        """Note a change of the open write transaction (none: a change on its own); the first
        one asks to be told before the commit, when the transaction's changes are all known."""
        state = self.app.db.transaction_state()
        if state is None:
            return
        changes = state.get(_TX_CHANGES)
        if changes is None:
            changes = state[_TX_CHANGES] = []
            state[_TX_FIRST] = {}
            self.app.db.on_before_commit(lambda: _checked_after_commit(changes))
        changes.append(change)
        state[_TX_FIRST].setdefault((change.record.collection.id, change.record.id), change)

    def _delete_seen(self, record: Record) -> tuple[Record | None, bool]:
        """How a delete's access checks see the record (checked, gone): as PocketBase, as it
        was committed before the transaction; the record itself unless the transaction wrote it."""
        state = self.app.db.transaction_state()
        first = state.get(_TX_FIRST) if state is not None else None
        earlier = first.get((record.collection.id, record.id)) if first else None
        if earlier is None:
            return None, False
        if earlier.action == "create":
            return None, True
        table = record.collection.table
        with self.app.db.read_engine.connect() as conn:  # NOTE: outside the transaction
            row = conn.execute(select(table).where(table.c.id == record.id)).first()
        if row is None:
            return None, True
        return Record.from_row(record.collection, row, self.app.records), False

    def _before_delete(self, e: Any) -> Any:
        record = e.model
        if isinstance(record, Record):
            # NOTE: as PocketBase, a delete's messages are made before the row goes (its rules
            # may read it), checked outside the transaction (a cascade may have removed a parent
            # the rule reads), and sent only once the delete commits.
            messages: list[tuple[Client, Message]] | None = None
            checked, gone = None, False
            try:
                checked, gone = self._delete_seen(record)
                if self.broker.subscribers(record.collection.name, record.collection.id):
                    with self.app.db.read_engine.connect() as conn:
                        messages = self.messages("delete", fresh_copy(record), conn, checked, gone)
            except Exception:  # noqa: BLE001 - realtime must never fail a delete
                log.exception("realtime: failed to prepare the delete of %s", record.id)
                messages = []
            made = self._prepare_elsewhere(record, checked, gone)
            if messages is not None or checked is not None or gone or made:
                with self._lock:
                    self._pending_deletes[(record.collection.id, record.id)] = (messages, checked, gone, made)
        return e.next()

    def _prepare_elsewhere(self, record: Record, checked: Record | None, gone: bool) -> dict[str, str] | None:
        """Have the other processes holding realtime clients check their subscribers' access
        to a delete now, before its row goes (and outside its transaction, which they cannot
        see), as this process does for its own: its change reaches them after the commit.

        The messages of their allowed groups with an ``expand`` are made here, inside the
        transaction, as for this process's own subscribers (the change carries them; see
        RecordChange.made). A rollback tells them to forget the checks."""
        remote = self.broker.remote
        elsewhere = getattr(self.bus, "listeners_elsewhere", None)
        if remote is None or elsewhere is None or not elsewhere(self.broker.total_local_clients()):
            return None
        key = (record.collection.id, record.id)
        token = random_string(15)
        frame = RecordChange("delete", fresh_copy(record), checked=checked, gone=gone).frame()
        try:
            answers = remote.prepare_delete({**frame, "p": token})
        except Exception:  # noqa: BLE001 - realtime must never fail a delete
            log.exception("realtime: failed to have the delete of %s checked elsewhere", record.id)
            return None
        with self._lock:
            self._asked_elsewhere[key] = token
        # NOTE: a delete that fails, or rolls back with its transaction, tells them to forget
        # (_delete_failed: PocketBase's onModelAfterDeleteError comes in both cases)
        self.app.db.on_commit(lambda: self._committed_elsewhere(key, token))
        wanted: dict[str, tuple[str, Any]] = {}
        for answer in answers:
            if isinstance(answer, dict):
                for item in answer.get("expand") or ():
                    if isinstance(item, list) and len(item) == 2:
                        auth = (str(item[1][0]), str(item[1][1])) if item[1] else None
                        wanted[group_key((str(item[0]), auth))] = (str(item[0]), auth)
        if not wanted:
            return None
        made: dict[str, str] = {}
        try:
            with self.app.db.read_engine.connect() as conn:  # NOTE: the checks, outside the transaction
                for group, (topic, auth) in wanted.items():
                    data = self._made_here(record, topic, auth, conn, checked, gone)
                    if data is not None:
                        made[group] = data.decode()
        except Exception:  # noqa: BLE001 - realtime must never fail a delete
            log.exception("realtime: failed to make the delete messages of %s for elsewhere", record.id)
        return made

    def _made_here(
        self, record: Record, topic: str, auth: tuple[str, str] | None, conn: Any, checked: Record | None, gone: bool,
    ) -> bytes | None:
        """A delete's message for another process's subscriber group, its access checked there
        (None: left to that process, after the commit)."""
        kind = topic_kind(record, topic)
        if kind is None:
            return None
        client = Client("")
        if auth is not None:
            try:
                client.set(AUTH_KEY, self.app.find_record_by_id(auth[0], auth[1]))
            except Exception:  # noqa: BLE001 - not found here: left to the subscriber's process
                return None
        try:
            return self._payload(
                "delete", record, client, parse_options(topic), record.collection.rules[kind], conn, checked, gone, checked_already=True,
            )
        except Exception:  # noqa: BLE001 - one group's failure must not stop the others
            log.exception("realtime: failed to build the delete message of %s for %s", record.id, topic)
            return None

    def _committed_elsewhere(self, key: tuple[str, str], token: str) -> None:
        with self._lock:
            if self._asked_elsewhere.get(key) == token:
                del self._asked_elsewhere[key]

    def _forget_elsewhere(self, key: tuple[str, str], token: str) -> None:
        """A delete checked elsewhere will not commit: the others drop their checks now."""
        remote = self.broker.remote
        if remote is None:
            return
        try:
            remote.forget_delete({"c": key[0], "id": key[1], "p": token})
        except Exception:  # noqa: BLE001 - they drop them after REMOTE_DELETE_SECONDS anyway
            log.exception("realtime: failed to tell the others to forget the delete of %s", key[1])

    def prepare_remote_delete(self, frame: Any) -> Any:
        """Another process's delete, before its row goes: which of this process's subscribers
        may hear of it (kept until its change arrives; see :meth:`handle`). Answers the allowed
        groups whose message the writer makes (``{"expand": [[topic, auth], ...]}``; False when
        the record is not known here)."""
        resolve = getattr(self.bus, "resolve", None)
        change = RecordChange.from_frame(frame, resolve) if resolve is not None and isinstance(frame, dict) else None
        if change is None:
            return False
        record = change.record
        key = (record.collection.id, record.id)
        allowed: set[Group] = set()
        if self.broker.subscribers(record.collection.name, record.collection.id):
            with self.app.db.read_engine.connect() as conn:
                allowed = self.allowed_groups(record, conn, change.checked, change.gone)
        now = time.monotonic()
        with self._lock:
            for old, (when, _groups, _token) in list(self._remote_deletes.items()):
                if now - when > REMOTE_DELETE_SECONDS:
                    del self._remote_deletes[old]
            self._remote_deletes[key] = (now, allowed, str(frame.get("p") or ""))
        # NOTE: an expand reads the writer's transaction, which only the writer sees
        asked = [[topic, list(auth) if auth else None] for topic, auth in allowed if parse_options(topic).query.get("expand")]
        return {"expand": asked}

    def forget_remote_delete(self, body: Any) -> None:
        """Another process's delete checked here rolled back (or failed): its checks go."""
        if not isinstance(body, dict):
            return
        key = (str(body.get("c") or ""), str(body.get("id") or ""))
        with self._lock:
            found = self._remote_deletes.get(key)
            if found is not None and found[2] == str(body.get("p") or ""):
                del self._remote_deletes[key]

    def _delete_failed(self, e: Any) -> Any:
        record = e.model
        if isinstance(record, Record):
            key = (record.collection.id, record.id)
            with self._lock:
                self._pending_deletes.pop(key, None)
                token = self._asked_elsewhere.pop(key, None)
            if token is not None:
                self._forget_elsewhere(key, token)
        return e.next()

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
        batch = change.prepared
        if batch is None and change.action == "delete":
            with self._lock:
                found = self._remote_deletes.pop((record.collection.id, record.id), None)
            if found is not None:
                batch = self.messages("delete", record, None, change.checked, change.gone, allowed=found[1], made=change.made)
        if batch is None:
            batch = self.messages(change.action, record, None, change.checked, change.gone)
        if batch:
            self.broker.deliver(batch)

    def _groups(self, record: Record) -> tuple[dict[Group, list[Client]], dict[str, tuple[SubscriptionOptions, str]]]:
        """The subscribers of ``record``'s collection by (topic, auth), and each topic's
        options and rule kind."""
        collection = record.collection
        clients = self.broker.subscribers(collection.name, collection.id)
        groups: dict[Group, list[Client]] = {}
        options_of: dict[str, tuple[SubscriptionOptions, str]] = {}
        if not clients:
            return groups, options_of
        for client in clients:
            auth = client.get(AUTH_KEY)
            auth_key = (auth.collection.id, auth.id) if auth is not None else None
            for topic, options in client.subscriptions().items():
                kind = topic_kind(record, topic)
                if kind is None:
                    continue
                options_of[topic] = (options, kind)
                groups.setdefault((topic, auth_key), []).append(client)
        return groups, options_of

    def allowed_groups(self, record: Record, conn: Any, checked: Record | None, gone: bool) -> set[Group]:
        """The subscriber groups whose access to ``record`` passes now."""
        groups, options_of = self._groups(record)
        allowed: set[Group] = set()
        for group, members in groups.items():
            options, kind = options_of[group[0]]
            info = request_info(members[0], options)
            try:
                if can_receive(self.app, checked if checked is not None else record, info, record.collection.rules[kind], conn, gone=gone):
                    allowed.add(group)
            except Exception:  # noqa: BLE001 - as a failed check: not allowed
                log.exception("realtime: failed to check %s for %s", record.id, group[0])
        return allowed

    def messages(
        self, action: str, record: Record, conn: Any = None, checked: Record | None = None, gone: bool = False,
        allowed: set[Group] | None = None, made: dict[str, str] | None = None,
    ) -> list[tuple[Client, Message]]:
        """The messages ``action`` on ``record`` makes for the subscribed clients (access
        checked against ``checked`` when given, or no row when ``gone``; or only the groups
        ``allowed`` when given, checked earlier; the data of a group in ``made`` as given)."""
        collection = record.collection
        groups, options_of = self._groups(record)
        batch: list[tuple[Client, Message]] = []
        for group, members in groups.items():
            topic = group[0]
            if allowed is not None and group not in allowed:
                continue
            options, kind = options_of[topic]
            given = made.get(group_key(group)) if made else None
            try:
                data = given.encode() if given is not None else self._payload(
                    action, record, members[0], options, collection.rules[kind], conn, checked, gone, checked_already=allowed is not None,
                )
            except Exception:  # noqa: BLE001 - one subscription's failure must not stop the others
                log.exception("realtime: failed to build the %s message of %s for %s", action, record.id, topic)
                continue
            if data is None:
                continue
            message = Message(topic, data)
            batch.extend((client, message) for client in members)
        return batch

    def _payload(
        self, action: str, record: Record, client: Client, options: SubscriptionOptions, rule: str | None, conn: Any,
        checked: Record | None = None, gone: bool = False, checked_already: bool = False,
    ) -> bytes | None:
        info = request_info(client, options)
        seen = checked if checked is not None else record
        if not checked_already and not can_receive(self.app, seen, info, rule, conn, gone=gone):
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
                info.auth is not None and bool((manage or "").strip()) and can_receive(self.app, seen, info, manage, conn, gone=gone)
            )
        data: Any = self.export(copy, info, show_email)
        raw_fields = options.query.get("fields", "")
        if raw_fields:
            try:
                picked = picker.parse_fields(raw_fields)
                read_again(data)  # NOTE: as PocketBase, which reads the record's JSON again to pick
                data = picker.pick(data, picked)
            except picker.FieldsError:
                pass  # NOTE: as PocketBase: unreadable fields send the whole record
        body = api_dumps(data)  # NOTE: a view's JSON (an expanded relation's) keeps its keys' order
        return b'{"record":' + body + b',"action":' + orjson.dumps(action) + b"}"

    # ---- clients' auth -----------------------------------------------------------------------

    def _refresh_auth(self, record: Record) -> None:
        """A changed auth record: its clients keep the new state, or lose it on a new tokenKey."""
        for client in self.broker.local_clients().values():
            auth = client.get(AUTH_KEY)
            if _same_auth(auth, record):
                # NOTE: a record read after its collection's token secret changed (elsewhere:
                # this process may not have reloaded yet) no longer fits the client's token
                if auth.get("tokenKey") != record.get("tokenKey") or _token_secret(auth.collection) != _token_secret(record.collection):
                    client.unset(AUTH_KEY)
                else:
                    client.set(AUTH_KEY, record)

    def unset_auth(self, matches: Callable[[Any], bool]) -> None:
        """Make every client whose auth ``matches`` a guest again (its stream stays open)."""
        for client in self.broker.local_clients().values():
            auth = client.get(AUTH_KEY)
            if auth is not None and matches(auth):
                client.unset(AUTH_KEY)


def _checked_after_commit(changes: list[RecordChange]) -> None:
    """As PocketBase, each create and update of a transaction is checked against the row as
    the commit leaves it: the record's last change in the transaction, or no row when that is
    a delete (deletes were settled before their row went: ``RecordBroadcaster._delete_seen``)."""
    last: dict[tuple[str, str], RecordChange] = {}
    for change in changes:
        last[(change.record.collection.id, change.record.id)] = change
    for change in changes:
        if change.action == "delete":
            continue
        final = last[(change.record.collection.id, change.record.id)]
        if final.action == "delete":
            change.gone = True
        elif final is not change:
            change.checked = final.record
