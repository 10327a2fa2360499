"""Multipart form bodies read part by part as PocketBase (Go's ``mime/multipart``) reads them.

falcon streams the parts; what differs is how a part's header block is read and how its field
and file names are found, both as Go does:

- The header block is read as ``net/textproto`` reads one: lines end at LF (a CR before it is
  dropped), a line starting with a space or tab continues the one before, every header line
  needs a colon and a token before it, and a value may hold no control character but a tab.
  Anything else fails the whole body (a CR or LF inside a quoted file name does).
- The field and file names come from the Content-Disposition value as Go's
  ``mime.ParseMediaType`` reads it (pybase/tools/mediatype.py); when it fails (an unescaped
  quote), or the disposition is not ``form-data``, or there is no name, the part is skipped.
- A file name keeps only its last path element (Go's ``filepath.Base``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import falcon
from falcon.errors import DelimiterError
from falcon.media.multipart import (
    BodyPart,
    MultipartForm,
    MultipartParseError,
    MultipartParseOptions,
)

from pybase.tools.mediatype import MediaTypeError, file_name_base, parse_media_type

_CRLF = b"\r\n"
# RFC 7230 token characters: what a header name may hold
_FIELD_BYTES = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# what a header value may hold: a tab, printable ASCII and any byte past ASCII
_VALUE_BYTES = frozenset([0x09, *range(0x20, 0x7F), *range(0x80, 0x100)])
# the headers a part keeps (as falcon's BodyPart reads them)
_KEPT = (b"content-type", b"content-disposition")

#: Go's limits, not falcon's (64 parts, 1 MiB a value, 8 KiB of headers a part): a form with a
#: file and 64 text fields, or an editor field's 2 MB of HTML sent beside a file (the SDKs send
#: FormData then), failed with a 400 where PocketBase stores it. Go's ReadForm takes up to 1000
#: parts (multipartmaxparts), values up to its memory limit (32 MiB) plus 10 MiB together, and
#: 10 MiB of headers a part (textproto); the route's body limit bounds the whole body first.
GO_FORM_OPTIONS = MultipartParseOptions()
GO_FORM_OPTIONS.max_body_part_count = 1000
GO_FORM_OPTIONS.max_body_part_buffer_size = (32 << 20) + (10 << 20)
GO_FORM_OPTIONS.max_body_part_headers_size = 10 << 20


def form_parts(req: falcon.Request) -> Iterator[tuple[str, str, BodyPart]]:
    """``(field name, file name or "", part)`` of each named part of ``req``'s multipart body;
    falcon.MediaMalformedError when the body is none Go's reader reads to its end."""
    try:
        _kind, params = parse_media_type(req.get_header("Content-Type") or "")
    except MediaTypeError as ex:
        raise MultipartParseError(description=f"invalid content type: {ex}") from ex
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartParseError(description="no multipart boundary")
    for headers, part in _GoForm(req.bounded_stream, boundary.encode(), req.content_length, GO_FORM_OPTIONS):
        name, filename = _names(headers)
        if name:
            yield name, filename, part


def part_text(part: BodyPart) -> str:
    """A value part's text: its bytes as UTF-8 whatever its content type says (as Go, which
    keeps a value's bytes as they are; falcon's ``get_text`` gives None for a part not typed
    as text)."""
    return part.get_data().decode("utf-8", "replace")


def _names(headers: dict[bytes, list[bytes]]) -> tuple[str, str]:
    """The field name ("" when Go finds none) and the file name ("" for a value)."""
    values = headers.get(b"content-disposition")
    if not values:
        return "", ""
    try:
        disposition, params = parse_media_type(values[0].decode("utf-8", "replace"))
    except MediaTypeError:
        return "", ""
    if disposition != "form-data":
        return "", ""
    filename = params.get("filename", "")
    return params.get("name", ""), file_name_base(filename) if filename else ""


class _GoForm(MultipartForm):
    """falcon's multipart form, each part's header block read as Go reads it; yields
    ``(headers, part)``, the headers by lowercased name, every value of each."""

    def __iter__(self) -> Iterator[Any]:
        stream = self._stream
        options = self._parse_options
        delimiter = self._dash_boundary
        first = True
        left = options.max_body_part_count
        while True:
            try:
                stream.pipe_until(delimiter, consume_delimiter=True)  # NOTE: the rest of the last part
                if first:
                    delimiter = _CRLF + delimiter
                    first = False
                if stream.peek(2) == b"--":
                    stream.read(2)
                    return
                stream.read_until(_CRLF, 0, consume_delimiter=True)
            except DelimiterError as ex:
                raise MultipartParseError(description="unexpected form structure") from ex
            headers = _read_headers(stream, options.max_body_part_headers_size)
            encoding = headers.get(b"content-transfer-encoding")
            if encoding and encoding[0] != b"binary":
                raise MultipartParseError(description="the deprecated Content-Transfer-Encoding header field is unsupported")
            left -= 1
            if left < 0 < options.max_body_part_count:
                raise MultipartParseError(description="maximum number of form body parts exceeded")
            kept = {key: headers[key][0] for key in _KEPT if key in headers}
            yield headers, BodyPart(stream.delimit(delimiter), kept, options)


def _trim(line: bytes) -> bytes:
    return line.strip(b" \t")


def _read_headers(stream: Any, limit: int) -> dict[bytes, list[bytes]]:
    """One part's header block, up to its blank line, as Go's ``textproto`` reads a MIME header."""
    lines: list[bytes] = []
    size = 0
    while True:
        try:
            line = stream.read_until(b"\n", max(limit - size, 0), consume_delimiter=True)
        except DelimiterError as ex:
            raise MultipartParseError(description="incomplete body part headers") from ex
        size += len(line) + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            break
        if line[0] in b" \t":
            if not lines:
                raise MultipartParseError(description="malformed MIME header initial line")
            lines[-1] += b" " + _trim(line)  # NOTE: a continuation line, joined by one space
            continue
        if b":" not in line:
            raise MultipartParseError(description="malformed MIME header: missing colon")
        lines.append(_trim(line))
    headers: dict[bytes, list[bytes]] = {}
    for line in lines:
        key, _colon, value = line.partition(b":")
        if not key or any(byte not in _FIELD_BYTES and byte != 0x20 for byte in key):
            raise MultipartParseError(description="malformed MIME header line")
        value = value.lstrip(b" \t")
        if any(byte not in _VALUE_BYTES for byte in value):
            raise MultipartParseError(description="malformed MIME header line")
        if b" " in key:
            continue  # NOTE: as Go, kept under a name no lookup finds (a space before the colon)
        headers.setdefault(key.lower(), []).append(value)
    return headers
