"""The first-run installer link printed by ``pybase serve`` (PocketBase's ``/_/#/pbinstall/TOKEN``).

A real ``python -m pybase serve`` on a loopback port: the link's token is a 30 minute,
non-refreshable auth token of the installer superuser; it creates the first superuser through
the public records API, which deletes the installer account and so ends the token; a server
that has a superuser prints no link.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import time

import pytest
import requests

from tests.test_cli import PASSWORD, cli, served

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/_/#/pbinstall/([\w-]+\.[\w-]+\.[\w-]+)")


def _serve_until_link(tmp_path, data, *extra):
    server = served(tmp_path, "--dir", str(data), *extra)
    proc, base = server.__enter__()
    text = server.banner
    deadline = time.monotonic() + 30
    while "pbinstall" not in text or "superuser upsert" not in text:
        assert time.monotonic() < deadline, text
        line = proc.stdout.readline()
        assert line, text
        text += line
    return server, base, text


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_installer_link_creates_the_first_superuser_once(tmp_path):
    data = tmp_path / "data"
    server, base, text = _serve_until_link(tmp_path, data)
    try:
        match = LINK.search(text)
        assert match and match.group(1) == base, text
        token = match.group(2)
        claims = _claims(token)
        assert claims["type"] == "auth" and claims["refreshable"] is False
        assert 29 * 60 <= claims["exp"] - time.time() <= 30 * 60
        headers = {"Authorization": token}
        # the token is a superuser's: it can list the superusers (only the installer for now)
        listed = requests.get(f"{base}/api/collections/_superusers/records", headers=headers, timeout=10)
        assert listed.status_code == 200 and [r["email"] for r in listed.json()["items"]] == ["__pbinstaller@example.com"]
        # a refresh gives the same token back (not refreshable: the link's 30 minutes stay)
        refresh = requests.post(f"{base}/api/collections/_superusers/auth-refresh", headers=headers, timeout=10)
        assert refresh.status_code == 200 and refresh.json()["token"] == token, refresh.text
        body = {"email": "first@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        created = requests.post(f"{base}/api/collections/_superusers/records", json=body, headers=headers, timeout=10)
        assert created.status_code == 200, created.text
        assert created.json()["email"] == "first@example.com"
        # the installer account went with it, and so did its token (the caller is a guest now)
        again = requests.post(f"{base}/api/collections/_superusers/records", json={**body, "email": "second@example.com"}, headers=headers, timeout=10)
        assert again.status_code == 403, again.text
        auth = requests.post(
            f"{base}/api/collections/_superusers/auth-with-password", json={"identity": "first@example.com", "password": PASSWORD}, timeout=10
        )
        assert auth.status_code == 200, auth.text
        emails = [r["email"] for r in requests.get(
            f"{base}/api/collections/_superusers/records", headers={"Authorization": auth.json()["token"]}, timeout=10
        ).json()["items"]]
        assert emails == ["first@example.com"]
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(20) == 0
    finally:
        server.__exit__(None, None, None)
    # a server with a superuser prints no link
    again_server = served(tmp_path, "--dir", str(data))
    with again_server as (proc, _base):
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(20) == 0
    assert "pbinstall" not in again_server.banner + rest


def test_no_link_when_a_superuser_was_made_by_the_cli(tmp_path):
    data = tmp_path / "data"
    assert cli("superuser", "upsert", "cli@example.com", PASSWORD, "--dir", str(data), cwd=tmp_path).returncode == 0
    server = served(tmp_path, "--dir", str(data))
    with server as (proc, _base):
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(20) == 0
    assert "pbinstall" not in server.banner + rest


def test_the_link_is_reprinted_until_a_superuser_exists(tmp_path):
    data = tmp_path / "data"
    tokens = []
    for _ in range(2):
        server, _base, text = _serve_until_link(tmp_path, data)
        try:
            tokens.append(LINK.search(text).group(2))
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(20) == 0
        finally:
            server.__exit__(None, None, None)
    # the same installer account both times (one record, not one per start)
    assert _claims(tokens[0])["id"] == _claims(tokens[1])["id"]



@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_link_is_printed_once_and_works_with_any_worker_count(tmp_path, workers):
    data = tmp_path / "data"
    server, base, text = _serve_until_link(tmp_path, data, "--workers", workers)
    try:
        token = LINK.search(text).group(2)
        body = {"email": "first@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        created = requests.post(f"{base}/api/collections/_superusers/records", json=body, headers={"Authorization": token}, timeout=10)
        assert created.status_code == 200, created.text
        server.proc.send_signal(signal.SIGTERM)
        rest = server.proc.stdout.read()
        assert server.proc.wait(30) == 0
    finally:
        server.__exit__(None, None, None)
    output = text + rest
    assert output.count("pbinstall") == 1, output
    # as PocketBase: the banner first, then the link
    assert output.index("Server started at") < output.index("pbinstall"), output
