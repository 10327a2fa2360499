"""String validators with the semantics PocketBase's Go libraries give them.

Regular expressions from users (field patterns) and the email/URL checks run on RE2, the
engine Go's ``regexp`` package implements: the same syntax (``$`` only at the end of the text,
no look-arounds or back-references), and matching in linear time, so no pattern or input can
stall a request. The email and URL rules are those of govalidator's ``IsEmail``/``IsURL``
(MIT), which PocketBase's validation library calls.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class InvalidRegex(ValueError):
    """The pattern is not valid RE2 (Go ``regexp``) syntax."""


@lru_cache(maxsize=512)
def go_regex(pattern: str) -> Any:
    """``pattern`` compiled with Go's regexp semantics (cached); InvalidRegex when invalid."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as ex:
        raise InvalidRegex(str(ex)) from ex


def is_regex(pattern: str) -> bool:
    """Whether Go's ``regexp.Compile`` accepts ``pattern``."""
    try:
        go_regex(pattern)
    except InvalidRegex:
        return False
    return True


# RE2's error texts -> the error codes of Go's regexp/syntax (the same parser, other words)
_GO_REGEX_CODES = {
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid escape sequence": "invalid escape sequence",
    "no argument for repetition operator": "missing argument to repetition operator",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid repetition size": "invalid repeat count",
    "invalid character class range": "invalid character class range",
    "invalid character class": "invalid character class",
    "invalid named capture group": "invalid named capture",
    "invalid UTF-8": "invalid UTF-8",
    "pattern too large - compile failed": "expression too large",
}


def regex_error(pattern: str) -> str | None:
    """Why Go's ``regexp.Compile`` refuses ``pattern``, in its words (None when accepted).

    Go writes ``error parsing regexp: <code>: `<fragment>```; PocketBase shows it with a capital
    first letter and a final period.
    """
    try:
        go_regex(pattern)
    except InvalidRegex as ex:
        text = str(ex)
        if text.startswith("b'") or text.startswith('b"'):
            text = text[2:-1].encode().decode("unicode_escape")
        code, _, fragment = text.partition(": ")
        if code == "trailing \\":
            return "Error parsing regexp: trailing backslash at end of expression: ``."
        return f"Error parsing regexp: {_GO_REGEX_CODES.get(code, code)}: `{fragment}`."
    return None


def matches(pattern: str, value: str) -> bool:
    """Whether ``value`` contains a match of ``pattern`` (Go's ``MatchString``)."""
    return go_regex(pattern).search(value) is not None


# ---- email (govalidator IsEmail) ------------------------------------------------------------

_U = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"  # the non-ASCII letters govalidator allows
_ATOM = f"[a-zA-Z0-9!#$%&'*+\\-/=?^_`{{|}}~{_U}]"
_FWS = "(?:(?:[ \\t]*\\r\\n)?[ \\t]+)?"  # folding white space
_QUOTED = (
    f'"(?:{_FWS}(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\x21\\x23-\\x5b\\x5d-\\x7e{_U}]'
    # NOTE: govalidator's quoted pair starts with "(" where RFC 5322 has "\\"; kept as it is.
    f'|\\([\\x01-\\x09\\x0b\\x0c\\x0d-\\x7f{_U}]))*{_FWS}"'
)
_LABEL = f"(?:[a-zA-Z0-9{_U}]|[a-zA-Z0-9{_U}][a-zA-Z0-9\\-._~{_U}]*[a-zA-Z0-9{_U}])"
_TLD = f"(?:[a-zA-Z{_U}]|[a-zA-Z{_U}][a-zA-Z0-9\\-_~{_U}]*[a-zA-Z{_U}])"
_EMAIL = re2.compile(f"^(?:{_ATOM}+(?:\\.{_ATOM}+)*|{_QUOTED})@(?:{_LABEL}\\.)+{_TLD}\\.?$", options=_OPTIONS)


def is_email(value: str) -> bool:
    """An email address as PocketBase's ``is.EmailFormat`` accepts it (no display names)."""
    return _EMAIL.search(value) is not None


# ---- URL (govalidator IsURL over Go's url.Parse) -------------------------------------------

_IP6 = (
    "(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|"
    "(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|"
    "(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|"
    "(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(?:(?::[0-9a-fA-F]{1,4}){1,6})|"
    ":(?:(?::[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+|"
    "::(?:ffff(?::0{1,4})?:)?(?:(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])\\.){3}(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])|"
    "(?:[0-9a-fA-F]{1,4}:){1,4}:(?:(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])\\.){3}(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9]))"
)
_NOT_SPACE = "[^\\t\\n\\f\\r ]"
_IP4 = (
    "(?:[1-9][0-9]?|1[0-9][0-9]|2[01][0-9]|22[0-3]|24[0-9]|25[0-5])"
    "(?:\\.(?:[0-9]{1,2}|1[0-9][0-9]|2[0-4][0-9]|25[0-5])){2}"
    "(?:\\.(?:[0-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))"
)
_SUBDOMAIN = "(?:www\\.|[a-zA-Z0-9]+(?:[-_.]?[a-zA-Z0-9])*[a-zA-Z0-9]\\.[a-zA-Z0-9]+)"
_WIDE = "a-zA-Z\u00a1-\uffff0-9"
_HOST = (
    f"(?:{_IP4}|\\[{_IP6}\\]|(?:[a-zA-Z0-9](?:[a-zA-Z0-9_-]+)?[a-zA-Z0-9](?:[-.][a-zA-Z0-9]+)*)|{_SUBDOMAIN}?)?"
    f"(?:[{_WIDE}]+-?-?)*[{_WIDE}]+(?:\\.[a-zA-Z\u00a1-\uffff]+)?"
)
_URL = re2.compile(
    f"^(?:(?:ftp|tcp|udp|wss?|https?)://)?(?:{_NOT_SPACE}+(?::{_NOT_SPACE}*)?@)?(?:{_IP4}|{_HOST})\\.?"
    f"(?::[0-9]{{1,5}})?(?:[/?#]{_NOT_SPACE}*)?$",
    options=_OPTIONS,
)
_MAX_URL_RUNES = 2083
_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+\-.]*")
_PORT_RE = re.compile(r":[0-9]*")
_HEX = "0123456789abcdefABCDEF"
# bytes Go's url package accepts unescaped in a host (besides letters and digits)
_HOST_CHARS = frozenset("-._~!$&'()*+,;=:[]<>\"")
_USERINFO_CHARS = frozenset("-._~!$&'()*+,;=:%@")


class _URLError(ValueError):
    pass


def _check_escapes(text: str, host: bool = False) -> None:
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
                raise _URLError("bad escape")
            i += 3
            continue
        if host and ord(char) < 0x80 and not (char.isalnum() or char in _HOST_CHARS):
            raise _URLError("invalid character in host name")
        i += 1


def url_host(value: str) -> str | None:
    """The ``Host`` (with its port) Go's ``url.Parse`` finds in ``value``; None on a parse error."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    rest, _, fragment = value.partition("#")
    try:
        _check_escapes(fragment)
        scheme = ""
        match = _SCHEME_RE.match(rest)
        if rest.startswith(":"):
            return None  # missing protocol scheme
        if match and rest[match.end() : match.end() + 1] == ":":
            scheme, rest = match.group(0), rest[match.end() + 1 :]
        rest = rest.partition("?")[0]
        if not rest.startswith("/"):
            if scheme:
                return ""  # opaque ("mailto:x")
            if ":" in rest.partition("/")[0]:
                return None  # first path segment cannot contain a colon
        if rest.startswith("//") and (scheme or not rest.startswith("///")):
            authority, slash, path = rest[2:].partition("/")
            host = _parse_authority(authority)
            _check_escapes(slash + path)
            return host
        _check_escapes(rest)
        return ""
    except _URLError:
        return None


def _parse_authority(authority: str) -> str:
    userinfo, at, host = authority.rpartition("@")
    if at and not all(c.isalnum() and ord(c) < 0x80 or c in _USERINFO_CHARS for c in userinfo):
        raise _URLError("invalid userinfo")
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise _URLError("missing ']' in host")
        if host[end + 1 :] and not _PORT_RE.fullmatch(host[end + 1 :]):
            raise _URLError("invalid port")
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _PORT_RE.fullmatch(host[colon:]):
            raise _URLError("invalid port")
    _check_escapes(host, host=True)
    return host


def is_url(value: str) -> bool:
    """A URL as PocketBase's ``is.URL`` accepts it (scheme optional: ``example.com`` passes)."""
    if value == "" or len(value) >= _MAX_URL_RUNES or len(value.encode()) <= 3 or value.startswith("."):
        return False
    probe = "http://" + value if ":" in value and "://" not in value else value
    host = url_host(probe)
    if host is None or host.startswith("."):
        return False
    if host == "":
        path = _url_path(probe)
        if path and "." not in path:
            return False
    return _URL.search(value) is not None


def _url_path(value: str) -> str:
    """The path part of a URL without an authority (enough for IsURL's one check)."""
    rest = value.partition("#")[0].partition("?")[0]
    match = _SCHEME_RE.match(rest)
    if match and rest[match.end() : match.end() + 1] == ":":
        rest = rest[match.end() + 1 :]
        if not rest.startswith("/"):
            return ""  # opaque: no path
    return rest
