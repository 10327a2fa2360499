"""``/api/settings``: view and update the app settings, test the S3 and mail setup (superusers only).

- ``GET   /api/settings``             -> the settings, write-only secrets left out
- ``PATCH /api/settings``             -> bind the body onto the settings, validate, save; the new settings
- ``POST  /api/settings/test/s3``     -> ``{filesystem: "storage"|"backups"}``; 204 or 400
- ``POST  /api/settings/test/email``  -> ``{email, template, collection?}``; 204 or 400
- ``POST  /api/settings/apple/generate-client-secret`` -> ``{secret}``: the ES256 JWT Apple's
  OAuth2 wants as client secret, from ``{clientId, teamId, keyId, privateKey, duration}``

NOTE: the S3 test uploads a test object to the saved bucket and deletes its prefix, as PocketBase.
The mail test validates its body as PocketBase does, then answers PocketBase's "no sendmail"
error: the mailer comes with the auth issue, which completes that route.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import falcon

from pybase.apis.errors import ApiError, bad_request, from_domain
from pybase.apis.guards import require_superuser
from pybase.apis.multipart import form_parts, part_text
from pybase.apis.serialize import apply_fields, dumps, parse_fields
from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.events import SettingsListRequestEvent, SettingsUpdateRequestEvent
from pybase.core.mail import MailError
from pybase.core.mail.record_mails import send_test_email
from pybase.core.settings import SHAPE, BindError, Settings, bind_form, bind_value, decode_body
from pybase.tools.validators import is_email, matches

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_LOAD_FAILED = "An error occurred while loading the submitted data."
MSG_SAVE_FAILED = "An error occurred while saving the new settings."
MSG_S3_FAILED = "Failed to test the S3 filesystem."
MSG_EMAIL_FAILED = "Failed to send the test email."

S3_FILESYSTEMS = ("storage", "backups")
EMAIL_TEMPLATES = ("verification", "password-reset", "email-change", "otp", "login-alert")


def register(api: falcon.App, app: App) -> None:
    """Mount the settings routes (all superuser-only)."""
    api.add_route("/api/settings", SettingsResource(app))
    api.add_route("/api/settings/test/s3", TestS3Resource(app))
    api.add_route("/api/settings/test/email", TestEmailResource(app))
    api.add_route("/api/settings/apple/generate-client-secret", AppleClientSecretResource())


def _write_json(req: falcon.Request, resp: falcon.Response, data: Any) -> None:
    resp.status = 200
    resp.content_type = "application/json"
    resp.data = dumps(apply_fields(data, parse_fields(req.get_param("fields"))))


def _settings_json(value: Any) -> Any:
    """The API form of what a hook left in the event (a Settings, or a plain dict from JS)."""
    if isinstance(value, Settings):
        return value.to_json()
    if isinstance(value, dict):
        return Settings(value).to_json()
    return value


def read_struct_body(req: falcon.Request, shape: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The body bound onto ``current`` as PocketBase's BindBody fills a struct of ``shape``.

    JSON, urlencoded and multipart bodies bind; an empty or XML body binds nothing; any other
    content type is a 400. A JSON ``null`` body raises ``TypeError`` (PocketBase answers a 500).
    """
    content_type = req.get_header("Content-Type") or ""
    if req.content_length == 0:
        return current  # NOTE: as PocketBase, an empty body binds nothing, whatever its type
    try:
        if content_type.startswith("multipart/form-data"):
            return bind_form(current, _multipart_form(req), shape)
        raw = req.bounded_stream.read()
        if not raw or content_type.startswith(("text/xml", "application/xml")):
            return current
        if content_type.startswith("application/x-www-form-urlencoded"):
            return bind_form(current, parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True), shape)
        if not content_type.startswith("application/json"):
            raise BindError("unsupported content type")
        body = decode_body(raw)
        if body is None:
            raise TypeError("null body")
        if not isinstance(body, dict):
            raise BindError("the body must be a JSON object")
        out: dict[str, Any] = bind_value(current, body, shape)
    except BindError as ex:
        raise bad_request(MSG_LOAD_FAILED) from ex
    return out


def _multipart_form(req: falcon.Request) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    try:
        for name, filename, part in form_parts(req):
            if filename:
                part.stream.read()
                continue
            form.setdefault(name, []).append(part_text(part))
    except falcon.HTTPError as ex:
        raise BindError("malformed multipart body") from ex
    return form


@falcon.before(require_superuser)
class SettingsResource:
    """The app settings."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The live settings, secrets left out (onSettingsListRequest can alter ``e.settings``)."""
        event = SettingsListRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        event.settings = self.app.settings()
        self.app.hooks["onSettingsListRequest"].trigger(
            event, lambda e: _write_json(req, resp, _settings_json(e.settings))
        )

    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Bind the body onto a copy of the settings, then validate, save and answer the new ones."""
        old = self.app.settings()
        try:
            data = read_struct_body(req, SHAPE, old.to_dict())
        except TypeError as ex:
            # NOTE: as PocketBase 0.40, whose handler fails on a JSON null body.
            raise ApiError(500) from ex
        event = SettingsUpdateRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        event.old_settings, event.new_settings = old, Settings(data)

        def finalize(e: SettingsUpdateRequestEvent) -> None:
            new = e.new_settings if isinstance(e.new_settings, Settings) else Settings(e.new_settings)
            try:
                saved = self.app.save_settings(new)
            except ValidationError as ex:
                raise from_domain(ex, MSG_SAVE_FAILED) from ex
            except Exception as ex:  # noqa: BLE001 - as PocketBase: any failure of the save is this 400
                raise bad_request(MSG_SAVE_FAILED) from ex
            _write_json(req, resp, saved.to_json())

        self.app.hooks["onSettingsUpdateRequest"].trigger(event, finalize)


def _form_errors(fields: dict[str, FieldError | None]) -> dict[str, Any]:
    return {name: error for name, error in fields.items() if error is not None}


@falcon.before(require_superuser)
class TestS3Resource:
    """Check that an S3 storage (files or backups) is reachable with the saved settings."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{filesystem}`` -> 204 once a test file was written and deleted, or 400."""
        body = _read_form(req, {"filesystem": "str"})
        filesystem = body["filesystem"]
        error = required() if not filesystem else None
        if error is None and filesystem not in S3_FILESYSTEMS:
            error = FieldError("validation_in_invalid", "Must be a valid value.")
        if error is not None:
            raise ValidationError({"filesystem": error}, MSG_S3_FAILED)
        settings = self.app.settings()
        config = settings["backups"]["s3"] if filesystem == "backups" else settings["s3"]
        if not config["enabled"]:
            raise bad_request(f"{MSG_S3_FAILED} Raw error: \nS3 storage filesystem is not enabled.")
        from pybase.tools.filesystem import StorageError
        from pybase.tools.filesystem.s3 import S3Storage

        try:
            storage = S3Storage.from_settings(config)
        except (StorageError, ValueError) as ex:
            raise bad_request(f"{MSG_S3_FAILED} Raw error: \nfailed to initialize the S3 filesystem: {ex}") from ex
        try:
            storage.check()
        except StorageError as ex:
            raise bad_request(f"{MSG_S3_FAILED} Raw error: \n{ex}") from ex
        finally:
            storage.close()
        resp.status = 204


@falcon.before(require_superuser)
class TestEmailResource:
    """Send a test email of one of the auth templates."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{email, template, collection?}`` -> 204 once sent, or 400."""
        body = _read_form(req, {"email": "str", "template": "str", "collection": "str"})
        email, template, collection = body["email"], body["template"], body["collection"]
        errors = _form_errors({
            "collection": self._collection_error(collection),
            "email": _email_error(email),
            "template": required() if not template else (
                None if template in EMAIL_TEMPLATES else FieldError("validation_in_invalid", "Must be a valid value.")
            ),
        })  # fmt: skip
        if errors:
            raise ValidationError(errors, MSG_EMAIL_FAILED)
        # NOTE: sent now, not in the background: as PocketBase, the answer reports a failure.
        try:
            send_test_email(self.app, email, template, collection)
        except MailError as ex:
            raise bad_request(f"{MSG_EMAIL_FAILED} Raw error: \n{ex}") from ex
        resp.status = falcon.HTTP_204

    def _collection_error(self, name: str) -> FieldError | None:
        if not name:
            return None
        if len(name) > 255:
            return FieldError("validation_length_out_of_range", "The length must be between 1 and 255.", {"max": 255, "min": 1})
        col = self.app.registry.find(name)
        if col is None or not col.is_auth:
            return FieldError("validation_invalid_auth_collection", "Must be a valid auth collection id or name.")
        return None


def _email_error(email: str) -> FieldError | None:
    if not email:
        return required()
    if len(email) > 255:
        return FieldError("validation_length_out_of_range", "The length must be between 1 and 255.", {"max": 255, "min": 1})
    if not is_email(email):
        return FieldError("validation_is_email", "Must be a valid email address.")
    return None


def _read_form(req: falcon.Request, shape: dict[str, Any]) -> dict[str, Any]:
    blank = {name: "" for name in shape}
    try:
        return read_struct_body(req, shape, blank)
    except TypeError:
        return blank


# ---- Apple OAuth2 client secret --------------------------------------------------------------

MSG_APPLE_INVALID = "Invalid client secret data."
MSG_APPLE_FAILED = "Failed to generate client secret."
APPLE_MAX_DURATION = 15777000  # seconds (about 6 months): Apple's own limit
APPLE_AUDIENCE = "https://appleid.apple.com"
_PRIVATE_KEY_RE = r"(?m)-----BEGIN PRIVATE KEY----[\s\S]+-----END PRIVATE KEY-----"
_APPLE_SHAPE = {"clientId": "str", "teamId": "str", "keyId": "str", "privateKey": "str", "duration": "int"}


@falcon.before(require_superuser)
class AppleClientSecretResource:
    """Sign an Apple "Sign in with Apple" client secret."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{clientId, teamId, keyId, privateKey, duration}`` -> ``{"secret": "<ES256 JWT>"}``."""
        form = _read_form(req, _APPLE_SHAPE)
        errors = _form_errors({
            "clientId": required() if not form["clientId"] else None,
            "teamId": _exact_length(form["teamId"], 10),
            "keyId": _exact_length(form["keyId"], 10),
            "privateKey": required() if not form["privateKey"] else (
                None if matches(_PRIVATE_KEY_RE, form["privateKey"])
                else FieldError("validation_match_invalid", "Must be in a valid format.")
            ),
            "duration": _duration_error(form["duration"]),
        })  # fmt: skip
        if errors:
            raise ValidationError(errors, MSG_APPLE_INVALID)
        try:
            key = _ec_private_key(form["privateKey"].strip())
        except ValueError as ex:
            raise bad_request(f"{MSG_APPLE_FAILED} Raw error: \n{ex}.") from ex
        now = int(time.time())
        claims = {
            "iss": form["teamId"], "sub": form["clientId"], "aud": [APPLE_AUDIENCE],
            "exp": now + form["duration"], "iat": now,
        }  # fmt: skip
        import jwt  # NOTE: lazily: it loads the cryptography bindings (~14 MB per process)

        secret = jwt.encode(claims, key, algorithm="ES256", headers={"kid": form["keyId"]})
        _write_json(req, resp, {"secret": secret})


def _exact_length(value: str, size: int) -> FieldError | None:
    if not value:
        return required()
    if len(value) != size:
        return FieldError("validation_length_invalid", f"The length must be exactly {size}.", {"max": size, "min": size})
    return None


def _duration_error(value: int) -> FieldError | None:
    if not value:
        return required()
    if value < 1:
        return FieldError("validation_min_greater_equal_than_required", "Must be no less than 1.", {"threshold": 1})
    if value > APPLE_MAX_DURATION:
        return FieldError(
            "validation_max_less_equal_than_required",
            f"Must be no greater than {APPLE_MAX_DURATION}.",
            {"threshold": APPLE_MAX_DURATION},
        )
    return None


_PEM_BLOCK_RE = re.compile(r"^-----BEGIN ([^\n]*)-----\s*?\n(.*?)^-----END \1-----", re.MULTILINE | re.DOTALL)


def _ec_private_key(pem: str) -> Any:
    """The EC key of the first PEM block (SEC 1 or PKCS #8); ValueError in the words of Go's JWT library."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    block = _PEM_BLOCK_RE.search(pem)
    der = None
    if block is not None:
        try:
            der = base64.b64decode("".join(block.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            der = None
    if der is None:
        raise ValueError("invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key")
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as ex:
        raise ValueError("x509: failed to parse private key") from ex
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("key is not a valid ECDSA private key")
    return key
