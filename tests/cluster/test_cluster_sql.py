"""``POST /api/sql`` on a Postgres cluster: a write that changes collections reaches every node
(here the two workers of one ``serve --db postgres://... --workers 2``, each a node)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cluster.nodes import new_cluster, superuser_headers
from tests.test_hardening import Served


@pytest.fixture
def node(tmp_path: Path, databases: Any) -> Iterator[Served]:
    with new_cluster(tmp_path, databases) as cluster:
        started = cluster.start("n1", workers=2)
        assert isinstance(started, Served)
        yield started


def _list_statuses(base: str) -> set[int]:
    # NOTE: new connections spread over both workers (nodes)
    return {requests.get(f"{base}/api/collections/notes/records", headers={"Connection": "close"}, timeout=30).status_code
            for _ in range(20)}  # fmt: skip


def test_a_rule_changed_through_sql_holds_on_every_node(node: Served) -> None:
    su = superuser_headers(node.base)
    body = {"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]}  # superusers-only list
    assert requests.post(f"{node.base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
    assert _list_statuses(node.base) == {403}
    resp = requests.post(f"{node.base}/api/sql", json={"query": "update _collections set \"listRule\" = '' where name = 'notes'"},
                         headers=su, timeout=30)
    assert resp.status_code == 200 and resp.json()["affectedRows"] == 1, resp.text
    assert _list_statuses(node.base) == {200}
