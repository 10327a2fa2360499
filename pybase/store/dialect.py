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
    exists,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import OPERATORS
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    CollectionAggregate,
    ColumnClause,
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
    return f"pb_json_extract({compiler.process(column, **kw)}, CAST({compiler.process(path, **kw)} AS text))"


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
        args = ", ".join(f"CAST({compiler.process(arg, **kw)} AS text)" for arg in element.clauses)
        return f"{helper}({args})"
    if name == "coalesce":
        clauses = list(element.clauses)
        kinds = {_kind(arg) for arg in clauses}
        if len(kinds - {"null"}) > 1:
            # NOTE: SQLite's COALESCE(number, '') mixes types; here every value is read as text.
            args = ", ".join(_as_text(compiler, arg, **kw) for arg in clauses)
            return f"COALESCE({args})"
    if name in _NUMERIC_FUNCTIONS:
        args = ", ".join(_as_number(compiler, arg, **kw) for arg in element.clauses)
        return f"{name}({args})"
    return str(compiler.visit_function(element, **kw))


# ---- SQLite's loose typing, spelt for Postgres ----------------------------------------------

_COMPARISONS = frozenset(
    {
        operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
        operators.is_distinct_from, operators.is_not_distinct_from,
    }
)


def _kind(element: Any) -> str:
    """How SQLite would see a value's type: num, bool, json, text, null or loose (unknown)."""
    if isinstance(element, Null):
        return "null"
    if isinstance(element, True_ | False_):
        return "bool"
    if isinstance(element, Grouping):
        return _kind(element.element)
    sql_type = getattr(element, "type", None)
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, Numeric | Float | Integer):
        return "num"
    if isinstance(sql_type, JSONText):
        return "json"
    if isinstance(sql_type, String):
        return "text"
    return "loose"


def _is_column(element: Any) -> bool:
    return isinstance(element, ColumnClause) and not isinstance(element, BindParameter)


def _as_text(compiler: Any, element: Any, **kw: Any) -> str:
    sql = compiler.process(element, **kw)
    kind = _kind(element)
    if kind in ("text", "null", "loose"):
        return str(sql)
    if kind == "bool":
        return f"CAST(CAST({sql} AS int) AS text)"
    return f"CAST({sql} AS text)"


def _as_number(compiler: Any, element: Any, **kw: Any) -> str:
    sql = compiler.process(element, **kw)
    kind = _kind(element)
    if kind in ("num", "null"):
        return str(sql)
    if kind == "bool":
        return f"CAST({sql} AS int)"
    return f"pb_num(CAST({sql} AS text))"


def _comparison_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str | None:
    """A comparison between values of different kinds, as SQLite compares them (None: as is).

    Numbers meet numbers (a text that reads as a number is one; one that does not is NULL
    here), except that a text column compared with a number compares as text (SQLite's TEXT
    affinity); booleans are 0/1; JSON columns compare as their text.
    """
    left, right = element.left, element.right
    if isinstance(left, CollectionAggregate) or isinstance(right, CollectionAggregate):
        return None  # NOTE: x = ANY(array): Postgres's own (the driver's reflection queries)
    kinds = (_kind(left), _kind(right))
    if kinds[0] == kinds[1] or "null" in kinds or {"text", "loose"} >= set(kinds):
        return None
    if kinds in (("bool", "num"), ("num", "bool")) or "json" not in kinds and "bool" not in kinds and "num" not in kinds:
        sides = (_as_number(compiler, left, **kw), _as_number(compiler, right, **kw))
    elif "num" in kinds or "bool" in kinds:
        other = right if kinds[0] in ("num", "bool") else left
        other_kind = kinds[1] if other is right else kinds[0]
        if other_kind == "text" and _is_column(other) or other_kind == "json":
            sides = (_as_text(compiler, left, **kw), _as_text(compiler, right, **kw))
        else:
            sides = (_as_number(compiler, left, **kw), _as_number(compiler, right, **kw))
    else:  # json against text or loose
        sides = (_as_text(compiler, left, **kw), _as_text(compiler, right, **kw))
    opstring = OPERATORS[element.operator]
    return f"{sides[0]}{opstring}{sides[1]}"


@compiles(BinaryExpression, "postgresql")
def _binary_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str:
    op = element.operator
    if op is operators.like_op or op is operators.not_like_op:
        # NOTE: SQLite's LIKE ignores case (ASCII) and reads any value as text; ILIKE over
        # text casts does the same here.
        left = _as_text(compiler, element.left, **kw)
        right = _as_text(compiler, element.right, **kw)
        escape = (element.modifiers or {}).get("escape")
        word = "ILIKE" if op is operators.like_op else "NOT ILIKE"
        sql = f"CAST({left} AS text) {word} CAST({right} AS text)"
        if escape:
            sql += " ESCAPE " + compiler.render_literal_value(escape, Text())
        return sql
    if op in _COMPARISONS:
        mixed = _comparison_pg(element, compiler, **kw)
        if mixed is not None:
            return mixed
    return str(compiler.visit_binary(element, **kw))


@compiles(Select, "postgresql")
def _select_pg(element: Select[Any], compiler: Any, **kw: Any) -> str:
    order = element._order_by_clauses
    if not order:
        return str(compiler.visit_select(element, **kw))
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
    if descending:
        return func.max(value).desc().nulls_last()
    return func.min(value).asc().nulls_first()


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

    def view_body(self, select_sql: str) -> str:
        """The body of ``CREATE VIEW x AS ...`` for a view collection's query."""
        return f"SELECT * FROM ({select_sql})"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        """Whether ``ex`` is a UNIQUE constraint failure."""
        from sqlalchemy.exc import IntegrityError

        return isinstance(ex, IntegrityError) and "UNIQUE constraint failed" in str(ex.orig)

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

    def view_body(self, select_sql: str) -> str:
        # NOTE: view queries are written for SQLite (as PocketBase's): translated by sqlglot,
        # every identifier quoted (pybase's columns keep their case); Postgres 15 wants an
        # alias on a subquery in FROM.
        import sqlglot

        try:
            translated = sqlglot.transpile(select_sql, read="sqlite", write="postgres", identify=True)[0]
        except sqlglot.errors.SqlglotError:
            translated = select_sql  # NOTE: Postgres then names the problem itself
        return f"SELECT * FROM ({translated}) AS _pb_view"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        return getattr(getattr(ex, "orig", None), "sqlstate", None) == "23505"

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
    def error_text(error: Any) -> str:
        """A psycopg error in the words of the SQLite error PocketBase would report: a unique
        violation as SQLite's (``constraint failed: UNIQUE constraint failed: t.c (2067)``),
        others as Postgres's first line."""
        diag = getattr(error, "diag", None)
        if getattr(error, "sqlstate", None) == "23505":
            table = getattr(diag, "table_name", None) or ""
            names = PostgresDialect.unique_violation_columns(_Wrapped(error))
            if names and table:
                columns = ", ".join(f"{table}.{name}" for name in names)
                return f"constraint failed: UNIQUE constraint failed: {columns} (2067)"
        message = getattr(diag, "message_primary", None) or str(error).splitlines()[0]
        return str(message)

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
BEGIN
    IF fmt IS NULL OR cardinality(modifiers) > 0 THEN RETURN NULL; END IF;
    moment := pb_to_timestamp(value);
    IF moment IS NULL THEN RETURN NULL; END IF;
    WHILE i <= length(fmt) LOOP
        IF substr(fmt, i, 1) = '%' AND i < length(fmt) THEN
            code := substr(fmt, i + 1, 1);
            result := result || CASE code
                WHEN 'Y' THEN to_char(moment, 'YYYY') WHEN 'm' THEN to_char(moment, 'MM')
                WHEN 'd' THEN to_char(moment, 'DD') WHEN 'H' THEN to_char(moment, 'HH24')
                WHEN 'M' THEN to_char(moment, 'MI') WHEN 'S' THEN to_char(moment, 'SS')
                WHEN 'f' THEN to_char(moment, 'SS.MS') WHEN 'j' THEN to_char(moment, 'DDD')
                WHEN 'w' THEN CAST(extract(dow FROM moment) AS int)::text
                WHEN 's' THEN CAST(floor(extract(epoch FROM moment)) AS bigint)::text
                WHEN 'J' THEN CAST(extract(julian FROM moment) AS text)
                WHEN '%' THEN '%' ELSE NULL END;
            IF result IS NULL THEN RETURN NULL; END IF;
            i := i + 2;
        ELSE
            result := result || substr(fmt, i, 1);
            i := i + 1;
        END IF;
    END LOOP;
    RETURN result;
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
