"""Resolves filter identifiers for one collection and one request (the filter's ``Resolver``).

Handles the collection's own fields (multi-valued ones as per-item subqueries), JSON paths,
``@request.*`` values and ``@collection``-free rules. Relation traversal, back-relations and
``@collection.*`` joins extend this resolver in the query-language work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from pybase.core.request_info import RequestInfo
from pybase.tools.filter import NullFallback, ResolvedField, bind_value, json_path_of

if TYPE_CHECKING:
    from sqlalchemy import Select

    from pybase.core.collections import Collection

_AUTH_META = ("collectionId", "collectionName")


class RecordFieldResolver:
    """Filter identifiers of ``collection`` as seen by the request ``info``."""

    def __init__(self, collection: Collection, info: RequestInfo | None, *, allow_hidden: bool = False) -> None:
        self.collection = collection
        self.info = info
        self.allow_hidden = allow_hidden or (info is not None and info.is_superuser)

    def resolve(self, identifier: str) -> ResolvedField | None:
        """Map an identifier to SQL or a static value; None when unknown."""
        if identifier.startswith("@request."):
            return self._request(identifier[len("@request."):])
        name, _, path = identifier.partition(".")
        field = self.collection.field(name)
        if field is None or (field.hidden and not self.allow_hidden) or field.type == "password":
            return None
        column = self.collection.table.c[name]
        if path:
            if field.type not in ("json", "geoPoint"):
                return None
            json_path = json_path_of(path.split("."))
            if json_path is None:
                return None
            return ResolvedField.column(
                func.json_extract(column, bind_value(json_path)), null_fallback=NullFallback.DISABLED
            )
        if field.is_multi():
            items = func.json_each(column).table_valued("value").alias()
            return ResolvedField.column(column, multi_match=select(items.c.value))
        return ResolvedField.column(column)

    def update_query(self, stmt: Select[Any]) -> Select[Any]:
        """No joins are needed for own fields."""
        return stmt

    def _request(self, rest: str) -> ResolvedField | None:
        info = self.info
        if rest == "method":
            return ResolvedField.value(info.method if info else "GET")
        if rest == "context":
            return ResolvedField.value(info.context if info else "default")
        kind, _, key = rest.partition(".")
        if kind == "auth":
            return self._auth(key)
        source: dict[str, Any] = {}
        if info is not None:
            source = {"query": info.query, "headers": info.headers, "body": info.body}.get(kind, {})
        elif kind not in ("query", "headers", "body"):
            return None
        if kind not in ("query", "headers", "body") or not key:
            return None
        if key.endswith(":isset"):
            return ResolvedField.boolean(key[: -len(":isset")] in source)
        value = source.get(key)
        if isinstance(value, list | dict):
            return ResolvedField.value(str(value))
        return ResolvedField.value(value) if value is not None else ResolvedField.null()

    def _auth(self, key: str) -> ResolvedField:
        auth = self.info.auth if self.info is not None else None
        if auth is None:
            # NOTE: an anonymous caller's @request.auth.* fields are empty strings, so
            # `@request.auth.id != ""` is how rules require a signed-in user.
            return ResolvedField.value("")
        if key == "collectionId":
            return ResolvedField.value(auth.collection.id)
        if key == "collectionName":
            return ResolvedField.value(auth.collection.name)
        field = auth.collection.field(key)
        if field is None or field.type == "password":
            return ResolvedField.null()
        value = auth.get(key)
        if isinstance(value, list):
            return ResolvedField.value(value[0] if value else "")
        if isinstance(value, dict):
            return ResolvedField.null()
        return ResolvedField.value(value)
