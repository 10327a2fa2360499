#!/usr/bin/env python3
"""How long ``pybase db copy --to postgres://...`` takes on a large SQLite app (issue 17).

Builds an app with ``--records`` posts (default 100,000: text, number, bool, multi-select, json,
relation, geo point, autodate; an index on views; a view collection) and ``--users`` auth users
through the core API (the users) and one SQLite transaction (the posts, same stored shapes), starts
a throwaway Postgres as tests/pg.py does (initdb + pg_ctl on a loopback port, fsync off), then
runs the real command ``--repeat`` times (``--force`` after the first) and records the wall time
and the CPU time of the command and of Postgres. Results: scripts/bench/results/db_copy.json.

    .venv/bin/python scripts/bench/db_copy.py                 # 100,000 posts
    .venv/bin/python scripts/bench/db_copy.py --records 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from proc_cpu import postgres_cpu_seconds  # noqa: E402

from pybase.core.app import App  # noqa: E402
from pybase.core.collection_bind import new_collection  # noqa: E402
from tests.pg import start_postgres  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def build_app(data_dir: Path, records: int, users: int) -> None:
    """An app with ``users`` users and ``records`` posts (stored as pybase stores them)."""
    app = App(str(data_dir))
    app.bootstrap()
    user_ids = []
    first = app.new_record("users", {"email": "u0@example.com", "name": "User 0"})
    first.set_password_plain("password", "1234567890")
    app.save(first)
    password_hash = first.get("password")
    user_ids.append(first.id)
    for i in range(1, users):
        user = app.new_record("users", {"email": f"u{i}@example.com", "name": f"User {i}"})
        user.set("password", password_hash)  # NOTE: one bcrypt hash for all: building stays fast
        app.save(user)
        user_ids.append(user.id)
    users_id = app.find_collection("users").id
    app.save_collection(new_collection({
        "name": "posts", "type": "base", "listRule": "",
        "fields": [
            {"name": "title", "type": "text"}, {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c", "d"]},
            {"name": "meta", "type": "json"},
            {"name": "author", "type": "relation", "collectionId": users_id, "maxSelect": 1},
            {"name": "where", "type": "geoPoint"},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
        "indexes": ["CREATE INDEX idx_posts_views ON posts (views)"],
    }))
    app.save_collection(new_collection({
        "name": "popular", "type": "view", "listRule": "",
        "viewQuery": "SELECT id, title, views FROM posts WHERE views > 900",
    }))
    app.db.close()
    rng = random.Random(17)
    tags = ["a", "b", "c", "d"]
    rows = [
        (
            f"p{i:014d}", f"Post number {i}", rng.randint(0, 1000), rng.random() < 0.5,
            json.dumps(rng.sample(tags, rng.randint(0, 3))), json.dumps({"n": i, "s": f"v{i % 97}"}),
            rng.choice(user_ids), json.dumps({"lon": rng.uniform(-180, 180), "lat": rng.uniform(-90, 90)}),
            f"2026-01-01 00:00:{i % 60:02d}.000Z",
        )
        for i in range(records)
    ]
    import sqlite3

    with sqlite3.connect(data_dir / "data.db") as conn:
        conn.executemany(
            'INSERT INTO posts (id, title, views, published, tags, meta, author, "where", created) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "db_copy.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pybase-copy-bench-"))
    started = time.perf_counter()
    build_app(work / "pb_data", args.records, args.users)
    print(f"built {args.records:,} posts and {args.users} users in {time.perf_counter() - started:.1f}s; "
          f"data.db {os.path.getsize(work / 'pb_data' / 'data.db') / 1e6:.1f} MB", flush=True)
    server = start_postgres()
    runs = []
    try:
        url = server.new_database()
        for i in range(args.repeat):
            cmd = [sys.executable, "-m", "pybase", "db", "copy", "--dir", str(work / "pb_data"), "--to", url]
            if i:
                cmd.append("--force")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            pg_before = postgres_cpu_seconds(server.root)
            t0 = time.perf_counter()
            result = subprocess.run(cmd, capture_output=True, text=True, cwd=work, check=False)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if result.returncode != 0:
                print(result.stdout, result.stderr)
                return 1
            run = {
                "wall_s": round(wall, 2),
                "command_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
                "postgres_cpu_s": round(postgres_cpu_seconds(server.root) - pg_before, 2),
                "records_per_s": round(args.records / wall),
            }
            runs.append(run)
            print(f"run {i + 1}: {run}", flush=True)
        print(result.stdout)
    finally:
        server.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    best = min(runs, key=lambda r: r["wall_s"])
    out = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records, "users": args.users, "runs": runs, "best": best,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": round(os.getloadavg()[0], 2),
                    "python": platform.python_version()},
        "note": "wall time of the whole command (Python start, checks, COPY, indexes, count check, ANALYZE)",
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"best: {best}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
