#!/usr/bin/env python3
"""JS hooks benchmark: a routerAdd JSON route vs the same route in Python, creates with and
without a JS onRecordCreate hook (req/s with wrk), and 1/2/4 concurrent CPU-bound JS requests.

    python scripts/bench/js_route.py [--duration 5] [--connections 16]
    python scripts/bench/js_route.py --vs-pocketbase [--pb PATH]   # the same hooks on both
    python scripts/bench/js_route.py --vs-pocketbase --workers 2   # pybase serve --workers 2

The server runs in a subprocess (``--serve``) so wrk and the client don't share its GIL.

``--vs-pocketbase`` runs one hooks folder and one migration on pybase and on the real PocketBase
(``--pb``, default ``$PYBASE_PB_BINARY``, then ``.venv/bin/pocketbase``), each one process, and
compares a route doing ``$app.findRecordById`` and answering the record as JSON (``js_find``),
one answering ``$app.findRecordsByFilter`` (20 of 60 records, ``js_filter``) and a plain JSON
route (``js_hello``): req/s of each (best of ``--repeat``, the order flipped each repeat, every run
started once both servers are idle), CPU per request (the drain after the run included) and
pybase/PocketBase. ``js_cpu.py`` measures the CPU time
per request of the same routes (A/B between source trees). With ``--workers N``
pybase is the ``pybase serve --workers N`` command (every worker loads the hooks) instead of one
process of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proc_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

HOOKS = r"""
routerAdd("GET", "/js/hello/{name}", (e) => {
  return e.json(200, { message: "Hello " + e.request.pathValue("name"), n: 42 });
});

routerAdd("GET", "/js/fib/{n}", (e) => {
  const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  return e.json(200, { fib: fib(parseInt(e.request.pathValue("n"))) });
});

routerAdd("GET", "/js/record/{id}", (e) => {
  const record = $app.findRecordById("jsbench", e.request.pathValue("id"));
  return e.json(200, record);
});

routerAdd("GET", "/js/records", (e) => {
  const records = $app.findRecordsByFilter("jsbench", "published = true && views > {:min}", "-views", 20, 0, { min: 10 });
  return e.json(200, records);
});

onRecordCreate((e) => {
  e.record.set("title", e.record.getString("title") + " js");
  e.next();
}, "jsposts");
"""


# The collection and records the js_find and js_filter routes read (a migration: both servers run it).
MIGRATION = r"""
migrate((app) => {
  const c = new Collection({ type: "base", name: "jsbench", listRule: "", viewRule: "",
    fields: [{ name: "title", type: "text" }, { name: "views", type: "number" }, { name: "published", type: "bool" },
             { name: "body", type: "text" }, { name: "created", type: "autodate", onCreate: true }] });
  app.save(c);
  const r = new Record(c);
  r.set("id", "fixbench0000001");
  r.set("title", "A benchmark record");
  r.set("views", 123);
  r.set("published", true);
  r.set("body", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.");
  app.save(r);
  for (let i = 2; i <= 60; i++) {
    const more = new Record(c);
    more.set("id", "fixbench" + String(i).padStart(7, "0"));
    more.set("title", "Benchmark record " + i);
    more.set("views", i * 7);
    more.set("published", i % 2 === 0);
    more.set("body", "Record number " + i + " of the filter benchmark.");
    app.save(more);
  }
});
"""
RECORD_PATH = "/js/record/fixbench0000001"
FILTER_PATH = "/js/records"  # 20 of the 30 published records, by views descending


def serve(data_dir: str, port: int) -> None:
    """Run the benchmark server (child process)."""
    sys.path.insert(0, str(ROOT))
    import orjson

    if os.environ.get("PYBASE_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["PYBASE_SWITCH_INTERVAL"]))

    from pybase.app import PyBase
    from pybase.config import Config
    from pybase.core.collection_bind import new_collection

    app = PyBase(Config(data_dir=data_dir, http=f"127.0.0.1:{port}"))

    @app.route("GET", "/py/hello/{name}")
    def hello(req, resp, name):  # type: ignore[no-untyped-def]
        resp.content_type = "application/json"
        resp.data = orjson.dumps({"message": "Hello " + name, "n": 42})

    app.bootstrap()
    app.run_migrations()
    for name in ("pyposts", "jsposts"):
        if app.core.registry.find(name) is None:
            app.core.save_collection(new_collection({
                "name": name, "createRule": "", "listRule": "", "viewRule": "",
                "fields": [{"name": "title", "type": "text"}, {"name": "views", "type": "number"}],
            }))
    app.serve(install_signals=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, duration: int, connections: int, script: str | None = None) -> float:
    """Requests per second of a wrk run."""
    return wrk_run(url, duration, connections, script)[0]


def wrk_run(url: str, duration: int, connections: int, script: str | None = None) -> tuple[float, int]:
    """(requests per second, requests) of a wrk run."""
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{out}")
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), done  # type: ignore[union-attr]


def _quiet(roots: list[int]) -> None:
    waited = proc_cpu.wait_quiet(roots)
    if waited >= 60:
        print(f"WARNING: the servers were still busy after {waited:.0f} s: this run shares the machine", flush=True)


def timed_concurrent(base: str, n: int, fib: int) -> float:
    with ThreadPoolExecutor(n) as pool:
        started = time.perf_counter()
        codes = list(pool.map(lambda _: requests.get(f"{base}/js/fib/{fib}", timeout=120).status_code, range(n)))
        elapsed = time.perf_counter() - started
    assert codes == [200] * n, codes
    return elapsed


def _wait(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:  # NOTE: a loaded machine may answer late while starting
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.2)


def vs_pocketbase(pb: str, duration: int, connections: int, repeat: int, workers: int = 0) -> dict[str, float]:
    """The same hooks and migration on pybase and PocketBase (one process each); req/s, CPU per
    request and ratios."""
    results: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="pybase-jsbench-pb-"))
    try:
        for name in ("pybase", "pocketbase"):
            root = work / name
            (root / "pb_hooks").mkdir(parents=True)
            (root / "pb_migrations").mkdir()
            (root / "pb_hooks" / "bench.pb.js").write_text(HOOKS)
            (root / "pb_migrations" / "1700000000_jsbench.js").write_text(MIGRATION)
        py_port, pb_port = free_port(), free_port()
        pybase_cmd = [sys.executable, __file__, "--serve", str(work / "pybase" / "pb_data"), str(py_port)]
        if workers:
            pybase_cmd = [sys.executable, "-m", "pybase", "serve", "--http", f"127.0.0.1:{py_port}",
                          "--dir", str(work / "pybase" / "pb_data"), "--hooksDir", str(work / "pybase" / "pb_hooks"),
                          "--migrationsDir", str(work / "pybase" / "pb_migrations"), "--workers", str(workers)]
        procs = {
            "pybase": subprocess.Popen(
                pybase_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            ),
            "pocketbase": subprocess.Popen(
                [pb, "serve", "--http", f"127.0.0.1:{pb_port}", "--dir", str(work / "pocketbase" / "pb_data"),
                 "--hooksDir", str(work / "pocketbase" / "pb_hooks"),
                 "--migrationsDir", str(work / "pocketbase" / "pb_migrations")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ),
        }
        bases = {"pybase": f"http://127.0.0.1:{py_port}", "pocketbase": f"http://127.0.0.1:{pb_port}"}
        try:
            for name, base in bases.items():
                _wait(base + RECORD_PATH, procs[name], name)
            a, b = (requests.get(bases[n] + RECORD_PATH).json() for n in ("pybase", "pocketbase"))
            assert {k: v for k, v in a.items() if k != "created"} == {k: v for k, v in b.items() if k != "created"}, (a, b)
            a, b = ([{k: v for k, v in r.items() if k != "created"} for r in requests.get(bases[n] + FILTER_PATH).json()]
                    for n in ("pybase", "pocketbase"))
            assert a == b and len(a) == 20, (a, b)
            roots = [proc.pid for proc in procs.values()]
            for scenario, path in (("js_find", RECORD_PATH), ("js_filter", FILTER_PATH), ("js_hello", "/js/hello/world")):
                runs: dict[str, list[tuple[float, float]]] = {name: [] for name in bases}  # (req/s, CPU ms a request)
                for i in range(repeat):
                    for name in list(bases) if i % 2 == 0 else list(bases)[::-1]:
                        if i == 0:
                            wrk(bases[name] + path, 1, connections)  # warm up
                        # NOTE: both idle first: PocketBase writes its request logs for seconds after a run
                        _quiet(roots)
                        cpu0 = proc_cpu.tree_cpu_seconds([procs[name].pid])
                        rps, done = wrk_run(bases[name] + path, duration, connections)
                        _quiet([procs[name].pid])  # the drain after the run is the run's work too
                        runs[name].append((rps, 1000 * (proc_cpu.tree_cpu_seconds([procs[name].pid]) - cpu0) / max(done, 1)))
                for name in bases:
                    rps, cpu_ms = max(runs[name])  # NOTE: the best run, its own CPU
                    results[f"{scenario}_{name}"] = rps
                    results[f"{scenario}_{name}_cpu_ms"] = round(cpu_ms, 4)
                ratio = results[f"{scenario}_pybase"] / results[f"{scenario}_pocketbase"]
                results[f"{scenario}_ratio"] = ratio
                print(f"{scenario:9} pybase {results[f'{scenario}_pybase']:8.0f} req/s "
                      f"({results[f'{scenario}_pybase_cpu_ms']:.3f} ms CPU/req)   PocketBase "
                      f"{results[f'{scenario}_pocketbase']:8.0f} req/s ({results[f'{scenario}_pocketbase_cpu_ms']:.3f} ms CPU/req)"
                      f"   pybase/PocketBase {ratio:.2f}x", flush=True)
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--fib", type=int, default=29)
    parser.add_argument("--vs-pocketbase", action="store_true", help="compare js_find/js_filter/js_hello with PocketBase")
    parser.add_argument("--pb", default=os.environ.get("PYBASE_PB_BINARY") or str(ROOT / ".venv" / "bin" / "pocketbase"))
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per scenario (--vs-pocketbase)")
    parser.add_argument("--workers", type=int, default=0, help="--vs-pocketbase: run `pybase serve --workers N`")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk)", file=sys.stderr)
        return 1
    if args.vs_pocketbase:
        print(json.dumps(vs_pocketbase(args.pb, args.duration, args.connections, args.repeat, args.workers)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="pybase-jsbench-"))
    (work / "pb_hooks").mkdir()
    (work / "pb_hooks" / "bench.pb.js").write_text(HOOKS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(work / "pb_data"), str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/js/hello/x", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start, see {work / 'server.log'}")
            time.sleep(0.2)
        assert requests.get(f"{base}/js/hello/x").json() == requests.get(f"{base}/py/hello/x").json()

        results: dict[str, float] = {}
        for name, url, script in (
            ("py_route", f"{base}/py/hello/world", None),
            ("js_route", f"{base}/js/hello/world", None),
            ("create_no_hook", f"{base}/api/collections/pyposts/records", str(HERE / "create.lua")),
            ("create_js_hook", f"{base}/api/collections/jsposts/records", str(HERE / "create.lua")),
        ):
            wrk(url, 1, args.connections, script)  # warm up
            results[name] = wrk(url, args.duration, args.connections, script)
            print(f"{name:16} {results[name]:9.0f} req/s", flush=True)
        print(f"js/py route ratio  {results['js_route'] / results['py_route']:.2f}")
        print(f"create hook ratio  {results['create_js_hook'] / results['create_no_hook']:.2f}")

        timed_concurrent(base, 4, 20)  # warm every context
        single = min(timed_concurrent(base, 1, args.fib) for _ in range(3))
        two = min(timed_concurrent(base, 2, args.fib) for _ in range(2))
        four = min(timed_concurrent(base, 4, args.fib) for _ in range(2))
        print(f"fib({args.fib}) in a hook: 1 request {single:.2f} s, 2 concurrent {two:.2f} s, 4 concurrent {four:.2f} s"
              f" (4 = {four / single:.2f} x one, {four / two:.2f} x two; cores: {os.cpu_count()})")
        results.update({"fib_single_s": single, "fib_two_s": two, "fib_four_s": four})
        print(json.dumps(results))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
