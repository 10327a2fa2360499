#!/usr/bin/env python3
"""CPU per request of JS routes (process CPU time / requests answered), A/B between source trees.

    python scripts/bench/js_cpu.py [--duration 4] [--repeat 5] [--connections 8]
    python scripts/bench/js_cpu.py --root /tmp/base --root .      # baseline vs this tree

On a machine shared with other work, req/s says more about the neighbours than about pybase;
the CPU time the server process spent per answered request does not (much). Each ``--root`` is a
pybase source tree (a ``git archive`` of an older commit, say) run as ``python -m pybase serve``
(``--workers 1`` unless told) with ``PYTHONPATH=<root>``; the runs are interleaved (A B A B ...) and every route's
figure is the median of ``--repeat`` runs, in microseconds of CPU per request. The routes are
those of ``js_route.py`` (``js_find``: ``$app.findRecordById`` answered as JSON; ``js_hello``) plus
``js_filter``: ``$app.findRecordsByFilter`` of 20 records answered as a JSON list.
``--pocketbase PATH`` adds the real PocketBase with the same hooks (its CPU per request too).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import proc_cpu  # noqa: E402
from js_route import FILTER_PATH, HOOKS, MIGRATION, RECORD_PATH, free_port  # noqa: E402

ROUTES = {"js_find": RECORD_PATH, "js_filter": FILTER_PATH, "js_hello": "/js/hello/world"}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children (every thread; workers too), in seconds."""
    return proc_cpu.tree_cpu_seconds([pid])


def wrk_count(url: str, duration: int, connections: int) -> int:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url}: failed responses\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"the server for {url} did not start")
        time.sleep(0.3)


def start(root: Path, work: Path, port: int, workers: int, pocketbase: str = "") -> subprocess.Popen[bytes]:
    if pocketbase:
        cmd = [pocketbase, "serve", "--http", f"127.0.0.1:{port}", "--dir", str(work / "pb_data"),
               "--hooksDir", str(work / "pb_hooks"), "--migrationsDir", str(work / "pb_migrations"), "--hooksWatch=false"]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = [sys.executable, "-m", "pybase", "serve", "--http", f"127.0.0.1:{port}", "--dir", str(work / "pb_data"),
           "--hooksDir", str(work / "pb_hooks"), "--migrationsDir", str(work / "pb_migrations"), "--hooksWatch", "false", "--workers", str(workers)]
    return subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(root)})


def _without_created(value: object) -> object:
    if isinstance(value, list):
        return [_without_created(v) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "created"}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", action="append", type=Path, help="a pybase source tree (repeat for A/B)")
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="pybase serve --workers N (CPU of all processes)")
    parser.add_argument("--pocketbase", metavar="PATH", help="also measure this PocketBase binary (last column)")
    parser.add_argument("--routes", default=",".join(ROUTES), help="comma separated: " + ", ".join(ROUTES))
    args = parser.parse_args()
    roots = [r.resolve() for r in (args.root or [HERE.parents[1]])]
    if args.pocketbase:
        roots.append(Path(args.pocketbase).resolve())
    routes = [r for r in args.routes.split(",") if r]
    work = Path(tempfile.mkdtemp(prefix="pybase-jscpu-"))
    procs: dict[int, subprocess.Popen[bytes]] = {}
    try:
        bases = {}
        for index, root in enumerate(roots):
            folder = work / str(index)
            (folder / "pb_hooks").mkdir(parents=True)
            (folder / "pb_migrations").mkdir()
            (folder / "pb_hooks" / "bench.pb.js").write_text(HOOKS)
            (folder / "pb_migrations" / "1700000000_jsbench.js").write_text(MIGRATION)
            port = free_port()
            pb = str(root) if args.pocketbase and index == len(roots) - 1 else ""
            procs[index] = start(root, folder, port, args.workers, pb)
            bases[index] = f"http://127.0.0.1:{port}"
            wait(bases[index] + RECORD_PATH, procs[index])
        answers = [{r: _without_created(requests.get(bases[i] + ROUTES[r]).json()) for r in routes} for i in range(len(roots))]
        if any(a != answers[0] for a in answers):
            print("NOTE: the trees answer differently:", json.dumps(answers)[:2000], file=sys.stderr)
        for index in procs:
            for route in routes:
                wrk_count(bases[index] + ROUTES[route], 1, args.connections)  # warm up
        figures: dict[tuple[int, str], list[float]] = {}
        loads = []
        for _ in range(args.repeat):
            for route in routes:
                for index, proc in procs.items():
                    loads.append(os.getloadavg()[0])
                    before = cpu_seconds(proc.pid)
                    count = wrk_count(bases[index] + ROUTES[route], args.duration, args.connections)
                    used = cpu_seconds(proc.pid) - before
                    figures.setdefault((index, route), []).append(used / count * 1e6)
        print(f"load average during the runs: min {min(loads):.2f} max {max(loads):.2f}; cores {os.cpu_count()}")
        result = {}
        for route in routes:
            line = [f"{route:10}"]
            for index, root in enumerate(roots):
                runs = figures[(index, route)]
                median = statistics.median(runs)
                result[f"{route}_{index}"] = round(median, 1)
                line.append(f"{root.name or root}: {median:7.1f} us/req (runs {', '.join(f'{v:.0f}' for v in runs)})")
            if len(roots) > 1:
                line.append(f"ratio {result[f'{route}_{len(roots) - 1}'] / result[f'{route}_0']:.2f}")
            print("   ".join(line), flush=True)
        print(json.dumps(result))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
