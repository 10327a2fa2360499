"""OAuth2 sign-in: ``auth-with-oauth2`` (code exchange, PKCE) and ``/api/oauth2-redirect`` (popup mode)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import falcon
import orjson

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError, bad_request, not_found
from pybase.apis.ratelimit import check_collection
from pybase.apis.record_auth_response import (
    MSG_LOAD_FAILED,
    MSG_MISSING_AUTH_COLLECTION,
    MSG_MISSING_COLLECTION,
    auth_response,
)
from pybase.apis.request_body import read_body, request_info
from pybase.apis.sub_request import call_self, multipart_body
from pybase.core import oauth2
from pybase.core.errors import FieldError, NotFoundError, PyBaseError, required
from pybase.core.events import RecordAuthWithOAuth2RequestEvent
from pybase.core.realtime import IP_KEY, Message
from pybase.tools.oauth2 import OAuth2Error
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record
    from pybase.tools.oauth2 import AuthUser

MSG_DISABLED = "The collection is not configured to allow OAuth2 authentication."
OAUTH2_TOPIC = "@oauth2"
REDIRECT_FAILURE = "../_/#/auth/oauth2-redirect-failure"
REDIRECT_SUCCESS = "../_/#/auth/oauth2-redirect-success"

log = logging.getLogger("pybase")


def register(api: falcon.App, app: App) -> None:
    """Mount the OAuth2 routes."""
    api.add_route("/api/collections/{collection}/auth-with-oauth2", OAuth2Resource(app, api))
    api.add_route("/api/oauth2-redirect", OAuth2RedirectResource(app))


def _form(data: dict[str, Any]) -> tuple[str, str, str, str, dict[str, Any] | None]:
    """provider, code, codeVerifier, redirectURL and createData as Go binds them (else a load error)."""
    values = []
    for name in ("provider", "code", "codeVerifier", "redirectURL", "redirectUrl"):
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise bad_request(MSG_LOAD_FAILED)
        values.append(value)
    provider, code, verifier, redirect, legacy_redirect = values
    create_data = data.get("createData")
    if create_data is not None and not isinstance(create_data, dict):
        raise bad_request(MSG_LOAD_FAILED)
    return provider, code, verifier, redirect or legacy_redirect, create_data


def _validate(col: Collection, name: str, code: str) -> None:
    errors: dict[str, Any] = {}
    if not code:
        errors["code"] = required().to_json()
    if not name:
        errors["provider"] = required().to_json()
    elif len(name) > 100:
        errors["provider"] = FieldError(
            "validation_length_too_long", "The length must be no more than 100.", {"max": 100, "min": 0}
        ).to_json()
    elif oauth2.provider_config(col, name) is None:
        errors["provider"] = FieldError(
            "validation_invalid_provider", f"Provider with name {name} is missing or is not enabled.", {"name": name}
        ).to_json()
    if errors:
        # NOTE: PocketBase answers its load message for these validation errors too.
        raise bad_request(MSG_LOAD_FAILED, dict(sorted(errors.items())))


class OAuth2Resource:
    """Sign in (or sign up) with a provider's authorization code."""

    def __init__(self, app: App, wsgi: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi = wsgi

    def on_post(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Exchange the code, find or create the record, link the account, answer a token."""
        col = self.app.registry.find(collection)
        if col is None:
            # NOTE: as PocketBase, whose collection rate limiter answers an unknown collection first.
            raise not_found(MSG_MISSING_COLLECTION)
        if not col.is_auth:
            raise not_found(MSG_MISSING_AUTH_COLLECTION)
        check_collection(req, col, "authWithOAuth2", "auth")
        if not (col.auth.get("oauth2") or {}).get("enabled"):
            raise ApiError(403, MSG_DISABLED)
        auth = req.context.auth
        fallback = auth if auth is not None and auth.collection.id == col.id else None
        data: dict[str, Any] = {}
        if req.content_length:
            data, _files = read_body(req, invalid_message=MSG_LOAD_FAILED, infer=False, xml_message=None)
        name, code, verifier, redirect_url, create_data = _form(data)
        _validate(col, name, code)
        info = request_info(req, data, context="oauth2")
        config = oauth2.provider_config(col, name) or {}
        provider = oauth2.init_provider(config)
        if provider is None:
            raise ApiError(500, f"Failed to init provider {name}.")
        provider.redirect_url = redirect_url
        try:
            token = provider.fetch_token(code, verifier)
        except OAuth2Error as ex:
            log.debug("OAuth2 token exchange failed: %s", ex)
            raise bad_request("Failed to fetch OAuth2 token.") from ex
        try:
            user = provider.fetch_auth_user(token)
        except OAuth2Error as ex:
            log.debug("OAuth2 user fetch failed: %s", ex)
            raise bad_request("Failed to fetch OAuth2 user.") from ex
        if name == "apple" and not user.name:
            user.name = _take_apple_name(code)
        link, record = self._find_record(col, name, user, fallback)
        event = RecordAuthWithOAuth2RequestEvent(self.app)
        event.request, event.response, event.collection, event.auth = req, resp, col, auth
        event.provider_name, event.provider_client, event.oauth2_user = name, provider, user
        event.create_data, event.record, event.is_new_record = create_data, record, record is None

        def finalize(e: RecordAuthWithOAuth2RequestEvent) -> None:
            try:
                oauth2.submit(self.app, e, link, lambda payload, files: self._create(req, col.name, payload, files))
            except (ApiError, falcon.HTTPError):
                raise
            except PyBaseError as ex:
                raise bad_request("Failed to authenticate.") from ex
            assert e.record is not None
            meta = {**e.oauth2_user.to_json(), "isNew": e.is_new_record}
            auth_response(self.app, req, resp, e.record, info, "oauth2", meta=meta)

        self.app.hooks["onRecordAuthWithOAuth2Request"].trigger(event, finalize)

    def _find_record(self, col: Collection, name: str, user: AuthUser, fallback: Record | None) -> tuple[Record | None, Record | None]:
        """The account's link and record: linked, else the signed-in caller, else by email."""
        link = oauth2.find_external_auth(self.app, col, name, user.id)
        if link is not None:
            try:
                return link, self.app.records.find_by_id(col, str(link.get("recordRef") or ""))
            except NotFoundError as ex:
                raise not_found() from ex
        if fallback is not None:
            return None, fallback
        if user.email:
            return None, self.app.records.find_first(col, email=user.email)
        return None, None

    def _create(
        self, req: falcon.Request, collection: str, payload: dict[str, Any], files: dict[str, list[tuple[str, bytes]]],
    ) -> Record:
        """Create the record through the records API, as the caller (rules and hooks apply)."""
        if "password" not in payload:
            # NOTE: as PocketBase, an OAuth2 sign-up gets a random password unless one was sent.
            secret = random_string(30)
            payload = {**payload, "password": secret, "passwordConfirm": secret}
        body, content_type, extra = multipart_body(payload, files)  # NOTE: as PocketBase, with or without files
        status, raw = call_self(
            self.wsgi, req, "POST", f"/api/collections/{collection}/records", body, content_type, context="oauth2",
            environ_extra=extra,
        )  # fmt: skip
        try:
            answer = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            answer = {}
        if status != 200 or not isinstance(answer, dict):
            if isinstance(answer, dict) and "message" in answer:
                # NOTE: as PocketBase, the create's own error is the answer.
                raise ApiError(status, str(answer.get("message") or ""), answer.get("data") or {})
            raise bad_request("Failed to authenticate.")
        try:
            return self.app.records.find_by_id(self.app.find_collection(collection), str(answer.get("id") or ""))
        except NotFoundError as ex:
            raise bad_request("Failed to authenticate.") from ex


# Apple sends the user's name only with its first redirect; kept a minute for auth-with-oauth2
# (PocketBase keeps it in its app store the same way).
APPLE_NAME_SECONDS = 60
_APPLE_NAMES_MAX = 1000
_apple_names: dict[str, tuple[float, str]] = {}
_apple_lock = threading.Lock()


def _store_apple_name(code: str, raw: str) -> None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, dict) or len(code) > 1000:
        return
    full = f"{name.get('firstName') or ''} {name.get('lastName') or ''}"[:150].strip()
    if not full:
        return
    now = time.monotonic()
    with _apple_lock:
        for key in [k for k, (at, _) in _apple_names.items() if now - at > APPLE_NAME_SECONDS]:
            del _apple_names[key]
        if len(_apple_names) >= _APPLE_NAMES_MAX:
            _apple_names.pop(next(iter(_apple_names)))
        _apple_names[code] = (now, full)


def _take_apple_name(code: str) -> str:
    with _apple_lock:
        found = _apple_names.pop(code, None)
    if found is None or time.monotonic() - found[0] > APPLE_NAME_SECONDS:
        return ""
    return found[1]


class OAuth2RedirectResource:
    """The provider's redirect in the SDK's popup mode: forwards state/code to the realtime client."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The redirect as a query string."""
        self._handle(req, resp, {k: req.get_param(k) or "" for k in ("state", "code", "error")})

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The redirect as a form (``response_mode=form_post``, e.g. Apple)."""
        try:
            data, _files = read_body(req, infer=False, xml_message=None)
        except (ApiError, falcon.HTTPError):
            log.debug("failed to read OAuth2 redirect data")
            return _redirect(req, resp, REDIRECT_FAILURE)
        values = {k: v if isinstance(v, str) else "" for k, v in data.items()}
        self._handle(req, resp, values)

    def _handle(self, req: falcon.Request, resp: falcon.Response, data: dict[str, str]) -> None:
        # NOTE: as PocketBase, the request log skips these (the URL carries a code).
        req.context.skip_success_log = True
        state, code, error = data.get("state", ""), data.get("code", ""), data.get("error", "")
        client = self.app.subscriptions_broker().client_by_id(state) if state else None
        if client is None or client.discarded or not client.has_subscription(OAUTH2_TOPIC):
            return _redirect(req, resp, REDIRECT_FAILURE)
        try:
            # SECURITY: the browser that finished the sign-in must be the one that subscribed.
            ip = client.get(IP_KEY)
            if ip and ip != real_ip(req):
                return _redirect(req, resp, REDIRECT_FAILURE)
            if data.get("user") and code and not error:
                _store_apple_name(code, data["user"])
            payload: dict[str, str] = {"state": state, "code": code}
            if error:
                payload["error"] = error
            client.send(Message(OAUTH2_TOPIC, orjson.dumps(payload)))
        finally:
            client.unsubscribe(OAUTH2_TOPIC)
        if error or not code:
            return _redirect(req, resp, REDIRECT_FAILURE)
        return _redirect(req, resp, REDIRECT_SUCCESS)


def _redirect(req: falcon.Request, resp: falcon.Response, location: str) -> None:
    resp.status = falcon.HTTP_307 if req.method == "GET" else falcon.HTTP_303
    resp.location = location
