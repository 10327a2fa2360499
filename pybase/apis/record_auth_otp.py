"""One-time password sign-in: ``request-otp`` and ``auth-with-otp``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError, bad_request
from pybase.apis.ratelimit import check_collection
from pybase.apis.record_auth_response import (
    MSG_LOAD_FAILED,
    MSG_VALIDATION,
    auth_response,
    find_auth_collection,
)
from pybase.apis.request_body import read_body, request_info
from pybase.core import otp as otps
from pybase.core.collections import Collection
from pybase.core.errors import FieldError, required
from pybase.core.events import RecordAuthWithOTPRequestEvent, RecordCreateOTPRequestEvent
from pybase.tools.security import random_id
from pybase.tools.validators import is_email

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_DISABLED = "The collection is not configured to allow OTP authentication."
MSG_INVALID = "Invalid or expired OTP."
MSG_TOO_MANY = "Too many attempts, please try again later with a new OTP."

log = logging.getLogger("pybase")


def register(api: falcon.App, app: App) -> None:
    """Mount the OTP routes."""
    resource = OTPResource(app)
    api.add_route("/api/collections/{collection}/request-otp", resource, suffix="request")
    api.add_route("/api/collections/{collection}/auth-with-otp", resource, suffix="auth")


def _length(value: str, low: int, high: int) -> FieldError | None:
    if low <= len(value) <= high:
        return None
    return FieldError("validation_length_out_of_range", f"The length must be between {low} and {high}.", {"max": high, "min": low})


def _read_strings(req: falcon.Request, *names: str) -> tuple[dict[str, Any], list[str]]:
    """The body and its string fields as PocketBase binds them into a form struct."""
    data: dict[str, Any] = {}
    if req.content_length:
        data, _files = read_body(req, invalid_message=MSG_LOAD_FAILED, infer=False, xml_message=None)
    values = []
    for name in names:
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            # NOTE: Go fails to decode a number (or anything else) into the form's string fields.
            raise bad_request(MSG_LOAD_FAILED)
        values.append(value)
    return data, values


class OTPResource:
    """OTP endpoints of one auth collection."""

    def __init__(self, app: App) -> None:
        self.app = app

    def _collection(self, name: str) -> Collection:
        col = find_auth_collection(self.app, name)
        if not otps.otp_options(col).get("enabled"):
            raise ApiError(403, MSG_DISABLED)
        return col

    def on_post_request(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Create a code for the email's record and mail it; answers an id for unknown emails too."""
        col = self._collection(collection)
        check_collection(req, col, "requestOTP")
        data, (email,) = _read_strings(req, "email")
        problem = required() if not email else _length(email, 1, 255)
        if problem is None and not is_email(email):
            problem = FieldError("validation_is_email", "Must be a valid email address.")
        if problem is not None:
            raise bad_request(MSG_VALIDATION, {"email": problem.to_json()})
        request_info(req, data)
        event = RecordCreateOTPRequestEvent(self.app)
        event.request, event.response, event.collection = req, resp, col
        event.record = self.app.records.find_first(col, email=email)
        event.password = otps.new_password(col)

        def finalize(e: RecordCreateOTPRequestEvent) -> None:
            resp.content_type = "application/json"
            if e.record is None:
                # SECURITY: the same answer as for a known email (no account enumeration), after
                # the same bcrypt work a new code costs, so the timing does not tell either.
                otps.spend_hash_time(self.app, e.password)
                resp.data = b'{"otpId":"' + random_id().encode() + b'"}'
                return
            # NOTE: as PocketBase, outside dev mode a flood of requests gets the last code again.
            otp = None if self.app.dev else otps.reusable(self.app, e.record)
            if otp is None:
                otp = otps.create(self.app, e.record, e.password)
                otps.send(self.app, e.record, otp.id, e.password)
            resp.data = b'{"otpId":"' + otp.id.encode() + b'"}'

        self.app.hooks["onRecordRequestOTPRequest"].trigger(event, finalize)

    def on_post_auth(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Sign in with an OTP id and its code."""
        col = self._collection(collection)
        check_collection(req, col, "authWithOTP", "auth")
        data, (otp_id, password) = _read_strings(req, "otpId", "password")
        errors: dict[str, Any] = {}
        for name, value, high in (("otpId", otp_id, 255), ("password", password, 71)):
            problem = required() if not value else _length(value, 1, high)
            if problem is not None:
                errors[name] = problem.to_json()
        if errors:
            raise bad_request(MSG_VALIDATION, errors)
        info = request_info(req, data, context="otp")
        # SECURITY: one message for every failure, so OTP ids cannot be probed.
        otp = otps.find_by_id(self.app, otp_id)
        duration = int(otps.otp_options(col).get("duration") or 0)
        if otp is None or otp.get("collectionRef") != col.id or otps.has_expired(otp, duration):
            raise bad_request(MSG_INVALID)
        record = self.app.records.find_first(col, id=str(otp.get("recordRef") or ""))
        if record is None:
            raise bad_request(MSG_INVALID)
        if not otps.allow_attempt(self.app, record, real_ip(req)):
            raise ApiError(429, MSG_TOO_MANY)
        if not otps.validate_password(otp, password):
            raise bad_request(MSG_INVALID)
        event = RecordAuthWithOTPRequestEvent(self.app)
        event.request, event.response, event.collection, event.record, event.otp = req, resp, col, record, otp

        def finalize(e: RecordAuthWithOTPRequestEvent) -> None:
            assert e.otp is not None and e.record is not None
            sent_to = str(e.otp.get("sentTo") or "")
            try:
                self.app.delete(e.otp)  # single use, even when MFA asks for a second method
            except Exception:  # noqa: BLE001 - logged, as PocketBase
                log.exception("failed to delete used OTP %s", e.otp.id)
            otps.mark_verified(self.app, e.record, sent_to)
            auth_response(self.app, req, resp, e.record, info, "otp")

        self.app.hooks["onRecordAuthWithOTPRequest"].trigger(event, finalize)
