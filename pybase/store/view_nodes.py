"""What a parsed view query's node is and holds, for :mod:`pybase.store.view_compare` (and the
passes beside it): the meta keys a translated node carries, the expression a subquery's column
stands for (:func:`subquery_item`), the values a COALESCE/CASE/UNION answers with, number
literals as SQLite reads them, a CAST's affinity, the JSON path of ``->``/``->>``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from pybase.store.sqlite_functions_base import affinity, call
from pybase.tools.dbutils import exp

#: meta key of a translated node: the SQL value (pb_sqlite_value's form) it stands for
SQL_VALUE = "pb_sql_value"
#: meta key of a CAST made SQLite's (pb_cast_integer...): the affinity its type gave it
CAST_AFFINITY = "pb_cast_affinity"
#: meta key of ``CAST(truth AS int)``, a truth used as a value (SQLite's 0/1): an integer of no affinity
TRUTH_NUMBER = "pb_truth_number"
#: meta key of ``CAST(x AS BLOB)`` made Postgres's (a bytea: its text's bytes)
BLOB = "pb_blob"


# NOTE: a function, not a module constant: ``exp`` imports sqlglot on first use
@functools.cache
def arithmetic_nodes() -> tuple[type, ...]:
    return (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg)


def subquery_item(column: Any) -> Any | None:
    """The expression a column of a SELECT reading one subquery (``SELECT CAST(id AS TEXT) id
    FROM (SELECT b AS id ...)``, how a view's id is made text) or one WITH query stands for: its
    kind and affinity are that expression's, not a table's column of that name. None for any
    other column."""
    if isinstance(column.this, exp.Star):
        return None
    select = column.find_ancestor(exp.Select)
    source = select.args.get("from_") if select is not None else None
    if source is None or select.args.get("joins"):
        return None
    if isinstance(source.this, exp.Subquery):
        inner, alias = source.this.this, source.this.alias
    elif isinstance(source.this, exp.Table) and not source.this.args.get("db"):
        found = with_query(select, source.this.name)
        if found is None:
            return None
        inner, alias = found.this, source.this.alias_or_name
    else:
        return None
    if column.table and column.table.lower() != (alias or "").lower():
        return None
    if not isinstance(inner, exp.Select):
        return None
    name = column.name.lower()
    for item in inner.expressions:
        if item.alias_or_name.lower() == name and not isinstance(item, exp.Star):
            return item.this if isinstance(item, exp.Alias) else item
    return None


def subquery_value(node: Any) -> Any | None:
    """A scalar subquery whose one column stands for a SQL value (its meta's :data:`SQL_VALUE`:
    a json_each() value, ``->>``, a coalesce() of two kinds) as the subquery answering that value,
    its class kept (the column shown is its text: ``typeof((SELECT value FROM json_each('[1]')))``
    read 'text'); None for another node."""
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Subquery):
        node = node.this  # NOTE: ((SELECT ...)), in parentheses
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select) or len(node.this.expressions) != 1:
        return None
    item = node.this.expressions[0]
    if SQL_VALUE not in unparen(item.this if isinstance(item, exp.Alias) else item).meta:
        return None
    found = node.copy()
    item = found.this.expressions[0]
    shown = unparen(item.this if isinstance(item, exp.Alias) else item)
    shown.replace(shown.meta[SQL_VALUE].copy())
    return found


def with_query(node: Any, name: str) -> Any | None:
    """The WITH query (CTE) named ``name`` that ``node`` sees, or None."""
    while node is not None:
        found = node.args.get("with_") if isinstance(node, exp.Expression) else None
        for cte in found.expressions if found is not None else []:
            if cte.alias.lower() == name.lower():
                return cte
        node = node.parent
    return None


def branch_values(node: Any) -> list[Any]:
    """The expressions a COALESCE, CASE, IIF, GREATEST or LEAST may answer with."""
    if isinstance(node, exp.Case):
        values = [when.args["true"] for when in node.args.get("ifs") or []]
        default = node.args.get("default")
        return values + ([default] if default is not None else [])
    if isinstance(node, exp.If):
        return [v for v in (node.args.get("true"), node.args.get("false")) if v is not None]
    return [node.this, *(node.expressions or [])]


def set_branches(node: Any) -> list[Any]:
    """The SELECTs of a UNION (INTERSECT, EXCEPT), nested ones and parenthesized ones too
    (an empty list when one is none: a VALUES)."""
    if isinstance(node, exp.SetOperation):
        left, right = set_branches(node.this), set_branches(node.expression)
        return left + right if left and right else []
    if isinstance(node, exp.Subquery):
        return set_branches(node.this)
    return [node] if isinstance(node, exp.Select) else []


def has_star(select: Any) -> bool:
    return any(isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))
               for item in select.expressions)  # fmt: skip


def past_double(node: Any) -> bool:
    """Whether ``node`` is an integer a double may not hold: a literal past 2^53, an operation
    (its 64 bits), a sum."""
    node = unparen(node)
    value = number_literal(node)
    if value is not None:
        return abs(value) >= 2**53
    return isinstance(node, (*arithmetic_nodes(), exp.Sum))


def extreme(a: Any, b: Any, *, greatest: bool) -> Any:
    """SQLite's scalar max/min of two values as it holds them: NULL when either is NULL."""
    either_null = exp.Or(this=exp.Is(this=a.copy(), expression=exp.Null()), expression=exp.Is(this=b.copy(), expression=exp.Null()))
    order = call("pb_cmp", a.copy(), b.copy())
    keep_a = exp.GTE(this=order, expression=exp.Literal.number(0)) if greatest else exp.LTE(this=order, expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=either_null, true=exp.Null()), exp.If(this=keep_a, true=a.copy())], default=b.copy())


def lambda_as_arrow(node: Any) -> None:
    """``f(meta -> '$.a')``: sqlglot reads ``->`` in a function's arguments as a lambda; SQLite
    has none, it is the JSON operator (left as is, Postgres's -> of a jsonb read key '$.a': NULL)."""
    params = node.expressions
    if len(params) != 1 or not isinstance(params[0], exp.Identifier | exp.Column | exp.Dot):
        return
    doc = exp.Column(this=params[0].copy()) if isinstance(params[0], exp.Identifier) else params[0].copy()
    if isinstance(params[0], exp.Identifier) and not params[0].quoted and params[0].name.upper() == "NULL":
        doc = exp.Null()
    path = node.this
    if isinstance(path, exp.Literal):
        from pybase.tools.dbutils import sqlglot

        found = sqlglot.parse_one(f"x -> {path.sql(dialect='sqlite')}", read="sqlite")  # NOTE: its path as sqlglot reads one
        found.set("this", doc)
        node.replace(found)
        return
    node.replace(exp.JSONExtract(this=doc, expression=path.copy()))


def folded(node: Any) -> Any:
    """``lower(node COLLATE "C")``: ASCII letters lower-cased, as SQLite's NOCASE compares."""
    return exp.Lower(this=exp.Collate(this=exp.Paren(this=node), expression=exp.Identifier(this="C", quoted=True)))


def any_of(conditions: list[Any]) -> Any:
    out = conditions[0]
    for condition in conditions[1:]:
        out = exp.Or(this=out, expression=condition)
    return out


def unparen(node: Any) -> Any:
    while isinstance(node, exp.Paren) and SQL_VALUE not in node.meta:
        node = node.this
    return node


def number_literal(node: Any) -> float | None:
    """The double of a number literal (negated or not) as SQLite reads it, or None."""
    sign = 1.0
    while isinstance(node, exp.Neg | exp.Paren):
        sign = -sign if isinstance(node, exp.Neg) else sign
        node = node.this
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    return sign * float(str(node.this))


def is_big(node: Any) -> bool:
    """Whether ``node`` is a number literal past 2^53, where a double and an integer of one value
    differ (Postgres compares numbers in doubles, SQLite an integer with a REAL exactly)."""
    found = number_literal(unparen(node))
    return found is not None and abs(found) >= 2**53


def real_literal(node: Any) -> str | None:
    """A number literal SQLite reads as a REAL (a point, an exponent, an integer past 64 bits)
    as the jsonb text pb_cmp and pb_text read as that REAL (Postgres reads the literal as an
    exact numeric: 9.2233720368547758e18 is 2^63 in SQLite); None for another node."""
    inner = node
    while isinstance(inner, exp.Neg | exp.Paren):
        inner = inner.this
    found = number_literal(node)
    text = str(inner.this) if isinstance(inner, exp.Literal) else ""
    if found is None or (text.isdigit() and abs(int(text)) < 2**63) or not math.isfinite(found):
        return None
    if found == int(found) and abs(found) < 2**63:
        return f"{int(found)}.0"  # NOTE: an integral REAL keeps a point (pb_text writes 4.0)
    return repr(found)


def is_text_literal(node: Any) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def is_blob(node: Any) -> bool:
    """Whether ``node`` computes a BLOB: unhex(), zeroblob(), ``CAST(x AS BLOB)``."""
    return isinstance(node, exp.Unhex) or bool(node.meta.get(BLOB)) or (isinstance(node, exp.Anonymous) and str(node.this).lower() == "zeroblob")


def cast_affinity(node: Any) -> str:
    """SQLite's affinity of the type a CAST names: integer, text, blob, real or numeric."""
    to = node.args["to"]
    if to.this in (exp.DataType.Type.DECIMAL, exp.DataType.Type.BOOLEAN):
        return "numeric"  # NOTE: sqlglot writes NUMERIC and DECIMAL as REAL, BOOLEAN as INTEGER
    return affinity(to.sql(dialect="sqlite"))


def json_path(node: Any) -> Any:
    """The JSON path the right of ``->``/``->>`` names (a label is ``$.label``, a number ``$[n]``)."""
    if isinstance(node, exp.JSONPath):
        path = node.sql(dialect="sqlite").strip("'")
        return exp.Literal.string(path if path.startswith("$") else f"$.{path}")
    return node.copy()
