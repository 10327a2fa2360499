#!/usr/bin/env python3
"""Realtime benchmark: pybase and the real PocketBase side by side, over SSE on loopback.

    python scripts/bench/realtime.py [--pb PATH] [--only pybase|pocketbase] [--scenarios a,b]
                                     [--subscribers 1000] [--events 100] [--interval 0.1]

Scenarios (each on a fresh server, one server under load at a time):
- ``fanout1000`` / ``fanout100``: that many guests subscribed to ``posts/*`` (listRule "");
  ``--events`` creates ``--interval`` s apart by a superuser; latency = receipt time minus the
  moment the create was sent, over every (event, subscriber); every event must reach everyone.
- ``fanout_users``: 1,000 subscribers signed in as 100 different users to ``notes/*`` whose
  listRule is ``owner = @request.auth.id || public = true``; each create is public or owned by
  one user, so who receives it depends on the rule (signed-in users, a rule that reads the row).
- ``idle10k``: 10,000 idle subscribers held; server RSS; list and view req/s with wrk while they
  are connected against the same without them.
- ``slow``: 100 reading subscribers and one that reads nothing, 200 events of 64 KB: the
  reading ones' latency, the server's RSS growth, whether the stuck one was dropped.

The load generator is one asyncio process (raw sockets, chunked framing undone by hand); it
shares the 2 cores with the server under test, the same for both servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
USER_PASSWORD = "bench-user-password"


# ---- SSE clients -------------------------------------------------------------------------------


class Subscriber:
    """One SSE connection read by the asyncio loop; records the receipt time of each event."""

    def __init__(self, host: str, port: int, read: bool = True) -> None:
        self.host, self.port, self.read = host, port, read
        self.client_id = ""
        self.received: dict[str, float] = {}  # event key -> perf_counter at receipt
        self.connected = asyncio.get_event_loop().create_future()
        self.closed = False
        self.resume = asyncio.Event()  # a subscriber made with read=False reads again once set

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        except OSError as ex:
            if not self.connected.done():
                self.connected.set_exception(ex)
            return
        self.writer = writer
        writer.write(f"GET /api/realtime HTTP/1.1\r\nHost: {self.host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            chunked = b"chunked" in head.lower()
            buf = b""
            while True:
                if not self.read and self.client_id:
                    await self.resume.wait()
                if chunked:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                buf += data
                while b"\n\n" in buf:
                    raw, buf = buf.split(b"\n\n", 1)
                    self._event(raw)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed = True
            if not self.connected.done():
                self.connected.set_exception(ConnectionError("closed before PB_CONNECT"))

    def _event(self, raw: bytes) -> None:
        name = data = b""
        for line in raw.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:]
            elif line.startswith(b"data:"):
                data = line[5:]
        if name == b"PB_CONNECT":
            self.client_id = json.loads(data)["clientId"]
            if not self.connected.done():
                self.connected.set_result(None)
            return
        now = time.perf_counter()
        # the record title carries the event key ("ev-<n>"); cheaper than parsing the JSON
        start = data.find(b'"title":"ev-')
        if start >= 0:
            end = data.index(b'"', start + 9)
            self.received[data[start + 9 : end].decode()] = now


def subscribe_all(base: str, subs: list[Subscriber], topic: str, tokens: list[str] | None = None) -> None:
    session = requests.Session()

    def one(i_sub: tuple[int, Subscriber]) -> None:
        i, sub = i_sub
        headers = {"Authorization": tokens[i % len(tokens)]} if tokens else {}
        r = session.post(base + "/api/realtime", json={"clientId": sub.client_id, "subscriptions": [topic]}, headers=headers, timeout=60)
        if r.status_code != 204:
            raise RuntimeError(f"subscribe failed: {r.status_code} {r.text}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, enumerate(subs)))


async def connect(srv: bench.ServerProc, n: int, read: bool = True) -> list[Subscriber]:
    subs = [Subscriber("127.0.0.1", srv.port, read) for _ in range(n)]
    tasks = []
    for i, sub in enumerate(subs):
        tasks.append(asyncio.create_task(sub.run()))
        if i % 200 == 199:
            await asyncio.gather(*(s.connected for s in subs[i - 199 : i + 1]))
    await asyncio.gather(*(s.connected for s in subs))
    return subs


# ---- setup ---------------------------------------------------------------------------------------


def prepare(srv: bench.ServerProc, users: int) -> tuple[str, list[tuple[str, str]]]:
    """Collections posts (open) and notes (rule), ``users`` users; returns the superuser token and (id, token) per user."""
    token = bench.auth_token(srv.base)
    h = {"Authorization": token}
    users_id = requests.get(f"{srv.base}/api/collections/users", headers=h, timeout=30).json()["id"]
    for body in (
        {"name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
         "fields": [{"name": "title", "type": "text"}, {"name": "body", "type": "text", "max": 200000}]},
        {"name": "notes", "type": "base", "listRule": "owner = @request.auth.id || public = true",
         "viewRule": "owner = @request.auth.id || public = true",
         "fields": [{"name": "title", "type": "text"}, {"name": "public", "type": "bool"},
                    {"name": "owner", "type": "relation", "collectionId": users_id, "maxSelect": 1}]},
    ):
        r = requests.post(f"{srv.base}/api/collections", json=body, headers=h, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"create collection: {r.status_code} {r.text}")
    made: list[tuple[str, str]] = []
    for i in range(users):
        email = f"rt{i}@example.com"
        r = requests.post(f"{srv.base}/api/collections/users/records", headers=h, timeout=30,
                          json={"email": email, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD})
        uid = r.json()["id"]
        made.append((uid, bench.bd.auth_with_password(srv.base, "users", email, USER_PASSWORD)))
    return token, made


async def fire(srv: bench.ServerProc, token: str, collection: str, count: int, interval: float,
               body: dict[str, Any] | None = None, owners: list[str] | None = None) -> dict[str, float]:
    """``count`` creates ``interval`` apart; returns event key -> perf_counter when sent."""
    session = requests.Session()
    sent: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    def create(key: str, extra: dict[str, Any]) -> None:
        r = session.post(f"{srv.base}/api/collections/{collection}/records", headers={"Authorization": token},
                         json={"title": key, **(body or {}), **extra}, timeout=60)
        if r.status_code != 200:
            raise RuntimeError(f"create failed: {r.status_code} {r.text[:200]}")

    with ThreadPoolExecutor(4) as pool:
        futures = []
        for n in range(count):
            key = f"ev-{n}"
            extra: dict[str, Any] = {}
            if owners is not None:
                extra = {"public": n % 4 == 0, "owner": owners[n % len(owners)]}
            sent[key] = time.perf_counter()
            futures.append(loop.run_in_executor(pool, create, key, extra))
            await asyncio.sleep(interval)
        await asyncio.gather(*futures)
    return sent


def latencies(subs: list[Subscriber], sent: dict[str, float], expected: dict[int, set[str]] | None = None) -> dict[str, Any]:
    values = []
    missing = 0
    for i, sub in enumerate(subs):
        wanted = expected[i] if expected is not None else set(sent)
        for key in wanted:
            got = sub.received.get(key)
            if got is None:
                missing += 1
            else:
                values.append((got - sent[key]) * 1000)
        unexpected = set(sub.received) - wanted
        missing += len(unexpected)  # NOTE: an event a rule should have withheld counts as wrong
    values.sort()
    if not values:
        return {"deliveries": 0, "missing_or_wrong": missing}
    return {
        "deliveries": len(values),
        "missing_or_wrong": missing,
        "p50_ms": round(values[len(values) // 2], 1),
        "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 1),
        "max_ms": round(values[-1], 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


# ---- scenarios -----------------------------------------------------------------------------------


async def fanout(srv: bench.ServerProc, n: int, args: argparse.Namespace) -> dict[str, Any]:
    token, _ = prepare(srv, 0)
    subs = await connect(srv, n)
    subscribe_all(srv.base, subs, "posts/*")
    await asyncio.sleep(0.5)
    sent = await fire(srv, token, "posts", args.events, args.interval)
    await asyncio.sleep(3)
    result = latencies(subs, sent)
    result["rss_mb"] = round(srv.rss_mb(), 1)
    for sub in subs:
        sub.writer.close()
    return result


async def fanout_users(srv: bench.ServerProc, args: argparse.Namespace) -> dict[str, Any]:
    token, users = prepare(srv, 100)
    subs = await connect(srv, 1000)
    subscribe_all(srv.base, subs, "notes/*", [t for _, t in users])
    await asyncio.sleep(0.5)
    owners = [uid for uid, _ in users]
    sent = await fire(srv, token, "notes", args.events, args.interval, owners=owners)
    await asyncio.sleep(3)
    # who may see event n: everyone when public (n % 4 == 0), else the owner's subscribers
    expected: dict[int, set[str]] = {}
    for i in range(len(subs)):
        user = owners[i % len(users)]
        expected[i] = {f"ev-{n}" for n in range(args.events) if n % 4 == 0 or owners[n % len(owners)] == user}
    result = latencies(subs, sent, expected)
    for sub in subs:
        sub.writer.close()
    return result


def wrk(srv: bench.ServerProc, path: str, seconds: int) -> float:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", srv.base + path], capture_output=True, text=True, timeout=120).stdout
    return bench.parse_wrk(out)["rps"]


async def idle(srv: bench.ServerProc, args: argparse.Namespace) -> dict[str, Any]:
    token, _ = prepare(srv, 0)
    h = {"Authorization": token}
    ids = [requests.post(f"{srv.base}/api/collections/posts/records", json={"title": f"p{i}"}, headers=h, timeout=30).json()["id"] for i in range(50)]
    view = f"/api/collections/posts/records/{ids[0]}"
    before = {"list": wrk(srv, "/api/collections/posts/records", args.wrk_seconds), "view": wrk(srv, view, args.wrk_seconds)}
    rss_before = srv.rss_mb()
    started = time.perf_counter()
    subs = await connect(srv, args.idle)
    connect_s = time.perf_counter() - started
    subscribe_all(srv.base, subs, "posts/*")
    await asyncio.sleep(1)
    rss_held = srv.rss_mb()
    # NOTE: wrk runs in its own process while this loop keeps the 10k streams open (and read).
    loop = asyncio.get_running_loop()
    during = {
        "list": await loop.run_in_executor(None, wrk, srv, "/api/collections/posts/records", args.wrk_seconds),
        "view": await loop.run_in_executor(None, wrk, srv, view, args.wrk_seconds),
    }
    alive = sum(1 for s in subs if not s.closed)
    for sub in subs:
        sub.writer.close()
    return {
        "subscribers": args.idle, "still_connected": alive, "connect_all_s": round(connect_s, 1),
        "rss_before_mb": round(rss_before, 1), "rss_with_subscribers_mb": round(rss_held, 1),
        "rps_without": {k: round(v) for k, v in before.items()},
        "rps_with": {k: round(v) for k, v in during.items()},
        "ratio": {k: round(during[k] / before[k], 2) if before[k] else None for k in before},
    }


async def slow(srv: bench.ServerProc, args: argparse.Namespace) -> dict[str, Any]:
    token, _ = prepare(srv, 0)
    subs = await connect(srv, 100)
    stuck = (await connect(srv, 1, read=False))[0]
    subscribe_all(srv.base, [*subs, stuck], "posts/*")
    await asyncio.sleep(0.5)
    rss_start = srv.rss_mb()
    sent = await fire(srv, token, "posts", 200, 0.02, body={"body": "x" * 65536})
    await asyncio.sleep(3)
    result = latencies(subs, sent)
    result["rss_growth_mb"] = round(srv.rss_mb() - rss_start, 1)
    # was the stuck client dropped? it reads what the kernel still holds, then sees the end
    stuck.resume.set()
    for _ in range(100):
        if stuck.closed:
            break
        await asyncio.sleep(0.05)
    result["stuck_client_dropped"] = stuck.closed
    result["stuck_client_received"] = len(stuck.received)
    stuck.writer.close()
    for sub in subs:
        sub.writer.close()
    return result


SCENARIOS = ("fanout1000", "fanout100", "fanout_users", "idle10k", "slow")


async def run_scenario(name: str, srv: bench.ServerProc, args: argparse.Namespace) -> dict[str, Any]:
    if name == "fanout1000":
        return await fanout(srv, args.subscribers, args)
    if name == "fanout100":
        return await fanout(srv, 100, args)
    if name == "fanout_users":
        return await fanout_users(srv, args)
    if name == "idle10k":
        return await idle(srv, args)
    if name == "slow":
        return await slow(srv, args)
    raise SystemExit(f"unknown scenario {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pb", default=os.environ.get("PB_BIN") or str(ROOT / ".venv/bin/pocketbase"))
    parser.add_argument("--pybase", default=f"{sys.executable} -m pybase")
    parser.add_argument("--pybase-args", default="", help='extra flags for "pybase serve", e.g. "--workers 1"')
    parser.add_argument("--only", choices=["pybase", "pocketbase"])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="runs per server and scenario; the median p99 is kept")
    parser.add_argument("--out", default=str(RESULTS / "realtime.json"))
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = [("pocketbase", [args.pb]), ("pybase", args.pybase.split())]
    if args.only:
        servers = [s for s in servers if s[0] == args.only]
    results: dict[str, Any] = {}
    for scenario in args.scenarios.split(","):
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(args.repeat):
            for name, exe in servers:  # NOTE: alternating, so both see the same machine load
                with tempfile.TemporaryDirectory(prefix="rtbench-") as tmp:
                    srv = bench.ServerProc(name, exe, Path(tmp), serve_args=args.pybase_args.split() if name == "pybase" else None)
                    srv.create_superuser()
                    srv.start()
                    try:
                        res = asyncio.run(run_scenario(scenario, srv, args))
                    finally:
                        srv.stop()
                runs.setdefault(name, []).append(res)
                print(f"{scenario:13s} {name:10s} {json.dumps(res)}", flush=True)
        for name, got in runs.items():
            # the run with the median p99 (one slow event on a busy machine moves a p99 a lot)
            got.sort(key=lambda r: r.get("p99_ms") or 0)
            results.setdefault(scenario, {})[name] = {**got[len(got) // 2], "runs": len(got)}
        pair = results[scenario]
        if "pybase" in pair and "pocketbase" in pair and pair["pocketbase"].get("p99_ms"):
            print(f"{scenario:13s} median p99 pybase/pocketbase = {pair['pybase']['p99_ms'] / pair['pocketbase']['p99_ms']:.2f}x", flush=True)
    RESULTS.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(args), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
