"""Table-driven API scenarios (the house style, after PocketBase's ``tests.ApiScenario``).

Each scenario names a request and what must come back: status, substrings of the compact JSON
body that must (``expected_content``) or must not (``not_expected_content``) appear, and how
many times each hook fired (``expected_events``; ``"*": 0`` means no other hook fired).
``headers`` values ``"SUPERUSER"``, ``"USER1"``, ``"USER2"`` become fresh auth tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.testapp import TestServer

TOKEN_ALIASES = {"SUPERUSER": "superuser", "USER1": "user1", "USER2": "user2"}


@dataclass
class Scenario:
    """One request and its expected outcome."""

    name: str
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: int = 200
    expected_content: list[str] = field(default_factory=list)
    not_expected_content: list[str] = field(default_factory=list)
    expected_events: dict[str, int] | None = None
    before: Callable[[TestServer], None] | None = None
    after: Callable[[TestServer, Any], None] | None = None

    def __str__(self) -> str:
        return self.name


def compact(text: str) -> str:
    """The body as compact JSON (so expected fragments look like ``"title":"x"``)."""
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONDecodeError:
        return text


def run(server: TestServer, scenario: Scenario) -> Any:
    """Send the request, then check status, content and fired hooks."""
    if scenario.before is not None:
        scenario.before(server)
    server.events.clear()
    headers = {}
    for key, value in scenario.headers.items():
        headers[key] = server.token(TOKEN_ALIASES[value]) if value in TOKEN_ALIASES else value
    kwargs: dict[str, Any] = {"headers": headers}
    body = scenario.body
    if isinstance(body, dict | list):
        kwargs["data"] = orjson.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str | bytes):
        kwargs["data"] = body
    resp = server.request(scenario.method, scenario.url, **kwargs)
    text = compact(resp.text)
    assert resp.status_code == scenario.expected_status, f"{scenario.name}: status {resp.status_code}, body {text[:500]}"
    for fragment in scenario.expected_content:
        assert fragment in text, f"{scenario.name}: missing {fragment!r} in {text[:800]}"
    for fragment in scenario.not_expected_content:
        assert fragment not in text, f"{scenario.name}: unexpected {fragment!r} in {text[:800]}"
    if scenario.expected_events is not None:
        expected = dict(scenario.expected_events)
        only = expected.pop("*", None) == 0
        for name, count in expected.items():
            assert server.events[name] == count, f"{scenario.name}: {name} fired {server.events[name]}x, expected {count} ({dict(server.events)})"
        if only:
            extra = {k: v for k, v in server.events.items() if k not in expected and v}
            assert not extra, f"{scenario.name}: unexpected hooks fired {extra}"
    if scenario.after is not None:
        scenario.after(server, resp)
    return resp
