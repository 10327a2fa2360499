"""``$http`` for JS: outbound HTTP (``$http.send``) with PocketBase's result shape.

It blocks the calling hook, and the runaway guard cannot interrupt Python code, so a request
never runs longer than the hook time limit (``hooks_timeout``).
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.errors import BadRequestError

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

DEFAULT_HTTP_TIMEOUT = 120  # seconds, PocketBase's $http.send default
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class _NoDefaultType:
    """urllib gives a body without a Content-Type "application/x-www-form-urlencoded"; Go's
    http.Client (PocketBase's $http.send) sends none: drop the one urllib added."""

    def do_request_(self, request: urllib.request.Request) -> urllib.request.Request:
        given = request.has_header("Content-type")
        request = super().do_request_(request)
        if not given:
            request.unredirected_hdrs.pop("Content-type", None)
        return request


class _HTTPHandler(_NoDefaultType, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_NoDefaultType, urllib.request.HTTPSHandler):
    pass


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler)
_PROXIED = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)
_CHUNK = 64 << 10


def _bytes(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, dict) and "$text" in data:
        return str(data["$text"]).encode()
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, list):
        return bytes(int(b) & 0xFF for b in data)
    return str(data).encode()


def _limit(ex: Executor, seconds: Any, default: float) -> float:
    try:
        wanted = float(seconds) if seconds not in (None, "", 0) else default
    except (TypeError, ValueError):
        wanted = default
    if wanted <= 0:
        wanted = default
    return min(wanted, ex.runtime.timeout)


# ---- $http -----------------------------------------------------------------------------------


def _canonical(name: str) -> str:
    """Go's CanonicalMIMEHeaderKey: ``content-type`` -> ``Content-Type``."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _multipart(entries: list[Any]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    out = bytearray()
    for key, value in entries:
        name = str(key).replace('"', "%22")
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += _bytes(value) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _cookies(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for header in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        for name, morsel in jar.items():
            max_age = morsel["max-age"]
            out[name] = {
                "name": name, "value": morsel.value, "path": morsel["path"], "domain": morsel["domain"],
                "expires": morsel["expires"], "rawExpires": morsel["expires"],
                "maxAge": int(max_age) if str(max_age).lstrip("-").isdigit() else 0,
                "secure": bool(morsel["secure"]), "httpOnly": bool(morsel["httponly"]),
                "sameSite": morsel["samesite"], "raw": header,
            }
    return out


def http_send(ex: Executor, config: Any) -> dict[str, Any]:
    """One HTTP request: ``{url, method, body, headers, timeout}`` -> the PocketBase result shape."""
    config = config if isinstance(config, dict) else {}
    url = str(config.get("url") or "")
    method = str(config.get("method") or "GET").upper()
    # NOTE: Go's url.Error names the method so ("Get", "Post")
    op = method[:1] + method[1:].lower()
    if not url.lower().startswith(("http://", "https://")):
        scheme = url.partition(":")[0] if ":" in url else ""
        raise BadRequestError(f'{op} "{url}": unsupported protocol scheme "{scheme}"')
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    body = config.get("body")
    data: bytes | None
    if config.get("data"):
        data = orjson.dumps(config["data"])  # NOTE: PocketBase's deprecated JSON "data" option
    elif isinstance(body, dict) and "$form" in body:
        data, content_type = _multipart(body["$form"])
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = content_type
    else:
        data = _bytes(body)
    if not data:
        data = None  # NOTE: no body: no Content-Type either (Go's http.Client)
    timeout = _limit(ex, config.get("timeout"), DEFAULT_HTTP_TIMEOUT)
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    # NOTE: as Go's http.Client, proxies from the environment apply except to loopback hosts.
    opener = _DIRECT if urllib.parse.urlsplit(url).hostname in _LOOPBACK else _PROXIED
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as ex_:
        response = ex_  # a 4xx/5xx answer is a result, not an error (as Go's http.Client)
    except (urllib.error.URLError, OSError, ValueError) as ex_:
        reason = getattr(ex_, "reason", ex_)
        if isinstance(reason, ConnectionRefusedError):
            parts = urllib.parse.urlsplit(url)
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            reason = f"dial tcp {parts.hostname}:{port}: connect: connection refused"
        raise BadRequestError(f'{op} "{url}": {reason}') from ex_
    with response:
        raw = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise BadRequestError(f"{method} {url}: timeout after {timeout:g} s reading the body")
            try:
                chunk = response.read(_CHUNK)
            except (OSError, ValueError) as ex_:
                raise BadRequestError(f"{method} {url}: {ex_}") from ex_
            if not chunk:
                break
            raw += chunk
        header_map: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            header_map.setdefault(_canonical(name), []).append(value)
        status = int(getattr(response, "status", None) or response.getcode() or 0)
    body_bytes = bytes(raw)
    parsed: Any = None
    if body_bytes:
        try:
            candidate = orjson.loads(body_bytes)
            parsed = candidate if isinstance(candidate, dict | list) else None
        except orjson.JSONDecodeError:
            parsed = None
    return {
        "statusCode": status,
        "headers": header_map,
        "cookies": _cookies(header_map.get("Set-Cookie", [])),
        "body": body_bytes,
        "raw": body_bytes.decode("utf-8", "replace"),
        "json": parsed,
    }


OPS: dict[str, Callable[..., Any]] = {"http.send": http_send}
