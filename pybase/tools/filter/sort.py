"""The ``sort`` query parameter: ``-created,+title,@random,@rowid``."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from pybase.tools.filter.lexer import FilterError, go_quote
from pybase.tools.filter.resolver import Resolver

MAX_SORT_EXPRESSIONS = 8
"""Most sort keys per request (PocketBase's ``search.DefaultSortExprLimit``)."""

MAX_SORT_FIELD_LENGTH = 255
"""Longest sort key, in UTF-8 bytes (``search.MaxSortFieldLength``)."""

RANDOM_SORT_KEY = "@random"
ROWID_SORT_KEY = "@rowid"


class SortField(NamedTuple):
    """One sort key: the identifier and whether it sorts descending."""

    name: str
    descending: bool


def parse_sort(text: str, *, max_expressions: int = MAX_SORT_EXPRESSIONS) -> list[SortField]:
    """Parse ``-a,+b,c`` into sort fields (``-`` descending), enforcing PocketBase's limits."""
    if not text.strip():
        return []
    fields: list[SortField] = []
    offset = 0
    for raw in text.split(","):
        position = offset + len(raw) - len(raw.lstrip())
        offset += len(raw) + 1
        key = raw.strip()
        descending = key.startswith("-")
        name = key[1:] if descending or key.startswith("+") else key
        if not name:
            raise FilterError("invalid sort field (empty name)", position)
        if len(name.encode("utf-8", "surrogatepass")) > MAX_SORT_FIELD_LENGTH:
            raise FilterError(
                f"max sort field length limit reached (max: {MAX_SORT_FIELD_LENGTH})", position
            )
        fields.append(SortField(name, descending))
        if len(fields) > max_expressions:
            raise FilterError(
                f"max sort expressions limit reached (max: {max_expressions})", position
            )
    return fields


def compile_sort(
    fields: list[SortField],
    resolver: Resolver,
    *,
    rowid: ColumnElement[Any] | None = None,
) -> list[ColumnElement[Any]]:
    """Turn sort fields into ORDER BY clauses; ``rowid`` is the base table's ``_rowid_`` column."""
    clauses: list[ColumnElement[Any]] = []
    for field in fields:
        if field.name == RANDOM_SORT_KEY:
            clauses.append(func.random())
            continue
        if field.name == ROWID_SORT_KEY and rowid is not None:
            column = rowid
        else:
            try:
                resolved = resolver.resolve(field.name)
            except FilterError:
                resolved = None
            # NOTE: static values and NULL cannot order rows; PocketBase rejects them too.
            if resolved is None or resolved.params or resolved.keyword is not None:
                raise FilterError(f"invalid sort field {go_quote(field.name)}", 0)
            column = resolved.expression
        clauses.append(column.desc() if field.descending else column.asc())
    return clauses
