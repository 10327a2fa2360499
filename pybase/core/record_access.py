"""API rules as SQL: list/view conditions, write checks and sort terms for one request."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select

from pybase.core.errors import BadRequestError, PyBaseError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.request_info import RequestInfo
from pybase.store.dialect import insertion_order
from pybase.tools.filter import FilterError, compile_filter, compile_sort, parse_filter, parse_sort

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class RuleFailed(PyBaseError):
    """A create/update rule did not match the record as it would be saved."""


def _compile(collection: Collection, info: RequestInfo | None, text: str, *, rule: bool = True) -> ColumnElement[bool]:
    try:
        # NOTE: PocketBase caps only list filters at 3500 characters; rules are not capped.
        node = parse_filter(text, max_length=None) if rule else parse_filter(text)
        return compile_filter(node, RecordFieldResolver(collection, info))
    except FilterError as ex:
        raise BadRequestError() from ex


def rule_condition(app: App, collection: Collection, info: RequestInfo, rule: str | None) -> ColumnElement[bool] | None:
    """The WHERE condition a rule adds for this caller (None: no restriction)."""
    if info.is_superuser or rule is None or rule.strip() == "":
        return None
    return _compile(collection, info, rule)


def list_conditions(
    app: App, collection: Collection, info: RequestInfo, rule: str | None, filter_text: str | None
) -> list[ColumnElement[bool]]:
    """WHERE conditions of a list request: the listRule (unless superuser) and the filter."""
    out = []
    condition = rule_condition(app, collection, info, rule)
    if condition is not None:
        out.append(condition)
    if filter_text and filter_text.strip():
        out.append(_compile(collection, info, filter_text, rule=False))
    return out


def sort_terms(app: App, collection: Collection, info: RequestInfo, sort: str | None) -> list[Any]:
    """ORDER BY terms for the ``sort`` parameter."""
    if not sort:
        return []
    try:
        fields = parse_sort(sort)
        rowid = None if collection.is_view else insertion_order(collection.table)
        return compile_sort(fields, RecordFieldResolver(collection, info), rowid=rowid)
    except FilterError as ex:
        raise BadRequestError() from ex


def write_check(app: App, collection: Collection, info: RequestInfo, rule: str | None) -> Callable[[Any, Record], None] | None:
    """A check run inside the write transaction after the row is written: the rule must match it."""
    if info.is_superuser or rule is None or rule.strip() == "":
        return None
    condition = _compile(collection, info, rule)
    table = collection.table

    def check(conn: Any, record: Record) -> None:
        found = conn.execute(select(table.c.id).where(table.c.id == record.id).where(condition)).first()
        if found is None:
            raise RuleFailed("Failed to create record.")

    return check


def is_manager(app: App, collection: Collection, info: RequestInfo, record: Record) -> bool:
    """Whether the caller may manage ``record`` (superuser, or manageRule matches)."""
    if info.is_superuser:
        return True
    if not collection.is_auth:
        return False
    rule = collection.rule("manageRule")
    if rule is None or info.auth is None:
        return False
    condition = None if rule.strip() == "" else _compile(collection, info, rule)
    try:
        app.records.find_by_id(collection, record.id, condition)
    except PyBaseError:
        return False
    return True


def can_view(app: App, collection: Collection, info: RequestInfo, ids: list[str]) -> set[str]:
    """The subset of ``ids`` the caller may view in ``collection`` (its viewRule)."""
    if info.is_superuser:
        return set(ids)
    rule = collection.rules["viewRule"]
    if rule is None:
        return set()
    table = collection.table
    query = select(table.c.id).where(table.c.id.in_(ids))
    if rule.strip():
        query = query.where(_compile(collection, info, rule))
    with app.db.read() as conn:
        return {row[0] for row in conn.execute(query)}


def can_view_with_rule(app: App, collection: Collection, info: RequestInfo, record: Record, rule: str) -> bool:
    """Whether ``record`` matches ``rule`` for the caller (used for authRule and manageRule)."""
    if rule.strip() == "":
        return True
    try:
        app.records.find_by_id(collection, record.id, _compile(collection, info, rule))
    except PyBaseError:
        return False
    return True
