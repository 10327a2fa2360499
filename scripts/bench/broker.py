"""What a hook pays to reach the realtime clients of other processes (issue #17), measured.

    .venv/bin/python scripts/bench/broker.py [--requests 200]

Two setups, each with one SSE client subscribed to "news" on every process: ``serve --workers 2``
on SQLite (the supervisor's hub between the workers) and two ``serve --db postgres://...`` nodes
(tests/pg.py's Postgres; NOTIFY between them). For each, the median time of a JS route that
does nothing, one that counts the clients (``totalClients()``: one question to every other
process) and one that lists them and sends each a message (``clients()`` + ``send()``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.pg import start_postgres  # noqa: E402
from tests.realtime.sse import SseClient  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "1234567890"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
HOOKS = r"""
routerAdd("GET", "/bench/noop", (e) => e.json(200, {}));
routerAdd("GET", "/bench/count", (e) => e.json(200, { n: $app.subscriptionsBroker().totalClients() }));
routerAdd("GET", "/bench/send", (e) => {
  const message = new SubscriptionMessage({ name: "news", data: "{}" });
  const clients = $app.subscriptionsBroker().clients();
  let sent = 0;
  for (let id in clients) {
    if (clients[id].hasSubscription("news")) { clients[id].send(message); sent++; }
  }
  return e.json(200, { sent: sent });
});
"""


def _start(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "pb_hooks").mkdir(exist_ok=True)
    (home / "pb_hooks" / "bench.pb.js").write_text(HOOKS)
    out = open(home / "stdout.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybase", "serve", "--http", "127.0.0.1:0", "--dir", str(home / "pb_data"), *args],
        cwd=home, env=ENV, stdout=out, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = (home / "stdout.log").read_text()
        if "Server started at " in text:
            return proc, text.split("Server started at ", 1)[1].split()[0]
        time.sleep(0.05)
    raise RuntimeError(f"{home} did not start")


def _measure(label: str, base: str, streams: list[SseClient], count: int) -> None:
    for stream in streams:
        stream.subscribe("news").raise_for_status()
    session = requests.Session()  # NOTE: one kept-alive connection: one worker/node runs the hook
    for route in ("noop", "count", "send"):
        for _ in range(20):  # NOTE: warm-up (the hooks' VMs, the connection pools)
            session.get(f"{base}/bench/{route}", timeout=30).raise_for_status()
    times: dict[str, list[float]] = {"noop": [], "count": [], "send": []}
    for _ in range(count):  # NOTE: interleaved, so a busy moment of the machine hits each route alike
        for route, spent in times.items():
            start = time.perf_counter()
            resp = session.get(f"{base}/bench/{route}", timeout=30)
            spent.append(time.perf_counter() - start)
            resp.raise_for_status()
            if route == "send":
                assert resp.json()["sent"] == len(streams), resp.text
    for route, spent in times.items():
        print(f"  {label}: /bench/{route}: median {statistics.median(spent) * 1000:.2f} ms (n={count})")


def workers(root: Path, count: int) -> None:
    proc, base = _start(root / "w", "--workers", "2")
    streams: list[SseClient] = []
    try:
        while len({s.client_id[:2] for s in streams}) < 2:
            streams.append(SseClient(base))
        _measure(f"--workers 2 on SQLite, {len(streams)} clients on both workers", base, streams, count)
    finally:
        for stream in streams:
            stream.close()
        proc.kill()
        proc.wait()


def nodes(root: Path, count: int) -> None:
    pg = start_postgres()
    procs: list[subprocess.Popen[str]] = []
    try:
        url = pg.new_database()
        subprocess.run(
            [sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(root / "a" / "pb_data"), "--db", url],
            env=ENV, check=True, capture_output=True,
        )  # fmt: skip
        proc_a, a = _start(root / "a", "--db", url, "--workers", "1")
        procs.append(proc_a)
        token = requests.post(
            f"{a}/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD}, timeout=30
        ).json()["token"]
        # NOTE: the second node needs S3 storage on; nothing here writes files, so a dummy section does.
        s3 = {"enabled": True, "bucket": "b", "region": "us-east-1", "endpoint": "http://127.0.0.1:9", "accessKey": "k", "secret": "s"}
        requests.patch(f"{a}/api/settings", json={"s3": s3}, headers={"Authorization": token}, timeout=30).raise_for_status()
        proc_b, b = _start(root / "b", "--db", url, "--workers", "1")
        procs.append(proc_b)
        streams = [SseClient(a), SseClient(b)]
        try:
            _measure("two nodes on Postgres, a client on each", a, streams, count)
        finally:
            for stream in streams:
                stream.close()
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        pg.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pybase-broker-bench-"))
    workers(root, args.requests)
    nodes(root, args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
