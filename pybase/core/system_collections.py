"""The collections every new data dir starts with (PocketBase's system migrations)."""

from __future__ import annotations

from typing import Any

from pybase.core.collection_defaults import autodate_fields, id_field
from pybase.core.collections import SUPERUSERS, SUPERUSERS_ID, USERS_ID

_OWNER_RULE = (
    "@request.auth.id != '' && recordRef = @request.auth.id && "
    "collectionRef = @request.auth.collectionId"
)


def _text(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "name": name, "system": True, "required": True, **extra}


def _refs() -> list[dict[str, Any]]:
    return [_text("collectionRef", id="text455797646"), _text("recordRef", id="text127846527")]


def system_collections() -> list[dict[str, Any]]:
    """Definitions (collection JSON) in creation order."""
    return [
        {
            "id": "pbc_2279338944", "name": "_mfas", "type": "base", "system": True,
            "listRule": _OWNER_RULE, "viewRule": _OWNER_RULE,
            "fields": [id_field(), *_refs(), _text("method", id="text1582905952"), *autodate_fields(True)],
            "indexes": ["CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef)"],
        },
        {
            "id": "pbc_1638494021", "name": "_otps", "type": "base", "system": True,
            "listRule": _OWNER_RULE, "viewRule": _OWNER_RULE,
            "fields": [
                id_field(), *_refs(),
                {"type": "password", "name": "password", "id": "password901924565", "system": True,
                 "hidden": True, "required": True, "cost": 8},
                {"type": "text", "name": "sentTo", "id": "text3866985172", "system": True, "hidden": True},
                *autodate_fields(True),
            ],
            "indexes": ["CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef)"],
        },
        {
            "id": "pbc_2281828961", "name": "_externalAuths", "type": "base", "system": True,
            "listRule": _OWNER_RULE, "viewRule": _OWNER_RULE, "deleteRule": _OWNER_RULE,
            "fields": [
                id_field(), *_refs(), _text("provider", id="text2462348188"),
                _text("providerId", id="text1044722854"), *autodate_fields(True),
            ],
            "indexes": [
                "CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider)",
                "CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId)",
            ],
        },
        {
            "id": "pbc_4275539003", "name": "_authOrigins", "type": "base", "system": True,
            "listRule": _OWNER_RULE, "viewRule": _OWNER_RULE, "deleteRule": _OWNER_RULE,
            "fields": [id_field(), *_refs(), _text("fingerprint", id="text4228609354"), *autodate_fields(True)],
            "indexes": [
                "CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (collectionRef, recordRef, fingerprint)"
            ],
        },
        {
            "id": SUPERUSERS_ID, "name": SUPERUSERS, "type": "auth", "system": True,
            "authToken": {"duration": 86400},
            "fields_extra": autodate_fields(True),
        },
        {
            "id": USERS_ID, "name": "users", "type": "auth", "system": False,
            "listRule": "id = @request.auth.id", "viewRule": "id = @request.auth.id",
            "createRule": "", "updateRule": "id = @request.auth.id", "deleteRule": "id = @request.auth.id",
            "oauth2": {"mappedFields": {"id": "", "name": "name", "username": "", "avatarURL": "avatar"}},
            "fields_extra": [
                {"type": "text", "name": "name", "id": "text1579384326", "max": 255},
                {"type": "file", "name": "avatar", "id": "file376926767", "maxSelect": 1,
                 "mimeTypes": ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"]},
                *autodate_fields(False),
            ],
        },
    ]
