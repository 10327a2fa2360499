"""``expand=``: load related records (each checked against its own viewRule) into ``record.expand``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pybase.core import record_access
from pybase.core.request_info import RequestInfo

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record

MAX_EXPAND_DEPTH = 6


def parse_expand(text: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """``a,a.b,c`` as a tree ``{"a": {"b": {}}, "c": {}}`` (at most 6 levels)."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for part in text.split(","):
        node = tree
        for name in [p.strip() for p in part.strip().split(".")][:MAX_EXPAND_DEPTH]:
            if not name:
                break
            node = node.setdefault(name, {})
    return tree


def expand_records(app: App, records: list[Record], text: str, info: RequestInfo) -> None:
    """Fill ``record.expand`` for every path in ``text``; unknown paths are ignored."""
    _expand(app, records, parse_expand(text), info)


def _expand(app: App, records: list[Record], tree: dict[str, dict], info: RequestInfo) -> None:  # type: ignore[type-arg]
    if not records or not tree:
        return
    collection = records[0].collection
    for name, subtree in tree.items():
        field = collection.field(name)
        if field is None or field.type != "relation":
            continue
        target = app.registry.find(getattr(field, "collectionId", ""))
        if target is None:
            continue
        wanted: list[str] = []
        for record in records:
            for value in field.values_of(record):  # type: ignore[attr-defined]
                if value not in wanted:
                    wanted.append(value)
        if not wanted:
            continue
        allowed = record_access.can_view(app, target, info, wanted)
        related = {r.id: r for r in app.records.find_many(target, [i for i in wanted if i in allowed])}
        if subtree:
            _expand(app, list(related.values()), subtree, info)
        for record in records:
            found = [related[i] for i in field.values_of(record) if i in related]  # type: ignore[attr-defined]
            if not found:
                continue
            record.expand[name] = found if field.is_multi() else found[0]
