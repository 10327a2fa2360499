"""``Collection`` for JS: collections from names or ids, and whole-collection saves and deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.collection_bind import apply_changes, new_collection
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.core.fields import UnknownFieldType, new_field
from pybase.jsvm.errors import GoError
from pybase.tools.security import crc32_checksum

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def collection_of(ex: Executor, value: Any) -> Collection:
    """The collection ``value`` names (name or id), or ``value`` itself when it is one."""
    if isinstance(value, Collection):
        return value
    return ex.runtime.app.find_collection(str(value))


def save_collection(ex: Executor, data: Any) -> dict[str, Any]:
    """Create or update a collection from its JSON (as the collections API would)."""
    app = ex.runtime.app
    if not isinstance(data, dict):
        raise BadRequestError("expected a collection")
    existing = app.registry.find(str(data["id"])) if data.get("id") else None
    try:
        if existing is None:
            # NOTE: as PocketBase's new Collection(data): a given field list replaces the system
            # fields, which the save puts back (id first, the others after the given ones).
            col = new_collection(data, system_fields_first=not isinstance(data.get("fields"), list))
            col.registry = app.registry
            saved = app.save_collection(col)
        else:
            col = existing.clone()
            skip = ("id", "type", "created", "updated", "system")
            renames = apply_changes(col, {k: v for k, v in data.items() if k not in skip})
            present = {f.id for f in col.fields}
            # NOTE: as the collections API: system fields left out of the list come back.
            col.fields.extend(new_field(f.to_json()) for f in existing.fields if f.system and f.id not in present)
            col.invalidate()
            saved = app.save_collection(col, existing, renames)
    except UnknownFieldType as ex_:
        raise BadRequestError(f"unknown field type {ex_}") from ex_
    return saved.to_json()


def delete_collection(ex: Executor, id_or_name: Any) -> None:
    """Delete a collection by id or name."""
    app = ex.runtime.app
    collection = app.find_collection(str(id_or_name))
    if collection is not None and collection.system:
        # NOTE: the text of PocketBase's error, which the records API words "Failed to delete collection."
        raise GoError(f"[{collection.name}] system collections cannot be deleted")
    app.delete_collection(collection)


def new_collection_json(data: Any) -> dict[str, Any]:
    """``new Collection(data)``: the JSON of a new collection with PocketBase's defaults.

    As PocketBase's (``NewCollection`` then the data unmarshalled over it): without a field list
    it has the system fields of its type; a given field list replaces them until the save puts
    them back (id first, the others after the given ones).
    """
    if not isinstance(data, dict):
        raise BadRequestError("a collection must be an object")
    given = data.get("fields")
    try:
        out = new_collection(data, system_fields_first=not isinstance(given, list)).to_json()
    except UnknownFieldType as ex:
        raise BadRequestError(f"missing or unknown field type {ex}") from ex
    if isinstance(given, list):
        names = {f.get("name") for f in given if isinstance(f, dict)}
        out["fields"] = [f for f in out["fields"] if f.get("name") in names]
    return out


def new_field_json(data: Any) -> dict[str, Any]:
    """``new Field(data)``: the field's full JSON (id left empty when not given)."""
    if not isinstance(data, dict):
        raise BadRequestError("a field must be an object")
    try:
        return new_field(data).to_json()
    except UnknownFieldType as ex:
        raise BadRequestError(f"missing or unknown field type {ex}") from ex


def default_field_id(ftype: Any, name: Any) -> str:
    """PocketBase's default field id: type + crc32 of the name."""
    return f"{ftype}{crc32_checksum(str(name or ''))}"


OPS: dict[str, Callable[..., Any]] = {
    "collection.new": lambda ex, data: new_collection_json(data),
    "field.new": lambda ex, data: new_field_json(data),
    "field.defaultId": lambda ex, ftype, name: default_field_id(ftype, name),
    "app.saveCollection": save_collection,
    "app.deleteCollection": delete_collection,
}
