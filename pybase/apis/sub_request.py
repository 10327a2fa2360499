"""Requests the API makes to itself (batch sub-requests, an OAuth2 sign-up's create).

They go through the whole WSGI app, middlewares and hooks included, as a request from the
caller: its headers (but not its Accept-Encoding: the answer is read here, never gzipped), its
address and its auth.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import falcon

from pybase.apis.middleware import SUB_REQUEST_ENV
from pybase.apis.request_body import REQUEST_CONTEXT_ENV

_NOT_PASSED = ("CONTENT-TYPE", "CONTENT-LENGTH", "ACCEPT-ENCODING")


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
    import falcon.testing  # NOTE: on first use: it loads unittest too (~2 MB in every worker)

    environ = falcon.testing.create_environ(
        method=method, path=path, query_string=query, headers=sent, body=b"", host=req.host, remote_addr=req.remote_addr,
    )  # fmt: skip
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
