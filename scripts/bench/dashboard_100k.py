"""The dashboard's records page on a collection of 100,000 records, in headless Chromium.

    .venv/bin/python scripts/bench/dashboard_100k.py [--records 100000] [--runs 3]

Starts ``python -m pybase serve`` on a free loopback port with a fresh data dir, creates a
superuser (CLI) and a ``posts`` collection (API: title, views, status, published, created and
updated), seeds the records straight into its SQLite table in one transaction (the API would
take minutes; the rows are what the API would write), then opens ``/_/#/collections/posts`` in
Debian's chromium (Playwright, ``executablePath``) signed in, and times, from the user's action
to the rows on screen:

- first rows: a fresh load of the records page;
- page change: Next;
- sort: a click on the ``views`` header (no index on views: a full sort);
- filter: ``title ~ "..."`` submitted in the filter bar (a LIKE scan of every row).

It also times the list request alone (a page with and without ``skipTotal``, and the count),
records every list request the page makes and prints the largest ``perPage`` asked and whether
the page lists used ``skipTotal``: the page never loads the whole collection. Figures are the
median of ``--runs`` runs; this is a measurement, not a test (no thresholds).

Measured on the shared 2-core box (2026-12-05, 100,000 records, median of 3): first rows
241 ms, page change 170 ms, sort by views 114 ms, filter ``title ~`` 106 ms; the API alone:
a page with skipTotal 38 ms, with its count 53 ms, the count alone 6 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

REPO = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(db: Path, count: int) -> None:
    """``count`` posts rows as the API would store them (ids of 15 [a-z0-9], UTC datetimes)."""
    rng = random.Random(42)
    alphabet = string.ascii_lowercase + string.digits
    start = time.time() - count
    rows = []
    for i in range(count):
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + i)) + ".000Z"
        rows.append((
            "".join(rng.choice(alphabet) for _ in range(15)),
            f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
            int(rng.expovariate(1 / 360)),
            rng.choice(["draft", "published", "archived"]),
            rng.random() < 0.5,
            stamp,
            stamp,
        ))
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO posts (id, title, views, status, published, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    chromium = os.environ.get("PYBASE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (scripts/test.sh installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="pybase-dash100k-"))
    data = tmp / "pb_data"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data)],
                   check=True, env=env, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen([sys.executable, "-m", "pybase", "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                if requests.get(f"{base}/api/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        auth = requests.post(f"{base}/api/collections/_superusers/auth-with-password",
                             json={"identity": EMAIL, "password": PASSWORD}, timeout=10).json()
        headers = {"Authorization": auth["token"]}
        res = requests.post(f"{base}/api/collections", headers=headers, timeout=10, json={"name": "posts", "fields": [
            {"name": "title", "type": "text"}, {"name": "views", "type": "number"},
            {"name": "status", "type": "select", "values": ["draft", "published", "archived"], "maxSelect": 1},
            {"name": "published", "type": "bool"},
            {"name": "created", "type": "autodate", "onCreate": True}, {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ]})
        res.raise_for_status()
        t0 = time.perf_counter()
        seed(data / "data.db", args.records)
        total = requests.get(f"{base}/api/collections/posts/records?perPage=1", headers=headers, timeout=60).json()["totalItems"]
        print(f"seeded {total} records in {time.perf_counter() - t0:.1f} s")

        def api_ms(query: str) -> float:
            times = []
            for _ in range(5):
                t = time.perf_counter()
                requests.get(f"{base}/api/collections/posts/records?{query}", headers=headers, timeout=60).raise_for_status()
                times.append(time.perf_counter() - t)
            return statistics.median(times) * 1000

        api = {
            "page, skipTotal": api_ms("perPage=30&sort=-created&skipTotal=1"),
            "page with its count": api_ms("perPage=30&sort=-created"),
            "count only (perPage=1)": api_ms("perPage=1&fields=id"),
        }
        figures: dict[str, list[float]] = {"first rows": [], "page change": [], "sort (views)": [], "filter (title ~)": []}
        lists: list[dict[str, list[str]]] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            context = browser.new_context(viewport={"width": 1360, "height": 860})
            context.add_init_script(
                "localStorage.setItem('__pb_superuser_auth__', " + json.dumps(json.dumps({"token": auth["token"], "record": auth["record"]})) + ")"
            )
            context.set_default_timeout(120_000)
            expect.set_options(timeout=120_000)
            page = context.new_page()
            page.on("request", lambda r: "/api/collections/posts/records" in r.url and lists.append(parse_qs(urlparse(r.url).query)))
            rows = page.locator("[data-testid=records-table] tbody tr")
            for run in range(args.runs):
                page.goto("about:blank")
                t = time.perf_counter()
                page.goto(f"{base}/_/#/collections/posts")
                expect(rows).to_have_count(30)
                figures["first rows"].append(time.perf_counter() - t)
                expect(page.locator(".pagination")).to_contain_text(f"{total} total")

                first = rows.first.get_attribute("data-id")
                t = time.perf_counter()
                page.get_by_role("button", name="Next").click()
                expect(rows.first).not_to_have_attribute("data-id", first or "")
                figures["page change"].append(time.perf_counter() - t)

                first = rows.first.get_attribute("data-id")
                t = time.perf_counter()
                page.get_by_role("button", name="views", exact=True).click()
                expect(rows.first).not_to_have_attribute("data-id", first or "")
                figures["sort (views)"].append(time.perf_counter() - t)

                words = f"{WORDS[run % len(WORDS)]} {WORDS[(run + 3) % len(WORDS)]}"
                page.get_by_label("Filter").fill(f'title ~ "{words}"')
                t = time.perf_counter()
                with page.expect_response(lambda r: "/api/collections/posts/records" in r.url and "filter=" in r.url and "perPage=30" in r.url):
                    page.get_by_label("Filter").press("Enter")
                expect(rows.first).to_contain_text(words)
                figures["filter (title ~)"].append(time.perf_counter() - t)
                page.get_by_role("button", name="Clear").first.click()
                expect(rows.first).not_to_contain_text(words)
            browser.close()

        print(f"records page on {total} records, pybase at {base}, median of {args.runs} runs:")
        for name, values in figures.items():
            print(f"  {name:18} {statistics.median(values) * 1000:7.0f} ms   (runs: {', '.join(f'{v * 1000:.0f}' for v in values)})")
        print("  the API alone (median of 5): " + ", ".join(f"{k} {v:.0f} ms" for k, v in api.items()))
        per_page = max(int(q.get("perPage", ["30"])[0]) for q in lists)
        paged = [q for q in lists if q.get("perPage", ["30"])[0] != "1"]
        counts = [q for q in lists if q.get("perPage", [""])[0] == "1"]
        print(f"  list requests: {len(lists)} ({len(paged)} pages, all with skipTotal: {all(q.get('skipTotal') == ['true'] or q.get('skipTotal') == ['1'] for q in paged)}; "
              f"{len(counts)} counts); largest perPage asked: {per_page}")
    finally:
        server.terminate()
        server.wait(20)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
