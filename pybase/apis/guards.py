"""Falcon ``before`` guards: who may reach a route."""

from __future__ import annotations

from typing import Any

import falcon

from pybase.apis.errors import MSG_FORBIDDEN_RECORD, ApiError, unauthorized


def is_superuser(req: falcon.Request) -> bool:
    """Whether the caller authenticated as a superuser."""
    auth = req.context.auth
    return auth is not None and auth.collection.is_superusers


def require_superuser(req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]) -> None:
    """401 without a valid token, 403 for a non-superuser token."""
    auth = req.context.auth
    if auth is None:
        raise unauthorized()
    if not auth.collection.is_superusers:
        raise ApiError(403, MSG_FORBIDDEN_RECORD)


def require_auth(req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]) -> None:
    """401 unless some auth record is signed in."""
    if req.context.auth is None:
        raise unauthorized()
