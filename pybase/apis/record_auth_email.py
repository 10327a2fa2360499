"""The email flows of auth collections: verification, password reset and email change.

``request-*`` answer 204 whether or not the email belongs to a record (no account enumeration)
and mail in the background, so both answers take the same short time; ``confirm-*`` check a
token of their own type, then apply the change.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import ApiError, bad_request, not_found, unauthorized
from pybase.apis.ratelimit import check_collection
from pybase.apis.record_auth_response import (
    MSG_LOAD_FAILED,
    MSG_MISSING_COLLECTION,
    MSG_VALIDATION,
    find_auth_collection,
)
from pybase.apis.request_body import read_body
from pybase.core.auth import (
    TOKEN_EMAIL_CHANGE,
    TOKEN_PASSWORD_RESET,
    TOKEN_VERIFICATION,
    find_record_by_token,
    token_claims,
)
from pybase.core.collections import Collection
from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.events import RecordEmailChangeRequestEvent, RecordEmailRequestEvent
from pybase.core.mail import send_in_background
from pybase.core.mail.record_mails import (
    send_record_email_change,
    send_record_password_reset,
    send_record_verification,
)
from pybase.core.records import Record
from pybase.tools.security import random_string
from pybase.tools.validators import is_email

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase")

MSG_SUPERUSERS_VERIFIED = "All superusers are verified by default."
MSG_SUPERUSERS_EMAIL = "All superusers can change their emails directly."
MSG_PASSWORD_DISABLED = "The collection is not configured to allow password authentication."
MSG_NO_AUTH = "The request requires valid record authorization token."
#: seconds a record waits before another verification or reset mail (as PocketBase)
RESEND_SECONDS = 120.0


def register(api: falcon.App, app: App) -> None:
    """Mount the email flow routes."""
    resource = RecordEmailFlowsResource(app)
    for action in (
        "request-verification", "confirm-verification", "request-password-reset", "confirm-password-reset",
        "request-email-change", "confirm-email-change",
    ):  # fmt: skip
        api.add_route(f"/api/collections/{{collection}}/{action}", resource, suffix=action.replace("-", "_"))


# ---- small helpers ---------------------------------------------------------------------------


def _length(value: str, low: int, high: int) -> FieldError | None:
    if low <= len(value) <= high:
        return None
    return FieldError("validation_length_out_of_range", f"The length must be between {low} and {high}.", {"max": high, "min": low})


def _email_problem(email: str) -> FieldError | None:
    if not email:
        return required()
    problem = _length(email, 1, 255)
    if problem is None and not is_email(email):
        problem = FieldError("validation_is_email", "Must be a valid email address.")
    return problem


def _read_strings(req: falcon.Request, *names: str) -> list[str]:
    """The body's string fields as PocketBase binds them into a form struct."""
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
    return values


def _invalid(problems: dict[str, FieldError | None]) -> None:
    errors = {k: v.to_json() for k, v in sorted(problems.items()) if v is not None}
    if errors:
        raise bad_request(MSG_VALIDATION, errors)


def _token_error(code: str, message: str) -> FieldError:
    return FieldError(code, message)


_INVALID_TOKEN = ("validation_invalid_token", "Invalid or expired token.")
_OTHER_COLLECTION = ("validation_token_collection_mismatch", "The provided token is for different auth collection.")


class _ResendLimit:
    """Records that were mailed a moment ago (PocketBase's ``@limit...Email_`` store keys)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def active(self, key: str) -> bool:
        with self._lock:
            until = self._until.get(key)
            if until is None:
                return False
            if until <= time.monotonic():
                del self._until[key]
                return False
            return True

    def start(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._until) > 10_000:
                self._until = {k: v for k, v in self._until.items() if v > now}
            self._until[key] = now + RESEND_SECONDS

    def clear(self, key: str) -> None:
        with self._lock:
            self._until.pop(key, None)


_LIMITS: weakref.WeakKeyDictionary[App, _ResendLimit] = weakref.WeakKeyDictionary()
_LIMITS_LOCK = threading.Lock()


def _resend_limit(app: App) -> _ResendLimit:
    with _LIMITS_LOCK:
        found = _LIMITS.get(app)
        if found is None:
            found = _LIMITS[app] = _ResendLimit()
        return found


def _verification_key(record: Record) -> str:
    return "verification:" + record.collection.id + record.id


def _reset_key(record: Record) -> str:
    return "passwordReset:" + record.collection.id + record.id


# ---- the resource ----------------------------------------------------------------------------


class RecordEmailFlowsResource:
    """request/confirm verification, password reset and email change of one auth collection."""

    def __init__(self, app: App) -> None:
        self.app = app

    def _collection(self, name: str) -> Collection:
        return find_auth_collection(self.app, name)

    def _event(self, cls: type[Any], req: falcon.Request, resp: falcon.Response, col: Collection, record: Record | None) -> Any:
        event = cls(self.app)
        event.request, event.response, event.collection, event.record = req, resp, col, record
        return event

    def _token_record(self, token: str, token_type: str, col: Collection) -> tuple[Record | None, FieldError | None]:
        record = find_record_by_token(token, token_type, self.app.registry, self.app.records)
        if record is None:
            return None, _token_error(*_INVALID_TOKEN)
        if record.collection.id != col.id:
            return None, _token_error(*_OTHER_COLLECTION)
        return record, None

    def _find_by_email(self, col: Collection, email: str) -> Record | None:
        return self.app.records.find_first(col, email=email)

    # ---- verification ------------------------------------------------------------------

    def on_post_request_verification(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Mail a verification link; 204 whatever the email."""
        col = self._collection(collection)
        check_collection(req, col, "requestVerification")
        if col.is_superusers:
            raise bad_request(MSG_SUPERUSERS_VERIFIED)
        (email,) = _read_strings(req, "email")
        _invalid({"email": _email_problem(email)})
        resp.status = falcon.HTTP_204
        record = self._find_by_email(col, email)
        if record is None:
            log.debug("request-verification: no %s record with that email", col.name)
            return
        limit = _resend_limit(self.app)
        key = _verification_key(record)
        if not record.get("verified") and limit.active(key):
            return
        event = self._event(RecordEmailRequestEvent, req, resp, col, record)

        def finalize(e: RecordEmailRequestEvent) -> None:
            assert e.record is not None
            if e.record.get("verified"):
                return
            target = e.record
            limit.start(key)
            send_in_background(self.app, "verification email", lambda: send_record_verification(self.app, target))

        self.app.hooks["onRecordRequestVerificationRequest"].trigger(event, finalize)

    def on_post_confirm_verification(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Mark the token's record verified."""
        col = self._collection(collection)
        check_collection(req, col, "confirmVerification")
        if col.is_superusers:
            raise bad_request(MSG_SUPERUSERS_VERIFIED)
        (token,) = _read_strings(req, "token")
        record: Record | None = None
        problem: FieldError | None = None
        if not token:
            problem = required()
        else:
            claimed = token_claims(token).get("email")
            if not isinstance(claimed, str) or not claimed:
                problem = _token_error("validation_invalid_token_claims", "Missing email token claim.")
            else:
                record, problem = self._token_record(token, TOKEN_VERIFICATION, col)
                if record is not None and record.email != claimed:
                    problem = _token_error("validation_token_email_mismatch", "The record email doesn't match with the requested token claims.")
        _invalid({"token": problem})
        assert record is not None
        was_verified = bool(record.get("verified"))
        event = self._event(RecordEmailRequestEvent, req, resp, col, record)

        def finalize(e: RecordEmailRequestEvent) -> None:
            assert e.record is not None
            if not was_verified:
                e.record.set("verified", True)
                if not (col.auth.get("passwordAuth") or {}).get("enabled"):
                    e.record.set_password_plain("password", random_string(30))
                try:
                    self.app.save(e.record)
                except ValidationError as ex:
                    raise ApiError(400, "An error occurred while saving the verified state.", ex.data) from ex
            _resend_limit(self.app).clear(_verification_key(e.record))
            resp.status = falcon.HTTP_204

        self.app.hooks["onRecordConfirmVerificationRequest"].trigger(event, finalize)

    # ---- password reset ----------------------------------------------------------------

    def on_post_request_password_reset(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Mail a password reset link; 204 whatever the email."""
        col = self._collection(collection)
        check_collection(req, col, "requestPasswordReset")
        if not (col.auth.get("passwordAuth") or {}).get("enabled"):
            raise bad_request(MSG_PASSWORD_DISABLED)
        (email,) = _read_strings(req, "email")
        _invalid({"email": _email_problem(email)})
        resp.status = falcon.HTTP_204
        record = self._find_by_email(col, email)
        if record is None:
            log.debug("request-password-reset: no %s record with that email", col.name)
            return
        limit = _resend_limit(self.app)
        key = _reset_key(record)
        if limit.active(key):
            return
        event = self._event(RecordEmailRequestEvent, req, resp, col, record)

        def finalize(e: RecordEmailRequestEvent) -> None:
            assert e.record is not None
            target = e.record

            def job() -> None:
                try:
                    send_record_password_reset(self.app, target)
                except Exception:
                    limit.clear(key)  # NOTE: as PocketBase, a mail that failed may be asked again
                    raise

            # NOTE: marked before sending (PocketBase marks after), so two quick requests mail once.
            limit.start(key)
            send_in_background(self.app, "password reset email", job)

        self.app.hooks["onRecordRequestPasswordResetRequest"].trigger(event, finalize)

    def on_post_confirm_password_reset(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Set a new password (which renews the tokenKey: every older token dies)."""
        col = self._collection(collection)
        check_collection(req, col, "confirmPasswordReset")
        token, password, confirm = _read_strings(req, "token", "password", "passwordConfirm")
        record: Record | None = None
        token_problem: FieldError | None = required() if not token else None
        if token:
            record, token_problem = self._token_record(token, TOKEN_PASSWORD_RESET, col)
        field = col.field("password")
        low = max(int(getattr(field, "min", 0) or 0), 1)
        password_problem = required() if not password else _length(password, low, 255)
        if not confirm:
            confirm_problem: FieldError | None = required()
        elif confirm != password:
            confirm_problem = FieldError("validation_values_mismatch", "Values don't match.")
        else:
            confirm_problem = None
        _invalid({"token": token_problem, "password": password_problem, "passwordConfirm": confirm_problem})
        assert record is not None
        event = self._event(RecordEmailRequestEvent, req, resp, col, record)

        def finalize(e: RecordEmailRequestEvent) -> None:
            assert e.record is not None
            target = e.record
            target.set_password_plain("password", password)
            if not target.get("verified") and token_claims(token).get("email") == target.email:
                # NOTE: as PocketBase, the mail reached the address: it is verified too.
                target.set("verified", True)
            try:
                self.app.save(target)
            except ValidationError as ex:
                raise ApiError(400, "Failed to set new password.", ex.data) from ex
            _resend_limit(self.app).clear(_reset_key(target))
            resp.status = falcon.HTTP_204

        self.app.hooks["onRecordConfirmPasswordResetRequest"].trigger(event, finalize)

    # ---- email change ------------------------------------------------------------------

    def on_post_request_email_change(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Mail a confirmation link to the signed-in record's new address."""
        col = self.app.registry.find(collection)
        if col is None:
            raise not_found(MSG_MISSING_COLLECTION)
        auth = req.context.auth
        if auth is None:
            raise unauthorized(MSG_NO_AUTH)
        if auth.collection.id != col.id:
            raise ApiError(403, f"The request requires auth record from {auth.collection.name} collection.")
        check_collection(req, col, "requestEmailChange")
        if col.is_superusers:
            raise bad_request(MSG_SUPERUSERS_EMAIL)
        (new_email,) = _read_strings(req, "newEmail")
        problem = _email_problem(new_email)
        if problem is None and new_email == auth.email:
            problem = FieldError("validation_not_in_invalid", "Must not be in list.")
        if problem is None:
            found = self._find_by_email(col, new_email)
            if found is not None and found.id != auth.id:
                problem = FieldError("validation_invalid_new_email", "Invalid new email address.")
        _invalid({"newEmail": problem})
        event = self._event(RecordEmailChangeRequestEvent, req, resp, col, auth)
        event.new_email = new_email

        def finalize(e: RecordEmailChangeRequestEvent) -> None:
            assert e.record is not None
            target, address = e.record, e.new_email
            send_in_background(self.app, "email change email", lambda: send_record_email_change(self.app, target, address))
            resp.status = falcon.HTTP_204

        self.app.hooks["onRecordRequestEmailChangeRequest"].trigger(event, finalize)

    def on_post_confirm_email_change(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Apply the token's new email (verified; the tokenKey renews, so older tokens die)."""
        col = self._collection(collection)
        check_collection(req, col, "confirmEmailChange")
        if col.is_superusers:
            raise bad_request(MSG_SUPERUSERS_EMAIL)
        token, password = _read_strings(req, "token", "password")
        record, new_email, token_problem = self._parse_email_change(token, col)
        if not password:
            password_problem: FieldError | None = required()
        else:
            password_problem = _length(password, 1, 100)
            if password_problem is None and (record is None or not record.validate_password(password)):
                password_problem = FieldError("validation_invalid_password", "Missing or invalid auth record password.")
        _invalid({"token": token_problem, "password": password_problem})
        assert record is not None
        event = self._event(RecordEmailChangeRequestEvent, req, resp, col, record)
        event.new_email = new_email

        def finalize(e: RecordEmailChangeRequestEvent) -> None:
            assert e.record is not None
            e.record.set("email", e.new_email)
            e.record.set("verified", True)
            try:
                self.app.save(e.record)
            except ValidationError as ex:
                raise ApiError(400, "Failed to confirm email change.", ex.data) from ex
            resp.status = falcon.HTTP_204

        self.app.hooks["onRecordConfirmEmailChangeRequest"].trigger(event, finalize)

    def _parse_email_change(self, token: str, col: Collection) -> tuple[Record | None, str, FieldError | None]:
        if not token:
            return None, "", required()
        new_email = token_claims(token).get("newEmail")
        if not isinstance(new_email, str) or not new_email:
            return None, "", _token_error("validation_invalid_token_payload", "Invalid token payload - newEmail must be set.")
        record, problem = self._token_record(token, TOKEN_EMAIL_CHANGE, col)
        if problem is not None:
            return None, "", problem
        if self._find_by_email(col, new_email) is not None:
            return None, "", _token_error("validation_invalid_token_email", "The new email address is invalid.")
        return record, new_email, None
