"""What the dashboard's browser tests share: the superuser, headless Chromium, the sign-in form.

A test serves a fresh data dir holding one superuser (:func:`superuser_server`), opens a page
in headless Chromium (:func:`browser_page`) and signs in through the dashboard's form
(:func:`sign_in`). Chromium or the Python ``playwright`` package missing skips a test
(:func:`require_browser`), failing it instead under ``CI=true``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.needed import missing
from tests.testapp import TestServer, start_server

EMAIL = "admin@example.com"
PASSWORD = "1234567890"
TIMEOUT_MS = 15000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """Debian's chromium (or $PYBASE_CHROMIUM)."""
    return os.environ.get("PYBASE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """Chromium's path; skips the test (fails it under CI) when it or playwright is missing."""
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
    missing(reason)


@contextmanager
def superuser_server(tmp_path: Path) -> Iterator[TestServer]:
    """A pybase serving an empty data dir with the superuser EMAIL / PASSWORD; stopped after."""
    srv = start_server(tmp_path, None)
    try:
        su = srv.app.new_record("_superusers", {"email": EMAIL})
        su.set_password_plain("password", PASSWORD)
        srv.app.save(su)
        yield srv
    finally:
        srv.stop()


def superuser_token(srv: TestServer) -> str:
    """The superuser's token, signed in through the API."""
    res = requests.post(f"{srv.base_url}/api/collections/_superusers/auth-with-password",
                        json={"identity": EMAIL, "password": PASSWORD}, timeout=10)  # fmt: skip
    assert res.status_code == 200, res.text
    return str(res.json()["token"])


@contextmanager
def browser_page(executable: str) -> Iterator[Any]:
    """A page of a headless Chromium (``executable``: :func:`require_browser`), its default
    timeout TIMEOUT_MS."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
        browser.close()


def fill_sign_in(page: Any) -> None:
    """Send the sign-in form the page shows with EMAIL / PASSWORD."""
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Any, base_url: str) -> None:
    """Sign in as the superuser through the dashboard's form; returns on the collections page."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/_/#/login")
    fill_sign_in(page)
    expect(page).to_have_url(re.compile(r"#/collections/"))
