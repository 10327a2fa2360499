"""SQLite's class of a view's number on Postgres (:mod:`pybase.store.view_sql` runs these passes
last): an operation's value with its class where it is read as SQLite's value
(:func:`numbers_as_sqlite`), a REAL the view shows with its point (:func:`reals_kept`), an
infinity read from JSON shown as PocketBase shows SQLite's (:func:`infinities_shown`), and the
tests of a parsed value's class the other passes share (:func:`shows_real`...).
"""

from __future__ import annotations

from typing import Any

from pybase.store import view_nodes
from pybase.store.sqlite_functions_base import call
from pybase.store.view_nodes import set_branches
from pybase.tools.dbutils import exp

#: meta key of a translated operation: True when SQLite's result is a REAL whatever the values
#: (a real literal or such an operation is an operand)
REAL = "pb_real"


#: meta key of a translated operation: the tests (SQL) of the values it reads that make it an
#: integer in SQLite when all true, or None (a real: a real literal, a function...)
INT_TESTS = "pb_int_tests"


def numbers_as_sqlite(tree: Any) -> None:
    """SQLite's value of an operation (``pb_sqlite_value``: as a CAST to TEXT, printf() or a
    comparison reads it) with its class: a REAL keeps its point (``CAST(n * 1.0 AS TEXT)`` is
    '4.0'), as the operation's operands make it (Postgres computes in doubles either way)."""
    for found in list(tree.find_all(exp.Anonymous)):
        if str(found.this).lower() != "pb_sqlite_value" or len(found.expressions) != 1:
            continue
        inner = unwrapped(found.expressions[0])
        item = view_nodes.subquery_item(inner) if isinstance(inner, exp.Column) else None
        item = unwrapped(item) if item is not None else None
        if item is not None and (item.meta.get(REAL) or is_real_cast(item)):
            # NOTE: a subquery's (a WITH query's) column of a REAL operation: the operation's
            # integer tests read the inner query's columns, its REAL holds whatever they are
            found.replace(call("pb_sqlite_number", inner.copy(), exp.Boolean(this=True)))
            continue
        real = shows_real(inner)  # NOTE: an operation, a CAST, coalesce()/CASE/iif()/nullif() of REALs
        if INT_TESTS not in inner.meta and not real:
            continue
        tests = inner.meta[INT_TESTS] if INT_TESTS in inner.meta else None
        if real:
            is_real: Any = exp.Boolean(this=True)
        elif tests is None:
            continue
        elif tests and _ints_argument(inner) is not None:
            # NOTE: the operation's own test, as the query holds it (its copy in meta predates the
            # later passes: a json_each() table there is not pb_json_tree yet)
            is_real = exp.Not(this=exp.Paren(this=_ints_argument(inner).copy()))
        else:
            is_real = exp.Not(this=exp.Paren(this=all_of(tests))) if tests else exp.Boolean(this=False)
        found.replace(call("pb_sqlite_number", inner.copy(), is_real))


def _ints_argument(node: Any) -> Any | None:
    """The ``ints`` argument (the test that its values are integers) of an operation computed
    in numeric (``pb_int_add(a, b, ints)``..., ``pb_sum(total, ints)``), or None."""
    name = str(node.this).lower() if isinstance(node, exp.Anonymous) else ""
    if name.startswith("pb_int_") and name != "pb_int_mod" or name == "pb_sum":
        return node.expressions[-1]
    return None


def reals_kept(tree: Any) -> None:
    """A REAL the view shows (``n * 1.0``, ``CAST(n AS REAL)``, ``4.0``) as a numeric with a
    point (``pb_real_numeric``; Postgres's double holds no class): 4.0 stays SQLite's REAL to a
    query reading the view (typeof 'real', text '4.0'), where the view's json column read the
    number 4 (an operation SQLite may compute as an integer is numeric already, its REAL with a
    point: view_arithmetic._integer_operation)."""
    select = first_select(tree)
    if select is None:
        return
    for item in select.expressions:
        value = item_value(item)
        if shows_real(value):
            value.replace(call("pb_real_numeric", value.copy()))
        elif _real_result(value):
            # NOTE: round(), avg(), a sum of REALs: SQLite's REAL (1e+06 in the view's json
            # column, where Postgres's double of 1000000 read as the integer)
            double = exp.Cast(this=value.copy(), to=exp.DataType.build("double"))
            value.replace(call("pb_real_numeric", double))


def infinities_shown(tree: Any) -> None:
    """A value the view shows as SQLite's text of a SQL value (``json_extract()``, ``->>``, a
    json_each() value, alone or as a scalar subquery's) with an infinity as PocketBase shows
    SQLite's REAL one: "+Inf" (SQLite's text, which pb_text writes, is 'Inf'; Postgres's jsonb
    holds JSON's 1e999 as that number). Not in a SELECT that groups or is DISTINCT (Postgres
    wants its shown expressions as grouped). NOTE: a query reading the view reads that text."""
    selects = set_branches(tree) if isinstance(tree, exp.SetOperation) else [first_select(tree)]
    for select in selects:
        if select is None or select.args.get("group") or select.args.get("distinct"):
            continue
        for item in select.expressions:
            _infinity_shown(item_value(item), item)


def _infinity_shown(value: Any, item: Any) -> None:
    while isinstance(value, exp.Paren | exp.Subquery) and view_nodes.SQL_VALUE not in value.meta and not isinstance(value.this, exp.Select):
        value = value.this  # NOTE: ((SELECT ...)): a Subquery in a Subquery
    if isinstance(value, exp.Subquery) and isinstance(value.this, exp.Select) and len(value.this.expressions) == 1:
        select = value.this
        if not select.args.get("group") and not select.args.get("distinct"):
            _infinity_shown(item_value(select.expressions[0]), select.expressions[0])
        return
    if view_nodes.SQL_VALUE not in value.meta:
        return
    inner = value.this if isinstance(value, exp.Paren) else None
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower() == "pb_text" and len(inner.expressions) == 1:
        shown: Any = call("pb_shown_text", inner.expressions[0].copy())
    elif isinstance(value, exp.Column) and value.name.lower() in ("value", "atom"):
        # NOTE: a json_each() column, SQLite's text already: its REAL infinity's
        held = value.meta[view_nodes.SQL_VALUE]
        kind = held.expressions[0].copy() if isinstance(held, exp.Anonymous) and held.expressions else None
        if kind is None:
            return
        infinite = exp.And(this=exp.EQ(this=value.copy(), expression=exp.Literal.string("Inf")),
                           expression=exp.EQ(this=kind, expression=exp.Literal.string("real")))  # fmt: skip
        shown = exp.Case(ifs=[exp.If(this=infinite, true=exp.Literal.string("+Inf"))], default=value.copy())
    else:
        return
    if value is item and item.alias_or_name:
        item.replace(exp.Alias(this=shown, alias=exp.to_identifier(item.alias_or_name)))  # NOTE: its name kept
    else:
        value.replace(shown)


def _real_result(node: Any) -> bool:
    """Whether ``node`` is an aggregate or function SQLite answers a REAL from (or NULL)."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Round | exp.Avg):
        return True
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower() == "pb_round":
        return True
    return isinstance(inner, exp.Sum) and not inner.args.get("distinct") and shows_real(inner.this)


def shows_real(node: Any) -> bool:
    """Whether SQLite's value of ``node`` is a REAL (or NULL) whatever the values it reads."""
    inner = unwrapped(node)
    if isinstance(inner, exp.Literal) and not inner.is_string:
        return not str(inner.this).isdigit()
    if inner.meta.get(REAL) or is_real_cast(inner):
        return True
    if isinstance(inner, exp.Greatest | exp.Least):
        values = [inner.this, *inner.expressions]
    elif isinstance(inner, exp.Coalesce | exp.Case | exp.If):
        values = branch_values(inner)
    elif isinstance(inner, exp.Nullif):
        values = [inner.this]  # NOTE: nullif(x, y) is x or NULL
    else:
        return False
    values = [value for value in values if not isinstance(unwrapped(value), exp.Null)]
    return bool(values) and all(shows_real(value) for value in values)


def is_real_cast(node: Any) -> bool:
    """Whether ``node`` is a CAST to REAL (SQLite's REAL whatever the value: CAST(4 AS REAL) is 4.0)."""
    if node.meta.get(view_nodes.CAST_AFFINITY) == "real":
        return True
    return isinstance(node, exp.Cast) and view_nodes.cast_affinity(node) == "real"


def branch_values(node: Any) -> list[Any]:
    """The values a coalesce(), a searched CASE or an iif() gives (not its NULLs)."""
    if isinstance(node, exp.Coalesce):
        values = [node.this, *node.expressions]
    elif isinstance(node, exp.If):
        values = [node.args.get("true"), node.args.get("false")] if is_iif(node) else []
    elif node.this is None:
        values = [branch.args.get("true") for branch in node.args.get("ifs") or []] + [node.args.get("default")]
    else:
        return []
    return [value for value in values if value is not None and not isinstance(unwrapped(value), exp.Null)]


def is_iif(node: Any) -> bool:
    """Whether an ``exp.If`` is iif(c, a, b) (not a CASE's WHEN ... THEN)."""
    return isinstance(node, exp.If) and node.arg_key != "ifs"


def all_of(tests: list[Any]) -> Any:
    """``test1 AND test2 ...`` (each once)."""
    seen: dict[str, Any] = {}
    for test in tests:
        seen.setdefault(test.sql(), test)
    found: Any = None
    for test in seen.values():
        found = test.copy() if found is None else exp.And(this=found, expression=test.copy())
    return found


def first_select(tree: Any) -> Any:
    while isinstance(tree, exp.SetOperation):
        tree = tree.this
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    return tree if isinstance(tree, exp.Select) else None


def item_value(item: Any) -> Any:
    return item.this if isinstance(item, exp.Alias) else item


def unwrapped(value: Any) -> Any:
    return value.unnest() if isinstance(value, exp.Paren) else value
