"""Several nodes on one Postgres (``pybase serve --db postgres://...`` on many processes/machines).

Every process serving a Postgres database is a node of the cluster of that database; nothing
needs configuring. Each node keeps two connections of its own:

- a LISTEN connection (:class:`pybase.tools.pg_listen.Listener`): record changes
  (``pybase_changes``, :mod:`pybase.core.realtime.bus_postgres`), "collections or settings
  changed" (``pybase_generation``: a local counter is bumped, the next request reloads, as
  between workers; the changing node answers only once every other live node confirmed, so
  the next request anywhere sees the change), and messages addressed to this node
  (``pybase_node_<id>``: confirmations, and realtime subscribe requests taken by another node
  for a client whose stream this node holds, or hooks' messages to it), and questions to every
  node (``pybase_all``: which realtime clients each holds, what changes each sent lately for a
  node that was cut off and catches up, see :mod:`.cluster_catch_up`);
- a lock connection holding advisory locks: "this node is alive", "a node runs" (counted),
  "a node with this file storage runs" (a second storage refuses to start while the files
  are local) and, on the
  leader, the leader lock (crons run on one node; its death frees the lock and another node
  takes over within :data:`LEADER_RETRY_SECONDS`).

Rate limits stay per node (see README "Outgrowing one box" for why); with ``--workers N``
each worker is a node, and the workers of one machine still share their rate-limit windows.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.errors import ValidationError
from pybase.core.realtime.bus_postgres import CHANGES_CHANNEL, PostgresBus
from pybase.core.realtime.remote import RemoteClients, answer_remote_request
from pybase.core.records import Record
from pybase.store.notify import create_spill_table, notify, received
from pybase.tools.pg_listen import Listener, connect
from pybase.tools.security import random_string
from pybase.workers.cluster_catch_up import NodeCatchUp, is_catch_up_question
from pybase.workers.cluster_protocol import (
    ACK_SECONDS,
    ALL_CHANNEL,
    CALL_SECONDS,
    GENERATION_CHANNEL,
    LEADER_KEY,
    LEADER_RETRY_SECONDS,
    LISTENERS_KEY,
    LIVE_NODES_SQL,
    LIVE_STORAGES_SQL,
    NODE_ALIVE_SQL,
    NODE_CHANNEL,
    NODE_ID_LENGTH,
    NODE_KEY,
    NODES_KEY,
    PRESENCE_CHANNEL,
    PRESENCE_GRACE_SECONDS,
    PRESENCE_SQL,
    STORAGE_KEY,
    local_storage_message,
    node_crc,
    storage_id,
)
from pybase.workers.context import ClusterError
from pybase.workers.shared_state import SharedStateRuntime

if TYPE_CHECKING:
    from pybase.core.app import App

__all__ = ["ClusterError", "ClusterRuntime"]

log = logging.getLogger("pybase.cluster")


class _NodePeers:
    """The other nodes, through Postgres (a client id starts with its node's id)."""

    def __init__(self, runtime: ClusterRuntime) -> None:
        self.runtime = runtime

    def owner(self, client_id: str) -> str | None:
        owner = client_id[:NODE_ID_LENGTH]
        return owner if len(client_id) > NODE_ID_LENGTH and owner != self.runtime.node else None

    def call(self, owner: str, body: Any) -> Any:
        return self.runtime.call(owner, body)

    def post(self, owner: str, body: Any) -> None:
        self.runtime._send(NODE_CHANNEL + owner, {"t": "post", "b": body})

    def call_all(self, body: Any, timeout: float) -> list[Any]:
        return self.runtime.call_all(body, timeout)

    def post_all(self, body: Any) -> None:
        self.runtime._send(ALL_CHANNEL, {"t": "post", "from": self.runtime.node, "b": body})


class ClusterRuntime(SharedStateRuntime):
    """This process as one node of the database's cluster; see the module docstring."""

    def __init__(self, app: App) -> None:
        self.app = app
        db = app.db
        self.node = random_string(NODE_ID_LENGTH, "abcdefghijklmnopqrstuvwxyz0123456789")
        with db.write() as conn:
            create_spill_table(conn)
        self._generation = 0
        self._seen = 0
        self._refresh_lock = threading.Lock()
        self._calls: dict[int, list[Any]] = {}
        self._gathers: dict[int, list[Any]] = {}  # call_all: [event, answers]
        self._call_ids = itertools.count(1)
        self._acks: dict[int, list[Any]] = {}
        #: the nodes (crc of their id) holding realtime clients: changes are sent only while
        #: there is one (the lock table, refreshed every second, plus recent announcements)
        self._listening: set[int] = set()
        self._announced: dict[int, float] = {}
        self._clients = 0
        self._presence_lock = threading.Lock()
        self._listening_lock = threading.Lock()
        self._presence_held = False
        self._stop = threading.Event()
        self.leader = False
        self._on_leader: list[Callable[[], Any]] = []
        self._lock_conn_lock = threading.Lock()
        self._lock_conn: Any = connect(db.url, f"pybase-node-{self.node}")
        self.storage = storage_id(app.data_dir)
        try:
            self._join()
        except BaseException:
            self._lock_conn.close()
            raise
        for verb in ("Create", "Update", "Delete"):
            app.hooks[f"onModel{verb}Execute"].bind(self._changed, id="__pybaseClusterGeneration__", priority=-98)
        app.on_schema_changed.append(self._announce)
        app.hooks["onSettingsUpdateRequest"].bind(self._check_settings, id="__pybaseClusterStorage__", priority=-99)
        self.bus = PostgresBus(db, self.node, self._resolve)
        self.bus.should_publish = lambda: bool(self._listening)
        self.bus.listening = lambda: set(self._listening)
        self.bus.number = node_crc(self.node)
        self.bus.send_handled = lambda node, seq: self._send(NODE_CHANNEL + node, {"t": "handled", "s": seq, "by": self.bus.number})
        app.event_bus = self.bus
        self.catch_up = NodeCatchUp(app, self.node, self.bus, self._call_ids)
        broker = app.subscriptions_broker()
        broker.id_prefix = self.node
        broker.remote = RemoteClients(_NodePeers(self), app.find_record_by_id)
        self._clients_before = broker.on_clients_changed
        broker.on_clients_changed = self._clients_changed
        self.listener = Listener(
            db.url, [CHANGES_CHANNEL, GENERATION_CHANNEL, PRESENCE_CHANNEL, ALL_CHANNEL, NODE_CHANNEL + self.node],
            self._notified, self._reconnected, name=f"pybase-listen-{self.node}",
        )
        self.bus.unwaited.append(self.listener.thread)
        # NOTE: listening from here on; what changed between this node's bootstrap and now is
        # read by its first request, and the others reload what this node's migrations changed.
        self._generation += 1
        with self._lock_conn_lock:
            self._take_node_locks(self._lock_conn)
            self._lock_conn.execute("SELECT pg_notify(%s, %s)", (GENERATION_CHANNEL, f"{self.node}:0"))
        self._refresh_presence()

    # ---- joining: one file storage unless it is S3 ------------------------------------------------

    def _s3_on(self) -> bool:
        return bool((self.app.settings_store.live().get("s3") or {}).get("enabled"))

    def other_storages(self) -> int:
        """How many other local file storages (data dirs) have a node serving right now."""
        with self._lock_conn_lock:
            row = self._lock_conn.execute(LIVE_STORAGES_SQL, (STORAGE_KEY, self.storage)).fetchone()
        return int(row[0]) if row else 0

    def _join(self) -> None:
        with self._lock_conn_lock:
            self._lock_conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (STORAGE_KEY, self.storage))
        others = self.other_storages()
        if others and not self._s3_on():
            raise ClusterError(local_storage_message(others))
        if others:
            log.info("cluster: node %s joins %d other node(s) (file storage: S3)", self.node, others)

    def _check_settings(self, e: Any) -> Any:
        new = e.new_settings
        s3 = (new.get("s3") if new is not None else None) or {}
        if not s3.get("enabled") and self._s3_on():
            others = self.other_storages()
            if others:
                raise ValidationError(
                    {"s3": {"enabled": {"code": "validation_cluster_storage", "message": local_storage_message(others)}}},
                )
        return e.next()

    # ---- collections and settings changed on another node --------------------------------------

    def _take_node_locks(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_lock_shared(%s, 0)", (NODES_KEY,))
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (NODE_KEY, node_crc(self.node)))

    def _reopen_lock_conn(self, reason: BaseException) -> None:
        """The lock connection broke: its locks are gone (another node may lead now)."""
        if self.leader:
            self.leader = False
            log.error("cluster: node %s lost its Postgres lock connection (%s); its crons stop", self.node, reason)
            self.app.cron.stop(wait=0)
        else:
            log.warning("cluster: node %s lost its Postgres lock connection (%s)", self.node, reason)
        with self._lock_conn_lock:
            try:
                self._lock_conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = connect(self.app.db.url, f"pybase-node-{self.node}")
            conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (STORAGE_KEY, self.storage))
            self._take_node_locks(conn)
            if self._presence_held:
                conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (LISTENERS_KEY, node_crc(self.node)))
            self._lock_conn = conn

    # ---- presence: send changes only while some node has a realtime client ---------------------

    def _clients_changed(self, delta: int) -> None:
        """A client came or went. The first one of this node is announced, and its stream
        starts only once every other node confirmed: no change committed after it subscribed
        is skipped for want of listeners."""
        if self._clients_before is not None:
            self._clients_before(delta)
        with self._presence_lock:
            self._clients = max(self._clients + delta, 0)
            if self._clients and not self._presence_held:
                me = node_crc(self.node)
                self._heard(me)
                token = next(self._call_ids)
                self._acks[token] = [threading.Event(), 0]
                try:
                    with self._lock_conn_lock:
                        self._lock_conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (LISTENERS_KEY, me))
                        self._lock_conn.execute("SELECT pg_notify(%s, %s)", (PRESENCE_CHANNEL, f"{self.node}:{token}:{me}"))
                    self._presence_held = True
                except Exception:  # noqa: BLE001 - the keeper reopens the connection; it takes it again
                    log.exception("cluster: failed to announce this node's realtime clients")
                    self._acks.pop(token, None)
                    return
                self._await_acks(token)
            elif not self._clients and self._presence_held:
                try:
                    with self._lock_conn_lock:
                        self._lock_conn.execute("SELECT pg_advisory_unlock_shared(%s, %s)", (LISTENERS_KEY, node_crc(self.node)))
                except Exception:  # noqa: BLE001 - a broken connection released it anyway
                    pass
                self._presence_held = False

    def _refresh_presence(self) -> None:
        """Who has realtime clients: the lock table, and announcements too recent to be trusted
        absent from it; and which nodes are live (see :meth:`.NodeCatchUp.live_since`)."""
        with self._lock_conn_lock:
            rows = self._lock_conn.execute(PRESENCE_SQL, (LISTENERS_KEY, NODE_KEY)).fetchall()
        with self._listening_lock:
            now = time.monotonic()
            for crc, when in list(self._announced.items()):
                if now - when > PRESENCE_GRACE_SECONDS:
                    del self._announced[crc]
            self._listening = {int(number) for key, number in rows if key == LISTENERS_KEY} | set(self._announced)
        self.catch_up.saw_live({int(number) for key, number in rows if key == NODE_KEY}, now)

    def _heard(self, crc: int) -> None:
        with self._listening_lock:
            self._announced[crc] = time.monotonic()
            self._listening = self._listening | {crc}

    def live_nodes(self) -> int:
        """How many nodes (this one included) serve the database right now."""
        with self._lock_conn_lock:
            row = self._lock_conn.execute(LIVE_NODES_SQL, (NODES_KEY,)).fetchone()
        return int(row[0]) if row else 1

    def _changed(self, e: Any) -> Any:
        result = e.next()
        if not isinstance(e.model, Record):  # a collection or the settings
            self._announce()
        return result

    def _announce(self) -> None:
        """Tell the other nodes, when the current write commits, to reload collections and settings."""
        token = next(self._call_ids)
        self._acks[token] = [threading.Event(), 0]
        with self.app.db.write() as conn:  # NOTE: joins the transaction: sent on commit only
            notify(conn, GENERATION_CHANNEL, f"{self.node}:{token}")
        self.app.db.on_commit(lambda: self._await_acks(token), on_rollback=lambda: self._acks.pop(token, None))

    def _await_acks(self, token: int) -> None:
        """Wait (after the commit, before the answer) until every other node saw the change, so
        that the next request, whichever node it reaches, reloads first."""
        waiting = self._acks.get(token)
        if waiting is None:
            return
        try:
            expected = self.live_nodes() - 1
            deadline = time.monotonic() + ACK_SECONDS
            while waiting[1] < expected:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("cluster: %d of %d nodes did not confirm an announcement in time", expected - waiting[1], expected)
                    return
                waiting[0].wait(left)
                waiting[0].clear()
        except Exception:  # noqa: BLE001 - the change is committed: never fail the request for this
            log.exception("cluster: failed to wait for the other nodes")
        finally:
            self._acks.pop(token, None)

    def _generation_now(self) -> int:
        # NOTE: bumped by the listener thread when another node announces a change
        return self._generation

    def _reconnected(self, missed: float) -> None:
        """The LISTEN connection is back: what was sent in the last ``missed`` seconds may never
        have come (the listener's thread). Collections and settings are read again; record
        changes are caught up on (:mod:`.cluster_catch_up`)."""
        self._generation += 1
        self.catch_up.begin(missed)

    # ---- notifications ------------------------------------------------------------------------------

    def _notified(self, channel: str, payload: str) -> None:
        if channel == PRESENCE_CHANNEL:
            node, _, rest = payload.partition(":")
            token, _, crc = rest.partition(":")
            self._heard(int(crc))
            if node != self.node:
                self._send(NODE_CHANNEL + node, {"t": "ack", "id": int(token)})
            return
        if channel == GENERATION_CHANNEL:
            node, _, token = payload.partition(":")
            if node != self.node:
                self._generation += 1
                if token and token != "0":
                    self._send(NODE_CHANNEL + node, {"t": "ack", "id": int(token)})
            return
        if payload.startswith("@"):
            with self.app.db.read_engine.connect() as conn:
                text = received(conn, payload)
            if text is None:
                log.warning("cluster: a spilled notification on %s was pruned before it was read", channel)
                return
            payload = text
        frame = orjson.loads(payload)
        if channel == CHANGES_CHANNEL:
            if self.catch_up.hold(frame):  # NOTE: catching up: after the older ones
                return
            self.bus.arrived(frame)
        else:
            self._node_frame(frame)

    def _node_frame(self, frame: dict[str, Any]) -> None:
        """A message to this node (or to every node): a question, an answer, a confirmation."""
        if frame.get("t") == "call":
            if str(frame.get("from", "")).startswith(self.node):
                return  # NOTE: this node's own question to every node
            if self.bus.number in (frame.get("skip") or ()):
                return  # NOTE: answered already (ask_every_node sends its question again)
            answer = self._answer(frame.get("b"))
            reply = {"t": "reply", "id": frame.get("id"), "b": answer, "by": self.bus.number}
            self._send(NODE_CHANNEL + str(frame.get("from", "")), reply)
        elif frame.get("t") == "post":
            if frame.get("from") != self.node:  # NOTE: this node's own message to every node
                self._answer(frame.get("b"))
        elif frame.get("t") == "handled":
            self.bus.acked(int(frame.get("s") or 0), int(frame.get("by") or 0))
        elif frame.get("t") == "ack":
            waiting = self._acks.get(int(frame.get("id") or 0))
            if waiting is not None:
                waiting[1] += 1
                waiting[0].set()
        elif frame.get("t") == "reply":
            call_id = int(frame.get("id") or 0)
            waiting = self._calls.get(call_id)
            if waiting is not None:
                waiting[1] = frame.get("b")
                waiting[0].set()
            gathering = self._gathers.get(call_id)
            if gathering is not None:
                gathering[1].append((frame.get("by"), frame.get("b")))
                gathering[0].set()

    def _send(self, channel: str, frame: dict[str, Any]) -> None:
        with self.app.db.read_engine.connect() as conn:  # NOTE: autocommit: sent at once
            notify(conn, channel, orjson.dumps(frame, default=str).decode())

    def alive(self, node: str) -> bool:
        """Whether ``node`` serves right now (as far as this node can tell)."""
        try:
            with self._lock_conn_lock:
                row = self._lock_conn.execute(NODE_ALIVE_SQL, (NODE_KEY, node_crc(node))).fetchone()
        except Exception:  # noqa: BLE001 - the lock connection broke: the keeper reopens it
            return False
        return bool(row and row[0])

    def call(self, node: str, body: Any, timeout: float = CALL_SECONDS) -> Any:
        """Ask ``node`` (a realtime client it holds); None when it is gone or does not answer in time."""
        if not self.alive(node):
            return None
        call_id = next(self._call_ids)
        waiting: list[Any] = [threading.Event(), None]
        self._calls[call_id] = waiting
        try:
            self._send(NODE_CHANNEL + node, {"t": "call", "id": call_id, "from": self.node, "b": body})
            waiting[0].wait(timeout)
            return waiting[1]
        finally:
            self._calls.pop(call_id, None)

    def call_all(self, body: Any, timeout: float) -> list[Any]:
        """Ask every other live node; the answers that came within ``timeout`` (a node that
        hangs, see PostgresBus.lagging_nodes, is asked but not waited for: its answer does not
        count for another node's)."""
        lagging = self.bus.lagging_nodes()
        expected = self.live_nodes() - 1 - len(lagging)
        if expected <= 0:
            return []
        call_id = next(self._call_ids)
        gathering: list[Any] = [threading.Event(), []]
        self._gathers[call_id] = gathering

        def counted() -> int:
            return sum(1 for by, _answer in list(gathering[1]) if by not in lagging)

        try:
            self._send(ALL_CHANNEL, {"t": "call", "id": call_id, "from": self.node, "b": body})
            deadline = time.monotonic() + timeout
            while counted() < expected:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("cluster: %d of %d nodes did not answer in time", expected - counted(), expected)
                    break
                gathering[0].wait(left)
                gathering[0].clear()
            return [answer for _by, answer in list(gathering[1])]
        finally:
            self._gathers.pop(call_id, None)

    def _answer(self, body: Any) -> Any:
        """What another node asks or tells: about the realtime clients this node holds, or the
        changes it sent lately (for a node that was cut off)."""
        if is_catch_up_question(body):
            return self.catch_up.answer(body)
        return answer_remote_request(self.app, body, self.refresh_if_stale)

    # ---- leadership (crons) ---------------------------------------------------------------------

    def when_leader(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` once this node leads (now, or when the leader before it goes)."""
        self._on_leader.append(callback)
        if self.leader:
            callback()

    def start(self) -> None:
        self._try_lead()
        threading.Thread(target=self._keep, name="pybase-cluster-keeper", daemon=True).start()

    def _try_lead(self) -> bool:
        try:
            with self._lock_conn_lock:
                row = self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_KEY,)).fetchone()
        except Exception as ex:  # noqa: BLE001 - Postgres away: try again later
            log.warning("cluster: cannot ask for the leader lock: %s", ex)
            return False
        if not row or not row[0]:
            return False
        self.leader = True
        log.info("cluster: node %s (pid %d) runs the crons", self.node, os.getpid())
        for callback in self._on_leader:
            callback()
        return True

    def _keep(self) -> None:
        """Every second: check the lock connection (reopen it when broken), and try to lead."""
        while not self._stop.wait(LEADER_RETRY_SECONDS):
            try:
                with self._lock_conn_lock:
                    self._lock_conn.execute("SELECT 1")
            except Exception as ex:  # noqa: BLE001 - broken: its locks are gone
                if self._stop.is_set():
                    return
                try:
                    self._reopen_lock_conn(ex)
                except Exception as again:  # noqa: BLE001 - Postgres away: next round
                    log.warning("cluster: cannot reach Postgres: %s", again)
                continue
            if not self.leader:
                self._try_lead()
            try:
                self._refresh_presence()
            except Exception:  # noqa: BLE001 - next round
                self._listening = self._listening | {0}  # NOTE: unsure who listens: send

    def ready(self) -> None:
        """Nothing to tell: a node has no supervisor."""

    def close(self) -> None:
        self._stop.set()
        with self._lock_conn_lock:
            try:
                # NOTE: first: frees the leader lock, and the others stop counting this node
                # (waiting for its confirmations) before it stops listening.
                self._lock_conn.close()
            except Exception:  # noqa: BLE001
                pass
        self.listener.close()
        self.bus.close()
