"""Two ``pybase serve --db postgres://...`` nodes on one Postgres and one S3 (issue #17): what a
migration run beside them, hooks' realtime messages and a cut LISTEN connection do.

Each test can run alone: the module's pair of nodes is started by the fixture.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cluster.nodes import Cluster, eventually, new_cluster, superuser_headers
from tests.cluster.test_cluster import BUCKET
from tests.e2e.test_js_sdk import _require_node
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
    root = tmp_path_factory.mktemp("pair")
    hooks = root / "pb_hooks"  # NOTE: one folder both nodes load (as a shared volume would be)
    hooks.mkdir()
    (hooks / "broker.pb.js").write_text(BROKER_HOOK)
    with new_cluster(root, databases) as cluster:
        first = cluster.start("n1", extra=("--hooksDir", str(hooks)))
        assert isinstance(first, Served)
        make_bucket(moto_endpoint, BUCKET)
        resp = requests.patch(
            f"{first.base}/api/settings", json={"s3": s3_settings(moto_endpoint, BUCKET)}, headers=superuser_headers(first.base), timeout=30
        )
        assert resp.status_code == 200, resp.text
        cluster.start("n2", extra=("--hooksDir", str(hooks)))
        yield Pair(cluster, hooks)


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
        # unregistered through the other node: its stream ends where it is held
        assert requests.delete(f"{pair.n1.base}/broker/one/{streams[1].client_id}", timeout=30).status_code == 204
        assert streams[1].next(10) is None

        def listed() -> Any:
            return requests.post(f"{pair.n2.base}/broker/send/news", timeout=30).json()

        deadline = time.monotonic() + 10  # NOTE: n2 unregisters it as the stream's end is handled
        while (found := listed()) != {"ids": [streams[0].client_id], "total": 1}:
            assert time.monotonic() < deadline, found
    finally:
        for stream in streams:
            stream.close()


def _collection(pair: Pair, name: str) -> None:
    su = superuser_headers(pair.n1.base)
    if requests.get(f"{pair.n1.base}/api/collections/{name}", headers=su, timeout=30).status_code == 200:
        return  # NOTE: made by an earlier test of the module
    body = {"name": name, "type": "base", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "t", "type": "text"}]}
    resp = requests.post(f"{pair.n1.base}/api/collections", json=body, headers=su, timeout=30)
    assert resp.status_code == 200, resp.text


def _cut_listen_connection(url: str, node: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as admin:
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", (f"pybase-listen-{node}",)
        ).fetchone()
    assert cut == (1,)


def _write_through_both(pair: Pair, collection: str, stop: threading.Event, written: list[str]) -> None:
    """Records made through n1 and n2 in turn until ``stop`` (their ids in commit order: each
    made once the one before was answered)."""
    i = 0
    while not stop.is_set():
        node = (pair.n1, pair.n2)[i % 2]
        i += 1
        resp = requests.post(f"{node.base}/api/collections/{collection}/records", json={"t": f"w{i}"}, timeout=10)
        written.append(resp.json()["id"])
        time.sleep(0.01)


def test_a_node_whose_listen_connection_was_cut_catches_up_on_what_it_missed(pair: Pair) -> None:
    _collection(pair, "cut")
    stream = SseClient(pair.n2.base)
    stop = threading.Event()
    written: list[str] = []
    writer = threading.Thread(target=_write_through_both, args=(pair, "cut", stop, written))
    try:
        assert stream.subscribe("cut/*").status_code == 204
        caught_before = pair.n2.log_count("caught up on")
        writer.start()
        while len(written) < 5:
            time.sleep(0.01)
        _cut_listen_connection(pair.cluster.url, stream.client_id[:8])
        # n2 listens again within a second, then asks n1 (and itself) for what it missed
        assert pair.n2.wait_log("caught up on", caught_before + 1)
        count = len(written)
        while len(written) < count + 5:
            time.sleep(0.01)
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
    try:
        # every change, once, in commit order, on the stream that stayed open
        got = [stream.next(10).data["record"]["id"] for _ in written]
        assert got == written
        stream.expect_none(0.5)
        assert pair.n2.log_count("realtime stream(s)") == 0
    finally:
        stream.close()


def test_the_js_sdk_on_a_node_whose_listen_connection_was_cut_misses_nothing(pair: Pair) -> None:
    node = _require_node()
    _collection(pair, "cutsdk")
    proc = subprocess.Popen(
        [node, "sdk_reconnect.mjs", pair.n2.base, pair.n1.base, EMAIL, PASSWORD, "cutsdk"], cwd=Path(__file__).parent,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdin is not None
        ready = proc.stdout.readline()
        assert ready.startswith("ready "), ready + proc.stdout.read()
        caught_before = pair.n2.log_count("caught up on")
        _cut_listen_connection(pair.cluster.url, ready.split()[1][:8])
        # NOTE: written at once, while n2 is still cut off (it listens again within a second)
        made = [
            requests.post(f"{pair.n1.base}/api/collections/cutsdk/records", json={"t": f"during {i}"}, timeout=10).json()["id"]
            for i in range(3)
        ]
        assert pair.n2.wait_log("caught up on", caught_before + 1)
        proc.stdin.write(" ".join(made) + "\n")
        proc.stdin.flush()
        output = proc.stdout.read()
        assert proc.wait(60) == 0 and output.rstrip().endswith("1 passed, 0 failed"), output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_node_cut_off_again_while_it_catches_up_hands_over_every_change_in_order(pair: Pair) -> None:
    """Two catch-ups at once (the LISTEN connection cut again before the first one ended): a
    change arriving after the first one ended waits for the second one's replay of an older
    change missed in the second cut (the first handed the held changes over, and the newer came
    first); each asks on a channel of its own."""
    _collection(pair, "cut")
    stream = SseClient(pair.n2.base)
    posted: list[Any] = []
    posters: list[threading.Thread] = []

    def post(text: str) -> None:
        # NOTE: n1's request waits for n2 to handle the change (after its catch-up): in a thread
        def made() -> None:
            posted.append(requests.post(f"{pair.n1.base}/api/collections/cut/records", json={"t": text}, timeout=30))

        posters.append(threading.Thread(target=made))
        posters[-1].start()
        assert eventually(lambda: _count(pair, text) == 1, 5)

    try:
        assert stream.subscribe("cut/*").status_code == 204
        node = stream.client_id[:8]
        opened_before, caught_before = pair.n2.log_count("LISTEN connection open again"), pair.n2.log_count("caught up on")
        _cut_listen_connection(pair.cluster.url, node)
        assert pair.n2.wait_log("LISTEN connection open again", opened_before + 1)
        # NOTE: the first catch-up lasts at least LEADER_RETRY_SECONDS * 1.5 (it counts the live
        # nodes again until then): cut again within it, and write while cut off
        _cut_listen_connection(pair.cluster.url, node)
        post("missed")
        assert pair.n2.log_count("caught up on") == caught_before
        assert pair.n2.log_count("LISTEN connection open again") == opened_before + 1
        # the first catch-up ends before the second one replayed "missed"
        assert pair.n2.wait_log("caught up on", caught_before + 1)
        post("newer")
        got = [stream.next(10).data["record"]["t"] for _ in range(2)]
        assert got == ["missed", "newer"]
        assert pair.n2.wait_log("caught up on", caught_before + 2)
        stream.expect_none(0.5)
        for poster in posters:
            poster.join(30)
        assert [resp.status_code for resp in posted] == [200, 200]
        assert pair.n2.log_count("realtime stream(s)") == 0
    finally:
        stream.close()


def _count(pair: Pair, text: str) -> int:
    resp = requests.get(f"{pair.n2.base}/api/collections/cut/records", params={"filter": f"t='{text}'"}, timeout=10)
    return int(resp.json()["totalItems"])


def test_a_catch_up_waits_for_a_node_seen_before_the_cut_whose_lock_is_not_back(pair: Pair) -> None:
    """A node live before the cut, whose lock connection is not back while the others are
    recounted (here: it hangs, its lock connection cut), is still waited for, up to the
    question's time limit: the change it sent while this node was cut off is not lost."""
    import psycopg

    _collection(pair, "cut")
    stream = SseClient(pair.n2.base)
    made: list[Any] = []
    try:
        assert stream.subscribe("cut/*").status_code == 204
        node = stream.client_id[:8]
        opened_before = pair.n2.log_count("LISTEN connection open again")
        _cut_listen_connection(pair.cluster.url, node)
        # NOTE: n1's request waits for n2 to handle the change (after its catch-up): in a thread
        poster = threading.Thread(
            target=lambda: made.append(requests.post(f"{pair.n1.base}/api/collections/cut/records", json={"t": "unseen"}, timeout=30))
        )
        poster.start()
        assert eventually(lambda: _count(pair, "unseen") == 1, 5)
        pair.n1.proc.send_signal(signal.SIGSTOP)
        try:
            with psycopg.connect(pair.cluster.url.replace("postgres://", "postgresql://"), autocommit=True) as admin:
                cut = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name LIKE 'pybase-node-%%' AND application_name <> %s", (f"pybase-node-{node}",),
                ).fetchone()
            assert cut == (1,)
            assert pair.n2.wait_log("LISTEN connection open again", opened_before + 1)
            time.sleep(2.0)  # NOTE: past the recount (LEADER_RETRY_SECONDS * 1.5): n1 counted out
        finally:
            pair.n1.proc.send_signal(signal.SIGCONT)
        event = stream.next(10)
        assert event is not None and event.data["record"]["t"] == "unseen"
        poster.join(30)
        assert made and made[0].status_code == 200
        assert event.data["record"]["id"] == made[0].json()["id"]
        stream.expect_none(0.5)
    finally:
        pair.n1.proc.send_signal(signal.SIGCONT)
        stream.close()


def test_a_node_cut_off_that_cannot_catch_up_closes_its_streams(pair: Pair) -> None:
    _collection(pair, "cut")
    stream = SseClient(pair.n2.base)
    try:
        assert stream.subscribe("cut/*").status_code == 204
        closed_before = pair.n2.log_count("realtime stream(s)")
        # NOTE: n1 hangs (stopped): it cannot say what it sent while n2 was cut off
        pair.n1.proc.send_signal(signal.SIGSTOP)
        try:
            _cut_listen_connection(pair.cluster.url, stream.client_id[:8])
            assert pair.n2.wait_log("realtime stream(s)", closed_before + 1)
        finally:
            pair.n1.proc.send_signal(signal.SIGCONT)
        # the stream is closed: the SDK would connect again and subscribe anew
        assert stream.next(10) is None
    finally:
        stream.close()
    again = SseClient(pair.n2.base)
    try:
        assert again.subscribe("cut/*").status_code == 204
        made = requests.post(f"{pair.n1.base}/api/collections/cut/records", json={"t": "after"}, timeout=10).json()
        assert again.next(10).data["record"]["id"] == made["id"]
    finally:
        again.close()


def test_hooks_in_a_folder_both_nodes_load_are_reloaded_by_each(pair: Pair) -> None:
    # NOTE: nothing of pb_hooks travels through Postgres: each node watches the folder it loads
    # (here one folder for both, as on one machine; on several machines, the same files deployed
    # to each) and reloads on its own within about 0.1 s of a change.
    def version(node: Served) -> Any:
        resp = requests.get(f"{node.base}/api/later", timeout=10)
        return resp.json().get("v") if resp.status_code == 200 else None

    def everywhere(expected: int) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(version(node) == expected for node in (pair.n1, pair.n2)):
                return True
            time.sleep(0.1)
        return False

    hook = pair.hooks / "later.pb.js"
    hook.write_text('routerAdd("GET", "/api/later", (e) => e.json(200, { v: 1 }));\n')
    assert everywhere(1)
    hook.write_text('routerAdd("GET", "/api/later", (e) => e.json(200, { v: 2 }));\n')
    assert everywhere(2)
    hook.unlink()
    deadline = time.monotonic() + 20
    while any(requests.get(f"{node.base}/api/later", timeout=10).status_code != 404 for node in (pair.n1, pair.n2)):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_the_oauth2_redirect_reaches_the_stream_another_node_holds(pair: Pair) -> None:
    # NOTE: the SDK's popup flow: its stream subscribes to @oauth2 on one node, the provider
    # redirects the browser to whichever node the balancer picks
    stream = SseClient(pair.n2.base)
    try:
        assert stream.subscribe("@oauth2").status_code == 204
        url = f"{pair.n1.base}/api/oauth2-redirect?state={stream.client_id}&code=abc"
        resp = requests.get(url, allow_redirects=False, timeout=30)
        assert resp.status_code == 307 and resp.headers["Location"] == "../_/#/auth/oauth2-redirect-success", resp.text
        event = stream.next(10)
        assert (event.name, event.data) == ("@oauth2", {"state": stream.client_id, "code": "abc"})
        # the client was unsubscribed from @oauth2 on n2: a second redirect fails
        again = requests.get(url, allow_redirects=False, timeout=30)
        assert again.headers["Location"] == "../_/#/auth/oauth2-redirect-failure"
        stream.expect_none(0.3)
    finally:
        stream.close()


def test_migrations_applied_before_a_failing_one_are_announced_too(pair: Pair) -> None:
    migrations = pair.cluster.root / "pb_migrations_partial"
    migrations.mkdir()
    (migrations / "1700000100_partial.js").write_text(MIGRATION.replace('"migrated"', '"partial"'))
    (migrations / "1700000200_broken.js").write_text('migrate((app) => { throw new Error("broken on purpose"); });\n')
    done = subprocess.run(
        [sys.executable, "-m", "pybase", "migrate", "up", "--dir", str(pair.cluster.root / "cli" / "pb_data"),
         "--db", pair.cluster.url, "--migrationsDir", str(migrations)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "broken on purpose" in done.stderr, done.stderr
    assert "Applied 1700000100_partial.js" in done.stdout and "2 of 2 running node(s) confirmed" in done.stdout, done.stdout
    for node in (pair.n1, pair.n2):
        assert requests.get(f"{node.base}/api/collections/partial/records", timeout=10).status_code == 200


def test_a_node_that_answered_a_question_sent_again_does_not_answer_it_twice(pair: Pair) -> None:
    """A question to every node is sent again every RESEND_SECONDS until the last answered (a
    third node here answers after a second): the two served nodes, which answered the first,
    are named in it and answer once (each answered every sending: a catch-up's answer is up to
    a minute of changes)."""
    import orjson
    import psycopg

    from pybase.store.db_postgres import PostgresDatabase
    from pybase.workers.cluster_calls import ask_every_node
    from pybase.workers.cluster_protocol import ALL_CHANNEL, NODE_CHANNEL, NODES_KEY, node_crc

    url = pair.cluster.url.replace("postgres://", "postgresql://")
    db = PostgresDatabase(pair.cluster.url)
    late, replies, watch = (psycopg.connect(url, autocommit=True) for _ in range(3))
    watch.execute(f'LISTEN "{NODE_CHANNEL}testerr"')
    stop = threading.Event()

    def answer_late() -> None:
        late.execute("SELECT pg_advisory_lock_shared(%s, 0)", (NODES_KEY,))
        late.execute(f'LISTEN "{ALL_CHANNEL}"')
        started = time.monotonic()
        while not stop.is_set():
            for note in late.notifies(timeout=0.2, stop_after=1):
                frame = orjson.loads(note.payload) if not note.payload.startswith("@") else {}
                if frame.get("t") == "call" and frame.get("from") == "testerr" and time.monotonic() - started > 1.0:
                    reply = orjson.dumps({"t": "reply", "id": frame["id"], "b": [], "by": 7}).decode()
                    replies.execute("SELECT pg_notify(%s, %s)", (NODE_CHANNEL + "testerr", reply))
                    return

    thread = threading.Thread(target=answer_late, daemon=True)
    thread.start()
    try:
        time.sleep(0.2)  # NOTE: the late node counted live
        answers = ask_every_node(db, "testerr", {"op": "recent", "within": 1.0}, timeout=5, node=node_crc("tester"))
        assert answers is not None and len(answers) == 3
        by: dict[Any, int] = {}
        for note in watch.notifies(timeout=0.5):
            frame = orjson.loads(note.payload) if not note.payload.startswith("@") else {}
            by[frame.get("by")] = by.get(frame.get("by"), 0) + 1
        assert len(by) == 3 and set(by.values()) == {1}, by
    finally:
        stop.set()
        thread.join(10)
        for conn in (late, replies, watch):
            conn.close()
        db.close()
