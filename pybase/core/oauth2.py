"""OAuth2 sign-in of an auth collection: its providers, the auth-methods listing, account links."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.tools.oauth2 import AuthUser, Provider, new_provider
from pybase.tools.oauth2.base import s256_challenge
from pybase.tools.security import random_string
from pybase.tools.validators import matches

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.events import RecordAuthWithOAuth2RequestEvent
    from pybase.core.records import Record


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


EXTERNAL_AUTHS = "_externalAuths"
#: the most of an avatar that is downloaded (PocketBase's default body limit)
AVATAR_MAX_BYTES = 32 << 20

log = logging.getLogger("pybase")


def find_external_auth(app: App, collection: Collection, provider: str, provider_id: str) -> Record | None:
    """The ``_externalAuths`` link of a provider account to a record of ``collection``."""
    return app.records.find_first(
        app.find_collection(EXTERNAL_AUTHS), collectionRef=collection.id, provider=provider, providerId=provider_id
    )


def delete_external_auths(app: App, record: Record) -> None:
    """Every ``_externalAuths`` link of ``record``."""
    links = app.find_collection(EXTERNAL_AUTHS)
    table = links.table
    page = app.records.list_page(
        links, where=[table.c.collectionRef == record.collection.id, table.c.recordRef == record.id],
        per_page=1000, skip_total=True,
    )
    for link in page.records:
        app.delete(link)


def _can_assign_username(app: App, collection: Collection, name: str, username: str) -> bool:
    """PocketBase's check before mapping the provider's username: valid for the field and unused."""
    field = collection.field(name)
    if field is None:
        return False
    pattern = getattr(field, "pattern", "")
    if field.type == "text" and (not username or (pattern and not matches(pattern, username))):
        return False
    return app.records.find_first(collection, **{name: username}) is None


def new_record_payload(app: App, event: RecordAuthWithOAuth2RequestEvent) -> tuple[dict[str, Any], dict[str, list[tuple[str, bytes]]]]:
    """The create body and files for a first sign-in: ``createData`` plus the mapped fields.

    An avatar URL mapped to a file field is downloaded (through a client that refuses this
    machine's networks, as PocketBase); a failed download leaves the field empty.
    """
    files: dict[str, list[tuple[str, bytes]]] = {}
    col = event.collection
    user: AuthUser = event.oauth2_user
    assert col is not None
    payload = dict(event.create_data or {})
    if not isinstance(payload.get("email"), str) or not payload.get("email"):
        payload["email"] = user.email
    mapped = (col.auth.get("oauth2") or {}).get("mappedFields") or {}
    for key, value in (("id", user.id), ("name", user.name)):
        target = mapped.get(key) or ""
        if target and target not in payload:
            payload[target] = value
    target = mapped.get("username") or ""
    if target and target not in payload and _can_assign_username(app, col, target, user.username):
        payload[target] = user.username
    target = mapped.get("avatarURL") or ""
    if target and target not in payload and user.avatar_url:
        field = col.field(target)
        if field is not None and field.type == "file":
            try:
                from pybase.tools.safe_http import download  # PERF: requests only when used

                files[target] = [download(user.avatar_url, max_bytes=AVATAR_MAX_BYTES)[::-1]]
            except Exception as ex:  # noqa: BLE001 - the sign-in goes on without it, as PocketBase
                log.warning("failed to retrieve OAuth2 avatar %s: %s", user.avatar_url, ex)
        elif field is not None:
            payload[target] = user.avatar_url
    return payload, files


def submit(
    app: App, event: RecordAuthWithOAuth2RequestEvent, link: Record | None,
    create_record: Callable[[dict[str, Any], dict[str, list[tuple[str, bytes]]]], Record],
) -> None:
    """Create or update the auth record of an OAuth2 sign-in and link the account (one transaction).

    ``create_record(body, files)`` creates a record from a request body as the records API would.
    """
    col = event.collection
    user: AuthUser = event.oauth2_user
    assert col is not None
    if event.record is None and col.is_superusers:
        # SECURITY: superusers never sign up through OAuth2.
        raise BadRequestError("Failed to authenticate.")
    # NOTE: the avatar is fetched before the write starts, not while holding the writer.
    new = new_record_payload(app, event) if event.record is None else None
    with app.db.write():
        if new is not None:
            event.record = create_record(*new)
            if event.record.email == user.email and not event.record.get("verified"):
                event.record.set("verified", True)
                app.save(event.record)
        else:
            record = event.record
            auth = event.auth
            signed_in = auth is not None and auth.id == record.id and auth.collection.id == record.collection.id
            update = False
            if not signed_in and not record.get("verified"):
                # SECURITY: someone may have pre-registered the address with a password they know.
                record.set_password_plain("password", random_string(30))
                update = True
            if not record.get("verified"):
                # SECURITY: an unverified record keeps at most this one provider link.
                delete_external_auths(app, record)
                link = None
            if not record.email and user.email:
                record.set("email", user.email)
                update = True
            if not record.get("verified") and (not record.email or record.email == user.email):
                record.set("verified", True)
                update = True
            if update:
                app.save(record)
        if link is None:
            app.save(app.new_record(EXTERNAL_AUTHS, {
                "collectionRef": event.record.collection.id, "recordRef": event.record.id,
                "provider": event.provider_name, "providerId": user.id,
            }))  # fmt: skip
