"""The admin dashboard in headless Chromium, continued: MFA sign-in, auth options and mail
templates, the pages the auth mails link to, mail and storage settings, and settings forms that
keep what the user typed. Split from tests/e2e/test_dashboard.py so xdist runs the two files'
browsers side by side; the sign-in and skips are tests/e2e/dashboard_session.py's.
"""

from __future__ import annotations

import re
from pathlib import Path

import jwt as pyjwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.dashboard_session import (
    EMAIL,
    PASSWORD,
    TIMEOUT_MS,
    browser_page,
    fill_sign_in,
    require_browser,
    sign_in,
    superuser_server,
    superuser_token,
)
from tests.s3_server import moto_endpoint  # noqa: F401 - fixture


def test_dashboard_sign_in_with_mfa(tmp_path: Path, mailbox) -> None:  # noqa: F811 - the fixture
    """A superuser under MFA signs in with the password, then the code mailed to them."""
    executable = require_browser()
    from playwright.sync_api import expect

    from tests.api.test_record_auth_otp import code_in

    with superuser_server(tmp_path) as srv:
        mailbox.configure(srv)
        token = superuser_token(srv)
        res = requests.patch(f"{srv.base_url}/api/collections/_superusers", headers={"Authorization": token},
                             json={"otp": {"enabled": True, "length": 6}, "mfa": {"enabled": True}}, timeout=10)
        assert res.status_code == 200, res.text
        with browser_page(executable) as page:
            page.goto(f"{srv.base_url}/_/")
            expect(page.get_by_role("heading", name="Superuser sign in")).to_be_visible()
            fill_sign_in(page)
            expect(page.get_by_text(f"Enter the code sent to {EMAIL}.")).to_be_visible()
            code = code_in(mailbox.wait_for(1)[0])
            page.get_by_label("One-time code").fill("000000" if code != "000000" else "111111")
            page.get_by_role("button", name="Verify code").click()
            expect(page.locator(".alert-error")).to_be_visible()
            page.get_by_label("One-time code").fill(code)
            page.get_by_role("button", name="Verify code").click()
            expect(page).to_have_url(re.compile(r"#/collections/"))
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_dashboard_auth_options_templates_and_backup_upload(tmp_path: Path) -> None:
    """Auth collection options and mail templates saved from the editor; a backup zip uploaded."""
    executable = require_browser()
    from playwright.sync_api import expect

    with superuser_server(tmp_path) as srv:
        headers = {"Authorization": superuser_token(srv)}
        # a backup zip to upload: made by the server, downloaded, then deleted there
        assert requests.post(f"{srv.base_url}/api/backups", json={"name": "made_here.zip"}, headers=headers, timeout=60).status_code == 204
        file_token = requests.post(f"{srv.base_url}/api/files/token", headers=headers, timeout=10).json()["token"]
        archive = requests.get(f"{srv.base_url}/api/backups/made_here.zip", params={"token": file_token}, timeout=60)
        assert archive.status_code == 200 and archive.content[:2] == b"PK"
        assert requests.delete(f"{srv.base_url}/api/backups/made_here.zip", headers=headers, timeout=10).status_code == 204
        with browser_page(executable) as page:
            sign_in(page, srv.base_url)
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
        listed = requests.get(f"{srv.base_url}/api/backups", headers=headers, timeout=10).json()
        assert [b["key"] for b in listed] == ["uploaded.zip"]


def test_dashboard_pages_the_auth_mails_link_to(tmp_path: Path, mailbox) -> None:  # noqa: F811 - the fixture
    """The default mail templates link to /_/#/auth/...: verification, password reset, email change."""
    executable = require_browser()
    from playwright.sync_api import expect

    from tests.mailbox import html_of

    def link_in(message) -> str:
        found = re.search(r'href="([^"]*/_/#/auth/[^"]+)"', html_of(message))
        assert found, html_of(message)[:500]
        return found.group(1)

    with superuser_server(tmp_path) as srv:
        user = srv.app.new_record("users", {"email": "user@example.com"})
        user.set_password_plain("password", PASSWORD)
        srv.app.save(user)
        mailbox.configure(srv, appURL=srv.base_url)
        users = f"{srv.base_url}/api/collections/users"
        with browser_page(executable) as page:
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


def test_dashboard_mail_and_storage_settings(tmp_path: Path, mailbox, moto_endpoint) -> None:  # noqa: F811 - fixtures
    """SMTP settings and a test mail to a real SMTP server; S3 settings tested against moto's S3."""
    executable = require_browser()
    from playwright.sync_api import expect

    from tests.s3_server import make_bucket

    make_bucket(moto_endpoint, "dashboard-files")
    with superuser_server(tmp_path) as srv:
        with browser_page(executable) as page:
            sign_in(page, srv.base_url)

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
            # NOTE: the first S3 call of a worker loads boto3 and connects to moto: over 5 s in a
            # loaded CI run (no answer yet, neither toast shown), so a longer wait here
            expect(page.get_by_text("S3 connection succeeded.")).to_be_visible(timeout=30_000)
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
        token = superuser_token(srv)
        s3 = requests.get(f"{srv.base_url}/api/settings", headers={"Authorization": token}, timeout=10).json()["s3"]
        assert s3["enabled"] is True and s3["bucket"] == "no-such-bucket" and s3["endpoint"] == moto_endpoint
        meta = requests.get(f"{srv.base_url}/api/settings", headers={"Authorization": token}, timeout=10).json()["meta"]
        assert meta["accentColor"] == "#7c3aed" and meta["hideControls"] is True


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
    executable = require_browser()
    from playwright.sync_api import expect

    with superuser_server(tmp_path) as srv:
        settings = srv.app.settings()
        settings["meta"]["appName"] = "Stored name"
        srv.app.save_settings(settings)
        with browser_page(executable) as page:
            expect.set_options(timeout=TIMEOUT_MS)
            sign_in(page, srv.base_url)
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
