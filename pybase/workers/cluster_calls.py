"""Questions to a cluster's nodes on a connection of one's own: from outside any node (``pybase
migrate`` beside a live cluster), or from a node whose listener may be busy (catching up)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Collection
from typing import Any

import orjson

from pybase.store.notify import notify, received
from pybase.tools.pg_listen import connect
from pybase.tools.security import random_string
from pybase.workers.cluster_protocol import (
    ACK_SECONDS,
    ALL_CHANNEL,
    GENERATION_CHANNEL,
    LIVE_NODES_SQL,
    NODE_ALIVE_SQL,
    NODE_CHANNEL,
    NODE_ID_LENGTH,
    NODE_KEY,
    NODES_KEY,
)

log = logging.getLogger("pybase.cluster")

#: how often a question to every node is sent again until each answered (see ask_every_node)
RESEND_SECONDS = 0.25


def announce_change(db: Any, timeout: float = ACK_SECONDS) -> tuple[int, int]:
    """Tell the nodes serving ``db`` that collections or settings changed outside them (``pybase
    migrate`` run beside a live cluster) and wait, at most ``timeout`` seconds, until each said
    it saw it (as a change through the API waits): their next request reloads first.

    Returns (confirmed, live nodes)."""
    sender = "cli" + random_string(NODE_ID_LENGTH - 3, "abcdefghijklmnopqrstuvwxyz0123456789")
    with connect(db.url, f"pybase-cli-{sender}") as conn:
        conn.execute(f'LISTEN "{NODE_CHANNEL}{sender}"')  # NOTE: before the announcement: no ack is missed
        row = conn.execute(LIVE_NODES_SQL, (NODES_KEY,)).fetchone()
        expected = int(row[0]) if row else 0
        conn.execute("SELECT pg_notify(%s, %s)", (GENERATION_CHANNEL, f"{sender}:1"))
        confirmed = 0
        deadline = time.monotonic() + timeout
        while confirmed < expected:
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("cluster: %d of %d nodes did not confirm the announcement in time", expected - confirmed, expected)
                break
            for note in conn.notifies(timeout=left, stop_after=1):
                with contextlib.suppress(ValueError):
                    frame = orjson.loads(note.payload)
                    confirmed += int(isinstance(frame, dict) and frame.get("t") == "ack")
    return confirmed, expected


def ask_every_node(
    db: Any, sender: str, body: Any, timeout: float = ACK_SECONDS, *, node: int | None = None, settle: float = 0.0,
    expect: Collection[int] = (),
) -> list[Any] | None:
    """Ask every live node but the one ``sender`` starts with, on a connection of its own (the
    asking node's listener may be busy); their answers, or None when some did not answer in time.

    The question must be one that may be answered twice (it only reads): it is sent again every
    ``RESEND_SECONDS`` until every node answered, as a node whose own LISTEN connection is not back
    yet (every connection cut at once: they reconnect within milliseconds of each other) never
    hears a notification sent meanwhile. Answers count once per node; the question names the
    nodes that answered (``skip``: their numbers), which do not answer it again.

    Who is live is read again with each sending: for ``settle`` seconds no count is trusted as
    final, as after a cut a node counts as live again only once its lock connection is back (its
    keeper's next round, up to a second after Postgres answers again; a LISTEN connection may be
    back before). ``node``: the asking node's number (node_crc), counted out only while it holds
    its own lock (without it, the asker is taken as counted). ``expect``: numbers of nodes waited
    for even while the lock table does not count them (live before a cut, their lock connection
    not back yet), until ``timeout``.
    """
    with connect(db.url, f"pybase-ask-{sender}") as conn:
        conn.execute(f'LISTEN "{NODE_CHANNEL}{sender}"')  # NOTE: before the question: no answer is missed

        def others() -> int:
            # NOTE: notifications arriving meanwhile wait in psycopg's backlog for notifies()
            row = conn.execute(LIVE_NODES_SQL, (NODES_KEY,)).fetchone()
            live = int(row[0]) if row else 0
            if node is None:
                return live - 1
            row = conn.execute(NODE_ALIVE_SQL, (NODE_KEY, node)).fetchone()
            return live - (1 if row and row[0] else 0)

        started = time.monotonic()
        expected = others()
        awaited = set(expect)
        if expected <= 0 and settle <= 0 and not awaited:
            return []
        question: dict[str, Any] = {"t": "call", "id": 1, "from": sender, "b": body}
        answers: dict[Any, Any] = {}
        deadline = started + timeout
        settled_at = started + settle
        resend_at = 0.0
        while True:
            now = time.monotonic()
            if len(answers) >= expected and now >= settled_at and awaited <= answers.keys():
                return list(answers.values())
            left = deadline - now
            if left <= 0:
                log.warning(
                    "cluster: %d of %d nodes did not answer in time (%d awaited)",
                    max(expected - len(answers), 0), expected, len(awaited - answers.keys()),
                )
                return None
            if now >= resend_at:
                if resend_at:
                    expected = others()
                if len(answers) < expected or not awaited <= answers.keys():
                    # NOTE: the nodes that answered are named: they do not answer again (a
                    # catch-up's answer is up to a minute of changes, every node catching up at once)
                    question["skip"] = [by for by in answers if isinstance(by, int)]
                    with db.read_engine.connect() as send:  # NOTE: autocommit: sent at once
                        notify(send, ALL_CHANNEL, orjson.dumps(question).decode())
                resend_at = now + RESEND_SECONDS
            for note in conn.notifies(timeout=max(min(left, resend_at - now), 0.001), stop_after=1):
                payload = note.payload
                if payload.startswith("@"):
                    with db.read_engine.connect() as read:
                        payload = received(read, payload) or "{}"
                frame = orjson.loads(payload)
                if isinstance(frame, dict) and frame.get("t") == "reply":
                    answers.setdefault(frame.get("by"), frame.get("b"))
