"""SQLite's arithmetic in a view query made to read on Postgres (the parsed query, before the
dialect renders it; :func:`pybase.store.view_sql.prepare` runs these passes): sums of integers
in 64 bits (:func:`exact_sums`), ``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a % b`` with
SQLite's classes and range (:func:`arithmetic`), a REAL among max()/min()'s or coalesce()'s
numbers with its point (:func:`real_extremes`, :func:`real_branches`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from pybase.store import view_kinds, view_nodes
from pybase.store.sqlite_functions_base import call
from pybase.store.view_nodes import branch_values as every_value
from pybase.store.view_nodes import subquery_value
from pybase.store.view_reals import (
    INT_TESTS,
    REAL,
    all_of,
    branch_values,
    is_real_cast,
    item_value,
    shows_real,
    unwrapped,
)
from pybase.tools.dbutils import exp


def exact_sums(tree: Any, kinds: dict[str, str]) -> None:
    """``sum(n)`` of a number field (and its window) as SQLite sums: integers in 64 bits, an
    integer (``pb_sum``: Postgres sums doubles, 53 bits, and its sum of integral values reads as
    an integer where SQLite's of REALs is one)."""
    for node in list(tree.find_all(exp.Sum)):
        column = node.this
        if node.expressions or node.args.get("distinct"):
            continue
        window = node.parent if isinstance(node.parent, exp.Window) and node.parent.this is node else None
        if not isinstance(column, exp.Column) or kinds.get(column.name.lower()) != view_kinds.NUM:
            tests = _summed_tests(column, kinds)
            if tests is None:
                continue
            # NOTE: values that may be integers (sum(CAST(n AS INTEGER))): summed exactly, past
            # 64 bits SQLite's "integer overflow" (Postgres's sum of bigints is a numeric)
            total: Any = exp.Sum(this=_exact_operand(column))
            test: Any = all_of(tests) if tests else exp.Boolean(this=True)
            ints: Any = exp.Anonymous(this="bool_and", expressions=[test])
        else:
            total = exp.Sum(this=call("pb_inum", column.copy()))
            ints = exp.Anonymous(this="bool_and", expressions=[call("pb_is_integer", column.copy())])
        if window is not None:
            total, ints = (_with_this(window, part) for part in (total, ints))
        done = call("pb_sum", total, ints)
        done.meta[INT_TESTS] = [ints.copy()]
        (window or node).replace(done)


def _summed_tests(value: Any, kinds: dict[str, str]) -> list[Any] | None:
    """The tests that the values sum(``value``) reads are integers (:func:`_int_tests`), or
    None: of a subquery's column those of the expression it stands for when they need none (an
    integer literal, a CAST to INTEGER), in each SELECT of a UNION too."""
    if not isinstance(value, exp.Column):
        return _int_tests(value, kinds)
    if kinds.get(value.name.lower()):
        return None
    items = _union_items(value)
    if items is None:
        item = view_nodes.subquery_item(value)
        items = [item] if item is not None else []
    found = [_int_tests(unwrapped(item), kinds) for item in items]
    return [] if found and all(tests == [] for tests in found) else None


def _union_items(column: Any) -> list[Any] | None:
    """The expressions of each SELECT of the UNION (INTERSECT, EXCEPT) subquery ``column`` is
    read from (SELECT sum(x) FROM (SELECT 1 AS x UNION ALL SELECT 2)), or None."""
    select = column.find_ancestor(exp.Select)
    source = select.args.get("from_") if select is not None else None
    if source is None or select.args.get("joins") or not isinstance(source.this, exp.Subquery):
        return None
    operation = source.this.this
    if not isinstance(operation, exp.SetOperation):
        return None
    branches: list[Any] = []
    stack = [operation]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.SetOperation):
            stack.extend((node.expression, node.this))
        else:
            branches.append(node.this if isinstance(node, exp.Subquery) else node)
    if not all(isinstance(branch, exp.Select) for branch in branches):
        return None
    names = [item.alias_or_name.lower() for item in branches[0].expressions]
    if column.name.lower() not in names or any(len(branch.expressions) != len(names) for branch in branches):
        return None
    position = names.index(column.name.lower())
    return [item_value(branch.expressions[position]) for branch in branches]


def _with_this(window: Any, part: Any) -> Any:
    copy = window.copy()
    copy.set("this", part)
    return copy


def arithmetic(tree: Any, kinds: dict[str, str]) -> None:
    """``a + b``, ``a - b``, ``a * b``, ``a / b`` as SQLite computes them (``pb_add``...): past
    a double's range an infinity, below it 0, by 0 NULL, two integers in 64 bits (Postgres
    raises "value out of range", "integer out of range", "division by zero"), a text (a truth)
    as the number SQLite reads it as (``pb_arith_arg``; Postgres has no ``text + integer``).
    An operation of number columns and literals calls the SQL function Postgres inlines; one
    of anything else (another operation, a function) the plpgsql one (``pb_add_nested``): a
    costly operand used twice stops Postgres inlining an SQL function, and its call then costs
    ~20 us a row. A text literal operand is the number literal SQLite reads ('4' is 4, an integer);
    an operation of two integer literals is computed here, as SQLite (a REAL past 64 bits, where
    Postgres raises "bigint out of range"). An operation whose values may be integers (a number
    or text column, an integer literal, another such operation) is computed in numeric
    (:func:`_integer_operation`), ``a % b`` too (:func:`_modulo`). ``kinds``: as :func:`prepare`'s."""
    names = {"Add": "pb_add", "Sub": "pb_sub", "Mul": "pb_mul", "Div": "pb_div"}
    # NOTE: innermost first (find_all goes breadth-first): an operand is translated already
    for node in reversed(list(tree.find_all(exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg))):
        if isinstance(node, exp.Mod) and "start" in node.meta:
            continue  # NOTE: mod(a, b), the real remainder (view_functions)
        for key in ("this", "expression"):
            operand = node.args.get(key)
            number = _text_number(operand) if isinstance(operand, exp.Literal) and operand.is_string else None
            if number is not None:
                operand.replace(number)  # NOTE: '4' + 1 is 5, an integer ('4.0' + 1 a real)
        if isinstance(node, exp.Neg) and _held_value(node.this) is not None:
            # NOTE: -json_extract(...): 0 minus the value, its class kept (an infinity, an integer)
            tests = _int_tests(node.this, kinds) or []
            node.replace(_integer_operation("pb_sub", [exp.Literal.number(0), node.this], tests, kinds))
            continue
        if isinstance(node, exp.Neg):
            if not _is_number(node.this, kinds):
                node.set("this", _operand(node.this.copy()))  # NOTE: -title: Postgres has no - text
            continue
        operands = [node.this, node.expression]
        if isinstance(node, exp.Mod):
            node.replace(_modulo(operands, kinds))
            continue
        name = names[type(node).__name__]
        folded = _folded(type(node).__name__, operands)
        if folded is not None:
            node.replace(folded)
            continue
        found = [_int_tests(operand, kinds) for operand in operands]
        tests = None if None in found else [test for each in found for test in each or []]
        if tests is not None:
            node.replace(_integer_operation(name, operands, tests, kinds))
            continue
        real = any(_is_real(operand) for operand in operands)
        if not all(_is_number(operand, kinds) for operand in operands):
            name += "_nested"
            operands = [_operand(operand) for operand in operands]
        done = call(name, *(operand.copy() for operand in operands))
        done.meta[INT_TESTS] = None
        done.meta[REAL] = real
        node.replace(done)


def _integer_operation(name: str, operands: list[Any], tests: list[Any], kinds: dict[str, str]) -> Any:
    """An operation whose values SQLite may hold as integers (``tests``: that they are) as
    SQLite computes it: in 64 bits when they are (a number field's integral value is held as an
    integer, a text that reads as one becomes one; 4 / 3 is 1), a REAL past them, else in
    doubles; computed in numeric (``pb_int_add``...), which holds the integer and the double
    exactly (Postgres's doubles keep 53 bits: n + 9007199254740993 lost its last digit)."""
    ints = all_of(tests) if tests else exp.Boolean(this=True)
    name = name.replace("pb_", "pb_int_", 1)
    if all(_is_number(operand, kinds) for operand in operands):
        args = [operand.copy() for operand in operands]  # NOTE: a double column, an integer literal
    else:
        name += "_nested"
        args = [_exact_operand(operand) for operand in operands]
    done = call(name, *args, ints)
    done.meta[INT_TESTS] = tests
    done.meta[REAL] = False
    return done


def _modulo(operands: list[Any], kinds: dict[str, str]) -> Any:
    """SQLite's ``a % b``: the remainder of the integers a and b read as (within 64 bits, exact:
    ``pb_int_mod`` of numerics), NULL for 0; a REAL when either is one (7.5 % 2 is 1.0)."""
    found = [_int_tests(operand, kinds) for operand in operands]
    done = call("pb_int_mod", *(_exact_operand(operand) for operand in operands))
    done.meta[INT_TESTS] = None if None in found else [test for each in found for test in each or []]
    done.meta[REAL] = any(_is_real(operand) for operand in operands)
    return done


def _exact_operand(node: Any) -> Any:
    """``node`` as the exact number SQLite's arithmetic reads (numeric)."""
    held = _held_value(node)
    if held is not None:
        return call("pb_sql_exact_arg", held)
    inner = unwrapped(node)
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower().startswith("pb_int_"):
        return node.copy()
    if isinstance(inner, exp.Null):
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("decimal"))
    if isinstance(inner, exp.Literal):
        return exp.Cast(this=inner.copy(), to=exp.DataType.build("decimal"))
    return call("pb_exact_arg", node.copy())


# SQLite's number at the start of a text (arithmetic reads a text so)
_TEXT_NUMBER_RE = re.compile(r"^[ \t\n\f\r\v]*([-+]?)([0-9]*)(\.[0-9]*)?(?:[eE][-+]?[0-9]+)?")


def _int_literal(node: Any) -> int | None:
    negated = False
    while isinstance(node, exp.Paren | exp.Neg):
        negated ^= isinstance(node, exp.Neg)
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).lstrip("-").isdigit():
        return -int(str(node.this)) if negated else int(str(node.this))
    return None


def _folded(kind: str, operands: list[Any]) -> Any | None:
    """An operation of two integer literals as SQLite computes it: an integer within 64 bits,
    past them the REAL of the doubles' operation (Postgres raises "bigint out of range"); a
    division toward 0, NULL by 0. None for other operands."""
    a, b = (_int_literal(operand) for operand in operands)
    if a is None or b is None:
        return None
    if kind == "Div":
        if b == 0:
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("bigint"))
        found = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    else:
        found = {"Add": a + b, "Sub": a - b, "Mul": a * b}[kind]
    if -(2**63) <= found < 2**63:
        done: Any = exp.Literal.number(found)
        done.meta[INT_TESTS] = []
        return exp.Paren(this=done) if found < 0 else done
    real = {"Add": float(a) + float(b), "Sub": float(a) - float(b), "Mul": float(a) * float(b), "Div": float(a) / float(b)}[kind]
    done = exp.Cast(this=exp.Literal.number(repr(real)), to=exp.DataType.build("double"))
    done.meta[INT_TESTS] = None
    done.meta[REAL] = True
    return done


def _text_number(node: Any) -> Any | None:
    """The number literal SQLite's arithmetic reads a text literal as (the number it starts
    with, an integer without a point or an exponent within 64 bits; 0 without one), or None
    (one past a double's range: left to pb_arith_arg)."""
    text = str(node.this)
    found = _TEXT_NUMBER_RE.match(text)
    assert found is not None
    sign, digits, point = found.group(1), found.group(2), found.group(3)
    prefix = found.group(0).strip()
    if not digits and not (point and len(point) > 1):
        return exp.Literal.number(0)  # NOTE: no number ('abc', '.', '-'): 0, an integer
    if point is None and prefix == sign + digits:
        value = int(prefix)
        if -(2**63) <= value < 2**63:
            return exp.Literal.number(value)
    real = float(prefix)
    if math.isinf(real):
        return None
    return exp.Literal.number(repr(real))


def _is_real(node: Any) -> bool:
    """Whether SQLite's value of ``node`` is a REAL whatever the values it reads."""
    while isinstance(node, exp.Paren | exp.Neg) and view_nodes.SQL_VALUE not in node.meta:
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        return not str(node.this).lstrip("-").isdigit()
    return bool(node.meta.get(REAL)) or is_real_cast(node)


def real_extremes(tree: Any) -> None:
    """A REAL among max()/min()'s exact numbers (view_branches: ``max(n * 1.0, 1)``) with its
    point (``pb_real_numeric``): the one picked keeps its class."""
    for node in list(tree.find_all(exp.Greatest, exp.Least)):
        for value in [node.this, *node.expressions]:
            if isinstance(value, exp.Anonymous) and str(value.this).lower() == "pb_exact_arg" and shows_real(value.expressions[0]):
                value.replace(call("pb_real_numeric", value.expressions[0].copy()))


def real_branches(tree: Any, kinds: dict[str, str]) -> None:
    """coalesce(), CASE (CASE x WHEN ... too) and max()/min() of numbers of which one is a REAL
    (``coalesce(n * 1.0, 0)``, ``max(n, 0.5)``) as exact numbers, the REAL with its point
    (``pb_real_numeric``): the value picked keeps its class (Postgres's double of it reads 4.0
    as the integer 4)."""
    for node in list(tree.find_all(exp.Coalesce, exp.Case, exp.If, exp.Greatest, exp.Least)):
        simple = isinstance(node, exp.Greatest | exp.Least) or (isinstance(node, exp.Case) and node.this is not None)
        values = [v for v in every_value(node) if not isinstance(unwrapped(v), exp.Null)] if simple else branch_values(node)
        if not values or not any(shows_real(value) for value in values):
            continue
        if not all(_is_number_value(value, kinds) for value in values):
            continue
        for value in values:
            inner = unwrapped(value)
            if shows_real(value):
                value.replace(call("pb_real_numeric", value.copy()))
            elif isinstance(inner, exp.Literal):
                value.replace(exp.Cast(this=inner.copy(), to=exp.DataType.build("decimal")))
            else:
                value.replace(_exact_operand(value))


def _is_number_value(node: Any, kinds: dict[str, str]) -> bool:
    """Whether ``node`` is a number SQLite holds with its class: a number literal or column,
    an operation."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Literal) or shows_real(node):
        return not inner.is_string if isinstance(inner, exp.Literal) else True
    if isinstance(inner, exp.Column):
        return kinds.get(inner.name.lower()) == view_kinds.NUM
    if isinstance(inner, exp.Coalesce | exp.Case | exp.If):
        values = branch_values(inner)  # NOTE: coalesce(CASE WHEN n < 4 THEN n END, n * 1.0)
        return bool(values) and all(_is_number_value(value, kinds) for value in values)
    if view_nodes.CAST_AFFINITY in inner.meta or isinstance(inner, exp.Cast):
        found = inner.meta.get(view_nodes.CAST_AFFINITY) or view_nodes.cast_affinity(inner)
        return found == "integer"  # NOTE: CAST(n AS INTEGER)
    return isinstance(inner, exp.Anonymous) and inner.meta.get(INT_TESTS) is not None


def _int_tests(node: Any, kinds: dict[str, str]) -> list[Any] | None:
    """The tests that the values ``node`` reads are integers in SQLite, which make it an integer
    ([] for an integer literal, ``count(*)``), or None when it may be a real however they are:
    a number column (an integral value is stored as an integer), a text column (a text reads as
    an integer without a point or an exponent), sum/abs/min/max of one, an operation of such."""
    while isinstance(node, exp.Paren | exp.Neg) and view_nodes.SQL_VALUE not in node.meta:
        node = node.this
    held = _held_value(node)
    if held is not None:
        return [call("pb_is_int_value", held)]  # NOTE: json_extract('[7]', '$[0]') / 2 is 3
    if isinstance(node, exp.Literal):
        return [] if not node.is_string and str(node.this).isdigit() else None
    if node.meta.get(view_nodes.CAST_AFFINITY) == "real":
        return None  # NOTE: a REAL whatever it reads (abs('4'))
    if node.meta.get(view_nodes.TRUTH_NUMBER):
        return []  # NOTE: a truth's 0/1
    column = node if isinstance(node, exp.Column) else _subquery_column(node)
    if column is not None:
        # NOTE: a scalar subquery of a column ((SELECT n FROM t) / 2): the value it answers tested
        kind = kinds.get(column.name.lower())
        tests = {view_kinds.NUM: "pb_is_integer", view_kinds.TEXT: "pb_is_integer_text", view_kinds.VIEW_JSON: "pb_is_int_value"}
        test = tests.get(kind or "")
        return [call(test, node.copy())] if test else None
    if isinstance(node, exp.Count | exp.Length):
        return []
    branched = _branch_test(node, kinds)
    if branched is not None:
        return [branched]
    if isinstance(node, exp.Coalesce) and all(_is_number(value, kinds) for value in (node.this, *node.expressions)):
        return [call("pb_is_integer", node.copy())]  # NOTE: the value it picks
    if isinstance(node, exp.Sum | exp.Abs | exp.Max | exp.Min) and not node.expressions and isinstance(node.this, exp.Column):
        inner = _int_tests(node.this, kinds)
        if not inner or isinstance(node, exp.Abs):
            return inner
        if isinstance(node, exp.Sum):  # NOTE: an integer when every value summed is one
            return [exp.Anonymous(this="bool_and", expressions=[inner[0]])]
        return [call(inner[0].name, node.copy())]  # NOTE: the value found's own
    if isinstance(node, exp.Anonymous) and node.meta.get(view_nodes.CAST_AFFINITY) == "integer":
        return []  # NOTE: CAST(x AS INTEGER)
    if _holds_class(node):
        return [call("pb_is_int_value", node.copy())]
    found = node.meta.get(INT_TESTS)
    return list(found) if isinstance(node, exp.Anonymous) and found is not None else None


def _branch_test(node: Any, kinds: dict[str, str]) -> Any | None:
    """The test that the value a coalesce()/ifnull(), CASE, iif(), nullif() or max()/min() picks is SQLite's
    INTEGER, when its values are all numbers (``pb_is_int_value``: an integral double, a numeric
    without a point: real_branches gives a REAL among them its point) or all texts
    (``pb_is_integer_text``); None for another node (values of two kinds are a SQL value:
    view_branches.Branches.branches)."""
    if isinstance(node, exp.Nullif):
        values = [node.this]
    elif isinstance(node, exp.Greatest | exp.Least) or (isinstance(node, exp.Case) and node.this is not None):
        values = every_value(node)  # NOTE: max(a, b), CASE x WHEN ...
    elif isinstance(node, exp.Coalesce | exp.Case | exp.If):
        values = branch_values(node)
    else:
        return None
    values = [value for value in values if not isinstance(unwrapped(value), exp.Null)]
    if not values:
        return None
    if all(_is_number_value(value, kinds) for value in values):
        return call("pb_is_int_value", node.copy())
    if all(_is_text_value(value, kinds) for value in values):
        return call("pb_is_integer_text", node.copy())
    return None


def _is_text_value(node: Any, kinds: dict[str, str]) -> bool:
    """Whether ``node`` is a text: a text literal or column, a nullif()/coalesce()/CASE of texts."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Literal):
        return inner.is_string
    if isinstance(inner, exp.Nullif):
        return _is_text_value(inner.this, kinds)
    if isinstance(inner, exp.Coalesce | exp.Case | exp.If):
        values = [value for value in every_value(inner) if not isinstance(unwrapped(value), exp.Null)]
        return bool(values) and all(_is_text_value(value, kinds) for value in values)
    return isinstance(inner, exp.Column) and kinds.get(inner.name.lower()) == view_kinds.TEXT


def _subquery_column(node: Any) -> Any | None:
    """The column a scalar subquery of one column of a table answers (``(SELECT n FROM t)``), or None."""
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Subquery):
        node = node.this  # NOTE: ((SELECT ...)), in parentheses
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select) or len(node.this.expressions) != 1:
        return None
    inner = unwrapped(item_value(node.this.expressions[0]))
    if not isinstance(inner, exp.Column) or isinstance(inner.this, exp.Star) or view_nodes.subquery_item(inner) is not None:
        return None
    return inner


def _holds_class(node: Any) -> bool:
    """Whether ``node``'s value is a numeric whose point tells SQLite's class (pb_is_int_value):
    max/min of exact numbers (view_branches), a scalar subquery of an operation or a sum."""
    if isinstance(node, exp.Greatest | exp.Least):
        values = [node.this, *node.expressions]
        exact = ("pb_exact_arg", "pb_real_numeric")
        return all(isinstance(v, exp.Anonymous) and str(v.this).lower() in exact or isinstance(v, exp.Cast) for v in values)
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Subquery):
        node = node.this  # NOTE: ((SELECT ...)), in parentheses
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select) and len(node.this.expressions) == 1:
        inner = unwrapped(item_value(node.this.expressions[0]))
        return isinstance(inner, exp.Anonymous) and str(inner.this).lower().startswith(("pb_int_", "pb_sum"))
    return False


def _is_number(node: Any, kinds: dict[str, str]) -> bool:
    """Whether ``node`` is a number costing Postgres an operator or two (a number column or
    literal, negated or cast): an inlined function may use it twice."""
    while isinstance(node, exp.Paren | exp.Neg | exp.Cast) and view_nodes.SQL_VALUE not in node.meta:
        node = node.this
    if isinstance(node, exp.Literal | exp.Null):
        return not node.is_string if isinstance(node, exp.Literal) else True
    return isinstance(node, exp.Column) and kinds.get(node.name.lower()) == view_kinds.NUM


def _operand(node: Any) -> Any:
    """``node`` as a number (a text as SQLite reads it); an operation's result is one already."""
    held = _held_value(node)
    if held is not None:
        return call("pb_sql_arith_arg", held)
    inner = unwrapped(node)
    if isinstance(inner, exp.Literal) and not inner.is_string:
        return node
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower().startswith(("pb_add", "pb_sub", "pb_mul", "pb_div", "pb_idiv", "pb_int_")):
        return node
    return call("pb_arith_arg", node)


def _held_value(node: Any) -> Any | None:
    """The SQL value (a jsonb number or string) ``node`` stands for where it is shown as its text
    (``json_extract(...)``, a json_each() value, a scalar subquery of one: view_nodes'
    SQL_VALUE), or None: arithmetic reads the value, whose class and range its text lost (an
    infinity's text 'Inf' reads as 0, a REAL's 15 digits are not its double)."""
    while isinstance(node, exp.Paren) and view_nodes.SQL_VALUE not in node.meta:
        node = node.this
    if view_nodes.SQL_VALUE in node.meta:
        return node.meta[view_nodes.SQL_VALUE].copy()
    return subquery_value(node)
