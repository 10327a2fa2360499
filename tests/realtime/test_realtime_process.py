"""Streams of a real ``pybase serve`` process: SIGTERM closes them cleanly; a hooks reload does not."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.realtime.sse import SseClient
from tests.test_hardening import serve, superuser_token

# NOTE: the tests taking ``database_url`` run on both databases (on Postgres the process is a
# cluster node: its LISTEN and lock connections must not keep it from exiting).
pytestmark = pytest.mark.both_backends

HOOK_V1 = """onRecordCreate((e) => { e.record.set("title", e.record.get("title") + " v1"); e.next(); }, "notes");"""
HOOK_V2 = HOOK_V1.replace('" v1"', '" v2"')


@pytest.fixture
def database_url(backend: str, databases: Any) -> Iterator[str]:
    """The data database of the served process ("" for SQLite: its data dir's data.db).

    PERF: on Postgres a copy of the fixture's, migrated already (a fresh one costs the upsert
    and the server ~5 s each of migrations)."""
    url = databases.copy_of_fixture()[1] if backend == "postgres" else ""
    yield url
    databases.drop(url)


def _notes(base: str, token: str) -> None:
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "title", "type": "text"}]}
    assert requests.post(f"{base}/api/collections", json=body, headers={"Authorization": token}, timeout=30).status_code == 200


def _title_of_next_create(client: SseClient, base: str, title: str) -> str:
    assert requests.post(f"{base}/api/collections/notes/records", json={"title": title}, timeout=30).status_code == 200
    event = client.next(10)
    assert event is not None and event.data["action"] == "create"
    return str(event.data["record"]["title"])


def test_sigterm_ends_streams_cleanly_and_the_process_exits(tmp_path: Path, database_url: str) -> None:
    with serve(tmp_path, database_url=database_url) as server:
        _notes(server.base, superuser_token(server.base))
        clients = [SseClient(server.base) for _ in range(5)]
        for client in clients:
            assert client.subscribe("notes/*").status_code == 204
        assert _title_of_next_create(clients[0], server.base, "before") == "before"
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(30) == 0
        for client in clients:
            while (event := client.next(10)) is not None:
                assert event.name == "notes/*"  # what was queued before the stop, then the end
            assert client.closed.is_set()
            client.close()
        assert time.monotonic() - started < 15


# NOTE: SQLite only (no backend fixture): a reload does not touch the bus, and
# tests/cluster/test_cluster_pair.py reloads hooks on Postgres nodes.
def test_a_hooks_reload_leaves_open_streams_alone(tmp_path: Path) -> None:
    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()
    (hooks / "titles.pb.js").write_text(HOOK_V1)
    with serve(tmp_path, "--hooksDir", str(hooks)) as server:
        _notes(server.base, superuser_token(server.base))
        client = SseClient(server.base)
        assert client.subscribe("notes/*").status_code == 204
        assert _title_of_next_create(client, server.base, "first") == "first v1"
        (hooks / "titles.pb.js").write_text(HOOK_V2)
        deadline = time.monotonic() + 10
        title = ""
        while time.monotonic() < deadline:
            title = _title_of_next_create(client, server.base, "again")
            if title == "again v2":
                break
            time.sleep(0.1)
        assert title == "again v2"  # the new hooks run, and the stream opened before is still served
        assert not client.closed.is_set()
        client.close()
