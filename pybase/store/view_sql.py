"""A view query written for SQLite, made to read on Postgres as on SQLite (the parsed query,
before the dialect renders it):

- a column shown without a name is named as SQLite names it: after its text as written
  (``views*2``, ``abs(n)``), ``columnN`` for TRUE/FALSE (Postgres would say ``?column?`` or
  the function's name), so PocketBase's checks of field names answer alike;
- a truth the view shows (``a > b``, ``TRUE``) is SQLite's 0/1, in every SELECT of a UNION
  (and INTERSECT, EXCEPT) too, and so is one used as a value (``(a > b) || 'x'``, ``abs(a > b)``);
- comparisons of values of two types and the JSON operators -> and ->> as SQLite answers them
  (:mod:`pybase.store.view_compare`);
- SQLite's functions Postgres lacks or answers otherwise (:mod:`pybase.store.sqlite_functions`);
- arithmetic as SQLite computes it, each number with SQLite's class (a REAL's point:
  :mod:`pybase.store.view_reals`);
- a text literal holding a NUL or U+0001 escaped as Postgres holds such text
  (:mod:`pybase.store.pg_nul`), so that it meets the stored text in one spelling.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from pybase.store import pg_nul, sqlite_functions, view_compare, view_scan_order
from pybase.store.view_reals import (
    INT_TESTS,
    REAL,
    all_of,
    branch_values,
    first_select,
    is_real_cast,
    item_value,
    numbers_as_sqlite,
    reals_kept,
    shows_real,
    unwrapped,
)
from pybase.tools.dbutils import exp, sqlglot

# the select list of the query's SELECT ends at these words
_LIST_ENDS = ("FROM", "UNION", "INTERSECT", "EXCEPT", "WHERE", "GROUP_BY", "HAVING", "ORDER_BY", "LIMIT", "WINDOW", "SEMICOLON")


@functools.cache
def _truths() -> tuple[type, ...]:
    return (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)


#: SQLite functions sqlglot reads with a grammar of its own, where an argument stops before a
#: comparison (``json_object('k', n > 2)`` fails to parse: it wants SQL's KEY ... VALUE form)
_OWN_GRAMMAR = frozenset({"json_object"})


def parse(sql: str) -> Any:
    """``sql`` (SQLite's) parsed; a query sqlglot cannot read is read again with each argument
    of the functions of :data:`_OWN_GRAMMAR` in parentheses (``json_object('k', (n > 2))``:
    SQLite reads both alike). Raises sqlglot's error when neither reads."""
    try:
        return sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.SqlglotError as ex:
        again = _arguments_parenthesized(sql)
        if again is None:
            raise
        try:
            return sqlglot.parse_one(again, read="sqlite")
        except sqlglot.errors.SqlglotError:
            raise ex from None


def _arguments_parenthesized(sql: str) -> str | None:
    """``sql`` with each argument of more than one token of the calls of :data:`_OWN_GRAMMAR` in
    parentheses, or None when there is none."""
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None
    inserts: list[tuple[int, str]] = []
    for number, token in enumerate(tokens[:-1]):
        if token.text.lower() not in _OWN_GRAMMAR or tokens[number + 1].token_type != TokenType.L_PAREN:
            continue
        depth, argument = 0, []
        for inner in tokens[number + 1 :]:
            kind = inner.token_type
            if depth == 1 and kind in (TokenType.COMMA, TokenType.R_PAREN):
                if len(argument) > 1:
                    inserts += [(argument[0].start, "("), (argument[-1].end + 1, ")")]
                argument = []
            elif depth >= 1:
                argument.append(inner)
            depth += 1 if kind == TokenType.L_PAREN else -1 if kind == TokenType.R_PAREN else 0
            if depth == 0:
                break
    if not inserts:
        return None
    # NOTE: from the end, so that each offset still holds; a ")" before a "(" at one offset
    for offset, text in sorted(inserts, key=lambda item: (item[0], item[1] == ")"), reverse=True):
        sql = sql[:offset] + text + sql[offset:]
    return sql


def prepare(tree: Any, sql: str, kinds: dict[str, str] | None = None) -> None:
    """Rewrite ``tree`` (``sql`` parsed) in place; raises :class:`sqlite_functions.Refused`.
    ``kinds``: the database's columns' kinds of value (:func:`view_compare.translate`)."""
    name_columns(tree, sql)
    nul_escaped(tree)
    like_escapes(tree)
    truths_as_values(tree)
    view_compare.translate(tree, kinds or {})
    truths_as_numbers(tree)
    values_as_truths(tree)
    exact_sums(tree, kinds or {})
    arithmetic(tree, kinds or {})
    real_extremes(tree)
    real_branches(tree, kinds or {})
    view_scan_order.mark(tree, kinds or {})
    sqlite_functions.translate_view(tree)
    numbers_as_sqlite(tree)
    reals_kept(tree)


def nul_escaped(tree: Any) -> None:
    """Each text literal as Postgres holds the text (:func:`pg_nul.escape_text`: a NUL, which
    Postgres's SQL cannot hold, and U+0001 escaped), as the stored text it is compared with is."""
    for literal in tree.find_all(exp.Literal):
        if literal.is_string:
            text = str(literal.this)
            escaped = pg_nul.escape_text(text)
            if escaped is not text:
                literal.set("this", escaped)


def like_escapes(tree: Any) -> None:
    """``x LIKE p ESCAPE e`` as the LIKE, e in its meta (sqlite_functions' pb_like): the truth
    a value reads is the LIKE's (truths_as_values), with its escape."""
    for node in list(tree.find_all(exp.Escape)):
        if isinstance(node.this, exp.Like):
            like = node.this.copy()
            like.meta[sqlite_functions.LIKE_ESCAPE] = node.expression.copy()
            node.replace(like)


def exact_sums(tree: Any, kinds: dict[str, str]) -> None:
    """``sum(n)`` of a number field (and its window) as SQLite sums: integers in 64 bits, an
    integer (``pb_sum``: Postgres sums doubles, 53 bits, and its sum of integral values reads as
    an integer where SQLite's of REALs is one)."""
    for node in list(tree.find_all(exp.Sum)):
        column = node.this
        if node.expressions or node.args.get("distinct"):
            continue
        window = node.parent if isinstance(node.parent, exp.Window) and node.parent.this is node else None
        if not isinstance(column, exp.Column) or kinds.get(column.name.lower()) != view_compare.NUM:
            tests = _summed_tests(column, kinds)
            if tests is None:
                continue
            # NOTE: values that may be integers (sum(CAST(n AS INTEGER))): summed exactly, past
            # 64 bits SQLite's "integer overflow" (Postgres's sum of bigints is a numeric)
            total: Any = exp.Sum(this=_exact_operand(column))
            test: Any = all_of(tests) if tests else exp.Boolean(this=True)
            ints: Any = exp.Anonymous(this="bool_and", expressions=[test])
        else:
            total = exp.Sum(this=sqlite_functions.call("pb_inum", column.copy()))
            ints = exp.Anonymous(this="bool_and", expressions=[sqlite_functions.call("pb_is_integer", column.copy())])
        if window is not None:
            total, ints = (_with_this(window, part) for part in (total, ints))
        done = sqlite_functions.call("pb_sum", total, ints)
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
        item = view_compare.subquery_item(value)
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
            continue  # NOTE: mod(a, b), the real remainder (sqlite_functions)
        for key in ("this", "expression"):
            operand = node.args.get(key)
            number = _text_number(operand) if isinstance(operand, exp.Literal) and operand.is_string else None
            if number is not None:
                operand.replace(number)  # NOTE: '4' + 1 is 5, an integer ('4.0' + 1 a real)
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
        done = sqlite_functions.call(name, *(operand.copy() for operand in operands))
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
    done = sqlite_functions.call(name, *args, ints)
    done.meta[INT_TESTS] = tests
    done.meta[REAL] = False
    return done


def _modulo(operands: list[Any], kinds: dict[str, str]) -> Any:
    """SQLite's ``a % b``: the remainder of the integers a and b read as (within 64 bits, exact:
    ``pb_int_mod`` of numerics), NULL for 0; a REAL when either is one (7.5 % 2 is 1.0)."""
    found = [_int_tests(operand, kinds) for operand in operands]
    done = sqlite_functions.call("pb_int_mod", *(_exact_operand(operand) for operand in operands))
    done.meta[INT_TESTS] = None if None in found else [test for each in found for test in each or []]
    done.meta[REAL] = any(_is_real(operand) for operand in operands)
    return done


def _exact_operand(node: Any) -> Any:
    """``node`` as the exact number SQLite's arithmetic reads (numeric)."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower().startswith("pb_int_"):
        return node.copy()
    if isinstance(inner, exp.Null):
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("decimal"))
    if isinstance(inner, exp.Literal):
        return exp.Cast(this=inner.copy(), to=exp.DataType.build("decimal"))
    return sqlite_functions.call("pb_exact_arg", node.copy())


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
    while isinstance(node, exp.Paren | exp.Neg) and view_compare.SQL_VALUE not in node.meta:
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        return not str(node.this).lstrip("-").isdigit()
    return bool(node.meta.get(REAL)) or is_real_cast(node)


def real_extremes(tree: Any) -> None:
    """A REAL among max()/min()'s exact numbers (view_compare: ``max(n * 1.0, 1)``) with its
    point (``pb_real_numeric``): the one picked keeps its class."""
    for node in list(tree.find_all(exp.Greatest, exp.Least)):
        for value in [node.this, *node.expressions]:
            if isinstance(value, exp.Anonymous) and str(value.this).lower() == "pb_exact_arg" and shows_real(value.expressions[0]):
                value.replace(sqlite_functions.call("pb_real_numeric", value.expressions[0].copy()))


def real_branches(tree: Any, kinds: dict[str, str]) -> None:
    """coalesce() and CASE of numbers of which one is a REAL (``coalesce(n * 1.0, 0)``) as
    exact numbers, the REAL with its point (``pb_real_numeric``): the value picked keeps its
    class (Postgres's double of it reads 4.0 as the integer 4)."""
    for node in list(tree.find_all(exp.Coalesce, exp.Case, exp.If)):
        values = branch_values(node)
        if not values or not any(shows_real(value) for value in values):
            continue
        if not all(_is_number_value(value, kinds) for value in values):
            continue
        for value in values:
            inner = unwrapped(value)
            if shows_real(value):
                value.replace(sqlite_functions.call("pb_real_numeric", value.copy()))
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
        return kinds.get(inner.name.lower()) == view_compare.NUM
    if isinstance(inner, exp.Coalesce | exp.Case | exp.If):
        values = branch_values(inner)  # NOTE: coalesce(CASE WHEN n < 4 THEN n END, n * 1.0)
        return bool(values) and all(_is_number_value(value, kinds) for value in values)
    if view_compare.CAST_AFFINITY in inner.meta or isinstance(inner, exp.Cast):
        found = inner.meta.get(view_compare.CAST_AFFINITY) or view_compare.cast_affinity(inner)
        return found == "integer"  # NOTE: CAST(n AS INTEGER)
    return isinstance(inner, exp.Anonymous) and inner.meta.get(INT_TESTS) is not None


def _int_tests(node: Any, kinds: dict[str, str]) -> list[Any] | None:
    """The tests that the values ``node`` reads are integers in SQLite, which make it an integer
    ([] for an integer literal, ``count(*)``), or None when it may be a real however they are:
    a number column (an integral value is stored as an integer), a text column (a text reads as
    an integer without a point or an exponent), sum/abs/min/max of one, an operation of such."""
    while isinstance(node, exp.Paren | exp.Neg) and view_compare.SQL_VALUE not in node.meta:
        node = node.this
    if isinstance(node, exp.Literal):
        return [] if not node.is_string and str(node.this).isdigit() else None
    if node.meta.get(view_compare.CAST_AFFINITY) == "real":
        return None  # NOTE: a REAL whatever it reads (abs('4'))
    if node.meta.get(view_compare.TRUTH_NUMBER):
        return []  # NOTE: a truth's 0/1
    if isinstance(node, exp.Column):
        kind = kinds.get(node.name.lower())
        tests = {view_compare.NUM: "pb_is_integer", view_compare.TEXT: "pb_is_integer_text", view_compare.VIEW_JSON: "pb_is_int_value"}
        test = tests.get(kind or "")
        return [sqlite_functions.call(test, node.copy())] if test else None
    if isinstance(node, exp.Count | exp.Length):
        return []
    if isinstance(node, exp.Coalesce) and all(_is_number(value, kinds) for value in (node.this, *node.expressions)):
        return [sqlite_functions.call("pb_is_integer", node.copy())]  # NOTE: the value it picks
    if isinstance(node, exp.Sum | exp.Abs | exp.Max | exp.Min) and not node.expressions and isinstance(node.this, exp.Column):
        inner = _int_tests(node.this, kinds)
        if not inner or isinstance(node, exp.Abs):
            return inner
        if isinstance(node, exp.Sum):  # NOTE: an integer when every value summed is one
            return [exp.Anonymous(this="bool_and", expressions=[inner[0]])]
        return [sqlite_functions.call(inner[0].name, node.copy())]  # NOTE: the value found's own
    if isinstance(node, exp.Anonymous) and node.meta.get(view_compare.CAST_AFFINITY) == "integer":
        return []  # NOTE: CAST(x AS INTEGER)
    if _holds_class(node):
        return [sqlite_functions.call("pb_is_int_value", node.copy())]
    found = node.meta.get(INT_TESTS)
    return list(found) if isinstance(node, exp.Anonymous) and found is not None else None


def _holds_class(node: Any) -> bool:
    """Whether ``node``'s value is a numeric whose point tells SQLite's class (pb_is_int_value):
    max/min of exact numbers (view_compare), a scalar subquery of an operation or a sum."""
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
    while isinstance(node, exp.Paren | exp.Neg | exp.Cast) and view_compare.SQL_VALUE not in node.meta:
        node = node.this
    if isinstance(node, exp.Literal | exp.Null):
        return not node.is_string if isinstance(node, exp.Literal) else True
    return isinstance(node, exp.Column) and kinds.get(node.name.lower()) == view_compare.NUM


def _operand(node: Any) -> Any:
    """``node`` as a number (a text as SQLite reads it); an operation's result is one already."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Literal) and not inner.is_string:
        return node
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower().startswith(("pb_add", "pb_sub", "pb_mul", "pb_div", "pb_idiv", "pb_int_")):
        return node
    return sqlite_functions.call("pb_arith_arg", node)


def truths_as_values(tree: Any) -> None:
    """A truth a view's query uses as a value (``(n > 2) || 'x'``, ``abs(n > 2)``,
    ``coalesce(n > 2, 'x')``, a CASE's THEN, ``sum(n > 2)``, a scalar subquery's column) as
    SQLite's 0/1, an integer (Postgres's boolean read "true" or was refused). Not where SQLite
    tests it (WHERE, ON, CASE WHEN, AND/OR/NOT: :func:`values_as_truths`), compares it
    (``(n > 2) = 1``: :mod:`view_compare` compares a boolean as SQLite's 0/1), groups or orders
    by it, nor a column a SELECT shows (the view's: :func:`truths_as_numbers`; a subquery's in
    FROM stays a boolean, and the column reading it is made 1/0 where used as a value)."""
    truths = _truths()
    # NOTE: innermost first (find_all goes breadth-first): an outer truth is copied with its inner ones done
    for node in reversed(list(tree.find_all(*truths, exp.Column, exp.Subquery))):
        if isinstance(node, exp.Column):
            item = view_compare.subquery_item(node)
            if item is None or not isinstance(unwrapped(item), truths):
                continue
        elif isinstance(node, exp.Subquery):
            if not _is_truth_subquery(node):
                continue
        if _used_as_value(node):
            number = exp.Cast(this=exp.Paren(this=node.copy()), to=exp.DataType.build("int"))
            number.meta[view_compare.TRUTH_NUMBER] = True
            node.replace(number)


def _is_truth_subquery(node: Any) -> bool:
    """Whether ``node`` is a scalar subquery (a value) whose one column is a truth."""
    select = node.this
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return False
    return isinstance(unwrapped(item_value(select.expressions[0])), _truths())


@functools.cache
def _not_values() -> tuple[type, ...]:
    """Where a truth is tested, compared, shown, grouped or ordered by, not read as a value."""
    return (exp.Where, exp.Having, exp.Join, exp.And, exp.Or, exp.Not, exp.Select, exp.Alias, exp.Group, exp.Ordered,
            exp.Order, exp.Window, exp.In, exp.Between, exp.Is, exp.From, exp.Exists, *view_compare.comparisons())  # fmt: skip


def _used_as_value(node: Any) -> bool:
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if parent is None or isinstance(parent, _not_values()):
        return False
    if isinstance(parent, exp.If | exp.Case) and child.arg_key == "this":
        return False  # NOTE: CASE WHEN t / iif(t, ...): tested; CASE t WHEN v: compared
    return True


def values_as_truths(tree: Any) -> None:
    """SQLite's truth of any value where the query tests one (``WHERE n``, ``ON a.flag``,
    ``HAVING count(*)``, ``CASE WHEN title``, ``iif(n, ...)``, ``NOT n``, ``a AND b``): a number
    is true when not 0, a text when the number it starts with is not 0 (``pb_truthy``; Postgres
    wants a boolean there)."""
    for node in list(tree.find_all(exp.Where, exp.Having, exp.Join, exp.If, exp.And, exp.Or, exp.Not)):
        if isinstance(node, exp.If) and isinstance(node.parent, exp.Case) and node.parent.this is not None:
            continue  # NOTE: CASE x WHEN v: v is compared, not tested
        keys = {"Join": ("on",), "And": ("this", "expression"), "Or": ("this", "expression")}.get(type(node).__name__, ("this",))
        for key in keys:
            value = node.args.get(key)
            if isinstance(value, exp.Expression) and not _is_truth(value):
                node.set(key, sqlite_functions.call("pb_truthy", value.copy()))


def _is_truth(value: Any) -> bool:
    inner = unwrapped(value)
    return isinstance(inner, exp.Predicate | exp.Connector | exp.Not | exp.Boolean | exp.Null | exp.Exists)


def _select_items(sql: str) -> list[str] | None:
    """The text of each item of the query's select list (its first SELECT outside
    parentheses), as written; None when it cannot be told."""
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None
    ends = {getattr(TokenType, name) for name in _LIST_ENDS}
    depth, start = 0, None
    for number, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.SELECT and depth == 0:
            start = number + 1
            break
    if start is None:
        return None
    while start < len(tokens) and tokens[start].token_type in (TokenType.DISTINCT, TokenType.ALL):
        start += 1
    items: list[list[Any]] = [[]]
    for token in tokens[start:]:
        if token.token_type in (TokenType.L_PAREN, TokenType.R_PAREN):
            depth += 1 if token.token_type == TokenType.L_PAREN else -1
        elif depth == 0 and token.token_type in ends:
            break
        elif depth == 0 and token.token_type == TokenType.COMMA:
            items.append([])
            continue
        items[-1].append(token)
    if any(not item for item in items):
        return None
    return [_span(sql, item[0], item[-1]) for item in items]


def _span(sql: str, first: Any, last: Any) -> str:
    return sql[first.start : last.end + 1]


def name_columns(tree: Any, sql: str) -> None:
    """Name the shown columns that have no name as SQLite names them."""
    select = first_select(tree)
    if select is None:
        return
    items = _select_items(sql)
    if items is None or len(items) != len(select.expressions):
        return
    for position, (item, text) in enumerate(zip(list(select.expressions), items, strict=True)):
        if isinstance(item, exp.Alias | exp.Star):
            continue
        inner = item.unnest() if isinstance(item, exp.Paren) else item
        if isinstance(inner, exp.Column):
            continue  # NOTE: named after the column by both databases
        name = f"column{position + 1}" if isinstance(inner, exp.Boolean) else text
        item.replace(exp.Alias(this=item.copy(), alias=exp.to_identifier(name, quoted=True)))


def _branches(tree: Any) -> list[Any]:
    if isinstance(tree, exp.SetOperation):
        return _branches(tree.this) + _branches(tree.expression)
    if isinstance(tree, exp.Subquery):
        return _branches(tree.this)
    return [tree] if isinstance(tree, exp.Select) else []


def truths_as_numbers(tree: Any) -> None:
    """A truth a view's query shows (``a > b AS x``, ``TRUE``) as SQLite's 0/1, not Postgres's
    boolean: the view reads alike on both databases. Only the columns the view shows: a
    subquery's stay booleans for the conditions that use them. A UNION's (INTERSECT's,
    EXCEPT's) columns hold no boolean at all, as in SQLite (``pb_truth_number``: a boolean as
    0/1, else the value): one SELECT may show a truth where another shows a number."""
    if isinstance(tree, exp.Select):
        _numbers(tree, everything=False)
    for found in [tree, *tree.find_all(exp.Subquery)]:
        operation = found.this if isinstance(found, exp.Subquery) else found
        if isinstance(operation, exp.SetOperation) and (found is tree or isinstance(found.parent, exp.From | exp.Join)):
            for branch in _branches(operation):
                _numbers(branch, everything=True)


def _numbers(select: Any, everything: bool) -> None:
    for item in list(select.expressions):
        value = item_value(item)
        inner = unwrapped(value)
        if isinstance(inner, _truths()):
            number = exp.Cast(this=exp.Paren(this=value.copy()), to=exp.DataType.build("int"))
        elif everything and not isinstance(inner, exp.Literal | exp.Null | exp.Star) and not _is_star(inner):
            number = sqlite_functions.call("pb_truth_number", value.copy())
        else:
            continue
        if isinstance(item, exp.Alias):
            item.set("this", number)
        elif isinstance(inner, exp.Column):
            item.replace(exp.Alias(this=number, alias=exp.to_identifier(inner.name)))
        else:
            item.replace(exp.Alias(this=number, alias=exp.to_identifier("?column?")))


def _is_star(node: Any) -> bool:
    return isinstance(node, exp.Column) and isinstance(node.this, exp.Star)


