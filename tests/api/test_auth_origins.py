"""``_authOrigins`` and the new-location login alert (issue 12), as PocketBase: each sign-in
records the client's fingerprint; a sign-in from a new one mails an alert (never the first
sign-in); the 5 most recent origins are kept. The mail is read from a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from pybase.core.auth_origins import fingerprint
from pybase.core.mail import mail_queue
from tests import testapp
from tests.mailbox import Mailbox, html_of
from tests.testapp import PASSWORD, USER1_EMAIL, USER1_ID

pytestmark = pytest.mark.both_backends

USERS = "/api/collections/users"


def _sign_in(server: testapp.TestServer, agent: str, password: str = PASSWORD) -> Any:
    resp = server.request("POST", f"{USERS}/auth-with-password", json={"identity": USER1_EMAIL, "password": password},
                          headers={"User-Agent": agent})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()


def _origins(server: testapp.TestServer) -> list[Any]:
    col = server.app.find_collection("_authOrigins")
    return [r for r in server.app.records.list_page(col, per_page=100).records if r.get("recordRef") == USER1_ID]


def _settle(server: testapp.TestServer) -> None:
    assert mail_queue(server.app).wait_idle(60)


def test_origins_and_the_alert_for_a_new_device(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    _sign_in(server, "Laptop/1.0")
    (origin,) = _origins(server)
    assert origin.get("collectionRef") == "_pb_users_auth_"
    assert origin.get("fingerprint") == fingerprint("127.0.0.1", "Laptop/1.0")
    _sign_in(server, "Laptop/1.0")  # the same device again
    _settle(server)
    assert len(_origins(server)) == 1 and not mailbox.messages  # no alert on the first sign-in either
    _sign_in(server, "Phone <b>2</b>")
    (message,) = mailbox.wait_for(1)
    assert message["To"] == USER1_EMAIL and message["Subject"] == "Login from a new location"
    body = html_of(message)
    assert "127.0.0.1 Phone &lt;b&gt;2&lt;/b&gt;" in body and "<b>2</b>" not in body
    assert len(_origins(server)) == 2


def test_only_the_five_latest_origins_are_kept(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    for n in range(7):
        _sign_in(server, f"Device/{n}")
    prints = {o.get("fingerprint") for o in _origins(server)}
    assert prints == {fingerprint("127.0.0.1", f"Device/{n}") for n in range(2, 7)}
    assert len(mailbox.wait_for(6)) == 6


def test_refresh_records_no_origin_and_a_disabled_alert_records_none(server: testapp.TestServer, mailbox: Mailbox) -> None:
    mailbox.configure(server)
    token = _sign_in(server, "A")["token"]
    assert server.request("POST", f"{USERS}/auth-refresh", headers={"Authorization": token, "User-Agent": "B"}).status_code == 200
    assert len(_origins(server)) == 1
    resp = server.request("PATCH", USERS, json={"authAlert": {"enabled": False}}, headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 200, resp.text
    _sign_in(server, "C")
    _settle(server)
    assert len(_origins(server)) == 1 and not mailbox.messages


def test_long_user_agents_are_cut_as_pocketbase() -> None:
    assert fingerprint("1.2.3.4", "x" * 300) == fingerprint("1.2.3.4", "x" * 200 + "y" * 100)
    assert fingerprint("1.2.3.4", "x" * 200) != fingerprint("1.2.3.4", "x" * 201)
