"""API rules compiled once per collection version, with the request's values bound per request.

A rule reads request values (``owner = @request.auth.id``), so compiling it for each request
costs more than running it. For rules whose request values are plain scalars bound as they are
(``@request.auth.<id, email, verified...>``, ``@request.method``, ``@request.context``,
``@request.body|query|headers.<name>``), compared with ``=``, ``!=``, ``<``, ``<=``, ``>``,
``>=`` (any-item forms too) and with no macro or function, the SQL depends only on the *shape*
of those values (NULL, empty or not, Python type). Such a rule is compiled once per collection
version, rule and shape into a :class:`RuleTemplate` with the values as named parameters; each
request binds its own. Other rules take the general path in :mod:`record_access`.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, literal, select

from pybase.core.errors import NotFoundError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.field_resolver_request import PLAIN_AUTH_FIELDS
from pybase.core.field_resolver_sql import apply_joins
from pybase.core.records import Record
from pybase.store.db import DB_ERRORS
from pybase.store.dialect import stored_as
from pybase.store.schema import first_row
from pybase.tools.filter import (
    MACROS,
    FilterError,
    Function,
    Identifier,
    NullFallback,
    ResolvedField,
    compile_filter,
    iter_expressions,
    parse_filter,
)
from pybase.tools.filter.static import NotStatic, evaluate_static, is_static

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, FromClause, Select

    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.request_info import RequestInfo
    from pybase.store.db import Database, Prepared

# NOTE: no LIKE (``~`` turns the value into a pattern while compiling) and no functions.
_PLAIN_OPERATORS = frozenset({"=", "!=", ">", ">=", "<", "<=", "?=", "?!=", "?>", "?>=", "?<", "?<="})
_PLAIN_REQUEST = frozenset({"@request.method", "@request.context"} | {f"@request.auth.{f}" for f in PLAIN_AUTH_FIELDS})
# one key below body/query/headers, no modifier: a value looked up as it is (a relation's
# ``@request.body.author.name`` or ``:isset`` take the general path)
_PLAIN_REQUEST_KEY = re.compile(r"@request\.(?:body|query|headers)\.\w+", re.ASCII)
_ID_PARAM = "__pb_rule_id"
_MAX_PER_COLLECTION = 256
# NOTE: PocketBase adds 6 random characters to the createRule's CTE name; a fixed one keeps
# the statement text the same for every request.
CREATE_CTE_SUFFIX = "__pb_create__"

# collection version -> rule -> the request identifiers it reads (None: not eligible)
_eligible: weakref.WeakKeyDictionary[Collection, dict[str, tuple[str, ...] | None]] = weakref.WeakKeyDictionary()
# collection version -> (kind, rule, context, shape) -> template
_templates: weakref.WeakKeyDictionary[Collection, dict[tuple[Any, ...], RuleTemplate]] = weakref.WeakKeyDictionary()


class RuleTemplate:
    """One rule compiled for one shape of request values.

    ``condition`` is set when the rule reads no row (answered by :meth:`answer`, no SQL);
    otherwise ``prepared`` is the statement. ``names`` maps request identifiers to parameters.
    """

    __slots__ = ("condition", "prepared", "names")

    def __init__(self, condition: ColumnElement[bool] | None, prepared: Prepared | None, names: dict[str, str]) -> None:
        self.condition = condition
        self.prepared = prepared
        self.names = names

    def answer(self, params: dict[str, Any]) -> bool:
        """The answer of a rule that reads no row, for these request values."""
        assert self.condition is not None
        return evaluate_static(self.condition, params)


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
                if name not in _PLAIN_REQUEST and not _PLAIN_REQUEST_KEY.fullmatch(name):
                    return None
                if name not in names:
                    names.append(name)
    return tuple(names)


def _shape(resolved: ResolvedField) -> tuple[Any, ...]:
    params = tuple((type(p.value), p.value is None or p.value == "") for p in resolved.params)
    return (resolved.keyword, resolved.null_fallback, resolved.multi_match is None, params)


class TemplateResolver(RecordFieldResolver):
    """Resolves the request identifiers to named parameters (their values as compiled defaults)."""

    def __init__(
        self, collection: Collection, info: RequestInfo, values: dict[str, ResolvedField], **kwargs: Any
    ) -> None:
        super().__init__(collection, info, allow_hidden=True, **kwargs)
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


def template(
    db: Database, collection: Collection, info: RequestInfo, rule: str, kind: str
) -> tuple[RuleTemplate, dict[str, Any]] | None:
    """The compiled ``rule`` (``kind``: "find" by id, "create" or "snapshot" over a CTE) and this request's
    parameters; None when the rule needs the general path."""
    request = rule_values(collection, info, rule)
    if request is None:
        return None
    key = (kind, rule, info.context, request.shapes)
    cache = _templates.get(collection)
    if cache is None:
        cache = _templates[collection] = {}
    found = cache.get(key)
    if found is None:
        resolved = _resolve_all(collection, info, request.names)
        if resolved is None:
            return None
        try:
            found = _compile(db, collection, info, rule, resolved, kind)
        except FilterError:
            return None
        if len(cache) >= _MAX_PER_COLLECTION:
            cache.clear()
        cache[key] = found
    return found, RuleValues.params(found.names, request.values)


class RuleValues:
    """A rule's request values for one request, and what a plan compiled for them is keyed by."""

    __slots__ = ("names", "shapes", "values")

    def __init__(self, names: tuple[str, ...], shapes: tuple[Any, ...], values: dict[str, Any]) -> None:
        self.names = names
        self.shapes = shapes
        self.values = values

    def resolver(self, collection: Collection, info: RequestInfo) -> TemplateResolver | None:
        """A resolver giving these values as named parameters (None: one does not resolve)."""
        resolved = _resolve_all(collection, info, self.names)
        if resolved is None:
            return None
        try:
            return TemplateResolver(collection, info, resolved)
        except FilterError:
            return None

    @staticmethod
    def params(names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
        """The statement's parameters: each request identifier's value under its name."""
        return {param: values[name] for name, param in names.items()}


def rule_values(collection: Collection, info: RequestInfo, rule: str) -> RuleValues | None:
    """The request values ``rule`` reads, when a statement compiled once for their shapes can
    take them as parameters (see the module docstring); None: the rule takes the general path."""
    names = request_identifiers(collection, rule)
    if names is None:
        return None
    request = request_values(collection, info, names)
    if request is None:
        return None
    return RuleValues(names, *request)


# The shape of a non-empty text value bound as it is (what ``@request.auth.id`` resolves to).
_TEXT_SHAPE = (None, NullFallback.AUTO, True, ((str, False),))


def request_values(
    collection: Collection, info: RequestInfo, names: tuple[str, ...]
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The shapes and values of the request identifiers ``names`` (None: one does not resolve).

    PERF: ``@request.auth.id`` of a signed-in caller, by far the most common, is read directly
    (its id, always non-empty text); the others go through the resolver.
    """
    shapes: list[Any] = []
    values: dict[str, Any] = {}
    resolver: RecordFieldResolver | None = None
    for name in names:
        auth = info.auth
        if name == "@request.auth.id" and auth is not None and isinstance(auth.id, str) and auth.id:
            shapes.append(_TEXT_SHAPE)
            values[name] = auth.id
            continue
        if resolver is None:
            resolver = RecordFieldResolver(collection, info, allow_hidden=True)
        try:
            resolved = resolver.resolve(name)
        except FilterError:
            return None
        if resolved is None:
            return None
        shapes.append(_shape(resolved))
        values[name] = resolved.params[0].value if resolved.params else None
    return tuple(shapes), values


def _resolve_all(collection: Collection, info: RequestInfo, names: tuple[str, ...]) -> dict[str, ResolvedField] | None:
    resolver = RecordFieldResolver(collection, info, allow_hidden=True)
    values: dict[str, ResolvedField] = {}
    try:
        for name in names:
            resolved = resolver.resolve(name)
            if resolved is None:
                return None
            values[name] = resolved
    except FilterError:
        return None
    return values


def _compile(
    db: Database, collection: Collection, info: RequestInfo, rule: str, values: dict[str, ResolvedField], kind: str
) -> RuleTemplate:
    if kind in ("create", "snapshot"):
        # NOTE: a createRule's row is named apart (its back-relations match nothing); a
        # snapshot of a stored row (realtime) is the table's own
        dummy = create_source(collection, [bindparam(f"__pb_f{i}") for i in range(len(collection.fields))])
        resolver = TemplateResolver(collection, info, values, base=dummy, source=dummy,
                                     base_id=collection.id + ("" if kind == "snapshot" else CREATE_CTE_SUFFIX))
        base: FromClause = dummy
        stmt: Select[Any] = select(literal(1)).select_from(dummy)
    else:
        resolver = TemplateResolver(collection, info, values)
        base = collection.table
        stmt = select(base).where(base.c.id == bindparam(_ID_PARAM))
    condition = compile_filter(parse_filter(rule, max_length=None), resolver)
    joins, conditions = resolver.collect()
    if not joins and not conditions and is_static(condition):
        try:
            evaluate_static(condition)
            return RuleTemplate(condition, None, resolver.names)
        except NotStatic:
            pass  # SQL this evaluator does not model: SQLite answers it
    if conditions:
        stmt = stmt.where(*conditions)
    if joins:
        stmt = stmt.select_from(apply_joins(base, joins)).distinct()
    return RuleTemplate(None, db.prepare(first_row(stmt.where(condition))), resolver.names)


def create_source(collection: Collection, values: list[Any]) -> Any:
    """The one-row CTE a createRule sees: each field's value (bound) under its name."""
    # NOTE: each value typed as its field's column, so that the SQL reads it as the table's
    labelled = [
        stored_as(value, field.column().type).label(field.name)
        for field, value in zip(collection.fields, values, strict=True)
    ]
    return select(*labelled).cte(collection.name + CREATE_CTE_SUFFIX)


def find_allowed(app: App, collection: Collection, info: RequestInfo, rule: str, record_id: str) -> Record | None:
    """The record if ``rule`` lets the caller reach it, through a compiled-once statement.

    Returns None when the rule needs the general path; raises NotFoundError when the record
    is missing or the rule hides it.
    """
    found = template(app.db, collection, info, rule, "find")
    if found is None:
        return None
    tpl, params = found
    if tpl.prepared is None:
        if not tpl.answer(params):
            raise NotFoundError()
        return app.records.find_by_id(collection, record_id)
    params[_ID_PARAM] = record_id
    try:
        rows = app.db.fetch(tpl.prepared, params)
    except DB_ERRORS as ex:
        # NOTE: a rule that fails in SQL hides the record, as in PocketBase.
        raise NotFoundError() from ex
    if not rows:
        raise NotFoundError()
    return Record.from_row(collection, rows[0], app.records)


class PreparedCheck:
    """A createRule over frozen record values, run as a compiled-once statement."""

    __slots__ = ("db", "prepared", "params", "failed")

    def __init__(self, db: Database, prepared: Prepared, params: dict[str, Any], failed: type[Exception]) -> None:
        self.db = db
        self.prepared = prepared
        self.params = params
        self.failed = failed

    def __call__(self, conn: Any, record: Record) -> None:
        # NOTE: inside a write transaction the fetch runs on its connection, like ``conn``.
        try:
            rows = self.db.fetch(self.prepared, self.params)
        except DB_ERRORS as ex:
            raise self.failed("Failed to create record.") from ex
        if not rows:
            raise self.failed("Failed to create record.")
