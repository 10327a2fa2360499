"""Two ``pybase serve --db postgres://...`` nodes on one Postgres and one S3 (issue #17): what a
migration run beside them, hooks' realtime messages and a cut LISTEN connection do.

Each test can run alone: the module's pair of nodes is started by the fixture.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cluster.test_cluster import BUCKET, Cluster, _token
from tests.realtime.sse import SseClient
from tests.s3_server import make_bucket, moto_endpoint, s3_settings  # noqa: F401 - the fixture
from tests.test_hardening import EMAIL, ENV, PASSWORD, Served
from tests.workers.test_workers import BROKER_HOOK


class Pair:
    def __init__(self, cluster: Cluster, hooks: Path) -> None:
        self.cluster = cluster
        self.hooks = hooks
        self.n1, self.n2 = (node for node in cluster.nodes if isinstance(node, Served))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, databases: Any, moto_endpoint: str) -> Iterator[Pair]:  # noqa: F811
    url = databases.server.new_database()
    root = tmp_path_factory.mktemp("pair")
    hooks = root / "pb_hooks"  # NOTE: one folder both nodes load (as a shared volume would be)
    hooks.mkdir()
    (hooks / "broker.pb.js").write_text(BROKER_HOOK)
    subprocess.run(
        [sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(root / "n1" / "pb_data"), "--db", url],
        env=ENV, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    cluster = Cluster(root, url)
    try:
        first = cluster.start("n1", extra=("--hooksDir", str(hooks)))
        assert isinstance(first, Served)
        make_bucket(moto_endpoint, BUCKET)
        resp = requests.patch(
            f"{first.base}/api/settings", json={"s3": s3_settings(moto_endpoint, BUCKET)}, headers=_token(first.base), timeout=30
        )
        assert resp.status_code == 200, resp.text
        cluster.start("n2", extra=("--hooksDir", str(hooks)))
        yield Pair(cluster, hooks)
    finally:
        cluster.stop()
        databases.drop(url)


MIGRATION = """
migrate((app) => {
  app.save(new Collection({ name: "migrated", type: "base", listRule: "", fields: [{ type: "text", name: "t" }] }));
}, (app) => {
  app.delete(app.findCollectionByNameOrId("migrated"));
});
"""


def test_migrate_ends_once_every_node_confirmed_it_reloads(pair: Pair) -> None:
    migrations = pair.cluster.root / "pb_migrations"
    migrations.mkdir()
    (migrations / "1700000000_migrated.js").write_text(MIGRATION)
    done = subprocess.run(
        [sys.executable, "-m", "pybase", "migrate", "up", "--dir", str(pair.cluster.root / "cli" / "pb_data"),
         "--db", pair.cluster.url, "--migrationsDir", str(migrations)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 of 2 running node(s) confirmed" in done.stdout, done.stdout
    # NOTE: confirmed: the very next request of either node reloads first (no waiting here)
    for node in (pair.n1, pair.n2):
        assert requests.get(f"{node.base}/api/collections/migrated/records", timeout=10).status_code == 200


def test_a_hook_message_reaches_the_clients_of_every_node(pair: Pair) -> None:
    streams = [SseClient(pair.n1.base), SseClient(pair.n2.base)]
    try:
        for stream in streams:
            assert stream.subscribe("news").status_code == 204
        ids = sorted(stream.client_id for stream in streams)
        for node in (pair.n1, pair.n2):
            # the hook lists the clients of both nodes and sends to each
            resp = requests.post(f"{node.base}/broker/send/news", timeout=30)
            assert resp.status_code == 200 and resp.json() == {"ids": ids, "total": 2}, resp.text
            for stream in streams:
                event = stream.next(10)
                assert (event.name, event.data) == ("news", {"text": "to all"})
        # one client by id, through the node that does not hold its stream
        for node, stream in ((pair.n1, streams[1]), (pair.n2, streams[0])):
            resp = requests.post(f"{node.base}/broker/one/{stream.client_id}", timeout=30)
            assert resp.status_code == 200 and resp.json() == {"topics": ["news"], "ip": "127.0.0.1"}, resp.text
            event = stream.next(10)
            assert (event.name, event.data) == ("direct", {"to": stream.client_id})
        streams[0].expect_none(0.3)
        # an id no node holds: PocketBase's error
        resp = requests.post(f"{pair.n1.base}/broker/one/{streams[1].client_id[:8]}{'x' * 32}", timeout=30)
        assert resp.status_code == 400, resp.text
    finally:
        for stream in streams:
            stream.close()

