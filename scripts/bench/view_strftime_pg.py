"""Postgres's CPU per row for a view collection's computed time columns (issue #17).

A view collection over ``posts`` shows one time its query computes with date(), strftime() or
julianday() (``SELECT id, strftime('%Y', created) AS v FROM posts``); this measures what each
list request of such a view costs the Postgres backend, per row:

  read       ``?perPage=1000&fields=id,v``: the page's rows computed (per row of the page)
  sort       ``?sort=v``: every row computed and sorted (per row of the collection)
  filter =   ``?filter=v='...'`` (per row of the collection)
  filter ~   ``?filter=v~'...'`` (per row of the collection)

(``skipTotal=1`` on all: the count would run the filter a second time.) The ``created`` view
shows the autodate column itself, for comparison.

It starts a throwaway Postgres (initdb + pg_ctl as tests/pg.py) and a pybase app on it in this
process, seeds ``--records`` posts straight into the table (the API would take minutes; the
rows are what it writes), makes each request once through the WSGI app, records the statement
pybase sends (psycopg's ``Cursor.execute``), then runs that statement again on a connection of
its own ``--repeat`` times and reads the backend's CPU time from ``/proc/<pid>/schedstat``
(nanoseconds on a CPU; waiting for one on a busy machine is not counted). The best repeat is
reported. ``--explain`` prints ``EXPLAIN (ANALYZE, VERBOSE)`` of each statement.

    .venv/bin/python scripts/bench/view_strftime_pg.py [--records 10000] [--repeat 5] [--explain]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from falcon.testing import create_environ  # noqa: E402

from pybase.app import PyBase  # noqa: E402
from pybase.config import Config  # noqa: E402
from pybase.core.auth import new_auth_token  # noqa: E402
from tests.pg import start_postgres  # noqa: E402

# (view name, the expression it shows, a value for = and one for ~): values few rows hold, so
# that every row is read (a page of 30 found would end the scan)
VIEWS: list[tuple[str, str, str | float | None, str]] = [
    ("created", "created", "2024-07-04 13:00:00.000Z", "07-04 13"),
    ("date", "date(created)", "2024-07-04", "07-04"),
    ("year", "strftime('%Y', created)", "2024", "1999"),
    ("hour", "strftime('%Y-%m-%d %H', created)", "2024-07-04 13", "07-04 13"),
    ("julianday", "julianday(created)", 2460495.5, "2460500."),
]
OPERATIONS = ("read", "sort", "filter =", "filter ~")


class Recorder:
    """The statements psycopg runs while on (SQL and parameters), the last one kept."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[tuple[str, Any]] = []
        original = psycopg.Cursor.execute

        def execute(cursor: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            if self.on:
                self.seen.append((query if isinstance(query, str) else str(query), params))
            return original(cursor, query, params, **kw)

        psycopg.Cursor.execute = execute  # type: ignore[method-assign]


def schedstat_ns(pid: int) -> int:
    """Nanoseconds process ``pid`` has run on a CPU."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def request(wsgi: Any, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Authorization": token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    environ = create_environ(path=path.split("?")[0], query_string=path.partition("?")[2], method=method,
                             body=orjson.dumps(body) if body is not None else b"", headers=headers)
    status: list[str] = []
    chunks = wsgi(environ, lambda s, _h, _e=None: status.append(s))
    out = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"{method} {path}: {status} {out[:300]!r}")
    return orjson.loads(out)  # type: ignore[no-any-return]


def seed(url: str, count: int) -> None:
    """``count`` posts as the API writes them: times of 2023-2025 in PocketBase's form."""
    rng = random.Random(17)
    rows = []
    for number in range(count):
        moment = 1672531200 + rng.randrange(3 * 365 * 86400)
        ms = rng.randrange(1000)
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment)) + f".{ms:03d}Z"
        rows.append((f"p{number:014d}", f"post {number}", text, text))
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn, conn.cursor() as cursor:
        cursor.executemany("INSERT INTO posts (id, title, created, updated) VALUES (%s, %s, %s, %s)", rows)
        cursor.execute("ANALYZE posts")


def paths(view: str, equal: str | float | None, like: str) -> dict[str, str | None]:
    base = f"/api/collections/{view}/records?skipTotal=1"
    return {
        "read": f"{base}&perPage=1000&fields=id,v",
        "sort": f"{base}&sort=v&perPage=30",
        "filter =": f"{base}&filter={quote(f'v={equal!r}')}" if equal is not None else None,
        "filter ~": f"{base}&filter={quote(f'v~{like!r}')}",
    }


def measure(conn: psycopg.Connection[Any], pid: int, sql: str, params: Any, repeat: int) -> tuple[float, int]:
    """Best backend CPU (ns) of ``repeat`` runs, and the rows returned."""
    best, rows = float("inf"), 0
    with conn.cursor() as cursor:
        for _ in range(repeat):
            start = schedstat_ns(pid)
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            best = min(best, schedstat_ns(pid) - start)
    return best, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, VERBOSE) of each statement")
    parser.add_argument("--width", type=int, default=240, help="--explain's plan lines cut to this many characters")
    parser.add_argument("--views", default=",".join(name for name, *_ in VIEWS))
    args = parser.parse_args()
    chosen = [view for view in VIEWS if view[0] in args.views.split(",")]
    recorder = Recorder()
    pg = start_postgres()
    app = runtime = None
    try:
        url = pg.new_database()
        with tempfile.TemporaryDirectory(prefix="pybase-view-strftime-") as tmp:
            # NOTE: a data dir under its own parent: the collections made write migrations beside it
            app = PyBase(Config(data_dir=str(Path(tmp) / "data"), database_url=url, http="127.0.0.1:0"))
            app.bootstrap()
            app.run_migrations()
            core = app.core
            from pybase.workers.cluster import ClusterRuntime

            runtime = ClusterRuntime(core)
            wsgi = runtime.wrap(app.wsgi())
            su = core.new_record("_superusers", {"email": "su@example.com"})
            su.set_password_plain("password", "1234567890")
            core.save(su)
            token = new_auth_token(su)
            fields = [{"name": "title", "type": "text"},
                      {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
                      {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True}]
            request(wsgi, "POST", "/api/collections", token, {"name": "posts", "fields": fields})
            seed(url, args.records)
            for name, expression, *_ in chosen:
                request(wsgi, "POST", "/api/collections", token,
                        {"name": f"v_{name}", "type": "view", "viewQuery": f"SELECT id, {expression} AS v FROM posts"})
            own = psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
            pid = own.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            print(f"{args.records} records; best of {args.repeat}; load average {os.getloadavg()[0]:.2f} "
                  "(a shared, busy machine)", flush=True)
            print(f"{'view':10} " + " ".join(f"{op:>14}" for op in OPERATIONS) + "   (us of backend CPU per row)")
            for name, _expression, equal, like in chosen:
                cells = []
                for operation, path in paths(f"v_{name}", equal, like).items():
                    if path is None:
                        cells.append(f"{'-':>14}")
                        continue
                    recorder.seen.clear()
                    recorder.on = True
                    request(wsgi, "GET", path, token)
                    recorder.on = False
                    sql, params = next((s, p) for s, p in reversed(recorder.seen) if f"v_{name}" in s)
                    if args.explain:
                        plan = "\n".join(row[0] for row in own.execute("EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) " + sql, params))
                        print(f"---- v_{name} {operation}: pb_json_value {sql.count('pb_json_value(')} times in the statement\n"
                              f"{sql}\n{params}\n" + "\n".join(line[:args.width] for line in plan.splitlines()))
                    ns, rows = measure(own, pid, sql, params, args.repeat)
                    per = rows if operation == "read" else args.records
                    cells.append(f"{ns / 1000 / max(per, 1):14.2f}")
                print(f"{name:10} " + " ".join(cells), flush=True)
            own.close()
    finally:
        if runtime is not None:
            runtime.close()
        if app is not None:
            app.core.terminate()
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
