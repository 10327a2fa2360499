"""What the translations of SQLite's functions for Postgres share: the one call's
(:mod:`pybase.store.sqlite_functions`, for an index expression and a view alike) and the whole
view query's (:mod:`pybase.store.view_functions`, :mod:`pybase.store.view_compare` and the other
``view_*`` modules). It holds the vocabulary they pass between them: :class:`Refused` (a call
Postgres cannot answer as SQLite does), :func:`call` (a Postgres call node), the value classes
:data:`NUM` and :data:`TEXT`, the meta keys one module marks a node with for another, how a
parsed call is named and its arguments read (:func:`function_name`, :func:`arguments`,
:func:`is_json_call`), SQLite's type affinity, and :class:`Converter`, through which a
translation turns an argument into what the Postgres helpers take (the index's
:class:`~pybase.store.index_sql_functions.FunctionArguments`, the view's
:class:`~pybase.store.view_functions.ViewConverter`). It is a module of its own so that the view
modules needing only this vocabulary import no translation, and sqlite_functions and
view_functions both import it without importing each other both ways.
"""

from __future__ import annotations

from typing import Any

from pybase.tools.dbutils import exp

NUM, TEXT = "num", "text"
#: a node's meta key: the JSON text SQLite writes of it in JSON (json_each()'s value: view_json_each)
JSON_TEXT = "pb_json_text"
#: a DISTINCT aggregate's meta key: the column giving the rows' order (view_scan_order)
SCAN_ORDER = "pb_scan_order"
#: a LIKE's meta key: its ESCAPE character (view_sql.like_escapes)
LIKE_ESCAPE = "pb_like_escape"

# sqlglot's node classes for SQLite's math functions -> the name pb_math() takes
MATH_NODES = {
    "Sqrt": "sqrt", "Ln": "ln", "Exp": "exp", "Pow": "pow", "Acos": "acos", "Asin": "asin", "Atan": "atan",
    "Atan2": "atan2", "Acosh": "acosh", "Asinh": "asinh", "Atanh": "atanh", "Cos": "cos", "Sin": "sin",
    "Tan": "tan", "Cosh": "cosh", "Sinh": "sinh", "Tanh": "tanh", "Degrees": "degrees", "Radians": "radians",
    "Ceil": "ceil", "Floor": "floor", "Trunc": "trunc", "Sign": "sign",
}  # fmt: skip
# calls whose result SQLite nests as JSON (its JSON subtype), by the name written
JSON_CALLS = frozenset({"json", "json_array", "json_object", "json_set", "json_insert", "json_replace",
                        "json_remove", "json_patch", "json_group_array", "json_group_object", "json_quote"})  # fmt: skip


class Refused(ValueError):
    """A call Postgres cannot answer as SQLite does; the message names the function and why."""


class SqliteRefused(Refused):
    """A query SQLite refuses, the message in SQLite's words (``no such column: x``)."""


def call(name: str, *args: Any) -> Any:
    return exp.Anonymous(this=name, expressions=list(args))


def affinity(type_sql: str) -> str:
    """SQLite's affinity of a declared type (its rules on the type's name): integer, text,
    blob, real or numeric."""
    name = type_sql.upper()
    if "INT" in name:
        return "integer"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in name or not name:
        return "blob"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def function_name(node: Any) -> str | None:
    """The SQLite function ``node`` calls (lower case), for the calls this module translates."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    kind = type(node).__name__
    if kind in MATH_NODES:
        return MATH_NODES[kind]
    return {
        "TimeToStr": "strftime", "Date": "date", "Log": "log", "Format": "format", "JSONObject": "json_object", "JSONSet": "json_set",
        "JSONRemove": "json_remove", "Unhex": "unhex", "JSONArrayAgg": "json_group_array",
        "JSONObjectAgg": "json_group_object", "JSONType": "json_type", "Round": "round", "Hex": "hex", "Unicode": "unicode", "Chr": "char",
    }.get(kind)  # fmt: skip


def arguments(node: Any) -> list[Any]:
    """The arguments of a call as written."""
    if isinstance(node, exp.JSONObject):
        out: list[Any] = []
        for pair in node.expressions:
            out += [pair.this, pair.expression] if isinstance(pair, exp.JSONKeyValue) else [pair]
        return out
    if isinstance(node, exp.Log):
        return [node.this] if node.expression is None else [node.this, node.expression]
    if isinstance(node, exp.TimeToStr):  # NOTE: strftime(format, value) as sqlglot reads it
        value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
        if isinstance(value, exp.CurrentTimestamp):
            value = exp.Literal.string("now")
        return [node.args["format"], value]
    args = [node.this] if isinstance(node.args.get("this"), exp.Expression) else []
    args += list(node.expressions)
    if isinstance(node.args.get("expression"), exp.Expression):
        args.append(node.args["expression"])
    return args


def is_json_call(node: Any) -> bool:
    """Whether SQLite gives ``node`` its JSON subtype (a JSON function's result)."""
    while isinstance(node, exp.Paren):
        node = node.this
    name = function_name(node)
    return name in JSON_CALLS or isinstance(node, exp.JSONExtract)


class Converter:
    """Turns a call's argument into what the Postgres helpers take."""

    def value(self, node: Any) -> Any:
        """SQLite's value as a jsonb number or string (NULL stays NULL)."""
        raise NotImplementedError

    def json(self, node: Any) -> Any | None:
        """The JSON text of an argument SQLite reads as JSON (None: a plain SQL value)."""
        raise NotImplementedError

    def number(self, node: Any) -> Any:
        """The double a math function reads (NULL for a text that is no number)."""
        raise NotImplementedError

    def real(self, node: Any) -> Any:
        """The double SQLite reads from any value (a text's leading number, else 0)."""
        raise NotImplementedError

    def text(self, node: Any) -> Any:
        """SQLite's text of the value."""
        raise NotImplementedError

    def json_text(self, node: Any) -> Any:
        """The argument as SQLite writes it into JSON."""
        found = self.json(node)
        if found is not None:
            return call("COALESCE", found, exp.Literal.string("null"))
        return call("pb_json_text", self.value(node))
