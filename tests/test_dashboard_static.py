"""The built dashboard in ``dashboard_static/``: complete, self-contained, served at ``/_/``.

The browser walk is tests/e2e/test_dashboard.py; these checks need no browser: the entry page
loads hashed assets that exist, nothing points off the machine (no fonts, scripts or styles from
the internet), and pybase serves the assets with their types and cache headers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests

from tests.testapp import start_server

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "dashboard_static"
SOURCES = ROOT / "dashboard"


def _assets() -> list[str]:
    html = (STATIC / "index.html").read_text()
    return re.findall(r'(?:src|href)="\./([^"]+)"', html)


def test_the_entry_page_loads_only_files_that_ship_with_it():
    html = (STATIC / "index.html").read_text()
    assert html.lower().startswith("<!doctype html>")
    assets = _assets()
    assert any(re.fullmatch(r"assets/app-[0-9a-f]{10}\.js", a) for a in assets), assets
    assert any(re.fullmatch(r"assets/app-[0-9a-f]{10}\.css", a) for a in assets), assets
    for asset in assets:
        assert (STATIC / asset).is_file(), asset
    shipped = {str(p.relative_to(STATIC)) for p in STATIC.rglob("*") if p.is_file()}
    # nothing stale left beside the current build
    assert shipped == {"index.html", *assets}, shipped


def test_nothing_is_fetched_from_the_internet():
    html = (STATIC / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!--", "")
    for css in STATIC.glob("assets/*.css"):
        text = css.read_text()
        assert "@import" not in text and "http" not in text and "@font-face" not in text
    for js in STATIC.glob("assets/*.js"):
        urls = set(re.findall(r"https?://[^\"'`\s)]+", js.read_text()))
        # XML namespaces and the SDK's messages that name its docs: never loaded
        allowed = re.compile(r"http://www\.w3\.org/.*|https://github\.com/pocketbase/js-sdk.*|https://pocketbase\.io/docs/.*")
        assert all(allowed.fullmatch(u) for u in urls), urls


def test_the_sources_pin_their_toolchain():
    package = json.loads((SOURCES / "package.json").read_text())
    lock = json.loads((SOURCES / "package-lock.json").read_text())
    assert {"preact", "pocketbase"} <= set(package["dependencies"]) and "esbuild" in package["devDependencies"]
    assert lock["packages"]["node_modules/pocketbase"]["version"] == package["dependencies"]["pocketbase"]


def test_pybase_serves_the_dashboard_assets(tmp_path):
    srv = start_server(tmp_path, None)
    try:
        page = requests.get(f"{srv.base_url}/_/", timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        for asset in _assets():
            res = requests.get(f"{srv.base_url}/_/{asset}", timeout=10)
            assert res.status_code == 200, asset
            assert res.content == (STATIC / asset).read_bytes()
            kind = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[asset.rsplit(".", 1)[1]]
            assert res.headers["Content-Type"].startswith(kind)
        # hash routes are client side: the SPA's deep links all answer the entry page
        assert requests.get(f"{srv.base_url}/_/collections/posts", timeout=10).text == page.text
    finally:
        srv.stop()
