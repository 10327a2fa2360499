"""A pybase on Postgres whose every connection the server cuts (a restart, a failover, an
idle-connection kill) comes back whole: reads, writes, the request logs, realtime events."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

from tests.pg import postgres_only
from tests.realtime.sse import SseClient
from tests.test_hardening import serve, superuser_token

pytestmark = postgres_only


def _cut_every_connection(url: str) -> int:
    """Terminate every backend of the database but this one, and wait until they are gone (a
    backend ends, and says so to its client, a moment after it is told to); how many."""
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        name = url.rsplit("/", 1)[1]
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
        ).fetchall()]  # fmt: skip
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 15
        while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)
        return len(pids)


def _wait_for_title(client: SseClient, title: str) -> str | None:
    """Wait until the change of the record titled ``title`` reaches ``client``: ``title``, or
    None when the stream ended first."""
    deadline = time.monotonic() + 30
    seen = []
    while True:
        try:
            event = client.next(timeout=1)
        except queue.Empty:
            assert time.monotonic() < deadline, f"no change of {title!r} in 30 s: {seen}"
            continue
        if event is None:
            return None
        seen.append(event.data.get("record", {}).get("title"))
        if seen[-1] == title:
            return title


def test_every_connection_cut_by_the_server_comes_back(tmp_path: Path, databases: Any) -> None:
    url = databases.new("postgres")
    try:
        with serve(tmp_path, database_url=url) as srv:
            su = {"Authorization": superuser_token(srv.base)}
            body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
                    "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
            assert requests.post(f"{srv.base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
            client = SseClient(srv.base)
            try:
                sub = requests.post(f"{srv.base}/api/realtime", json={"clientId": client.client_id, "subscriptions": ["notes/*"]}, timeout=30)
                assert sub.status_code == 204
                for _n in range(20):  # NOTE: several readers in the pool
                    assert requests.get(f"{srv.base}/api/collections/notes/records", timeout=30).status_code == 200

                # NOTE: each worker's writer used just before the cut (the requests spread over
                # the workers), so the write after it does not find it idle
                for n in range(10):
                    assert requests.post(f"{srv.base}/api/collections/notes/records", json={"title": f"before {n}"}, timeout=30).status_code == 200
                assert _cut_every_connection(url) >= 3
                reads, writes = [], []
                for n in range(30):  # NOTE: writes first: a read meeting a cut would have the writer polled
                    writes.append(requests.post(f"{srv.base}/api/collections/notes/records", json={"title": f"after {n}"}, timeout=30).status_code)
                    reads.append(requests.get(f"{srv.base}/api/collections/notes/records", timeout=30).status_code)
                # NOTE: a read meeting a cut connection runs again on another; a write cannot (its
                # statements are the caller's), so the writer is checked before every write: once
                # the killed backends are gone, none fails
                assert reads == [200] * 30, reads
                assert writes == [200] * 30, writes
                # realtime: a change made now reaches the subscriber (the listening connection is
                # back; a node cut off catches up on what it missed). When it cannot (a node that
                # reconnected a moment later missed its question), it closes its streams, as
                # designed: the client connects and subscribes again, and the changes reach it.
                if _wait_for_title(client, "after 29") is None:
                    assert srv.wait_log("realtime stream(s): changes sent while it was cut off are lost"), srv.log.read_text()
                    client.close()
                    client = SseClient(srv.base)
                    assert client.subscribe("notes/*").status_code == 204
                    assert requests.post(f"{srv.base}/api/collections/notes/records", json={"title": "again"}, timeout=30).status_code == 200
                    assert _wait_for_title(client, "again") == "again"
                # the request logs are written again (they are kept a while before they are written)
                deadline = time.monotonic() + 30
                while True:
                    logs = requests.get(f"{srv.base}/api/logs", params={"filter": "data.url ~ 'notes/records' && data.method = 'POST'", "perPage": 1},
                                        headers=su, timeout=30).json()
                    if logs["totalItems"] >= 40 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                assert logs["totalItems"] >= 40, logs
            finally:
                client.close()
    finally:
        databases.drop(url)
