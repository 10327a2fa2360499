"""``POST /api/collections/{collection}/impersonate/{id}``: a superuser signs in as any auth record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import bad_request, not_found
from pybase.apis.guards import require_superuser
from pybase.apis.record_auth_response import (
    MSG_LOAD_FAILED,
    MSG_MISSING_AUTH_COLLECTION,
    MSG_VALIDATION,
    auth_response,
)
from pybase.apis.request_body import read_body, request_info
from pybase.core.auth import new_auth_token
from pybase.core.errors import FieldError, NotFoundError

if TYPE_CHECKING:
    from pybase.core.app import App

#: Go's int64 bounds (the form's duration field)
_INT64 = (-(1 << 63), (1 << 63) - 1)


def register(api: falcon.App, app: App) -> None:
    """Mount the impersonate route."""
    api.add_route("/api/collections/{collection}/impersonate/{id}", ImpersonateResource(app))


class ImpersonateResource:
    """A non-refreshable auth token for another record, with an optional custom duration."""

    def __init__(self, app: App) -> None:
        self.app = app

    @falcon.before(require_superuser)
    def on_post(self, req: falcon.Request, resp: falcon.Response, collection: str, id: str) -> None:
        """Sign in as record ``id`` (superusers only)."""
        col = self.app.registry.find(collection)
        if col is None or not col.is_auth:
            raise not_found(MSG_MISSING_AUTH_COLLECTION)
        try:
            record = self.app.records.find_by_id(col, id)
        except NotFoundError as ex:
            raise not_found() from ex
        data: dict[str, Any] = {}
        if req.content_length:
            data, _files = read_body(req, invalid_message=MSG_LOAD_FAILED, infer=False, xml_message=None)
        is_form = (req.get_header("Content-Type") or "").startswith(("multipart/form-data", "application/x-www-form-urlencoded"))
        duration = _duration(data.get("duration"), is_form)
        if duration < 0:
            error = FieldError("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})
            raise bad_request(MSG_VALIDATION, {"duration": error.to_json()})
        info = request_info(req, data)
        # NOTE: as PocketBase, no MFA check and no login alert for an impersonation.
        token = new_auth_token(record, refreshable=False, duration=duration)
        auth_response(self.app, req, resp, record, info, "", token=token)


def _duration(value: Any, is_form: bool) -> int:
    """The submitted duration as Go binds it into an int64 (anything else fails to load)."""
    if value is None:
        return 0
    if isinstance(value, str) and is_form:
        try:
            value = int(value.strip()) if value.strip() else 0
        except ValueError as ex:
            raise bad_request(MSG_LOAD_FAILED) from ex
    if isinstance(value, bool) or not isinstance(value, int) or not _INT64[0] <= value <= _INT64[1]:
        raise bad_request(MSG_LOAD_FAILED)
    return value
