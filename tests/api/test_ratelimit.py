"""Rate limits: the limiter, excluded IPs and resets on a settings change (PocketBase's rules are
compared request by request in tests/conformance/cases_ratelimit.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pybase.tools.ratelimit import RateLimiter, ip_in_list
from tests import testapp

TOO_MANY = {"data": {}, "message": "Too Many Requests.", "status": 429}


def _limits(server: testapp.TestServer, **section: Any) -> None:
    settings = server.pybase.core.settings()
    settings["rateLimits"] = {**settings["rateLimits"], "enabled": True, **section}
    server.pybase.core.save_settings(settings)


RULE = {"label": "GET /api/health", "audience": "", "duration": 60, "maxRequests": 2}


def test_the_limit_answers_429_with_pocketbase_body(server: testapp.TestServer) -> None:
    _limits(server, rules=[RULE])
    statuses = [server.request("GET", "/api/health").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert server.request("GET", "/api/health").json() == TOO_MANY


def test_excluded_ips_and_superusers_are_never_limited(server: testapp.TestServer) -> None:
    _limits(server, rules=[RULE], excludedIPs=["127.0.0.0/8"])
    assert {server.request("GET", "/api/health").status_code for _ in range(4)} == {200}
    _limits(server, rules=[RULE], excludedIPs=[])
    su = {"Authorization": server.token("superuser")}
    assert {server.request("GET", "/api/health", headers=su).status_code for _ in range(4)} == {200}


def test_a_settings_change_starts_the_counts_again(server: testapp.TestServer) -> None:
    _limits(server, rules=[RULE])
    assert [server.request("GET", "/api/health").status_code for _ in range(3)] == [200, 200, 429]
    _limits(server, rules=[{**RULE, "maxRequests": 3}])
    assert [server.request("GET", "/api/health").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_limiter_counts_per_client_in_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("pybase.tools.ratelimit.time.time", lambda: clock[0])
    limiter = RateLimiter(2, 10, forget_after=30)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")
    clock[0] += 10
    assert limiter.allow("a")
    clock[0] += 100
    limiter.clean()
    assert limiter._clients == {}


@pytest.mark.parametrize(
    "ip,items,expected",
    [
        ("127.0.0.1", ["127.0.0.1"], True), ("127.0.0.2", ["127.0.0.0/8"], True), ("10.0.0.1", ["127.0.0.0/8"], False),
        ("::1", ["::1/128"], True), ("", ["127.0.0.1"], False), ("127.0.0.1", [], False), ("x", ["x"], False),
        ("127.0.0.1", ["nope", "127.0.0.1"], True),
    ],
)  # fmt: skip
def test_ip_in_list(ip: str, items: list[str], expected: bool) -> None:
    assert ip_in_list(ip, items) is expected
