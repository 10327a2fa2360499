"""Global middleware, in PocketBase's order: CORS, auth token, security headers, body limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import ApiError
from pybase.core.auth import TOKEN_AUTH, find_record_by_token

if TYPE_CHECKING:
    from pybase.core.app import App

DEFAULT_BODY_LIMIT = 32 << 20

SECURITY_HEADERS = (
    ("X-XSS-Protection", "1; mode=block"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


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
        origin = req.get_header("Origin")
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
        header = req.get_header("Authorization")
        if header:
            req.context.auth = find_record_by_token(header, TOKEN_AUTH, self.app.registry, self.app.records)


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
