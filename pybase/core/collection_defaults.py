"""PocketBase's defaults for collections: new auth options, system fields, scaffolds, and the
defaults every save enforces (system fields and their flags, auth indexes, timestamps)."""

from __future__ import annotations

from typing import Any

from pybase.core.collections import TOKEN_OPTIONS, TYPES, Collection
from pybase.core.fields import Field, new_field
from pybase.tools.security import random_string
from pybase.tools.types import now_string

_THANKS = "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"


def _mail(subject: str, intro: str, link: str, label: str, ignore: str) -> dict[str, str]:
    body = (
        f"<p>Hello,</p>\n{intro}"
        "<p>\n"
        f'  <a class="btn" href="{{APP_URL}}/_/#/auth/{link}/{{TOKEN}}" target="_blank" rel="noopener">{label}</a>\n'
        f"</p>\n<p><i>{ignore}</i></p>\n{_THANKS}"
    )
    return {"subject": subject, "body": body}


def default_auth_options() -> dict[str, Any]:
    """Auth settings of a new auth collection (PocketBase's scaffold values, templates verbatim)."""
    options: dict[str, Any] = {
        "authRule": "",
        "manageRule": None,
        "authAlert": {
            "enabled": True,
            "emailTemplate": {
                "subject": "Login from a new location",
                "body": "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new "
                "location:</p>\n<p><em>{ALERT_INFO}</em></p>\n<p><strong>If this wasn't you, you should immediately "
                "change your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n"
                "<p>If this was you, you may disregard this email.</p>\n" + _THANKS,
            },
        },
        "oauth2": {
            "providers": [],
            "mappedFields": {"id": "", "name": "", "username": "", "avatarURL": ""},
            "enabled": False,
        },
        "passwordAuth": {"enabled": True, "identityFields": ["email"]},
        "mfa": {"enabled": False, "duration": 600, "rule": ""},
        "otp": {
            "enabled": False,
            "duration": 180,
            "length": 8,
            "emailTemplate": {
                "subject": "OTP for {APP_NAME}",
                "body": "<p>Hello,</p>\n<p>Your one-time password is: <strong>{OTP}</strong></p>\n"
                "<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>\n" + _THANKS,
            },
        },
    }
    for key, duration in TOKEN_OPTIONS.items():
        options[key] = {"duration": duration, "secret": random_string(50)}
    options["verificationTemplate"] = _mail(
        "Verify your {APP_NAME} email",
        "<p>Thank you for joining us at {APP_NAME}.</p>\n<p>Click on the button below to verify your email address.</p>\n",
        "confirm-verification", "Verify", "If you didn't recently register, please ignore this email.",
    )
    options["resetPasswordTemplate"] = _mail(
        "Reset your {APP_NAME} password", "<p>Click on the button below to reset your password.</p>\n",
        "confirm-password-reset", "Reset password", "If you didn't ask to reset your password, please ignore this email.",
    )
    options["confirmEmailChangeTemplate"] = _mail(
        "Confirm your {APP_NAME} new email address", "<p>Click on the button below to confirm your new email address.</p>\n",
        "confirm-email-change", "Confirm new email", "If you didn't ask to change your email address, please ignore this email.",
    )
    return options


def id_field() -> dict[str, Any]:
    """The primary key field every base and auth collection has."""
    return {
        "autogeneratePattern": "[a-z0-9]{15}", "hidden": False, "id": "text3208210256",
        "max": 15, "min": 15, "name": "id", "pattern": "^[a-z0-9]+$", "presentable": False,
        "primaryKey": True, "required": True, "system": True, "type": "text",
    }


def auth_system_fields() -> list[dict[str, Any]]:
    """The system fields of an auth collection."""
    return [
        id_field(),
        {"type": "password", "name": "password", "id": "password901924565", "system": True,
         "hidden": True, "required": True, "min": 8},
        {"type": "text", "name": "tokenKey", "id": "text2504183744", "system": True, "hidden": True,
         "required": True, "min": 30, "max": 60, "autogeneratePattern": "[a-zA-Z0-9]{50}"},
        {"type": "email", "name": "email", "id": "email3885137012", "system": True, "required": True},
        {"type": "bool", "name": "emailVisibility", "id": "bool1547992806", "system": True},
        {"type": "bool", "name": "verified", "id": "bool256245529", "system": True},
    ]


def autodate_fields(system: bool) -> list[dict[str, Any]]:
    """``created`` and ``updated`` autodate fields."""
    return [
        {"type": "autodate", "name": "created", "id": "autodate2990389176", "system": system,
         "onCreate": True, "onUpdate": False},
        {"type": "autodate", "name": "updated", "id": "autodate3332085495", "system": system,
         "onCreate": True, "onUpdate": True},
    ]


def ensure_system_fields(col: Collection) -> None:
    """Put back the id field (and auth system fields) a submitted field list left out."""
    if col.is_view:
        return
    required_fields = auth_system_fields() if col.is_auth else [id_field()]
    names = {f.name for f in col.fields}
    missing = [new_field(f) for f in required_fields if f["name"] not in names]
    if missing:
        col.fields = [*missing, *col.fields]
        col.invalidate()


def unset_missing_mapped_fields(col: Collection) -> None:
    """PocketBase's ``unsetMissingOAuth2MappedFields``: a mapped field naming no field is cleared."""
    oauth2 = col.auth.get("oauth2")
    if not isinstance(oauth2, dict):
        return
    mapped = oauth2.get("mappedFields") if isinstance(oauth2.get("mappedFields"), dict) else {}
    oauth2["mappedFields"] = {
        key: (mapped.get(key) or "") if col.field(mapped.get(key) or "") is not None else ""
        for key in ("id", "name", "username", "avatarURL")
    }


def ensure_unique_generated_id(col: Collection) -> None:
    """Give a new collection whose derived id is taken ``<id>2``, ``<id>3``... (as PocketBase does)."""
    if not col.autogenerated_id or col.id != col.autogenerated_id or col.registry is None:
        return
    base = new_id = col.id
    for suffix in range(2, 1000):
        if col.registry.find(new_id) is None:
            break
        new_id = f"{base}{suffix}"
    if new_id != col.id:
        col.indexes = [sql.replace(f"_{col.id}`", f"_{new_id}`") for sql in col.indexes]
        col.id = col.autogenerated_id = new_id


_ENFORCED: dict[str, dict[str, Any]] = {
    "password": {"system": True, "hidden": True, "required": True},
    "tokenKey": {"system": True, "hidden": True, "required": True},
    "email": {"system": True, "hidden": False},
    "emailVisibility": {"system": True},
    "verified": {"system": True},
}


def init_default_fields(col: Collection) -> None:
    """PocketBase's ``initDefaultFields`` (run on every save): the id field first and, for auth
    collections, the auth system fields, added when missing (or of another type) and their
    system flags enforced when present; the tokenKey and email unique indexes when missing."""
    if col.is_view:
        return
    col.invalidate()
    pk = next((f for f in col.fields if f.name == "id"), None)
    if pk is None or pk.type != "text":
        default = new_field(id_field())
        # NOTE: as NewFieldsList(default, fields...): a field with the default's id replaces it.
        same = [f for f in col.fields if f.id == default.id]
        col.fields = [same[0], *(f for f in col.fields if f is not same[0])] if same else [default, *col.fields]
    else:
        pk.system = pk.required = pk.primaryKey = True  # type: ignore[attr-defined]
        pk.hidden = False
        if not pk.pattern:  # type: ignore[attr-defined]
            pk.pattern = id_field()["pattern"]  # type: ignore[attr-defined]
    if col.is_auth:
        for default in auth_system_fields()[1:]:
            field = col.field(default["name"])
            if field is None or field.type != default["type"]:
                _add_field(col, new_field({k: v for k, v in default.items() if k != "id"}))
            else:
                for key, value in _ENFORCED[field.name].items():
                    setattr(field, key, value)
        ensure_auth_indexes(col)
    col.invalidate()


def _add_field(col: Collection, field: Field) -> None:
    """PocketBase's ``FieldsList.Add`` of a field without id: it replaces (in place, keeping
    its id) a field of the same name, else it is appended with the derived id."""
    for index, existing in enumerate(col.fields):
        if existing.name == field.name:
            field.id = existing.id
            col.fields[index] = field
            return
    field.ensure_id()
    base, taken = field.id, {f.id for f in col.fields}
    for suffix in range(2, 1000):
        if field.id not in taken:
            break
        field.id = f"{base}{suffix}"
    col.fields.append(field)
    col.invalidate()


def ensure_auth_indexes(col: Collection) -> None:
    """Add the tokenKey and email unique indexes an auth collection lacks."""
    parsed = col.parsed_indexes()
    wanted = [
        ("tokenKey", f"CREATE UNIQUE INDEX `idx_tokenKey_{col.id}` ON `{col.name}` (`tokenKey`)"),
        ("email", f"CREATE UNIQUE INDEX `idx_email_{col.id}` ON `{col.name}` (`email`) WHERE `email` != ''"),
    ]
    for column, sql in wanted:
        if not any(i.unique and len(i.columns) == 1 and i.columns[0].name.lower() == column.lower() for i in parsed):
            col.indexes.append(sql)


def touch(col: Collection, *, creating: bool) -> None:
    """Set ``created``/``updated`` and the system defaults for a save (PocketBase's
    ``onCollectionSave``: timestamps, then :func:`init_default_fields`)."""
    init_default_fields(col)
    if col.is_auth:
        unset_missing_mapped_fields(col)
    stamp = now_string()
    if creating and not col.created:
        col.created = stamp
    col.updated = stamp


def scaffolds() -> dict[str, Any]:
    """Default JSON of a new collection of each type (``/api/collections/meta/scaffolds``)."""
    out: dict[str, Any] = {}
    for ctype in TYPES:
        col = Collection()
        col.type = ctype
        if ctype == "auth":
            col.auth = default_auth_options()
            col.fields = [new_field(f) for f in auth_system_fields()]
            suffix = random_string(10, "abcdefghijklmnopqrstuvwxyz0123456789")
            col.indexes = [
                f"CREATE UNIQUE INDEX `idx_tokenKey_{suffix}` ON `` (`tokenKey`)",
                f"CREATE UNIQUE INDEX `idx_email_{suffix}` ON `` (`email`) WHERE `email` != ''",
            ]
        elif ctype == "base":
            col.fields = [new_field(id_field())]
        out[ctype] = col.to_json()
    return out
