"""Record auth routes: auth-methods, auth-with-password, auth-refresh; the other methods' modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon
import orjson

from pybase.apis import (
    record_auth_email,
    record_auth_impersonate,
    record_auth_oauth2,
    record_auth_otp,
)
from pybase.apis.errors import ApiError, bad_request, not_found, unauthorized
from pybase.apis.ratelimit import check_collection
from pybase.apis.record_auth_response import (
    MSG_LOAD_FAILED,
    MSG_MISSING_COLLECTION,
    MSG_VALIDATION,
    auth_response,
    find_auth_collection,
)
from pybase.apis.request_body import read_body, request_info
from pybase.apis.serialize import apply_fields, parse_fields
from pybase.core.auth import (
    dummy_password_check,
    find_by_identity,
    is_refreshable,
    strip_bearer,
    token_claims,
)
from pybase.core.collections import Collection
from pybase.core.errors import FieldError, required
from pybase.core.events import RecordAuthRefreshRequestEvent, RecordAuthWithPasswordRequestEvent
from pybase.core.oauth2 import auth_methods

if TYPE_CHECKING:
    from pybase.core.app import App

#: the sign-in form's cap on identity, password and identityField (characters, as PocketBase)
MAX_FORM_LENGTH = 255


def _too_long() -> FieldError:
    return FieldError(
        "validation_length_out_of_range",
        f"The length must be between 1 and {MAX_FORM_LENGTH}.",
        {"max": MAX_FORM_LENGTH, "min": 1},
    )


def register(api: falcon.App, app: App) -> None:
    """Mount the auth routes of auth collections (each sign-in method in its own module)."""
    resource = RecordAuthResource(app)
    api.add_route("/api/collections/{collection}/auth-methods", resource, suffix="methods")
    api.add_route("/api/collections/{collection}/auth-with-password", resource, suffix="password")
    api.add_route("/api/collections/{collection}/auth-refresh", resource, suffix="refresh")
    # request-otp, auth-with-otp
    record_auth_otp.register(api, app)
    # auth-with-oauth2, /api/oauth2-redirect
    record_auth_oauth2.register(api, app)
    # impersonate/{id}
    record_auth_impersonate.register(api, app)
    record_auth_email.register(api, app)


class RecordAuthResource:
    """Sign-in endpoints of one auth collection."""

    def __init__(self, app: App) -> None:
        self.app = app

    def _collection(self, name: str) -> Collection:
        col = self.app.registry.find(name)
        if col is None:
            raise not_found(MSG_MISSING_COLLECTION)
        return col

    def _auth_collection(self, name: str) -> Collection:
        return find_auth_collection(self.app, name)

    def on_get_methods(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Which sign-in methods the collection offers."""
        col = self._auth_collection(collection)
        check_collection(req, col, "listAuthMethods")
        data = auth_methods(col)
        resp.content_type = "application/json"
        # NOTE: in PocketBase's struct order, not sorted as maps are.
        resp.data = orjson.dumps(apply_fields(data, parse_fields(req.get_param("fields"))))

    def on_post_password(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Email (or another identity field) + password sign-in."""
        col = self._auth_collection(collection)
        check_collection(req, col, "authWithPassword", "auth")
        password_auth = col.auth.get("passwordAuth", {})
        if not password_auth.get("enabled"):
            raise ApiError(403, "The collection is not configured to allow password authentication.")
        # NOTE: like PocketBase's BindBody, an empty body is an empty form whatever its type.
        data: dict[str, Any] = {}
        if req.content_length:
            data, _files = read_body(req, invalid_message=MSG_LOAD_FAILED, require_type=True, infer=False, xml_message=None)
        identity, password = data.get("identity"), data.get("password")
        identity_field = data.get("identityField") or ""
        if any(v is not None and not isinstance(v, str) for v in (identity, password, identity_field)):
            # NOTE: Go fails to decode a number into the form's string fields.
            raise bad_request(MSG_LOAD_FAILED)
        errors: dict[str, Any] = {}
        for name, value in (("identity", identity), ("password", password)):
            if not isinstance(value, str) or not value:
                errors[name] = required().to_json()
            elif len(value) > MAX_FORM_LENGTH:
                errors[name] = _too_long().to_json()
        if len(identity_field) > MAX_FORM_LENGTH:
            errors["identityField"] = _too_long().to_json()
        elif identity_field and identity_field not in (password_auth.get("identityFields") or []):
            errors["identityField"] = FieldError("validation_in_invalid", "Must be a valid value.").to_json()
        if errors:
            # NOTE: keys sorted, as Go writes a map.
            raise bad_request(MSG_VALIDATION, dict(sorted(errors.items())))
        info = request_info(req, data, context="password")
        event = RecordAuthWithPasswordRequestEvent(self.app)
        event.request, event.response, event.collection = req, resp, col
        event.identity, event.identity_field, event.password = identity, identity_field, password
        # NOTE: as in PocketBase, hooks see the record found by identity (the password is not
        # checked yet) and the finalizer checks the password once, so bcrypt runs once per sign-in.
        fields = [identity_field] if identity_field else (password_auth.get("identityFields") or ["email"])
        event.record = find_by_identity(self.app.records, col, identity, fields)

        def finalize(e: RecordAuthWithPasswordRequestEvent) -> None:
            if e.record is None:
                # SECURITY: as slow as a wrong password, so the timing does not tell which
                # identities exist.
                dummy_password_check(e.password)
                raise bad_request("Failed to authenticate.")
            if not e.record.validate_password(e.password):
                raise bad_request("Failed to authenticate.")
            auth_response(self.app, req, resp, e.record, info, "password")

        self.app.hooks["onRecordAuthWithPasswordRequest"].trigger(event, finalize)

    def on_post_refresh(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """A new token for the signed-in record of this collection."""
        col = self._collection(collection)
        check_collection(req, col, "authRefresh")
        auth = req.context.auth
        if auth is None:
            raise unauthorized()
        if auth.collection.id != col.id:
            # NOTE: PocketBase names the token's collection here, not the route's.
            raise ApiError(403, f"The request requires auth record from {auth.collection.name} collection.")
        header = req.get_header("Authorization") or ""
        info = request_info(req)
        event = RecordAuthRefreshRequestEvent(self.app)
        event.request, event.response, event.collection, event.record, event.auth = req, resp, col, auth, auth
        # NOTE: a token whose refreshable claim is false or missing comes back unchanged.
        current = None if is_refreshable(token_claims(header)) else strip_bearer(header)
        self.app.hooks["onRecordAuthRefreshRequest"].trigger(
            event, lambda e: auth_response(self.app, req, resp, e.record, info, "", token=current)
        )

