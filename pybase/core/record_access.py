"""API rules and list parameters as SQL: what one request may see, filter and sort (the
createRule and manageRule checks of writes are in :mod:`pybase.core.record_write_checks`).

Rules are compiled with hidden fields allowed (as PocketBase does); the ``filter``/``sort``
parameters allow them to superusers only, and for other callers every collection a relation
reaches must be listable by them. Each result is a :class:`RecordQuery`: WHERE conditions,
ORDER BY terms and the resolvers whose joins they need, applied to a SELECT by the record store.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import DatabaseError

from pybase.core.errors import BadRequestError, ForbiddenError, PyBaseError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.field_resolver_sql import Join, apply_joins
from pybase.core.record_access_prepared import (
    RuleValues,
    TemplateResolver,
    find_allowed,
    rule_values,
)
from pybase.core.request_info import RequestInfo
from pybase.store.dialect import insertion_order, with_tie_break
from pybase.tools.filter import (
    FilterError,
    compile_filter,
    compile_sort,
    parse_filter,
    parse_sort,
)
from pybase.tools.filter.static import NotStatic, evaluate_static, is_static

if TYPE_CHECKING:
    from sqlalchemy import Select

    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.record_query import ListPlan, Page
    from pybase.core.record_search import Search
    from pybase.core.records import Record
    from pybase.store.dialect.fulltext import SearchSQL

# NOTE: PocketBase refuses these in a non-superuser's filter/sort by a plain substring check.
SUPERUSER_ONLY_FILTER_FIELDS = ("@collection.", "@request.")
EXPAND_CONTEXT = "expand"


class RuleFailed(PyBaseError):
    """A create/update rule did not match the record as it would be saved."""


@dataclasses.dataclass
class RecordQuery:
    """What a request adds to a SELECT over a collection: conditions, sort and their joins."""

    where: list[ColumnElement[bool]] = dataclasses.field(default_factory=list)
    order_by: list[Any] = dataclasses.field(default_factory=list)
    resolvers: list[RecordFieldResolver] = dataclasses.field(default_factory=list)
    #: a full-text search the records must match (pybase.core.record_search)
    search: SearchSQL | None = None

    @property
    def distinct(self) -> bool:
        """Whether joins may repeat rows (so SELECTs need DISTINCT and counts COUNT(DISTINCT))."""
        return any(resolver.has_joins for resolver in self.resolvers)

    @property
    def is_empty(self) -> bool:
        """Whether the query adds nothing (no condition, sort or join)."""
        return not self.where and not self.order_by and self.search is None and not any(
            resolver.has_joins or resolver.collect()[1] for resolver in self.resolvers
        )

    def merge(self, other: RecordQuery | None) -> RecordQuery:
        """This query plus ``other``'s conditions, sort terms and resolvers."""
        if other is None:
            return self
        resolvers = self.resolvers + [r for r in other.resolvers if r not in self.resolvers]
        search = self.search if self.search is not None else other.search
        return RecordQuery(self.where + other.where, self.order_by + other.order_by, resolvers, search)

    def apply(self, stmt: Select[Any], base: Any) -> Select[Any]:
        """Add the conditions and the joins to ``stmt`` selecting from ``base`` (no ORDER BY)."""
        joins: list[Join] = []
        for resolver in self.resolvers:
            resolver_joins, conditions = resolver.collect()
            joins.extend(resolver_joins)
            stmt = stmt.where(*conditions) if conditions else stmt
        if joins:
            stmt = stmt.select_from(apply_joins(base, joins)).distinct()
        if self.search is not None:
            stmt = self.search.apply(stmt)
        return stmt.where(*self.where) if self.where else stmt


def _parse(text: str, *, rule: bool) -> Any:
    # NOTE: PocketBase caps only list filters at 3500 characters; rules are not capped.
    return parse_filter(text, max_length=None) if rule else parse_filter(text)


def _resolver(
    collection: Collection, info: RequestInfo | None, *, allow_hidden: bool = True, suffix: str = ""
) -> RecordFieldResolver:
    return RecordFieldResolver(collection, info, allow_hidden=allow_hidden, join_suffix=suffix)


def _compile(resolver: RecordFieldResolver, text: str, *, rule: bool = True) -> ColumnElement[bool]:
    try:
        return compile_filter(_parse(text, rule=rule), resolver)
    except FilterError as ex:
        raise BadRequestError() from ex


def rule_query(collection: Collection, info: RequestInfo | None, rule: str) -> RecordQuery:
    """The rule as a query (rules may use hidden fields and any collection)."""
    resolver = _resolver(collection, info)
    condition = _compile(resolver, rule)
    return RecordQuery([condition], [], [resolver])


def static_answer(resolver: RecordFieldResolver, condition: ColumnElement[bool]) -> bool | None:
    """The condition's answer when it reads no row (only ``@request.*`` values), else None.

    PERF: such a rule (``@request.auth.id != ''``) is answered without SQL.
    """
    if resolver.has_joins or not is_static(condition):
        return None
    try:
        return evaluate_static(condition)
    except NotStatic:
        return None


def find_with_rule(app: App, collection: Collection, info: RequestInfo, rule: str | None, record_id: str) -> Record:
    """``record_id`` if the view/update/delete ``rule`` lets the caller reach it.

    NotFoundError when it is missing or hidden; BadRequestError when the rule does not compile
    (as :func:`rule_condition`). A null rule is the caller's to refuse.
    """
    if rule is not None and rule.strip() and not info.is_superuser:
        found = find_allowed(app, collection, info, rule, record_id)
        if found is not None:
            return found
    where = rule_condition(app, collection, info, rule)
    return app.records.find_by_id(collection, record_id, where)


def rule_condition(
    app: App, collection: Collection, info: RequestInfo, rule: str | None
) -> RecordQuery | None:
    """What a view/update/delete rule adds for this caller (None: no restriction)."""
    if info.is_superuser or rule is None or rule.strip() == "":
        return None
    query = rule_query(collection, info, rule)
    if static_answer(query.resolvers[0], query.where[0]) is True:
        return None  # the same rows as without the rule, and no SQL to run
    return query


def check_filter_fields(info: RequestInfo, *params: str | None) -> None:
    """403 when a non-superuser's filter or sort mentions ``@collection.`` or ``@request.``."""
    if info.is_superuser:
        return
    for value in params:
        for marker in SUPERUSER_ONLY_FILTER_FIELDS:
            if value and marker in value:
                raise ForbiddenError(f"Only superusers can filter by {marker}")


def list_query(
    app: App,
    collection: Collection,
    info: RequestInfo,
    rule: str | None,
    filter_text: str | None,
    sort_text: str | None,
    *,
    resolver: RecordFieldResolver | None = None,
) -> RecordQuery:
    """The listRule (unless superuser), the ``filter`` and the ``sort``, sharing their joins.

    ``resolver``: one giving the rule's request values as named parameters (a list plan's);
    the rule then stays in the SQL even when it reads no row, since its answer is the request's.
    """
    check_filter_fields(info, filter_text, sort_text)
    if filter_text and "\x00" in filter_text:
        raise BadRequestError()  # NOTE: as PocketBase: a NUL anywhere in a filter is refused
    bound = resolver is not None
    if resolver is None:
        resolver = _resolver(collection, info)
    query = RecordQuery(resolvers=[resolver])
    if not info.is_superuser and rule:
        condition = _compile(resolver, rule)
        if bound or static_answer(resolver, condition) is not True:
            query.where.append(condition)
    resolver.allow_hidden = info.is_superuser
    return _add_filter_and_sort(collection, resolver, query, filter_text, sort_text)


def list_records(
    app: App,
    collection: Collection,
    info: RequestInfo,
    rule: str | None,
    filter_text: str | None,
    sort_text: str | None,
    *,
    page: int,
    per_page: int,
    skip_total: bool,
    search: Search | None = None,
) -> Page:
    """A page of a list request: :func:`list_query` run by ``app.records.list_page``.

    ``search``: a full-text search (pybase.core.record_search) the records must also match;
    without a ``sort``, they come most relevant first.

    PERF: a list whose SQL depends on nothing but its texts (no ``@`` identifier or macro in
    the rule it gets, its filter or its sort, and no other collection joined) is compiled once
    per collection version and caller kind; later requests only bind the page. So is one whose
    rule reads plain request values (``owner = @request.auth.id``; see record_access_prepared):
    compiled once per shape of those values, which each request binds with its page.
    """
    if search is not None:
        query = list_query(app, collection, info, rule, filter_text, sort_text)
        query.search = search.sql(collection.table, app.db.dialect.name)
        if not query.order_by:
            query.order_by = [query.search.rank.asc(), insertion_order(collection.table).asc()]
        return app.records.list_page(collection, query=query, page=page, per_page=per_page, skip_total=skip_total)
    applied_rule = rule if rule and not info.is_superuser else None
    key: tuple[Any, ...] | None = None
    values: RuleValues | None = None
    if not any("@" in text for text in (filter_text, sort_text) if text):
        if applied_rule is None or "@" not in applied_rule:
            key = (applied_rule, filter_text or "", sort_text or "", info.is_superuser)
        else:
            values = rule_values(collection, info, applied_rule)
            if values is not None:
                key = (applied_rule, filter_text or "", sort_text or "", False, info.context, values.shapes)
        if key is not None:
            plans = _list_plans.get(collection)
            found = plans.get(key) if plans is not None else None
            if found is not None:
                # NOTE: no "@" in the filter and sort: nothing for check_filter_fields to refuse.
                plan, names = found
                params = RuleValues.params(names, values.values) if values is not None else None
                return app.records.run_list_plan(collection, plan, page, per_page, skip_total, params)
    resolver = values.resolver(collection, info) if values is not None else None
    if values is not None and resolver is None:
        key = None
    query = list_query(app, collection, info, rule, filter_text, sort_text, resolver=resolver)
    if key is not None and not query.is_empty and not query.distinct:
        plan = app.records.list_plan(collection, query)
        if plan is not None:
            plans = _list_plans.setdefault(collection, {})
            if len(plans) >= MAX_LIST_PLANS:
                plans.clear()
            names = resolver.names if isinstance(resolver, TemplateResolver) else {}
            plans[key] = (plan, names)
            params = RuleValues.params(names, values.values) if values is not None else None
            return app.records.run_list_plan(collection, plan, page, per_page, skip_total, params)
    return app.records.list_page(collection, query=query, page=page, per_page=per_page, skip_total=skip_total)


#: compiled list queries per collection version, with the parameters their request values
#: take (see list_records)
_list_plans: weakref.WeakKeyDictionary[Collection, dict[tuple[Any, ...], tuple[ListPlan, dict[str, str]]]] = (
    weakref.WeakKeyDictionary()
)
MAX_LIST_PLANS = 256


def filter_query(
    collection: Collection,
    filter_text: str | None,
    sort_text: str | None = None,
    info: RequestInfo | None = None,
) -> RecordQuery:
    """A filter and sort from trusted code (JS hooks' findRecordsByFilter, realtime).

    Hidden fields are allowed and joined collections' listRules are not applied, as for rules.
    Apply with ``query.apply(select(table), table).order_by(*query.order_by)``.
    """
    resolver = _resolver(collection, info)
    query = RecordQuery(resolvers=[resolver])
    return _add_filter_and_sort(collection, resolver, query, filter_text, sort_text, capped=False)


def _add_filter_and_sort(
    collection: Collection,
    resolver: RecordFieldResolver,
    query: RecordQuery,
    filter_text: str | None,
    sort_text: str | None,
    *,
    capped: bool = True,
) -> RecordQuery:
    if filter_text and filter_text.strip():
        # NOTE: only request filters are capped in length (rule=False); trusted code's are not.
        query.where.append(_compile(resolver, filter_text, rule=not capped))
    query.order_by = _sort(collection, resolver, sort_text)
    _collect(resolver)
    return query


def list_conditions(
    app: App, collection: Collection, info: RequestInfo, rule: str | None, filter_text: str | None
) -> RecordQuery:
    """The WHERE part of a list request (the listRule unless superuser, and the filter).

    Prefer :func:`list_query`, which also shares the joins of the sort.
    """
    return list_query(app, collection, info, rule, filter_text, None)


def sort_terms(
    app: App, collection: Collection, info: RequestInfo, sort: str | None
) -> RecordQuery:
    """The ORDER BY part of a list request (own joins, aliased apart from the filter's)."""
    check_filter_fields(info, sort)
    resolver = _resolver(collection, info, allow_hidden=info.is_superuser, suffix="__s")
    terms = _sort(collection, resolver, sort)
    _collect(resolver)
    return RecordQuery([], terms, [resolver])


def _collect(resolver: RecordFieldResolver) -> None:
    """Build the joined collections' listRules now, so their errors are a 400 before any hook."""
    try:
        resolver.collect()
    except FilterError as ex:
        raise BadRequestError() from ex


def _sort(collection: Collection, resolver: RecordFieldResolver, sort: str | None) -> list[Any]:
    if not sort:
        return []
    try:
        fields = parse_sort(sort)
        rowid = None if collection.is_view else insertion_order(collection.table)
        order = compile_sort(fields, resolver, rowid=rowid)
        return order if collection.is_view else with_tie_break(order, collection.table)
    except FilterError as ex:
        raise BadRequestError() from ex


def _matching_ids(
    app: App,
    collection: Collection,
    ids: Iterable[str],
    query: RecordQuery | None,
    conn: Any = None,
) -> set[str]:
    table = collection.table
    wanted = list(ids)
    stmt = select(table.c.id).where(
        table.c.id.in_(wanted) if len(wanted) != 1 else table.c.id == wanted[0]
    )
    if query is not None:
        stmt = query.apply(stmt, table)
    try:
        if conn is not None:
            return {row[0] for row in conn.execute(stmt)}
        with app.db.read() as read_conn:
            return {row[0] for row in read_conn.execute(stmt)}
    except DatabaseError:
        return set()


def can_view(app: App, collection: Collection, info: RequestInfo, ids: list[str]) -> set[str]:
    """The subset of ``ids`` the caller may view in ``collection`` (its viewRule, as expand does).

    Without a rule to apply (superuser, empty rule) every id is returned, existing or not: the
    caller fetches the records anyway.
    """
    if not ids:
        return set()
    if info.is_superuser:
        return set(ids)
    rule = collection.rules["viewRule"]
    if rule is None:
        return set()
    if not rule.strip():
        return set(ids)  # PERF: one query less per expanded level
    try:
        query = rule_query(collection, dataclasses.replace(info, context=EXPAND_CONTEXT), rule)
    except BadRequestError:
        return set()
    return _matching_ids(app, collection, ids, query)


def can_view_with_rule(
    app: App, collection: Collection, info: RequestInfo, record: Record, rule: str
) -> bool:
    """Whether ``record`` matches ``rule`` for the caller (used for authRule and manageRule)."""
    if rule.strip() == "":
        return True
    try:
        query = rule_query(collection, info, rule)
    except BadRequestError:
        return False
    return bool(_matching_ids(app, collection, [record.id], query))


def can_access(app: App, record: Record, info: RequestInfo, rule: str | None) -> bool:
    """PocketBase's ``CanAccessRecord``: whether ``rule`` lets the caller see ``record``."""
    if info.is_superuser:
        return True
    if rule is None:
        return False
    return can_view_with_rule(app, record.collection, info, record, rule)
