"""``Record`` for JS: get/set with PocketBase's setter modifiers, typed getters, copies, passwords, export."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.apis.serialize import dumps, record_to_json
from pybase.core.auth import (
    TOKEN_EMAIL_CHANGE,
    TOKEN_PASSWORD_RESET,
    TOKEN_VERIFICATION,
    new_auth_token,
    new_token,
)
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError, FieldError
from pybase.core.records import ExportOptions, Record
from pybase.jsvm.binds.collection import collection_of
from pybase.tools import security

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def _set_value(record: Record, name: str, value: Any) -> None:
    modifier = ""
    base = name
    if name.endswith(("+", "-")):
        base, modifier = name[:-1], name[-1]
    elif name.startswith("+"):
        base, modifier = name[1:], "^"
    field = record.collection.field(base)
    if field is None or (modifier and modifier not in field.modifiers):
        # NOTE: as PocketBase's Record.Set, a key no field's setter knows ("title+", "+n",
        # "nope-") is custom data, the field unchanged
        record.extra[name] = value
        return
    try:
        if modifier:
            record.set(base, field.apply_modifier(modifier, value, record))
        else:
            record.set(name, field.prepare(value, record))
    except FieldError:
        # NOTE: as PocketBase's Record.Set, setting never fails; validation reports it at save.
        record.set(base, value)


def record_new(ex: Executor, collection: Any, data: Any) -> Record:
    record = ex.runtime.app.new_record(collection_of(ex, collection))
    record_load(ex, record, data)
    return record


def record_load(ex: Executor, record: Record, data: Any) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _set_value(record, key, value)


_DATE_TYPES = frozenset({"date", "autodate"})


def record_get(ex: Executor, record: Record, name: str) -> Any:
    field = record.collection.field(name)
    if field is not None and field.type in _DATE_TYPES:
        # NOTE: as PocketBase, date fields reach JS as DateTime values (prelude's revive).
        return {"$dt": field.export(record.get(name)) or ""}
    if field is not None and field.type == "file":
        # NOTE: as PocketBase, uploads not stored yet read as files ({name, originalName, size}).
        return record.get(name)
    return _value(record, name)


def _value(record: Record, name: str) -> Any:
    field = record.collection.field(name)
    if field is not None:
        return field.export(record.get(name))
    if name in record.extra:
        return record.extra[name]
    return record.expand.get(name) if name == "expand" else None


def record_set(ex: Executor, record: Record, name: str, value: Any) -> None:
    _set_value(record, name, value)


def _to_string(value: Any) -> str:
    """Go's ``cast.ToString`` of a record value: lists and maps are ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return ""
    return str(value)


def _unique_strings(values: list[Any]) -> list[str]:
    """PocketBase's ``list.NonzeroUniques``: no empty strings, no repeats."""
    return list(dict.fromkeys(v for v in values if v != ""))


def _json_cast(raw: Any, kind: str) -> Any:
    """A json field's value is Go's ``types.JSONRaw``: its JSON text as a string, no number nor
    bool, and as a list only the strings of a JSON array (``list.ToUniqueStringSlice``)."""
    if kind == "string":
        return orjson.dumps(raw).decode()
    if kind == "strings":
        return _unique_strings([v for v in raw if isinstance(v, str)]) if isinstance(raw, list) else []
    return False if kind == "bool" else 0


def _datetime_source(record: Record, name: str, field: Any) -> Any:
    """What ``getDateTime`` parses, as PocketBase's types.ParseDateTime of the held value: a
    text (a date field's, or another text field's when it is a date), an integer custom value
    as Unix seconds (returned in milliseconds), else "" (the zero DateTime: a float64 number,
    JSONRaw, a list)."""
    if field is None:
        value = record.extra.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 8_640_000_000_000:
            return value * 1000  # NOTE: past JS dates' range (2^53 here) goja holds a float64: zero
        return value if isinstance(value, str) else ""
    if field.type in ("json", "number"):
        return ""
    value = record.get(name)
    return value if isinstance(value, str) else ""


def record_cast(ex: Executor, record: Record, name: str, kind: str) -> Any:
    """``getString``/``getInt``/``getFloat``/``getBool``/``getStringSlice`` as Go's ``cast`` reads
    the value PocketBase holds (a float64 number, a []string list, JSONRaw json...)."""
    field = record.collection.field(name)
    if kind == "datetime":
        return _datetime_source(record, name, field)
    if field is not None and field.type == "json":
        return _json_cast(record.get(name), kind)
    # NOTE: a number as held (its export may be a JSON fragment of its digits)
    value = record.get(name) if field is not None and field.type == "number" else _value(record, name)
    if kind == "strings":
        if isinstance(value, list):
            return _unique_strings([_to_string(v) for v in value])
        if isinstance(value, str) and "[" in value:
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                return _unique_strings([v for v in parsed if isinstance(v, str)])
        return [] if value in (None, "") else _unique_strings([_to_string(value)])
    if kind == "string":
        return _to_string(value)
    if not isinstance(value, str | int | float):
        return False if kind == "bool" else 0  # NOTE: a list, a map, null: Go's cast gives the zero
    if kind == "bool":
        if isinstance(value, str):
            return value.strip() in ("1", "t", "T", "TRUE", "true", "True")
        return bool(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if number != number or number in (float("inf"), float("-inf")):
        return 0
    return int(number) if kind == "int" else number


def record_collection(ex: Executor, record: Record) -> Collection:
    return record.collection


def record_is_new(ex: Executor, record: Record) -> bool:
    return record.is_new


def _copy(record: Record, data: dict[str, Any]) -> Record:
    copy = Record(record.collection, None, store=record.store)
    copy.data = dict(data)
    copy.is_new = record.is_new
    copy.original = dict(record.original)
    copy.original_id = record.original_id
    copy.loaded = record.loaded
    return copy


def record_original(ex: Executor, record: Record) -> Record:
    return _copy(record, record.original or record.data)


def record_clone(ex: Executor, record: Record) -> Record:
    return _copy(record, record.data)


def record_set_password(ex: Executor, record: Record, plain: Any) -> None:
    _set_value(record, "password", "" if plain is None else str(plain))


def record_validate_password(ex: Executor, record: Record, plain: Any) -> bool:
    return record.validate_password("" if plain is None else str(plain))


def record_export(ex: Executor, record: Record) -> Any:
    """``publicExport()``/``toJSON()``: the record as the API writes it (keys sorted, a view's
    JSON objects with their keys in their order, as PocketBase's MarshalJSON)."""
    return orjson.Fragment(dumps(record_to_json(record, None)))


def record_assign(ex: Executor, target: Record, found: Record) -> None:
    """Make ``target`` the record ``found`` (a query's ``.one(record)`` scans into its target)."""
    if not isinstance(target, Record) or not isinstance(found, Record):
        raise BadRequestError("expected records")
    for slot in Record.__slots__:
        value = getattr(found, slot)
        setattr(target, slot, value.copy() if isinstance(value, dict) else value)


def _options(record: Record) -> ExportOptions:
    if record.export is None:
        record.export = ExportOptions()
    return record.export


def record_visibility(ex: Executor, record: Record, names: Any, shown: Any) -> None:
    """``hide(...names)`` / ``unhide(...names)``."""
    visibility = _options(record).visibility
    for name in names or ():
        visibility[str(name)] = bool(shown)


def record_export_option(ex: Executor, record: Record, option: str, state: Any) -> None:
    """``withCustomData(state)`` / ``ignoreEmailVisibility(state)``."""
    opts = _options(record)
    if option == "customData":
        opts.custom_data = bool(state)
    elif option == "emailVisibility":
        opts.ignore_email_visibility = bool(state)
    else:
        raise BadRequestError(f"unknown export option {option!r}")


def record_data(ex: Executor, record: Record, which: str) -> dict[str, Any]:
    """``fieldsData()`` (every field, exported form) or ``customData()`` (the other keys)."""
    if which == "custom":
        return dict(record.extra)
    return {f.name: f.export(record.get(f.name)) for f in record.collection.fields}


def record_raw(ex: Executor, record: Record, action: str, name: str, value: Any = None) -> Any:
    """``getRaw``/``setRaw``/``setIfFieldExists``: values as stored, no field normalisation."""
    if action == "get":
        if name in record.data:
            return record.data[name]
        return record.extra.get(name)
    if action == "setIfFieldExists":
        if record.collection.field(name) is not None:
            _set_value(record, name, value)
        return None
    if record.collection.field(name) is not None:
        record.data[name] = value
    else:
        record.extra[name] = value
    return None


def record_mark(ex: Executor, record: Record, new: Any) -> None:
    """``markAsNew()`` / ``markAsNotNew()`` (a record without an id stays new, as PocketBase's)."""
    record.is_new = bool(new) or not record.id
    if not record.is_new:
        record.original = dict(record.data)
        record.original_id = record.id


def record_last_saved_pk(ex: Executor, record: Record) -> str:
    return "" if record.is_new else (record.original_id or record.id)


def record_expand_get(ex: Executor, record: Record) -> dict[str, Any]:
    return dict(record.expand)


def record_expand_set(ex: Executor, record: Record, expand: Any, merge: Any) -> None:
    """``setExpand(map)`` / ``mergeExpand(map)`` (records or lists of records per key)."""
    items = expand if isinstance(expand, dict) else {}
    if not merge:
        record.expand = {}
    for key, value in items.items():
        record.expand[str(key)] = value


def record_expanded(ex: Executor, record: Record, name: str, one: Any) -> Any:
    """``expandedOne(rel)`` (a record or null) / ``expandedAll(rel)`` (a list)."""
    value = record.expand.get(str(name))
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if one:
        return items[0] if items else None
    return items


def record_token(ex: Executor, record: Record, kind: str, arg: Any = None) -> str:
    """``newAuthToken()``, ``newStaticAuthToken(duration)`` and the other tokens of auth records."""
    if not record.collection.is_auth:
        raise BadRequestError("the record is not from an auth collection")
    if kind == "auth":
        return new_auth_token(record)
    if kind == "staticAuth":
        # NOTE: the argument is a Go time.Duration (nanoseconds); 0 means the collection's.
        seconds = int(float(arg or 0) / 1e9)
        return new_auth_token(record, refreshable=False, duration=seconds if seconds > 0 else None)
    if kind == "verification":
        return new_token(record, TOKEN_VERIFICATION, {"email": record.email})
    if kind == "passwordReset":
        return new_token(record, TOKEN_PASSWORD_RESET, {"email": record.email})
    if kind == "emailChange":
        return new_token(record, TOKEN_EMAIL_CHANGE, {"email": record.email, "newEmail": str(arg or "")})
    raise BadRequestError(f"unknown token kind {kind!r}")


def record_refresh_token_key(ex: Executor, record: Record) -> None:
    _set_value(record, "tokenKey", security.random_string(50))


def record_set_random_password(ex: Executor, record: Record) -> str:
    plain = security.random_string(30)
    _set_value(record, "password", plain)
    return plain


def record_replace_modifiers(ex: Executor, record: Record, data: Any) -> dict[str, Any]:
    """``replaceModifiers(data)``: ``field+``/``+field``/``field-`` keys replaced by the value they
    would leave (the record is not changed)."""
    out: dict[str, Any] = {}
    copy = record_clone(ex, record)
    for key, value in (data if isinstance(data, dict) else {}).items():
        base = key[:-1] if key.endswith(("+", "-")) else (key[1:] if key.startswith("+") else key)
        if base == key or copy.collection.field(base) is None:
            out[key] = value
            continue
        _set_value(copy, key, value)
        out[base] = _value(copy, base)
    return out


OPS: dict[str, Callable[..., Any]] = {
    "record.visibility": record_visibility,
    "record.exportOption": record_export_option,
    "record.data": record_data,
    "record.raw": record_raw,
    "record.mark": record_mark,
    "record.lastSavedPK": record_last_saved_pk,
    "record.expand": record_expand_get,
    "record.setExpand": record_expand_set,
    "record.expanded": record_expanded,
    "record.token": record_token,
    "record.refreshTokenKey": record_refresh_token_key,
    "record.setRandomPassword": record_set_random_password,
    "record.replaceModifiers": record_replace_modifiers,
    "record.assign": record_assign,
    "record.new": record_new,
    "record.load": record_load,
    "record.get": record_get,
    "record.set": record_set,
    "record.cast": record_cast,
    "record.collection": record_collection,
    "record.isNew": record_is_new,
    "record.original": record_original,
    "record.clone": record_clone,
    "record.setPassword": record_set_password,
    "record.validatePassword": record_validate_password,
    "record.export": record_export,
}
