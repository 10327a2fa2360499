"""The database-neutral SQL constructs pybase's queries are built from, each rendered for SQLite
(the default) and Postgres when a statement compiles (``@compiles``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    UnaryExpression,
)
from sqlalchemy.sql.functions import Function, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import UserDefinedType


class JSONText(UserDefinedType):  # type: ignore[type-arg]
    """A column holding JSON text pybase encodes itself: declared ``JSON`` in SQLite (as
    PocketBase declares it), ``JSONB`` in Postgres (read back as text, see db_postgres)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"


@compiles(JSONText, "postgresql")
def _jsontext_pg(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "JSONB"


class GeoPointText(JSONText):
    """A geoPoint column: JSON text ``{"lon":x,"lat":y}`` with its keys in that order (as SQLite
    holds it and sorts and compares it), where a jsonb object orders its keys by length first."""

    cache_ok = True


class JSONValue(UserDefinedType):  # type: ignore[type-arg]
    """The type of a value read from JSON (``json_value_at``, a JSON column's items): its class
    is known per row only. Postgres carries it as jsonb (a number or a string: SQLite's view)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSONB"


class ViewJSONText(JSONText):
    """A view collection's json field: on Postgres its column holds a text as SQLite computed it
    (JSON text or not: read as JSON here, as PocketBase reads it) or jsonb (a number, a truth, a
    table's json field: schema_sync.view_body); the renderings read either through
    ``pb_view_json`` (overloaded: jsonb as it is, a text parsed)."""

    cache_ok = True


def _is_json_column(element: Any) -> bool:
    return isinstance(getattr(element, "type", None), JSONText)


def _is_view_json(element: Any) -> bool:
    return isinstance(getattr(element, "type", None), ViewJSONText)


def pg_json_doc(compiler: Any, column: Any, **kw: Any) -> str:
    """A JSON column as jsonb on Postgres (a view's json field's text parsed, see ViewJSONText)."""
    sql = str(compiler.process(column, **kw))
    return f"pb_view_json({sql})" if _is_view_json(column) else sql


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

HELD_PREFIX = "pb$held$"
"""Postgres: the start of the name of a view's hidden column holding the SQL value of the column
it names (:mod:`pybase.store.view_held`): a ``$``, which no field's name holds."""


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
    sql = pg_json_doc(compiler, column, **kw)
    if _is_json_column(column):
        return f"(CASE WHEN jsonb_typeof({sql}) = 'array' THEN {sql} ELSE jsonb_build_array({sql}) END)"
    return f"jsonb_build_array({sql})"


@compiles(json_items, "postgresql")
def _json_items_pg(element: json_items, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    # NOTE: with the items' positions (``ordinality``): the order SQLite's json_each meets them
    return f"jsonb_array_elements_text({_pg_jsonb(compiler, column, **kw)}) WITH ORDINALITY"


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
    if _is_view_json(column):
        # NOTE: as SQLite reads the text: '' none, JSON text no array (null too) one item
        doc = pg_json_doc(compiler, column, **kw)
        return (
            f"(CASE WHEN {sql} IS NULL THEN 0 WHEN jsonb_typeof({doc}) = 'array' THEN jsonb_array_length({doc}) "
            f"WHEN CAST({sql} AS text) = '' THEN 0 ELSE 1 END)"
        )
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
    # NOTE: a number the column holds as a REAL is itself: SQLite before 3.45 reads it as text
    # with 15 digits (json_valid, json_extract), PocketBase's with all its digits. The path is
    # compared in SQL: the statement is compiled once for every path (SQLAlchemy's cache).
    real = and_(func.typeof(column) == literal("real", Text()), path == literal("$", Text()))
    expr = case(
        (real, column),
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


def _direction(clause: Any) -> tuple[Any, bool]:
    if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
        return clause.element, clause.modifier is operators.desc_op
    return clause, False



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

