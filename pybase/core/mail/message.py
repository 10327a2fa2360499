"""A mail message (PocketBase's ``mailer.Message``) and its MIME form."""

from __future__ import annotations

import dataclasses
import html
import re
from email.headerregistry import Address as _MimeAddress
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from html.parser import HTMLParser
from typing import Any

from pybase.tools.security import random_string


@dataclasses.dataclass
class Address:
    """A mailbox: ``name`` (optional) and ``address``."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        return formataddr((self.name, self.address)) if self.name else self.address


@dataclasses.dataclass
class Message:
    """One mail: sender, recipients, subject, HTML body (plain text derived when empty)."""

    sender: Address
    to: list[Address]
    subject: str = ""
    html: str = ""
    text: str = ""
    cc: list[Address] = dataclasses.field(default_factory=list)
    bcc: list[Address] = dataclasses.field(default_factory=list)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # file name -> content
    attachments: dict[str, bytes] = dataclasses.field(default_factory=dict)

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
            "from": dataclasses.asdict(self.sender),
            "to": [dataclasses.asdict(a) for a in self.to],
            "cc": [dataclasses.asdict(a) for a in self.cc],
            "bcc": [dataclasses.asdict(a) for a in self.bcc],
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "headers": dict(self.headers),
        }


def _mime_address(addr: Address) -> _MimeAddress:
    return _MimeAddress(display_name=addr.name, addr_spec=addr.address)


class _TextExtractor(HTMLParser):
    """HTML -> readable plain text: paragraphs and breaks kept, links as ``text (url)``."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """A plain-text version of an HTML mail body."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text).strip())
