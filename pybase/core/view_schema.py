"""Fields of a view collection, inferred from its SELECT query."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.fields import Field, new_field
from pybase.store.schema import raw_select
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection

_FROM_RE = re.compile(r"\b(?:FROM|JOIN)\s+[`\"\[]?(\w+)", re.IGNORECASE)
_COUNT_RE = re.compile(r"\bcount\s*\(", re.IGNORECASE)


def check_view_query(query: str) -> str:
    """One SELECT statement (a trailing semicolon is dropped) or a ValidationError."""
    stripped = query.strip().rstrip(";").strip()
    if not re.match(r"^(SELECT|WITH)\b", stripped, re.IGNORECASE) or ";" in stripped:
        raise ValidationError(
            {"viewQuery": FieldError("validation_invalid_view_query", "Invalid query - only a single SELECT statement is allowed.")}
        )
    return stripped


def infer_view_fields(app: App, col: Collection, conn: Any) -> list[Field]:
    """Run the query with no rows to learn its columns, then match them to source fields."""
    if not col.view_query.strip():
        raise ValidationError({"viewQuery": required()})
    query = check_view_query(col.view_query)
    col.view_query = query
    try:
        result = conn.execute(raw_select(f"SELECT * FROM ({query}) LIMIT 0"))
        columns = list(result.keys())
    except DBAPIError as ex:
        raise ValidationError(
            {"viewQuery": FieldError("validation_invalid_view_query", f"Invalid query - {ex.orig}.")}
        ) from ex
    if "id" not in columns:
        raise ValidationError(
            {
                "viewQuery": FieldError(
                    "validation_invalid_view_query",
                    "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).",
                )
            }
        )
    sources = [app.registry.find(name) for name in _FROM_RE.findall(query)]
    source_fields: dict[str, Field] = {}
    for source in sources:
        if source is None:
            continue
        for field in source.fields:
            source_fields.setdefault(field.name, field)
    previous = {f.name: f for f in col.fields}
    fields: list[Field] = []
    for name in columns:
        if name == "id":
            fields.append(new_field({"type": "text", "name": "id", "id": "text3208210256", "system": True,
                                     "primaryKey": True, "required": True}))
            continue
        source = source_fields.get(name)
        if source is not None and source.type != "password":
            data = source.to_json()
            data["system"] = False
        elif _COUNT_RE.search(query) and name.lower().startswith(("count", "total")):
            data = {"type": "number", "name": name, "onlyInt": True}
        else:
            data = {"type": "json", "name": name, "maxSize": 1}
        kept = previous.get(name)
        data["id"] = kept.id if kept is not None and kept.type == data["type"] else f"_clone_{random_string(4)}"
        fields.append(new_field(data))
    return fields
