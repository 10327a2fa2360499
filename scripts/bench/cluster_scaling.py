#!/usr/bin/env python3
"""A pybase cluster's throughput with 1, 2 and 3 nodes on one Postgres, on this machine (#17).

    .venv/bin/python scripts/bench/cluster_scaling.py [--nodes 3] [--repeat 2] [--duration 10]

Starts a Postgres as tests/pg.py does (initdb + pg_ctl in a temp dir on a loopback port; fsync
and synchronous_commit turned back on, as on a real server, unless ``--no-fsync``), node A
(``pybase serve --db ... --workers 1``), a superuser, S3 settings (a second node refuses local
file storage; no file is written, so a dummy bucket does), a ``posts`` collection and
``--records`` posts. Then, for 1, 2, ... ``--nodes`` nodes (one more node started each step; the
nodes of a step are all the nodes running), per scenario:

- ``view``: GET a random post by id; ``list``: GET the first page (perPage 30, with totals);
- ``create``: POST a post (anonymous, createRule "").

The load is ``--connections`` (16) connections in all, split evenly over one wrk per node, so each
step offers the same concurrency. It prints the total req/s, each node's req/s and CPU per request
(the node's process), Postgres's CPU per request, all CPU per request, and how busy the machine's
cores were (CPU seconds of nodes + Postgres per wall second). Results: results/cluster_scaling.json.
On a 2-core machine the nodes, Postgres and wrk share two cores: the table shows where the CPU goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import proc_cpu  # noqa: E402
from bench import parse_wrk, postgres_cpu_seconds  # noqa: E402

from tests.pg import start_postgres  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "1234567890"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
SCENARIOS = ("view", "list", "create")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its descendants so far."""
    return proc_cpu.tree_cpu_seconds([pid])


class Node:
    """One ``pybase serve --db`` process with its own data dir."""

    def __init__(self, root: Path, name: str, url: str) -> None:
        self.name = name
        home = root / name
        home.mkdir(exist_ok=True)
        self.log = home / "stdout.log"
        out = open(self.log, "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pybase", "serve", "--http", "127.0.0.1:0", "--dir", str(home / "pb_data"),
             "--db", url, "--workers", "1"],
            cwd=home, env=ENV, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if "Server started at " in text:
                self.base = text.split("Server started at ", 1)[1].split()[0]
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {name} exited:\n{text[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"node {name} did not start:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _su(base: str) -> dict[str, str]:
    resp = requests.post(f"{base}/api/collections/_superusers/auth-with-password",
                         json={"identity": EMAIL, "password": PASSWORD}, timeout=30)
    resp.raise_for_status()
    return {"Authorization": resp.json()["token"]}


def seed(base: str, records: int) -> list[str]:
    """The posts collection and ``records`` posts (through /api/batch); returns their ids."""
    headers = _su(base)
    s3 = {"enabled": True, "bucket": "b", "region": "us-east-1", "endpoint": "http://127.0.0.1:9", "accessKey": "k", "secret": "s"}
    requests.patch(f"{base}/api/settings", headers=headers, timeout=30,
                   json={"s3": s3, "batch": {"enabled": True, "maxRequests": 200, "timeout": 60}}).raise_for_status()
    body = {"name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "views", "type": "number"},
                       {"name": "published", "type": "bool"}, {"name": "body", "type": "text"},
                       {"name": "created", "type": "autodate", "onCreate": True}],
            "indexes": ["CREATE INDEX idx_posts_views ON posts (views)"]}
    requests.post(f"{base}/api/collections", json=body, headers=headers, timeout=30).raise_for_status()
    ids = [f"p{i:014d}" for i in range(records)]
    session = requests.Session()
    for start in range(0, records, 200):
        batch = [{"method": "POST", "url": "/api/collections/posts/records",
                  "body": {"id": rid, "title": f"Post {rid}", "views": i % 1000, "published": i % 3 > 0,
                           "body": "Seeded by cluster_scaling.py."}}
                 for i, rid in enumerate(ids[start : start + 200], start)]
        session.post(f"{base}/api/batch", json={"requests": batch}, headers=headers, timeout=120).raise_for_status()
    return ids


def wrk_cmd(scenario: str, base: str, conns: int, seconds: int, ids_file: Path) -> list[str]:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    url = f"{base}/api/collections/posts/records"
    if scenario == "view":
        return [*cmd, "-s", str(HERE / "view.lua"), url, "--", str(ids_file)]
    if scenario == "create":
        return [*cmd, "-s", str(HERE / "create.lua"), url]
    return [*cmd, url + "?page=1&perPage=30"]


def measure(nodes: list[Node], scenario: str, args: argparse.Namespace, ids_file: Path, pg_root: str) -> dict[str, Any]:
    """One run: one wrk per node at once; req/s and CPU per request per node and for Postgres."""
    conns = [args.connections // len(nodes) + (1 if i < args.connections % len(nodes) else 0) for i in range(len(nodes))]
    if args.warmup:
        warm = [subprocess.Popen(wrk_cmd(scenario, n.base, c, args.warmup, ids_file), stdout=subprocess.DEVNULL)
                for n, c in zip(nodes, conns, strict=True)]
        for proc in warm:
            proc.wait()
    cpu0 = [cpu_seconds(n.proc.pid) for n in nodes]
    pg0 = postgres_cpu_seconds(pg_root)
    t0 = time.monotonic()
    procs = [subprocess.Popen(wrk_cmd(scenario, n.base, c, args.duration, ids_file), stdout=subprocess.PIPE, text=True)
             for n, c in zip(nodes, conns, strict=True)]
    outs = [proc.communicate()[0] for proc in procs]
    wall = time.monotonic() - t0
    cpu = [cpu_seconds(n.proc.pid) - c for n, c in zip(nodes, cpu0, strict=True)]
    pg_cpu = postgres_cpu_seconds(pg_root) - pg0
    per_node = []
    for node, out, used in zip(nodes, outs, cpu, strict=True):
        res = parse_wrk(out)
        per_node.append({
            "node": node.name, "rps": res["rps"], "requests": res["requests"], "p99_ms": res["p99_ms"],
            "errors": res["non_2xx"] + res["socket_errors"],
            "cpu_ms_per_req": round(1000 * used / res["requests"], 3) if res["requests"] else None,
        })
    requests_total = sum(p["requests"] for p in per_node)
    return {
        "nodes": len(nodes), "scenario": scenario,
        "rps": round(sum(p["rps"] for p in per_node), 1),
        "per_node": per_node,
        "errors": sum(p["errors"] for p in per_node),
        "postgres_cpu_ms_per_req": round(1000 * pg_cpu / requests_total, 3) if requests_total else None,
        "all_cpu_ms_per_req": round(1000 * (sum(cpu) + pg_cpu) / requests_total, 3) if requests_total else None,
        "cores_busy": round((sum(cpu) + pg_cpu) / wall, 2),
    }


def fmt(rows: list[dict[str, Any]]) -> str:
    head = (f"{'scenario':<8} {'nodes':>5} {'req/s':>8} {'per node req/s':<24} {'node CPU ms/req':<24} "
            f"{'PG ms/req':>9} {'all ms/req':>10} {'cores busy':>10}")
    lines = [head, "-" * len(head)]
    for r in rows:
        per_rps = " / ".join(f"{p['rps']:.0f}" for p in r["per_node"])
        per_cpu = " / ".join(f"{p['cpu_ms_per_req']}" for p in r["per_node"])
        bad = f"  ERRORS {r['errors']}" if r["errors"] else ""
        lines.append(f"{r['scenario']:<8} {r['nodes']:>5} {r['rps']:>8.1f} {per_rps:<24} {per_cpu:<24} "
                     f"{r['postgres_cpu_ms_per_req']!s:>9} {r['all_cpu_ms_per_req']!s:>10} {r['cores_busy']:>10}{bad}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="runs per step and scenario; the best total req/s is kept")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-fsync", action="store_true", help="keep the test server's fsync=off")
    ap.add_argument("--out", default=str(HERE / "results" / "cluster_scaling.json"))
    args = ap.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    pg = start_postgres()
    nodes: list[Node] = []
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="pybase-scaling-"))
    try:
        if not args.no_fsync:
            pg.admin("ALTER SYSTEM SET fsync = on")
            pg.admin("ALTER SYSTEM SET synchronous_commit = on")
            pg.admin("SELECT pg_reload_conf()")
        url = pg.new_database()
        subprocess.run([sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD,
                        "--dir", str(work / "n1" / "pb_data"), "--db", url], env=ENV, check=True, capture_output=True)
        nodes.append(Node(work, "n1", url))
        t0 = time.monotonic()
        ids = seed(nodes[0].base, args.records)
        print(f"seeded {len(ids)} posts in {time.monotonic() - t0:.1f}s through node n1", flush=True)
        ids_file = work / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        for count in range(1, args.nodes + 1):
            while len(nodes) < count:
                nodes.append(Node(work, f"n{len(nodes) + 1}", url))
                time.sleep(1)
            for scenario in scenarios:
                runs = []
                for _ in range(args.repeat):
                    run = measure(nodes, scenario, args, ids_file, pg.root)
                    print(f"{scenario:<7} {count} node(s): {run['rps']:.1f} req/s, all CPU {run['all_cpu_ms_per_req']} ms/req, "
                          f"Postgres {run['postgres_cpu_ms_per_req']} ms/req, cores busy {run['cores_busy']}", flush=True)
                    runs.append(run)
                clean = [r for r in runs if not r["errors"]] or runs
                chosen = dict(max(clean, key=lambda r: r["rps"]))
                chosen["all_rps"] = [r["rps"] for r in runs]
                rows.append(chosen)
    finally:
        for node in nodes:
            node.stop()
        pg.stop()
    rows.sort(key=lambda r: (scenarios.index(r["scenario"]), r["nodes"]))
    print()
    print(fmt(rows))
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    out = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": head, "records": args.records, "duration_s": args.duration, "repeat": args.repeat,
        "connections_total": args.connections, "fsync": not args.no_fsync,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": round(os.getloadavg()[0], 2), "python": platform.python_version()},
        "results": rows,
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0 if not any(r["errors"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
