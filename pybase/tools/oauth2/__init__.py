"""OAuth2 sign-in providers (PocketBase's ``tools/auth``), built on authlib's client.

A provider knows its endpoints, scopes and whether it takes PKCE; :meth:`Provider.fetch_token`
exchanges an authorization code and :meth:`Provider.fetch_auth_user` maps the provider's user
info to an :class:`AuthUser`. Providers are looked up by name with :func:`new_provider`.
"""

from __future__ import annotations

from pybase.tools.oauth2 import providers as _providers  # noqa: F401  (registers the providers)
from pybase.tools.oauth2.base import AuthUser, OAuth2Error, Provider, new_provider, provider_names

__all__ = ["AuthUser", "OAuth2Error", "Provider", "new_provider", "provider_names"]
