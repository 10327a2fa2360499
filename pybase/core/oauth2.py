"""OAuth2 sign-in of an auth collection: its configured providers and the auth-methods listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pybase.tools.oauth2 import Provider, new_provider
from pybase.tools.oauth2.base import s256_challenge
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.collections import Collection


def provider_config(collection: Collection, name: str) -> dict[str, Any] | None:
    """The first provider config of the collection named ``name`` (PocketBase's GetProviderConfig)."""
    oauth2 = collection.auth.get("oauth2") or {}
    for config in oauth2.get("providers") or []:
        if isinstance(config, dict) and config.get("name") == name:
            return config
    return None


def init_provider(config: dict[str, Any]) -> Provider | None:
    """The provider a config names, with the config applied; None for an unknown name."""
    provider = new_provider(str(config.get("name") or ""))
    return provider.configure(config) if provider is not None else None


def _provider_info(config: dict[str, Any], provider: Provider) -> dict[str, Any]:
    # NOTE: PocketBase ships an SVG logo per provider; pybase answers an empty one.
    info: dict[str, Any] = {
        "name": config.get("name") or "",
        "displayName": provider.display_name or config.get("name") or "",
        "logo": "",
        "state": random_string(30),
        "authURL": "",
        "authUrl": "",
        "codeVerifier": "",
        "codeChallenge": "",
        "codeChallengeMethod": "",
    }
    params: dict[str, str] = {}
    if provider.pkce:
        info["codeVerifier"] = random_string(43)
        info["codeChallenge"] = s256_challenge(info["codeVerifier"])
        info["codeChallengeMethod"] = "S256"
        params = {"code_challenge": info["codeChallenge"], "code_challenge_method": "S256"}
    # NOTE: as PocketBase: an empty redirect_uri last, for the client to append its own.
    info["authURL"] = info["authUrl"] = provider.build_auth_url(info["state"], params) + "&redirect_uri="
    return info


def auth_methods(collection: Collection) -> dict[str, Any]:
    """PocketBase's auth-methods answer: what the collection lets users sign in with."""
    password = collection.auth.get("passwordAuth") or {}
    oauth2 = collection.auth.get("oauth2") or {}
    mfa, otp = collection.auth.get("mfa") or {}, collection.auth.get("otp") or {}
    enabled = bool(password.get("enabled"))
    # NOTE: PocketBase lists no identity fields while password auth is disabled.
    identity = list(password.get("identityFields") or []) if enabled else []
    providers: list[dict[str, Any]] = []
    if oauth2.get("enabled"):
        for config in oauth2.get("providers") or []:
            provider = init_provider(config) if isinstance(config, dict) else None
            if provider is not None:  # NOTE: a provider that fails to set up is skipped
                providers.append(_provider_info(config, provider))
    return {
        "password": {"identityFields": identity, "enabled": enabled},
        "oauth2": {"providers": providers, "enabled": bool(oauth2.get("enabled"))},
        "mfa": {"enabled": bool(mfa.get("enabled")), "duration": int(mfa.get("duration") or 0) if mfa.get("enabled") else 0},
        "otp": {"enabled": bool(otp.get("enabled")), "duration": int(otp.get("duration") or 0) if otp.get("enabled") else 0},
        # legacy fields (PocketBase keeps them for pre-0.23 clients)
        "authProviders": [{**p, "logo": ""} for p in providers],
        "usernamePassword": enabled and "username" in identity,
        "emailPassword": enabled and "email" in identity,
    }
