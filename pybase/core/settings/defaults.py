"""The settings' shape (every section and field with its JSON type) and PocketBase 0.40's defaults.

``SHAPE`` lists the fields in the order PocketBase writes them, so the stored JSON and the API
answers read the same on both servers. A field's type is ``"bool"``, ``"int"`` (a Go int64),
``"str"``, ``"strs"`` (a list of strings), a nested dict (a section) or a one-element tuple
holding a section: a list of such objects (the rate-limit rules).
"""

from __future__ import annotations

import copy
from typing import Any

S3_SHAPE: dict[str, Any] = {
    "enabled": "bool", "bucket": "str", "region": "str", "endpoint": "str", "accessKey": "str",
    "secret": "str", "forcePathStyle": "bool",
}  # fmt: skip

RATE_LIMIT_RULE_SHAPE: dict[str, Any] = {"label": "str", "audience": "str", "duration": "int", "maxRequests": "int"}

SHAPE: dict[str, Any] = {
    "superuserIPs": "strs",
    "smtp": {
        "enabled": "bool", "port": "int", "host": "str", "username": "str", "password": "str",
        "authMethod": "str", "tls": "bool", "localName": "str",
    },
    "backups": {"cron": "str", "cronMaxKeep": "int", "s3": S3_SHAPE},
    "s3": S3_SHAPE,
    "meta": {
        "accentColor": "str", "appName": "str", "appURL": "str", "senderName": "str",
        "senderAddress": "str", "hideControls": "bool",
    },
    "rateLimits": {"rules": (RATE_LIMIT_RULE_SHAPE,), "excludedIPs": "strs", "enabled": "bool"},
    "trustedProxy": {"headers": "strs", "useLeftmostIP": "bool"},
    "batch": {"enabled": "bool", "maxRequests": "int", "timeout": "int", "maxBodySize": "int"},
    "logs": {"maxDataSize": "int", "maxDays": "int", "minLevel": "int", "logIP": "bool", "logAuthId": "bool"},
}  # fmt: skip

#: the write-only fields: never in API answers, kept when a PATCH leaves them out
SECRET_PATHS: tuple[tuple[str, ...], ...] = (("smtp", "password"), ("s3", "secret"), ("backups", "s3", "secret"))

_ZERO = {"bool": False, "int": 0, "str": "", "strs": []}


def zero(shape: Any) -> Any:
    """The zero value of a field type (Go's zero struct for a section)."""
    if isinstance(shape, dict):
        return {key: zero(sub) for key, sub in shape.items()}
    if isinstance(shape, tuple):
        return []
    return copy.copy(_ZERO[shape])


_OVERRIDES: dict[str, dict[str, Any]] = {
    "meta": {
        "accentColor": "#1055c9", "appName": "Acme", "appURL": "http://localhost:8090",
        "senderName": "Support", "senderAddress": "support@example.com",
    },
    "logs": {"maxDays": 5, "logIP": True},
    "smtp": {"host": "smtp.example.com", "port": 587},
    "backups": {"cronMaxKeep": 3},
    "batch": {"maxRequests": 50, "timeout": 3},
    "rateLimits": {
        "rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300},
        ],
    },
}  # fmt: skip


def default_settings() -> dict[str, Any]:
    """A fresh copy of the settings of a new PocketBase 0.40 app (secrets empty)."""
    data: dict[str, Any] = zero(SHAPE)
    for section, values in _OVERRIDES.items():
        data[section].update(copy.deepcopy(values))
    return data
