"""A backup restored on one node of a Postgres cluster (two ``pybase serve --db`` processes with
their own pb_data, files and backups in moto's S3): the restoring node restarts on the restored
data, the other one reloads collections, records and settings without a restart (issue #17)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cluster.nodes import Cluster, eventually, new_cluster, superuser_headers
from tests.s3_server import make_bucket, moto_endpoint, s3_settings  # noqa: F401 - the fixture
from tests.test_hardening import Served

BUCKET = "pybase-cluster-backups"


@pytest.fixture
def cluster(tmp_path: Path, databases: Any) -> Iterator[Cluster]:
    with new_cluster(tmp_path, databases) as found:
        yield found


def _restarted_base(node: Served, home: Path, before: str) -> str:
    """The address a node restarted with (``--http 127.0.0.1:0``: a new port, a new banner)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.findall(r"Server started at (http://127\.0\.0\.1:\d+)", (home / "stdout.log").read_text())
        if len(found) >= 2 and found[-1] != before:
            return str(found[-1])
        assert node.proc.poll() is None, node.log.read_text()[-3000:]
        time.sleep(0.1)
    raise AssertionError("the node did not start again: " + node.log.read_text()[-3000:])


def test_a_restore_on_one_node_is_seen_by_the_other(cluster: Cluster, moto_endpoint: str) -> None:  # noqa: F811
    n1 = cluster.start("n1")
    assert isinstance(n1, Served)
    make_bucket(moto_endpoint, BUCKET)
    su = superuser_headers(n1.base)
    settings = {"s3": s3_settings(moto_endpoint, BUCKET), "backups": {"s3": s3_settings(moto_endpoint, BUCKET)},
                "meta": {"appName": "Backed Up"}}  # fmt: skip
    assert requests.patch(f"{n1.base}/api/settings", json=settings, headers=su, timeout=30).status_code == 200
    n2 = cluster.start("n2")
    assert isinstance(n2, Served)
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "t", "type": "text"}]}  # fmt: skip
    assert requests.post(f"{n2.base}/api/collections", json=body, headers=superuser_headers(n2.base), timeout=30).status_code == 200
    for text in ("kept one", "kept two"):
        requests.post(f"{n2.base}/api/collections/notes/records", json={"t": text}, timeout=30).raise_for_status()
    assert requests.post(f"{n1.base}/api/backups", json={"name": "cluster.zip"}, headers=su, timeout=60).status_code == 204
    # after the backup: a record more, the collection's rule changed, the settings changed
    requests.post(f"{n1.base}/api/collections/notes/records", json={"t": "after"}, timeout=30).raise_for_status()
    assert requests.patch(f"{n1.base}/api/collections/notes", json={"listRule": None}, headers=su, timeout=30).status_code == 200
    assert requests.patch(f"{n1.base}/api/settings", json={"meta": {"appName": "After"}}, headers=su, timeout=30).status_code == 200
    assert requests.get(f"{n2.base}/api/collections/notes/records", timeout=30).status_code == 403
    # the backup is in S3: the other node lists it and restores it
    su2 = superuser_headers(n2.base)
    assert [b["key"] for b in requests.get(f"{n2.base}/api/backups", headers=su2, timeout=30).json()] == ["cluster.zip"]
    n2_base = n2.base
    assert requests.post(f"{n2.base}/api/backups/cluster.zip/restore", headers=su2, timeout=30).status_code == 204

    def n1_sees_the_backup() -> bool:
        resp = requests.get(f"{n1.base}/api/collections/notes/records?sort=t", timeout=30)
        return resp.status_code == 200 and [r["t"] for r in resp.json()["items"]] == ["kept one", "kept two"]

    # NOTE: n1 is not restarted: it reloads the rule (403 -> 200) and reads the restored rows
    assert eventually(n1_sees_the_backup, timeout=60), n2.log.read_text()[-3000:]
    assert requests.get(f"{n1.base}/api/settings", headers=superuser_headers(n1.base), timeout=30).json()["meta"]["appName"] == "Backed Up"
    assert n1.log_count("replacing the Postgres tables") == 0 and n2.log_count("replacing the Postgres tables") == 1
    assert (cluster.root / "n1" / "stdout.log").read_text().count("Server started at") == 1 and n1.proc.poll() is None
    new_base = _restarted_base(n2, cluster.root / "n2", n2_base)
    resp = requests.get(f"{new_base}/api/collections/notes/records?sort=t", timeout=30)
    assert [r["t"] for r in resp.json()["items"]] == ["kept one", "kept two"]
    assert requests.post(f"{new_base}/api/collections/notes/records", json={"t": "new"}, timeout=30).status_code == 200
    assert eventually(lambda: requests.get(f"{n1.base}/api/collections/notes/records", timeout=30).json()["totalItems"] == 3)
