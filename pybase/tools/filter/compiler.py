"""Compiler from a filter AST to a SQLAlchemy boolean expression, with bound parameters only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Float,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse

from pybase.tools import types
from pybase.tools.filter.lexer import FilterError, go_quote
from pybase.tools.filter.parser import (
    And,
    Expr,
    Function,
    Group,
    Identifier,
    Node,
    Number,
    Operand,
    Or,
    Text,
    parse_filter,
)
from pybase.tools.filter.resolver import NullFallback, ResolvedField, Resolver, bind_value

Clock = Callable[[], datetime]
"""Returns "now"; injectable so tests can pin the datetime macros."""

MAX_STRFTIME_ARGS = 10

_COMPARISONS = {">": operators.gt, ">=": operators.ge, "<": operators.lt, "<=": operators.le}
_EARTH_RADIUS_KM = 6371
_LIKE_SPECIALS = "\\%_"


def _end_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=999999)


def _start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_end(moment: datetime) -> datetime:
    next_month = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _end_of_day(next_month - timedelta(days=1))


MACROS: dict[str, Callable[[datetime], str | int]] = {
    "@now": types.format_datetime,
    "@yesterday": lambda now: types.format_datetime(now - timedelta(days=1)),
    "@tomorrow": lambda now: types.format_datetime(now + timedelta(days=1)),
    "@second": lambda now: now.second,
    "@minute": lambda now: now.minute,
    "@hour": lambda now: now.hour,
    "@day": lambda now: now.day,
    "@month": lambda now: now.month,
    # NOTE: Go's Weekday: Sunday is 0.
    "@weekday": lambda now: (now.weekday() + 1) % 7,
    "@year": lambda now: now.year,
    "@todayStart": lambda now: types.format_datetime(_start_of_day(now)),
    "@todayEnd": lambda now: types.format_datetime(_end_of_day(now)),
    "@monthStart": lambda now: types.format_datetime(_start_of_day(now.replace(day=1))),
    "@monthEnd": lambda now: types.format_datetime(_month_end(now)),
    "@yearStart": lambda now: types.format_datetime(_start_of_day(now.replace(month=1, day=1))),
    "@yearEnd": lambda now: types.format_datetime(_end_of_day(now.replace(month=12, day=31))),
}
"""The ``@``-macros, evaluated in UTC against the compile-time clock."""


def compile_filter(
    filter: str | Node,
    resolver: Resolver,
    *,
    clock: Clock | None = None,
) -> ColumnElement[bool]:
    """Compile filter text (parsed with the default limits) or an AST into a WHERE expression."""
    node = parse_filter(filter) if isinstance(filter, str) else filter
    return _Compiler(resolver, clock or types.now).node(node)


def _binary(
    left: ColumnElement[Any],
    op: operators.OperatorType,
    right: ColumnElement[Any],
    **modifiers: Any,
) -> ColumnElement[bool]:
    # NOTE: built directly so that no column type can veto or rewrite the operator (SQLAlchemy
    # refuses `x < NULL` and warns on LIKE over numbers; PocketBase emits both as written).
    return BinaryExpression(left, right, op, type_=Boolean(), modifiers=modifiers or None)


def _empty_string() -> ColumnElement[Any]:
    return bind_value("")


def _is_empty_value(value: object) -> bool:
    return value is None or value == ""


def _is_empty(operand: ResolvedField) -> bool:
    """Known to be empty: NULL, or a single bound ``""``/None with the AUTO fallback."""
    return operand.keyword == "null" or (
        operand.null_fallback is NullFallback.AUTO
        and len(operand.params) == 1
        and _is_empty_value(operand.params[0].value)
    )


def _is_known_non_empty(operand: ResolvedField) -> bool:
    if operand.null_fallback is NullFallback.ENFORCED:
        return False
    if operand.keyword in ("true", "false"):
        return True
    return (
        bool(operand.params)
        and operand.keyword != "null"
        and not any(_is_empty_value(param.value) for param in operand.params)
    )


def _empty_match(
    empty_first: bool, operand: ColumnElement[Any], equal: bool
) -> ColumnElement[bool]:
    """``x = '' OR x IS NULL`` (or the negation), keeping PocketBase's operand order."""
    op = operators.eq if equal else operators.is_distinct_from
    if empty_first:
        compare = _binary(_empty_string(), op, operand)
    else:
        compare = _binary(operand, op, _empty_string())
    if equal:
        return or_(compare, _binary(operand, operators.is_, null()))
    return and_(compare, _binary(operand, operators.is_not, null()))


def _equal(equal: bool, left: ResolvedField, right: ResolvedField) -> ColumnElement[bool]:
    """PocketBase's ``resolveEqualExpr``: ``=``/``!=`` with its empty-vs-NULL normalisation."""
    if NullFallback.DISABLED in (left.null_fallback, right.null_fallback):
        op = operators.is_not_distinct_from if equal else operators.is_distinct_from
        return _binary(left.expression, op, right.expression)

    # NOTE: `!=` is always `IS NOT`, since `'a' != NULL` is NULL rather than true.
    op = operators.eq if equal else operators.is_distinct_from
    left_empty, right_empty = _is_empty(left), _is_empty(right)
    if left_empty and right_empty:
        return true() if equal else false()
    if _is_known_non_empty(left) or _is_known_non_empty(right):
        return _binary(
            _empty_string() if left_empty else left.expression,
            op,
            _empty_string() if right_empty else right.expression,
        )
    # PERF: `x = '' OR x IS NULL` can use an index where COALESCE(x, '') cannot.
    if left_empty:
        return _empty_match(True, right.expression, equal)
    if right_empty:
        return _empty_match(False, left.expression, equal)
    return _binary(
        func.coalesce(left.expression, _empty_string()),
        op,
        func.coalesce(right.expression, _empty_string()),
    )


def _go_string(value: object) -> str:
    """Stringify like Go's ``cast.ToString`` (``12.0`` -> ``"12"``, ``True`` -> ``"true"``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def contains_unescaped(text: str, char: str) -> bool:
    """Whether ``text`` has ``char`` not preceded by a (non-escaped) backslash."""
    previous = ""
    for current in text:
        if current == char and previous != "\\":
            return True
        previous = "" if current == "\\" and previous == "\\" else current
    return False


def escape_unescaped(text: str, chars: str) -> str:
    """Backslash-escape each of ``chars`` in ``text`` unless a backslash already precedes it."""
    result: list[str] = []
    pending = False
    for index in range(len(text) - 1, -1, -1):
        current = text[index]
        if pending:
            if current != "\\":
                result.append("\\")
            pending = False
        elif current in chars:
            pending = True
        result.append(current)
        if index == 0 and pending:
            result.append("\\")
    return "".join(reversed(result))


def like_pattern(value: object) -> str:
    """The LIKE pattern for a ``~`` value: ``%value%`` with ``\\ % _`` escaped, unless it has a ``%``."""
    text = _go_string(value)
    pattern = text if contains_unescaped(text, "%") else f"%{escape_unescaped(text, _LIKE_SPECIALS)}%"
    # NOTE: SQLite's LIKE reads its pattern up to a NUL ("%a\x00b%" is "%a"); so does pybase's on
    # Postgres, where a NUL is held escaped (pybase.store.pg_nul)
    return pattern.split("\x00", 1)[0] if "\x00" in pattern else pattern


def _like(positive: bool, left: ResolvedField, right: ResolvedField) -> ColumnElement[bool]:
    op = operators.like_op if positive else operators.not_like_op
    if right.params:
        wrapped = {id(param) for param in right.params}

        def wrap(element: ExternallyTraversible, **_: Any) -> ExternallyTraversible | None:
            if id(element) in wrapped and isinstance(element, BindParameter):
                return bind_value(like_pattern(element.value))
            return None

        pattern = replacement_traverse(right.expression, {}, wrap)
    else:
        # NOTE: a column (or NULL/TRUE) on the right: contains-match on its value.
        pattern = bind_value("%").concat(right.expression).concat(bind_value("%"))
    return _binary(left.expression, op, pattern, escape="\\")


def _first_column(subquery: Any) -> ColumnElement[Any]:
    return cast(ColumnElement[Any], next(iter(subquery.c)))


class _Compiler:
    __slots__ = ("_clock", "_now", "_resolver")

    def __init__(self, resolver: Resolver, clock: Clock) -> None:
        self._resolver = resolver
        self._clock = clock
        self._now: datetime | None = None

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Expr):
            return self.expr(node)
        if isinstance(node, Group):
            return self.node(node.node)
        if isinstance(node, And):
            return and_(*(self.node(item) for item in node.items))
        if isinstance(node, Or):
            return or_(*(self.node(item) for item in node.items))
        raise TypeError(f"not a filter node: {node!r}")

    def expr(self, node: Expr) -> ColumnElement[bool]:
        left = self.operand(node.left, "left")
        right = self.operand(node.right, "right")
        return self.build(left, node.op, right)

    def build(self, left: ResolvedField, op: str, right: ResolvedField) -> ColumnElement[bool]:
        """PocketBase's ``buildResolversExpr``: one comparison plus multi-match and hooks."""
        any_match = op.startswith("?")
        base = op[1:] if any_match else op
        expr: ColumnElement[bool]
        if base in ("=", "!="):
            expr = _equal(base == "=", left, right)
        elif base in ("~", "!~"):
            expr = _like(base == "~", left, right)
        else:
            expr = _binary(left.expression, _COMPARISONS[base], right.expression)
        if not any_match:
            expr = self._every_item(expr, left, op, right)
        if left.after_build is not None:
            expr = left.after_build(expr)
        if right.after_build is not None:
            expr = right.after_build(expr)
        return expr

    def _every_item(
        self, expr: ColumnElement[bool], left: ResolvedField, op: str, right: ResolvedField
    ) -> ColumnElement[bool]:
        """AND ``NOT EXISTS`` an item breaking ``op`` when a side is multi-valued."""
        if left.multi_match is not None and right.multi_match is not None:
            left_items = left.multi_match.subquery()
            right_items = right.multi_match.subquery()
            breaking = self.build(
                ResolvedField(_first_column(left_items), null_fallback=left.null_fallback),
                op,
                ResolvedField(
                    _first_column(right_items),
                    null_fallback=right.null_fallback,
                    after_build=not_,
                ),
            )
            items: Any = left_items.outerjoin(right_items, true())
        elif left.multi_match is not None or right.multi_match is not None:
            many, other = (left, right) if left.multi_match is not None else (right, left)
            assert many.multi_match is not None
            items = many.multi_match.subquery()
            item = ResolvedField(
                _first_column(items), null_fallback=many.null_fallback, after_build=not_
            )
            # NOTE: as in PocketBase, the other side keeps only its SQL and bound values.
            plain = ResolvedField(other.expression, params=other.params, keyword=other.keyword)
            if many is left:
                breaking = self.build(item, op, plain)
            else:
                breaking = self.build(plain, op, item)
        else:
            return expr
        violation = exists(select(literal(1)).select_from(items).where(breaking))
        return and_(expr, ~violation)

    def operand(self, node: Operand, side: str) -> ResolvedField:
        """Resolve one operand: literal, macro, resolver field, keyword or function call."""
        if isinstance(node, Text):
            return ResolvedField.value(node.value)
        if isinstance(node, Number):
            return ResolvedField.value(node.value)
        if isinstance(node, Function):
            return self.function(node)
        return self.identifier(node, side)

    def identifier(self, node: Identifier, side: str) -> ResolvedField:
        macro = MACROS.get(node.name)
        if macro is not None:
            return ResolvedField.value(macro(self.now()))
        reason = "unknown field"
        try:
            resolved = self._resolver.resolve(node.name)
        except FilterError as ex:
            resolved, reason = None, ex.message
        if resolved is not None:
            return resolved
        keyword = node.name.lower()
        if keyword == "null":
            return ResolvedField.null()
        if keyword in ("true", "false"):
            return ResolvedField.boolean(keyword == "true")
        raise FilterError(f"invalid {side} operand {go_quote(node.name)} - {reason}", node.position)

    def now(self) -> datetime:
        """The clock's time in UTC, read once per compilation."""
        if self._now is None:
            moment = self._clock()
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            self._now = moment.astimezone(UTC)
        return self._now

    def function(self, node: Function) -> ResolvedField:
        if node.name == "geoDistance":
            return self.geo_distance(node)
        if node.name == "strftime":
            return self.strftime(node)
        raise FilterError(f"unknown function {go_quote(node.name)}", node.position)

    def geo_distance(self, node: Function) -> ResolvedField:
        """``geoDistance(lonA, latA, lonB, latB)``: Haversine distance in km."""
        if len(node.args) != 4:
            raise FilterError(
                f"[geoDistance] expected 4 arguments, got {len(node.args)}", node.position
            )
        resolved: list[ResolvedField] = []
        for index, arg in enumerate(node.args):
            if not isinstance(arg, Identifier | Number):
                raise FilterError(
                    f"[geoDistance] argument {index} must be an identifier or number", arg.position
                )
            # NOTE: multi-valued arguments match if any item does (PocketBase ignores multi-match).
            resolved.append(self.operand(arg, "geoDistance argument"))
        lon_a, lat_a, lon_b, lat_b = (operand.expression for operand in resolved)
        radians = func.radians
        distance = bind_value(_EARTH_RADIUS_KM) * func.acos(
            func.cos(radians(lat_a))
            * func.cos(radians(lat_b))
            * func.cos(radians(lon_b) - radians(lon_a))
            + func.sin(radians(lat_a)) * func.sin(radians(lat_b))
        )
        return ResolvedField(
            # NOTE: a REAL (as SQLite's acos() makes it): text meeting it reads "0.0", not "0".
            type_coerce(distance, Float()),
            params=tuple(param for operand in resolved for param in operand.params),
            null_fallback=NullFallback.DISABLED,
        )

    def strftime(self, node: Function) -> ResolvedField:
        """``strftime(format, [time-value, modifiers...])`` as SQLite's, NULL read as empty."""
        args = node.args
        if not args:
            raise FilterError("[strftime] expected at least 1 argument", node.position)
        if len(args) > MAX_STRFTIME_ARGS:
            raise FilterError(
                f"[strftime] too many arguments (max {MAX_STRFTIME_ARGS}, got {len(args)})",
                node.position,
            )
        if not isinstance(args[0], Text):
            raise FilterError(
                "[strftime] the first argument must be a format string", node.position
            )
        if len(args) > 1 and not isinstance(args[1], Text | Identifier | Number):
            raise FilterError("[strftime] invalid time-value argument", args[1].position)
        for arg in args[2:]:
            if not isinstance(arg, Text):
                raise FilterError("[strftime] modifiers must be strings", arg.position)
        resolved = [self.operand(arg, "strftime argument") for arg in args]
        expressions = [operand.expression for operand in resolved]
        multi_match = None
        if len(resolved) > 1 and resolved[1].multi_match is not None:
            items = resolved[1].multi_match
            value = next(iter(items.selected_columns))
            multi_match = items.with_only_columns(
                func.strftime(expressions[0], value, *expressions[2:]),
                maintain_column_froms=True,
            )
        return ResolvedField(
            func.strftime(*expressions),
            params=tuple(param for operand in resolved for param in operand.params),
            null_fallback=NullFallback.ENFORCED,
            multi_match=multi_match,
        )
