"""SQL building blocks of the record field resolver: JSON helpers, joins, multi-match subqueries.

The JSON helpers normalise columns that may not hold JSON (a single select stores plain text,
a json field may hold a bare string), as PocketBase's ``dbutils`` does, so ``json_each`` and
``json_extract`` never fail on them.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, Select

from pybase.store.dialect import json_items, json_items_length, json_value_at

_COLUMNIFY_RE = re.compile(r"[^\w.*\-@#]+", re.ASCII)
_GO_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)


_ALIASES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_ALIASES_LOCK = threading.Lock()


def cached(owner: Any, key: str, make: Callable[[], Any]) -> Any:
    """A FROM object derived from ``owner`` (a table, alias or CTE), built once per ``key``.

    PERF: aliasing a table copies its whole column collection; collections are rebuilt (with
    new tables) when they change, so caching per table object is safe and never stale.
    """
    with _ALIASES_LOCK:
        per_owner = _ALIASES.get(owner)
        if per_owner is None:
            per_owner = _ALIASES[owner] = {}
        found = per_owner.get(key)
    if found is None:
        built = make()
        with _ALIASES_LOCK:
            found = per_owner.setdefault(key, built)
    return found


def alias_of(source: FromClause, name: str) -> FromClause:
    """``source AS name`` (cached)."""
    return cached(source, "alias:" + name, lambda: source.alias(name))


def json_each_of(owner: FromClause, column: str, alias: str) -> FromClause:
    """``json_each(owner.column) AS alias`` (cached)."""
    return cached(owner, f"json_each:{column}:{alias}", lambda: json_each(owner.c[column], alias))


def columnify(text: str) -> str:
    """Drop the characters that cannot be part of an identifier (PocketBase's ``Columnify``)."""
    return _COLUMNIFY_RE.sub("", text)


def json_each(column: ColumnElement[Any], alias: str) -> FromClause:
    """``json_each`` over ``column`` (a JSON array, or any other value as a one-item array)."""
    return json_items(column).table_valued("value").alias(alias)


def json_array_length(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Item count of ``column``: 0 for ``''``/NULL, 1 for a non-array value."""
    return json_items_length(column)


def json_path(parts: Iterable[str]) -> str:
    """PocketBase's JSON path for ``a.0.b`` style props: ``a[0].b`` (no ``$``)."""
    out: list[str] = []
    for index, part in enumerate(parts):
        if _GO_INT_RE.fullmatch(part):
            out.append(f"[{columnify(part)}]")
        else:
            out.append(("." if index > 0 else "") + columnify(part))
    return "".join(out)


def json_extract(column: ColumnElement[Any], path: str) -> ColumnElement[Any]:
    """``json_extract`` at ``path`` that also works on columns holding non-JSON text."""
    return json_value_at(column, path)


@dataclass
class Join:
    """One LEFT JOIN: the aliased target and its ON condition (None: join every row)."""

    target: FromClause
    on: ColumnElement[bool] | None = None


def apply_joins(base: FromClause, joins: Iterable[Join]) -> FromClause:
    """``base LEFT JOIN ...`` for every join, in order."""
    result: Any = base
    for join in joins:
        result = result.outerjoin(join.target, join.on if join.on is not None else true())
    return result


@dataclass
class MultiMatch:
    """The per-item subquery of a multi-valued operand, correlated to the outer base row.

    ``SELECT <value> FROM <source> AS __mm_<base> LEFT JOIN ... WHERE __mm_<base>.id = <base>.id``
    """

    base: FromClause
    target: FromClause
    joins: list[Join] = field(default_factory=list)
    value: ColumnElement[Any] | None = None

    def select(self) -> Select[Any]:
        """The one-column subquery (for the compiler's "every item" checks)."""
        assert self.value is not None
        return (
            select(self.value.label("multiMatchValue"))
            .select_from(apply_joins(self.base, self.joins))
            .where(self.base.c.id == self.target.c.id)
            .correlate(self.target)
        )
