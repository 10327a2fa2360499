"""Mail transports: SMTP (the ``smtp`` settings) and the local sendmail fallback.

``new_mail_client(app)`` picks one as PocketBase does and wraps it so every send goes through
the app's ``onMailerSend`` hook.
"""

from __future__ import annotations

import logging
import os
import shutil
import smtplib
import ssl
import subprocess
from typing import TYPE_CHECKING, Any, Protocol

from pybase.core.mail.message import Message

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.mail")

#: seconds an SMTP server gets for each step before the send is given up
SMTP_TIMEOUT = 30.0
AUTH_LOGIN = "LOGIN"
_LOCALHOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_SENDMAIL_PATHS = ("/usr/sbin/sendmail", "/usr/bin/sendmail", "/usr/lib/sendmail", "sendmail")


class MailError(Exception):
    """A message could not be handed over."""


class Transport(Protocol):
    """Something that delivers a message or raises MailError."""

    def send(self, message: Message) -> None: ...


class SMTPClient:
    """Delivers through an SMTP server (implicit TLS when ``tls``, else STARTTLS when offered)."""

    def __init__(
        self, host: str, port: int, *, username: str = "", password: str = "", tls: bool = False,
        auth_method: str = "", local_name: str = "", timeout: float = SMTP_TIMEOUT,
    ) -> None:  # fmt: skip
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.tls, self.auth_method, self.local_name = tls, auth_method, local_name
        self.timeout = timeout

    def send(self, message: Message) -> None:
        """Connect, authenticate when credentials are set, and send."""
        try:
            self._send(message)
        except (OSError, smtplib.SMTPException) as ex:
            raise MailError(str(ex) or type(ex).__name__) from ex

    def _send(self, message: Message) -> None:
        local = self.local_name or None
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, local_hostname=local, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=local, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            encrypted = self.tls
            if not self.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if self.username or self.password:
                # SECURITY: as Go's smtp auth, credentials only over TLS or to this machine.
                if not encrypted and self.host not in _LOCALHOSTS:
                    raise MailError("unencrypted connection")
                smtp.user, smtp.password = self.username, self.password
                if self.auth_method == AUTH_LOGIN:
                    smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
                else:
                    smtp.auth("PLAIN", smtp.auth_plain)
            smtp.send_message(message.to_mime(), from_addr=message.sender.address, to_addrs=message.recipients())


class Sendmail:
    """Hands the message to the local ``sendmail`` program (PocketBase's fallback without SMTP)."""

    def send(self, message: Message) -> None:
        """Pipe the MIME message to sendmail; MailError when none is installed or it fails."""
        path = find_sendmail()
        if path is None:
            raise MailError("failed to locate a sendmail executable path.")
        try:
            done = subprocess.run(
                [path, "-i", "--", *message.recipients()], input=message.to_mime().as_bytes(),
                capture_output=True, timeout=SMTP_TIMEOUT, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as ex:
            raise MailError(str(ex)) from ex
        if done.returncode != 0:
            raise MailError(done.stderr.decode("utf-8", "replace").strip() or f"sendmail exited with {done.returncode}")


def find_sendmail() -> str | None:
    """The sendmail executable, if this machine has one."""
    for candidate in _SENDMAIL_PATHS:
        found = shutil.which(candidate) if os.sep not in candidate else (candidate if os.access(candidate, os.X_OK) else None)
        if found:
            return found
    return None


class AppMailer:
    """A transport whose sends go through the app's ``onMailerSend`` hook (PocketBase's client)."""

    def __init__(self, app: App, transport: Transport) -> None:
        self.app = app
        self.transport = transport

    def send(self, message: Message) -> None:
        """Trigger ``onMailerSend``; its last link delivers ``e.message``."""
        from pybase.core.events import MailerEvent

        event = MailerEvent(self.app)
        event.mailer, event.message = self, message

        def finalize(e: MailerEvent) -> None:
            if not isinstance(self.transport, SMTPClient) and isinstance(self.transport, Sendmail) and find_sendmail() is None:
                log.warning("mail %r to %s was NOT sent: SMTP is disabled in the settings and this machine has no sendmail",
                            e.message.subject, ", ".join(e.message.recipients()))  # fmt: skip
            self.transport.send(e.message)

        self.app.hooks["onMailerSend"].trigger(event, finalize)


def transport_from_settings(smtp: dict[str, Any]) -> Transport:
    """SMTP when enabled in the settings, else sendmail (as PocketBase)."""
    if smtp.get("enabled"):
        return SMTPClient(
            str(smtp.get("host") or ""), int(smtp.get("port") or 0), username=str(smtp.get("username") or ""),
            password=str(smtp.get("password") or ""), tls=bool(smtp.get("tls")),
            auth_method=str(smtp.get("authMethod") or ""), local_name=str(smtp.get("localName") or ""),
        )  # fmt: skip
    return Sendmail()


def new_mail_client(app: App) -> AppMailer:
    """The app's mail client for the current settings (``$app.newMailClient()``)."""
    return AppMailer(app, transport_from_settings(app.settings()["smtp"]))
