#!/usr/bin/env python3
"""How long a backup and a restore take on an app whose data is in Postgres (issue 17).

Builds the app of ``db_copy.py`` (``--records`` posts, default 100,000, and ``--users`` users) on
SQLite, takes a SQLite backup of it for comparison, copies it to a throwaway Postgres (tests/pg.py:
initdb + pg_ctl on a loopback port, fsync off), then, on the Postgres app, ``--repeat`` times:
a backup (the in-process dump: one snapshot, COPY TO STDOUT per table into the zip) and a restore
of it (one transaction: tables dropped and rebuilt, COPY FROM STDIN, indexes, views, counts).
Results: scripts/bench/results/backups_postgres.json.

    .venv/bin/python scripts/bench/backups_postgres.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from db_copy import build_app, postgres_cpu_seconds  # noqa: E402

from pybase.core.app import App  # noqa: E402
from pybase.core.db_copy import copy_to_postgres  # noqa: E402
from tests.pg import start_postgres  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def _timed(action: object, pg_root: str) -> dict[str, float]:
    cpu, pg, t0 = _cpu(), postgres_cpu_seconds(pg_root), time.perf_counter()
    action()  # type: ignore[operator]
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        "pybase_cpu_s": round(_cpu() - cpu, 2),
        "postgres_cpu_s": round(postgres_cpu_seconds(pg_root) - pg, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "backups_postgres.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pybase-backup-bench-"))
    build_app(work / "pb_data", args.records, args.users)
    sqlite_app = App(str(work / "pb_data"))
    sqlite_app.bootstrap()
    t0 = time.perf_counter()
    sqlite_app.backups.create("sqlite.zip")
    sqlite_backup = {"wall_s": round(time.perf_counter() - t0, 2),
                     "size_mb": round(os.path.getsize(work / "pb_data" / "backups" / "sqlite.zip") / 1e6, 1)}  # fmt: skip
    sqlite_app.terminate()
    print(f"SQLite backup: {sqlite_backup}", flush=True)
    server = start_postgres()
    runs = []
    try:
        url = server.new_database()
        copy_to_postgres(str(work / "pb_data"), url)
        pg_dir = work / "pg_data"
        pg_dir.mkdir()
        app = App(str(pg_dir), database_url=url)
        app.bootstrap()
        try:
            for i in range(args.repeat):
                name = f"pg{i}.zip"
                backup = _timed(lambda name=name: app.backups.create(name), server.root)
                backup["size_mb"] = round(os.path.getsize(pg_dir / "backups" / name) / 1e6, 1)
                restore = _timed(lambda name=name: app.backups.restore(name), server.root)
                with app.db.read() as conn:
                    count = conn.exec_driver_sql("SELECT count(*) FROM posts").scalar()
                assert count == args.records, count
                run = {"backup": backup, "restore": restore}
                runs.append(run)
                print(f"run {i + 1}: {run}", flush=True)
        finally:
            app.terminate()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    best = {
        "backup": min((r["backup"] for r in runs), key=lambda r: r["wall_s"]),
        "restore": min((r["restore"] for r in runs), key=lambda r: r["wall_s"]),
    }
    out = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records, "users": args.users, "sqlite_backup": sqlite_backup, "runs": runs, "best": best,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": round(os.getloadavg()[0], 2),
                    "python": platform.python_version()},
        "note": "in-process (App.backups.create / restore, no HTTP); restore without a process restart",
    }  # fmt: skip
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"best: {best}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
