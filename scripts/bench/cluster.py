"""What running several pybase nodes on one Postgres costs (issue #17), measured.

    .venv/bin/python scripts/bench/cluster.py [--writes 300]

Starts a Postgres (tests/pg.py: initdb + pg_ctl in a temp dir; fsync and synchronous_commit
turned back on, as on a real server) and two ``pybase serve --db`` nodes, then prints:

1. realtime latency: a record created through node A, its event on an SSE stream of node B
   (across nodes) and of node A (same node), from the create request's start;
2. a collection change on A: how long until B serves it, and how often B's very next request
   already sees it;
3. NOTIFY inside a write transaction: a one-row INSERT transaction with and without a
   ``pg_notify`` of a ~300-byte change, with that change also kept in a table (what a node
   cut from Postgres would need to catch up), and with a spilled (20 kB) one, one listener attached;
4. rate limits held in Postgres: an upsert per request (``INSERT ... ON CONFLICT DO UPDATE``),
   against a plain record view request on a node.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.pg import start_postgres  # noqa: E402
from tests.realtime.sse import SseClient  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "1234567890"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1] if len(values) >= 20 else values[-1]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms (n={len(values)})"


def _node(root: Path, name: str, url: str) -> tuple[subprocess.Popen[str], str]:
    home = root / name
    home.mkdir(exist_ok=True)
    out = open(home / "stdout.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybase", "serve", "--http", "127.0.0.1:0", "--dir", str(home / "pb_data"), "--db", url, "--workers", "1"],
        cwd=home, env=ENV, stdout=out, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = (home / "stdout.log").read_text()
        if "Server started at " in text:
            return proc, text.split("Server started at ", 1)[1].split()[0]
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")


def _su(base: str) -> dict[str, str]:
    resp = requests.post(f"{base}/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD}, timeout=30)
    return {"Authorization": resp.json()["token"]}


def realtime_latency(a: str, b: str, writes: int) -> None:
    session = requests.Session()
    for label, holder in (("across nodes (write on A, stream on B)", b), ("same node (write on A, stream on A)", a)):
        stream = SseClient(holder)
        arrivals: queue.Queue[float] = queue.Queue()
        stream_events = stream.events

        def pump(events: queue.Queue = stream_events, out: queue.Queue = arrivals) -> None:  # type: ignore[type-arg]
            while True:
                event = events.get()
                if event is None:
                    return
                out.put(time.perf_counter())

        threading.Thread(target=pump, daemon=True).start()
        stream.subscribe("bench/*").raise_for_status()
        latencies = []
        for i in range(writes):
            start = time.perf_counter()
            session.post(f"{a}/api/collections/bench/records", json={"t": f"w{i}"}, timeout=10).raise_for_status()
            latencies.append(arrivals.get(timeout=10) - start)
        stream.close()
        print(f"  realtime {label}: create request start -> event: {_ms(latencies)}")


def create_cost(a: str, b: str, count: int) -> None:
    """Creates on A with no realtime client anywhere (no NOTIFY) and with one stream on B."""
    session = requests.Session()

    def run() -> float:
        start = time.perf_counter()
        for i in range(count):
            session.post(f"{a}/api/collections/bench/records", json={"t": f"c{i}"}, timeout=10).raise_for_status()
        return (time.perf_counter() - start) / count

    def run_parallel() -> float:
        """Creates per second, 8 clients, half on A and half on B."""

        def client(base: str) -> None:
            own = requests.Session()
            for i in range(count // 4):
                own.post(f"{base}/api/collections/bench/records", json={"t": f"p{i}"}, timeout=30).raise_for_status()

        threads = [threading.Thread(target=client, args=(base,)) for base in (a, b) * 4]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return (count // 4) * 8 / (time.perf_counter() - start)

    time.sleep(2)  # NOTE: the streams of before are gone from the presence table
    quiet, quiet_parallel = min(run(), run()), max(run_parallel(), run_parallel())
    stream = SseClient(b)
    stream.subscribe("other/*").raise_for_status()
    try:
        told, told_parallel = min(run(), run()), max(run_parallel(), run_parallel())
    finally:
        stream.close()
    print(f"  create request on A, one at a time: {quiet * 1000:.2f} ms with no realtime client anywhere (no NOTIFY), "
          f"{told * 1000:.2f} ms with a client on B (NOTIFY, both nodes decode each change)")
    print(f"  creates, 8 clients over A and B: {quiet_parallel:.0f}/s with no realtime client, {told_parallel:.0f}/s with one")


def collection_propagation(a: str, b: str, rounds: int) -> None:
    su = _su(a)
    waits, makes, first_try = [], [], 0
    for i in range(rounds):
        body = {"name": f"c{i}", "type": "base", "listRule": "", "fields": [{"name": "t", "type": "text"}]}
        start = time.perf_counter()
        requests.post(f"{a}/api/collections", json=body, headers=su, timeout=30).raise_for_status()
        done = time.perf_counter()
        makes.append(done - start)
        tries = 0
        while requests.get(f"{b}/api/collections/c{i}/records", timeout=10).status_code != 200:
            tries += 1
        waits.append(time.perf_counter() - done)
        first_try += tries == 0
    print(f"  collection create on A (waits for B's confirmation): {_ms(makes)}")
    print(f"  collection made on A, B's first request for it: {_ms(waits)}; B's very next request saw it {first_try}/{rounds}")


def notify_cost(url: str, count: int) -> None:
    import psycopg

    dsn = url.replace("postgres://", "postgresql://")
    listener = psycopg.connect(dsn, autocommit=True)
    listener.execute("LISTEN bench")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS nb (id bigserial primary key, t text)")
        conn.execute("CREATE TABLE IF NOT EXISTS nb_spill (id bigserial primary key, payload text, created timestamptz default now())")
        small = json.dumps({"n": "abcdefgh", "s": 1, "a": "create", "c": "pbc_1234567890", "r": {"id": "x" * 15, "t": "y" * 200}})
        big = "z" * 20000

        def run(mode: str) -> float:
            start = time.perf_counter()
            for _ in range(count):
                with conn.transaction():
                    conn.execute("INSERT INTO nb (t) VALUES (%s)", ("row",))
                    if mode == "notify":
                        conn.execute("SELECT pg_notify('bench', %s)", (small,))
                    elif mode == "kept":  # NOTE: also kept in a table, for a node to catch up after a cut
                        conn.execute("INSERT INTO nb_spill (payload) VALUES (%s)", (small,))
                        conn.execute("SELECT pg_notify('bench', %s)", (small,))
                    elif mode == "spill":
                        row = conn.execute("INSERT INTO nb_spill (payload) VALUES (%s) RETURNING id", (big,)).fetchone()
                        conn.execute("SELECT pg_notify('bench', %s)", (f"@{row[0]}",))
            return (time.perf_counter() - start) / count

        best: dict[str, float] = {}
        for _round in range(3):
            for mode in ("plain", "notify", "kept", "spill"):
                best[mode] = min(best.get(mode, 1e9), run(mode))
                for _ in listener.notifies(timeout=0.2):
                    pass
        for mode, per in best.items():
            print(f"  one-row write transaction, {mode:6}: {per * 1000:.3f} ms (best of 3 x {count})")
    listener.close()


def ratelimit_cost(url: str, node: str, count: int) -> None:
    import psycopg

    dsn = url.replace("postgres://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS rl (key text primary key, window_start bigint, hits int)")
        start = time.perf_counter()
        for i in range(count):
            conn.execute(
                "INSERT INTO rl (key, window_start, hits) VALUES (%s, %s, 1) ON CONFLICT (key) DO UPDATE SET "
                "hits = CASE WHEN rl.window_start = EXCLUDED.window_start THEN rl.hits + 1 ELSE 1 END, "
                "window_start = EXCLUDED.window_start RETURNING hits",
                (f"/api/:127.0.0.{i % 50}", int(time.time()) // 10),
            ).fetchone()
        upsert = (time.perf_counter() - start) / count
    session = requests.Session()
    record = session.post(f"{node}/api/collections/bench/records", json={"t": "v"}, timeout=10).json()
    start = time.perf_counter()
    for _ in range(count):
        session.get(f"{node}/api/collections/bench/records/{record['id']}", timeout=10)
    view = (time.perf_counter() - start) / count
    print(f"  rate-limit upsert in Postgres: {upsert * 1000:.3f} ms a request; a record view request: {view * 1000:.3f} ms "
          f"(the upsert would add {upsert / view * 100:.0f}% to it, and a write per request)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    pg = start_postgres()
    procs: list[subprocess.Popen[str]] = []
    try:
        pg.admin("ALTER SYSTEM SET fsync = on")
        pg.admin("ALTER SYSTEM SET synchronous_commit = on")
        pg.admin("SELECT pg_reload_conf()")
        url = pg.new_database()
        root = Path(tempfile.mkdtemp(prefix="pybase-cluster-bench-"))
        subprocess.run(
            [sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(root / "a" / "pb_data"), "--db", url],
            env=ENV, check=True, capture_output=True,
        )  # fmt: skip
        proc_a, a = _node(root, "a", url)
        procs.append(proc_a)
        # NOTE: the second node needs S3 storage on; the bench writes no files, so a dummy S3 section does.
        s3 = {"enabled": True, "bucket": "b", "region": "us-east-1", "endpoint": "http://127.0.0.1:9", "accessKey": "k", "secret": "s"}
        requests.patch(f"{a}/api/settings", json={"s3": s3}, headers=_su(a), timeout=30).raise_for_status()
        proc_b, b = _node(root, "b", url)
        procs.append(proc_b)
        body = {"name": "bench", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "t", "type": "text"}]}
        requests.post(f"{a}/api/collections", json=body, headers=_su(a), timeout=30).raise_for_status()
        time.sleep(0.5)
        print(f"two nodes on one Postgres ({pg.url('...')}), fsync on:")
        realtime_latency(a, b, args.writes)
        create_cost(a, b, args.writes)
        collection_propagation(a, b, 20)
        notify_cost(url, 1000)
        ratelimit_cost(url, a, 1000)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        pg.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
