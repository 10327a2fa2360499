"""Collections: the model, its JSON form, its defaults and its validation."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Table

from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.fields import FIELD_TYPES, Field, new_field
from pybase.store.schema import build_table
from pybase.tools import dbutils
from pybase.tools.security import crc32_checksum, random_string
from pybase.tools.types import format_datetime, now_string, parse_datetime

if TYPE_CHECKING:
    from collections.abc import Callable

    from pybase.core.collection_registry import CollectionRegistry

TYPES = ("base", "auth", "view")
RULES = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
AUTH_RULES = ("authRule", "manageRule")
TOKEN_OPTIONS = {
    "authToken": 432000,
    "passwordResetToken": 1800,
    "emailChangeToken": 1800,
    "verificationToken": 86400,
    "fileToken": 180,
}
SUPERUSERS = "_superusers"
SUPERUSERS_ID = "pbc_3142635823"
USERS_ID = "_pb_users_auth_"
COLLECTION_NAME_RE = re.compile(r"^\w+$", re.ASCII)  # Go's \w is ASCII only
# NOTE: fields auth collections must keep, with the type each must have.
AUTH_SYSTEM_FIELDS = {
    "id": "text",
    "password": "password",
    "tokenKey": "text",
    "email": "email",
    "emailVisibility": "bool",
    "verified": "bool",
}


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


class Collection:
    """A collection definition; ``table`` is its SQLAlchemy table, built once per version."""

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.type = "base"
        self.system = False
        self.fields: list[Field] = []
        self.indexes: list[str] = []
        self.rules: dict[str, str | None] = dict.fromkeys(RULES)
        self.view_query = ""
        self.auth: dict[str, Any] = {}
        self.created = ""
        self.updated = ""
        self.registry: CollectionRegistry | None = None
        #: the id new_collection() derived from type+name (PocketBase bumps it on a clash)
        self.autogenerated_id = ""
        #: why the view query failed, reported with the other validation errors
        self.view_errors: dict[str, Any] = {}
        self._table: Table | None = None
        self._fields_by_name: dict[str, Field] | None = None
        self._row_converters: list[tuple[str, Any]] | None = None
        self._derived: dict[Any, Any] = {}

    # ---- lookups -----------------------------------------------------------------------

    @property
    def is_auth(self) -> bool:
        """Whether records of this collection can authenticate."""
        return self.type == "auth"

    @property
    def is_view(self) -> bool:
        """Whether this is a read-only view collection."""
        return self.type == "view"

    @property
    def is_superusers(self) -> bool:
        """Whether this is the ``_superusers`` collection."""
        return self.name == SUPERUSERS

    def table_name(self) -> str:
        """Tag used by model hooks: the collections table."""
        return "_collections"

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if any."""
        if self._fields_by_name is None:
            self._fields_by_name = {f.name: f for f in self.fields}
        return self._fields_by_name.get(name)

    def rule(self, name: str) -> str | None:
        """A rule by key (``listRule``... ``authRule``, ``manageRule``)."""
        if name in AUTH_RULES:
            return self.auth.get(name)
        return self.rules.get(name)

    def token_option(self, kind: str) -> dict[str, Any]:
        """``{"duration", "secret"}`` of a token kind such as ``authToken``."""
        return self.auth.get(kind) or {"duration": TOKEN_OPTIONS.get(kind, 0), "secret": ""}

    @property
    def table(self) -> Table:
        """The SQLAlchemy table (cached; a changed collection is a new object)."""
        if self._table is None:
            # NOTE: PocketBase creates record tables with their columns in alphabetical order.
            self._table = build_table(self.name, [f.column() for f in sorted(self.fields, key=lambda f: f.name)])
        return self._table

    def row_converters(self) -> list[tuple[str, Any]]:
        """(field name, stored value -> in-memory value) in the table's column order, cached."""
        converters = self._row_converters
        if converters is None:
            by_name = {f.name: f for f in self.fields}
            converters = self._row_converters = [(c.name, by_name[c.name].from_db) for c in self.table.columns]
        return converters

    def derived(self, key: Any, build: Callable[[Collection], Any]) -> Any:
        """State derived from this collection version (row layouts, export plans), built once.

        PERF: the per-row code reads plans made once per collection version instead of
        walking the fields for every record; :meth:`invalidate` drops them.
        """
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = build(self)
            return value

    def parsed_indexes(self) -> list[dbutils.Index]:
        """The index definitions that parse (a saved collection's always do)."""
        return [dbutils.parse_index(sql) for sql in self.indexes if index_parses(sql)]

    def invalidate(self) -> None:
        """Drop cached derived state after an in-place change."""
        self._table = None
        self._fields_by_name = None
        self._row_converters = None
        self._derived = {}

    # ---- serialization -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The collection as the API returns it (token secrets left out)."""
        out: dict[str, Any] = {"id": self.id, **self.rules, "name": self.name, "type": self.type}
        out["fields"] = [f.to_json() for f in self.fields]
        out["indexes"] = list(self.indexes)
        out["created"] = self.created
        out["updated"] = self.updated
        out["system"] = self.system
        if self.is_view:
            out["viewQuery"] = self.view_query
        if self.is_auth:
            for key, value in self.auth.items():
                if key in TOKEN_OPTIONS:
                    out[key] = {"duration": value.get("duration", TOKEN_OPTIONS[key])}
                elif key == "oauth2" and isinstance(value, dict):
                    # NOTE: provider client secrets are never sent back (as PocketBase).
                    out[key] = copy.deepcopy(value)
                    out[key]["providers"] = [
                        {k: v for k, v in p.items() if k != "clientSecret"} for p in value.get("providers") or [] if isinstance(p, dict)
                    ]
                else:
                    out[key] = copy.deepcopy(value)
        return out

    def options_json(self) -> dict[str, Any]:
        """Type-specific settings as stored in the ``options`` column."""
        if self.is_view:
            return {"viewQuery": self.view_query}
        if self.is_auth:
            return copy.deepcopy(self.auth)
        return {}

    def to_row(self) -> dict[str, Any]:
        """The ``_collections`` row."""
        return {
            "id": self.id,
            "system": self.system,
            "type": self.type,
            "name": self.name,
            "fields": orjson.dumps([f.to_json() for f in self.fields]).decode(),
            "indexes": orjson.dumps(self.indexes).decode(),
            **self.rules,
            "options": orjson.dumps(self.options_json()).decode(),
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_row(cls, row: Any) -> Collection:
        """Rebuild a collection from its ``_collections`` row."""
        data = dict(row._mapping)
        col = cls()
        col.id, col.name, col.type = data["id"], data["name"], data["type"]
        col.system = bool(data["system"])
        col.fields = [new_field(f) for f in orjson.loads(data["fields"] or "[]")]
        col.indexes = list(orjson.loads(data["indexes"] or "[]"))
        col.rules = {key: data[key] for key in RULES}
        options = orjson.loads(data["options"] or "{}")
        if col.is_view:
            col.view_query = options.get("viewQuery", "")
        elif col.is_auth:
            col.auth = options
        col.created, col.updated = data["created"], data["updated"]
        return col

    def clone(self) -> Collection:
        """A deep copy to modify (collections in the registry are shared and read-only)."""
        other = Collection()
        other.id, other.name, other.type, other.system = self.id, self.name, self.type, self.system
        other.fields = [new_field(f.to_json()) for f in self.fields]
        other.indexes = list(self.indexes)
        other.rules = dict(self.rules)
        other.view_query = self.view_query
        other.auth = copy.deepcopy(self.auth)
        other.created, other.updated = self.created, self.updated
        other.registry = self.registry
        return other


# ---- building from submitted data ---------------------------------------------------------


def new_collection(data: dict[str, Any], *, system_fields_first: bool = True) -> Collection:
    """A new collection from submitted JSON, with PocketBase's defaults filled in.

    System fields the data leaves out come first (as PocketBase's ``NewCollection`` has them
    before unmarshalling), or, with ``system_fields_first=False`` (the create API, which fills
    them in when saving), the id field first and the others after the given fields.

    Raises :class:`ValidationError` for shapes that cannot even be read (bad field types).
    """
    col = Collection()
    ctype = data.get("type") or "base"
    col.type = ctype if isinstance(ctype, str) else ""
    if col.is_auth:
        col.auth = default_auth_options()
    if not system_fields_first:
        pass  # NOTE: the create API binds the body into an empty collection; the save adds them
    elif col.is_auth:
        col.fields = [new_field(f) for f in auth_system_fields()]
    elif col.type == "base":
        col.fields = [new_field(id_field())]
    apply_changes(col, data, creating=True)
    if system_fields_first:
        ensure_system_fields(col)
    if not col.id:
        col.id = col.autogenerated_id = "pbc_" + crc32_checksum(col.type + col.name)
    if not system_fields_first:
        init_default_fields(col)
    elif col.is_auth:
        _ensure_auth_indexes(col)
    return col


def apply_changes(col: Collection, data: dict[str, Any], *, creating: bool = False) -> dict[str, str]:
    """Merge submitted JSON into ``col``; returns ``{old field name: new name}`` renames."""
    errors: dict[str, Any] = {}
    if creating and isinstance(data.get("id"), str):
        col.id = data["id"]
    if "name" in data:
        col.name = data["name"] if isinstance(data["name"], str) else ""
    if not creating and isinstance(data.get("created"), str):
        # NOTE: as PocketBase, an update binds the given creation date (a create sets it to now).
        col.created = normalize_datetime(data["created"])
    if "system" in data and isinstance(data["system"], bool):
        col.system = data["system"]
    for key in RULES:
        if key in data:
            col.rules[key] = _rule(data[key])
    if "indexes" in data:
        # NOTE: null binds as an empty list, a null item as an empty definition (Go's decoding).
        indexes = [] if data["indexes"] is None else data["indexes"]
        if isinstance(indexes, list) and all(isinstance(i, str | None) for i in indexes):
            col.indexes = [i or "" for i in indexes]
        else:
            errors["indexes"] = FieldError("validation_invalid_indexes", "Invalid indexes list.")
    if "viewQuery" in data:  # NOTE: bound whatever the type, as into PocketBase's struct
        col.view_query = data["viewQuery"] if isinstance(data["viewQuery"], str) else ""
    if col.is_auth:
        _apply_auth_options(col, data)
    renames: dict[str, str] = {}
    if "fields" in data:
        # NOTE: null resets the list as [] does (Go calls the list's UnmarshalJSON with null).
        renames, field_errors = _apply_fields(col, [] if data["fields"] is None else data["fields"])
        if field_errors:
            errors["fields"] = field_errors
    if errors:
        raise ValidationError(errors)
    col.invalidate()
    return renames


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


def _rule(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _apply_auth_options(col: Collection, data: dict[str, Any]) -> None:
    for key in AUTH_RULES:
        if key in data:
            col.auth[key] = _rule(data[key])
    for key, value in data.items():
        if key in AUTH_RULES or not isinstance(value, dict):
            continue
        current = col.auth.get(key)
        if isinstance(current, dict):
            if key == "oauth2" and isinstance(value.get("providers"), list):
                value = {**value, "providers": _merge_providers(current.get("providers"), value["providers"])}
            merged = _go_merge(current, value)
            if key in TOKEN_OPTIONS and not merged.get("secret"):
                merged["secret"] = current.get("secret") or random_string(50)
            if key == "oauth2":
                merged["providers"] = [_provider(p) for p in merged.get("providers") or []]
            col.auth[key] = merged


def _go_merge(current: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """``value`` unmarshalled onto ``current`` as Go does: nested objects merge, lists are
    replaced, null leaves a non-list value as it was."""
    merged = copy.deepcopy(current)
    for key, item in value.items():
        if isinstance(item, dict) and isinstance(merged.get(key), dict):
            merged[key] = _go_merge(merged[key], item)
        elif item is None and not isinstance(merged.get(key), list):
            continue
        else:
            merged[key] = copy.deepcopy(item) if item is not None else []
    return merged


def _merge_providers(stored: Any, submitted: list[Any]) -> list[Any]:
    """Each submitted provider laid over the stored one of the same name, as PocketBase 0.40.6:
    the keys it leaves out keep their stored values (so the client secret, which is never sent
    back, survives an update that re-sends the providers), ``extra`` merges key by key, and a
    null or empty value still clears (a blank clientSecret stays an error)."""
    by_name = {p.get("name"): p for p in stored or [] if isinstance(p, dict) and p.get("name")}
    out: list[Any] = []
    for item in submitted:
        base = by_name.get(item.get("name")) if isinstance(item, dict) and isinstance(item.get("name"), str) else None
        if base is None:
            out.append(item)
            continue
        merged = copy.deepcopy(base)
        for key, value in item.items():
            if key == "extra" and isinstance(value, dict):
                merged["extra"] = {**(merged.get("extra") or {}), **copy.deepcopy(value)}
            else:
                merged[key] = copy.deepcopy(value)
        out.append(merged)
    return out


_PROVIDER_KEYS = ("name", "clientId", "clientSecret", "authURL", "tokenURL", "userInfoURL", "displayName")


def _provider(raw: Any) -> dict[str, Any]:
    """An OAuth2 provider config with every key PocketBase's struct has."""
    item = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {"pkce": item.get("pkce")}
    out.update({key: item.get(key) or "" for key in _PROVIDER_KEYS})
    out["extra"] = copy.deepcopy(item.get("extra")) or {}
    return out


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


def _apply_fields(col: Collection, raw_fields: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Replace the fields with the submitted definitions; raises :class:`UnknownFieldType`.

    As PocketBase's ``FieldsList.UnmarshalJSON``: the list is rebuilt from the submitted JSON
    alone (a field keeps none of its earlier settings), each entry added as ``FieldsList.add``
    does. A field whose id (given, or derived from type and name) is an earlier field's is that
    field: its column is kept, renamed when its name changed.
    """
    if not isinstance(raw_fields, list):
        return {}, {"code": "validation_invalid_value", "message": "Must be a list of fields."}
    old_by_id = {f.id: f for f in col.fields if f.id}
    new_fields: list[Field] = []
    errors: dict[str, Any] = {}
    for index, raw in enumerate(raw_fields):
        if not isinstance(raw, dict):
            errors[str(index)] = {"type": required().to_json()}
            continue
        field = new_field(raw)
        # NOTE: as PocketBase's FieldsList.add: an entry without an id replaces an earlier one of
        # the same name (keeping its id), an entry with an id replaces the one with that id.
        if raw.get("id"):
            same = next((i for i, f in enumerate(new_fields) if f.id == field.id), None)
        else:
            same = next((i for i, f in enumerate(new_fields) if f.name and f.name == field.name), None)
            if same is not None:
                field.id = new_fields[same].id
        if same is not None:
            new_fields[same] = field
            continue
        if not field.id:
            field.ensure_id()
            base, taken = field.id, {f.id for f in new_fields}
            for suffix in range(2, 1000):
                if field.id not in taken:
                    break
                field.id = f"{base}{suffix}"
        new_fields.append(field)
    renames: dict[str, str] = {}
    for field in new_fields:
        old = old_by_id.get(field.id)
        if old is not None and old.name != field.name and old.type == field.type:
            renames[old.name] = field.name
    if not errors:
        col.fields = new_fields
    return renames, errors


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
        _ensure_auth_indexes(col)
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


def _ensure_auth_indexes(col: Collection) -> None:
    parsed = col.parsed_indexes()
    wanted = [
        ("tokenKey", f"CREATE UNIQUE INDEX `idx_tokenKey_{col.id}` ON `{col.name}` (`tokenKey`)"),
        ("email", f"CREATE UNIQUE INDEX `idx_email_{col.id}` ON `{col.name}` (`email`) WHERE `email` != ''"),
    ]
    for column, sql in wanted:
        if not any(i.unique and len(i.columns) == 1 and i.columns[0].name.lower() == column.lower() for i in parsed):
            col.indexes.append(sql)


def index_parses(sql: str) -> bool:
    try:
        dbutils.parse_index(sql)
    except dbutils.IndexParseError:
        return False
    return True


def retarget_indexes(col: Collection) -> None:
    """Point every index at the collection's current table name (after a rename), as PocketBase
    does: an index naming another table is written back from its parsed parts."""
    out = []
    for sql in col.indexes:
        try:
            parsed = dbutils.parse_index(sql)
        except dbutils.IndexParseError:
            out.append(sql)
            continue
        out.append(sql if parsed.table == col.name else parsed.with_table(col.name).build())
    col.indexes = out


def normalize_datetime(raw: str) -> str:
    """A date as PocketBase's DateTime binds it: its format when it parses, else empty."""
    parsed = parse_datetime(raw)
    return format_datetime(parsed) if parsed else ""


def field_types() -> list[str]:
    """Every supported field type name."""
    return list(FIELD_TYPES)


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
