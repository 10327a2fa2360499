"""The admin dashboard at ``/_/`` in headless Chromium (Debian's ``chromium``, driven by Playwright).

One real ``python -m pybase serve`` on a fixed loopback port (a backup restore restarts the
process on the same address) and one browser walk through what a new user does:

installer link -> first superuser -> a collection with several field types and a rule (a bad
rule's error shown inline first) -> records added, edited, filtered, sorted, deleted, bulk
deleted -> a file uploaded and its thumbnail shown -> a record created through the API appears
live (realtime) -> a rule changed in the dashboard is enforced on the API -> a backup taken and
restored -> the logs list, chart and a log's details -> sign out, sign in, session kept across a
reload.

Skipped when Chromium or the Python ``playwright`` package is missing, failing instead under
``CI=true``. With ``PYBASE_SCREENSHOTS=<dir>`` it saves screenshots of the main screens there
(scripts/dashboard_screenshots.sh does this for the README's docs/screenshots/).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.mailbox import mailbox  # noqa: F401 - fixture
from tests.s3_server import moto_endpoint  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONUNBUFFERED": "1"}
EMAIL = "admin@example.com"
PASSWORD = "1234567890"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/_/#/pbinstall/[\w-]+\.[\w-]+\.[\w-]+")
TIMEOUT_MS = 15000


def chromium_path() -> str | None:
    """Debian's chromium (or $PYBASE_CHROMIUM)."""
    return os.environ.get("PYBASE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _require_browser() -> str:
    reason = None
    path = chromium_path()
    if path is None:
        reason = "chromium is not installed (scripts/test.sh installs Debian's chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason is None:
        assert path is not None
        return path
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m pybase serve`` on a fixed port; its output goes to a file we read."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "serve.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pybase", "serve", "--http", f"127.0.0.1:{self.port}", "--dir", str(tmp_path / "pb_data")],
            cwd=tmp_path, env=ENV, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def installer_link(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            match = LINK.search(self.output())
            if match:
                return match.group(0)
            assert self.proc.poll() is None, self.output()
            time.sleep(0.1)
        raise AssertionError(f"no installer link: {self.output()}")

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not come back: {self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def _png(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(buf, "PNG")
    return buf.getvalue()


def _api(server: Server, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": token} if token else {}
    return requests.request(method, f"{server.base}{path}", headers=headers, timeout=10, **kwargs)


def _superuser_token(server: Server) -> str:
    res = _api(server, "POST", "/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return res.json()["token"]


def _fill_rich_inputs(page, form, expect, related_id: str) -> None:
    """The date picker by keyboard (UTC, seconds kept), the JSON editor, a geo point, the relation picker."""
    expect(form.get_by_text("When it went out")).to_be_visible()
    form.get_by_label("publishedAt", exact=True).fill("2024-02-28 23:59:58")
    form.get_by_label("publishedAt", exact=True).press("Enter")
    expect(form.get_by_label("publishedAt", exact=True)).to_have_value("2024-02-28 23:59:58.000Z")
    form.get_by_role("button", name="Pick publishedAt").click()
    expect(form.get_by_role("button", name="28 February 2024")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(form.get_by_label("publishedAt", exact=True)).to_have_value("2024-02-29 23:59:58.000Z")
    form.locator("textarea[name=meta]").fill('{\n  "n": 3,\n  "tags": ["a",]\n}')
    expect(form.get_by_test_id("json-meta")).to_contain_text("Line 3, column 16")
    form.locator("textarea[name=meta]").fill('{"n":3,"tags":["a"]}')
    form.get_by_test_id("json-meta").get_by_role("button", name="Format").click()
    expect(form.locator("textarea[name=meta]")).to_have_value('{\n  "n": 3,\n  "tags": [\n    "a"\n  ]\n}')
    form.get_by_label("place longitude").fill("23.32")
    form.get_by_label("place latitude").fill("42.69")
    form.get_by_role("button", name="Pick from users").click()
    form.get_by_label("Search users").fill("bo")
    picker = form.get_by_test_id("picker-author")
    expect(picker.get_by_role("option")).to_have_count(1)
    picker.get_by_role("button", name=re.compile("^bob@example.com")).click()
    expect(form.locator(f".relation .chip[title='{related_id}']")).to_have_text(re.compile(r"^bob@example\.com"))


def test_dashboard_end_to_end(tmp_path: Path) -> None:
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    shots_dir = os.environ.get("PYBASE_SCREENSHOTS")
    server = Server(tmp_path)
    console_errors: list[str] = []

    def shot(page, name: str) -> None:
        if shots_dir:
            Path(shots_dir).mkdir(parents=True, exist_ok=True)
            page.evaluate("document.querySelector('.toasts').style.visibility = 'hidden'")
            page.screenshot(path=str(Path(shots_dir) / f"{name}.png"))
            page.evaluate("document.querySelector('.toasts').style.visibility = ''")

    try:
        link = server.installer_link()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            context = browser.new_context(viewport={"width": 1360, "height": 860}, color_scheme=os.environ.get("PYBASE_COLOR_SCHEME", "light"))
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            page.on("pageerror", lambda e: console_errors.append(str(e)))

            # ---- installer: create the first superuser -------------------------------------
            page.goto(link)
            expect(page.get_by_role("heading", name="Create your superuser")).to_be_visible()
            shot(page, "installer")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_label("Password confirm").fill("mismatch123")
            page.get_by_role("button", name="Create superuser and sign in").click()
            # the API's field error is shown under its field
            expect(page.locator(".field.has-error .error-text")).to_be_visible()
            page.get_by_label("Password confirm").fill(PASSWORD)
            page.get_by_role("button", name="Create superuser and sign in").click()
            expect(page).to_have_url(re.compile(r"#/collections/users"))
            expect(page.get_by_role("heading", name="users")).to_be_visible()
            # the installer link is spent: its account is gone
            page.goto(link)
            token = _superuser_token(server)
            emails = [r["email"] for r in _api(server, "GET", "/api/collections/_superusers/records", token).json()["items"]]
            assert emails == [EMAIL]
            page.goto(f"{server.base}/_/#/collections")

            # ---- a collection with several field types and a rule ---------------------------
            page.get_by_role("button", name="New collection").click()
            editor = page.get_by_test_id("collection-editor")
            editor.get_by_label("Name", exact=True).fill("posts")
            fields = [
                ("text", "title", {}),
                ("number", "views", {}),
                ("bool", "published", {}),
                ("select", "status", {"Values": "draft, published"}),
                ("date", "publishedAt", {"Help text": "When it went out", "Min date": "2000-01-01"}),
                ("json", "meta", {}),
                ("relation", "author", {"Collection": "users"}),
                ("file", "cover", {"Max files": "1", "Thumb sizes": "100x100", "MIME types": "image/png"}),
                ("geoPoint", "place", {}),
            ]
            for ftype, name, options in fields:
                editor.get_by_label("New field type").select_option(ftype)
                editor.get_by_role("button", name="Add field").click()
                row = editor.get_by_test_id("field-row").last
                row.get_by_label("Field name").fill(name)
                for label, value in options.items():
                    target = row.get_by_role("textbox", name=label, exact=True) if label == "Min date" else row.get_by_label(label)
                    if label == "Collection":
                        target.select_option(label=value)
                    else:
                        target.fill(value)
                        target.blur()
            editor.get_by_role("tab", name="API rules").click()
            editor.get_by_role("button", name="Unlock List/Search rule").click()
            editor.get_by_role("textbox", name="List/Search rule").fill("nosuchfield = true")
            editor.get_by_role("button", name="Unlock View rule").click()
            # autocomplete of @request paths (and fields, @collection paths)
            view_rule = editor.get_by_role("textbox", name="View rule")
            view_rule.press_sequentially("@request.au")
            editor.get_by_role("option", name="@request.auth.id", exact=True).click()
            expect(view_rule).to_have_value("@request.auth.id")
            view_rule.press_sequentially(' != "" || @collection.us')
            expect(editor.get_by_role("option", name="@collection.users.email", exact=True)).to_be_visible()
            view_rule.fill("")
            editor.get_by_role("button", name="Create", exact=True).click()
            # the rule's error is shown inline, on its tab
            expect(editor.locator(".rule.has-error .error-text")).to_be_visible()
            # the syntax help lists this collection's fields, the request paths, modifiers and macros
            editor.get_by_role("button", name="Syntax help").click()
            expect(editor.get_by_test_id("rule-help")).to_contain_text(re.compile(
                r"publishedAt.*@request\.body\.\*.*@collection\.NAME\.field.*\?=.*@todayStart.*:isset.*:each.*:lower.*geoDistance\(", re.S))
            editor.get_by_role("textbox", name="List/Search rule").fill("")
            editor.get_by_role("textbox", name="List/Search rule").press_sequentially("status:l")
            expect(editor.get_by_role("option", name="status:lower", exact=True)).to_be_visible()
            editor.get_by_role("textbox", name="List/Search rule").fill("published = true")
            shot(page, "collection-editor")
            editor.get_by_role("button", name="Create", exact=True).click()
            expect(editor).to_be_hidden()
            expect(page).to_have_url(re.compile(r"#/collections/posts"))
            expect(page.get_by_text("No records yet")).to_be_visible()
            schema = _api(server, "GET", "/api/collections/posts", token).json()
            assert [f["name"] for f in schema["fields"]][1:] == [name for _, name, _ in fields]
            assert schema["listRule"] == "published = true" and schema["viewRule"] == "" and schema["createRule"] is None
            cover = next(f for f in schema["fields"] if f["name"] == "cover")
            assert cover["thumbs"] == ["100x100"] and cover["mimeTypes"] == ["image/png"]
            published_at = next(f for f in schema["fields"] if f["name"] == "publishedAt")
            assert published_at["min"] == "2000-01-01 00:00:00.000Z" and published_at["help"] == "When it went out"

            # ---- an auth record with its password (users), then a relation picked by search -----------
            page.get_by_role("link", name="users", exact=True).click()
            page.get_by_role("button", name="New record").first.click()
            form = page.get_by_test_id("record-editor")
            form.locator("input[name=email]").fill("carol@example.com")
            form.locator("input[name=name]").fill("Carol")
            form.locator("input[name=password]").fill("a-long-password")
            form.locator("input[name=passwordConfirm]").fill("another-password")
            form.get_by_role("button", name="Create", exact=True).click()
            expect(form.locator(".field.has-error .error-text")).to_be_visible()
            form.locator("input[name=passwordConfirm]").fill("a-long-password")
            form.get_by_role("button", name="Create", exact=True).click()
            expect(form).to_be_hidden()
            signed = _api(server, "POST", "/api/collections/users/auth-with-password", json={"identity": "carol@example.com", "password": "a-long-password"})
            assert signed.status_code == 200, signed.text
            user = {"password": "a-long-password", "passwordConfirm": "a-long-password"}
            assert _api(server, "POST", "/api/collections/users/records", token, json={**user, "email": "dave@example.com", "name": "Dave"}).ok
            assert _api(server, "POST", "/api/collections/users/records", token, json={**user, "email": "bob@example.com", "name": "Bob"}).ok
            bob_id = _api(server, "GET", "/api/collections/users/records?filter=name='Bob'", token).json()["items"][0]["id"]
            page.get_by_role("link", name="posts", exact=True).click()
            expect(page.get_by_role("heading", name="posts")).to_be_visible()

            # ---- add records -----------------------------------------------------------------
            table = page.get_by_test_id("records-table")
            for title, views, published in [("alpha", "3", True), ("beta", "10", False), ("gamma", "7", True)]:
                page.get_by_role("button", name="New record").first.click()
                form = page.get_by_test_id("record-editor")
                form.locator("input[name=title]").fill(title)
                form.locator("input[name=views]").fill(views)
                if published:
                    form.locator("input[name=published]").check()
                form.locator("select[name=status]").select_option("published" if published else "draft")
                form.locator("textarea[name=meta]").fill(f'{{"n": {views}}}')
                if title == "alpha":
                    _fill_rich_inputs(page, form, expect, bob_id)
                    form.get_by_role("button", name="Pick publishedAt").click()
                    form.locator("textarea[name=meta]").scroll_into_view_if_needed()
                    shot(page, "record-inputs")
                    page.keyboard.press("Escape")
                    expect(form.locator(".datepicker-pop")).to_be_hidden()
                form.get_by_role("button", name="Create", exact=True).click()
                expect(form).to_be_hidden()
                expect(table.get_by_text(title, exact=True)).to_be_visible()
            expect(table.locator("tbody tr")).to_have_count(3)
            # the relation is shown by its record's label (expanded), not its id
            expect(table.locator("tbody tr", has_text="alpha").locator(".chip", has_text="bob@example.com")).to_be_visible()
            alpha = _api(server, "GET", "/api/collections/posts/records?filter=title='alpha'", token).json()["items"][0]
            assert alpha["publishedAt"] == "2024-02-29 23:59:58.000Z" and alpha["author"] == bob_id
            assert alpha["place"] == {"lon": 23.32, "lat": 42.69} and alpha["meta"] == {"n": 3, "tags": ["a"]}

            # a bad value: the API's error shows under the field
            page.get_by_role("button", name="New record").first.click()
            form = page.get_by_test_id("record-editor")
            form.locator("textarea[name=meta]").fill("{not json")
            form.get_by_role("button", name="Create", exact=True).click()
            expect(form.get_by_text("Invalid JSON.")).to_be_visible()
            form.get_by_role("button", name="Cancel").click()

            # ---- edit, by keyboard: Enter opens a row, Ctrl+S saves ---------------------------------
            table.locator("tbody tr", has_text="beta").focus()
            page.keyboard.press("Enter")
            form = page.get_by_test_id("record-editor")
            form.get_by_role("button", name="JSON").click()
            expect(form.locator(".json-view")).to_contain_text('"title": "beta"')
            form.locator("input[name=title]").fill("beta edited")
            form.locator("input[name=views]").fill("12")
            page.keyboard.press("Control+s")
            expect(form).to_be_hidden()
            expect(table.get_by_text("beta edited", exact=True)).to_be_visible()

            # ---- filter ("/" focuses it) ------------------------------------------------------------
            page.locator("body").click(position={"x": 5, "y": 400})
            page.keyboard.press("/")
            expect(page.get_by_label("Filter")).to_be_focused()
            page.get_by_label("Filter").fill("views > 5")
            page.get_by_label("Filter").press("Enter")
            expect(table.locator("tbody tr")).to_have_count(2)
            expect(page).to_have_url(re.compile(r"filter=views"))
            page.get_by_label("Filter").fill("views >")
            page.get_by_label("Filter").press("Enter")
            expect(page.locator(".alert-error")).to_be_visible()
            page.get_by_role("button", name="Clear").first.click()
            expect(table.locator("tbody tr")).to_have_count(3)

            # ---- sort by a column ------------------------------------------------------------------
            title_cells = table.locator("tbody tr td:nth-child(3)")

            table.get_by_role("button", name="views").click()
            expect(page).to_have_url(re.compile(r"sort=views"))
            expect(title_cells).to_have_text(["alpha", "gamma", "beta edited"])
            table.get_by_role("button", name="views").click()
            expect(page).to_have_url(re.compile(r"sort=-views"))
            expect(title_cells).to_have_text(["beta edited", "gamma", "alpha"])

            # ---- upload a file and see its thumbnail ------------------------------------------------
            table.get_by_text("alpha", exact=True).click()
            form = page.get_by_test_id("record-editor")
            form.locator("input[type=file][name=cover]").set_input_files({"name": "cover.png", "mimeType": "image/png", "buffer": _png((20, 160, 90))})
            expect(form.locator(".file-item.new img")).to_be_visible()
            form.locator(".file-item.new").scroll_into_view_if_needed()
            shot(page, "record-editor")
            form.get_by_role("button", name="Save changes").click()
            expect(form).to_be_hidden()
            thumb = table.locator("tbody tr", has_text="alpha").locator(".thumb img")
            expect(thumb).to_be_visible()
            assert "thumb=100x100" in (thumb.get_attribute("src") or "")
            page.wait_for_function("img => img.complete && img.naturalWidth === 100", arg=thumb.element_handle())
            shot(page, "records")

            # ---- live updates: a record created through the API appears -----------------------------
            created = _api(server, "POST", "/api/collections/posts/records", token, json={"title": "from api", "views": 1})
            assert created.status_code == 200, created.text
            expect(table.get_by_text("from api", exact=True)).to_be_visible()

            # ---- the rule is enforced on the API, then changed in the dashboard ----------------------
            guest = _api(server, "GET", "/api/collections/posts/records")
            assert guest.status_code == 200
            assert sorted(r["title"] for r in guest.json()["items"]) == ["alpha", "gamma"]
            page.get_by_role("button", name="Edit collection").click()
            editor = page.get_by_test_id("collection-editor")
            editor.get_by_role("tab", name="API rules").click()
            editor.get_by_role("button", name="Lock List/Search rule").click()
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            assert _api(server, "GET", "/api/collections/posts/records").status_code == 403
            assert _api(server, "GET", "/api/collections/posts/records", token).json()["totalItems"] == 4

            # ---- delete one, then bulk delete two ---------------------------------------------------
            table.get_by_text("from api", exact=True).click()
            form = page.get_by_test_id("record-editor")
            form.get_by_role("button", name="Delete").click()
            page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
            expect(table.get_by_text("from api", exact=True)).to_be_hidden()
            expect(table.locator("tbody tr")).to_have_count(3)
            for title in ("gamma", "beta edited"):
                row = table.locator("tbody tr", has_text=title)
                row.get_by_role("checkbox").check()
            expect(page.get_by_role("region", name="Bulk actions")).to_contain_text("2")
            page.get_by_role("button", name="Delete selected").click()
            page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
            expect(table.locator("tbody tr")).to_have_count(1)
            assert [r["title"] for r in _api(server, "GET", "/api/collections/posts/records", token).json()["items"]] == ["alpha"]

            # ---- backups: take one, change data, restore it ------------------------------------------
            page.get_by_role("link", name="Settings").click()
            page.get_by_role("link", name="Backups").click()
            expect(page.get_by_text("No backups yet")).to_be_visible()
            page.get_by_label("Backup name").fill("e2e_backup.zip")
            page.get_by_role("button", name="Create backup").click()
            backups = page.get_by_test_id("backups-list")
            expect(backups.get_by_text("e2e_backup.zip")).to_be_visible()
            shot(page, "backups")
            assert _api(server, "POST", "/api/collections/posts/records", token, json={"title": "after backup"}).status_code == 200
            backups.locator(".list-item", has_text="e2e_backup.zip").get_by_role("button", name="Restore").click()
            confirm = page.get_by_test_id("confirm")
            confirm.get_by_role("textbox").fill("e2e_backup.zip")
            # a progress panel while the server restores and restarts; the page reloads itself once
            # the restarted server answers
            with page.expect_event("load", timeout=90000):
                confirm.get_by_role("button", name="Restore").click()
                expect(page.get_by_test_id("progress")).to_contain_text("Restoring e2e_backup.zip")
            server.wait_healthy()
            deadline = time.monotonic() + 60
            titles_now: list[str] = []
            while time.monotonic() < deadline:
                try:
                    res = _api(server, "GET", "/api/collections/posts/records", token)
                    titles_now = [r["title"] for r in res.json()["items"]] if res.status_code == 200 else []
                    if titles_now == ["alpha"]:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.3)
            assert titles_now == ["alpha"], server.output()
            # the backups page again (reloaded): schedule, download and delete a backup
            backups = page.get_by_test_id("backups-list")
            page.get_by_label("Cron expression").fill("0 3 * * *")
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200 and _api(server, "GET", "/api/settings", token).json()["backups"]["cron"] == "0 3 * * *"
            with page.expect_download() as download:
                page.get_by_role("button", name="Download e2e_backup.zip").click()
            assert download.value.suggested_filename == "e2e_backup.zip"
            page.get_by_role("button", name="Delete e2e_backup.zip").click()
            page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
            expect(page.get_by_text("No backups yet")).to_be_visible()
            assert _api(server, "GET", "/api/backups", token).json() == []

            # ---- logs: chart, list with a filter, details ------------------------------------------
            page.goto(f"{server.base}/_/#/logs")
            expect(page.get_by_role("heading", name="Logs")).to_be_visible()
            logs = page.get_by_test_id("logs-table")
            expect(logs.locator("tbody tr").first).to_be_visible()
            expect(page.locator(".chart svg rect").first).to_be_attached()
            page.get_by_label("Filter logs").fill('data.url ~ "/api/collections/posts/records" && data.status = 403')
            page.get_by_label("Filter logs").press("Enter")
            # a request after the restore (the logs written before it went with the old data);
            # request logs are written in batches: refresh until it is there
            assert _api(server, "GET", "/api/collections/posts/records").status_code == 403
            for _ in range(60):
                with page.expect_response(lambda r: "/api/logs?" in r.url):
                    page.get_by_role("button", name="Refresh").click()
                page.wait_for_timeout(100)
                if logs.locator("tbody tr").count():
                    break
                time.sleep(0.5)
            expect(logs.locator("tbody tr").first).to_contain_text("/api/collections/posts/records")
            shot(page, "logs")
            logs.locator("tbody tr").first.click()
            detail = page.get_by_test_id("log-detail")
            expect(detail).to_contain_text("data.status")
            expect(detail).to_contain_text("403")
            page.keyboard.press("Escape")
            expect(detail).to_be_hidden()

            # ---- crons and settings screens answer ------------------------------------------------
            page.goto(f"{server.base}/_/#/settings/crons")
            crons = page.get_by_test_id("crons-list")
            expect(crons).to_be_visible()
            first_cron = crons.locator(".list-item code").first.inner_text()
            crons.get_by_role("button", name=f"Run {first_cron}").click()
            expect(page.get_by_text(f'Started "{first_cron}".')).to_be_visible()
            page.goto(f"{server.base}/_/#/settings/application")
            # NOTE: the stored name, not just any: a name typed before the form has loaded the
            # settings is overwritten by them (and "Acme" was saved instead, twice in CI): wait
            # for the page's requests to settle, and for the typed name to stay in the field.
            stored = _api(server, "GET", "/api/settings", token).json()["meta"]["appName"]
            expect(page.get_by_label("Application name")).to_have_value(stored)
            page.wait_for_load_state("networkidle")
            page.get_by_label("Application name").fill("E2E app")
            expect(page.get_by_label("Application name")).to_have_value("E2E app")
            page.get_by_role("button", name="Save changes").click()
            expect(page.get_by_text("Settings saved.")).to_be_visible()
            assert _api(server, "GET", "/api/settings", token).json()["meta"]["appName"] == "E2E app"
            shot(page, "settings")
            # trusted proxy headers, the batch API's limits, the superuser IP allowlist (a bad IP first)
            page.get_by_label("Trusted proxy headers").fill("X-Forwarded-For, X-Real-IP")
            page.get_by_label("Max requests in a batch").fill("20")
            page.get_by_label("Allowed superuser IPs").fill("127.0.0.1, not-an-ip")
            page.get_by_role("button", name="Save changes").click()
            expect(page.locator(".field.has-error .error-text")).to_be_visible()
            page.get_by_label("Allowed superuser IPs").fill("127.0.0.1, ::1")
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200
            settings = _api(server, "GET", "/api/settings", token).json()
            assert settings["trustedProxy"] == {"headers": ["X-Forwarded-For", "X-Real-IP"], "useLeftmostIP": False}
            assert settings["superuserIPs"] == ["127.0.0.1", "::1"] and settings["batch"]["maxRequests"] == 20
            # rate limits: a rule added, an excluded IP, enforced on the API
            page.get_by_role("link", name="Rate limits").click()
            page.get_by_label("Enable rate limiting").check()
            page.get_by_role("button", name="Add rule").click()
            page.get_by_label("Label", exact=True).last.fill("GET /api/health")
            page.get_by_label("Max requests", exact=True).last.fill("1")
            page.get_by_label("Interval", exact=True).last.fill("60")
            page.get_by_label("Audience", exact=True).last.select_option("@guest")
            page.get_by_label("Excluded IPs").fill("10.0.0.0/8")
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200
            limits = _api(server, "GET", "/api/settings", token).json()["rateLimits"]
            assert limits["enabled"] is True and limits["excludedIPs"] == ["10.0.0.0/8"]
            assert limits["rules"][-1] == {"label": "GET /api/health", "maxRequests": 1, "duration": 60, "audience": "@guest"}
            assert [_api(server, "GET", "/api/health").status_code for _ in range(2)] == [200, 429]
            page.get_by_label("Enable rate limiting").uncheck()
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH"):
                page.get_by_role("button", name="Save changes").click()

            # ---- duplicate a collection; choose the columns shown ---------------------------------
            page.goto(f"{server.base}/_/#/collections/posts")
            page.get_by_role("button", name="Edit collection").click()
            page.get_by_test_id("collection-editor").get_by_role("button", name="Duplicate").click()
            editor = page.get_by_role("dialog", name="Duplicate collection")
            expect(editor.get_by_label("Name", exact=True)).to_have_value("posts_duplicate")
            editor.get_by_role("button", name="Create", exact=True).click()
            expect(page).to_have_url(re.compile(r"#/collections/posts_duplicate"))
            copy = _api(server, "GET", "/api/collections/posts_duplicate", token).json()
            assert [f["name"] for f in copy["fields"]] == [f["name"] for f in schema["fields"]]
            assert copy["id"] != schema["id"]
            # its fields renamed, reordered and removed, an index added; then the collection deleted
            page.get_by_role("button", name="Edit collection").click()
            editor = page.get_by_test_id("collection-editor")
            editor.get_by_label("Field name").nth(1).fill("hits")
            editor.get_by_test_id("field-row").nth(3).get_by_role("button", name="Move up").click()
            editor.get_by_role("button", name="Remove field meta").click()
            editor.get_by_role("tab", name="Indexes").click()
            editor.get_by_role("button", name="Add index").click()
            editor.get_by_label("Index 1").fill("CREATE INDEX idx_dup_hits ON posts_duplicate (hits)")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            copy = _api(server, "GET", "/api/collections/posts_duplicate", token).json()
            assert [f["name"] for f in copy["fields"]] == ["id", "title", "hits", "status", "published", "publishedAt", "author", "cover", "place"]
            assert any("idx_dup_hits" in idx for idx in copy["indexes"]), copy["indexes"]
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("button", name="Delete").click()
            confirm = page.get_by_test_id("confirm")
            confirm.get_by_role("textbox").fill("posts_duplicate")
            confirm.get_by_role("button", name="Delete").click()
            expect(page.get_by_role("link", name="posts_duplicate", exact=True)).to_have_count(0)
            assert _api(server, "GET", "/api/collections/posts_duplicate", token).status_code == 404
            page.get_by_role("link", name="posts", exact=True).click()
            expect(table.get_by_role("columnheader", name="meta")).to_be_visible()
            page.get_by_role("button", name="Columns").click()
            page.get_by_role("group", name="Shown columns").get_by_label("meta").uncheck()
            expect(table.get_by_role("columnheader", name="meta")).to_be_hidden()
            page.reload()
            expect(table.get_by_role("columnheader", name="title")).to_be_visible()
            expect(table.get_by_role("columnheader", name="meta")).to_be_hidden()

            # ---- a view collection: its query, the inferred fields, its records ------------------------
            page.get_by_role("button", name="New collection").click()
            editor = page.get_by_test_id("collection-editor")
            editor.get_by_label("Name", exact=True).fill("post_views")
            editor.locator("select[name=type]").select_option("view")
            editor.get_by_label("Select query").fill("SELECT id, title, views FROM nosuchtable")
            editor.get_by_role("button", name="Create", exact=True).click()
            expect(editor.locator(".field.has-error .error-text")).to_be_visible()
            editor.get_by_label("Select query").fill("SELECT id, title, views, place FROM posts")
            editor.get_by_role("button", name="Create", exact=True).click()
            expect(editor).to_be_hidden()
            expect(page).to_have_url(re.compile(r"#/collections/post_views"))
            expect(table.locator("tbody tr")).to_have_count(1)
            expect(table.get_by_text("alpha", exact=True)).to_be_visible()
            expect(page.get_by_role("button", name="New record")).to_have_count(0)
            page.get_by_role("button", name="Edit collection").click()
            expect(editor).to_contain_text("Inferred fields: id (text), title (text), views (number), place (geoPoint)")
            editor.get_by_role("button", name="Cancel").click()
            view = _api(server, "GET", "/api/collections/post_views", token).json()
            assert view["type"] == "view" and [f["name"] for f in view["fields"]] == ["id", "title", "views", "place"]

            # ---- export and import collections --------------------------------------------------
            page.goto(f"{server.base}/_/#/settings/export")
            expect(page.get_by_label("Collections JSON")).to_have_value(re.compile(r'"name": "post_views"'))
            page.goto(f"{server.base}/_/#/settings/import")
            page.get_by_label("Collections JSON").fill("[{not json")
            expect(page.get_by_text("Invalid JSON.")).to_be_visible()
            page.get_by_label("Collections JSON").fill('[{"name": "imported", "type": "base", "fields": [{"name": "label", "type": "text"}]}]')
            page.get_by_role("button", name="Review").click()
            review = page.get_by_test_id("import-review")
            expect(review).to_contain_text("Added imported")
            review.get_by_role("button", name="Confirm and import").click()
            expect(page.get_by_text("Collections imported.")).to_be_visible()
            imported = _api(server, "GET", "/api/collections/imported", token)
            assert imported.status_code == 200 and [f["name"] for f in imported.json()["fields"]][-1] == "label"
            assert _api(server, "GET", "/api/collections/posts", token).status_code == 200

            # ---- the session survives a reload; sign out; sign in again -------------------------------
            page.goto(f"{server.base}/_/#/collections/posts")
            page.reload()
            expect(page.get_by_role("heading", name="posts")).to_be_visible()
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Superuser sign in")).to_be_visible()
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill("wrong-password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator(".alert-error")).to_be_visible()
            shot(page, "login")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"#/collections/"))
            page.reload()
            expect(page.get_by_role("link", name="posts", exact=True)).to_be_visible()

            # ---- a phone-sized screen: the same screens, stacked -----------------------------------
            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("link", name="posts", exact=True).click()
            expect(page.locator("header").get_by_role("button", name="New record")).to_be_in_viewport()
            expect(page.get_by_role("link", name="Settings")).to_be_in_viewport()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
            shot(page, "mobile")
            browser.close()
    finally:
        server.stop()
    # NOTE: failed requests the test provoked on purpose (a 400 filter, a 400 create, a 401 sign in)
    # are logged by the browser as "Failed to load resource"; anything else is a bug.
    unexpected = [e for e in console_errors if "Failed to load resource" not in e]
    assert not unexpected, unexpected


def test_dashboard_sign_in_with_mfa(tmp_path: Path, mailbox) -> None:  # noqa: F811 - the fixture
    """A superuser under MFA signs in with the password, then the code mailed to them."""
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    from tests.api.test_record_auth_otp import code_in
    from tests.testapp import start_server

    srv = start_server(tmp_path, None)
    try:
        su = srv.app.new_record("_superusers", {"email": EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        mailbox.configure(srv)
        token = requests.post(f"{srv.base_url}/api/collections/_superusers/auth-with-password",
                              json={"identity": EMAIL, "password": PASSWORD}, timeout=10).json()["token"]
        res = requests.patch(f"{srv.base_url}/api/collections/_superusers", headers={"Authorization": token},
                             json={"otp": {"enabled": True, "length": 6}, "mfa": {"enabled": True}}, timeout=10)
        assert res.status_code == 200, res.text
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{srv.base_url}/_/")
            expect(page.get_by_role("heading", name="Superuser sign in")).to_be_visible()
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text(f"Enter the code sent to {EMAIL}.")).to_be_visible()
            code = code_in(mailbox.wait_for(1)[0])
            page.get_by_label("One-time code").fill("000000" if code != "000000" else "111111")
            page.get_by_role("button", name="Verify code").click()
            expect(page.locator(".alert-error")).to_be_visible()
            page.get_by_label("One-time code").fill(code)
            page.get_by_role("button", name="Verify code").click()
            expect(page).to_have_url(re.compile(r"#/collections/"))
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            browser.close()
    finally:
        srv.stop()


def test_dashboard_auth_options_templates_and_backup_upload(tmp_path: Path) -> None:
    """Auth collection options and mail templates saved from the editor; a backup zip uploaded."""
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    from tests.testapp import start_server

    srv = start_server(tmp_path, None)
    try:
        su = srv.app.new_record("_superusers", {"email": EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        token = requests.post(f"{srv.base_url}/api/collections/_superusers/auth-with-password",
                              json={"identity": EMAIL, "password": PASSWORD}, timeout=10).json()["token"]
        headers = {"Authorization": token}
        # a backup zip to upload: made by the server, downloaded, then deleted there
        assert requests.post(f"{srv.base_url}/api/backups", json={"name": "made_here.zip"}, headers=headers, timeout=60).status_code == 204
        file_token = requests.post(f"{srv.base_url}/api/files/token", headers=headers, timeout=10).json()["token"]
        archive = requests.get(f"{srv.base_url}/api/backups/made_here.zip", params={"token": file_token}, timeout=60)
        assert archive.status_code == 200 and archive.content[:2] == b"PK"
        assert requests.delete(f"{srv.base_url}/api/backups/made_here.zip", headers=headers, timeout=10).status_code == 204
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{srv.base_url}/_/#/login")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"#/collections/users"))
            page.get_by_role("button", name="Edit collection").click()
            editor = page.get_by_test_id("collection-editor")
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_label("One-time password (OTP) sign-in").check()
            editor.get_by_label("OTP length").fill("8")
            editor.get_by_label("OTP duration (s)").fill("120")
            editor.get_by_label("Multi-factor authentication (MFA)").check()
            editor.get_by_label("MFA rule").fill("nosuchfield = 1")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor.locator(".field.has-error .error-text")).to_be_visible()
            editor.get_by_label("MFA rule").fill("verified = true")
            editor.get_by_label("Auth token duration (s)").fill("3600")
            editor.get_by_label("MFA duration (s)").fill("900")
            editor.get_by_label("Identity fields").fill("email, name")
            editor.get_by_label("Send a login alert email").uncheck()
            editor.get_by_role("button", name="Verification template").click()
            editor.get_by_label("Verification subject").fill("Welcome to {APP_NAME}")
            editor.get_by_role("button", name="Save changes").click()
            # a name identity needs a unique index: the error shows, then the index is added
            expect(editor.get_by_label("Identity fields").locator("xpath=ancestor::div[contains(@class, 'field')][1]")).to_have_class(re.compile("has-error"))
            editor.get_by_role("tab", name="Indexes").click()
            editor.get_by_role("button", name="Add index").click()
            editor.get_by_label("Index 3").fill("CREATE UNIQUE INDEX idx_users_name ON users (name) WHERE name != ''")
            editor.get_by_role("tab", name="API rules").click()
            editor.get_by_role("textbox", name="Auth rule").fill("verified = true")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            users = requests.get(f"{srv.base_url}/api/collections/users", headers=headers, timeout=10).json()
            assert users["otp"]["enabled"] is True and users["otp"]["length"] == 8 and users["otp"]["duration"] == 120
            assert users["passwordAuth"]["identityFields"] == ["email", "name"] and users["authAlert"]["enabled"] is False
            assert users["authRule"] == "verified = true" and users["mfa"]["duration"] == 900
            assert users["mfa"]["enabled"] is True and users["mfa"]["rule"] == "verified = true" and users["authToken"]["duration"] == 3600
            assert users["verificationTemplate"]["subject"] == "Welcome to {APP_NAME}"
            # an empty subject is refused: the error shows under it, the editor stays open
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_role("button", name="Verification template").click()
            editor.get_by_label("Verification subject").fill("")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor.locator(".field.has-error .error-text")).to_be_visible()
            editor.get_by_role("button", name="Cancel").click()

            # OAuth2: a provider needs its secret (shown inline); a later save keeps it
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_label("OAuth2 sign-in").check()
            editor.get_by_label("New OAuth2 provider").select_option("github")
            editor.get_by_role("button", name="Add provider").click()
            editor.get_by_label("github client ID").fill("gh-client")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor.get_by_test_id("oauth2-provider").locator(".error-text")).to_be_visible()
            editor.get_by_label("github client secret").fill("gh-secret")
            editor.get_by_label("OAuth2 name field").select_option("name")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            users = requests.get(f"{srv.base_url}/api/collections/users", headers=headers, timeout=10).json()
            assert users["oauth2"]["enabled"] is True
            assert [(p["name"], p["clientId"]) for p in users["oauth2"]["providers"]] == [("github", "gh-client")]
            assert users["oauth2"]["mappedFields"]["name"] == "name"
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_label("OTP length").fill("7")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            users = requests.get(f"{srv.base_url}/api/collections/users", headers=headers, timeout=10).json()
            assert users["otp"]["length"] == 7 and [p["name"] for p in users["oauth2"]["providers"]] == ["github"]
            # the secret, never shown, was not sent again and is kept
            assert srv.app.find_collection("users").auth["oauth2"]["providers"][0]["clientSecret"] == "gh-secret"
            methods = requests.get(f"{srv.base_url}/api/collections/users/auth-methods", timeout=10).json()
            assert [p["name"] for p in methods["oauth2"]["providers"]] == ["github"]
            # an OpenID Connect provider with its JWKS URL, issuers and PKCE choice
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_label("New OAuth2 provider").select_option("oidc")
            editor.get_by_role("button", name="Add provider").click()
            editor.get_by_label("oidc client ID").fill("oidc-client")
            editor.get_by_label("oidc client secret").fill("oidc-secret")
            editor.get_by_label("oidc auth URL").fill("https://id.example.com/auth")
            editor.get_by_label("oidc token URL").fill("https://id.example.com/token")
            editor.get_by_label("oidc JWKS URL").fill("https://id.example.com/jwks")
            editor.get_by_label("oidc issuers").fill("https://id.example.com, https://other.example.com")
            editor.get_by_label("oidc PKCE").select_option("off")
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            users = requests.get(f"{srv.base_url}/api/collections/users", headers=headers, timeout=10).json()
            oidc = next(p for p in users["oauth2"]["providers"] if p["name"] == "oidc")
            assert oidc["extra"] == {"jwksURL": "https://id.example.com/jwks", "issuers": ["https://id.example.com", "https://other.example.com"]}
            assert oidc["pkce"] is False and oidc["clientId"] == "oidc-client"
            # Apple: the client secret generated from a private key (a bad key shows the error)
            page.get_by_role("button", name="Edit collection").click()
            editor.get_by_role("tab", name="Auth options").click()
            editor.get_by_label("New OAuth2 provider").select_option("apple")
            editor.get_by_role("button", name="Add provider").click()
            editor.get_by_label("apple client ID").fill("com.example.web")
            editor.get_by_role("button", name="Generate client secret").click()
            apple = page.get_by_test_id("apple-secret")
            expect(apple.get_by_label("Apple client ID")).to_have_value("com.example.web")
            expect(apple.get_by_label("Duration (s)")).to_have_value("15777000")
            apple.get_by_label("Apple team ID").fill("TEAM123456")
            apple.get_by_label("Apple key ID").fill("KEY1234567")
            apple.get_by_label("Private key").fill("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----")
            apple.get_by_role("button", name="Generate and set secret").click()
            expect(apple.get_by_role("alert")).to_contain_text("Failed to generate client secret")
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
            apple.get_by_label("Private key").fill(pem)
            apple.get_by_role("button", name="Generate and set secret").click()
            expect(apple).to_be_hidden()
            secret = editor.get_by_label("apple client secret").input_value()
            claims = pyjwt.decode(secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com")
            assert claims["iss"] == "TEAM123456" and claims["sub"] == "com.example.web"
            assert pyjwt.get_unverified_header(secret)["kid"] == "KEY1234567"
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            stored = next(p for p in srv.app.find_collection("users").auth["oauth2"]["providers"] if p["name"] == "apple")
            assert stored["clientSecret"] == secret

            # a collection of 65 records: pages of 30 asked with skipTotal, the total counted apart
            assert requests.post(f"{srv.base_url}/api/collections", headers=headers, timeout=10, json={
                "name": "items", "fields": [{"name": "n", "type": "number"}]}).status_code == 200
            for n in range(65):
                srv.app.save(srv.app.new_record("items", {"n": n}))
            asked: list[str] = []
            page.on("request", lambda r: "/api/collections/items/records" in r.url and asked.append(r.url))
            # (the open page's collections list predates items: it asks the list again)
            page.goto(f"{srv.base_url}/_/#/collections/items?sort=n")
            pages = page.get_by_role("navigation", name="Pagination")
            expect(pages).to_contain_text("65 total")
            expect(pages).to_contain_text("Page 1 of 3")
            pages.get_by_role("button", name="Next").click()
            expect(pages).to_contain_text("Page 2 of 3")
            expect(page.get_by_test_id("records-table").locator("tbody tr").first).to_contain_text("30")
            lists = [u for u in asked if "perPage=30" in u]
            assert len(lists) == 2 and all("skipTotal=true" in u for u in lists), asked
            assert len([u for u in asked if "perPage=1&" in u or u.endswith("perPage=1")]) == 1, asked

            # the SQL console: a read's rows (NULL shown apart), an error, a confirmed write
            page.get_by_role("link", name="SQL").click()
            query = page.get_by_label("SQL statement")
            query.fill("SELECT n, NULL AS missing FROM items ORDER BY n LIMIT 3")
            query.press("Control+Enter")
            result = page.get_by_test_id("sql-result")
            expect(result.locator("tbody tr")).to_have_count(3)
            expect(result.locator("thead")).to_contain_text("missing")
            expect(result.locator(".sql-null")).to_have_count(3)
            expect(result.locator("tbody tr").first.locator("td").first).to_have_text("0")
            query.fill("SELECT * FROM nosuchtable")
            page.get_by_role("button", name="Run", exact=True).click()
            expect(page.get_by_role("alert")).to_contain_text("no such table")
            query.fill("UPDATE items SET n = 1000 WHERE n = 0")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_test_id("confirm").get_by_role("button", name="Run").click()
            expect(page.get_by_test_id("sql-summary")).to_contain_text("1 row affected")
            changed = requests.get(f"{srv.base_url}/api/collections/items/records", params={"filter": "n = 1000"}, headers=headers, timeout=10).json()
            assert changed["totalItems"] == 1

            page.goto(f"{srv.base_url}/_/#/logs")
            page.get_by_role("button", name="Logs settings").click()
            dialog = page.get_by_test_id("logs-settings")
            dialog.get_by_label("Max days retention").fill("3")
            dialog.get_by_label("Log the IP addresses").uncheck()
            dialog.get_by_role("button", name="Save changes").click()
            expect(dialog).to_be_hidden()
            logs_settings = requests.get(f"{srv.base_url}/api/settings", headers=headers, timeout=10).json()["logs"]
            assert logs_settings["maxDays"] == 3 and logs_settings["logIP"] is False

            page.goto(f"{srv.base_url}/_/#/settings/backups")
            expect(page.get_by_text("No backups yet")).to_be_visible()
            page.get_by_label("Upload a backup").set_input_files({"name": "uploaded.zip", "mimeType": "application/zip", "buffer": archive.content})
            expect(page.get_by_test_id("backups-list").get_by_text("uploaded.zip")).to_be_visible()
            browser.close()
        listed = requests.get(f"{srv.base_url}/api/backups", headers=headers, timeout=10).json()
        assert [b["key"] for b in listed] == ["uploaded.zip"]
    finally:
        srv.stop()


def test_dashboard_pages_the_auth_mails_link_to(tmp_path: Path, mailbox) -> None:  # noqa: F811 - the fixture
    """The default mail templates link to /_/#/auth/...: verification, password reset, email change."""
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    from tests.mailbox import html_of
    from tests.testapp import start_server

    def link_in(message) -> str:
        found = re.search(r'href="([^"]*/_/#/auth/[^"]+)"', html_of(message))
        assert found, html_of(message)[:500]
        return found.group(1)

    srv = start_server(tmp_path, None)
    try:
        for collection, email in (("_superusers", EMAIL), ("users", "user@example.com")):
            record = srv.app.new_record(collection, {"email": email})
            record.set_password_plain("password", PASSWORD)
            srv.app.save(record)
        mailbox.configure(srv, appURL=srv.base_url)
        users = f"{srv.base_url}/api/collections/users"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)

            assert requests.post(f"{users}/request-verification", json={"email": "user@example.com"}, timeout=10).status_code == 204
            page.goto(link_in(mailbox.wait_for(1)[0]))
            expect(page.get_by_role("heading", name="Email verified")).to_be_visible()
            auth = requests.post(f"{users}/auth-with-password", json={"identity": "user@example.com", "password": PASSWORD}, timeout=10).json()
            assert auth["record"]["verified"] is True

            assert requests.post(f"{users}/request-password-reset", json={"email": "user@example.com"}, timeout=10).status_code == 204
            page.goto(link_in(mailbox.wait_for(2)[1]))
            page.get_by_label("New password", exact=True).fill("a-new-password-1")
            page.get_by_label("New password confirm").fill("a-new-password-2")
            page.get_by_role("button", name="Set new password").click()
            expect(page.locator(".field.has-error .error-text")).to_be_visible()
            page.get_by_label("New password confirm").fill("a-new-password-1")
            page.get_by_role("button", name="Set new password").click()
            expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
            auth = requests.post(f"{users}/auth-with-password", json={"identity": "user@example.com", "password": "a-new-password-1"}, timeout=10)
            assert auth.status_code == 200, auth.text

            change = requests.post(f"{users}/request-email-change", json={"newEmail": "renamed@example.com"},
                                   headers={"Authorization": auth.json()["token"]}, timeout=10)
            assert change.status_code == 204, change.text
            page.goto(link_in(mailbox.wait_for(3)[2]))
            expect(page.get_by_text("Change your email to renamed@example.com.")).to_be_visible()
            page.get_by_label("Your password").fill("a-new-password-1")
            page.get_by_role("button", name="Confirm new email").click()
            expect(page.get_by_role("heading", name="Email changed")).to_be_visible()
            auth = requests.post(f"{users}/auth-with-password", json={"identity": "renamed@example.com", "password": "a-new-password-1"}, timeout=10)
            assert auth.status_code == 200, auth.text

            page.goto(f"{srv.base_url}/_/#/auth/oauth2-redirect-success")
            expect(page.get_by_role("heading", name="Authentication completed")).to_be_visible()
            # NOTE: a fresh load, not a hash-only change of the page already open (that raced
            # with the router once in CI)
            page.goto("about:blank")
            page.goto(f"{srv.base_url}/_/#/auth/oauth2-redirect-failure")
            expect(page.get_by_role("heading", name="Authentication failed")).to_be_visible()
            page.goto(f"{srv.base_url}/_/#/auth/confirm-password-reset/not-a-token")
            expect(page.get_by_role("heading", name="Invalid or expired link")).to_be_visible()

            # a superuser's forgotten password, from the sign-in page
            page.goto(f"{srv.base_url}/_/#/login")
            page.get_by_role("link", name="Forgotten password?").click()
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_role("button", name="Send the reset link").click()
            expect(page.get_by_text(f"If {EMAIL} is a superuser's, a reset link is on its way.")).to_be_visible()
            assert "/_/#/auth/confirm-password-reset/" in link_in(mailbox.wait_for(4)[3])
            browser.close()
    finally:
        srv.stop()


def test_dashboard_mail_and_storage_settings(tmp_path: Path, mailbox, moto_endpoint) -> None:  # noqa: F811 - fixtures
    """SMTP settings and a test mail to a real SMTP server; S3 settings tested against moto's S3."""
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    from tests.s3_server import make_bucket
    from tests.testapp import start_server

    make_bucket(moto_endpoint, "dashboard-files")
    srv = start_server(tmp_path, None)
    try:
        su = srv.app.new_record("_superusers", {"email": EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{srv.base_url}/_/#/login")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"#/collections/"))

            page.goto(f"{srv.base_url}/_/#/settings/mail")
            page.get_by_label("Sender address").fill("support@acme.test")
            page.get_by_label("Use an SMTP mail server").check()
            page.get_by_label("SMTP host").fill("127.0.0.1")
            page.get_by_label("Port").fill(str(mailbox.port))
            page.get_by_role("button", name="Save changes").click()
            expect(page.get_by_text("Settings saved.")).to_be_visible()
            page.get_by_role("button", name="Send a test email").click()
            page.get_by_label("To email address").fill("someone@example.com")
            page.get_by_role("button", name="Send", exact=True).click()
            expect(page.get_by_text("Test email sent.")).to_be_visible()
            message = mailbox.wait_for(1)[0]
            assert message["To"] == "someone@example.com" and "support@acme.test" in message["From"]

            page.goto(f"{srv.base_url}/_/#/settings/storage")
            page.get_by_label("Use S3 storage").check()
            page.get_by_label("Endpoint").fill(moto_endpoint)
            page.get_by_label("Bucket").fill("dashboard-files")
            page.get_by_label("Region").fill("us-east-1")
            page.get_by_label("Access key").fill("testing")
            page.get_by_label("Secret").fill("testing")
            page.get_by_label("Force path-style addressing").check()
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200
            page.get_by_role("button", name="Test the S3 connection").click()
            expect(page.get_by_text("S3 connection succeeded.")).to_be_visible()
            page.get_by_label("Bucket").fill("no-such-bucket")
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200
            page.get_by_role("button", name="Test the S3 connection").click()
            expect(page.locator(".toast-error")).to_be_visible()

            # the accent color recolors the dashboard; hidden controls hide collection create and edit
            page.goto(f"{srv.base_url}/_/#/settings/application")
            page.locator("input[name=accentColor]").fill("#7c3aed")
            page.get_by_label("Hide collection create and edit controls").check()
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                page.get_by_role("button", name="Save changes").click()
            assert saved.value.status == 200
            primary = "getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()"
            page.wait_for_function(f"{primary} === 'rgb(124 58 237)'")
            page.get_by_role("link", name="Collections", exact=True).click()
            expect(page.get_by_role("heading", name="users")).to_be_visible()
            expect(page.get_by_role("button", name="New collection")).to_have_count(0)
            expect(page.get_by_role("button", name="Edit collection")).to_have_count(0)
            page.reload()
            expect(page.get_by_role("heading", name="users")).to_be_visible()
            assert page.evaluate(primary) == "rgb(124 58 237)"
            browser.close()
        token = requests.post(f"{srv.base_url}/api/collections/_superusers/auth-with-password",
                              json={"identity": EMAIL, "password": PASSWORD}, timeout=10).json()["token"]
        s3 = requests.get(f"{srv.base_url}/api/settings", headers={"Authorization": token}, timeout=10).json()["s3"]
        assert s3["enabled"] is True and s3["bucket"] == "no-such-bucket" and s3["endpoint"] == moto_endpoint
        meta = requests.get(f"{srv.base_url}/api/settings", headers={"Authorization": token}, timeout=10).json()["meta"]
        assert meta["accentColor"] == "#7c3aed" and meta["hideControls"] is True
    finally:
        srv.stop()


def _held(page, routes: list, what: str) -> None:
    """Wait until the page's request ``what`` is held by a route handler (bounded)."""
    for _ in range(300):
        if routes:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{what} was never sent")


def test_dashboard_settings_keep_what_the_user_typed_when_an_answer_lands_late(tmp_path: Path) -> None:
    """A settings answer landing late (held by ``page.route``) never replaces what was typed.

    The form is not editable until the settings have loaded; an answer to a save that lands after
    the user typed more keeps the newer text (still unsaved: Save stays on). Every settings form
    (application, mail, storage, backups, rate limits) loads and saves through the same code.
    """
    executable = _require_browser()
    from playwright.sync_api import expect, sync_playwright

    from tests.testapp import start_server

    srv = start_server(tmp_path, None)
    try:
        su = srv.app.new_record("_superusers", {"email": EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        settings = srv.app.settings()
        settings["meta"]["appName"] = "Stored name"
        srv.app.save_settings(settings)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(f"{srv.base_url}/_/#/login")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"#/collections/"))
            name = page.get_by_label("Application name")

            # the load held: nothing to type into until it lands, then the stored name
            loads: list = []
            page.route(re.compile(r"/api/settings$"), lambda route: loads.append(route) if route.request.method == "GET" else route.continue_())
            page.goto(f"{srv.base_url}/_/#/settings/application")
            _held(page, loads, "the settings load")
            expect(page.get_by_text("Loading…")).to_be_visible()
            expect(name).to_have_count(0)
            loads.pop().continue_()
            expect(name).to_have_value("Stored name")
            page.unroute(re.compile(r"/api/settings$"))

            # a save's answer held while more is typed: the newer text stays, still to be saved
            saves: list = []
            page.route(re.compile(r"/api/settings$"), lambda route: saves.append(route) if route.request.method == "PATCH" else route.continue_())
            name.fill("Typed first")
            page.get_by_role("button", name="Save changes").click()
            _held(page, saves, "the save")
            name.fill("Typed while saving")
            saves.pop().continue_()
            expect(page.get_by_text("Settings saved.")).to_be_visible()
            assert srv.app.settings()["meta"]["appName"] == "Typed first"
            expect(name).to_have_value("Typed while saving")
            save = page.get_by_role("button", name="Save changes")
            expect(save).to_be_enabled()
            page.unroute(re.compile(r"/api/settings$"))
            with page.expect_response(lambda r: "/api/settings" in r.url and r.request.method == "PATCH") as saved:
                save.click()
            assert saved.value.status == 200
            assert srv.app.settings()["meta"]["appName"] == "Typed while saving"
            expect(name).to_have_value("Typed while saving")
            expect(save).to_be_disabled()
            browser.close()
    finally:
        srv.stop()
