"""Requests the API makes to itself (batch sub-requests, an OAuth2 sign-up's create).

They go through the whole WSGI app, middlewares and hooks included, as a request from the
caller: its headers (but not its Accept-Encoding: the answer is read here, never gzipped), its
address and its auth.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import falcon
from falcon.constants import SINGLETON_HEADERS

from pybase.apis.middleware import SUB_REQUEST_ENV
from pybase.apis.request_body import REQUEST_CONTEXT_ENV

_NOT_PASSED = ("CONTENT-TYPE", "CONTENT-LENGTH", "ACCEPT-ENCODING")
_USER_AGENT = "falcon-client/" + falcon.__version__  # NOTE: as falcon.testing, when the caller sent none


def _environ(method: str, path: str, query: str, headers: dict[str, str], host: str, remote_addr: str) -> dict[str, Any]:
    """The WSGI environ ``falcon.testing.create_environ`` builds for these arguments.

    PERF: built here: falcon.testing loads unittest, wsgiref and pprint (~3 MB in every worker
    process that ever ran a batch or an OAuth2 sign-up).
    """
    environ: dict[str, Any] = {
        "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": "gunicorn/0.17.0", "SCRIPT_NAME": "",
        "REQUEST_METHOD": method, "PATH_INFO": falcon.uri.decode(path, unquote_plus=False).encode().decode("iso-8859-1"),
        "QUERY_STRING": query, "REMOTE_PORT": "65133", "RAW_URI": path, "SERVER_NAME": host, "SERVER_PORT": "80",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "HTTP_HOST": host,
    }  # fmt: skip
    if remote_addr:
        environ["REMOTE_ADDR"] = remote_addr
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        value = "" if value is None else value.strip()
        if key not in environ or name.lower() in SINGLETON_HEADERS:
            environ[key] = value
        else:
            environ[key] += "," + value
    environ.setdefault("HTTP_USER_AGENT", _USER_AGENT)
    return environ


def call_self(
    wsgi: Callable[..., Any],
    req: falcon.Request,
    method: str,
    url: str,
    body: bytes,
    content_type: str,
    *,
    context: str,
    headers: dict[str, str] | None = None,
    environ_extra: dict[str, Any] | None = None,
) -> tuple[int, bytes]:
    """Run ``method url`` through ``wsgi`` as ``req``'s caller; its status and body."""
    path, _, query = url.partition("?")
    path = unquote(path)  # NOTE: as a server hands the app its path (``%2F`` included)
    sent = {k: v for k, v in req.headers.items() if k not in _NOT_PASSED}
    sent.update(headers or {})
    environ = _environ(method, path, query, sent, req.host, req.remote_addr)
    environ.update({
        "wsgi.input": io.BytesIO(body), "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
        "REQUEST_URI": url, REQUEST_CONTEXT_ENV: context, SUB_REQUEST_ENV: True, **(environ_extra or {}),
    })  # fmt: skip
    started: list[str] = []

    def start_response(status: str, _headers: list[tuple[str, str]], _exc: Any = None) -> Any:
        started.append(status)
        return lambda _data: None

    chunks = wsgi(environ, start_response)
    try:
        raw = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return (int(started[0].split(" ", 1)[0]) if started else 500), raw
