"""A pybase on Postgres whose every connection the server cuts (a restart, a failover, an
idle-connection kill) comes back whole: reads, writes, the request logs, realtime events."""

from __future__ import annotations

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

                assert _cut_every_connection(url) >= 3
                reads, writes = [], []
                for n in range(30):
                    reads.append(requests.get(f"{srv.base}/api/collections/notes/records", timeout=30).status_code)
                    writes.append(requests.post(f"{srv.base}/api/collections/notes/records", json={"title": f"after {n}"}, timeout=30).status_code)
                # NOTE: a read meeting a cut connection runs again on another; a write cannot (its
                # statements are the caller's): the first on a writer used just before the cut
                # fails, at most once a process (2 workers), and the next gets a new connection
                assert reads == [200] * 30, reads
                assert writes.count(500) <= 2 and writes[-25:] == [200] * 25, writes
                # realtime: a change made now reaches the subscriber (the listening connection is back)
                deadline = time.monotonic() + 15
                seen = []
                while time.monotonic() < deadline and not any(e and e.data.get("record", {}).get("title") == "after 29" for e in seen):
                    event = client.next(timeout=1)
                    if event is not None:
                        seen.append(event)
                assert any(e and e.data.get("record", {}).get("title") == "after 29" for e in seen), [e.data for e in seen if e]
                # the request logs are written again
                time.sleep(4)
                logs = requests.get(f"{srv.base}/api/logs", params={"filter": "data.url ~ 'notes/records' && data.method = 'POST'", "perPage": 1},
                                    headers=su, timeout=30).json()
                assert logs["totalItems"] >= writes.count(200), logs
            finally:
                client.close()
    finally:
        databases.drop(url)
