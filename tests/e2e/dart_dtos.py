"""What the Dart SDK's DTOs read from each answer (lib/src/dtos/*.dart and their generated
``*.g.dart``), as tables of field -> JSON type, and a checker.

A ``fromJson`` reads each field with a cast (``json['x'] as String?``, ``(json['n'] as
num?)?.toInt()``, ``json['data'] as Map<String, dynamic>?``): a value of another JSON type throws
a ``TypeError`` and the whole call fails; a missing one silently becomes the default (``""``,
``0``, ``false``), which is wrong data. So each field here must be present with its type,
unless marked optional (``?``: null or absent, as PocketBase itself answers).

Types: ``String``, ``num`` (a JSON number; ``int`` where the DTO calls ``toInt()``, still any
number), ``bool``, ``Map``, ``List``, ``List<String>``, ``any``; a nested dict is a nested DTO and
a one-element list a list of that DTO.
"""

from __future__ import annotations

from typing import Any

S, N, INT, B, M, L, LS, ANY = "String", "num", "int", "bool", "Map", "List", "List<String>", "any"

#: RecordModel: a map kept whole; its getters read id, collectionId, collectionName, and
#: fromJson reads "expand" as a map (an expand list or text would throw)
RECORD = {"id": S, "collectionId": S, "collectionName": S, "expand": "Map?"}
#: RecordAuth (meta: only an OAuth2 sign-in has it)
RECORD_AUTH = {"token": S, "record": RECORD, "meta": "Map?"}
RECORD_AUTH_OAUTH2 = {"token": S, "record": RECORD, "meta": M}
OTP_RESPONSE = {"otpId": S}
AUTH_METHOD_PROVIDER = {
    "name": S, "displayName": S, "state": S, "codeVerifier": S, "codeChallenge": S, "codeChallengeMethod": S, "authURL": S,
    "pkce": "bool?",
}  # fmt: skip
AUTH_METHODS_LIST = {
    "mfa": {"duration": N, "enabled": B},
    "otp": {"duration": N, "enabled": B},
    "password": {"enabled": B, "identityFields": LS},
    "oauth2": {"enabled": B, "providers": [AUTH_METHOD_PROVIDER]},
}
EMAIL_TEMPLATE = {"subject": S, "body": S}
TOKEN_CONFIG = {"duration": N, "secret": "String?"}
#: CollectionField: a map kept whole; its getters (caster-converted) read these
COLLECTION_FIELD = {"id": S, "name": S, "type": S, "system": B, "hidden": B, "presentable": B, "required": "bool?"}
COLLECTION = {
    "id": S, "type": S, "created": S, "updated": S, "name": S, "system": B,
    "listRule": "String?", "viewRule": "String?", "createRule": "String?", "updateRule": "String?", "deleteRule": "String?",
    "fields": [COLLECTION_FIELD], "indexes": LS,
}  # fmt: skip
COLLECTION_VIEW = {**COLLECTION, "viewQuery": S}
COLLECTION_AUTH = {
    **COLLECTION,
    "authRule": "String?", "manageRule": "String?",
    "authAlert": {"enabled": B, "emailTemplate": EMAIL_TEMPLATE},
    "oauth2": {"enabled": B, "mappedFields": "Map<String>", "providers": L},
    "passwordAuth": {"enabled": B, "identityFields": LS},
    "mfa": {"duration": N, "enabled": B, "rule": S},
    "otp": {"duration": N, "length": N, "enabled": B, "emailTemplate": EMAIL_TEMPLATE},
    "authToken": TOKEN_CONFIG, "passwordResetToken": TOKEN_CONFIG, "emailChangeToken": TOKEN_CONFIG,
    "verificationToken": TOKEN_CONFIG, "fileToken": TOKEN_CONFIG,
    "verificationTemplate": EMAIL_TEMPLATE, "resetPasswordTemplate": EMAIL_TEMPLATE, "confirmEmailChangeTemplate": EMAIL_TEMPLATE,
}  # fmt: skip
CONFIGURABLE_OAUTH2_PROVIDER = {"name": S, "displayName": S, "logo": S}
HEALTH_CHECK = {"code": INT, "message": S, "data": M}
#: LogModel reads "updated" too; PocketBase's logs have none (the DTO's default "")
LOG = {"id": S, "created": S, "updated": "String?", "level": INT, "message": S, "data": M}
LOG_STAT = {"total": INT, "date": S}
BACKUP_FILE_INFO = {"key": S, "size": INT, "modified": S}
CRON_JOB = {"id": S, "expression": S}
#: BatchResult (a 204 sub-request has no body: null)
BATCH_RESULT = {"status": N, "body": "any?"}
#: NOTE: CollectionService.dryRunViewQuery reads a JSON array of records, but PocketBase 0.40
#: answers {"fields", "sample"}: the SDK's call fails against PocketBase itself (pybase answers
#: as PocketBase); this is the shape both answer
DRY_RUN_VIEW = {"fields": [COLLECTION_FIELD], "sample": [RECORD]}
SQL_RESULT = {"execTime": N, "affectedRows": N, "columns": L, "rows": L}
APPLE_CLIENT_SECRET = {"secret": S}
FILE_TOKEN = {"token": S}  # FileService.getToken: data["token"] as String
SUBSCRIPTION_EVENT = {"action": S, "record": RECORD}
#: what ClientException.response holds (any map: PocketBase's error shape)
ERROR = {"status": INT, "message": S, "data": M}


def result_list(item: dict[str, Any]) -> dict[str, Any]:
    """ResultList<M>: the page numbers (toInt()) and the items, each read by ``item``'s DTO."""
    return {"page": INT, "perPage": INT, "totalItems": INT, "totalPages": INT, "items": [item]}


def list_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An answer that is a JSON array of ``item`` (getFullList of backups, crons, log stats)."""
    return [item]


def map_of(item: dict[str, Any]) -> dict[str, Any]:
    """An answer that is a map of name -> ``item`` (collection scaffolds)."""
    return {"*": item}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == ANY:
        return True
    if kind in (N, INT):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == S:
        return isinstance(value, str)
    if kind == B:
        return isinstance(value, bool)
    if kind == M:
        return isinstance(value, dict)
    if kind == "Map<String>":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == L:
        return isinstance(value, list)
    if kind == LS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise AssertionError(f"unknown DTO type {kind}")


def problems(value: Any, spec: Any, where: str = "$") -> list[str]:
    """Where ``value`` breaks (or silently defaults) the DTO ``spec``; empty when it reads well."""
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: a List expected, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in problems(item, spec[0], f"{where}[{i}]")]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where}: a Map expected, got {type(value).__name__}"]
        if set(spec) == {"*"}:
            return [p for key, item in value.items() for p in problems(item, spec["*"], f"{where}.{key}")]
        found = []
        for key, kind in spec.items():
            optional = isinstance(kind, str) and kind.endswith("?")
            if key not in value or value[key] is None:
                if not optional:
                    found.append(f"{where}.{key}: missing (the DTO reads its default)")
                continue
            found.extend(problems(value[key], kind.rstrip("?") if isinstance(kind, str) else kind, f"{where}.{key}"))
        return found
    return [] if _type_ok(value, spec) else [f"{where}: {spec} expected, got {type(value).__name__} {value!r:.60}"]
