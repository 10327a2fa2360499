"""``Record`` for JS: get/set with PocketBase's setter modifiers, typed getters, copies, passwords, export."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.apis.serialize import record_to_json
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError, FieldError
from pybase.core.records import Record
from pybase.jsvm.binds.collection import collection_of

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
    if field is None:
        if modifier:
            raise BadRequestError(f"unknown field {base!r}")
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


def record_get(ex: Executor, record: Record, name: str) -> Any:
    field = record.collection.field(name)
    if field is not None:
        return field.export(record.get(name))
    if name in record.extra:
        return record.extra[name]
    return record.expand.get(name) if name == "expand" else None


def record_set(ex: Executor, record: Record, name: str, value: Any) -> None:
    _set_value(record, name, value)


def _to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def record_cast(ex: Executor, record: Record, name: str, kind: str) -> Any:
    value = record_get(ex, record, name)
    if kind == "string":
        return _to_string(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t")
        return bool(value)
    if kind in ("int", "float"):
        try:
            number = float(value) if not isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            return 0
        return int(number) if kind == "int" else number
    if isinstance(value, list):
        return [_to_string(v) for v in value]
    return [] if value in (None, "") else [_to_string(value)]


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
    return copy


def record_original(ex: Executor, record: Record) -> Record:
    return _copy(record, record.original or record.data)


def record_clone(ex: Executor, record: Record) -> Record:
    return _copy(record, record.data)


def record_set_password(ex: Executor, record: Record, plain: Any) -> None:
    _set_value(record, "password", "" if plain is None else str(plain))


def record_validate_password(ex: Executor, record: Record, plain: Any) -> bool:
    return record.validate_password("" if plain is None else str(plain))


def record_export(ex: Executor, record: Record) -> dict[str, Any]:
    return record_to_json(record, None)


def record_assign(ex: Executor, target: Record, found: Record) -> None:
    """Make ``target`` the record ``found`` (a query's ``.one(record)`` scans into its target)."""
    if not isinstance(target, Record) or not isinstance(found, Record):
        raise BadRequestError("expected records")
    for slot in Record.__slots__:
        value = getattr(found, slot)
        setattr(target, slot, value.copy() if isinstance(value, dict) else value)


OPS: dict[str, Callable[..., Any]] = {
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
