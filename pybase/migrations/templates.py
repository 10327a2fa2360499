"""The JS migration files pybase writes, as PocketBase's ``migratecmd`` writes them.

- :func:`blank` for ``migrate create NAME``;
- :func:`snapshot` for ``migrate collections`` (``app.importCollections(snapshot, false)``);
- :func:`diff` for automigrate: a new collection (``new Collection({...})`` + ``app.save``), a
  deleted one (``app.delete`` + the collection to recreate in ``down``), or the changes between
  two versions (``unmarshal({...}, collection)`` for settings, ``collection.fields.addAt`` /
  ``removeById`` for fields), with the inverse change in ``down``.

JSON is written with sorted keys and two-space indents (Go's ``json.MarshalIndent`` of a map),
without ``created``/``updated`` and without OAuth2 providers (their secrets stay out of files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.core.collections import Collection

TYPES_DIRECTIVE = '/// <reference path="../pb_data/types.d.ts" />\n'
_NOT_COMPARED = ("fields", "created", "updated")


def _json(value: Any) -> str:
    """Go's ``MarshalIndent(value, "  ", "  ")`` with unescaped unicode."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).replace("\n", "\n  ")


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def collection_map(col: Collection, *, drop_providers: bool = True) -> dict[str, Any]:
    """The collection's JSON as a migration carries it."""
    data = col.to_json()
    data.pop("created", None)
    data.pop("updated", None)
    oauth2 = data.get("oauth2")
    if isinstance(oauth2, dict):
        if drop_providers:
            oauth2.pop("providers", None)
        else:
            oauth2["providers"] = None
    return data


def blank() -> str:
    """A migration that does nothing yet."""
    return TYPES_DIRECTIVE + "migrate((app) => {\n  // add up queries...\n}, (app) => {\n  // add down queries...\n})\n"


def snapshot(collections: Iterable[Collection]) -> str:
    """Every given collection, imported (created or updated, nothing deleted) on ``up``."""
    data = [collection_map(c) for c in collections]
    return (
        TYPES_DIRECTIVE
        + f"migrate((app) => {{\n  const snapshot = {_json(data)};\n\n  return app.importCollections(snapshot, false);\n"
        + "}, (app) => {\n  return null;\n})\n"
    )


def create(col: Collection) -> str:
    """``up`` creates the collection, ``down`` deletes it."""
    return (
        TYPES_DIRECTIVE
        + f"migrate((app) => {{\n  const collection = new Collection({_json(collection_map(col))});\n\n  return app.save(collection);\n"
        + f"}}, (app) => {{\n  const collection = app.findCollectionByNameOrId({_quote(col.id)});\n\n  return app.delete(collection);\n}})\n"
    )


def delete(col: Collection) -> str:
    """``up`` deletes the collection, ``down`` recreates it."""
    return (
        TYPES_DIRECTIVE
        + f"migrate((app) => {{\n  const collection = app.findCollectionByNameOrId({_quote(col.id)});\n\n  return app.delete(collection);\n"
        + f"}}, (app) => {{\n  const collection = new Collection({_json(collection_map(col))});\n\n  return app.save(collection);\n}})\n"
    )


def diff_maps(old: dict[str, Any], new: dict[str, Any], exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The keys of ``new`` that differ from ``old`` (nested maps recursively; removed keys as None)."""
    skip = set(exclude)
    out: dict[str, Any] = {}
    for key, value in new.items():
        if key in skip:
            continue
        if key not in old:
            out[key] = value
        elif not _same(old[key], value):
            if isinstance(old[key], dict) and isinstance(value, dict):
                sub = diff_maps(old[key], value)
                if sub:
                    out[key] = sub
            else:
                out[key] = value
    for key in old:
        if key not in out and key not in skip and key not in new:
            out[key] = None
    return out


def diff(new: Collection | None, old: Collection | None) -> str | None:
    """The migration from ``old`` to ``new`` (None for either: created/deleted); None when equal."""
    if new is None and old is None:
        raise ValueError("diff needs at least one collection")
    if new is None:
        assert old is not None
        return delete(old)
    if old is None:
        return create(new)
    new_map = collection_map(new, drop_providers=False)
    old_map = collection_map(old, drop_providers=False)
    up: list[str] = []
    down: list[str] = []
    up_diff = diff_maps(old_map, new_map, _NOT_COMPARED)
    if up_diff:
        down_diff = diff_maps(new_map, old_map, _NOT_COMPARED)
        up += ["// update collection data", f"unmarshal({_json(up_diff)}, collection)\n"]
        down += ["// update collection data", f"unmarshal({_json(down_diff)}, collection)\n"]
    _diff_fields(old_map["fields"], new_map["fields"], up, down)
    if not up and not down:
        return None
    up_text = "\n  ".join(up).strip()
    down_text = "\n  ".join(down).strip()
    return (
        TYPES_DIRECTIVE
        + f"migrate((app) => {{\n  const collection = app.findCollectionByNameOrId({_quote(old.id)})\n\n  {up_text}\n\n  return app.save(collection)\n"
        + f"}}, (app) => {{\n  const collection = app.findCollectionByNameOrId({_quote(new.id)})\n\n  {down_text}\n\n  return app.save(collection)\n}})\n"
    )


def _diff_fields(old_fields: list[dict[str, Any]], new_fields: list[dict[str, Any]], up: list[str], down: list[str]) -> None:
    """Field changes: removals first, then additions and changes by their target position.

    NOTE: PocketBase lists additions before changes; placing both in position order instead
    makes ``addAt`` rebuild the exact field order when a change and an addition interleave.
    As PocketBase, a change of order alone is not a change.
    """
    old_index = {f["id"]: i for i, f in enumerate(old_fields)}
    new_index = {f["id"]: i for i, f in enumerate(new_fields)}
    up_places: list[tuple[int, list[str]]] = []
    down_places: list[tuple[int, list[str]]] = []
    for i, field in enumerate(old_fields):
        if field["id"] not in new_index:
            up += ["// remove field", f"collection.fields.removeById({_quote(field['id'])})\n"]
            down_places.append((i, ["// add field", f"collection.fields.addAt({i}, new Field({_json(field)}))\n"]))
    for i, field in enumerate(new_fields):
        j = old_index.get(field["id"])
        if j is None:
            up_places.append((i, ["// add field", f"collection.fields.addAt({i}, new Field({_json(field)}))\n"]))
            down += ["// remove field", f"collection.fields.removeById({_quote(field['id'])})\n"]
        elif not _same(field, old_fields[j]):
            up_places.append((i, ["// update field", f"collection.fields.addAt({i}, new Field({_json(field)}))\n"]))
            down_places.append((j, ["// update field", f"collection.fields.addAt({j}, new Field({_json(old_fields[j])}))\n"]))
    for _, lines in sorted(up_places, key=lambda item: item[0]):
        up += lines
    for _, lines in sorted(down_places, key=lambda item: item[0]):
        down += lines
