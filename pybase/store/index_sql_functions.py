"""SQLite's casts and functions in an index expression, as Postgres calls that behave alike: the
function half of the index translator (:mod:`pybase.store.index_sql`, whose ``_Translator``
takes :class:`FunctionNodes` in and hands SQLite's math and text functions their arguments
through :class:`FunctionArguments`).

The value classes of a translated expression are named here, where both halves read them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pybase.store import sqlite_functions_base
from pybase.tools.dbutils import exp

# value classes of a translated expression
BOOL, NUM, TEXT, JSONV, JSONCOL, ANY = "bool", "num", "text", "jsonv", "jsoncol", "any"

# SQLite's date functions: (format, result class); strftime takes its format first
_DATE_FUNCTIONS = {
    "date": ("%Y-%m-%d", TEXT), "time": ("%H:%M:%S", TEXT), "datetime": ("%Y-%m-%d %H:%M:%S", TEXT),
    "julianday": ("%J", NUM), "unixepoch": ("%s", NUM), "strftime": ("", TEXT),
}  # fmt: skip
_TEXT_FUNCTIONS = ("Lower", "Upper", "Trim", "Replace")
_NUMBER_FUNCTIONS = ("Abs", "Sign", "Ceil", "Floor", "Sqrt", "Ln", "Exp", "Pow")


def call(name: str, *args: Any) -> Any:
    """A call of the SQL function ``name``."""
    return exp.Anonymous(this=name, expressions=list(args))


def unparen(node: Any) -> Any:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


class FunctionNodes:
    """The translator's handlers of casts and function calls (a mixin of ``_Translator``: the
    contexts ``value``/``number``/``text``/``plain``, the conversions ``_as_text``/``_as_json``,
    ``_integer`` and ``anchor`` are its)."""

    def _Cast(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        affinity = sqlite_functions_base.affinity(node.args["to"].sql(dialect="sqlite"))
        if affinity == "integer":
            return self._integer(self.number(node.this)), NUM
        if affinity in ("real", "numeric"):
            return self.number(node.this), NUM
        return self.text(node.this), TEXT

    def _JSONExtractScalar(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - json_extract(), ->>
        doc, kind = self.value(node.this)
        if kind not in (JSONCOL, TEXT):
            doc = self._as_text(doc, kind)
        return call("pb_json_value", doc, self._path(node.expression)), JSONV

    def _JSONExtract(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - ->
        doc, kind = self.value(node.this)
        if kind not in (JSONCOL, TEXT):
            doc = self._as_text(doc, kind)
        return call("pb_json_arrow", doc, self._path(node.expression)), TEXT

    @staticmethod
    def _path(node: Any) -> Any:
        if isinstance(node, exp.JSONPath):
            path = node.sql(dialect="sqlite").strip("'")
            return exp.Literal.string(path if path.startswith("$") else f"$.{path}")
        return node.copy()

    def _Length(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return exp.Length(this=self.text(node.this)), NUM

    def _Substring(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        args = [self.text(node.this)]
        for name in ("start", "length"):
            if node.args.get(name) is not None:
                args.append(self._integer(self.number(node.args[name]), "int"))
        return call("SUBSTR", *args), TEXT

    def _StrPosition(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - instr()
        return call("STRPOS", self.text(node.this), self.text(node.args["substr"])), NUM

    def _Round(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        number = exp.Cast(this=self.number(node.this), to=exp.DataType.build("decimal"))
        digits = node.args.get("decimals")
        args = [number] + ([self._integer(self.number(digits), "int")] if digits else [])
        return exp.Cast(this=call("ROUND", *args), to=exp.DataType.build("double")), NUM

    def _Date(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - date()
        return self._date("date", [node.this, *node.expressions] if node.this is not None else [])

    def _TimeToStr(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - strftime(format, value)
        value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
        return self._date("strftime", [node.args["format"], value])

    def _Anonymous(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        name = str(node.this).lower()
        args = list(node.expressions)
        if name in _DATE_FUNCTIONS:
            return self._date(name, args)
        if name in ("likely", "unlikely", "likelihood") and args:
            return self.value(args[0])  # NOTE: hints to SQLite's planner, the value as is
        if name == "quote" and len(args) == 1:
            value, kind = self.plain(args[0])
            if kind == NUM:
                return call("COALESCE", call("pb_num_text", value, exp.Boolean(this=False)), exp.Literal.string("NULL")), TEXT
            quoted = exp.DPipe(this=exp.DPipe(this=exp.Literal.string("'"), expression=call(
                "REPLACE", self._as_text(value, kind), exp.Literal.string("'"), exp.Literal.string("''"))),
                expression=exp.Literal.string("'"))  # fmt: skip
            return call("COALESCE", quoted, exp.Literal.string("NULL")), TEXT
        if name == "json" and len(args) == 1:
            return call("pb_minified", self._json_doc(args[0])), TEXT
        if name == "json_valid" and len(args) == 1:
            return call("pb_json_valid", self.text(args[0])), NUM
        if name == "json_quote" and len(args) == 1:
            value, kind = self.plain(args[0])
            return call("pb_minified", self._as_json(value, kind)), TEXT
        if name == "json_array_length" and args:
            return call("pb_json_array_length", self._json_doc(args[0]), *(self.text(a) for a in args[1:2])), NUM
        return self._call(node), ANY

    def _json_doc(self, node: Any) -> Any:
        """A JSON document as jsonb (a text is parsed, refused when malformed as SQLite refuses it)."""
        value, kind = self.value(node)
        if kind == JSONCOL:
            return value
        return exp.Cast(this=self._as_text(value, kind), to=exp.DataType.build("jsonb"))

    def _JSONType(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - json_type()
        path = [self.text(node.expression)] if node.expression is not None else []
        return call("pb_json_type", self._json_doc(node.this), *path), TEXT

    def _Concat(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - concat(): NULL as ''
        parts = [call("COALESCE", self.text(arg), exp.Literal.string("")) for arg in node.expressions]
        joined = parts[0]
        for part in parts[1:]:
            joined = exp.DPipe(this=joined, expression=part)
        return exp.Paren(this=joined), TEXT

    def _ConcatWs(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - concat_ws(): NULLs left out
        return call("pb_concat_ws", *(self.text(arg) for arg in node.expressions)), TEXT

    def _Hex(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return call("pb_hex", self.text(node.this)), TEXT

    def _Typeof(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        value, kind = self.value(node.this)
        null = exp.Is(this=value.copy(), expression=exp.Null())
        if kind in (JSONV, JSONCOL):
            return call("COALESCE", call("pb_json_type", self._as_json(value, kind)), exp.Literal.string("null")), TEXT
        if kind == NUM:
            other = exp.Case(ifs=[exp.If(this=exp.EQ(this=value.copy(), expression=call("TRUNC", value.copy())),
                                         true=exp.Literal.string("integer"))], default=exp.Literal.string("real"))
        else:
            other = exp.Literal.string("integer" if kind == BOOL else "text")
        return exp.Paren(this=exp.Case(ifs=[exp.If(this=null, true=exp.Literal.string("null"))], default=other)), TEXT

    def _Log(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - log(x), log(b, x), log2(), log10()
        if node.expression is None:
            return exp.Log(this=self.number(node.this)), NUM
        base, number = (exp.Cast(this=self.number(arg), to=exp.DataType.build("decimal")) for arg in (node.this, node.expression))
        return exp.Cast(this=call("LOG", base, number), to=exp.DataType.build("double")), NUM

    def _date(self, name: str, args: list[Any]) -> tuple[Any, str]:
        fmt, kind = _DATE_FUNCTIONS[name]
        if name == "strftime":
            if not args:
                return exp.Null(), ANY
            format_arg, args = self.text(args[0]), args[1:]
        else:
            format_arg = exp.Literal.string(fmt)
        value = args[0] if args else exp.Literal.string("now")
        literal = unparen(value)
        if isinstance(literal, exp.Literal) and literal.is_string and str(literal.this).lower() == "now":
            # NOTE: SQLite refuses 'now' in an index when it meets a row; Postgres would fold a
            # constant call at CREATE INDEX time: the call takes a column
            anchor = exp.Column(this=exp.to_identifier(self.anchor, quoted=True))
            result = call("pb_nondeterministic", exp.Literal.string(name), anchor)
        else:
            result = call("pb_index_strftime", exp.Literal.string(name), format_arg, self.text(value),
                           *(self.text(arg) for arg in args[1:]))
        if name == "julianday":
            return exp.Cast(this=result, to=exp.DataType.build("double")), NUM
        if name == "unixepoch":
            return exp.Cast(this=result, to=exp.DataType.build("bigint")), NUM
        return result, kind

    def _Func(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        kind_name = type(node).__name__
        if kind_name in _TEXT_FUNCTIONS:
            return self._map(node, self.text), TEXT
        if kind_name in _NUMBER_FUNCTIONS:
            return self._map(node, self.number), NUM
        return self._call(node), ANY

    def _call(self, node: Any) -> Any:
        return self._map(node, lambda child: self.plain(child)[0])

    def _map(self, node: Any, convert: Callable[[Any], Any]) -> Any:
        """``node`` with each argument converted."""
        copy = node.copy()
        for key, arg in node.args.items():
            if isinstance(arg, list):
                copy.set(key, [convert(a) if isinstance(a, exp.Expression) else a for a in arg])
            elif isinstance(arg, exp.Expression) and not isinstance(arg, exp.DataType | exp.Var | exp.Identifier):
                copy.set(key, convert(arg))
        return copy

    def _generic(self, node: Any) -> Any:
        return self._call(node)


class FunctionArguments(sqlite_functions_base.Converter):
    """The arguments of SQLite's functions (pybase.store.sqlite_functions) in an index: their
    classes are the translator's."""

    def __init__(self, translate: Any) -> None:
        self.translate = translate

    def value(self, node: Any) -> Any:
        return self.translate._as_json(*self.translate.value(node))

    def json(self, node: Any) -> Any | None:
        return self.translate.value(node)[0] if sqlite_functions_base.is_json_call(node) else None

    def number(self, node: Any) -> Any:
        value, kind = self.translate.plain(node)
        if kind not in (NUM, TEXT):
            value = exp.Cast(this=value, to=exp.DataType.build("text"))
        return call("pb_math_arg", value)

    def real(self, node: Any) -> Any:
        return self.translate.number(node)

    def text(self, node: Any) -> Any:
        return self.translate.text(node)
