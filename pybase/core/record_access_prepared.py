"""View/update/delete rule lookups as statements compiled once per collection version.

``find_by_id`` with a rule builds the rule's SQL for every request because the rule reads
request values (``owner = @request.auth.id``). For rules whose request values are plain
scalars bound as they are (``@request.auth.<id, email, verified...>``, ``@request.method``,
``@request.context``), compared with ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (any-item
forms too) and no macro or function, the SQL depends only on the *shape* of those values
(NULL, empty or not, Python type): it is compiled once per collection version, rule and shape
with the values as named parameters, and each request binds its own. Other rules take the
general path (:func:`pybase.core.record_access.rule_condition`).
"""

from __future__ import annotations

import sqlite3
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from pybase.core.errors import NotFoundError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.field_resolver_request import PLAIN_AUTH_FIELDS
from pybase.core.record_access import RecordQuery, rule_condition
from pybase.core.records import Record
from pybase.tools.filter import (
    MACROS,
    FilterError,
    Function,
    Identifier,
    ResolvedField,
    compile_filter,
    iter_expressions,
    parse_filter,
)
from pybase.tools.filter.static import is_static

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.request_info import RequestInfo
    from pybase.store.db import Prepared

# NOTE: no LIKE (``~`` turns the value into a pattern while compiling) and no functions.
_PLAIN_OPERATORS = frozenset({"=", "!=", ">", ">=", "<", "<=", "?=", "?!=", "?>", "?>=", "?<", "?<="})
_PLAIN_REQUEST = frozenset({"@request.method", "@request.context"} | {f"@request.auth.{f}" for f in PLAIN_AUTH_FIELDS})
_ID_PARAM = "__pb_rule_id"
_MAX_PER_COLLECTION = 256

# collection version -> rule -> the request identifiers it reads (None: not eligible)
_eligible: weakref.WeakKeyDictionary[Collection, dict[str, tuple[str, ...] | None]] = weakref.WeakKeyDictionary()
# collection version -> (rule, shape) -> the compiled lookup (None: answered without SQL)
_compiled: weakref.WeakKeyDictionary[Collection, dict[tuple[Any, ...], _Lookup]] = weakref.WeakKeyDictionary()


class _Lookup:
    __slots__ = ("prepared", "names")

    def __init__(self, prepared: Prepared | None, names: dict[str, str]) -> None:
        self.prepared = prepared  # None: the general path (a rule reading no row, say)
        self.names = names  # request identifier -> parameter name


def request_identifiers(collection: Collection, rule: str) -> tuple[str, ...] | None:
    """The plain request identifiers ``rule`` reads, or None when it needs the general path."""
    known = _eligible.get(collection)
    if known is None:
        known = _eligible[collection] = {}
    if rule in known:
        return known[rule]
    found: tuple[str, ...] | None
    try:
        found = _scan(parse_filter(rule, max_length=None))
    except FilterError:
        found = None
    if len(known) < _MAX_PER_COLLECTION:
        known[rule] = found
    return found


def _scan(node: Any) -> tuple[str, ...] | None:
    names: list[str] = []
    for expr in iter_expressions(node):
        if expr.op not in _PLAIN_OPERATORS:
            return None
        for operand in (expr.left, expr.right):
            if isinstance(operand, Function):
                return None
            if not isinstance(operand, Identifier):
                continue
            name = operand.name
            if name in MACROS or (name.startswith("@") and not name.startswith(("@request.", "@collection."))):
                return None
            if name.startswith("@request."):
                if name not in _PLAIN_REQUEST:
                    return None
                if name not in names:
                    names.append(name)
    return tuple(names)


def _shape(resolved: ResolvedField) -> tuple[Any, ...]:
    params = tuple((type(p.value), p.value is None or p.value == "") for p in resolved.params)
    return (resolved.keyword, resolved.null_fallback, resolved.multi_match is None, params)


class _TemplateResolver(RecordFieldResolver):
    """Resolves the request identifiers to named parameters (their values as compiled defaults)."""

    def __init__(self, collection: Collection, info: RequestInfo, values: dict[str, ResolvedField]) -> None:
        super().__init__(collection, info, allow_hidden=True)
        self.values: dict[str, ResolvedField] = {}
        self.names: dict[str, str] = {}
        for index, (name, resolved) in enumerate(values.items()):
            if len(resolved.params) == 1 and resolved.expression is resolved.params[0]:
                param = resolved.params[0]
                key = f"__pb_rq{index}"
                named = bindparam(key, value=param.value, type_=param.type)
                resolved = ResolvedField(named, params=(named,), null_fallback=resolved.null_fallback,
                                         keyword=resolved.keyword)
                self.names[name] = key
            elif resolved.params:
                raise FilterError("not a plain value")
            self.values[name] = resolved

    def resolve(self, identifier: str) -> ResolvedField | None:
        found = self.values.get(identifier)
        return found if found is not None else super().resolve(identifier)


def find_allowed(app: App, collection: Collection, info: RequestInfo, rule: str, record_id: str) -> Record | None:
    """The record if ``rule`` lets the caller reach it, through a compiled-once statement.

    Returns None when the rule needs the general path; raises NotFoundError when the record
    is missing or the rule hides it.
    """
    names = request_identifiers(collection, rule)
    if names is None:
        return None
    resolver = RecordFieldResolver(collection, info, allow_hidden=True)
    try:
        values = {name: resolver.resolve(name) for name in names}
    except FilterError:
        return None
    if any(v is None for v in values.values()):
        return None
    resolved: dict[str, ResolvedField] = values  # type: ignore[assignment]
    key = (rule, info.context, tuple(_shape(v) for v in resolved.values()))
    cache = _compiled.get(collection)
    if cache is None:
        cache = _compiled[collection] = {}
    lookup = cache.get(key)
    if lookup is None:
        try:
            lookup = _compile(app, collection, info, rule, resolved)
        except FilterError:
            return None
        if len(cache) >= _MAX_PER_COLLECTION:
            cache.clear()
        cache[key] = lookup
    store = app.records
    if lookup.prepared is None:
        return None
    params: dict[str, Any] = {_ID_PARAM: record_id}
    for name, param in lookup.names.items():
        params[param] = resolved[name].params[0].value
    try:
        rows = app.db.fetch(lookup.prepared, params)
    except sqlite3.Error as ex:
        # NOTE: a rule that fails in SQL hides the record, as in PocketBase.
        raise NotFoundError() from ex
    if not rows:
        raise NotFoundError()
    return Record.from_row(collection, rows[0], store)


def _compile(
    app: App, collection: Collection, info: RequestInfo, rule: str, values: dict[str, ResolvedField]
) -> _Lookup:
    resolver = _TemplateResolver(collection, info, values)
    condition = compile_filter(parse_filter(rule, max_length=None), resolver)
    if not resolver.has_joins and is_static(condition):
        # NOTE: its answer depends on the values themselves: rule_condition answers it.
        return _Lookup(None, {})
    table = collection.table
    query = RecordQuery([condition], [], [resolver])
    stmt = query.apply(select(table).where(table.c.id == bindparam(_ID_PARAM)), table).limit(1)
    return _Lookup(app.db.prepare(stmt), resolver.names)


def find_with_rule(app: App, collection: Collection, info: RequestInfo, rule: str | None, record_id: str) -> Record:
    """``record_id`` if the view/update/delete ``rule`` lets the caller reach it.

    NotFoundError when it is missing or hidden; BadRequestError when the rule does not compile
    (as :func:`pybase.core.record_access.rule_condition`). A null rule is the caller's to refuse.
    """
    if rule is not None and rule.strip() and not info.is_superuser:
        found = find_allowed(app, collection, info, rule, record_id)
        if found is not None:
            return found
    where = rule_condition(app, collection, info, rule)
    return app.records.find_by_id(collection, record_id, where)
