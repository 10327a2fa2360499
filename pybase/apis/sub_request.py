"""Requests the API makes to itself (batch sub-requests, an OAuth2 sign-up's create).

They go through the whole WSGI app, middlewares and hooks included, as a request from the
caller, as PocketBase's internal requests: the caller's headers (its User-Agent, or none when it
sent none; its Accept-Encoding too, though the answer, read here, is never gzipped), the
sub-request's own headers over them, its address and its auth; the body is multipart form data
(the fields as ``@jsonPayload``), so rules and hooks see ``multipart/form-data`` as its type.
"""

from __future__ import annotations

import io
import secrets
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import falcon
import orjson
from falcon.constants import SINGLETON_HEADERS

from pybase.apis.middleware import SUB_REQUEST_ENV
from pybase.apis.request_body import REQUEST_CONTEXT_ENV, SUB_REQUEST_PAYLOAD_ENV

_NOT_PASSED = ("CONTENT-TYPE", "CONTENT-LENGTH")


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
    return environ


def multipart_body(
    payload: dict[str, Any], files: dict[str, list[tuple[str, bytes]]] | None = None
) -> tuple[bytes, str, dict[str, Any]]:
    """A multipart body as PocketBase builds an internal request's: the fields as one
    ``@jsonPayload`` part, then the files; its Content-Type; and the environ entries that spare
    the app parsing it back when it holds no files."""
    boundary = secrets.token_hex(30)  # NOTE: as Go's multipart.Writer: 60 random hex digits
    data = orjson.dumps(payload)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="@jsonPayload"\r\n\r\n'.encode() + data + b"\r\n"]
    for field, items in (files or {}).items():
        for name, data in items:
            safe = name.replace('"', "").replace("\r", "").replace("\n", "") or "file"
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{safe}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n")  # fmt: skip
            parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    extra = {} if files else {SUB_REQUEST_PAYLOAD_ENV: data}
    return b"".join(parts), f"multipart/form-data; boundary={boundary}", extra


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
