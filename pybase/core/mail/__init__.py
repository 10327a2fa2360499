"""Mail: messages, auth templates, SMTP/sendmail transports and background sending."""

from pybase.core.mail.clients import AppMailer, MailError, Sendmail, SMTPClient, new_mail_client
from pybase.core.mail.message import Address, Message
from pybase.core.mail.queue import mail_queue, send_in_background

__all__ = [
    "Address", "AppMailer", "MailError", "Message", "SMTPClient", "Sendmail", "mail_queue", "new_mail_client",
    "send_in_background",
]  # fmt: skip
