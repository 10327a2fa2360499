"""``POST /api/sql`` under ``pybase serve --workers 2``: a write that changes collections reaches
every worker (through the generation counter the collection saves bump). On Postgres too, where
each worker is a node of its own (issue #17)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_hardening import Served, serve, superuser_token

pytestmark = pytest.mark.both_backends


@pytest.fixture
def two(tmp_path: Path, backend: str, databases: Any) -> Iterator[Served]:
    url = databases.new(backend)
    with contextlib.ExitStack() as stack:
        stack.callback(databases.drop, url)
        server = stack.enter_context(serve(tmp_path, "--workers", "2", database_url=url))
        deadline = time.monotonic() + 60
        while len(re.findall(r"worker \d \(pid \d+\) serves", server.log.read_text())) < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        yield server


def _list_statuses(base: str) -> set[int]:
    # NOTE: new connections spread over both workers
    return {requests.get(f"{base}/api/collections/notes/records", headers={"Connection": "close"}, timeout=30).status_code
            for _ in range(20)}  # fmt: skip


def test_a_rule_changed_through_sql_holds_in_every_worker(two: Served, backend: str) -> None:
    su = {"Authorization": superuser_token(two.base)}
    body = {"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]}  # superusers-only list
    assert requests.post(f"{two.base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
    assert _list_statuses(two.base) == {403}  # both workers hold the collection in their cache
    # NOTE: the console runs the database's own SQL: Postgres folds unquoted names to lower case
    column = '"listRule"' if backend == "postgres" else "listRule"
    resp = requests.post(f"{two.base}/api/sql", json={"query": f"update _collections set {column} = '' where name = 'notes'"},
                         headers=su, timeout=30)
    assert resp.status_code == 200 and resp.json()["affectedRows"] == 1, resp.text
    assert _list_statuses(two.base) == {200}
