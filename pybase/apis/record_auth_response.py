"""The answer to a successful sign-in, shared by every record auth route (PocketBase's RecordAuthResponse)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.client_ip import check_superuser_ip, real_ip
from pybase.apis.errors import ApiError, not_found
from pybase.apis.serialize import apply_fields, dumps, parse_fields, record_to_json
from pybase.core import auth_origins, mfa, record_access
from pybase.core.auth import new_auth_token
from pybase.core.events import RecordAuthRequestEvent
from pybase.core.record_expand import expand_records
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection

log = logging.getLogger("pybase")

MSG_LOAD_FAILED = "An error occurred while loading the submitted data."
MSG_VALIDATION = "An error occurred while validating the submitted data."
MSG_MISSING_COLLECTION = "Missing or invalid collection context."
MSG_MISSING_AUTH_COLLECTION = "Missing or invalid auth collection context."
MSG_AUTH_RULE = "The request doesn't satisfy the collection requirements to authenticate."


def find_auth_collection(app: App, name: str) -> Collection:
    """The auth collection ``name`` (id or name) of an auth route, or PocketBase's 404s."""
    col = app.registry.find(name)
    if col is None:
        raise not_found(MSG_MISSING_COLLECTION)
    if not col.is_auth:
        raise not_found(MSG_MISSING_AUTH_COLLECTION)
    return col


def auth_response(
    app: App, req: falcon.Request, resp: falcon.Response, record: Record, info: RequestInfo, method: str,
    *, token: str | None = None, meta: Any = None,
) -> None:
    """Answer a successful sign-in with a token and the record (PocketBase's RecordAuthResponse).

    ``method`` names the sign-in method ("password", "otp", "oauth2"); "" skips the MFA check
    (refresh, impersonation).
    """
    col = record.collection
    if col.is_superusers:
        check_superuser_ip(app, req)
    # NOTE: as PocketBase, a refresh checks the authRule too: a record that no longer passes
    # it (banned by a field the rule reads, or the rule set to superusers only) gets no token.
    if not record_access.can_access(app, record, info, col.rule("authRule")):
        raise ApiError(403, MSG_AUTH_RULE)
    event = RecordAuthRequestEvent(app)
    event.request, event.response, event.collection, event.record = req, resp, col, record
    event.auth_method = method
    event.token = token or new_auth_token(record)
    event.meta = meta

    def finalize(e: RecordAuthRequestEvent) -> None:
        mfa_id = mfa.check(app, e.record, e.auth_method, info)
        if mfa_id:
            # NOTE: PocketBase's exact answer: a second, different method must follow.
            resp.status = falcon.HTTP_401
            resp.content_type = "application/json"
            resp.data = b'{"mfaId":"' + mfa_id.encode() + b'"}'
            return
        if e.auth_method:
            try:
                auth_origins.track_sign_in(app, e.record, real_ip(req), req.user_agent or "")
            except Exception:  # noqa: BLE001 - as PocketBase, a failed alert does not fail the sign-in
                log.warning("failed to record the auth origin of %s", e.record.id, exc_info=True)
        expand = req.get_param("expand") or ""
        viewer = RequestInfo(info.method, info.query, info.headers, info.body, e.record, info.context)
        if expand:
            expand_records(app, [e.record], expand, viewer)
        body: dict[str, Any] = {
            "record": record_to_json(e.record, viewer, show_email=True, expand_requested=bool(expand)),
            "token": e.token,
        }
        if e.meta:
            body["meta"] = e.meta
        fields = parse_fields(req.get_param("fields"))
        resp.content_type = "application/json"
        resp.data = dumps(apply_fields(body, fields))

    app.hooks["onRecordAuthRequest"].trigger(event, finalize)
