"""A question to every node on a real Postgres: a node whose LISTEN connection comes back just
after the question was sent (every connection cut at once) still answers, once (H75 saw a node
give up its catch-up and close its realtime streams for want of this)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import pytest

from pybase.store.db_postgres import PostgresDatabase
from pybase.workers.cluster_calls import RESEND_SECONDS, ask_every_node
from pybase.workers.cluster_protocol import ALL_CHANNEL, NODE_CHANNEL, NODE_KEY, NODES_KEY, node_crc
from tests.pg import postgres_only

pytestmark = postgres_only


@pytest.fixture
def db(databases: Any) -> Iterator[PostgresDatabase]:
    url = databases.server.new_database()
    database = PostgresDatabase(url)
    yield database
    database.close()
    databases.drop(url)


def _connect(db: PostgresDatabase) -> psycopg.Connection[Any]:
    return psycopg.connect(db.url.replace("postgres://", "postgresql://"), autocommit=True)


def _live_node(db: PostgresDatabase) -> psycopg.Connection[Any]:
    conn = _connect(db)
    conn.execute("SELECT pg_advisory_lock_shared(%s, 0)", (NODES_KEY,))
    return conn


def test_a_node_listening_only_after_the_question_answers_it_once(db: PostgresDatabase) -> None:
    asker = _live_node(db)  # the asking node's own presence
    late = _live_node(db)
    replies = _connect(db)  # NOTE: as a node: not the listening connection (its notifies() holds it)
    heard: list[str] = []
    ready = threading.Event()

    def answer_late() -> None:
        time.sleep(RESEND_SECONDS * 1.5)  # NOTE: the first question went out while this was not listening
        late.execute(f'LISTEN "{ALL_CHANNEL}"')
        ready.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(heard) < 2:
            for note in late.notifies(timeout=0.5, stop_after=1):
                frame = orjson.loads(note.payload)
                heard.append(frame["from"])
                reply = orjson.dumps({"t": "reply", "id": frame["id"], "b": ["change"], "by": 7}).decode()
                replies.execute("SELECT pg_notify(%s, %s)", (NODE_CHANNEL + frame["from"], reply))

    thread = threading.Thread(target=answer_late, daemon=True)
    thread.start()
    try:
        answers = ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=5)
        assert ready.is_set()
        assert answers == [["change"]]  # once, though asked again until it answered
    finally:
        thread.join(15)
        replies.close()
        late.close()
        asker.close()
    assert heard and set(heard) == {"nodeaaaar"}


def test_no_other_live_node_needs_no_answer(db: PostgresDatabase) -> None:
    asker = _live_node(db)
    try:
        assert ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=5) == []
    finally:
        asker.close()


def test_a_node_that_never_answers_makes_the_question_fail_in_time(db: PostgresDatabase) -> None:
    asker, silent = _live_node(db), _live_node(db)
    try:
        started = time.monotonic()
        assert ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=1) is None
        assert time.monotonic() - started < 5
    finally:
        silent.close()
        asker.close()


def test_nodes_counted_live_only_after_the_question_still_answer(db: PostgresDatabase) -> None:
    """After a cut every lock connection comes back on its keeper's next round, up to a second
    after the LISTEN connections: the asker counts the live nodes again until ``settle`` passed
    (it asked no one and caught up on its own changes alone: the others' were lost)."""
    me = node_crc("nodeaaaa")
    late = _connect(db)
    replies = _connect(db)
    asker = _connect(db)
    heard: list[str] = []

    def come_back() -> None:
        time.sleep(0.3)  # NOTE: the asker's own locks first: until then it counts itself out
        asker.execute("SELECT pg_advisory_lock_shared(%s, 0)", (NODES_KEY,))
        asker.execute("SELECT pg_advisory_lock(%s, %s)", (NODE_KEY, me))
        time.sleep(0.4)
        late.execute(f'LISTEN "{ALL_CHANNEL}"')
        late.execute("SELECT pg_advisory_lock_shared(%s, 0)", (NODES_KEY,))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not heard:
            for note in late.notifies(timeout=0.5, stop_after=1):
                frame = orjson.loads(note.payload)
                heard.append(frame["from"])
                reply = orjson.dumps({"t": "reply", "id": frame["id"], "b": ["change"], "by": 7}).decode()
                replies.execute("SELECT pg_notify(%s, %s)", (NODE_CHANNEL + frame["from"], reply))

    thread = threading.Thread(target=come_back, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        answers = ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=8, node=me, settle=3.0)
        assert answers == [["change"]]
        assert time.monotonic() - started >= 3.0
    finally:
        thread.join(15)
        replies.close()
        late.close()
        asker.close()


def test_the_asker_not_counted_yet_still_waits_for_the_live_others(db: PostgresDatabase) -> None:
    """Its own lock not back, the live count is the others alone (was one short: the only other
    node was not asked)."""
    other = _live_node(db)
    try:
        assert ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=1, node=node_crc("nodeaaaa")) is None
    finally:
        other.close()


@pytest.mark.parametrize("answers", [True, False], ids=["comes-back", "never-back"])
def test_a_node_live_before_the_cut_is_waited_for_past_the_recount(db: PostgresDatabase, answers: bool) -> None:
    """``expect``: a node live when the cut began whose lock connection is not back when the
    recount ends (``settle``) is still waited for, until the time limit (the question went
    unasked before: what it sent meanwhile was lost while the asker counted itself caught up)."""
    me = node_crc("nodeaaaa")
    asker = _live_node(db)
    asker.execute("SELECT pg_advisory_lock(%s, %s)", (NODE_KEY, me))
    late, replies = _connect(db), _connect(db)
    stop = threading.Event()

    def come_back() -> None:
        time.sleep(1.0)  # NOTE: after the recount: never counted live (its lock not back)
        late.execute(f'LISTEN "{ALL_CHANNEL}"')
        while not stop.is_set():
            for note in late.notifies(timeout=0.2, stop_after=1):
                frame = orjson.loads(note.payload)
                reply = orjson.dumps({"t": "reply", "id": frame["id"], "b": ["change"], "by": 7}).decode()
                replies.execute("SELECT pg_notify(%s, %s)", (NODE_CHANNEL + frame["from"], reply))
                return

    thread = threading.Thread(target=come_back, daemon=True)
    if answers:
        thread.start()
    try:
        started = time.monotonic()
        found = ask_every_node(db, "nodeaaaar", {"op": "recent", "within": 1.0}, timeout=3, node=me, settle=0.5, expect={7})
        assert found == ([["change"]] if answers else None)
        assert (time.monotonic() - started < 3) if answers else (time.monotonic() - started >= 3)
    finally:
        stop.set()
        if answers:
            thread.join(10)
        for conn in (replies, late, asker):
            conn.close()
