"""Global middleware, in PocketBase's order: CORS, auth token, security headers, body limit.

Routing comes first: :class:`RoutingMiddleware` makes Falcon's route matching behave as Go's
``http.ServeMux`` does for PocketBase.
"""

from __future__ import annotations

import gzip
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import falcon

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError
from pybase.core.auth import TOKEN_AUTH, find_record_by_token
from pybase.core.logs import ERROR, INFO
from pybase.store import statement_limit

if TYPE_CHECKING:
    from pybase.core.app import App

DEFAULT_BODY_LIMIT = 32 << 20
SUB_REQUEST_ENV = "pybase.batch"  # a batch's sub-request (apis/batch.py)

SECURITY_HEADERS = (
    ("X-XSS-Protection", "1; mode=block"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def path_values(req: falcon.Request, values: dict[str, Any]) -> dict[str, Any]:
    """Path values as the client meant them (``a%2Fb`` is ``a/b``); see RoutingMiddleware."""
    if not getattr(req.context, "quoted_segments", False):
        return values
    return {key: unquote(value) if isinstance(value, str) else value for key, value in values.items()}


class RoutingMiddleware:
    """Route matching as PocketBase's router does it.

    - ``%2F`` inside a path segment stays part of that segment (``/records/a%2Fb`` is the
      record ``a/b``), where the WSGI path arrives already decoded;
    - a path value is never empty: ``/records/`` is no record route but an unknown path.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        raw = req.env.get("REQUEST_URI") or ""
        raw_path = raw.split("?", 1)[0]
        if "%2f" in raw_path.lower():
            # NOTE: each segment decoded, then re-quoted so that Falcon sees no extra "/".
            req.path = "/".join(quote(unquote(part), safe="") for part in raw_path.split("/"))
            req.context.quoted_segments = True

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]) -> None:
        params.update(path_values(req, params))
        if resource is not None and any(value == "" for value in params.values()):
            raise falcon.HTTPNotFound()


class ActivityLogMiddleware:
    """Every request logged into ``_logs`` (PocketBase's activity logger), off the request path.

    Entries are queued; the log store's thread writes them in batches. Failed requests log at
    the error level with the error's message and details; ``req.context.skip_success_log`` (the
    logs routes set it) keeps successful ones out.
    """

    def __init__(self, app: App) -> None:
        self.logs = app.logs
        self.settings = app.log_settings

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.env.get(SUB_REQUEST_ENV):
            return  # NOTE: as PocketBase: a batch is one logged request
        req.context.log_started = time.perf_counter_ns()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        started = getattr(req.context, "log_started", None)
        if started is None:
            return
        error = getattr(req.context, "api_error", None)
        if error is None:
            if getattr(req.context, "skip_success_log", False):
                return
            level = INFO
        else:
            level = ERROR
        settings = self.settings()
        if settings.max_days <= 0 or level < settings.min_level:
            return  # NOTE: as LogStore.accepts, from the settings already read
        env = req.env
        uri = env.get("REQUEST_URI") or req.relative_uri
        data: dict[str, Any] = {
            "type": "request",
            # NOTE: as PocketBase: whole nanoseconds / 1e6 (at most 6 decimals, not a float's noise)
            "execTime": (time.perf_counter_ns() - started) / 1e6,
            "url": _cut(uri, 3000),
            "method": _cut(req.method.upper(), 50),
            "status": _status_code(resp),
            "referer": _cut(env.get("HTTP_REFERER", ""), 2000),
            "userAgent": _cut(env.get("HTTP_USER_AGENT", ""), 2000),
        }
        if error is not None:
            data["error"] = error.message
            cause = error.__cause__
            data["details"] = error.data or (str(cause) if cause is not None else None)
        auth = getattr(req.context, "auth", None)
        data["auth"] = auth.collection.name if auth is not None else ""
        if auth is not None and settings.log_auth_id:
            data["authId"] = auth.id
        if settings.log_ip:
            data["userIP"] = real_ip(req)
            data["remoteIP"] = req.remote_addr or ""
        url = data["url"]
        self.logs.queue(level, f"{data['method']} {unquote(url) if '%' in url else url}", data)


def _cut(text: str, limit: int) -> str:
    return text[:limit] + "..." if len(text) > limit else text


def _status_code(resp: falcon.Response) -> int:
    status = resp.status
    if isinstance(status, int):
        return status
    try:
        return int(str(status).split(" ", 1)[0])
    except ValueError:
        return 0


class StatementLimitMiddleware:
    """Every SQL statement a request runs stops after ``seconds`` or when its client goes away.

    NOTE: waitress tells a gone client only with ``channel_request_lookahead`` >= 1 (the server
    sets it): the socket is read, and its EOF seen, while the request runs.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.statement_limit = statement_limit.begin(self.seconds, req.env.get("waitress.client_disconnected"))

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        previous = getattr(req.context, "statement_limit", None)
        if previous is not None:
            statement_limit.end(previous)


class CorsMiddleware:
    """Answer preflights with 204 and allow every origin (PocketBase's default ``--origins *``)."""

    def __init__(self, origins: list[str] | None = None) -> None:
        self.origins = origins or ["*"]

    def _allowed(self, origin: str) -> str | None:
        if "*" in self.origins:
            return "*"
        return origin if origin in self.origins else None

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "OPTIONS":
            origin = req.get_header("Origin")
            if origin and (allowed := self._allowed(origin)):
                resp.set_header("Access-Control-Allow-Origin", allowed)
                resp.set_header("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
                wanted = req.get_header("Access-Control-Request-Headers")
                if wanted:
                    resp.set_header("Access-Control-Allow-Headers", wanted)
            resp.set_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
            resp.status = 204
            resp.complete = True

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        origin = req.env.get("HTTP_ORIGIN")  # PERF: falcon's get_header raises inside when absent
        if origin and req.method != "OPTIONS" and (allowed := self._allowed(origin)):
            resp.set_header("Access-Control-Allow-Origin", allowed)
        if req.method != "OPTIONS":
            resp.set_header("Vary", "Origin")


class AuthMiddleware:
    """Load the auth record named by the ``Authorization`` token into ``req.context.auth``.

    An invalid token on a public route is the same as no token (PocketBase does the same);
    guards decide who may pass.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.auth = None
        header = req.env.get("HTTP_AUTHORIZATION")  # PERF: as CorsMiddleware
        if header:
            req.context.auth = find_record_by_token(header, TOKEN_AUTH, self.app.registry, self.app.records)


class GzipMiddleware:
    """Gzip text answers of some size for clients that accept it (JSON lists, the dashboard).

    PERF: level 5, only past ``min_size`` bytes: below that the header costs more than it saves.
    zlib works without the GIL, so large lists cost the other requests little.
    """

    COMPRESSIBLE = ("application/json", "text/", "application/javascript", "image/svg+xml")

    def __init__(self, min_size: int = 1024, level: int = 5) -> None:
        self.min_size = min_size
        self.level = level

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        if req.method == "HEAD" or "gzip" not in req.env.get("HTTP_ACCEPT_ENCODING", ""):
            return
        if req.env.get(SUB_REQUEST_ENV):
            return  # NOTE: read by the request that made it (it carries its caller's Accept-Encoding)
        if resp.stream is not None or resp.get_header("Content-Encoding") or resp.get_header("Content-Range"):
            return
        content_type = resp.content_type or ""
        if not content_type.startswith(self.COMPRESSIBLE):
            return
        body = resp.render_body()
        if body is None or len(body) < self.min_size:
            return
        resp.text = None
        resp.data = gzip.compress(body, compresslevel=self.level, mtime=0)
        resp.set_header("Content-Encoding", "gzip")
        resp.append_header("Vary", "Accept-Encoding")


class SecurityHeadersMiddleware:
    """The headers PocketBase sets on every response."""

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        for name, value in SECURITY_HEADERS:
            resp.set_header(name, value)


class BodyLimitMiddleware:
    """Refuse bodies over the route's limit with 413 before anything reads them.

    A resource may define ``body_limit(req, params) -> int`` (records add their file/json/editor
    allowances, as PocketBase does). The server also caps bodies before buffering them.
    """

    def __init__(self, default: int = DEFAULT_BODY_LIMIT) -> None:
        self.default = default

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]) -> None:
        # NOTE: hooks read path values (e.request.pathValue) from the request context.
        req.context.path_params = dict(params)
        length = req.content_length
        if not length:
            return
        limit = self.default
        custom = getattr(resource, "body_limit", None)
        if custom is not None:
            limit = custom(req, params)
        if length > limit:
            raise ApiError(413)
