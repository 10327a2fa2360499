"""The client IP behind a trusted proxy (``settings.trustedProxy``), as PocketBase's RealIP."""

from __future__ import annotations

from typing import Any

import pytest

from tests import testapp


def _proxy(server: testapp.TestServer, **proxy: Any) -> None:
    settings = server.pybase.core.settings()
    settings["trustedProxy"] = {**settings["trustedProxy"], **proxy}
    server.pybase.core.save_settings(settings)


def _real_ip(server: testapp.TestServer, headers: dict[str, str]) -> str:
    su = {"Authorization": server.token("superuser")}
    return str(server.request("GET", "/api/health", headers={**su, **headers}).json()["data"]["realIP"])


@pytest.mark.parametrize(
    "proxy,headers,expected",
    [
        ({}, {"X-Forwarded-For": "1.2.3.4"}, "127.0.0.1"),  # no trusted header: the peer
        ({"headers": ["X-Forwarded-For"]}, {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}, "5.6.7.8"),
        ({"headers": ["X-Forwarded-For"], "useLeftmostIP": True}, {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}, "1.2.3.4"),
        ({"headers": ["X-Forwarded-For"]}, {"X-Forwarded-For": "5.6.7.8, junk"}, "5.6.7.8"),
        ({"headers": ["X-Forwarded-For"]}, {"X-Forwarded-For": "junk"}, "127.0.0.1"),
        ({"headers": ["CF-Connecting-IP", "X-Real-IP"]}, {"X-Real-IP": "::1"}, "0000:0000:0000:0000:0000:0000:0000:0001"),
        ({"headers": ["X-Real-IP"]}, {}, "127.0.0.1"),
    ],
)  # fmt: skip
def test_real_ip(server: testapp.TestServer, proxy: dict[str, Any], headers: dict[str, str], expected: str) -> None:
    _proxy(server, **proxy)
    assert _real_ip(server, headers) == expected


def test_logs_and_rate_limits_use_the_real_ip(server: testapp.TestServer) -> None:
    _proxy(server, headers=["X-Real-IP"])
    settings = server.pybase.core.settings()
    settings["rateLimits"] = {"enabled": True, "excludedIPs": [], "rules": [
        {"label": "GET /api/health", "audience": "", "duration": 60, "maxRequests": 1},
    ]}  # fmt: skip
    server.pybase.core.save_settings(settings)
    assert server.request("GET", "/api/health", headers={"X-Real-IP": "10.0.0.1"}).status_code == 200
    assert server.request("GET", "/api/health", headers={"X-Real-IP": "10.0.0.1"}).status_code == 429
    assert server.request("GET", "/api/health", headers={"X-Real-IP": "10.0.0.2"}).status_code == 200
    logs = server.pybase.core.logs
    logs.flush()
    entry = logs.list("data.status = 429", None, limit=1, offset=0, total=False)[0][0]
    assert entry["data"]["userIP"] == "10.0.0.1" and entry["data"]["remoteIP"] == "127.0.0.1"


def test_superusers_only_from_the_listed_ips(server: testapp.TestServer) -> None:
    su = {"Authorization": server.token("superuser")}
    settings = server.pybase.core.settings()
    settings["superuserIPs"] = ["10.0.0.0/8"]
    server.pybase.core.save_settings(settings)
    refused = server.request("GET", "/api/collections", headers=su)
    assert refused.status_code == 403
    assert refused.json()["message"] == "You are not allowed to perform this request."
    login = {"identity": testapp.SUPERUSER_EMAIL, "password": testapp.PASSWORD}
    assert server.request("POST", "/api/collections/_superusers/auth-with-password", json=login).status_code == 403
    # Users are not affected; a proxy-given address in the list lets the superuser in.
    assert server.request("GET", "/api/collections/posts/records", headers={"Authorization": server.token("user1")}).status_code == 200
    _proxy(server, headers=["X-Real-IP"])
    assert server.request("GET", "/api/collections", headers={**su, "X-Real-IP": "10.1.2.3"}).status_code == 200
