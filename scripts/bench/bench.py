#!/usr/bin/env python3
"""Benchmark pybase against the real PocketBase with wrk, optionally profiling pybase.

Scenarios: list, view, create on ``posts``; filtered (filter + sort on an indexed field),
expand2 (comments?expand=post.author) and authrule (a listRule with @request.auth.id and a
relation, requested with user tokens); create_auth, update_owner and delete_owner (writes by
users through createRule ``@request.auth.id != ''`` and update/deleteRule
``owner = @request.auth.id`` on ``tasks``). Each server gets a free loopback port and a fresh temp
data dir, a superuser, the same collections and the same seeded records (identical ids and
values; see bench_data.py). Only one server is under load at a time. See README.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as bd  # noqa: E402
import proc_cpu  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_PB = "/tmp/pbbin/pocketbase"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-123"
SCENARIOS = bd.SCENARIOS


# ---- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


process_tree = proc_cpu.tree_pids  # NOTE: other benchmarks import it from here


postgres_cpu_seconds = proc_cpu.postgres_cpu_seconds  # NOTE: other benchmarks import it from here


def start_throwaway_postgres() -> Any:
    """A Postgres server in a temp dir on a loopback port, as the tests start one (tests/pg.py)."""
    sys.path.insert(0, str(HERE.parents[1]))
    from tests.pg import start_postgres

    return start_postgres()


class ServerProc:
    """One server process (PocketBase or pybase) on its own port and temp data dir."""

    def __init__(self, name: str, exe: list[str], workdir: Path, serve_args: list[str] | None = None,
                 db_url: str = "", db_root: str = "") -> None:
        self.name = name
        self.exe = exe
        self.serve_args = serve_args or []
        #: pybase on Postgres: the database URL (--db) and the Postgres server's directory (its CPU)
        self.db_url = db_url
        self.db_root = db_root
        self.db_args = ["--db", db_url] if db_url else []
        self.root = workdir / name  # PocketBase writes <dir>/../pb_migrations: keep parents apart
        self.data_dir = self.root / "pb_data"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.root / "server.log"
        self.tokens_file = self.root / "tokens.txt"  # user auth tokens for the authrule scenario
        self.pool_next = 0  # delete_owner: pool lines used by earlier runs
        self.proc: subprocess.Popen[bytes] | None = None

    def create_superuser(self) -> None:
        subprocess.run(
            [*self.exe, "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(self.data_dir), *self.db_args],
            check=True, cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120,
        )

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*self.exe, "serve", "--http", f"127.0.0.1:{self.port}", "--dir", str(self.data_dir), *self.serve_args,
             *self.db_args],
            cwd=self.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if requests.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become healthy:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def pids(self) -> list[int]:
        """The server process and its descendants (pybase's worker processes)."""
        return proc_cpu.tree_pids(self.proc.pid) if self.proc is not None else []

    def cpu_seconds(self) -> float:
        """User+system CPU time the server's processes have used so far (Linux /proc)."""
        return proc_cpu.cpu_seconds(self.pids())

    def db_cpu_seconds(self) -> float:
        """CPU time of the Postgres server this pybase uses (0 for SQLite)."""
        return postgres_cpu_seconds(self.db_root) if self.db_root else 0.0

    def rss_mb(self) -> float:
        """Resident memory of the server's processes together (MB)."""
        return self.memory_mb()["rss"]

    def memory_mb(self) -> dict[str, float]:
        """The server's processes together (MB): ``rss`` (VmRSS summed: pages two processes
        share, libraries and the mmapped database file, count once per process) and ``pss``
        (each shared page split between its processes: what the processes cost together)."""
        rss = pss = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
            except OSError:
                continue
        return {"rss": round(rss / 1024, 1), "pss": round(pss / 1024, 1)}

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def auth_token(base: str) -> str:
    return bd.auth_with_password(base, "_superusers", EMAIL, PASSWORD)


# ---- wrk -------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"unparsable wrk latency {text!r}")
    return float(m[1]) * _UNIT_MS[m[2]]


def parse_wrk(out: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m[1]) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = _ms(m[1]) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m[1]) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m[1]) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"^pool_next=(\d+)", out, re.M)
    if m:
        res["pool_next"] = int(m[1])
    return res


def scenario_cmd(name: str, srv: ServerProc, ids_file: Path, threads: int, conns: int, seconds: float) -> list[str]:
    url, extra = bd.scenario_request(name, srv.base, ids_file, srv.tokens_file, pool_offset=srv.pool_next,
                                     threads=threads)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    # wrk takes the script before the URL and the script's arguments after "--".
    if "--" in extra:
        i = extra.index("--")
        return [*cmd, *extra[:i], url, *extra[i:]]
    return [*cmd, *extra, url]


def run_wrk(cmd: list[str], srv: ServerProc | None = None) -> dict[str, Any]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}")
    res = parse_wrk(proc.stdout)
    if srv is not None and "pool_next" in res:
        srv.pool_next = res["pool_next"]  # delete_owner: the next run deletes the records after these
    return res


def seed_pool(srv: ServerProc, data: bd.Dataset, token: str, args: argparse.Namespace) -> tuple[float, set[str]]:
    """Create delete_owner's records with wrk (fast: ~100k of them); returns seconds and the ids there.

    Requests cut short when a wrk run ends may leave a few records out: only the ids the server
    lists afterwards go into the pool file.
    """
    seed_file = srv.root / "pool_seed.txt"
    seed_file.write_text("".join(f"{t['id']} {t['owner']}\n" for t in data.pool))
    url = f"{srv.base}/api/collections/tasks/records"
    t0 = time.monotonic()
    # NOTE: runs of a few seconds, each going on where the last stopped; past the end of the file
    # the script sends health checks, so an over-long last run is harmless.
    offset, rate = 0, 2000.0
    while offset < len(data.pool):
        seconds = max(1, min(8, round((len(data.pool) - offset) / rate)))
        started = time.monotonic()
        res = run_wrk(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s",
                       "-s", str(HERE / "seed_pool.lua"), url, "--", str(seed_file), token, str(args.threads),
                       str(offset)])
        done = res.get("pool_next", offset) - offset
        if done <= 0:
            raise RuntimeError(f"seeding the delete_owner pool made no progress on {srv.name}")
        offset += done
        rate = max(200.0, done / max(time.monotonic() - started, 0.1))
    ids = bd.list_ids(srv.base, "tasks", token, "title ~ 'pool task'")
    return time.monotonic() - t0, ids


# ---- profiling -------------------------------------------------------------------------------


def _frame_name(frame: str) -> tuple[str, str]:
    """('func (path)' short label, package group) from a py-spy frame 'func (path)'."""
    m = re.fullmatch(r"(.*?) \((.*)\)", frame)
    if not m:
        return frame, "?"
    func, path = m[1], m[2]
    group = "other"
    for key in ("pybase", "sqlalchemy", "falcon", "waitress", "orjson", "sqlite3", "json", "threading", "socket",
                "selectors", "logging", "contextlib", "re"):
        if f"/{key}/" in path or path.endswith(f"/{key}.py") or path.startswith(f"{key}/") or path == f"{key}.py":
            group = key
            break
    if "site-packages" not in path and group == "other" and "/lib/python" in path:
        group = "stdlib"
    short = path
    for marker in ("site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in short:
            short = short.split(marker, 1)[1]
    return f"{func} ({short})", group


# Entry frames every request passes through: not useful as inclusive hotspots.
_PLUMBING = ("main (", "_serve (", "PyBase.serve", "Server.serve_forever", "Hook.trigger")


def summarize_profile(raw_path: Path, top: int = 10) -> dict[str, Any]:
    """Self/inclusive hotspots and a per-package breakdown from py-spy's collapsed-stack output."""
    self_c: collections.Counter[str] = collections.Counter()
    incl_c: collections.Counter[str] = collections.Counter()
    group_c: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        labels = [_frame_name(f) for f in frames]
        leaf, group = labels[-1]
        self_c[leaf] += n
        group_c[group] += n
        for label in {label for label, _ in labels}:
            incl_c[label] += n

    def pct(counter: collections.Counter[str], k: int) -> list[list[Any]]:
        return [[name, round(100.0 * c / total, 1)] for name, c in counter.most_common(k)] if total else []

    pybase_incl = collections.Counter(
        {k: v for k, v in incl_c.items() if "(pybase/" in k and not k.startswith(_PLUMBING)}
    )
    return {
        "samples": total,
        "self": pct(self_c, top),
        "inclusive_pybase": pct(pybase_incl, top),
        "by_package_self": pct(group_c, 12),
    }


def profile_scenario(srv: ServerProc, name: str, ids_file: Path, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    """Run wrk against pybase while py-spy samples it; returns the hotspot summary."""
    assert srv.proc is not None
    seconds = args.profile_seconds
    raw = out_dir / f"pybase-{name}.txt"
    svg = out_dir / f"pybase-{name}.svg"
    # --gil: only the thread holding the GIL is sampled, i.e. where Python CPU time goes (idle
    # waitress workers and SQLite/socket calls that release the GIL drop out); --nonblocking keeps
    # the profiler from pausing the server at every sample.
    base_cmd = ["py-spy", "record", "--pid", str(srv.proc.pid), "--duration", str(int(seconds)), "--rate", "250",
                "--nolineno", "--nonblocking"]
    if args.profile_mode == "gil":
        base_cmd.append("--gil")
    spy = subprocess.Popen([*base_cmd, "--format", "raw", "-o", str(raw)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    wrk_res = run_wrk(scenario_cmd(name, srv, ids_file, args.threads, args.connections, seconds), srv)
    try:
        _, err = spy.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        spy.kill()
        _, err = spy.communicate()
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {err}")
    summary = summarize_profile(raw, args.top)
    summary["wrk_under_profiler"] = wrk_res
    summary["raw"] = str(raw)
    # A flame graph of the same run is handy but optional: rebuild it from the raw stacks if possible.
    try:
        flame = shutil.which("flamegraph.pl") or shutil.which("inferno-flamegraph")
        if flame:
            with open(raw) as src, open(svg, "w") as dst:
                subprocess.run([flame], stdin=src, stdout=dst, check=True, timeout=60)
            summary["svg"] = str(svg)
    except (OSError, subprocess.SubprocessError):
        pass
    return summary


# ---- main ------------------------------------------------------------------------------------


def prepare(srv: ServerProc, data: bd.Dataset, args: argparse.Namespace,
            measured: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Superuser, start, collections, seed, user tokens, result checks; returns seeding facts."""
    def log(msg: str) -> None:
        print(f"[{srv.name}] {msg}", flush=True)

    srv.create_superuser()
    srv.start()
    if measured is not None:
        idle_memory(srv, "fresh", measured)
    token = auth_token(srv.base)
    bd.create_collections(srv.base, token)
    # Seeding goes through /api/batch (both servers have it off by default).
    resp = requests.patch(f"{srv.base}/api/settings", json={"batch": {"enabled": True, "maxRequests": 100, "timeout": 60}},
                          headers={"Authorization": token}, timeout=30)
    resp.raise_for_status()
    if args.logs == "off":
        # NOTE: request logs on is both servers' default; off measures what logging costs.
        resp = requests.patch(f"{srv.base}/api/settings", json={"logs": {"maxDays": 0}}, headers={"Authorization": token}, timeout=30)
        resp.raise_for_status()
    took = bd.seed_all(srv.base, data, args.seed_workers, token, log)
    tokens = bd.user_tokens(srv.base, data)
    srv.tokens_file.write_text("\n".join(tokens) + "\n")
    pool_ids: set[str] = set()
    if data.pool:
        pool_took, pool_ids = seed_pool(srv, data, token, args)
        log(f"seeded {len(pool_ids)} of {len(data.pool)} delete_owner tasks with wrk in {pool_took:.1f}s")
    bd.write_owner_files(srv.tokens_file, data, tokens, pool_ids)
    index = pg_index_exists(srv.db_url) if srv.db_url else bd.index_exists(srv.data_dir)
    if index is not True:
        log(f"WARNING: index idx_posts_views {'missing' if index is False else 'not checked'} in data.db")
    checks = {}
    for name in args.scenarios:
        problem = bd.check_scenario(name, srv.base, data, tokens)
        if name in bd.NEW_SCENARIOS:
            checks[name] = problem or "ok"
            if problem:
                log(f"WARNING: {name} response differs from the data set: {problem}")
    return {"seed_seconds": round(took, 2), "views_index": index, "checks": checks, "delete_pool": len(pool_ids)}


def pg_index_exists(url: str, name: str = "idx_posts_views") -> bool | None:
    """Whether the Postgres database has the index (None when it can't be read)."""
    try:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (name,)).fetchone() is not None
    except Exception:  # noqa: BLE001 - a check only
        return None


def measure(srv: ServerProc, name: str, ids_file: Path, args: argparse.Namespace, warmup: bool) -> dict[str, Any]:
    if warmup and args.warmup > 0:
        run_wrk(scenario_cmd(name, srv, ids_file, args.threads, args.connections, args.warmup), srv)
    wait_quiet([srv])
    cpu0, db0 = srv.cpu_seconds(), srv.db_cpu_seconds()
    res = run_wrk(scenario_cmd(name, srv, ids_file, args.threads, args.connections, args.duration), srv)
    # NOTE: the work the requests left behind (PocketBase writes its request logs for seconds
    # after a run) is theirs too
    res["drain_s"] = wait_quiet([srv])
    # Server CPU per request: much less sensitive than req/s to other load on a shared machine.
    res["cpu_ms_per_req"] = round(1000 * (srv.cpu_seconds() - cpu0) / res["requests"], 4) if res["requests"] else None
    db = ""
    if srv.db_root:
        # NOTE: pybase on Postgres: the database's own CPU per request, apart (it would be on another box)
        res["db_cpu_ms_per_req"] = round(1000 * (srv.db_cpu_seconds() - db0) / res["requests"], 4) if res["requests"] else None
        db = f" + postgres {res['db_cpu_ms_per_req']} ms/req"
    bad = f"  non-2xx={res['non_2xx']} sock_err={res['socket_errors']}" if res["non_2xx"] or res["socket_errors"] else ""
    print(f"[{srv.name}] {name:12s} {res['rps']:10.1f} req/s  p99 {res['p99_ms']:.2f} ms  "
          f"cpu {res['cpu_ms_per_req']} ms/req{db}{bad}", flush=True)
    return res


def _errors(run: dict[str, Any]) -> int:
    return int(run.get("non_2xx", 0)) + int(run.get("socket_errors", 0))


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best of --repeat: the least disturbed valid run (the others' req/s kept for reference).

    A run with non-2xx answers or socket errors is not a measurement: it is kept only when no
    run was clean, and the table flags it.
    """
    clean = [r for r in runs if not _errors(r)]
    res = dict(max(clean or runs, key=lambda r: r["rps"]))
    if len(runs) > 1:
        res["all_rps"] = [r["rps"] for r in runs]
    return res


def wait_quiet(servers: list[ServerProc]) -> float:
    """Wait until ``servers`` are idle together (proc_cpu.wait_quiet); returns the seconds waited.
    A server is not idle when its load ends: PocketBase went on at 55-70% of a core for the whole
    next 10 s run (its request logs), and the run of the other server measured then was the slow
    one of bimodal results (#16)."""
    return proc_cpu.wait_quiet(srv.proc.pid for srv in servers if srv.proc is not None)


def run_all(servers: list[ServerProc], data: bd.Dataset, ids_file: Path, args: argparse.Namespace,
            profile_dir: Path | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Benchmark every server; only one is ever under load.

    ``sequential``: each server is started, seeded, measured and stopped before the next starts.
    ``interleave``: both are started and seeded (one after the other), then each scenario is
    measured on one server, then the other (order flipped every repeat), so background load on
    a shared machine hits both alike; each run starts once both servers are idle (wait_quiet).
    """
    measured: dict[str, dict[str, Any]] = {s.name: {} for s in servers}
    runs: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    profiles: dict[str, Any] = {}

    def profile(srv: ServerProc) -> None:
        if profile_dir is None or srv.name != "pybase":
            return
        for name in args.profile:
            print(f"[{srv.name}] profiling {name} with py-spy for {args.profile_seconds:.0f}s ...", flush=True)
            profiles[name] = profile_scenario(srv, name, ids_file, args, profile_dir)

    if args.mode == "sequential":
        for srv in servers:
            try:
                measured[srv.name]["_setup"] = prepare(srv, data, args, measured)
                idle_memory(srv, "seeded", measured)
                for name in args.scenarios:
                    for i in range(args.repeat):
                        runs[srv.name, name].append(measure(srv, name, ids_file, args, warmup=i == 0))
                idle_memory(srv, "after_load", measured)
                profile(srv)
            finally:
                srv.stop()
    else:
        for srv in servers:
            measured[srv.name]["_setup"] = prepare(srv, data, args, measured)
            idle_memory(srv, "seeded", measured)
        for name in args.scenarios:
            for i in range(args.repeat):
                for srv in servers if i % 2 == 0 else servers[::-1]:
                    wait_quiet(servers)  # NOTE: the other server too (see wait_quiet)
                    runs[srv.name, name].append(measure(srv, name, ids_file, args, warmup=i == 0))
        for srv in servers:
            idle_memory(srv, "after_load", measured)
        for srv in servers:
            profile(srv)
    for (server, name), rs in runs.items():
        measured[server][name] = best(rs)
    return measured, profiles


def idle_memory(srv: ServerProc, when: str, measured: dict[str, dict[str, Any]]) -> None:
    """Resident memory of all the server's processes once it has been idle for 2 s."""
    time.sleep(2)
    memory = srv.memory_mb()
    measured[srv.name].setdefault("_rss_idle_mb", {})[when] = memory["rss"]
    measured[srv.name].setdefault("_pss_idle_mb", {})[when] = memory["pss"]


def fmt_table(rows: list[dict[str, Any]]) -> str:
    if any(r.get("pybase_pg") for r in rows):
        return fmt_table_pg(rows)
    head = f"{'scenario':<12} | {'PB req/s':>10} | {'PB p99':>9} | {'pybase req/s':>12} | {'pybase p99':>10} | {'ratio':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        bad = [name for name in ("pocketbase", "pybase") if _errors(r.get(name) or {})]
        lines.append(
            f"{r['scenario']:<12} | {r['pb_rps']:>10.1f} | {r['pb_p99_ms']:>7.2f}ms | {r['pybase_rps']:>12.1f} | "
            f"{r['pybase_p99_ms']:>8.2f}ms | {r['ratio']:>5.2f}x"
            + (f"  INVALID: errors on {', '.join(bad)}" if bad else "")
        )
    lines.append("")
    lines.append("server CPU per request (ms; lower is better, robust to other load on the machine):")
    for r in rows:
        pb_c, py_c = r["pb_cpu_ms_per_req"], r["pybase_cpu_ms_per_req"]
        rel = f"  pybase uses {py_c / pb_c:.1f}x PB's CPU" if pb_c and py_c else ""
        lines.append(f"  {r['scenario']:<12} PB {pb_c if pb_c is not None else '-'}  pybase {py_c if py_c is not None else '-'}{rel}")
    return "\n".join(lines)


def fmt_table_pg(rows: list[dict[str, Any]]) -> str:
    """PocketBase, pybase on SQLite and pybase on Postgres side by side."""
    head = (f"{'scenario':<12} | {'PB req/s':>9} | {'SQLite req/s':>12} | {'PG req/s':>9} | {'PG/SQLite':>9} | {'PG/PB':>6}"
            f" | {'PB p99':>8} | {'SQLite p99':>10} | {'PG p99':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        pg = r.get("pybase_pg") or {}
        pg_rps = pg.get("rps", 0.0)
        bad = [name for name in ("pocketbase", "pybase", "pybase_pg") if _errors(r.get(name) or {})]
        lines.append(
            f"{r['scenario']:<12} | {r['pb_rps']:>9.1f} | {r['pybase_rps']:>12.1f} | {pg_rps:>9.1f} | "
            f"{(pg_rps / r['pybase_rps'] if r['pybase_rps'] else 0):>8.2f}x | {(pg_rps / r['pb_rps'] if r['pb_rps'] else 0):>5.2f}x"
            f" | {r['pb_p99_ms']:>6.2f}ms | {r['pybase_p99_ms']:>8.2f}ms | {pg.get('p99_ms') or 0:>6.2f}ms"
            + (f"  INVALID: errors on {', '.join(bad)}" if bad else "")
        )
    lines.append("")
    lines.append("CPU per request (ms; lower is better, robust to other load on the machine):")
    lines.append(f"  {'scenario':<12} {'PB':>8} {'SQLite':>8} {'PG pybase':>10} {'Postgres':>9} {'PG total':>9}")
    for r in rows:
        pg = r.get("pybase_pg") or {}
        py_pg, db = pg.get("cpu_ms_per_req"), pg.get("db_cpu_ms_per_req")
        total = round(py_pg + db, 4) if py_pg is not None and db is not None else None
        lines.append(f"  {r['scenario']:<12} {_num(r['pb_cpu_ms_per_req']):>8} {_num(r['pybase_cpu_ms_per_req']):>8} "
                     f"{_num(py_pg):>10} {_num(db):>9} {_num(total):>9}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_profile(name: str, prof: dict[str, Any]) -> None:
    w = prof["wrk_under_profiler"]
    print(f"\n== pybase profile: {name} ({prof['samples']} samples; {w['rps']:.0f} req/s under py-spy) ==")
    print("top self (leaf) functions:")
    for label, p in prof["self"]:
        print(f"  {p:5.1f}%  {label}")
    print("top pybase functions (inclusive):")
    for label, p in prof["inclusive_pybase"]:
        print(f"  {p:5.1f}%  {label}")
    print("self time by package: " + ", ".join(f"{g} {p}%" for g, p in prof["by_package_self"]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3s runs, 1s warm-up, 2,000 records: a smoke check")
    ap.add_argument("--pb", default=os.environ.get("PB_BIN", DEFAULT_PB), help=f"PocketBase binary (default {DEFAULT_PB})")
    ap.add_argument("--pybase", default=shutil.which("pybase") or "pybase", help="pybase command")
    ap.add_argument("--pybase-args", default="", help='extra flags for "pybase serve", e.g. "--workers 1" (default: one worker per CPU)')
    ap.add_argument("--records", type=int, default=None, help="posts to seed (default 10000; 2000 with --quick)")
    ap.add_argument("--users", type=int, default=None, help="users to seed for expand2/authrule (default 200; 50 with --quick)")
    ap.add_argument("--comments", type=int, default=None, help="comments to seed for expand2 (default 5000; 1000 with --quick)")
    ap.add_argument("--notes", type=int, default=None, help="notes to seed for authrule (default 5000; 1000 with --quick)")
    ap.add_argument("--pool", type=int, default=None,
                    help="delete_owner records seeded per server (default: 4,500/s over every delete_owner run)")
    ap.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 10; 3 with --quick)")
    ap.add_argument("--warmup", type=float, default=None, help="seconds of warm-up per scenario (default 3; 1 with --quick)")
    ap.add_argument("--mode", choices=("interleave", "sequential"), default="interleave",
                    help="interleave (default): both servers up, loaded one at a time, scenario by scenario; "
                         "sequential: one server up at a time")
    ap.add_argument("--repeat", type=int, default=1, help="measured runs per scenario; the best is kept (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--seed-workers", type=int, default=16, help="concurrent seeding clients (default 16)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma list of " + ",".join(SCENARIOS) + " (default all)")
    ap.add_argument("--only", choices=("pocketbase", "pybase"), help="benchmark one server only")
    ap.add_argument("--logs", choices=("on", "off"), default="on", help="request logs (settings.logs.maxDays; default on, as PocketBase)")
    ap.add_argument("--profile", nargs="?", const="list,view", default="",
                    help="after benchmarking pybase, sample it with py-spy during these scenarios (default list,view)")
    ap.add_argument("--profile-seconds", type=float, default=None, help="seconds per profiled run (default 10; 4 with --quick)")
    ap.add_argument("--profile-mode", choices=("gil", "all"), default="gil",
                    help="py-spy: sample only the GIL holder (default) or every non-idle thread")
    ap.add_argument("--top", type=int, default=10, help="hotspots to report")
    ap.add_argument("--out", default=str(RESULTS / "latest.json"), help="JSON results file")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dirs")
    ap.add_argument("--postgres", action="store_true",
                    help="also run pybase on Postgres (serve --db ...; a throwaway server started as tests/pg.py does, "
                         "or --postgres-url), beside pybase on SQLite")
    ap.add_argument("--postgres-url", default="", metavar="URL",
                    help="with --postgres: an existing, empty Postgres database instead of a throwaway server")
    args = ap.parse_args(argv)

    args.records = args.records or (2000 if args.quick else 10_000)
    args.users = args.users or (50 if args.quick else 200)
    args.comments = args.comments or (1000 if args.quick else 5000)
    args.notes = args.notes or (1000 if args.quick else 5000)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.profile_seconds = args.profile_seconds or (4.0 if args.quick else 10.0)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.profile = [s for s in args.profile.split(",") if s]
    for s in args.scenarios + args.profile:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s!r}")
    args.scenarios = sorted(set(args.scenarios), key=SCENARIOS.index)  # creates last
    if args.pool is None:
        # NOTE: each record is deleted once; a pool used up shows as 404s (an invalid run).
        runs = args.warmup + args.repeat * args.duration + (args.profile_seconds if "delete_owner" in args.profile else 0)
        args.pool = int(4500 * (runs + 1))
    if not shutil.which("wrk"):
        ap.error("wrk is not installed (scripts/bench/run.sh installs it)")
    if args.profile and not shutil.which("py-spy"):
        ap.error("py-spy is not installed: pip install py-spy")
    if args.only != "pybase" and not os.access(args.pb, os.X_OK):
        ap.error(f"PocketBase binary not found at {args.pb} (use --pb)")
    return args


def build_rows(measured: dict[str, dict[str, Any]], scenarios: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in scenarios:
        pb = measured.get("pocketbase", {}).get(name, {})
        py = measured.get("pybase", {}).get(name, {})
        pb_rps, py_rps = pb.get("rps", 0.0), py.get("rps", 0.0)
        rows.append({
            "scenario": name,
            "pb_rps": pb_rps, "pb_p99_ms": pb.get("p99_ms") or 0.0,
            "pybase_rps": py_rps, "pybase_p99_ms": py.get("p99_ms") or 0.0,
            "ratio": round(py_rps / pb_rps, 3) if pb_rps else 0.0,
            "pb_cpu_ms_per_req": pb.get("cpu_ms_per_req"), "pybase_cpu_ms_per_req": py.get("cpu_ms_per_req"),
            "pocketbase": pb, "pybase": py,
        })
        pg = measured.get("pybase_pg", {}).get(name)
        if pg:
            rows[-1].update({
                "pybase_pg": pg, "pybase_pg_rps": pg.get("rps", 0.0),
                "pg_vs_sqlite": round(pg.get("rps", 0.0) / py_rps, 3) if py_rps else 0.0,
                "pg_vs_pb": round(pg.get("rps", 0.0) / pb_rps, 3) if pb_rps else 0.0,
            })
    return rows


def make_servers(args: argparse.Namespace, work: Path) -> tuple[list[ServerProc], Any]:
    """The servers to measure, and the throwaway Postgres started for pybase_pg (or None)."""
    servers = []
    if args.only != "pybase":
        servers.append(ServerProc("pocketbase", [args.pb], work))
    if args.only != "pocketbase":
        servers.append(ServerProc("pybase", [*args.pybase.split()], work, serve_args=args.pybase_args.split()))
    postgres = None
    if args.postgres and args.only != "pocketbase":
        url, root = args.postgres_url, ""
        if not url:
            postgres = start_throwaway_postgres()
            url, root = postgres.new_database(), postgres.root
        servers.append(ServerProc("pybase_pg", [*args.pybase.split()], work, serve_args=args.pybase_args.split(),
                                  db_url=url, db_root=root))
    return servers, postgres


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = bd.make_dataset(args.records, args.users, args.comments, args.notes, args.scenarios + args.profile,
                           n_pool=args.pool)
    work = Path(tempfile.mkdtemp(prefix="pybase-bench-"))
    ids_file = work / "ids.txt"
    ids_file.write_text("\n".join(r["id"] for r in data.posts) + "\n")
    profile_dir = work / "profiles" if args.profile else None
    if profile_dir:
        profile_dir.mkdir()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average is {load:.2f} before starting; results will be noisy", flush=True)
    print(f"work dir {work}; {len(data.posts)} posts, {len(data.users)} users, {len(data.comments)} comments, "
          f"{len(data.notes)} notes, {len(data.tasks)} tasks, {len(data.pool)} delete_owner tasks; wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:.0f}s --latency (warm-up {args.warmup:.0f}s)", flush=True)

    servers, postgres = make_servers(args, work)
    try:
        measured, profiles = run_all(servers, data, ids_file, args, profile_dir)
    finally:
        for srv in servers:
            srv.stop()
        if postgres is not None:
            postgres.stop()
        if not args.keep and not args.profile:
            shutil.rmtree(work, ignore_errors=True)

    rows = build_rows(measured, args.scenarios)
    print()
    print(fmt_table(rows))
    for server, m in measured.items():
        for name, verdict in m.get("_setup", {}).get("checks", {}).items():
            if verdict != "ok":
                print(f"WARNING: {server} {name} answered differently from the data set: {verdict}")
    memory = {k: v.get("_rss_idle_mb") for k, v in measured.items()}
    pss = {k: v.get("_pss_idle_mb") for k, v in measured.items()}
    print("\nresident memory of all the server's processes, idle 2 s, RSS summed / PSS (MB): " + "; ".join(
        f"{k} fresh {v.get('fresh')} / {pss[k].get('fresh')}, seeded {v.get('seeded')} / {pss[k].get('seeded')}, "
        f"after the load {v.get('after_load')} / {pss[k].get('after_load')}" for k, v in memory.items() if v))
    for name, prof in profiles.items():
        print_profile(name, prof)
    if profile_dir:
        print(f"\nraw py-spy stacks in {profile_dir}")

    out = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "records": {"posts": len(data.posts), "users": len(data.users), "comments": len(data.comments),
                    "notes": len(data.notes), "tasks": len(data.tasks), "delete_pool": len(data.pool)},
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "warmup_s": args.warmup},
        "repeat": args.repeat,
        "mode": args.mode,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": round(load, 2), "python": platform.python_version(),
                    "platform": platform.platform()},
        "seed_seconds": {k: v.get("_setup", {}).get("seed_seconds") for k, v in measured.items()},
        "views_index": {k: v.get("_setup", {}).get("views_index") for k, v in measured.items()},
        "delete_pool_seeded": {k: v.get("_setup", {}).get("delete_pool") for k, v in measured.items()},
        "checks": {k: v.get("_setup", {}).get("checks") for k, v in measured.items()},
        "results": rows,
        "rss_idle_mb": memory,
        "pss_idle_mb": pss,
        "pybase_args": args.pybase_args,
        "postgres": bool(args.postgres),
    }
    if profiles:
        out["profile"] = {k: {kk: vv for kk, vv in v.items() if kk not in ("raw", "svg")} for k, v in profiles.items()}
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
