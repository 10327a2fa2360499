"""Waitress's request parser with a quick path for the common request head.

Most requests are an origin-form target (``/api/...``), HTTP/1.0 or 1.1 and a few well-formed
header lines. Those are parsed here with two regular expressions over the whole head, into
exactly the attributes waitress's own ``parse_header`` sets; anything else (an absolute or
``//`` target, a fragment, control bytes, folded or malformed lines, Transfer-Encoding, an
unusual Content-Length) goes to waitress's parser unchanged, errors included.
tests/test_request_parser.py checks both give the same result over a table of heads.
"""

from __future__ import annotations

import re

from waitress.buffers import OverflowableBuffer
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver
from waitress.rfc7230 import FIELD_VALUE, OWS, TOKEN

# PERF: waitress matches each header line with a regex and cracks the request line with a
# backtracking one, then splits the target with urlsplit: ~10 us of a ~60 us health check.

# The request line: an upper-case method, a target of visible ASCII that starts with one "/"
# and has no "#", and HTTP/1.0 or 1.1 (waitress accepts more; those go its way).
_REQUEST_LINE = re.compile(rb"([A-Z]+) (/(?!/)[!\"$-~]*) HTTP/(1\.[01])")
# Header lines as waitress's HEADER_FIELD_RE reads them, each ended by CRLF.
_FIELD = ("(" + TOKEN + "):" + OWS + "(" + FIELD_VALUE + ")" + OWS + "\r\n").encode("latin-1")
_FIELDS = re.compile(_FIELD)
_ALL_FIELDS = re.compile(b"(?:" + _FIELD + b")*\r\n")
_DIGITS = re.compile("[0-9]+")


class RequestParser(HTTPRequestParser):
    """:class:`waitress.parser.HTTPRequestParser` with a quick path for plain heads."""

    def parse_header(self, header_plus: bytes) -> None:
        if not self._parse_plain(header_plus):
            super().parse_header(header_plus)

    def _parse_plain(self, header_plus: bytes) -> bool:
        """Parse a plain head as waitress would; False (nothing set) for any other head."""
        index = header_plus.find(b"\r\n")
        line = _REQUEST_LINE.fullmatch(header_plus, 0, index) if index > 0 else None
        if line is None:
            return False
        block = header_plus[index + 2 :]
        if _ALL_FIELDS.fullmatch(block) is None:
            return False
        headers: dict[str, str] = {}
        for name, value in _FIELDS.findall(block):
            if b"_" in name:
                continue  # NOTE: as waitress: such names could pose as a dash-named header
            key = name.upper().replace(b"-", b"_").decode("latin-1")
            text = value.decode("latin-1")
            headers[key] = headers[key] + ", " + text if key in headers else text
        if "TRANSFER_ENCODING" in headers:
            return False
        length_text = headers.get("CONTENT_LENGTH", "0")
        if _DIGITS.fullmatch(length_text) is None:
            return False
        command, target, version_bytes = line.groups()
        version = version_bytes.decode("latin-1")
        self.first_line = header_plus[:index]
        self.headers = headers
        self.request_uri = target.decode("latin-1")
        self.command = command.decode("latin-1")
        self.version = version
        path, _, query = target.partition(b"?")
        self.proxy_scheme = self.proxy_netloc = self.fragment = ""
        self.path = self._unquote(path)
        self.query = query.decode("latin-1")
        self.url_scheme = self.adj.url_scheme
        connection = headers.get("CONNECTION", "").lower()
        if version == "1.0":
            if connection != "keep-alive":
                self.connection_close = True
        else:
            self.expect_continue = headers.get("EXPECT", "").lower() == "100-continue"
            if connection == "close":
                self.connection_close = True
        length = int(length_text)
        self.content_length = length
        if length > 0:
            self.body_rcv = FixedStreamReceiver(length, OverflowableBuffer(self.adj.inbuf_overflow))
        return True

    @staticmethod
    def _unquote(path: bytes) -> str:
        if b"%" not in path:
            return path.decode("latin-1")
        from waitress.parser import unquote_bytes_to_wsgi

        return str(unquote_bytes_to_wsgi(path))
