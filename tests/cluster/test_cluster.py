"""Three ``pybase serve --db postgres://...`` processes on one Postgres and one S3 (issue #17).

The nodes are real processes on loopback ports, each with its own pb_data (as on three
machines); the Postgres server is tests/pg.py's, the S3 endpoint moto's.

PERF: the module shares one cluster (built by module-scoped fixtures as the tests first need
it: n1, then S3 and n2/n3, then the ``notes`` collection); each test asks for the stage it
needs, so any one of them runs alone (``-k``). Tests that change the cluster for the ones after
them say so: the node killed under load leaves two survivors, which the later tests use
(:func:`survivors` kills one itself when run without it).
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.cluster.nodes import Cluster, eventually, new_cluster, superuser_headers
from tests.e2e.test_js_sdk import _require_node
from tests.realtime.sse import SseClient
from tests.s3_server import make_bucket, moto_endpoint, s3_settings  # noqa: F401 - the fixture
from tests.test_hardening import EMAIL, ENV, PASSWORD, Served

BUCKET = "pybase-cluster"


def _notes_body(name: str) -> dict[str, Any]:
    return {"name": name, "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "t", "type": "text", "max": 100000}, {"name": "n", "type": "number"},
                       {"name": "doc", "type": "file", "maxSelect": 1}]}  # fmt: skip


@pytest.fixture(scope="module")
def first_node(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[Cluster]:
    """The module's cluster with its first node, n1, on local file storage."""
    with new_cluster(tmp_path_factory.mktemp("cluster"), databases) as found:
        assert isinstance(found.start("n1"), Served)
        yield found


@pytest.fixture(scope="module")
def cluster(first_node: Cluster, moto_endpoint: str) -> Cluster:  # noqa: F811
    """The module's cluster on S3 with three nodes, n1, n2 and n3."""
    first = first_node.nodes[0]
    make_bucket(moto_endpoint, BUCKET)
    resp = requests.patch(
        f"{first.base}/api/settings", json={"s3": s3_settings(moto_endpoint, BUCKET)}, headers=superuser_headers(first.base), timeout=30
    )
    assert resp.status_code == 200, resp.text
    first_node.start("n2")
    first_node.start("n3")
    return first_node


@pytest.fixture(scope="module")
def notes(cluster: Cluster) -> Cluster:
    """The three-node cluster with the ``notes`` collection (made on n3)."""
    n3 = cluster.nodes[2]
    resp = requests.post(f"{n3.base}/api/collections", json=_notes_body("notes"), headers=superuser_headers(n3.base), timeout=30)
    assert resp.status_code == 200, resp.text
    return cluster


@pytest.fixture
def survivors(notes: Cluster) -> list[Served]:
    """The nodes still alive after one was killed (by the load test, or here when it did not run)."""
    alive = [node for node in notes.nodes if node.proc.poll() is None]
    if len(alive) == 3:
        alive[-1].proc.send_signal(signal.SIGKILL)
        alive[-1].proc.wait(10)
        alive = alive[:-1]
    return alive


@pytest.fixture
def local_storage_cluster(request: pytest.FixtureRequest, tmp_path: Path, databases: Any) -> Iterator[Cluster]:
    """A cluster whose first node still keeps files locally: the module's one while nothing
    moved it to S3 yet (in file order), else a cluster of its own."""
    shared: Cluster = request.getfixturevalue("first_node")
    if len(shared.nodes) == 1:
        yield shared
        return
    with new_cluster(tmp_path, databases) as own:
        assert isinstance(own.start("n1"), Served)
        yield own


def test_a_second_node_with_local_file_storage_refuses_to_start(local_storage_cluster: Cluster) -> None:
    refused = local_storage_cluster.start("refused", check=False)
    assert isinstance(refused, subprocess.CompletedProcess)
    assert refused.returncode != 0
    assert "file storage is local" in refused.stderr and "S3" in refused.stderr, refused.stderr


def test_with_s3_storage_three_nodes_serve(cluster: Cluster) -> None:
    first = cluster.nodes[0]
    assert len(cluster.nodes) == 3
    for node in cluster.nodes:
        assert requests.get(f"{node.base}/api/health", timeout=10).status_code == 200
    # NOTE: while other nodes run, S3 cannot be turned off (their files would split).
    resp = requests.patch(f"{first.base}/api/settings", json={"s3": {"enabled": False}}, headers=superuser_headers(first.base), timeout=30)
    assert resp.status_code == 400, resp.text
    assert resp.json()["data"]["s3"]["enabled"]["code"] == "validation_cluster_storage"


def test_a_collection_made_on_one_node_is_seen_by_the_others(cluster: Cluster) -> None:
    n1, n2, n3 = cluster.nodes
    resp = requests.post(f"{n3.base}/api/collections", json=_notes_body("seen"), headers=superuser_headers(n3.base), timeout=30)
    assert resp.status_code == 200, resp.text
    # NOTE: n3 answered once every other node had confirmed the change's notification: their
    # very next request reloads the collections first.
    for node in (n1, n2):
        assert requests.get(f"{node.base}/api/collections/seen/records", timeout=10).status_code == 200
    # a field added on n1: a record written with it through n2 right after
    fields = [*resp.json()["fields"], {"name": "extra", "type": "text"}]
    resp = requests.patch(f"{n1.base}/api/collections/seen", json={"fields": fields}, headers=superuser_headers(n1.base), timeout=30)
    assert resp.status_code == 200, resp.text
    resp = requests.post(f"{n2.base}/api/collections/seen/records", json={"extra": "x"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["extra"] == "x", resp.text


@pytest.mark.usefixtures("notes")
def test_a_file_uploaded_on_one_node_is_served_by_another(cluster: Cluster) -> None:
    n1, n2, _n3 = cluster.nodes
    resp = requests.post(f"{n1.base}/api/collections/notes/records", files={"doc": ("a.txt", b"hello cluster")}, timeout=30)
    assert resp.status_code == 200, resp.text
    record = resp.json()
    got = requests.get(f"{n2.base}/api/files/notes/{record['id']}/{record['doc']}", timeout=30)
    assert got.status_code == 200 and got.content == b"hello cluster"


@pytest.mark.usefixtures("notes")
def test_changes_are_sent_only_while_some_node_has_a_realtime_client(cluster: Cluster) -> None:
    import psycopg

    n1, n2, _n3 = cluster.nodes
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://"), autocommit=True) as listen:
        listen.execute("LISTEN pybase_changes")

        def sent() -> int:
            requests.post(f"{n1.base}/api/collections/notes/records", json={"t": "quiet?"}, timeout=10).raise_for_status()
            return len(list(listen.notifies(timeout=0.3)))

        assert eventually(lambda: sent() == 0, 15)  # nobody holds a stream: no NOTIFY
        stream = SseClient(n2.base)
        try:
            # NOTE: n2's first client was announced and confirmed by every node before its stream
            # started: the very first write after the subscription is sent.
            assert stream.subscribe("notes/*").status_code == 204
            assert sent() == 1
            assert stream.next(10).data["record"]["t"] == "quiet?"
        finally:
            stream.close()
        assert eventually(lambda: sent() == 0, 15)  # the stream gone, silence again


@pytest.mark.usefixtures("notes")
def test_realtime_across_nodes_in_commit_order(cluster: Cluster) -> None:
    n1, n2, n3 = cluster.nodes
    stream = SseClient(n2.base)
    try:
        # NOTE: the subscribe request lands on another node than the stream's (as behind a load
        # balancer): it is forwarded to n2 through Postgres.
        resp = requests.post(f"{n1.base}/api/realtime", json={"clientId": stream.client_id, "subscriptions": ["notes/*"]}, timeout=10)
        assert resp.status_code == 204, resp.text
        created = requests.post(f"{n3.base}/api/collections/notes/records", json={"t": "from n3", "n": 0}, timeout=10).json()
        event = stream.next(10)
        assert event is not None and event.name == "notes/*"
        assert event.data["action"] == "create" and event.data["record"]["id"] == created["id"]
        # updates of one record through every node, one after the other: delivered in that order
        for i in range(1, 10):
            node = cluster.nodes[i % 3]
            resp = requests.patch(f"{node.base}/api/collections/notes/records/{created['id']}", json={"n": i}, timeout=10)
            assert resp.status_code == 200, resp.text
        seen = [stream.next(10).data["record"]["n"] for _ in range(1, 10)]
        assert seen == list(range(1, 10))
        # a row past NOTIFY's 8000 bytes travels through the spill table
        big = "x" * 20000
        requests.post(f"{n1.base}/api/collections/notes/records", json={"t": big}, timeout=10).raise_for_status()
        event = stream.next(10)
        assert event.data["record"]["t"] == big
        # the subscription itself can be read back where the stream is
        resp = requests.post(f"{n3.base}/api/realtime", json={"clientId": stream.client_id, "subscriptions": []}, timeout=10)
        assert resp.status_code == 204
        requests.post(f"{n1.base}/api/collections/notes/records", json={"t": "unseen"}, timeout=10).raise_for_status()
        stream.expect_none(0.5)
    finally:
        stream.close()


def test_a_new_token_secret_on_one_node_signs_out_the_streams_of_the_others(cluster: Cluster) -> None:
    n1, n2, n3 = cluster.nodes
    su = superuser_headers(n1.base)
    body = {"name": "private", "type": "base", "listRule": "@request.auth.id != ''", "fields": [{"name": "t", "type": "text"}]}
    assert requests.post(f"{n1.base}/api/collections", json=body, headers=su, timeout=30).status_code == 200
    user = {"email": "u@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}
    assert requests.post(f"{n1.base}/api/collections/users/records", json=user, headers=su, timeout=30).status_code == 200
    signed = requests.post(
        f"{n2.base}/api/collections/users/auth-with-password", json={"identity": user["email"], "password": user["password"]}, timeout=30
    )
    assert signed.status_code == 200, signed.text
    stream = SseClient(n2.base)
    try:
        assert stream.subscribe("private/*", token=signed.json()["token"]).status_code == 204
        requests.post(f"{n3.base}/api/collections/private/records", json={"t": "one"}, headers=su, timeout=10).raise_for_status()
        assert stream.next(10).data["record"]["t"] == "one"
        resp = requests.patch(f"{n1.base}/api/collections/users", json={"authToken": {"secret": "s" * 50}}, headers=su, timeout=30)
        assert resp.status_code == 200, resp.text
        requests.post(f"{n3.base}/api/collections/private/records", json={"t": "two"}, headers=superuser_headers(n3.base), timeout=10).raise_for_status()
        stream.expect_none(1.0)  # NOTE: n2's client is a guest now, as it would be on n1
    finally:
        stream.close()


class RoundRobin:
    """A TCP balancer on loopback: each new connection goes to the next node (no stickiness)."""

    def __init__(self, bases: list[str]) -> None:
        self.targets = [(urlsplit(base).hostname or "", urlsplit(base).port or 0) for base in bases]
        self.used: list[int] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._next = itertools.count()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            index = next(self._next) % len(self.targets)
            self.used.append(index)
            upstream = socket.create_connection(self.targets[index])
            for src, dst in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


@pytest.mark.usefixtures("notes")
def test_the_js_sdk_behind_a_balancer_without_sticky_sessions(cluster: Cluster) -> None:
    node = _require_node()
    balancer = RoundRobin([n.base for n in cluster.nodes])
    try:
        proc = subprocess.run(
            [node, "sdk_realtime.mjs", balancer.base, EMAIL, PASSWORD], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        balancer.close()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and output.rstrip().endswith("1 passed, 0 failed"), output
    assert len(set(balancer.used)) == 3, balancer.used


def test_a_subscribe_request_for_an_unknown_client_is_404(cluster: Cluster) -> None:
    n1 = cluster.nodes[0]
    resp = requests.post(f"{n1.base}/api/realtime", json={"clientId": "zzzzzzzzmissing00000000000000000000000000", "subscriptions": []}, timeout=30)
    assert resp.status_code == 404, resp.text


def _leaders(cluster: Cluster) -> list[Served]:
    return [node for node in cluster.nodes if node.log_count("runs the crons")]


def _a_leader(nodes: list[Served]) -> bool:
    """Whether some node leads (it logs so within a moment of starting)."""
    return eventually(lambda: any(node.log_count("runs the crons") for node in nodes), 15)


def test_one_node_runs_the_crons(cluster: Cluster) -> None:
    assert _a_leader(cluster.nodes)
    assert len(_leaders(cluster)) == 1


@pytest.mark.usefixtures("notes")
def test_a_node_killed_under_load_loses_nothing_acknowledged(cluster: Cluster) -> None:
    assert _a_leader(cluster.nodes)
    leader = _leaders(cluster)[0]
    survivors = [node for node in cluster.nodes if node is not leader]
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        i = 0
        while not stop.is_set():
            node = cluster.nodes[(worker + i) % 3]
            i += 1
            try:
                resp = requests.post(f"{node.base}/api/collections/notes/records", json={"t": f"load {worker}-{i}"}, timeout=10)
            except requests.RequestException:
                continue  # NOTE: the killed node: not acknowledged
            if resp.status_code == 200:
                acknowledged.append(resp.json()["id"])
            elif node is not leader:
                failures.append(f"{resp.status_code} {resp.text[:200]}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    try:
        assert eventually(lambda: len(acknowledged) >= 30, 30)
        leader.proc.send_signal(signal.SIGKILL)
        leader.proc.wait(10)
        count = len(acknowledged)
        assert eventually(lambda: len(acknowledged) >= count + 30, 30)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures, failures[:5]
    # every acknowledged record is there, read through each surviving node
    for node in survivors:
        ids: set[str] = set()
        page = 1
        while True:
            resp = requests.get(
                f"{node.base}/api/collections/notes/records", params={"perPage": 500, "page": page, "fields": "id"}, timeout=30
            ).json()
            ids |= {item["id"] for item in resp["items"]}
            if page >= resp["totalPages"]:
                break
            page += 1
        missing = set(acknowledged) - ids
        assert not missing, sorted(missing)[:5]
    # the crons moved to a surviving node
    assert eventually(lambda: any(node.log_count("runs the crons") for node in survivors), 15)


def test_realtime_still_flows_between_the_survivors(survivors: list[Served]) -> None:
    assert len(survivors) == 2
    a, b = survivors
    stream = SseClient(a.base)
    try:
        assert stream.subscribe("notes/*").status_code == 204
        requests.post(f"{b.base}/api/collections/notes/records", json={"t": "after"}, timeout=10).raise_for_status()
        event = stream.next(10)
        assert event.data["record"]["t"] == "after"
    finally:
        stream.close()



@pytest.mark.usefixtures("notes")
def test_with_two_workers_each_worker_is_a_node(cluster: Cluster) -> None:
    survivor = next(node for node in cluster.nodes if node.proc.poll() is None)
    pair = cluster.start("n4", workers=2)
    assert isinstance(pair, Served)
    # NOTE: the kernel spreads connections over the two workers: some subscribe requests reach
    # the worker that does not hold the stream and are forwarded through Postgres.
    streams = [SseClient(pair.base)]
    try:
        while len({stream.client_id[:8] for stream in streams}) < 2:
            assert len(streams) < 30, "every stream on one worker"
            streams.append(SseClient(pair.base))
        for stream in streams:
            assert stream.subscribe("notes/*").status_code == 204
        requests.post(f"{survivor.base}/api/collections/notes/records", json={"t": "to n4"}, timeout=10).raise_for_status()
        for stream in streams:
            assert stream.next(10).data["record"]["t"] == "to n4"
    finally:
        for stream in streams:
            stream.close()


@pytest.mark.usefixtures("notes")
def test_connections_cut_by_postgres_come_back(cluster: Cluster) -> None:
    import psycopg

    alive = [node for node in cluster.nodes if node.proc.poll() is None]
    assert _a_leader(alive)  # NOTE: run alone, right after the nodes start: one leads first
    leads_before = sum(node.log_count("runs the crons") for node in alive)
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://"), autocommit=True) as admin:
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'pybase-%%' AND pid <> pg_backend_pid()"
        ).fetchone()
    assert cut is not None and cut[0] >= 2 * len(alive)
    # the leader lost its lock with its connection: its crons stop, and a node leads again
    assert eventually(lambda: any(node.log_count("lost its Postgres lock connection") for node in alive), 15)
    assert eventually(lambda: sum(node.log_count("runs the crons") for node in alive) > leads_before, 15)
    # realtime flows again once the LISTEN connections are back
    a, b = alive[0], alive[1]
    stream = SseClient(a.base)
    try:
        assert stream.subscribe("notes/*").status_code == 204

        def delivered() -> bool:
            requests.post(f"{b.base}/api/collections/notes/records", json={"t": "again"}, timeout=10).raise_for_status()
            try:
                return stream.next(0.5).data["record"]["t"] == "again"
            except queue.Empty:
                return False

        assert eventually(delivered, 20)
    finally:
        stream.close()


MIGRATION = """
migrate((app) => {
  const collection = new Collection({ name: "migrated", type: "base", listRule: "", fields: [{ type: "text", name: "t" }] });
  app.save(collection);
  app.save(new Record(collection, { t: "from a migration" }));
}, (app) => {
  app.delete(app.findCollectionByNameOrId("migrated"));
});
"""


def test_a_migration_run_beside_the_cluster_reaches_every_node(cluster: Cluster) -> None:
    migrations = cluster.root / "pb_migrations"
    migrations.mkdir()
    (migrations / "1700000000_migrated.js").write_text(MIGRATION)
    done = subprocess.run(
        [sys.executable, "-m", "pybase", "migrate", "up", "--dir", str(cluster.root / "cli" / "pb_data"), "--db", cluster.url,
         "--migrationsDir", str(migrations)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for node in (node for node in cluster.nodes if node.proc.poll() is None):

        def served(node: Served = node) -> bool:
            resp = requests.get(f"{node.base}/api/collections/migrated/records", timeout=10)
            return resp.status_code == 200 and resp.json()["items"][0]["t"] == "from a migration"

        # NOTE: the command announces the change as it ends; the nodes get it within milliseconds.
        assert eventually(served, 10)
