"""Python routes of the framework (``PyBase.route``): matching, middlewares and the route event."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import falcon
import orjson

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError
from pybase.apis.middleware import DEFAULT_BODY_LIMIT, path_values
from pybase.apis.request_body import read_body, request_info
from pybase.apis.serialize import record_to_json
from pybase.core.app import App
from pybase.core.collections import Collection
from pybase.core.events import RequestEvent
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.tools.gonumbers import Scanned, scanned_text
from pybase.tools.hook import Hook


@dataclass(frozen=True)
class PyRoute:
    """One ``app.route``: method ("" for any), pattern, middlewares chain and handler."""

    method: str
    path: str
    pattern: re.Pattern[str]
    names: list[str]
    chain: Hook[Any]
    handler: Callable[..., Any]
    #: ``handler(req, resp, **path_values)`` with the Falcon objects (the first form pybase had)
    falcon_style: bool = False


def takes_falcon_objects(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(positional) >= 2


class PyRoutesMiddleware:
    """Answers requests matching an ``app.route`` before Falcon routes them (as JS routes are)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def match(self, method: str, path: str) -> tuple[PyRoute, dict[str, str]] | None:
        """The route for a request and its path values."""
        methods = (method, "GET", "") if method == "HEAD" else (method, "")
        for route in self.app.routes:
            if route.method in methods:
                found = route.pattern.match(path)
                if found is not None:
                    return route, dict(zip(route.names, found.groups(), strict=False))
        return None

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "OPTIONS":
            return
        found = self.match(req.method, req.path)
        if found is None:
            return
        route, params = found
        params = path_values(req, params)
        if req.content_length and req.content_length > DEFAULT_BODY_LIMIT:
            raise ApiError(413)
        event = RouteEvent(self.app.core, req, resp, params)
        resp.status = 200

        def handle(e: RouteEvent) -> Any:
            if route.falcon_style:
                route.handler(req, resp, **params)
                return None
            result = route.handler(e)
            if not e.written and isinstance(result, dict | list):
                e.json(200, result)
            return None

        try:
            route.chain.trigger(event, handle)
        finally:
            resp.complete = True


class RouteRequest:
    """The request of a route event (``raw`` is the Falcon request)."""

    def __init__(self, raw: falcon.Request, params: dict[str, str]) -> None:
        self.raw = raw
        self.params = params

    @property
    def method(self) -> str:
        """``GET``, ``POST``..."""
        return str(self.raw.method)

    @property
    def path(self) -> str:
        """The URL path."""
        return str(self.raw.path)

    @property
    def url(self) -> str:
        """The full URL."""
        return str(self.raw.url)

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value of repeated ones)."""
        return {k: (v[-1] if isinstance(v, list) else v) for k, v in self.raw.params.items()}

    @property
    def headers(self) -> dict[str, str]:
        """Headers with lower-case names."""
        return {k.lower(): v for k, v in self.raw.headers.items()}

    @property
    def remote_addr(self) -> str:
        """The peer address."""
        return str(self.raw.remote_addr or "")

    def header(self, name: str) -> str:
        """One header ("" when missing)."""
        return str(self.raw.get_header(name) or "")

    def path_value(self, name: str) -> str:
        """A ``{name}`` of the route's path ("" when missing)."""
        return self.params.get(name, "")


class RouteResponse:
    """The response of a route event (``raw`` is the Falcon response)."""

    def __init__(self, raw: falcon.Response) -> None:
        self.raw = raw

    @property
    def status(self) -> int:
        """The status code."""
        return int(str(self.raw.status).split()[0])

    def set_header(self, name: str, value: Any) -> None:
        """Set (replace) a header."""
        self.raw.set_header(name, str(value))

    def add_header(self, name: str, value: Any) -> None:
        """Add one more value to a header."""
        self.raw.append_header(name, str(value))

    def get_header(self, name: str) -> str:
        """A header already set ("" when none)."""
        return str(self.raw.get_header(name) or "")

    def del_header(self, name: str) -> None:
        """Remove a header."""
        self.raw.delete_header(name)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Record):
        return record_to_json(obj, None)
    if isinstance(obj, Scanned):
        return scanned_text(obj)  # NOTE: a view's REAL in an exported record (serialize)
    if isinstance(obj, Collection):
        return obj.to_json()
    if isinstance(obj, RequestInfo):
        return {"method": obj.method, "query": obj.query, "headers": obj.headers, "body": obj.body, "auth": obj.auth, "context": obj.context}
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


class RouteEvent(RequestEvent):
    """What a Python route handler and its middlewares receive (JS's request event, in Python).

    ``e.app`` is the core app, ``e.auth`` the authenticated record or None, ``e.request`` /
    ``e.response`` wrap the Falcon objects (``.raw``), ``e.params`` the path values.
    """

    def __init__(self, app: App, req: falcon.Request, resp: falcon.Response, params: dict[str, str]) -> None:
        super().__init__(app)
        self.request = RouteRequest(req, params)
        self.response = RouteResponse(resp)
        self.auth: Record | None = getattr(req.context, "auth", None)
        self.params = params
        self.written = False
        self._store: dict[str, Any] = {}

    # ---- reading -----------------------------------------------------------------------

    def request_info(self) -> RequestInfo:
        """Method, query, headers, body and auth, as API rules see them (``@request.*``)."""
        info = getattr(self.request.raw.context, "request_info", None)
        return info if info is not None else request_info(self.request.raw, self.body())

    def body(self) -> dict[str, Any]:
        """The submitted JSON, form or multipart fields (read once)."""
        ctx = self.request.raw.context
        info = getattr(ctx, "request_info", None)
        if info is not None:
            return dict(info.body)
        body = getattr(ctx, "route_body", None)
        if body is None:
            body, _files = read_body(self.request.raw)
            ctx.route_body = body
        return dict(body)

    def bind_body(self, target: Any = None) -> Any:
        """The body copied into ``target`` (a dict, or an object's attributes); returns it."""
        body = self.body()
        if target is None:
            return body
        if isinstance(target, dict):
            target.update(body)
        else:
            for key, value in body.items():
                setattr(target, key, value)
        return target

    def has_superuser_auth(self) -> bool:
        """Whether the caller is a superuser."""
        return self.auth is not None and self.auth.is_superuser()

    def real_ip(self) -> str:
        """The client's address (through the trusted proxy headers, when configured)."""
        return real_ip(self.request.raw)

    def is_tls(self) -> bool:
        """Whether the request came over HTTPS."""
        return self.request.raw.scheme == "https"

    def get(self, key: str) -> Any:
        """A value stored on this request with :meth:`set`."""
        return self._store.get(key)

    def set(self, key: str, value: Any) -> None:
        """Keep a value for the rest of this request (middlewares -> handler)."""
        self._store[key] = value

    # ---- writing -----------------------------------------------------------------------

    def _write(self, status: int, content_type: str | None, data: bytes) -> None:
        resp = self.response.raw
        resp.status = int(status)
        if content_type:
            resp.content_type = content_type
        resp.data = data
        self.written = True

    def json(self, status: int, data: Any) -> None:
        """Answer ``data`` as JSON (records and collections as the API shows them)."""
        self._write(status, "application/json", orjson.dumps(data, default=_json_default, option=orjson.OPT_NON_STR_KEYS))

    def string(self, status: int, text: str) -> None:
        """Answer plain text."""
        self._write(status, "text/plain; charset=utf-8", str(text).encode())

    def html(self, status: int, html: str) -> None:
        """Answer HTML."""
        self._write(status, "text/html; charset=utf-8", str(html).encode())

    def blob(self, status: int, content_type: str, data: bytes) -> None:
        """Answer raw bytes."""
        self._write(status, content_type or "application/octet-stream", bytes(data))

    def no_content(self, status: int = 204) -> None:
        """Answer with no body."""
        self._write(status, None, b"")

    def redirect(self, status: int, url: str) -> None:
        """Redirect (``status`` 3xx) to ``url``."""
        self.response.raw.status = int(status)
        self.response.raw.location = str(url)
        self.written = True
