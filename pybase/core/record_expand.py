"""``expand=``: load related records into ``record.expand``, each checked against its viewRule.

Follows PocketBase's expand: comma-separated paths (spaces removed, a path that prefixes a
longer one dropped), each at most 6 relations deep; a step is a relation field, a back-relation
``<collection>_via_<field>`` (or the old ``<collection>(<field>)`` form), and expanded records
are fetched with their collection's viewRule for the caller (request context ``expand``). A path
that fails anywhere (unknown field, superusers-only collection) expands nothing, silently.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, select

from pybase.core import record_access
from pybase.core.events import RecordEnrichEvent
from pybase.core.field_resolver_sql import json_each
from pybase.core.request_info import RequestInfo

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record

MAX_EXPAND_DEPTH = 6
BACK_RELATION_LIMIT = 1000
"""Most back-related records expanded per record (PocketBase's arbitrary limit)."""

_VIA_RE = re.compile(r"(\w+)_via_(\w+)", re.ASCII)
_OLD_VIA_RE = re.compile(r"(\w+)\((\w+)\)", re.ASCII)


class ExpandFailed(Exception):
    """One expand path cannot be followed (it is then skipped)."""


class Expand(dict[str, Any]):
    """Expand data that was loaded: truthy even when empty, so ``"expand": {}`` is shown.

    NOTE: PocketBase prints ``expand`` for every record whose expansion ran, even when nothing
    could be expanded (related records hidden by their viewRule), and omits it otherwise.
    """

    def __bool__(self) -> bool:
        return True


@dataclasses.dataclass
class _Relation:
    name: str
    target: Collection
    multi: bool
    ids_of: Any  # Callable[[Record], list[str]]


def normalize_expands(paths: Iterable[str]) -> list[str]:
    """Drop spaces and stray dots; keep only the longest of paths that prefix each other."""
    cleaned = [p.replace(" ", "").strip(".") for p in paths]
    cleaned = [p for p in cleaned if p]
    out: list[str] = []
    for path in cleaned:
        if any(other.startswith(path + ".") for other in cleaned if other != path):
            continue
        if path not in out:
            out.append(path)
    return out


def parse_expand(text: str) -> list[str]:
    """The normalized paths of an ``expand`` parameter."""
    return normalize_expands(text.split(","))


def expand_records(app: App, records: list[Record], text: str, info: RequestInfo) -> dict[str, str]:
    """Expand every path of ``text`` on ``records`` (one collection); returns the failed paths."""
    failed: dict[str, str] = {}
    if not records:
        return failed
    fetch_info = dataclasses.replace(info, context=record_access.EXPAND_CONTEXT)
    for path in parse_expand(text):
        try:
            _expand(app, records, path, fetch_info, 1)
        except ExpandFailed as ex:
            failed[path] = str(ex)
    return failed


def _expand(app: App, records: list[Record], path: str, info: RequestInfo, level: int) -> None:
    if not path or level > MAX_EXPAND_DEPTH or not records:
        return
    step, _, rest = path.partition(".")
    relation = _relation(app, records, step)
    wanted: list[str] = []
    for record in records:
        for rel_id in relation.ids_of(record):
            if rel_id not in wanted:
                wanted.append(rel_id)
    related = _fetch(app, relation.target, wanted, info)
    if rest:
        _expand(app, related, rest, info, level + 1)
    by_id = {rel.id: rel for rel in related}
    for record in records:
        if not isinstance(record.expand, Expand):
            record.expand = Expand(record.expand)
        found = [by_id[i] for i in relation.ids_of(record) if i in by_id]
        if not found:
            continue
        previous = record.expand.get(relation.name)
        for old in previous if isinstance(previous, list) else [previous] if previous else []:
            for rel in found:
                if rel.id == old.id and old.expand:
                    _merge(rel, old.expand)
        record.expand[relation.name] = found if relation.multi else found[0]


def _merge(record: Record, extra: dict[str, Any]) -> None:
    """Add previously expanded data of the same record (from another path)."""
    if not isinstance(record.expand, Expand):
        record.expand = Expand(record.expand)
    for key, value in extra.items():
        current = record.expand.get(key)
        if current is None:
            record.expand[key] = value
            continue
        olds = current if isinstance(current, list) else [current]
        news = value if isinstance(value, list) else [value]
        for new in news:
            for old in olds:
                if old.id == new.id and new.expand:
                    _merge(old, new.expand)


def _relation(app: App, records: list[Record], step: str) -> _Relation:
    collection = records[0].collection
    match = _OLD_VIA_RE.fullmatch(step) if "(" in step else _VIA_RE.fullmatch(step)
    if match is not None:
        return _back_relation(app, records, collection, step, match[1], match[2])
    field = collection.field(step)
    if field is None or field.type != "relation":
        raise ExpandFailed(
            f"couldn't find relation field {step!r} in collection {collection.name!r}"
        )
    target = app.registry.find(getattr(field, "collectionId", ""))
    if target is None:
        raise ExpandFailed(f"couldn't find related collection of {step!r}")
    return _Relation(step, target, field.is_multi(), lambda record: list(field.values_of(record)))  # type: ignore[attr-defined]


def _back_relation(
    app: App, records: list[Record], collection: Collection, step: str, name: str, field_name: str
) -> _Relation:
    back = app.registry.find(name)
    if back is None:
        raise ExpandFailed(f"couldn't find back-related collection {name!r}")
    field = back.field(field_name)
    if (
        field is None
        or field.type != "relation"
        or getattr(field, "collectionId", "") != collection.id
    ):
        raise ExpandFailed(
            f"couldn't find back-relation field {field_name!r} in collection {back.name!r}"
        )
    table = back.table
    column = table.c[field.name]
    ids: dict[str, list[str]] = {}
    items = json_each(column, "je")
    with app.db.read() as conn:
        for record in records:
            match: ColumnElement[bool]
            if field.is_multi():
                match = exists(select(items.c.value).where(items.c.value == record.id))
            else:
                match = column == record.id
            query = select(table.c.id).where(match).limit(BACK_RELATION_LIMIT)
            ids[record.id] = [row[0] for row in conn.execute(query)]
    unique = any(
        index.unique
        and len(index.columns) == 1
        and index.columns[0].name.lower() == field.name.lower()
        for index in back.parsed_indexes()
    )
    return _Relation(step, back, not unique, lambda record: ids.get(record.id, []))


def _fetch(app: App, collection: Collection, ids: list[str], info: RequestInfo) -> list[Record]:
    """The records of ``ids`` the caller may view (every one for a superuser)."""
    if not ids:
        return []
    if not info.is_superuser and collection.rules["viewRule"] is None:
        raise ExpandFailed(f"only superusers can view collection {collection.name!r} records")
    allowed = record_access.can_view(app, collection, info, ids)
    records = app.records.find_many(collection, [i for i in ids if i in allowed])
    enrich = app.hooks["onRecordEnrich"]
    if enrich.length():
        for record in records:
            event = RecordEnrichEvent(app, record)
            event.request_info = info
            enrich.trigger(event)
    return records
