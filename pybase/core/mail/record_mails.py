"""The auth mails of a record (PocketBase's ``mails`` package): verification, password reset,
email change, OTP and login alert.

Each builds the message from the collection's template, triggers its ``onMailerRecord*Send``
hook and sends through the app's mail client (``onMailerSend``). They send synchronously and
raise MailError: request handlers run them through :func:`send_in_background`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.auth import TOKEN_EMAIL_CHANGE, TOKEN_PASSWORD_RESET, TOKEN_VERIFICATION, new_token
from pybase.core.events import MailerRecordEvent
from pybase.core.mail import templates
from pybase.core.mail.clients import new_mail_client
from pybase.core.mail.message import Address, Message

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record

log = logging.getLogger("pybase.mail")


def _sender(app: App) -> Address:
    meta = app.settings()["meta"]
    return Address(str(meta.get("senderAddress") or ""), str(meta.get("senderName") or ""))


def _send(
    app: App, hook: str, record: Record, template: dict[str, Any], to: str, placeholders: dict[str, Any],
    meta: dict[str, Any], after: Callable[[MailerRecordEvent], None] | None = None,
) -> None:  # fmt: skip
    subject, body = templates.render(app, record, template or {}, placeholders)
    event = MailerRecordEvent(app)
    event.mailer = new_mail_client(app)
    event.message = Message(sender=_sender(app), to=[Address(to)], subject=subject, html=body)
    event.record, event.meta = record, meta

    def finalize(e: MailerRecordEvent) -> None:
        e.mailer.send(e.message)
        if after is not None:
            after(e)

    app.hooks[hook].trigger(event, finalize)


def send_record_verification(app: App, record: Record) -> None:
    """Mail a verification link (a ``verification`` token) to the record's email."""
    token = new_token(record, TOKEN_VERIFICATION, {"email": record.email})
    _send(app, "onMailerRecordVerificationSend", record, record.collection.auth.get("verificationTemplate") or {},
          record.email, {templates.PLACEHOLDER_TOKEN: token}, {"token": token})  # fmt: skip


def send_record_password_reset(app: App, record: Record) -> None:
    """Mail a password reset link (a ``passwordReset`` token) to the record's email."""
    token = new_token(record, TOKEN_PASSWORD_RESET, {"email": record.email})
    _send(app, "onMailerRecordPasswordResetSend", record, record.collection.auth.get("resetPasswordTemplate") or {},
          record.email, {templates.PLACEHOLDER_TOKEN: token}, {"token": token})  # fmt: skip


def send_record_email_change(app: App, record: Record, new_email: str) -> None:
    """Mail a confirmation link (an ``emailChange`` token) to the new address."""
    token = new_token(record, TOKEN_EMAIL_CHANGE, {"email": record.email, "newEmail": new_email})
    _send(app, "onMailerRecordEmailChangeSend", record, record.collection.auth.get("confirmEmailChangeTemplate") or {},
          new_email, {templates.PLACEHOLDER_TOKEN: token}, {"token": token, "newEmail": new_email})  # fmt: skip


def send_record_otp(app: App, record: Record, otp_id: str, password: str, after: Callable[[str], None] | None = None) -> None:
    """Mail a one-time password; ``after`` gets the address it went to (PocketBase's ``sentTo``)."""
    template = (record.collection.auth.get("otp") or {}).get("emailTemplate") or {}

    def sent(e: MailerRecordEvent) -> None:
        to = e.message.to[0].address if e.message.to else ""
        if to and after is not None:
            after(to)

    _send(app, "onMailerRecordOTPSend", record, template, record.email,
          {templates.PLACEHOLDER_OTP_ID: otp_id, templates.PLACEHOLDER_OTP: password},
          {"otpId": otp_id, "password": password}, sent)  # fmt: skip


def send_record_auth_alert(app: App, record: Record, info: str) -> None:
    """Mail a new-location sign-in alert; ``info`` describes the client (escaped here)."""
    info = templates.escape(info)
    template = (record.collection.auth.get("authAlert") or {}).get("emailTemplate") or {}
    _send(app, "onMailerRecordAuthAlertSend", record, template, record.email,
          {templates.PLACEHOLDER_ALERT_INFO: info}, {"info": info})  # fmt: skip


TEST_TEMPLATES = ("verification", "password-reset", "email-change", "otp", "login-alert")


def send_test_email(app: App, email: str, template: str, collection: str = "") -> None:
    """Send one auth template to ``email`` for a made-up record (``POST /api/settings/test/email``).

    As PocketBase, each visible field of the record holds ``__pb_test_<name>__`` (cast to the
    field's type) so the ``{RECORD:*}`` placeholders show. Raises MailError when not sent.
    """
    from pybase.core.errors import FieldError
    from pybase.tools.security import random_string

    col = app.find_collection(collection or "_superusers")
    record = app.new_record(col)
    for field in col.fields:
        if field.hidden or field.type in ("autodate", "password"):
            continue
        try:
            record.set(field.name, field.prepare(f"__pb_test_{field.name}__", record))
        except (FieldError, ValueError, TypeError):
            continue
    record.set("tokenKey", random_string(50))
    record.set("email", email)
    if template == "verification":
        send_record_verification(app, record)
    elif template == "password-reset":
        send_record_password_reset(app, record)
    elif template == "email-change":
        send_record_email_change(app, record, email)
    elif template == "otp":
        send_record_otp(app, record, "_PB_TEST_OTP_ID_", "123456")
    elif template == "login-alert":
        from pybase.core.mail.templates import go_now

        send_record_auth_alert(app, record, f"{go_now()} - TEST_IP TEST_USER_AGENT")
    else:
        raise ValueError(f"unknown template {template}")
