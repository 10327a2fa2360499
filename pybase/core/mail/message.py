"""A mail message (PocketBase's ``mailer.Message``) and its MIME form."""

from __future__ import annotations

from email.headerregistry import Address as _MimeAddress
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from pybase.tools.security import random_string


class Address:
    """A mailbox: ``address`` and an optional display ``name``."""

    __slots__ = ("address", "name")

    def __init__(self, address: str, name: str = "") -> None:
        self.address = address
        self.name = name

    def __str__(self) -> str:
        return formataddr((self.name, self.address)) if self.name else self.address

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Address) and (self.address, self.name) == (other.address, other.name)

    def __repr__(self) -> str:
        return f"Address({self.address!r}, {self.name!r})"

    def to_json(self) -> dict[str, str]:
        """``{address, name}`` (PocketBase's ``mail.Address`` JSON)."""
        return {"address": self.address, "name": self.name}

    @classmethod
    def from_json(cls, value: Any) -> Address:
        """An address from ``{address, name}`` or a plain string."""
        if isinstance(value, Address):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict):
            return cls(str(value.get("address") or value.get("Address") or ""), str(value.get("name") or value.get("Name") or ""))
        raise ValueError("an address is {address, name} or a string")


class Message:
    """One mail: sender, recipients, subject, HTML body (plain text derived when empty).

    NOTE: a plain class, not a dataclass, so JS hooks get it as a live object (a handle) that
    they can change, not a JSON copy.
    """

    __slots__ = ("sender", "to", "subject", "html", "text", "cc", "bcc", "headers", "attachments")

    def __init__(
        self, sender: Address, to: list[Address], subject: str = "", html: str = "", text: str = "",
        cc: list[Address] | None = None, bcc: list[Address] | None = None, headers: dict[str, str] | None = None,
        attachments: dict[str, bytes] | None = None,
    ) -> None:  # fmt: skip
        self.sender = sender
        self.to = to
        self.subject = subject
        self.html = html
        self.text = text
        self.cc = cc if cc is not None else []
        self.bcc = bcc if bcc is not None else []
        self.headers = headers if headers is not None else {}
        # file name -> content
        self.attachments = attachments if attachments is not None else {}

    def recipients(self) -> list[str]:
        """Every envelope recipient (to, cc and bcc)."""
        return [a.address for a in (*self.to, *self.cc, *self.bcc) if a.address]

    def to_mime(self) -> EmailMessage:
        """The message as MIME: text and HTML alternatives, attachments, a Message-ID."""
        mime = EmailMessage()
        mime["From"] = _mime_address(self.sender)
        if self.to:
            mime["To"] = [_mime_address(a) for a in self.to]
        if self.cc:
            mime["Cc"] = [_mime_address(a) for a in self.cc]
        mime["Subject"] = self.subject
        mime["Date"] = formatdate(localtime=False)
        has_id = False
        for key, value in self.headers.items():
            has_id = has_id or key.lower() == "message-id"
            mime[key] = value
        domain = self.sender.address.rpartition("@")[2]
        if not has_id and domain:
            # NOTE: as PocketBase, a random id at the sender's domain when none is given.
            mime["Message-ID"] = f"<{random_string(15)}@{domain}>"
        mime.set_content(self.text or html_to_text(self.html))
        if self.html:
            mime.add_alternative(self.html, subtype="html")
        for name, data in self.attachments.items():
            mime.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        return mime

    def to_json(self) -> dict[str, Any]:
        """The message as PocketBase's JS hooks see it (``from``, ``to``, ``subject``, ``html``...)."""
        return {
            "from": self.sender.to_json(),
            "to": [a.to_json() for a in self.to],
            "cc": [a.to_json() for a in self.cc],
            "bcc": [a.to_json() for a in self.bcc],
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "headers": dict(self.headers),
            "attachments": sorted(self.attachments),
        }

    def set_json(self, key: str, value: Any) -> None:
        """Change one field by its JSON name (``from``, ``to``, ``subject``...)."""
        if key == "from":
            self.sender = Address.from_json(value)
        elif key in ("to", "cc", "bcc"):
            setattr(self, key, [Address.from_json(v) for v in (value or [])])
        elif key in ("subject", "html", "text"):
            setattr(self, key, "" if value is None else str(value))
        elif key == "headers":
            self.headers = {str(k): str(v) for k, v in (value or {}).items()}
        elif key == "attachments":
            self.attachments = {str(k): (v.encode() if isinstance(v, str) else bytes(v)) for k, v in (value or {}).items()}
        else:
            raise ValueError(f"a mail message has no field {key!r}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        """A message from its JSON form (``new MailerMessage({...})`` in JS)."""
        message = cls(Address(""), [])
        for key, value in data.items():
            message.set_json(key, value)
        return message


def _mime_address(addr: Address) -> _MimeAddress:
    return _MimeAddress(display_name=addr.name, addr_spec=addr.address)


def html_to_text(source: str) -> str:
    """A plain-text version of an HTML mail body (html_text.py, imported on use)."""
    from pybase.core.mail.html_text import html_to_text as convert

    return convert(source)
