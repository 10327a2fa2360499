"""Media type and Content-Disposition values read as Go's ``mime.ParseMediaType`` reads them.

PocketBase finds a multipart part's field name and file name with that function, so a value
it refuses (an unescaped quote, a character no token may hold, a parameter given twice with
two values) leaves the part nameless (Go's multipart reader then skips it), where a lenient
parser would read a name. RFC 2231 parameters (``filename*=utf-8''a%20b``, ``name*0=..``)
are joined as Go joins them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

# RFC 2045 tspecials: never part of a token
_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
# Go's unicode.IsSpace (the Unicode White_Space property)
_SPACES = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(map(chr, range(0x2000, 0x200B)))
_SECTION_RE = re.compile(r"^(.*)\*(\d+)(\*?)$")


class MediaTypeError(ValueError):
    """The value is no media type (or disposition) Go's parser accepts."""


def _token_char(ch: str) -> bool:
    return " " < ch < "\x7f" and ch not in _TSPECIALS


def _trim_left(text: str) -> str:
    i = 0
    while i < len(text) and text[i] in _SPACES:
        i += 1
    return text[i:]


def _trim(text: str) -> str:
    end = len(text)
    while end and text[end - 1] in _SPACES:
        end -= 1
    return _trim_left(text[:end])


def _token(text: str) -> tuple[str, str]:
    """The leading token of ``text`` and the rest."""
    i = 0
    while i < len(text) and _token_char(text[i]):
        i += 1
    return text[:i], text[i:]


def _value(text: str) -> tuple[str, str] | None:
    """A token or a quoted string at the start of ``text`` and the rest; None when there is none
    (a quoted string holding a CR or LF, or never closed)."""
    if not text.startswith('"'):
        value, rest = _token(text)
        return (value, rest) if value else None
    out: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), text[i + 1 :]
        # NOTE: as Go: a backslash escapes only a tspecial; before anything else it is itself
        # (a full Windows path sent unescaped keeps its backslashes)
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _TSPECIALS:
            out.append(text[i + 1])
            i += 2
            continue
        if ch in "\r\n":
            return None
        out.append(ch)
        i += 1
    return None


def _param(text: str) -> tuple[str, str, str] | None:
    """``; key=value`` at the start of ``text``: the lowercased key, the value and the rest."""
    rest = _trim_left(text)
    if not rest.startswith(";"):
        return None
    key, rest = _token(_trim_left(rest[1:]))
    if not key:
        return None
    rest = _trim_left(rest)
    if not rest.startswith("="):
        return None
    found = _value(_trim_left(rest[1:]))
    if found is None:
        return None
    return key.lower(), found[0], found[1]


def _check_type(media_type: str) -> None:
    kind, rest = _token(media_type)
    if not kind:
        raise MediaTypeError("no media type")
    if not rest:
        return
    if not rest.startswith("/"):
        raise MediaTypeError("expected slash after first token")
    subtype, rest = _token(rest[1:])
    if not subtype:
        raise MediaTypeError("expected token after slash")
    if rest:
        raise MediaTypeError("unexpected content after media subtype")


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """The lowercased media type (or disposition) and its parameters; MediaTypeError when Go's
    ``mime.ParseMediaType`` fails on ``value``."""
    base = value.split(";", 1)[0]
    media_type = _trim(base.lower())
    _check_type(media_type)
    params: dict[str, str] = {}
    # parameters whose key holds a "*" (RFC 2231), by the key before it
    sections: dict[str, dict[str, str]] = {}
    rest = value[len(base) :]
    while rest:
        rest = _trim_left(rest)
        if not rest:
            break
        found = _param(rest)
        if found is None:
            if _trim(rest) == ";":
                break  # NOTE: a trailing semicolon is no error
            raise MediaTypeError("invalid media parameter")
        key, item, rest = found
        target = sections.setdefault(key.split("*", 1)[0], {}) if "*" in key else params
        if key in target and target[key] != item:
            raise MediaTypeError("duplicate parameter name")
        target[key] = item
    for key, pieces in sections.items():
        if key + "*" in pieces:
            decoded = _decode_2231(pieces[key + "*"])
            if decoded is not None:
                params[key] = decoded
            continue
        joined: list[str] = []
        n = 0
        while True:
            if f"{key}*{n}" in pieces:
                joined.append(pieces[f"{key}*{n}"])
            elif f"{key}*{n}*" in pieces:
                encoded = pieces[f"{key}*{n}*"]
                if n == 0:
                    joined.append(_decode_2231(encoded) or "")
                else:
                    joined.append(_percent_unescape(encoded) or "")
            else:
                break
            n += 1
        if n:
            params[key] = "".join(joined)
    return media_type, params


def _decode_2231(text: str) -> str | None:
    """``charset'language'percent-encoded`` (us-ascii or utf-8 only), decoded."""
    parts = text.split("'", 2)
    if len(parts) != 3 or parts[0].lower() not in ("us-ascii", "utf-8"):
        return None
    return _percent_unescape(parts[2])


def _percent_unescape(text: str) -> str | None:
    """``%XX`` escapes decoded; None when one is malformed."""
    i = text.find("%")
    while i >= 0:
        if not re.fullmatch(r"%[0-9A-Fa-f]{2}", text[i : i + 3]):
            return None
        i = text.find("%", i + 3)
    return unquote_to_bytes(text).decode("utf-8", "replace")


def file_name_base(name: str) -> str:
    """The last element of a sent file name, as Go's ``filepath.Base`` (trailing slashes
    dropped; "/" for only slashes)."""
    trimmed = name.rstrip("/")
    return "/" if not trimmed else trimmed.rsplit("/", 1)[-1]
