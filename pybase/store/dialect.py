"""SQL whose spelling depends on the database: SQLite (the default) and Postgres.

Queries are built once, database-neutral, from the constructs below; each construct renders
itself per SQLAlchemy dialect when the statement is compiled (``@compiles`` for ``sqlite`` and
``postgresql``). This module is the one place where the two databases' SQL differs: the query
builders above the storage layer (filter compiler, field resolver, record queries) never test
which database they talk to.

The other facts that differ per database (listing tables and indexes, reading a unique
violation, the words of an error) are methods of :class:`SqliteDialect` and
:class:`PostgresDialect`; each ``Database`` carries one as ``db.dialect``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    CollectionAggregate,
    ColumnClause,
    ExpressionClauseList,
    False_,
    Grouping,
    Null,
    True_,
    UnaryExpression,
)
from sqlalchemy.sql.functions import Function, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import UserDefinedType

# ---- column types ---------------------------------------------------------------------------


class JSONText(UserDefinedType):  # type: ignore[type-arg]
    """A column holding JSON text pybase encodes itself: declared ``JSON`` in SQLite (as
    PocketBase declares it), ``JSONB`` in Postgres (read back as text, see db_postgres)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"


@compiles(JSONText, "postgresql")
def _jsontext_pg(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "JSONB"


class JSONValue(UserDefinedType):  # type: ignore[type-arg]
    """The type of a value read from JSON (``json_value_at``, a JSON column's items): its class
    is known per row only. Postgres carries it as jsonb (a number or a string: SQLite's view)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSONB"


def _is_json_column(element: Any) -> bool:
    return isinstance(getattr(element, "type", None), JSONText)


# ---- server defaults ------------------------------------------------------------------------


class random_record_id(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The default of a record id column: ``r`` + 14 random hex digits."""

    type = Text()
    inherit_cache = True
    name = "random_record_id"


@compiles(random_record_id)
def _random_id_sqlite(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "('r'||lower(hex(randomblob(7))))"


@compiles(random_record_id, "postgresql")
def _random_id_pg(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "('r'||substr(md5(random()::text || clock_timestamp()::text), 1, 14))"


class stored_as(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """A bound value as a column of ``type_`` holds it (the one-row CTE of a record about to be
    written, which create rules and realtime filters read): the value itself on SQLite (as
    PocketBase binds it), ``CAST(value AS type)`` on Postgres, whose parameters carry no type
    (there ``views > 10`` compared a number as text and JSON functions met text)."""

    inherit_cache = True
    name = "stored_as"

    def __init__(self, value: Any, type_: Any) -> None:
        super().__init__(value)
        self.type = type_


@compiles(stored_as)
def _stored_as_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(next(iter(element.clauses)), **kw))


@compiles(stored_as, "postgresql")
def _stored_as_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(cast(next(iter(element.clauses)), element.type), **kw))


# ---- insertion order ------------------------------------------------------------------------

ROWID_COLUMN = "_rowid_"
"""Postgres: the hidden identity column every collection table gets (SQLite's implicit rowid)."""


class insertion_order_of(ColumnElement[Any]):  # noqa: N801 - SQL function style
    """Orders rows by insertion: SQLite's implicit ``rowid``, Postgres's ``_rowid_`` column."""

    # PERF: cacheable (statements holding it compile once): the table is its cache key.
    inherit_cache = True
    _traverse_internals = [("table", InternalTraversal.dp_clauseelement)]
    type = Integer()

    def __init__(self, table: Any) -> None:
        self.table = table

    @property
    def _from_objects(self) -> list[Any]:
        return [self.table]


def _qualified(compiler: Any, table: Any, column: str, **kw: Any) -> str:
    name = getattr(table, "name", None)
    if name is None:
        return compiler.preparer.quote(column)
    return f"{compiler.preparer.quote(name)}.{compiler.preparer.quote(column)}"


@compiles(insertion_order_of)
def _rowid_sqlite(element: insertion_order_of, compiler: Any, **kw: Any) -> str:
    name = getattr(element.table, "name", None)
    return f"{compiler.preparer.quote(name)}.rowid" if name else "rowid"


@compiles(insertion_order_of, "postgresql")
def _rowid_pg(element: insertion_order_of, compiler: Any, **kw: Any) -> str:
    return _qualified(compiler, element.table, ROWID_COLUMN, **kw)


def insertion_order(table: Any) -> ColumnElement[Any]:
    """A column that orders rows by insertion, qualified by table."""
    return insertion_order_of(table)


class tie_break(insertion_order_of):  # noqa: N801 - SQL function style
    """The last key of a sorted list: rows the sort leaves equal in insertion order, where
    SQLite leaves them (its scans and indexes end with the rowid). Postgres gives no order to
    ties, so there it is the ``_rowid_`` column; SQLite's statement goes without it."""

    inherit_cache = True


def with_tie_break(order: list[Any], table: Any) -> list[Any]:
    """``order`` ending with :class:`tie_break` (unless it is empty or random)."""
    values = [_direction(term)[0] for term in order]
    if not order or any(isinstance(value, Function) and value.name.lower() == "random" or isinstance(value, insertion_order_of) for value in values):
        return order
    return [*order, tie_break(table).asc()]


def _without_tie_break(element: Select[Any]) -> Select[Any] | None:
    order = element._order_by_clauses
    if not order:
        return None
    kept = [term for term in order if not isinstance(_direction(term)[0], tie_break)]
    if len(kept) == len(order):
        return None
    return element._generate().order_by(None).order_by(*kept) if kept else element._generate().order_by(None)


@compiles(Select)
def _select_sqlite(element: Select[Any], compiler: Any, **kw: Any) -> str:
    stripped = _without_tie_break(element)
    return str(compiler.visit_select(stripped if stripped is not None else element, **kw))


# ---- JSON -----------------------------------------------------------------------------------


class json_items(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The items of a JSON array column as rows (``value``); any other value is one item.

    SQLite: ``json_each`` over the array (or ``json_array(x)``); Postgres:
    ``jsonb_array_elements_text`` (items read as text, as SQLite reads JSON strings).
    """

    inherit_cache = True
    name = "json_items"


def _sqlite_is_array(column: Any) -> ColumnElement[bool]:
    # NOTE: json_type() fails on text that is not JSON, hence the guard through CASE.
    return case((func.json_valid(column), func.json_type(column) == literal("array")), else_=false())


@compiles(json_items)
def _json_items_sqlite(element: json_items, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    items = case((_sqlite_is_array(column), column), else_=func.json_array(column))
    return str(compiler.process(func.json_each(items), **kw))


def _pg_jsonb(compiler: Any, column: Any, **kw: Any) -> str:
    """``column`` as a jsonb array: jsonb columns as they are (non-arrays wrapped), text as one item."""
    sql = compiler.process(column, **kw)
    if _is_json_column(column):
        return f"(CASE WHEN jsonb_typeof({sql}) = 'array' THEN {sql} ELSE jsonb_build_array({sql}) END)"
    return f"jsonb_build_array({sql})"


@compiles(json_items, "postgresql")
def _json_items_pg(element: json_items, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"jsonb_array_elements_text({_pg_jsonb(compiler, column, **kw)})"


class json_items_length(FunctionElement):  # type: ignore[type-arg]  # noqa: N801
    """Item count: 0 for ``''``/NULL, 1 for a non-array value, the length of an array."""

    type = Integer()
    inherit_cache = True
    name = "json_items_length"


@compiles(json_items_length)
def _json_length_sqlite(element: json_items_length, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    single = case(
        ((column == literal("")) | column.is_(None), func.json_array()),
        else_=func.json_array(column),
    )
    return str(compiler.process(func.json_array_length(case((_sqlite_is_array(column), column), else_=single)), **kw))


@compiles(json_items_length, "postgresql")
def _json_length_pg(element: json_items_length, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    sql = compiler.process(column, **kw)
    if _is_json_column(column):
        return (
            f"(CASE WHEN {sql} IS NULL THEN 0 WHEN jsonb_typeof({sql}) = 'array' THEN jsonb_array_length({sql}) "
            f"WHEN {sql} = '\"\"'::jsonb OR jsonb_typeof({sql}) = 'null' THEN 0 ELSE 1 END)"
        )
    return f"(CASE WHEN {sql} IS NULL OR {sql}::text = '' THEN 0 ELSE 1 END)"


class json_value_at(FunctionElement):  # type: ignore[type-arg]  # noqa: N801
    """The value at a PocketBase JSON path (``a.b[0]``, no ``$``) of a column that may hold
    non-JSON text (read as a JSON string). SQLite: ``json_extract``; Postgres: ``pb_json_extract``
    (the value as text)."""

    inherit_cache = True
    name = "json_value_at"
    type = JSONValue()

    def __init__(self, column: Any, path: str) -> None:
        if path and not path.startswith("["):
            path = "." + path
        super().__init__(column, literal("$" + path, Text()))


@compiles(json_value_at)
def _json_value_sqlite(element: json_value_at, compiler: Any, **kw: Any) -> str:
    column, path = element.clauses
    expr = case(
        (func.json_valid(column), func.json_extract(column, path)),
        else_=func.json_extract(
            func.json_object(literal("pb", Text()), column), literal("$.pb", Text()).concat(func.substr(path, 2))
        ),
    )
    return str(compiler.process(expr, **kw))


@compiles(json_value_at, "postgresql")
def _json_value_pg(element: json_value_at, compiler: Any, **kw: Any) -> str:
    column, path = element.clauses
    return f"pb_json_value({compiler.process(column, **kw)}, CAST({compiler.process(path, **kw)} AS text))"


def json_array_contains(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """True when the JSON array stored in ``column`` contains ``value``."""
    items = json_items(column).table_valued("value").alias()
    return exists(select(items.c.value).where(items.c.value == value))


class json_text_items(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The items (``value``) of a JSON array given as text (a bound parameter)."""

    inherit_cache = True
    name = "json_param_items"


@compiles(json_text_items)
def _param_items_sqlite(element: json_text_items, compiler: Any, **kw: Any) -> str:
    (param,) = element.clauses
    return f"json_each({compiler.process(param, **kw)})"


@compiles(json_text_items, "postgresql")
def _param_items_pg(element: json_text_items, compiler: Any, **kw: Any) -> str:
    (param,) = element.clauses
    return f"jsonb_array_elements_text(CAST({compiler.process(param, **kw)} AS jsonb))"


def in_json_list(column_: ColumnElement[Any], param: str) -> ColumnElement[bool]:
    """``column_`` is one of the values of the JSON array bound as ``param`` (one parameter for
    any number of values, so the statement compiles once)."""
    items = json_text_items(bindparam(param, type_=Text())).table_valued("value").alias()
    return column_.in_(select(items.c.value))


def json_array_length(column: ColumnElement[Any]) -> ColumnElement[int]:
    """Length of the JSON array stored in ``column`` (0 for non-arrays)."""
    return json_items_length(column)


# ---- SQLite functions written by the generic query builders (tools/) -------------------------

# NOTE: the filter compiler (tools/, below the storage layer) spells SQLite's ``strftime`` and
# ``json_extract`` through ``func``; on Postgres they become the pb_* helpers of
# POSTGRES_HELPERS, which read the format and path at run time (so compiled statements stay
# reusable).
_PG_FUNCTIONS = {"strftime": "pb_strftime", "json_extract": "pb_json_extract"}


_NUMERIC_FUNCTIONS = frozenset({"radians", "degrees", "cos", "sin", "tan", "acos", "asin", "atan", "sqrt", "abs"})


@compiles(Function, "postgresql")
def _function_pg(element: Function, compiler: Any, **kw: Any) -> str:  # type: ignore[type-arg]
    name = element.name.lower()
    helper = _PG_FUNCTIONS.get(name)
    if helper is not None:
        args = ", ".join(f"CAST({_as_text(compiler, arg, **kw)} AS text)" for arg in element.clauses)
        return f"{helper}({args})"
    if name == "coalesce":
        value = _val(compiler, element, **kw)
        if value.cls == "dyn":
            # NOTE: SQLite's COALESCE(number, '') mixes types; outside a comparison, read as text.
            return _text_sql(value)
        return value.sql
    if name in _NUMERIC_FUNCTIONS:
        args = ", ".join(_as_number(compiler, arg, **kw) for arg in element.clauses)
        return f"{name}({args})"
    return str(compiler.visit_function(element, **kw))


# ---- SQLite's loose typing, spelt for Postgres ----------------------------------------------
#
# SQLite compares values by their storage class at run time (NULL < numbers < text) after
# applying an affinity taken from the operands' expressions: a column declared NUMERIC,
# BOOLEAN or JSON gives the other side numeric affinity (text that reads as a number becomes
# one), a TEXT column gives an operand without affinity text affinity (a number becomes its
# text); parameters, literals and function results have none. Postgres is strictly typed, so
# each operand is described here by its class (static: num, bool, text, null; or dyn: a value
# whose class is known per row only, carried as a jsonb number or string) and its affinity,
# and the comparison is spelt to give SQLite's answer. Operands of one static class compare
# natively (indexes keep working); anything dynamic goes through pb_cmp.

_COMPARISONS = frozenset(
    {
        operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
        operators.is_distinct_from, operators.is_not_distinct_from,
    }
)


@dataclass(frozen=True)
class _Val:
    """One operand as SQLite sees it: SQL, class (num, bool, text, dyn, null) and affinity."""

    sql: str
    cls: str
    aff: str = "none"
    real: bool = False  # a REAL parameter (its text keeps ".0")
    to_number: bool = False  # text that numeric affinity turns into a number when it reads as one
    node: str | None = None  # a JSON value read from a jsonb column: its jsonb node (#>)


def _val(compiler: Any, element: Any, **kw: Any) -> _Val:
    if isinstance(element, Null):
        return _Val("NULL", "null")
    if isinstance(element, True_ | False_):
        return _Val("true" if isinstance(element, True_) else "false", "bool")
    if isinstance(element, Grouping):
        inner = _val(compiler, element.element, **kw)
        return replace(inner, sql=f"({inner.sql})")
    if isinstance(element, Function) and element.name.lower() == "coalesce":
        args = [_val(compiler, arg, **kw) for arg in element.clauses]
        classes = {("num" if arg.cls == "bool" else arg.cls) for arg in args} - {"null"}
        if len(classes) <= 1 and "dyn" not in classes:
            kind = classes.pop() if classes else "null"
            sqls = [_num_sql(arg) if kind == "num" else arg.sql for arg in args]
            return _Val(f"COALESCE({', '.join(sqls)})", kind)
        return _Val(f"COALESCE({', '.join(_jsonb(arg) for arg in args)})", "dyn")
    if isinstance(element, Function) and element.name.lower() == "json_extract":
        # NOTE: the generic query builders' json_extract: a JSON value, known per row only.
        doc, path = (_as_text(compiler, arg, **kw) for arg in element.clauses)
        return _Val(f"pb_json_value({doc}, {path})", "dyn")
    if isinstance(element, json_value_at):
        column, path = element.clauses
        sql = str(compiler.process(element, **kw))
        if _is_json_column(column):
            node = f"({compiler.process(column, **kw)} #> pb_json_path(CAST({compiler.process(path, **kw)} AS text)))"
            return _Val(sql, "dyn", node=node)
        return _Val(sql, "dyn")
    sql = str(compiler.process(element, **kw))
    sql_type = getattr(element, "type", None)
    is_column = isinstance(element, ColumnClause) and not isinstance(element, BindParameter)
    affinity = "none"
    if isinstance(sql_type, JSONText):
        # NOTE: a JSON column holds a number (stored as one under its NUMERIC affinity) or
        # its JSON text.
        return _Val(f"pb_stored_json({sql})", "dyn", "numeric" if is_column else "none")
    if isinstance(sql_type, JSONValue):
        return _Val(sql, "dyn")
    if isinstance(sql_type, Boolean):
        return _Val(sql, "bool", "numeric" if is_column else "none")
    if isinstance(sql_type, Numeric | Float | Integer):
        if is_column:
            affinity = "numeric"
        # NOTE: a REAL prints with a decimal point ("0.0"): Float parameters and computed
        # values (geoDistance); a NUMERIC column stores whole numbers as integers.
        real = not is_column and isinstance(sql_type, Float)
        return _Val(sql, "num", affinity, real=real)
    if is_column and isinstance(sql_type, String):
        return _Val(sql, "text", "text")
    # NOTE: a parameter gets its type (Postgres cannot guess it inside CASE or a function).
    return _Val(f"CAST({sql} AS text)", "text")


def _num_sql(value: _Val) -> str:
    return f"CAST({value.sql} AS int)" if value.cls == "bool" else value.sql


def _jsonb(value: _Val) -> str:
    """The operand as a jsonb number or string (NULL stays NULL)."""
    if value.cls == "null":
        return "CAST(NULL AS jsonb)"
    if value.cls == "dyn":
        return value.sql
    if value.cls in ("num", "bool"):
        return f"to_jsonb(CAST({_num_sql(value)} AS double precision))"
    if value.to_number:
        return f"pb_numeric_affinity(to_jsonb(CAST({value.sql} AS text)))"
    return f"to_jsonb(CAST({value.sql} AS text))"


def _text_sql(value: _Val) -> str:
    """The operand as SQLite's text of it (numbers as SQLite prints them, JSON values unquoted)."""
    if value.cls == "text":
        return value.sql
    if value.cls == "null":
        return "CAST(NULL AS text)"
    if value.cls == "dyn":
        return f"pb_text({value.sql})"
    real = "true" if value.real else "false"
    return f"pb_num_text(CAST({_num_sql(value)} AS double precision), {real})"


def _with_affinity(value: _Val, affinity: str) -> _Val:
    if affinity == "numeric":
        if value.cls == "text":
            return replace(value, to_number=True)
        if value.cls == "dyn":
            return replace(value, sql=f"pb_numeric_affinity({value.sql})")
        return value
    if value.cls in ("num", "bool", "dyn"):
        return _Val(_text_sql(value), "text")
    return value


_OPS = {
    operators.eq: "=", operators.ne: "<>", operators.lt: "<", operators.le: "<=", operators.gt: ">",
    operators.ge: ">=",
}
# NOTE: a number sorts before any text: the answer of `number op text` (swapped: `text op number`).
_NUMBER_FIRST = {"=": False, "<>": True, "<": True, "<=": True, ">": False, ">=": False}
_SWAPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _null_safe(op: Any, a: str, b: str, compare: str) -> str:
    """``compare`` (a comparison of a and b) with IS [NOT] DISTINCT FROM's handling of NULL."""
    if op is operators.is_distinct_from:
        return f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN ({a}) IS NULL <> (({b}) IS NULL) ELSE NOT ({compare}) END)"
    return f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN ({a}) IS NULL AND ({b}) IS NULL ELSE {compare} END)"


def _constant(op: Any, a: _Val, b: _Val, number_first: bool) -> str:
    """A number against a text: the answer is known, NULL aside (``number_first``: a is the number)."""
    word = "=" if op in (operators.is_distinct_from, operators.is_not_distinct_from) else _OPS[op]
    answer = _NUMBER_FIRST[word if number_first else _SWAPPED[word]]
    if op is operators.is_distinct_from:
        return f"NOT (({a.sql}) IS NULL AND ({b.sql}) IS NULL)"
    if op is operators.is_not_distinct_from:
        return f"(({a.sql}) IS NULL AND ({b.sql}) IS NULL)"
    return f"(CASE WHEN ({a.sql}) IS NULL OR ({b.sql}) IS NULL THEN NULL ELSE {'true' if answer else 'false'} END)"


def _native(op: Any, a: str, b: str) -> str:
    if op is operators.is_distinct_from:
        return f"{a} IS DISTINCT FROM {b}"
    if op is operators.is_not_distinct_from:
        return f"{a} IS NOT DISTINCT FROM {b}"
    return f"{a} {_OPS[op]} {b}"


def _json_node_comparison(op: Any, a: _Val, b: _Val) -> str | None:
    """A JSON value read from a jsonb column against a number or a text, spelt with jsonb's
    operators only (PERF: no function call per row; pb_cmp costs ~10x more).

    Against a text, the value becomes a text key that keeps SQLite's order: ``0`` for a number
    (before any text) and ``1`` + the text for a text; against a number, a number key: a text
    is +Infinity (after any number). NULL stays NULL.
    """
    if a.node is None and b.node is None or a.cls == b.cls == "dyn":
        return None
    dyn, other = (a, b) if a.cls == "dyn" else (b, a)
    if dyn.node is None or other.to_number:
        return None
    node = dyn.node
    if other.cls == "text":
        key = (
            f"(CASE jsonb_typeof({node}) WHEN 'string' THEN '1' || ({node} #>> '{{}}') WHEN 'number' THEN '0' "
            f"WHEN 'boolean' THEN '0' WHEN 'array' THEN '1' || pb_minified({node}) "
            f"WHEN 'object' THEN '1' || pb_minified({node}) END)"
        )
        other_sql = f"('1' || {other.sql})"
    else:
        key = (
            f"(CASE jsonb_typeof({node}) WHEN 'number' THEN CAST({node} #>> '{{}}' AS double precision) "
            f"WHEN 'boolean' THEN CASE WHEN {node} = 'true'::jsonb THEN 1.0 ELSE 0.0 END "
            f"WHEN 'string' THEN CAST('Infinity' AS double precision) WHEN 'array' THEN CAST('Infinity' AS double precision) "
            f"WHEN 'object' THEN CAST('Infinity' AS double precision) END)"
        )
        other_sql = f"CAST({_num_sql(other)} AS double precision)"
    sides = (key, other_sql) if dyn is a else (other_sql, key)
    return _native(op, *sides)


def _comparison_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str | None:
    """A comparison as SQLite makes it (None: Postgres's own is the same)."""
    left, right = element.left, element.right
    if isinstance(left, CollectionAggregate) or isinstance(right, CollectionAggregate):
        return None  # NOTE: x = ANY(array): Postgres's own (the driver's reflection queries)
    op = element.operator
    a, b = _val(compiler, left, **kw), _val(compiler, right, **kw)
    if "null" in (a.cls, b.cls):
        return None
    if a.aff == "numeric" and b.aff != "numeric":
        b = _with_affinity(b, "numeric")
    elif b.aff == "numeric" and a.aff != "numeric":
        a = _with_affinity(a, "numeric")
    elif a.aff == "text" and b.aff == "none":
        b = _with_affinity(b, "text")
    elif b.aff == "text" and a.aff == "none":
        a = _with_affinity(a, "text")
    if "dyn" in (a.cls, b.cls):
        fast = _json_node_comparison(op, a, b)
        if fast is not None:
            return fast
        ja, jb = _jsonb(a), _jsonb(b)
        if op in (operators.is_distinct_from, operators.is_not_distinct_from):
            return _null_safe(op, ja, jb, f"pb_cmp({ja}, {jb}) = 0")
        return f"pb_cmp({ja}, {jb}) {_OPS[op]} 0"
    if a.cls == b.cls == "bool":
        return _native(op, a.sql, b.sql)
    numbers = ("num", "bool")
    if a.cls in numbers and b.cls in numbers:
        return _native(op, _num_sql(a), _num_sql(b))
    if a.cls == b.cls == "text":
        return _native(op, a.sql, b.sql)
    number, other = (a, b) if a.cls in numbers else (b, a)
    if other.to_number:
        # NOTE: text meeting numeric affinity: compared as a number when it reads as one.
        converted = f"pb_num({other.sql})"
        sides = (_num_sql(a), converted) if number is a else (converted, _num_sql(b))
        return f"(CASE WHEN {converted} IS NOT NULL THEN {_native(op, *sides)} ELSE {_constant(op, a, b, number is a)} END)"
    return _constant(op, a, b, number is a)


def _as_text(compiler: Any, element: Any, **kw: Any) -> str:
    """``element`` as SQLite's text of it (for LIKE, COALESCE over mixed values, strftime)."""
    return _text_sql(_val(compiler, element, **kw))


def _as_number(compiler: Any, element: Any, **kw: Any) -> str:
    value = _val(compiler, element, **kw)
    if value.cls in ("num", "bool"):
        return _num_sql(value)
    if value.cls == "null":
        return value.sql
    return f"pb_num({_text_sql(value)})"




def _ascii_lower(sql: str) -> str:
    # NOTE: SQLite's LIKE folds the case of ASCII letters only, whatever Postgres's locale:
    # lower() under the "C" collation does (PERF: 13x faster than translate()).
    return f'lower(({sql}) COLLATE "C")'


@compiles(ExpressionClauseList, "postgresql")
def _clause_list_pg(element: ExpressionClauseList[Any], compiler: Any, **kw: Any) -> str:
    if element.operator is operators.concat_op:
        # NOTE: SQLite's || reads any value as text (true as 1).
        return " || ".join(_as_text(compiler, clause, **kw) for clause in element.clauses)
    return str(compiler.visit_expression_clauselist(element, **kw))


@compiles(BinaryExpression, "postgresql")
def _binary_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str:
    op = element.operator
    if op is operators.like_op or op is operators.not_like_op:
        # NOTE: SQLite's LIKE reads any value as text and ignores the case of ASCII letters.
        left = _ascii_lower(_as_text(compiler, element.left, **kw))
        right = _ascii_lower(_as_text(compiler, element.right, **kw))
        escape = (element.modifiers or {}).get("escape")
        word = "LIKE" if op is operators.like_op else "NOT LIKE"
        sql = f"{left} {word} {right}"
        if escape:
            sql += " ESCAPE " + compiler.render_literal_value(escape, Text())
        return sql
    if op is operators.concat_op:
        return f"{_as_text(compiler, element.left, **kw)} || {_as_text(compiler, element.right, **kw)}"
    if op in _COMPARISONS:
        mixed = _comparison_pg(element, compiler, **kw)
        if mixed is not None:
            return mixed
    return str(compiler.visit_binary(element, **kw))


class json_class_rank(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """0 for a number, 1 for a text, NULL for NULL: the first key of a sort by a JSON value
    (jsonb sorts strings before numbers; SQLite sorts numbers first)."""

    type = Integer()
    inherit_cache = True
    name = "json_class_rank"


@compiles(json_class_rank, "postgresql")
def _class_rank_pg(element: json_class_rank, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    sql = compiler.process(value, **kw)
    return f"(CASE WHEN {sql} IS NULL THEN NULL WHEN jsonb_typeof({sql}) = 'number' THEN 0 ELSE 1 END)"


class stored_json(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """A JSON column's value as SQLite stores it (a number, else its JSON text)."""

    type = JSONValue()
    inherit_cache = True
    name = "pb_stored_json"


@compiles(stored_json, "postgresql")
def _stored_json_pg(element: stored_json, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    return f"pb_stored_json({compiler.process(value, **kw)})"


def _json_sort_keys(order: Any) -> list[Any]:
    """Each sort by a JSON value preceded by its class rank (numbers before text, as SQLite)."""
    keys: list[Any] = []
    for clause in order:
        value = clause
        while isinstance(value, UnaryExpression) and value.modifier is not None:
            value = value.element
        _, descending = _direction(clause)
        if _is_json_column(value):
            # NOTE: a JSON column sorts by what SQLite stores: a number, or its JSON text.
            value = stored_json(value)
            clause = value.desc() if descending else value.asc()
        if isinstance(getattr(value, "type", None), JSONValue):
            rank = json_class_rank(value)
            keys.append(rank.desc() if descending else rank.asc())
        keys.append(clause)
    return keys


@compiles(Select, "postgresql")
def _select_pg(element: Select[Any], compiler: Any, **kw: Any) -> str:
    order = element._order_by_clauses
    if not order:
        return str(compiler.visit_select(element, **kw))
    expanded = _json_sort_keys(order)
    if any(a is not b for a, b in zip(expanded, order, strict=False)) or len(expanded) != len(order):
        element = element.order_by(None).order_by(*expanded)
        order = element._order_by_clauses
    if element._distinct and not element._distinct_on:
        # NOTE: Postgres refuses ORDER BY terms outside a DISTINCT select list (SQLite takes
        # any row's value): the same rows as GROUP BY every selected column, each ordered by
        # its group's first value in the sort's direction.
        grouped = element._generate()
        grouped._distinct = False
        grouped = grouped.group_by(*element.selected_columns).order_by(None).order_by(
            *(_aggregate_order(clause) for clause in order)
        )
        return str(compiler.process(grouped, **kw))
    if all(_has_nulls_order(clause) for clause in order):
        return str(compiler.visit_select(element, **kw))
    # NOTE: SQLite sorts NULL first ascending and last descending; Postgres the other way.
    sorted_nulls = element.order_by(None).order_by(*(_sqlite_nulls(clause) for clause in order))
    return str(compiler.visit_select(sorted_nulls, **kw))


def _direction(clause: Any) -> tuple[Any, bool]:
    if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
        return clause.element, clause.modifier is operators.desc_op
    return clause, False


def _has_nulls_order(clause: Any) -> bool:
    return isinstance(clause, UnaryExpression) and clause.modifier in (operators.nulls_first_op, operators.nulls_last_op)


def _sqlite_nulls(clause: Any) -> Any:
    if _has_nulls_order(clause):
        return clause
    value, descending = _direction(clause)
    return value.desc().nulls_last() if descending else value.asc().nulls_first()


def _aggregate_order(clause: Any) -> Any:
    value, descending = _direction(clause)
    if isinstance(value, UnaryExpression) and value.modifier in (operators.nulls_first_op, operators.nulls_last_op):
        value = value.element
        value, descending = _direction(value)
    if isinstance(value, Function) and value.name.lower() == "random":
        return value
    if isinstance(getattr(value, "type", None), JSONValue):
        return _greatest_json(value).desc().nulls_last() if descending else _least_json(value).asc().nulls_first()
    if isinstance(getattr(value, "type", None), Boolean):
        return func.bool_or(value).desc().nulls_last() if descending else func.bool_and(value).asc().nulls_first()
    if descending:
        return func.max(value).desc().nulls_last()
    return func.min(value).asc().nulls_first()


class _least_json(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The first JSON value of a group in SQLite's order (Postgres has no min/max for jsonb)."""

    type = JSONValue()
    inherit_cache = True
    name = "least_json"
    direction = "ASC"


class _greatest_json(_least_json):  # noqa: N801
    """The last JSON value of a group in SQLite's order."""

    inherit_cache = True
    name = "greatest_json"
    direction = "DESC"


@compiles(_least_json, "postgresql")
@compiles(_greatest_json, "postgresql")
def _first_json_pg(element: _least_json, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    sql = compiler.process(value, **kw)
    rank = f"(CASE WHEN jsonb_typeof({sql}) = 'number' THEN 0 ELSE 1 END)"
    way = element.direction
    return f"(array_agg({sql} ORDER BY {rank} {way}, {sql} {way}))[1]"


class hour_of(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """``YYYY-MM-DD HH:00:00`` of a PocketBase date text (the logs' stats per hour).

    SQLite: ``strftime`` (as the logs' hour index is written); Postgres: the text's first 13
    characters (one expression text, so GROUP BY matches the select list).
    """

    type = Text()
    inherit_cache = True
    name = "hour_of"


@compiles(hour_of)
def _hour_sqlite(element: hour_of, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return str(compiler.process(func.strftime(literal("%Y-%m-%d %H:00:00", Text()), column), **kw))


@compiles(hour_of, "postgresql")
def _hour_pg(element: hour_of, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"(substr({compiler.process(column, **kw)}, 1, 13) || ':00:00')"


def strftime(*args: Any) -> ColumnElement[Any]:
    """``strftime(format, time-value, modifiers...)`` spelt for the database."""
    return func.strftime(*args)


# ---- per-database facts ---------------------------------------------------------------------


class SqliteDialect:
    """What differs for SQLite outside query expressions."""

    name = "sqlite"

    def table_names(self, conn: Connection) -> set[str]:
        """Names of the tables and views in the database."""
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
        return {row[0] for row in rows}

    def index_names(self, conn: Connection, table: str) -> list[str]:
        """The user indexes of ``table`` (not the implicit ones behind constraints)."""
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        ).all()
        return [row[0] for row in rows]

    def has_table(self, conn: Connection, name: str) -> bool:
        """Whether a table or view is named ``name`` (any case)."""
        found = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = :n COLLATE NOCASE"),
            {"n": name},
        ).scalar()
        return bool(found)

    def table_info(self, conn: Connection, name: str) -> list[dict[str, Any]]:
        """The columns of a table: ``pk``, ``index``, ``name``, ``type``, ``notNull``, ``defaultValue``."""
        quoted = conn.dialect.identifier_preparer.quote(name)
        return [
            {"pk": r._mapping["pk"], "index": r._mapping["cid"], "name": r._mapping["name"], "type": r._mapping["type"],
             "notNull": bool(r._mapping["notnull"]), "defaultValue": r._mapping["dflt_value"]}
            for r in conn.execute(text(f"PRAGMA table_info({quoted})"))
        ]  # fmt: skip

    def index_sql(self, conn: Connection, table: str) -> dict[str, str]:
        """``name -> CREATE INDEX sql`` of the user indexes of ``table``."""
        rows = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        )
        return {r[0]: r[1] for r in rows}

    def views(self, conn: Connection) -> list[tuple[str, str]]:
        """``(name, CREATE VIEW sql)`` of every view."""
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL")).all()
        return [(row[0], row[1]) for row in rows]

    def view_body(self, select_sql: str, columns: list[str] | None = None, spellings: Spellings | None = None) -> str:
        """The body of ``CREATE VIEW x AS ...`` for a view collection's query (``columns``: the
        names its columns take, where the query's own names are not all distinct; ``spellings``:
        the database's table and column names, see :meth:`PostgresDialect.spellings`)."""
        return f"SELECT * FROM ({select_sql})"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        """Whether ``ex`` is a UNIQUE constraint failure."""
        from sqlalchemy.exc import IntegrityError

        return isinstance(ex, IntegrityError) and "UNIQUE constraint failed" in str(ex.orig)

    @staticmethod
    def is_refused_statement(ex: BaseException) -> bool:
        """Whether ``ex`` is the database refusing what a write does (an index expression that
        fails on the row, SQLite's 'now' in an index), not failing to run it (a lock, a lost
        connection): PocketBase answers the first as the write's 400."""
        code = getattr(getattr(ex, "orig", ex), "sqlite_errorcode", None)
        return isinstance(code, int) and code & 0xFF == 1  # NOTE: SQLITE_ERROR

    @staticmethod
    def unique_violation_columns(ex: BaseException) -> list[str]:
        """Column names named by a UNIQUE constraint failure."""
        message = str(getattr(ex, "orig", ex))
        _, _, cols = message.partition("UNIQUE constraint failed:")
        return [c.strip().split(".")[-1] for c in cols.split(",") if c.strip()]

    def cardinality_value(self, old: str, to_multi: bool) -> str:
        """The SQL converting a single<->multi value column's old values (PocketBase's SQL)."""
        if to_multi:
            return (
                f"CASE WHEN COALESCE({old}, '') = '' THEN '[]' ELSE (CASE WHEN json_valid({old}) AND "
                f"json_type({old}) == 'array' THEN {old} ELSE json_array({old}) END) END"
            )
        # NOTE: multi -> single keeps only the last element, as PocketBase does.
        return (
            f"CASE WHEN COALESCE({old}, '[]') = '[]' THEN '' ELSE (CASE WHEN json_valid({old}) AND "
            f"json_type({old}) == 'array' THEN COALESCE(json_extract({old}, '$[#-1]'), '') ELSE {old} END) END"
        )

    def extra_table_ddl(self, quoted_table: str) -> list[str]:
        """Statements run after ``CREATE TABLE`` of a collection (none: SQLite has rowid)."""
        return []


_LOWER_RE = re.compile(r'^lower\((.*)\)$', re.IGNORECASE)
_FIRST_WORD_RE = re.compile(r"\s*([A-Za-z_]\w*)")
# the words a view's query may start with inside SQLite's FROM (...), and the statements it
# cannot (SQLite answers: near "DELETE": syntax error)
_QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES"})
_STATEMENT_STARTS = frozenset({"DELETE", "UPDATE", "INSERT", "DROP", "CREATE", "ALTER", "COMMIT", "BEGIN", "ROLLBACK"})
_VIEW_DEPENDS_RE = re.compile(r'view "?([^" ]+)"? depends on column "?([^" ]+)"?')
# (sqlstate, Postgres's message, SQLite's words for it) for the errors a query written for
# SQLite meets most (view queries, index expressions): answered as PocketBase answers them.
_SQLITE_WORDS = (
    ("42P01", re.compile(r'relation "(.+)" does not exist'), "SQL logic error: no such table: {} (1)"),
    ("42703", re.compile(r'column "?(.+?)"? does not exist'), "SQL logic error: no such column: {} (1)"),
    ("42702", re.compile(r'column reference "(.+)" is ambiguous'), "SQL logic error: ambiguous column name: {} (1)"),
    ("42883", re.compile(r'function (\w+)\(.*\) does not exist'), "SQL logic error: no such function: {} (1)"),
    ("42601", re.compile(r'syntax error at or near "(.+)"'), 'SQL logic error: near "{}": syntax error (1)'),
    ("42601", re.compile(r'syntax error at end of input'), "SQL logic error: incomplete input (1)"),
    # NOTE: SQLite's refusal of 'now' in an index, raised by pybase.store.index_sql's helpers
    ("PB001", re.compile(r'(non-deterministic use of .+)'), "SQL logic error: {} (1)"),
    # NOTE: a statement past its time limit (statement_timeout), as SQLite's interrupted one
    ("57014", re.compile(r'canceling statement due to statement timeout'), "interrupted: interrupted (9)"),
)


def unique_column_names(names: list[str]) -> list[str]:
    """The names SQLite gives a view's columns: a name met again (in any case) takes ``:1``,
    ``:2``... in place of a ``:<digits>`` it ends with, until it is new."""
    seen: set[str] = set()
    out = []
    for name in names:
        count = 0
        while name.lower() in seen:
            count += 1
            name = f"{re.sub(r':[0-9]+$', '', name)}:{count}"
        seen.add(name.lower())
        out.append(name)
    return out


#: (tables, columns): a lower-case name -> the one spelling the database has for it
Spellings = tuple[dict[str, str], dict[str, str]]


def _respell(tree: Any, spellings: Spellings) -> None:
    """Names in another case than the database's (``SELECT TITLE FROM Posts``: SQLite's names
    ignore case, Postgres's quoted ones do not) spelled as the database spells them; a column
    the view shows keeps the name written (SQLite names it so)."""
    from sqlglot import exp

    tables, columns = spellings
    tables = dict(tables)
    for alias in tree.find_all(exp.TableAlias):
        if alias.name:
            tables.setdefault(alias.name.lower(), alias.name)
    if isinstance(tree, exp.Select):
        for item in list(tree.expressions):
            if isinstance(item, exp.Column) and columns.get(item.name.lower(), item.name) != item.name:
                item.replace(exp.Alias(this=item.copy(), alias=exp.to_identifier(item.name)))
    for node in list(tree.find_all(exp.Column, exp.Table)):
        parts = [(node.args.get("this"), columns if isinstance(node, exp.Column) else tables)]
        if isinstance(node, exp.Column):
            parts.append((node.args.get("table"), tables))
        for ident, known in parts:
            if isinstance(ident, exp.Identifier):
                spelled = known.get(ident.name.lower())
                if spelled is not None and spelled != ident.name:
                    ident.set("this", spelled)


def _truths_as_numbers(tree: Any) -> None:
    """A truth a view's query selects (``a > b AS x``, ``TRUE``) as SQLite's 0/1, not Postgres's
    boolean: the view reads alike on both databases. Only the columns the view shows: a
    subquery's stay booleans for the conditions that use them."""
    from sqlglot import exp

    truths = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)
    # NOTE: not a UNION's: its other SELECTs may hold booleans a number cannot meet
    if isinstance(tree, exp.Select):
        for item in tree.expressions:
            value = item.this if isinstance(item, exp.Alias) else item
            inner = value.unnest() if isinstance(value, exp.Paren) else value
            if not isinstance(inner, truths):
                continue
            number = exp.Cast(this=exp.Paren(this=value.copy()), to=exp.DataType.build("int"))
            if isinstance(item, exp.Alias):
                item.set("this", number)
            else:
                item.replace(exp.Alias(this=number, alias=exp.to_identifier("?column?")))


class _Wrapped:
    """A driver error as SQLAlchemy's wrapper holds it (``.orig``)."""

    def __init__(self, orig: Any) -> None:
        self.orig = orig


class PostgresDialect(SqliteDialect):
    """What differs for Postgres outside query expressions."""

    name = "postgresql"

    def table_names(self, conn: Connection) -> set[str]:
        rows = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type IN ('BASE TABLE', 'VIEW')"
            )
        )
        return {row[0] for row in rows}

    def index_names(self, conn: Connection, table: str) -> list[str]:
        rows = conn.execute(
            text(
                "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename = :t "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ),
            {"t": table},
        ).all()
        return [row[0] for row in rows]

    def has_table(self, conn: Connection, name: str) -> bool:
        found = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND lower(table_name) = lower(:n)"
            ),
            {"n": name},
        ).scalar()
        return bool(found)

    def table_info(self, conn: Connection, name: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            text(
                "SELECT c.ordinal_position - 1 AS cid, c.column_name, upper(c.data_type), c.is_nullable = 'NO', "
                "c.column_default, COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints t "
                "JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name "
                "AND k.table_schema = t.table_schema WHERE t.table_schema = c.table_schema "
                "AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY' "
                "AND k.column_name = c.column_name), 0) FROM information_schema.columns c "
                "WHERE c.table_schema = current_schema() AND c.table_name = :t AND c.column_name <> :rowid "
                "ORDER BY c.ordinal_position"
            ),
            {"t": name, "rowid": ROWID_COLUMN},
        )
        return [
            {"pk": pk, "index": cid, "name": column, "type": sql_type, "notNull": bool(not_null), "defaultValue": default}
            for cid, column, sql_type, not_null, default, pk in rows
        ]

    def index_sql(self, conn: Connection, table: str) -> dict[str, str]:
        rows = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ),
            {"t": table},
        )
        return {r[0]: r[1] for r in rows}

    def views(self, conn: Connection) -> list[tuple[str, str]]:
        rows = conn.execute(
            text(
                "SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema()"
            )
        ).all()
        return [(row[0], f'CREATE VIEW "{row[0]}" AS {row[1]}') for row in rows]

    def view_body(self, select_sql: str, columns: list[str] | None = None, spellings: Spellings | None = None) -> str:
        # NOTE: view queries are written for SQLite (as PocketBase's): translated by sqlglot,
        # every identifier quoted (pybase's columns keep their case); Postgres 15 wants an
        # alias on a subquery in FROM. Postgres refuses a view of two columns of one name,
        # which SQLite names apart (see unique_column_names): ``columns`` names them.
        alias = "_pb_view"
        if columns is not None:
            alias += "(" + ", ".join('"' + name.replace('"', '""') + '"' for name in columns) + ")"
        import sqlglot

        first = _FIRST_WORD_RE.match(select_sql)
        if first and first.group(1).upper() not in _QUERY_STARTS:
            if first.group(1).upper() in _STATEMENT_STARTS:
                # NOTE: SQLite stops at such a word inside FROM (...); Postgres would read
                # some of them as a table name and fail further on.
                from psycopg import errors
                from sqlalchemy.exc import ProgrammingError

                error = errors.SyntaxError(f'syntax error at or near "{first.group(1)}"')
                raise ProgrammingError(select_sql, None, error)
            # NOTE: SQLite reads FROM (name alias) as a table: so does FROM name alias.
            return f"SELECT * FROM {select_sql}"
        from sqlglot import exp

        try:
            tree = sqlglot.parse_one(select_sql, read="sqlite")
            # NOTE: SQLite lets a subquery in FROM go unnamed, Postgres 15 does not.
            for number, sub in enumerate(tree.find_all(exp.Subquery)):
                if not sub.alias and isinstance(sub.parent, (exp.From, exp.Join)):
                    sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_pb_sub{number}")))
            _truths_as_numbers(tree)
            if spellings is not None:
                _respell(tree, spellings)
            translated = tree.sql(dialect="postgres", identify=True)
        except sqlglot.errors.SqlglotError:
            translated = select_sql  # NOTE: Postgres then names the problem itself
        return f"SELECT * FROM ({translated}) AS {alias}"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        return getattr(getattr(ex, "orig", None), "sqlstate", None) == "23505"

    @staticmethod
    def spellings(conn: Connection) -> Spellings:
        """The tables' and columns' names of the database, by their lower case (a name spelt
        two ways is left out: which one a query means is not known)."""
        rows = conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )).all()  # fmt: skip
        tables: dict[str, set[str]] = {}
        columns: dict[str, set[str]] = {}
        for table, column in rows:
            tables.setdefault(table.lower(), set()).add(table)
            columns.setdefault(column.lower(), set()).add(column)
        return (
            {k: next(iter(v)) for k, v in tables.items() if len(v) == 1},
            {k: next(iter(v)) for k, v in columns.items() if len(v) == 1},
        )

    @staticmethod
    def is_refused_statement(ex: BaseException) -> bool:
        # NOTE: data exceptions (22), a function's own error (P0, PB: index_sql's helpers)
        state = getattr(getattr(ex, "orig", ex), "sqlstate", None) or ""
        return state[:2] in ("22", "P0", "PB")

    @staticmethod
    def unique_violation_columns(ex: BaseException) -> list[str]:
        # NOTE: "Key (col1, col2)=(...) already exists." in the error's detail.
        diag = getattr(getattr(ex, "orig", None), "diag", None)
        detail = getattr(diag, "message_detail", None) or ""
        found = re.match(r"Key \((.*?)\)=\(", detail)
        if not found:
            return []
        # NOTE: an index over lower(x) (SQLite's COLLATE NOCASE) names x, as SQLite does.
        return [_LOWER_RE.sub(r"\1", c.strip()).strip('"') for c in found.group(1).split(",") if c.strip()]

    @staticmethod
    def error_text(error: Any, in_view: bool = False) -> str:
        """A psycopg error in the words of the SQLite error PocketBase would report: a unique
        violation as SQLite's (``constraint failed: UNIQUE constraint failed: t.c (2067)``),
        unknown tables, columns and functions, ambiguous columns and syntax errors as SQLite
        words them (``in_view``: raised by a view's query, where SQLite names a missing table
        with its schema, ``main.x``), others as Postgres's first line."""
        diag = getattr(error, "diag", None)
        state = getattr(error, "sqlstate", None)
        if state == "23505":
            table = getattr(diag, "table_name", None) or ""
            names = PostgresDialect.unique_violation_columns(_Wrapped(error))
            if names and table:
                columns = ", ".join(f"{table}.{name}" for name in names)
                return f"constraint failed: UNIQUE constraint failed: {columns} (2067)"
        message = str(getattr(diag, "message_primary", None) or str(error).splitlines()[0])
        view = _VIEW_DEPENDS_RE.match(getattr(diag, "message_detail", None) or "") if state == "2BP01" else None
        if view:
            # NOTE: SQLite drops the column, then finds the view broken
            return f"SQL logic error: error in view {view.group(1)} after drop column: no such column: {view.group(2)} (1)"
        for sqlstate, pattern, words in _SQLITE_WORDS:
            found = pattern.fullmatch(message) if state == sqlstate else None
            if found:
                name = found.group(1) if found.groups() else ""
                if sqlstate == "42P01" and in_view and "." not in name:
                    name = f"main.{name}"
                return words.format(name)
        return message

    def cardinality_value(self, old: str, to_multi: bool) -> str:
        if to_multi:
            return (
                f"CASE WHEN COALESCE(CAST({old} AS text), '') = '' THEN '[]'::jsonb "
                f"ELSE jsonb_build_array({old}) END"
            )
        return (
            f"CASE WHEN {old} IS NULL OR jsonb_typeof({old}) <> 'array' OR jsonb_array_length({old}) = 0 "
            f"THEN '' ELSE COALESCE({old} ->> -1, '') END"
        )

    def extra_table_ddl(self, quoted_table: str) -> list[str]:
        return [f'ALTER TABLE {quoted_table} ADD COLUMN IF NOT EXISTS "{ROWID_COLUMN}" bigint GENERATED ALWAYS AS IDENTITY']


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def dialect_of(conn: Connection) -> SqliteDialect:
    """The dialect facts for the database behind ``conn``."""
    return POSTGRES if conn.dialect.name == "postgresql" else SQLITE

# Functions the Postgres renderings above rely on, created once per database by db_postgres.
POSTGRES_HELPERS = r"""
CREATE OR REPLACE FUNCTION pb_to_timestamp(value text) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL OR value = '' THEN RETURN NULL; END IF;
    IF value = 'now' THEN RETURN now() AT TIME ZONE 'UTC'; END IF;
    IF value ~ '^-?[0-9]+(\.[0-9]+)?$' THEN
        -- NOTE: as SQLite: a bare number is a Julian day number
        RETURN timestamp '4714-11-24 12:00:00 BC' + CAST(value AS double precision) * interval '1 day';
    END IF;
    RETURN CAST(replace(replace(value, 'T', ' '), 'Z', '') AS timestamp);
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pb_strftime(fmt text, value text DEFAULT 'now', VARIADIC modifiers text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    moment timestamp;
    result text := '';
    i int := 1;
    code text;
    modifier text;
    parts text[];
    first boolean := true;
BEGIN
    IF fmt IS NULL THEN RETURN NULL; END IF;
    IF cardinality(modifiers) > 0 AND lower(trim(modifiers[1])) = 'unixepoch' THEN
        IF pb_num(value) IS NULL THEN RETURN NULL; END IF;
        moment := to_timestamp(pb_num(value)) AT TIME ZONE 'UTC';
    ELSE
        moment := pb_to_timestamp(value);
    END IF;
    IF moment IS NULL THEN RETURN NULL; END IF;
    -- NOTE: SQLite's modifiers, those with a meaning in UTC (PocketBase's times are UTC).
    FOREACH modifier IN ARRAY modifiers LOOP
        modifier := lower(trim(modifier));
        IF first AND modifier = 'unixepoch' THEN
            NULL;
        ELSIF modifier IN ('utc', 'localtime', 'auto', 'subsec', 'subsecond') THEN
            NULL;
        ELSIF modifier IN ('start of day', 'start of month', 'start of year') THEN
            moment := date_trunc(substr(modifier, 10), moment);
        ELSIF modifier ~ '^weekday [0-6]$' THEN
            moment := date_trunc('day', moment) + ((CAST(substr(modifier, 9) AS int)
                - CAST(extract(dow FROM moment) AS int) + 7) % 7) * interval '1 day'
                + (moment - date_trunc('day', moment));
        ELSIF modifier ~ '^[-+]?[0-9]+(\.[0-9]+)? +(day|hour|minute|second|month|year)s?$' THEN
            parts := regexp_match(modifier, '^([-+]?[0-9]+(?:\.[0-9]+)?) +([a-z]+?)s?$');
            moment := moment + CAST(parts[1] AS double precision) * CAST('1 ' || parts[2] AS interval);
        ELSE
            RETURN NULL;
        END IF;
        first := false;
    END LOOP;
    WHILE i <= length(fmt) LOOP
        IF substr(fmt, i, 1) = '%' AND i < length(fmt) THEN
            code := substr(fmt, i + 1, 1);
            result := result || CASE code
                WHEN 'Y' THEN CASE WHEN moment < timestamp '0001-01-01' THEN
                    '-' || lpad(CAST(-CAST(extract(year FROM moment) AS int) - 1 AS text), 4, '0')
                    ELSE to_char(moment, 'YYYY') END
                WHEN 'm' THEN to_char(moment, 'MM')
                WHEN 'd' THEN to_char(moment, 'DD') WHEN 'H' THEN to_char(moment, 'HH24')
                WHEN 'M' THEN to_char(moment, 'MI') WHEN 'S' THEN to_char(moment, 'SS')
                WHEN 'f' THEN to_char(moment, 'SS.MS') WHEN 'j' THEN to_char(moment, 'DDD')
                WHEN 'w' THEN CAST(extract(dow FROM moment) AS int)::text
                WHEN 's' THEN CAST(floor(extract(epoch FROM moment)) AS bigint)::text
                -- NOTE: Postgres's Julian days start at midnight, SQLite's (astronomers') at noon
                WHEN 'J' THEN rtrim(rtrim(CAST(round(CAST(extract(julian FROM moment) AS numeric) - 0.5,
                    16 - length(CAST(CAST(floor(extract(julian FROM moment)) AS bigint) AS text))) AS text), '0'), '.')
                WHEN 'e' THEN lpad(to_char(moment, 'FMDD'), 2) WHEN 'F' THEN to_char(moment, 'YYYY-MM-DD')
                WHEN 'G' THEN to_char(moment, 'IYYY') WHEN 'g' THEN to_char(moment, 'IY')
                WHEN 'V' THEN to_char(moment, 'IW') WHEN 'u' THEN to_char(moment, 'ID')
                WHEN 'I' THEN to_char(moment, 'HH12') WHEN 'k' THEN lpad(to_char(moment, 'FMHH24'), 2)
                WHEN 'l' THEN lpad(to_char(moment, 'FMHH12'), 2) WHEN 'p' THEN to_char(moment, 'AM')
                WHEN 'P' THEN lower(to_char(moment, 'AM')) WHEN 'R' THEN to_char(moment, 'HH24:MI')
                WHEN 'T' THEN to_char(moment, 'HH24:MI:SS')
                WHEN 'W' THEN lpad(CAST((CAST(extract(doy FROM moment) AS int) + 6
                    - (CAST(extract(dow FROM moment) AS int) + 6) % 7) / 7 AS text), 2, '0')
                WHEN 'U' THEN lpad(CAST((CAST(extract(doy FROM moment) AS int) + 6
                    - CAST(extract(dow FROM moment) AS int)) / 7 AS text), 2, '0')
                WHEN '%' THEN '%' ELSE NULL END;
            IF result IS NULL THEN RETURN NULL; END IF;
            i := i + 2;
        ELSE
            result := result || substr(fmt, i, 1);
            i := i + 1;
        END IF;
    END LOOP;
    RETURN result;
EXCEPTION WHEN others THEN
    RETURN NULL;  -- NOTE: as SQLite: a time out of range has no text
END $$;

CREATE OR REPLACE FUNCTION pb_num(value text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL OR value !~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' THEN RETURN NULL; END IF;
    RETURN CAST(value AS double precision);
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pb_json_path(path text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(COALESCE(m[1], m[2]) ORDER BY n), '{}')
    FROM regexp_matches(substr(path, 2), '\[(-?[0-9]+)\]|\.?([^.\[\]]+)', 'g') WITH ORDINALITY AS t(m, n)
$$;

-- JSON text as pybase stores it in SQLite: compact, object keys in byte order (jsonb prints
-- blanks after , and : and orders keys by length first).
CREATE OR REPLACE FUNCTION pb_minified(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kind text := jsonb_typeof(v);
    result text;
BEGIN
    IF kind = 'object' THEN
        SELECT '{' || COALESCE(string_agg(CAST(to_jsonb(e.key) AS text) || ':' || pb_minified(e.value), ','
            ORDER BY e.key COLLATE "C"), '') || '}' INTO result FROM jsonb_each(v) AS e;
        RETURN result;
    ELSIF kind = 'array' THEN
        SELECT '[' || COALESCE(string_agg(pb_minified(e.value), ',' ORDER BY e.n), '') || ']' INTO result
        FROM jsonb_array_elements(v) WITH ORDINALITY AS e(value, n);
        RETURN result;
    END IF;
    RETURN v::text;
END $$;

-- A JSON value as SQLite's json_extract gives it, as a jsonb number or string: true/false as
-- 1/0, null as NULL, an array or object as its JSON text.
CREATE OR REPLACE FUNCTION pb_value(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'number' THEN v WHEN 'string' THEN v
        WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '1'::jsonb ELSE '0'::jsonb END
        WHEN 'null' THEN NULL ELSE to_jsonb(pb_minified(v)) END
$$;

-- A JSON column's value as SQLite stores it: a number as one (NUMERIC affinity), else its text.
CREATE OR REPLACE FUNCTION pb_stored_json(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v ELSE to_jsonb(pb_minified(v)) END
$$;

CREATE OR REPLACE FUNCTION pb_json_value(doc jsonb, path text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_value(doc #> pb_json_path(path)) $$;

CREATE OR REPLACE FUNCTION pb_json_value(doc text, path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN pb_json_value(CAST(doc AS jsonb), path);
EXCEPTION WHEN others THEN
    RETURN pb_json_value(to_jsonb(doc), path);
END $$;

-- Numeric affinity: a string that reads as a number becomes that number.
CREATE OR REPLACE FUNCTION pb_numeric_affinity(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'string' AND pb_num(v #>> '{}') IS NOT NULL
        THEN to_jsonb(pb_num(v #>> '{}')) ELSE v END
$$;

-- A REAL as SQLite prints it (printf "%!.15g": 15 significant digits, always a decimal point).
CREATE OR REPLACE FUNCTION pb_real_text(value double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    exponent int;
    digits text;
BEGIN
    IF value IS NULL THEN RETURN NULL; END IF;
    IF value = 0 THEN RETURN '0.0'; END IF;
    IF value = 'Infinity' THEN RETURN 'Inf'; END IF;
    IF value = '-Infinity' THEN RETURN '-Inf'; END IF;
    exponent := floor(log(abs(CAST(value AS numeric))));
    IF round(abs(CAST(value AS numeric)) / power(10::numeric, exponent), 14) >= 10 THEN
        exponent := exponent + 1;
    END IF;
    IF exponent < -4 OR exponent >= 15 THEN
        digits := rtrim(CAST(round(CAST(value AS numeric) / power(10::numeric, exponent), 14) AS text), '0');
        IF right(digits, 1) = '.' THEN digits := digits || '0'; END IF;
        RETURN digits || 'e' || CASE WHEN exponent < 0 THEN '-' ELSE '+' END || lpad(CAST(abs(exponent) AS text), 2, '0');
    END IF;
    digits := rtrim(CAST(round(CAST(value AS numeric), 14 - exponent) AS text), '0');
    IF right(digits, 1) = '.' THEN digits := digits || '0'; END IF;
    IF position('.' IN digits) = 0 THEN digits := digits || '.0'; END IF;
    RETURN digits;
END $$;

-- A number as SQLite prints it: an INTEGER bare, a REAL (is_real, or past 64 bits) as %!.15g.
CREATE OR REPLACE FUNCTION pb_num_text(value double precision, is_real boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT is_real AND value = trunc(value) AND abs(value) < 9.2e18
        THEN CAST(CAST(value AS bigint) AS text) ELSE pb_real_text(value) END
$$;

-- SQLite's text of a jsonb number or string (a JSON number with a fraction, an exponent or
-- past 64 bits is a REAL there).
CREATE OR REPLACE FUNCTION pb_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN
        CASE WHEN (v #>> '{}') ~ '^-?[0-9]{1,18}$' THEN v #>> '{}'
             ELSE pb_real_text(CAST(v #>> '{}' AS double precision)) END
        ELSE v #>> '{}' END
$$;

-- SQLite's comparison of two values (jsonb numbers or strings): numbers before text.
CREATE OR REPLACE FUNCTION pb_cmp(a jsonb, b jsonb) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number' THEN
            CASE WHEN CAST(a AS numeric) < CAST(b AS numeric) THEN -1
                 WHEN CAST(a AS numeric) > CAST(b AS numeric) THEN 1 ELSE 0 END
        WHEN jsonb_typeof(a) = 'number' THEN -1
        WHEN jsonb_typeof(b) = 'number' THEN 1
        WHEN (a #>> '{}') < (b #>> '{}') THEN -1
        WHEN (a #>> '{}') > (b #>> '{}') THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION pb_json_extract(doc jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT doc #>> pb_json_path(path) $$;

CREATE OR REPLACE FUNCTION pb_json_extract(doc text, path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN pb_json_extract(CAST(doc AS jsonb), path);
EXCEPTION WHEN others THEN
    RETURN pb_json_extract(to_jsonb(doc), path);
END $$;
"""
