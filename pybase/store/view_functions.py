"""A whole view query's SQLite functions and operators rewritten for Postgres
(:func:`translate_view`, innermost first): each call through
:func:`pybase.store.sqlite_functions.translate` with a :class:`ViewConverter` (a view's
arguments are dispatched by Postgres on their types), json_group_array()/json_group_object() as
window functions, json_each()/json_tree() in FROM, and what only a view query holds: ``%`` and
mod(), the bit operators, GLOB, substr(), length(), instr(), replace(), LIKE and trim() of text
Postgres may hold escaped, group_concat(DISTINCT x) and json_group_array(DISTINCT x), and
aggregates in the rows' scan order (view_scan_order). It is separate from sqlite_functions,
which translates one call for an index expression and a view alike: this module is the view's
walk over its tree and the rewrites an index never needs.
"""

from __future__ import annotations

from typing import Any

from pybase.store.sqlite_functions import translate, translate_json_table, translate_window
from pybase.store.sqlite_functions_base import (
    JSON_CALLS,
    JSON_TEXT,
    LIKE_ESCAPE,
    SCAN_ORDER,
    Converter,
    Refused,
    call,
    function_name,
)
from pybase.tools.dbutils import exp

# the Postgres helpers whose result is JSON text (SQLite's JSON subtype: nested as JSON; the
# json_array()/json_object() translations, built with ||, are marked in their meta instead)
JSON_HELPERS = frozenset({"pb_json", "pb_json_edit", "pb_json_patch"})


class ViewConverter(Converter):
    """A view's arguments: their Postgres types are not known here, Postgres picks the helper's
    overload (``pb_sqlite_value``, ``pb_math_arg``) by the argument's type."""

    def value(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Null()
        inner = _unparen(node)
        if "pb_sql_value" in inner.meta:
            # NOTE: ->> (view_compare), json_each's value (view_json_each): shown as text
            return inner.meta["pb_sql_value"].copy()
        if _is_json_helper(node):
            return call("pb_sqlite_value", exp.Cast(this=node, to=exp.DataType.build("text")))
        return call("pb_sqlite_value", node)

    def json(self, node: Any) -> Any | None:
        return node if _is_json_helper(node) else None

    def json_text(self, node: Any) -> Any:
        inner = _unparen(node)
        if JSON_TEXT in inner.meta:
            return inner.meta[JSON_TEXT].copy()  # NOTE: json_each's value (an array, an object as JSON)
        return super().json_text(node)

    def number(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("double"))
        return call("pb_math_arg", node)

    def real(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("double"))
        return call("pb_real_arg", node)

    def text(self, node: Any) -> Any:
        if isinstance(node, exp.Literal) and node.is_string:
            return node
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("text"))
        if _is_json_helper(node):
            return node
        return call("pb_text", self.value(node))


def _unparen(node: Any) -> Any:
    """``node`` out of its parentheses, down to one marked with a value (``pb_sql_value``, JSON text)."""
    while isinstance(node, exp.Paren) and "pb_sql_value" not in node.meta and JSON_TEXT not in node.meta:
        node = node.this
    return node


def _is_json_helper(node: Any) -> bool:
    """Whether a translated argument is JSON text (a JSON function's, translated)."""
    while isinstance(node, exp.Expression):
        # NOTE: json_array()/json_object() translate to text built with ||, marked so
        if node.meta.get("pb_json") or (isinstance(node, exp.Anonymous) and str(node.this).lower() in JSON_HELPERS):
            return True
        if not isinstance(node, exp.Paren):
            return False
        node = node.this
    return False


def _distinct_key(value: Any, conv: Converter) -> Any:
    """The SQL value DISTINCT tells ``value`` by (a jsonb, NULL typed so)."""
    if isinstance(value, exp.Null):
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("jsonb"))
    return conv.value(value)


def _calls_one(node: Any, name: str) -> bool:
    """Whether ``node`` is ``name(x)``."""
    return isinstance(node, exp.Anonymous) and str(node.this) == name and len(node.expressions) == 1


def _group_concat_distinct(node: Any, conv: Converter) -> Any:
    """group_concat(DISTINCT x): the values in the rows' order, each once as SQLite's DISTINCT
    tells them (by class and value: 1 and '1' two, 1 and 1.0 one; Postgres's string_agg(DISTINCT
    x) sorts them); x may be pb_text(v) already (view_compare)."""
    if node.args.get("separator") is not None:
        raise Refused("DISTINCT aggregates must have exactly one argument")
    value = node.this.expressions[0]
    shown = _calls_one(value, "pb_text")
    key = value.expressions[0] if shown else _distinct_key(value, conv)
    texts = _in_order(node, value if shown else conv.text(value))
    return call("pb_distinct_join", texts, _in_order(node, key), exp.Literal.string(","), exp.true())


def _json_array_distinct(node: Any, conv: Converter) -> Any:
    """json_group_array(DISTINCT x): each value once (as :func:`_group_concat_distinct`), where
    it first comes, as JSON."""
    value = node.this.expressions[0]
    joined = call("pb_distinct_join", _in_order(node, conv.json_text(value)), _in_order(node, _distinct_key(value, conv)),
                  exp.Literal.string(","), exp.false())  # fmt: skip
    listed = exp.DPipe(this=exp.Literal.string("["), expression=call("COALESCE", joined, exp.Literal.string("")))
    return exp.Paren(this=exp.DPipe(this=listed, expression=exp.Literal.string("]")))


def _scan_ordered(result: Any, order: Any) -> None:
    """json_group_array(x)/json_group_object(k, v) translated (string_agg(item, ',')) in the
    rows' scan order (view_scan_order): string_agg(item, ',' ORDER BY order)."""
    for found in list(result.find_all(exp.Anonymous)):
        if str(found.this) == "string_agg" and len(found.expressions) == 2:
            found.expressions[1].replace(exp.Order(this=found.expressions[1].copy(), expressions=[exp.Ordered(this=order.copy())]))


def _in_order(node: Any, value: Any) -> Any:
    """``array_agg(value)``, in the rows' scan order when ``node`` is marked with it."""
    order = node.meta.get(SCAN_ORDER)
    if order is None:
        return call("array_agg", value)
    return call("array_agg", exp.Order(this=value, expressions=[exp.Ordered(this=order.copy())]))


def _listing(node: Any, conv: Converter) -> bool:
    """group_concat(DISTINCT x) and json_group_array(DISTINCT x) (each value once), and
    group_concat(x[, sep]) in the rows' scan order (view_scan_order); whether ``node`` is done."""
    if isinstance(node, exp.GroupConcat | exp.JSONArrayAgg) and isinstance(node.this, exp.Distinct) and len(node.this.expressions) == 1:
        if not (isinstance(node.parent, exp.Window) and node.parent.this is node):  # NOTE: SQLite refuses DISTINCT in a window
            done = _group_concat_distinct(node, conv) if isinstance(node, exp.GroupConcat) else _json_array_distinct(node, conv)
            done.meta["pb_json"] = isinstance(node, exp.JSONArrayAgg)
            node.replace(done)
        return True
    if isinstance(node, exp.GroupConcat) and SCAN_ORDER in node.meta:
        node.set("this", exp.Order(this=node.this, expressions=[exp.Ordered(this=node.meta[SCAN_ORDER].copy())]))
        return True
    return False


def _modulo(node: Any, conv: Converter) -> Any:
    """SQLite's ``a % b`` (of the integers a and b read as: 7.5 % 2 is 1) or ``mod(a, b)`` (the
    real remainder: 1.5); NULL for a zero divisor. sqlglot reads both as Mod: the function keeps
    its name's place in the text."""
    if "start" in node.meta:
        return call("pb_math", exp.Literal.string("mod"), conv.number(node.this), conv.number(node.expression))
    return call("pb_int_mod", conv.real(node.this), conv.real(node.expression))


def _substr(node: Any, conv: Converter) -> Any:
    """SQLite's substr(x, y[, z]): y < 0 counts from the end, z < 0 the characters before y
    (Postgres's substr reads y < 1 as before the text, refuses z < 0)."""

    def integer(value: Any) -> Any:
        if isinstance(value, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("bigint"))
        return call("pb_cast_integer", conv.value(value))

    length = node.args.get("length")
    args = [conv.text(node.this), integer(node.args.get("start") or exp.Literal.number(1))]
    return call("pb_substr", *args, *([integer(length)] if length is not None else []))


#: SQLite's bit operators (of the 64-bit integers the values read as) -> Postgres's
_BITWISE = {"BitwiseAnd": "&", "BitwiseOr": "|", "BitwiseLeftShift": "<<", "BitwiseRightShift": ">>", "BitwiseNot": "~"}


def _bitwise(node: Any, conv: Converter) -> Any:
    """``a & b``, ``a | b``, ``a << b``, ``a >> b``, ``~a`` as SQLite computes them: of the
    integers the values read as (a text's integer prefix, a REAL truncated, held to 64 bits),
    a shift past 63 bits 0 (or -1), a negative shift the other way (Postgres shifts by the count
    modulo 64, and has no & of a text or a double)."""

    def integer(value: Any) -> Any:
        if isinstance(value, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("bigint"))
        return call("pb_cast_integer", conv.value(value))

    op = _BITWISE[type(node).__name__]
    if op == "~":
        return exp.Paren(this=exp.BitwiseNot(this=integer(node.this)))
    a, b = integer(node.this), integer(node.expression)
    if op in ("<<", ">>"):
        return call("pb_shift", a, b if op == "<<" else exp.Neg(this=b))
    return exp.Paren(this=(exp.BitwiseAnd if op == "&" else exp.BitwiseOr)(this=a, expression=b))


def _text_read(node: Any, conv: Converter) -> bool:
    """substr(), length(), instr(), replace(), LIKE and trim() of given characters, of text
    Postgres may hold escaped (pybase.store.pg_nul), as SQLite reads the text; whether ``node``
    is done."""
    if isinstance(node, exp.Substring):
        node.replace(_substr(node, conv))
    elif isinstance(node, exp.Length):
        node.replace(call("pb_length", node.this))  # NOTE: the characters before a NUL
    elif isinstance(node, exp.StrPosition) and node.args.get("position") is None:
        node.replace(call("pb_instr", node.this, node.args["substr"]))
    elif isinstance(node, exp.Like):
        escape = [node.meta[LIKE_ESCAPE]] if LIKE_ESCAPE in node.meta else []
        done = call("pb_like", node.this, node.expression, *escape)
        node.replace(exp.Not(this=done) if node.args.get("negate") else done)
    elif isinstance(node, exp.Replace):
        node.replace(call("pb_replace", node.this, node.expression, node.args["replacement"]))
    elif isinstance(node, exp.Trim) and node.args.get("expression") is not None:
        ends = str(node.args.get("position") or "both").lower()
        node.replace(call("pb_trim", node.this, node.args["expression"], exp.Literal.string(ends)))
    else:
        return False
    return True


def translate_view(tree: Any) -> None:
    """Rewrite the SQLite functions of a parsed view query in place (its innermost calls
    first, so that an argument is already translated when its call is)."""
    conv = ViewConverter()

    def visit(node: Any) -> None:
        for child in list(node.iter_expressions()):
            visit(child)
        if isinstance(node, exp.Window):
            windowed = translate_window(node, conv)
            if windowed is not None:
                windowed.meta["pb_json"] = True
                node.replace(windowed)
            return
        if isinstance(node, exp.Mod):
            node.replace(_modulo(node, conv))
            return
        if _text_read(node, conv):
            return
        if isinstance(node, exp.Glob):
            node.replace(call("pb_glob", conv.text(node.expression), conv.text(node.this)))
            return
        if type(node).__name__ in _BITWISE:
            node.replace(_bitwise(node, conv))
            return
        if _listing(node, conv):
            return
        if not isinstance(node, exp.Func) or (isinstance(node.parent, exp.Window) and node.parent.this is node):
            return
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("json_each", "json_tree") and isinstance(node.parent, exp.Table):
            translate_json_table(node, conv)
            return
        done = translate(node, conv, in_view=True)
        if done is None:
            return
        result = done[0]
        if function_name(node) in JSON_CALLS:
            result.meta["pb_json"] = True
        if SCAN_ORDER in node.meta:
            _scan_ordered(result, node.meta[SCAN_ORDER])
        node.replace(result)

    visit(tree)
