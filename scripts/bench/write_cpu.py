"""CPU per record write of the pybase process, SQLite against Postgres, in one process.

Two apps live side by side in this process: one on a fresh SQLite data dir, one on a throwaway
Postgres (initdb + pg_ctl as tests/pg.py; fsync off), each with its WSGI app wrapped as
``serve`` does (a Postgres app as a cluster node). Requests are handed to the WSGI apps
directly (no sockets, no server threads), one at a time, and the CPU time of this process
(``time.process_time``, all threads) is counted per request; Postgres's own CPU is not.
Rounds alternate the backends (order flipped each round) so background load on a shared
machine falls on both alike; the median round is reported with the load average.

Scenarios:
  create_auth  POST tasks as a signed-in user; createRule ``@request.auth.id != ''``
  create_rel   POST items as a superuser: text with a UNIQUE index, json, relation to users
  update_owner PATCH a task the user owns; updateRule ``owner = @request.auth.id``
  view         GET a task the user owns (a read, for comparison); viewRule as updateRule

``--profile BACKEND`` runs cProfile over one more block of one scenario and prints the top
functions (cumulative and self) with their call counts.

    .venv/bin/python scripts/bench/write_cpu.py --requests 300 --rounds 6
    .venv/bin/python scripts/bench/write_cpu.py --profile postgres --scenarios create_rel
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from falcon.testing import create_environ  # noqa: E402

from pybase.app import PyBase  # noqa: E402
from pybase.config import Config  # noqa: E402
from pybase.core.auth import new_auth_token  # noqa: E402
from pybase.core.collection_bind import new_collection  # noqa: E402
from tests.pg import start_postgres  # noqa: E402

SCENARIOS = ("create_auth", "create_rel", "update_owner", "view")


class Side:
    """One app (SQLite or Postgres) and what its requests need."""

    def __init__(self, name: str, root: Path, url: str = "") -> None:
        self.name = name
        self.pybase = PyBase(Config(data_dir=str(root / name), database_url=url, http="127.0.0.1:0"))
        self.pybase.bootstrap()
        self.pybase.run_migrations()
        core = self.pybase.core
        self.runtime: Any = None
        wsgi = self.pybase.wsgi()
        if url:
            from pybase.workers.cluster import ClusterRuntime

            self.runtime = ClusterRuntime(core)
            wsgi = self.runtime.wrap(wsgi)
        self.wsgi = wsgi
        su = core.new_record("_superusers", {"email": "su@example.com"})
        su.set_password_plain("password", "1234567890")
        core.save(su)
        user = core.new_record("users", {"email": "u1@example.com", "name": "u1", "verified": True})
        user.set_password_plain("password", "1234567890")
        core.save(user)
        self.user_id = user.id
        self.su_token = new_auth_token(su)
        self.user_token = new_auth_token(user)
        core.save_collection(new_collection({
            "name": "tasks",
            "createRule": "@request.auth.id != ''",
            "listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id",
            "updateRule": "owner = @request.auth.id", "deleteRule": "owner = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "done", "type": "bool"},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
                {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
            ],
        }))
        core.save_collection(new_collection({
            "name": "items",
            "fields": [
                {"name": "slug", "type": "text", "required": True},
                {"name": "meta", "type": "json"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
            ],
            "indexes": ["CREATE UNIQUE INDEX idx_items_slug ON items (slug)"],
        }))
        self.counter = itertools.count(1)
        self.owned: list[str] = []
        # NOTE: a first request reloads what the cluster node may have missed; warm every path.
        for scenario in SCENARIOS:
            self.block(scenario, 30)

    def request(self, method: str, path: str, token: str, body: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"Authorization": token}
        if body is not None:
            headers["Content-Type"] = "application/json"
        environ = create_environ(path=path, method=method, body=orjson.dumps(body) if body is not None else b"", headers=headers)
        status: list[str] = []
        chunks = self.wsgi(environ, lambda s, _h, _e=None: status.append(s))
        out = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"{self.name} {method} {path}: {status} {out[:300]!r}")
        return orjson.loads(out)  # type: ignore[no-any-return]

    def one(self, scenario: str) -> None:
        n = next(self.counter)
        if scenario == "create_auth":
            made = self.request("POST", "/api/collections/tasks/records", self.user_token,
                                {"title": f"task {n}", "done": False, "owner": self.user_id})
            self.owned.append(made["id"])
        elif scenario == "create_rel":
            self.request("POST", "/api/collections/items/records", self.su_token,
                         {"slug": f"item-{n}", "meta": {"n": n, "tags": ["a", "b"]}, "author": self.user_id})
        elif scenario == "view":
            self.request("GET", f"/api/collections/tasks/records/{self.owned[n % len(self.owned)]}", self.user_token, None)
        else:
            rid = self.owned[n % len(self.owned)]
            self.request("PATCH", f"/api/collections/tasks/records/{rid}", self.user_token,
                         {"title": f"task {n} v2", "done": n % 2 == 0})

    def block(self, scenario: str, count: int) -> float:
        """CPU ms per request over ``count`` requests."""
        start = time.process_time()
        for _ in range(count):
            self.one(scenario)
        return (time.process_time() - start) * 1000 / count

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        self.pybase.core.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per block")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--profile", choices=("sqlite", "postgres"), help="cProfile one block per scenario")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--postgres-url", default="", help="an existing empty database instead of a throwaway server")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    pg = None
    url = args.postgres_url
    if not url:
        pg = start_postgres()
        url = pg.new_database()
    with tempfile.TemporaryDirectory(prefix="pybase-write-cpu-") as tmp:
        root = Path(tmp)
        sides: list[Side] = []
        try:
            # NOTE: inside the try: a failing setup still stops the throwaway Postgres
            sides.append(Side("sqlite", root))
            sides.append(Side("postgres", root, url))
            print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
            if args.profile:
                side = sides[0] if args.profile == "sqlite" else sides[1]
                for scenario in scenarios:
                    profiler = cProfile.Profile(time.process_time)
                    profiler.enable()
                    side.block(scenario, args.requests)
                    profiler.disable()
                    for key in ("cumulative", "tottime"):
                        out = io.StringIO()
                        stats = pstats.Stats(profiler, stream=out)
                        stats.sort_stats(key).print_stats(args.top)
                        print(f"==== {side.name} {scenario} by {key} ({args.requests} requests)")
                        print(out.getvalue())
                return 0
            figures: dict[tuple[str, str], list[float]] = {}
            for round_no in range(args.rounds):
                order = sides if round_no % 2 == 0 else sides[::-1]
                for scenario in scenarios:
                    for side in order:
                        figures.setdefault((scenario, side.name), []).append(side.block(scenario, args.requests))
            print(f"load average at end: {os.getloadavg()[0]:.2f}")
            print(f"{'scenario':14} {'SQLite ms/req':>14} {'Postgres ms/req':>16} {'PG/SQLite':>10}   rounds (PG)")
            for scenario in scenarios:
                lite = statistics.median(figures[(scenario, "sqlite")])
                post = statistics.median(figures[(scenario, "postgres")])
                spread = " ".join(f"{v:.2f}" for v in figures[(scenario, "postgres")])
                print(f"{scenario:14} {lite:14.3f} {post:16.3f} {post / lite:9.2f}x   {spread}")
        finally:
            for side in sides:
                side.close()
            if pg is not None:
                pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
