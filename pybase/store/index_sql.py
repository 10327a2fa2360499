"""A collection's index definitions, written for SQLite, as Postgres indexes that behave alike.

Collections carry their indexes as SQLite SQL (PocketBase runs on SQLite) and keep that text as
written. On Postgres the checked AST of a definition (:mod:`pybase.tools.dbutils`) is translated
here, node by node, with the types of the table's columns at hand, so that:

- SQLite's truthiness holds where Postgres wants a boolean (``WHERE n``, ``WHERE 1``, ``NOT n``,
  the condition of ``iif``/``CASE``): a number is true when not 0, a text when the number it
  starts with is not 0;
- values meet as SQLite has them meet: a boolean column is 0/1, a number compared with a text
  column is compared as text (column affinity), values of different classes compare as SQLite
  orders them (numbers before text, :func:`pb_cmp`), ``/`` divides integers as integers, and a
  division by 0 is NULL;
- SQLite's functions keep their meaning: ``json_extract``/``->>``/``->`` read a JSON column as
  SQLite reads its text, the date functions are SQLite's (``pb_strftime``) and refuse ``'now'``
  when they meet it as SQLite does in an index, ``GLOB`` matches as SQLite's, ``LIKE`` ignores
  ASCII case and has no escape character, ``COLLATE NOCASE`` is ``lower()``;
- an index expression is parenthesised and names its columns as the table spells them.

Names SQLite keeps for itself (``sqlite_`` prefix) are refused in SQLite's words, so an app
written on one database runs on the other. The helpers the translation calls are created with
the dialect's (:data:`INDEX_HELPERS`, pybase.store.index_sql_helpers; installed by db_postgres).
Casts and function calls are translated in pybase.store.index_sql_functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Table
from sqlalchemy.types import Float, Integer, Numeric

from pybase.store import index_long_keys, sqlite_functions, sqlite_functions_base
from pybase.store.dialect import ROWID_COLUMN, JSONText
from pybase.store.index_sql_functions import (
    ANY,
    BOOL,
    JSONCOL,
    JSONV,
    NUM,
    TEXT,
    FunctionArguments,
    FunctionNodes,
    call,
    unparen,
)
from pybase.store.index_sql_helpers import INDEX_HELPERS
from pybase.tools import dbutils
from pybase.tools.dbutils import exp

_NUMBER_RE = re.compile(r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$")


def reserved_index_name(name: str) -> dbutils.IndexRefused | None:
    """SQLite's refusal of an index named as its own objects, for Postgres to refuse alike."""
    if name.lower().startswith("sqlite_"):
        return dbutils.IndexRefused(f"object name reserved for internal use: {name}")
    return None


#: (index, table name, its columns as the translation reads them) -> the statements
_MADE: dict[tuple[Any, ...], tuple[str, ...]] = {}
_MADE_MOST = 4096


def postgres_create_index(index: dbutils.Index, table: Table) -> list[str]:
    """The Postgres statements that create ``index`` on ``table``: its ``CREATE INDEX``, made to
    hold values of any length where its keys may be long (pybase.store.index_long_keys).

    Raises ``dbutils.IndexRefused`` where SQLite refuses the definition (in SQLite's order:
    the name, then what the definition holds, then its columns).

    PERF: kept by what they are made of (~1.6 ms an index with sqlglot): every start compares
    each collection's indexes with these (pg_indexes.stale), and a collection save makes them.
    """
    key = (index, table.name, tuple((c.name, repr(c.type), c.info.get(index_long_keys.INDEX_BYTES_INFO)) for c in table.columns))
    made = _MADE.get(key)
    if made is None:
        made = tuple(_postgres_create_index(index, table))
        if len(_MADE) >= _MADE_MOST:
            _MADE.clear()
        _MADE[key] = made
    return list(made)


def _postgres_create_index(index: dbutils.Index, table: Table) -> list[str]:
    refused = reserved_index_name(index.name)
    if refused is not None:
        raise refused
    columns = [c for c in table.columns if c.name != ROWID_COLUMN]
    tree = index.checked_tree(table.name, [c.name for c in columns])
    translate = _Translator({c.name.lower(): (c.name, _class_of(c.type)) for c in columns}, columns[0].name)
    params = tree.this.args["params"]
    bounds: list[int | None] = []
    keys = params.args.get("columns") or []
    text_column = bool(keys) and _is_text_column(keys[0].this, translate)
    for ordered in keys:
        bounds.append(_key_bytes(ordered.this, translate, {c.name.lower(): c for c in columns}))
        key = translate.key(ordered.this)
        ordered.set("this", key if isinstance(key, exp.Column) else exp.Paren(this=key))
    where = params.args.get("where")
    if where is not None:
        where.set("this", translate.boolean(where.this))
    # NOTE: the same test as the collection's (pybase.core.collections): its column sorts and
    # compares by its prefix where this index is made
    text_column = text_column and index_long_keys.has_ordered_prefix(bounds[0])
    return index_long_keys.statements(tree, index_long_keys.long_keys(bounds), text_column)


def _is_text_column(node: Any, translate: _Translator) -> bool:
    """Whether an index key is a text column named as it is (not JSON, no collation)."""
    return isinstance(node, exp.Column) and translate.value(node.copy())[1] == TEXT


def _key_bytes(node: Any, translate: _Translator, columns: dict[str, Any]) -> int | None:
    """The most bytes a key's value holds: a number's or a boolean's fixed size, a column's
    bound (its field's limits, index_long_keys.INDEX_BYTES_INFO; COLLATE NOCASE's lower() keeps
    it: ASCII only), None for text or JSON of no known bound."""
    node = unparen(node)
    if _is_column(node):
        name = unparen(node.this if isinstance(node, exp.Collate) else node).name.lower()
        column = columns.get(name)
        if column is None:
            return None
        if _class_of(column.type) in (NUM, BOOL):
            return index_long_keys.FIXED
        bound = column.info.get(index_long_keys.INDEX_BYTES_INFO)
        return bound if isinstance(bound, int) else None
    if isinstance(node, exp.Collate):
        return None
    return index_long_keys.FIXED if translate.value(node.copy())[1] in (NUM, BOOL) else None


def _class_of(sql_type: Any) -> str:
    if isinstance(sql_type, Boolean):
        return BOOL
    if isinstance(sql_type, Integer | Float | Numeric):
        return NUM
    if isinstance(sql_type, JSONText):
        return JSONCOL
    return TEXT


def _is_column(node: Any) -> bool:
    node = unparen(node)
    if isinstance(node, exp.Collate):
        node = unparen(node.this)
    return isinstance(node, exp.Column)


def _nocase(node: Any) -> bool:
    node = unparen(node)
    return isinstance(node, exp.Collate) and node.expression.name.lower() == "nocase"


def _sqlite_number_text(literal: Any) -> str:
    """A number literal's text as SQLite gives it (an integer bare, a real with its point)."""
    text = str(literal.this)
    if re.fullmatch(r"[0-9]+", text):
        return str(int(text))
    return repr(float(text))


class _Translator(FunctionNodes):
    """Translates one index's expressions; ``columns``: lower name -> (name, value class)."""

    def __init__(self, columns: dict[str, tuple[str, str]], anchor: str) -> None:
        self.columns = columns
        # a column any expression may reference so that Postgres never folds it at CREATE
        # INDEX time (a call that must fail only when it meets a row, as in SQLite)
        self.anchor = anchor
        self.functions = FunctionArguments(self)

    # ---- the contexts ----------------------------------------------------------------------

    def key(self, node: Any) -> Any:
        """An indexed expression: its value as is (a boolean stays one, JSON stays jsonb)."""
        node = unparen(node)
        if isinstance(node, exp.Collate):
            return self._collate(node)[0]
        return self.value(node)[0]

    def boolean(self, node: Any) -> Any:
        """``node`` where SQLite reads a truth value."""
        value, kind = self.value(node)
        if kind == BOOL:
            return value
        literal = unparen(node)
        if isinstance(literal, exp.Literal) and not literal.is_string:
            return exp.Boolean(this=float(literal.this) != 0)
        if kind == NUM:
            return exp.NEQ(this=exp.Paren(this=value), expression=exp.Literal.number(0))
        if kind == ANY:
            return exp.Cast(this=value, to=exp.DataType.build("boolean"))
        return call("pb_truth", self._as_text(value, kind))

    def number(self, node: Any) -> Any:
        value, kind = self.value(node)
        return self._as_number(value, kind)

    def text(self, node: Any) -> Any:
        value, kind = self.value(node)
        literal = unparen(node)
        if kind == NUM and isinstance(literal, exp.Literal):
            return exp.Literal.string(_sqlite_number_text(literal))
        return self._as_text(value, kind)

    def plain(self, node: Any) -> tuple[Any, str]:
        """A value as SQLite holds it: a boolean as 0/1, JSON as its text."""
        value, kind = self.value(node)
        if kind == BOOL:
            return self._as_number(value, kind), NUM
        if kind in (JSONV, JSONCOL):
            return self._as_text(value, kind), TEXT
        return value, kind

    # ---- conversions of a translated value -------------------------------------------------

    @staticmethod
    def _as_number(value: Any, kind: str) -> Any:
        if kind == NUM:
            return value
        if kind == BOOL:
            return exp.Cast(this=value, to=exp.DataType.build("int"))
        if kind == ANY:
            return exp.Cast(this=value, to=exp.DataType.build("double"))
        return call("pb_num_prefix", _Translator._as_text(value, kind))

    @staticmethod
    def _as_text(value: Any, kind: str) -> Any:
        if kind == TEXT:
            return value
        if kind == NUM:
            return call("pb_num_text", value, exp.Boolean(this=False))
        if kind == BOOL:
            return exp.Cast(this=exp.Cast(this=value, to=exp.DataType.build("int")), to=exp.DataType.build("text"))
        if kind == JSONV:
            return call("pb_text", value)
        if kind == JSONCOL:
            return call("pb_text", call("pb_stored_json", value))
        return exp.Cast(this=value, to=exp.DataType.build("text"))

    @staticmethod
    def _as_json(value: Any, kind: str) -> Any:
        """A jsonb number or string: the value as SQLite holds it (for :func:`pb_cmp`)."""
        if kind == JSONV:
            return value
        if kind == JSONCOL:
            return call("pb_stored_json", value)
        if kind in (NUM, BOOL):
            return call("pb_sqlite_value", _Translator._as_number(value, kind))
        return call("pb_sqlite_value", _Translator._as_text(value, kind))

    def _unify(self, nodes: list[Any]) -> tuple[list[Any], str]:
        """Values Postgres can hold in one column (CASE branches, coalesce's arguments)."""
        values = [self.value(node) for node in nodes]
        kinds = {kind for _, kind in values if kind != ANY}
        if len(kinds) <= 1:
            return [v for v, _ in values], kinds.pop() if kinds else ANY
        if kinds <= {NUM, BOOL}:
            return [self._as_number(v, k) if k != ANY else v for v, k in values], NUM
        return [self._as_text(v, k) if k != ANY else v for v, k in values], TEXT

    # ---- nodes ----------------------------------------------------------------------------

    def value(self, node: Any) -> tuple[Any, str]:
        """``node`` translated, with its value class."""
        if isinstance(node, exp.Func):
            try:
                done = sqlite_functions.translate(node, self.functions)
            except sqlite_functions_base.Refused as ex:
                raise dbutils.IndexRefused(str(ex)) from ex
            if done is not None:
                return done
        handler: Callable[[Any], tuple[Any, str]] | None = None
        for cls in type(node).__mro__:
            handler = getattr(self, f"_{cls.__name__}", None)
            if handler is not None:
                break
        if handler is None:
            return self._generic(node), ANY
        return handler(node)

    def _Column(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - named after the node
        name, kind = self.columns.get(node.name.lower(), (node.name, TEXT))
        return exp.Column(this=exp.to_identifier(name, quoted=True)), kind

    def _Literal(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return node.copy(), TEXT if node.is_string else NUM

    def _Null(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return node.copy(), ANY

    def _Boolean(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return node.copy(), BOOL

    def _Paren(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        value, kind = self.value(node.this)
        return exp.Paren(this=value), kind

    def _Neg(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return exp.Neg(this=exp.Paren(this=self.number(node.this))), NUM

    def _Not(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return exp.Not(this=exp.Paren(this=self.boolean(node.this))), BOOL

    def _Connector(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - AND, OR
        return type(node)(this=self.boolean(node.this), expression=self.boolean(node.expression)), BOOL

    def _Binary(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - arithmetic and the rest
        left, right = self.number(node.this), self.number(node.expression)
        return exp.Paren(this=type(node)(this=left, expression=right)), NUM

    def _Div(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        # NOTE: SQLite divides two integers as integers, and by 0 into NULL
        left, right = self.number(node.this), self.number(node.expression)
        quotient = exp.Div(this=left, expression=call("NULLIF", right, exp.Literal.number(0)))
        both_int = exp.And(this=self._integral(node.this, left), expression=self._integral(node.expression, right))
        case = exp.Case(ifs=[exp.If(this=both_int, true=call("TRUNC", quotient))], default=quotient.copy())
        return exp.Paren(this=case), NUM

    def _Mod(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        left, right = (self._integer(self.number(side)) for side in (node.this, node.expression))
        return exp.Paren(this=exp.Mod(this=left, expression=call("NULLIF", right, exp.Literal.number(0)))), NUM

    def _bitwise(self, node: Any) -> tuple[Any, str]:
        left, right = (self._integer(self.number(side)) for side in (node.this, node.expression))
        return exp.Paren(this=type(node)(this=left, expression=right)), NUM

    _BitwiseAnd = _BitwiseOr = _BitwiseXor = _BitwiseLeftShift = _BitwiseRightShift = _bitwise

    def _BitwiseNot(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return exp.BitwiseNot(this=self._integer(self.number(node.this))), NUM

    @staticmethod
    def _integer(value: Any, sql_type: str = "bigint") -> Any:
        if isinstance(value, exp.Literal) and re.fullmatch(r"[0-9]+", str(value.this)):
            return value
        return exp.Cast(this=call("TRUNC", value), to=exp.DataType.build(sql_type))

    @staticmethod
    def _integral(node: Any, value: Any) -> Any:
        literal = unparen(node)
        if isinstance(literal, exp.Literal) and not literal.is_string:
            return exp.Boolean(this=bool(re.fullmatch(r"[0-9]+", str(literal.this))))
        return exp.EQ(this=value.copy(), expression=call("TRUNC", value.copy()))

    def _DPipe(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return exp.DPipe(this=self.text(node.this), expression=self.text(node.expression)), TEXT

    def _Collate(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return self._collate(node)

    def _collate(self, node: Any) -> tuple[Any, str]:
        collation = node.expression.name.lower()
        if collation == "nocase":
            return exp.Lower(this=self.text(node.this)), TEXT
        if collation == "rtrim":
            return call("RTRIM", self.text(node.this), exp.Literal.string(" ")), TEXT
        return self.value(node.this)

    # ---- comparisons ------------------------------------------------------------------------

    def _EQ(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return self._compare(type(node), node.this, node.expression), BOOL

    _NEQ = _GT = _GTE = _LT = _LTE = _NullSafeEQ = _NullSafeNEQ = _EQ

    def _Is(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        if isinstance(unparen(node.expression), exp.Null):
            return exp.Is(this=self.value(node.this)[0], expression=exp.Null()), BOOL
        return self._compare(exp.NullSafeEQ, node.this, node.expression), BOOL

    def _compare(self, op: Any, a: Any, b: Any) -> Any:
        if _nocase(a) or _nocase(b):
            return op(this=self._collate_nocase(a), expression=self._collate_nocase(b))
        (left, lkind), (right, rkind) = self.value(a), self.value(b)
        kinds = {lkind, rkind}
        if lkind == rkind or ANY in kinds:
            return op(this=left, expression=right)
        if kinds == {NUM, BOOL}:
            return op(this=self._as_number(left, lkind), expression=self._as_number(right, rkind))
        # NOTE: SQLite's column affinity: a number meets a text column as text, a text meets a
        # number (or boolean) column as the number it reads as
        if kinds <= {NUM, BOOL, TEXT}:
            if lkind == TEXT and _is_column(a) and not _is_column(b):
                return op(this=left, expression=self.text(b))
            if rkind == TEXT and _is_column(b) and not _is_column(a):
                return op(this=self.text(a), expression=right)
            literal = unparen(b if rkind == TEXT else a)
            if isinstance(literal, exp.Literal) and _NUMBER_RE.match(str(literal.this)):
                number = exp.Literal.number(str(literal.this).strip())
                if rkind == TEXT:
                    return op(this=self._as_number(left, lkind), expression=number)
                return op(this=number, expression=self._as_number(right, rkind))
        ljson, rjson = self._as_json(left, lkind), self._as_json(right, rkind)
        if lkind == TEXT and _is_column(a) and rkind in (NUM, BOOL):
            ljson = call("pb_numeric_affinity", ljson)
        if rkind == TEXT and _is_column(b) and lkind in (NUM, BOOL):
            rjson = call("pb_numeric_affinity", rjson)
        compared = call("pb_cmp", ljson, rjson)
        if op in (exp.NullSafeEQ, exp.NullSafeNEQ):
            same = call("COALESCE", exp.EQ(this=compared, expression=exp.Literal.number(0)),
                         exp.And(this=exp.Is(this=ljson.copy(), expression=exp.Null()),
                                 expression=exp.Is(this=rjson.copy(), expression=exp.Null())))
            return same if op is exp.NullSafeEQ else exp.Not(this=same)
        return op(this=compared, expression=exp.Literal.number(0))

    def _collate_nocase(self, node: Any) -> Any:
        node = unparen(node)
        if isinstance(node, exp.Collate):
            node = node.this
        return exp.Lower(this=self.text(node))

    def _Between(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        low = self._compare(exp.GTE, node.this, node.args["low"])
        high = self._compare(exp.LTE, node.this, node.args["high"])
        return exp.Paren(this=exp.And(this=low, expression=high)), BOOL

    def _In(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        items = [self._compare(exp.EQ, node.this, item) for item in node.expressions]
        if not items:
            return exp.Boolean(this=False), BOOL
        condition = items[0]
        for item in items[1:]:
            condition = exp.Or(this=condition, expression=item)
        return exp.Paren(this=condition), BOOL

    def _Like(self, node: Any, escape: Any = None) -> tuple[Any, str]:  # noqa: N802
        # NOTE: SQLite's LIKE ignores ASCII case and has no escape character unless given one
        like = exp.ILike(this=self.text(node.this), expression=self.text(node.expression))
        return exp.Escape(this=like, expression=self.text(escape) if escape is not None else exp.Literal.string("")), BOOL

    def _Escape(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        if isinstance(node.this, exp.Like):
            return self._Like(node.this, node.expression)
        return self._generic(node), ANY

    def _Glob(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        return call("pb_glob", self.text(node.expression), self.text(node.this)), BOOL

    # ---- conditionals ----------------------------------------------------------------------

    def _Case(self, node: Any) -> tuple[Any, str]:  # noqa: N802
        operand = node.this
        conditions = [
            self._compare(exp.EQ, operand, when.this) if operand is not None else self.boolean(when.this)
            for when in node.args.get("ifs") or []
        ]
        branches = [when.args["true"] for when in node.args.get("ifs") or []]
        default = node.args.get("default")
        values, kind = self._unify([*branches, *([default] if default is not None else [])])
        ifs = [exp.If(this=c, true=v) for c, v in zip(conditions, values, strict=False)]
        case = exp.Case(ifs=ifs, default=values[len(ifs)] if default is not None else None)
        return exp.Paren(this=case), kind

    def _If(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - iif()
        false = node.args.get("false")
        values, kind = self._unify([node.args["true"], *([false] if false is not None else [])])
        case = exp.Case(ifs=[exp.If(this=self.boolean(node.this), true=values[0])],
                        default=values[1] if false is not None else None)
        return exp.Paren(this=case), kind

    def _Coalesce(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - coalesce(), ifnull()
        values, kind = self._unify([node.this, *node.expressions])
        return call("COALESCE", *values), kind

    def _Greatest(self, node: Any) -> tuple[Any, str]:  # noqa: N802 - max() of several arguments
        # NOTE: SQLite's max() and min() of several values are NULL when one is
        values, kind = self._unify([node.this, *node.expressions])
        any_null = values[0].copy().is_(exp.Null())
        for value in values[1:]:
            any_null = exp.Or(this=any_null, expression=value.copy().is_(exp.Null()))
        name = "GREATEST" if isinstance(node, exp.Greatest) else "LEAST"
        return exp.Paren(this=exp.Case(ifs=[exp.If(this=any_null, true=exp.Null())], default=call(name, *values))), kind

    _Least = _Greatest


__all__ = ["INDEX_HELPERS", "postgres_create_index", "reserved_index_name"]
