"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests.

``Mailbox.wait_for(n)`` blocks until ``n`` messages arrived (or fails after a generous
deadline); ``hold()`` makes the server stall every DATA command until ``release()``, as a slow
SMTP server would.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests import testapp

TOKEN_RE = re.compile(r"/(eyJ[\w-]+\.[\w-]+\.[\w-]+)")
WAIT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        import asyncio

        while self.box.held.is_set():
            await asyncio.sleep(0.02)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.box.arrived:
            self.box.messages.append(message)
            self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.box.arrived.notify_all()
        return "250 OK"


class Mailbox:
    """Messages received by the test SMTP server."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()
        self.held = threading.Event()
        kwargs: dict[str, Any] = {}
        if login is not None:
            kwargs = {"authenticator": self._authenticator(login), "auth_required": True, "auth_require_tls": False}
        self.port = _free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def _authenticator(self, login: tuple[str, str]) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            given = (data.login.decode(), data.password.decode())
            self.logins.append((mechanism, given[0]))
            return AuthResult(success=given == login)

        return check

    def stop(self) -> None:
        """Stop the server."""
        self.held.clear()
        if self.controller._thread is not None:
            self.controller.stop()

    def hold(self) -> None:
        """Stall every message until :meth:`release`."""
        self.held.set()

    def release(self) -> None:
        """Let stalled messages through."""
        self.held.clear()

    def wait_for(self, count: int) -> list[EmailMessage]:
        """The first ``count`` messages, once they arrived."""
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.messages) >= count, WAIT_SECONDS)
        assert ok, f"expected {count} mail(s), got {len(self.messages)}"
        return self.messages[:count]

    def configure(self, server: testapp.TestServer, **meta: Any) -> None:
        """Point the app's SMTP settings at this server."""
        settings = server.app.settings()
        settings["smtp"] = {**settings["smtp"], "enabled": True, "host": "127.0.0.1", "port": self.port, "tls": False}
        settings["meta"] = {**settings["meta"], "appName": "Acme", "appURL": "http://acme.test",
                            "senderName": "Acme Support", "senderAddress": "support@acme.test", **meta}  # fmt: skip
        server.app.save_settings(settings)


def html_of(message: EmailMessage) -> str:
    """The HTML part of a received message."""
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    """The plain text part of a received message."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def token_in(message: EmailMessage) -> str:
    """The token of the link in a mail."""
    found = TOKEN_RE.search(html_of(message))
    assert found, html_of(message)[:500]
    return found.group(1)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A running test SMTP server."""
    box = Mailbox()
    try:
        yield box
    finally:
        box.stop()
