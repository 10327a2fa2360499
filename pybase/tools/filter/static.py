"""Evaluate a compiled condition that reads no column (only bound values) without SQL.

A rule such as ``@request.auth.id != ''`` compiles to ``:p IS NOT ''``: its answer does not
depend on any row, so running it through SQLite only costs time. :func:`evaluate_static`
computes what SQLite would answer, for the node kinds such rules compile to (``=``, ``!=``,
``IS [NOT]``, order comparisons, ``AND``/``OR``/``NOT``, TRUE/FALSE/NULL, bound scalars);
anything else raises :class:`NotStatic` and the caller runs the SQL as before.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    AsBoolean,
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    False_,
    Grouping,
    Null,
    True_,
    UnaryExpression,
)


class NotStatic(Exception):
    """The condition reads a column or uses SQL this evaluator does not model."""


# SQLite's order of storage classes: NULL < INTEGER/REAL < TEXT (no BLOBs are bound here).
_NUMERIC, _TEXT = 1, 2

_EQUALITY = {
    operators.eq: (False, False),
    operators.ne: (False, True),
    operators.is_: (True, False),
    operators.is_not_distinct_from: (True, False),
    operators.is_not: (True, True),
    operators.is_distinct_from: (True, True),
}
_ORDER = {operators.gt, operators.ge, operators.lt, operators.le}


def is_static(condition: ClauseElement) -> bool:
    """Whether ``condition`` reads nothing from any table (no FROM object)."""
    return not getattr(condition, "_from_objects", True)


def evaluate_static(condition: ClauseElement, params: dict[str, Any] | None = None) -> bool:
    """Whether SQLite would find ``condition`` true (NULL counts as false, as in WHERE).

    ``params`` overrides the values of named bound parameters (a condition compiled once).
    """
    return _eval(condition, params or {}) == 1


def _value(node: ClauseElement, params: dict[str, Any]) -> Any:
    """A scalar operand as SQLite sees it: None, int, float or str (bools become 0/1)."""
    if isinstance(node, Grouping):
        return _value(node.element, params)
    if isinstance(node, BindParameter):
        if node.callable is not None:
            raise NotStatic("callable parameter")
        value = params[node.key] if node.key in params else node.value
        if isinstance(value, float) and math.isnan(value):
            return None  # NOTE: SQLite binds NaN as NULL
        if value is None or isinstance(value, str | float):
            return value
        if isinstance(value, bool | int):
            return int(value)
        raise NotStatic(f"bound {type(value).__name__}")
    if isinstance(node, Null):
        return None
    if isinstance(node, True_):
        return 1
    if isinstance(node, False_):
        return 0
    return _eval(node, params)


def _class(value: Any) -> int:
    return _TEXT if isinstance(value, str) else _NUMERIC


def _compare(left: Any, right: Any) -> int:
    """-1/0/1 as SQLite's BINARY comparison of two non-NULL values without affinity."""
    lc, rc = _class(left), _class(right)
    if lc != rc:
        return -1 if lc < rc else 1
    if lc == _TEXT:
        # NOTE: UTF-8 byte order (SQLite's memcmp) is code point order, as Python compares.
        return (left > right) - (left < right)
    return (left > right) - (left < right)


def _eval(node: ClauseElement, params: dict[str, Any]) -> int | None:
    """1 (true), 0 (false) or None (NULL)."""
    if isinstance(node, Grouping):
        return _eval(node.element, params)
    if isinstance(node, True_ | False_ | Null):
        return _value(node, params)  # type: ignore[no-any-return]
    if isinstance(node, BooleanClauseList):
        return _logic(node, params)
    if isinstance(node, AsBoolean):
        # NOTE: what and_()/or_() make of TRUE/FALSE alone (SQLite: ``1 = 1``, ``0 = 1``).
        if isinstance(node.element, BindParameter):
            raise NotStatic("value as a boolean")
        inner = _eval(node.element, params)
        if node.operator is operators.is_false:
            return None if inner is None else 1 - inner
        return inner
    if isinstance(node, UnaryExpression):
        if node.operator is operators.inv and node.modifier is None:
            inner = _eval(node.element, params)
            return None if inner is None else 1 - inner
        raise NotStatic("unary")
    if isinstance(node, BinaryExpression):
        return _binary(node, params)
    if isinstance(node, BindParameter):
        # NOTE: a bare value as a condition: SQLite tests it as a number.
        value = _value(node, params)
        if isinstance(value, str):
            raise NotStatic("text as a condition")
        return None if value is None else int(value != 0)
    raise NotStatic(type(node).__name__)


def _logic(node: BooleanClauseList, params: dict[str, Any]) -> int | None:
    """AND/OR in SQL's three-valued logic."""
    results = [_eval(c, params) for c in node.clauses]
    if node.operator is operators.and_:
        if 0 in results:
            return 0
        return None if None in results else 1
    if node.operator is operators.or_:
        if 1 in results:
            return 1
        return None if None in results else 0
    raise NotStatic("clause list")


def _binary(node: BinaryExpression[Any], params: dict[str, Any]) -> int | None:
    op = node.operator
    if node.modifiers:
        raise NotStatic("modifiers")
    if op in _EQUALITY:
        null_safe, negate = _EQUALITY[op]
        left, right = _value(node.left, params), _value(node.right, params)
        if left is None or right is None:
            if not null_safe:
                return None
            equal = left is None and right is None
        else:
            equal = _compare(left, right) == 0
        return int(equal != negate)
    if op in _ORDER:
        left, right = _value(node.left, params), _value(node.right, params)
        if left is None or right is None:
            return None
        return int(op(_compare(left, right), 0))
    raise NotStatic(f"operator {getattr(op, '__name__', op)}")
