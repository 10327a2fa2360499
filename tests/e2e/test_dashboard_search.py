"""The dashboard and full-text search in headless Chromium: a field made searchable in the
collection editor (the toggle shown on text-like fields only), then the records page's "Full-text
search" box listing the matching records, most relevant first, with the filter beside it.
Signs in through tests/e2e/dashboard_session.py (its skips).
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from tests.e2e.dashboard_session import (
    browser_page,
    require_browser,
    sign_in,
    superuser_server,
    superuser_token,
)

ARTICLES = [
    {"title": "Sourdough basics", "body": "flour water salt", "stars": 1},
    {"title": "Rye bread", "body": "sourdough starter with rye flour, more sourdough", "stars": 2},
    {"title": "Pasta", "body": "eggs and flour", "stars": 3},
    {"title": "Café notes", "body": "espresso", "stars": 4},
]


def test_dashboard_full_text_search(tmp_path: Path) -> None:
    executable = require_browser()
    from playwright.sync_api import expect

    with superuser_server(tmp_path) as srv:
        auth = {"Authorization": superuser_token(srv)}
        res = requests.post(f"{srv.base_url}/api/collections", headers=auth, timeout=10, json={
            "name": "articles", "type": "base", "listRule": "", "viewRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "body", "type": "text"}, {"name": "stars", "type": "number"}],
        })
        assert res.status_code == 200, res.text
        for article in ARTICLES:
            created = requests.post(f"{srv.base_url}/api/collections/articles/records", json=article, headers=auth, timeout=10)
            assert created.status_code == 200, created.text

        with browser_page(executable) as page:
            sign_in(page, srv.base_url)
            page.goto(f"{srv.base_url}/_/#/collections/articles")
            table = page.get_by_test_id("records-table")
            expect(table.get_by_text("Pasta", exact=True)).to_be_visible()
            # no searchable field yet: only the filter box
            expect(page.get_by_label("Full-text search")).to_have_count(0)

            # ---- the title and body made searchable in the collection editor ---------------------
            page.get_by_role("button", name="Edit collection").click()
            editor = page.get_by_test_id("collection-editor")
            rows = editor.get_by_test_id("field-row")
            expect(rows.first).to_be_visible()
            # NOTE: a field's name is the value property of its input (no attribute to select by)
            by_name = {rows.nth(i).get_by_label("Field name").input_value(): rows.nth(i) for i in range(rows.count())}
            for name in ("title", "body"):
                by_name[name].get_by_role("button", name="Options").click()
                by_name[name].get_by_label("Searchable (full-text)").check()
            number_row = by_name["stars"]
            number_row.get_by_role("button", name="Options").click()
            expect(number_row.get_by_label("Searchable (full-text)")).to_have_count(0)  # not a text field
            editor.get_by_role("button", name="Save changes").click()
            expect(editor).to_be_hidden()
            fields = requests.get(f"{srv.base_url}/api/collections/articles", headers=auth, timeout=10).json()["fields"]
            assert {f["name"]: f.get("searchable") for f in fields if f["name"] in ("title", "body", "stars")} == {
                "title": True, "body": True, "stars": None}

            # ---- searching: every word as a word's start, accents ignored, most relevant first ---
            search = page.get_by_label("Full-text search")
            search.fill("sourd flo")
            page.get_by_role("button", name="Search").click()
            expect(page).to_have_url(re.compile(r"search=sourd"))
            expect(table.locator("tbody tr")).to_have_count(2)
            expect(table.get_by_text("Pasta", exact=True)).to_have_count(0)
            # no sort chosen: the server's order, the most relevant first
            ranked = requests.get(f"{srv.base_url}/api/collections/articles/records", params={"search": "sourd flo"}, timeout=10).json()
            # NOTE: the shorter record ranks first (bm25), the reverse of the page's usual -created
            assert [item["title"] for item in ranked["items"]] == ["Sourdough basics", "Rye bread"]
            expect(table.locator("tbody tr").first).to_contain_text(ranked["items"][0]["title"])
            expect(table.locator("tbody tr").last).to_contain_text(ranked["items"][1]["title"])

            search.fill("cafe")
            page.get_by_role("button", name="Search").click()
            expect(table.locator("tbody tr")).to_have_count(1)
            expect(table.get_by_text("Café notes", exact=True)).to_be_visible()

            # with the filter beside it, then nothing found, then cleared
            search.fill("flour")
            page.get_by_label("Filter").fill("stars >= 2")
            page.get_by_role("button", name="Search").click()
            expect(table.locator("tbody tr")).to_have_count(2)
            expect(table.get_by_text("Sourdough basics", exact=True)).to_have_count(0)
            search.fill("nothingmatches")
            page.get_by_role("button", name="Search").click()
            expect(page.get_by_text("No records match the filter")).to_be_visible()
            page.get_by_role("button", name="Clear filter").click()
            expect(table.locator("tbody tr")).to_have_count(len(ARTICLES))
            expect(search).to_have_value("")
