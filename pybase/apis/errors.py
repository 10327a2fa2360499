"""The one place exceptions become HTTP answers, always in PocketBase's error shape.

``{"data": {...}, "message": "...", "status": N}``: ``data`` holds per-field ``{code, message}``
for validation errors and is ``{}`` otherwise. A 500 logs the traceback and shows nothing inside.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
import orjson

from pybase.core import errors as core_errors
from pybase.store import statement_limit
from pybase.store.db import TransactionLostError

log = logging.getLogger("pybase.apis")

MSG_GENERIC = "Something went wrong while processing your request."
MSG_NOT_FOUND = "The requested resource wasn't found."
MSG_FILE_NOT_FOUND = "File not found."
MSG_UNAUTHORIZED = "The request requires valid record authorization token."
MSG_FORBIDDEN_RECORD = "The authorized record is not allowed to perform this action."
MSG_SUPERUSERS_ONLY = "Only superusers can perform this action."
MSG_TOO_LARGE = "Request entity too large."
# NOTE: WSGI apps may not send hop-by-hop headers such as ``Connection`` (PEP 3333; waitress
# refuses them with a 500). A 413 asks the server to close the connection through this WSGI
# environ key instead, so the unread rest of an oversized upload is never parsed as a request.
CLOSE_CONNECTION_ENV = "pybase.close_connection"


class ApiError(Exception):
    """An HTTP error with PocketBase's JSON body."""

    def __init__(self, status: int, message: str = "", data: dict[str, Any] | None = None) -> None:
        self.status = status
        self.message = message or _default_message(status)
        self.data = data or {}
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        """The wire body."""
        return {"data": self.data, "message": self.message, "status": self.status}


def _default_message(status: int) -> str:
    return {
        400: MSG_GENERIC,
        401: MSG_UNAUTHORIZED,
        403: "You are not allowed to perform this request.",
        404: MSG_NOT_FOUND,
        413: MSG_TOO_LARGE,
        429: "Too Many Requests.",
    }.get(status, MSG_GENERIC)


def bad_request(message: str = MSG_GENERIC, data: dict[str, Any] | None = None) -> ApiError:
    """400."""
    return ApiError(400, message, data)


def unauthorized(message: str = MSG_UNAUTHORIZED) -> ApiError:
    """401."""
    return ApiError(401, message)


def forbidden(message: str = MSG_FORBIDDEN_RECORD) -> ApiError:
    """403."""
    return ApiError(403, message)


def not_found(message: str = MSG_NOT_FOUND) -> ApiError:
    """404."""
    return ApiError(404, message)


_DOMAIN_STATUS: dict[type[core_errors.PyBaseError], int] = {
    core_errors.ValidationError: 400,
    core_errors.BadRequestError: 400,
    core_errors.NotFoundError: 404,
    core_errors.ForbiddenError: 403,
    core_errors.UnauthorizedError: 401,
    core_errors.TooManyRequestsError: 429,
}


def from_domain(ex: core_errors.PyBaseError, message: str | None = None) -> ApiError:
    """Map a domain error to its API error (``message`` overrides validation messages)."""
    status = next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(ex, cls)), 400)
    text = ex.message
    if message and isinstance(ex, core_errors.ValidationError):
        text = message
    return ApiError(status, text, ex.data)


def _write(req: falcon.Request, resp: falcon.Response, error: ApiError) -> None:
    _drop_tracebacks(error)
    req.context.api_error = error  # NOTE: the request log records it
    resp.status = error.status
    resp.content_type = "application/json"
    resp.data = orjson.dumps(error.to_json())
    if error.status == 413:
        req.env[CLOSE_CONNECTION_ENV] = True


def _drop_tracebacks(error: BaseException) -> None:
    """Forget the tracebacks of ``error`` and the exceptions behind it (answered, logged).

    PERF: kept on the request's context, a traceback's frames lead back to the request: each
    failed request's objects were left to the cyclic GC instead of freed when it ends.
    """
    pending: list[BaseException] = [error]
    seen = 0
    while pending and seen < 32:
        ex = pending.pop()
        seen += 1
        ex.__traceback__ = None
        pending.extend(e for e in (ex.__cause__, ex.__context__) if e is not None)


def handle_api_error(req: falcon.Request, resp: falcon.Response, ex: ApiError, params: Any) -> None:
    """ApiError -> its JSON body."""
    _write(req, resp, ex)


def handle_domain_error(req: falcon.Request, resp: falcon.Response, ex: core_errors.PyBaseError, params: Any) -> None:
    """Domain errors raised by core -> 400/401/403/404/429."""
    _write(req, resp, from_domain(ex))


def handle_http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: Any) -> None:
    """Falcon's own errors (unknown route, bad method, bad media...) in our shape."""
    status = ex.status_code
    if status in (404, 405):
        # NOTE: PocketBase answers unknown GET paths from its static handler ("File not
        # found.") and never answers 405: a wrong method is just an unknown route.
        message = MSG_FILE_NOT_FOUND if req.method in ("GET", "HEAD") else MSG_NOT_FOUND
        _write(req, resp, ApiError(404, message))
        return
    if status == 413:
        _write(req, resp, ApiError(413, MSG_TOO_LARGE))
        return
    if 400 <= status < 500:
        _write(req, resp, ApiError(status, MSG_GENERIC if status == 400 else (ex.title or MSG_GENERIC)))
        return
    _write(req, resp, ApiError(status, MSG_GENERIC))


def handle_unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    """Anything else: log the traceback, answer a bare 500."""
    if isinstance(ex, falcon.HTTPError):
        handle_http_error(req, resp, ex, params)
        return
    if statement_limit.is_interrupted(ex) or isinstance(ex, TransactionLostError):
        # NOTE: as PocketBase: a query over the time limit (or whose client left) is a 400.
        _write(req, resp, ApiError(400, MSG_GENERIC))
        return
    log.exception("unhandled error on %s %s", req.method, req.path)
    _write(req, resp, ApiError(500, MSG_GENERIC))


def install(app: falcon.App) -> None:
    """Register every handler; Falcon picks the most specific one by the exception's MRO."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(core_errors.PyBaseError, handle_domain_error)
    app.add_error_handler(ApiError, handle_api_error)
