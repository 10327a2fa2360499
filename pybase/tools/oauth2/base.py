"""The provider base class, the user it yields and the name registry."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

import orjson

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session

#: seconds an exchange or user info request may take (PocketBase's 30 s context)
HTTP_TIMEOUT = 30


class OAuth2Error(Exception):
    """A failed token exchange or user info request."""


@dataclass
class AuthUser:
    """The signed-in provider account (PocketBase's ``auth.AuthUser``)."""

    id: str = ""
    name: str = ""
    username: str = ""
    email: str = ""
    avatar_url: str = ""
    access_token: str = ""
    refresh_token: str = ""
    expiry: str = ""
    raw_user: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON PocketBase writes as the sign-in ``meta`` (legacy ``avatarUrl`` included)."""
        return {
            "expiry": self.expiry,
            "rawUser": self.raw_user,
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "avatarURL": self.avatar_url,
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "email": self.email,
            "avatarUrl": self.avatar_url,
        }


def s256_challenge(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (unpadded base64url of its SHA-256)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def to_bool(value: Any) -> bool:
    """Go's ``cast.ToBool`` for claim values that may be a bool, a number or a string."""
    if isinstance(value, str):
        return value.strip() in ("1", "t", "T", "true", "TRUE", "True")
    if isinstance(value, bool | int | float):
        return bool(value)
    return False


class Provider:
    """One OAuth2 provider: defaults on the class, overrides from the collection's config."""

    name: ClassVar[str] = ""
    default_display_name: ClassVar[str] = ""
    #: where the provider sits in the superusers' list (PocketBase's order; lower first)
    order: ClassVar[int] = 0
    default_pkce: ClassVar[bool] = True
    default_scopes: ClassVar[tuple[str, ...]] = ()
    default_auth_url: ClassVar[str] = ""
    default_token_url: ClassVar[str] = ""
    default_user_info_url: ClassVar[str] = ""
    #: extra query parameters the authorization URL always carries (Apple's form_post)
    auth_url_params: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.display_name = self.default_display_name
        self.pkce = self.default_pkce
        self.scopes = list(self.default_scopes)
        self.auth_url = self.default_auth_url
        self.token_url = self.default_token_url
        self.user_info_url = self.default_user_info_url
        self.client_id = ""
        self.client_secret = ""
        self.redirect_url = ""
        self.extra: dict[str, Any] = {}

    def configure(self, config: dict[str, Any]) -> Provider:
        """Apply a collection's provider config: only non-empty values replace the defaults."""
        for key, attr in (("clientId", "client_id"), ("clientSecret", "client_secret"), ("authURL", "auth_url"),
                          ("tokenURL", "token_url"), ("userInfoURL", "user_info_url"),
                          ("displayName", "display_name")):  # fmt: skip
            value = config.get(key)
            if isinstance(value, str) and value:
                setattr(self, attr, value)
        if isinstance(config.get("pkce"), bool):
            self.pkce = config["pkce"]
        if isinstance(config.get("extra"), dict):
            self.set_extra(config["extra"])
        return self

    def set_extra(self, extra: dict[str, Any]) -> None:
        """Provider-specific options."""
        self.extra = extra

    # ---- the authorization request -----------------------------------------------------

    def build_auth_url(self, state: str, params: dict[str, str] | None = None) -> str:
        """The authorization URL (query keys sorted, as Go's ``url.Values.Encode``)."""
        query: dict[str, str] = {"client_id": self.client_id, "response_type": "code", "state": state}
        if self.scopes:
            query["scope"] = " ".join(self.scopes)
        if self.redirect_url:
            query["redirect_uri"] = self.redirect_url
        query.update(self.auth_url_params)
        query.update(params or {})
        sep = "&" if "?" in self.auth_url else "?"
        return self.auth_url + sep + urlencode(sorted(query.items()))

    # ---- the code exchange -------------------------------------------------------------

    def session(self, token: dict[str, Any] | None = None) -> OAuth2Session:
        """An authlib client session for this provider."""
        # PERF: authlib and requests (~28 MB) load on the first sign-in, not in every worker.
        from authlib.integrations.requests_client import OAuth2Session

        return OAuth2Session(
            self.client_id, self.client_secret, redirect_uri=self.redirect_url or None, token=token,
            scope=" ".join(self.scopes) or None,
        )

    def fetch_token(self, code: str, code_verifier: str = "") -> dict[str, Any]:
        """Exchange an authorization code for the provider's token response."""
        kwargs: dict[str, Any] = {"code": code, "grant_type": "authorization_code", "timeout": HTTP_TIMEOUT}
        if self.pkce:
            kwargs["code_verifier"] = code_verifier
        try:
            with self.session() as client:
                token = client.fetch_token(self.token_url, **kwargs)
        except Exception as ex:  # authlib raises its own errors, requests its own
            raise OAuth2Error(f"token exchange failed: {ex}") from ex
        if not isinstance(token, dict) or not token.get("access_token"):
            raise OAuth2Error("token response without access_token")
        return dict(token)

    def fetch_raw_user_info(self, token: dict[str, Any]) -> bytes:
        """The user info endpoint's body, fetched with the access token."""
        return self._get(self.user_info_url, token)

    def _get(self, url: str, token: dict[str, Any], *, ok_missing: bool = False) -> bytes:
        try:
            with self.session(token) as client:
                resp = client.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        except Exception as ex:
            raise OAuth2Error(f"user info request failed: {ex}") from ex
        if ok_missing and resp.status_code in (401, 403, 404):
            return b""
        if resp.status_code >= 400:
            raise OAuth2Error(f"failed to fetch OAuth2 user profile via {url} ({resp.status_code}): {resp.text[:200]}")
        return bytes(resp.content)

    def fetch_auth_user(self, token: dict[str, Any]) -> AuthUser:
        """The provider account the token belongs to."""
        raw = self.fetch_raw_user_info(token)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as ex:
            raise OAuth2Error("user info is not JSON") from ex
        if not isinstance(data, dict):
            raise OAuth2Error("user info is not a JSON object")
        user = self.map_user(data, token)
        user.raw_user = data
        user.access_token = str(token.get("access_token") or "")
        user.refresh_token = str(token.get("refresh_token") or "")
        user.expiry = token_expiry(token)
        return user

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        """The provider-specific mapping of user info to an :class:`AuthUser`."""
        raise NotImplementedError


def token_expiry(token: dict[str, Any]) -> str:
    """The token's expiry as PocketBase's DateTime text ("" when the provider gave none)."""
    expires_at = token.get("expires_at")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool) or expires_at <= 0:
        expires_in = token.get("expires_in")
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or expires_in <= 0:
            return ""
        expires_at = time.time() + expires_in
    return datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


_REGISTRY: dict[str, type[Provider]] = {}


def register(*names: str) -> Callable[[type[Provider]], type[Provider]]:
    """Class decorator: make the provider available under ``names``."""

    def wrap(cls: type[Provider]) -> type[Provider]:
        for name in names:
            _REGISTRY[name] = cls
        return cls

    return wrap


def new_provider(name: str) -> Provider | None:
    """A fresh provider by name, or None for a name pybase does not implement."""
    cls = _REGISTRY.get(name)
    return cls() if cls is not None else None


def provider_names() -> list[str]:
    """The names :func:`new_provider` knows."""
    return sorted(_REGISTRY)
