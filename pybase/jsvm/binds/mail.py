"""``$mails``, ``MailerMessage`` and ``$app.newMailClient()`` for JS (PocketBase's mail bindings).

A message crosses to JS as a handle (``$t`` ``"mm"``) whose fields read and write the Python
:class:`~pybase.core.mail.Message`, so ``e.message.subject = "..."`` in an ``onMailerSend``
handler changes the mail that goes out. A mail client is a handle (``"mc"``) with ``send``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.core.mail import AppMailer, Message, new_mail_client
from pybase.core.mail.record_mails import (
    send_record_auth_alert,
    send_record_email_change,
    send_record_otp,
    send_record_password_reset,
    send_record_verification,
)
from pybase.core.records import Record

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def _message(value: Any) -> Message:
    if isinstance(value, Message):
        return value
    if isinstance(value, dict):
        return _new(None, value)  # type: ignore[arg-type]
    raise BadRequestError("expected a MailerMessage")


def _new(ex: Executor, data: Any) -> Message:
    if data is not None and not isinstance(data, dict):
        raise BadRequestError("MailerMessage takes an object ({from, to, subject, html...})")
    try:
        return Message.from_json(data or {})
    except (ValueError, TypeError) as error:
        raise BadRequestError(str(error)) from error


def _get(ex: Executor, message: Any) -> dict[str, Any]:
    return _message(message).to_json()


def _set(ex: Executor, message: Any, key: Any, value: Any) -> None:
    try:
        _message(message).set_json(str(key), value)
    except (ValueError, TypeError) as error:
        raise BadRequestError(str(error)) from error


def _new_client(ex: Executor) -> AppMailer:
    return new_mail_client(ex.runtime.app)


def _client_send(ex: Executor, client: Any, message: Any) -> None:
    mailer = client if isinstance(client, AppMailer) else new_mail_client(ex.runtime.app)
    mailer.send(_message(message))


def _record(value: Any) -> Record:
    if not isinstance(value, Record) or not value.collection.is_auth:
        raise BadRequestError("expected an auth record")
    return value


_RECORD_MAILS: dict[str, Callable[..., None]] = {
    "verification": lambda app, r: send_record_verification(app, r),
    "passwordReset": lambda app, r: send_record_password_reset(app, r),
    "changeEmail": lambda app, r, new_email: send_record_email_change(app, r, str(new_email)),
    "otp": lambda app, r, otp_id, password: send_record_otp(app, r, str(otp_id), str(password)),
    "authAlert": lambda app, r, info: send_record_auth_alert(app, r, str(info)),
}


def _send_record(ex: Executor, kind: Any, record: Any, *args: Any) -> None:
    send = _RECORD_MAILS.get(str(kind))
    if send is None:
        raise BadRequestError(f"unknown record mail {kind!r}")
    send(ex.runtime.app, _record(record), *args)


OPS = {
    "mail.new": _new,
    "mail.get": _get,
    "mail.set": _set,
    "mail.newClient": _new_client,
    "mail.clientSend": _client_send,
    "mail.sendRecord": _send_record,
}
