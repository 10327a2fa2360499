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
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.dashboard_session import CHROMIUM_ARGS, EMAIL, PASSWORD, TIMEOUT_MS, require_browser

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONUNBUFFERED": "1"}
LINK = re.compile(r"http://127\.0\.0\.1:\d+/_/#/pbinstall/[\w-]+\.[\w-]+\.[\w-]+")


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
    # NOTE: "bob@", not "bo": the picker also searches the ids (text fields), and a random id
    # holds "bo" about once in a hundred (two options were shown, once in CI)
    form.get_by_label("Search users").fill("bob@")
    picker = form.get_by_test_id("picker-author")
    expect(picker.get_by_role("option")).to_have_count(1)
    picker.get_by_role("button", name=re.compile("^bob@example.com")).click()
    expect(form.locator(f".relation .chip[title='{related_id}']")).to_have_text(re.compile(r"^bob@example\.com"))


def test_dashboard_end_to_end(tmp_path: Path) -> None:
    executable = require_browser()
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
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
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
            # NOTE: what the page sends, for the failure's message ("Acme" was read back once
            # more in CI after this save; the cause is not known yet)
            sent: list[str] = []
            page.on("request", lambda r: r.method == "PATCH" and "/api/settings" in r.url and sent.append(r.post_data or ""))
            page.get_by_label("Application name").fill("E2E app")
            expect(page.get_by_label("Application name")).to_have_value("E2E app")
            page.get_by_role("button", name="Save changes").click()
            expect(page.get_by_text("Settings saved.")).to_be_visible()
            read_back = _api(server, "GET", "/api/settings", token).json()["meta"]["appName"]
            assert read_back == "E2E app", (read_back, sent, _api(server, "GET", "/api/settings", token).json()["meta"]["appName"])
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
