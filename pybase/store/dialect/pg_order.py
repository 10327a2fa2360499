"""Sorts spelt for Postgres as SQLite sorts: text by its bytes, JSON values (numbers before
text), NULLs first ascending, DISTINCT with ORDER BY."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Alias,
    Boolean,
    Join,
    Select,
    String,
    Table,
    TableValuedAlias,
    Text,
    collate,
    func,
    literal_column,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    ColumnClause,
    UnaryExpression,
)
from sqlalchemy.sql.functions import Function, FunctionElement
from sqlalchemy.sql.visitors import iterate

from pybase.store.dialect.constructs import (
    GeoPointText,
    JSONValue,
    ViewJSONText,
    _direction,
    _is_json_column,
    insertion_order,
    json_items,
)
from pybase.store.dialect.pg_expressions import costly_json, ordered_prefix, prefix_key


class stored_json(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """A JSON column's value as SQLite stores it (a number, else its JSON text)."""

    type = JSONValue()
    inherit_cache = True
    name = "pb_stored_json"


@compiles(stored_json, "postgresql")
def _stored_json_pg(element: stored_json, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    if isinstance(getattr(value, "type", None), GeoPointText):
        return f"to_jsonb(pb_geo_text({compiler.process(value, **kw)}))"
    if isinstance(getattr(value, "type", None), ViewJSONText):
        return f"pb_sqlite_value({compiler.process(value, **kw)})"  # NOTE: a text as it is, jsonb stored
    return f"pb_stored_json({compiler.process(value, **kw)})"


class _SortedJSON(JSONValue):
    """A JSON sort key after its :class:`json_text_key` (which orders its strings): not expanded again."""

    cache_ok = True


class json_text_key(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The first key of a sort by a JSON value (a jsonb number or string): ``''`` for a number,
    ``s`` + the text for a string (after any number, as SQLite sorts), ordered by bytes as SQLite
    orders text (jsonb compares strings in the database's collation, ``a`` beside ``A`` in
    en_US); the value itself follows (numbers by their value). PERF: the value is computed three
    times a row, as with a class rank before it; a costly one (a view's JSON value: pb_json_value
    of its computed column) twice, through pb_json_text_key_once (issue #17)."""

    type = Text()
    inherit_cache = True
    name = "json_text_key"


@compiles(json_text_key, "postgresql")
def _text_key_pg(element: json_text_key, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    sql = compiler.process(value, **kw)
    if costly_json(compiler, value, **kw):
        return f'pb_json_text_key_once({sql}) COLLATE "C"'
    return f"(CASE WHEN jsonb_typeof({sql}) = 'number' THEN '' ELSE 's' || ({sql} #>> '{{}}') END) COLLATE \"C\""


class _prefix(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """A text column's prefix, as the ordered index over it holds it (pg_expressions.prefix_key)."""

    type = Text()
    inherit_cache = True

    def __init__(self, value: Any, chars: int) -> None:
        super().__init__(value, literal_column(str(int(chars))))


@compiles(_prefix, "postgresql")
def _prefix_pg(element: _prefix, compiler: Any, **kw: Any) -> str:
    value, chars = element.clauses
    return prefix_key(compiler.process(value, **kw), int(str(chars)))


def _is_text(value: Any) -> bool:
    """A text sort key (a text column, the :lower modifier's lower()), sorted by its bytes."""
    if isinstance(value, Function) and value.name.lower() == "lower":
        return True
    return isinstance(getattr(value, "type", None), String) and not isinstance(value, json_text_key)


def _json_sort_keys(order: Any, distinct: bool = False) -> list[Any]:
    """Each sort by a JSON value preceded by its text key (numbers before text, as SQLite; text
    by its bytes), text sorted by its bytes (SQLite's order of text, whatever the database's
    collation); a text column with an ordered index over its prefix preceded by that prefix
    (``left(col, N), col``: the same order, a text sorts as its prefix does, ties aside; the
    index serves the first key and Postgres sorts only the ties, so a LIMIT stops early;
    pybase.store.index_long_keys), unless ``distinct`` (sorted by each group's value).

    NOTE: a sort by a relation's text (``sort=author.name``) is such a ``distinct`` one (joins
    make the list DISTINCT, as PocketBase's, which Postgres groups): its key is an aggregate of
    each group, which no index serves, so the joined table's prefix index is left out. EXPLAIN
    ANALYZE, 50,000 posts over 5,000 authors of long names: the grouped sort 200-330 ms with the
    prefix key in the aggregate or not; even ungrouped, the LEFT JOIN (posts of no author sort
    first) is a hash join and a top-N sort of every row (82 ms); only an inner join, ungrouped,
    with an index on posts.author walks the prefix index (0.13 ms) (issue #17, H75)."""
    keys: list[Any] = []
    for clause in order:
        value = clause
        while isinstance(value, UnaryExpression) and value.modifier is not None:
            value = value.element
        _, descending = _direction(clause)
        if _has_nulls_order(clause):
            keys.append(clause)
            continue
        if _is_json_column(value):
            # NOTE: a JSON column sorts by what SQLite stores: a number, or its JSON text.
            value = stored_json(value)
            clause = value.desc() if descending else value.asc()
        value_type = getattr(value, "type", None)
        if isinstance(value_type, JSONValue) and not isinstance(value_type, _SortedJSON):
            key = json_text_key(value)
            keys.append(key.desc() if descending else key.asc())
            value = type_coerce(value, _SortedJSON())
            clause = value.desc() if descending else value.asc()
        elif _is_text(value):
            chars = None if distinct else ordered_prefix(value)
            if chars is not None:
                prefix = _prefix(value, chars)
                keys.append(prefix.desc() if descending else prefix.asc())
            value = collate(value, "C")
            clause = value.desc() if descending else value.asc()
        keys.append(clause)
    return keys


@compiles(Select, "postgresql")
def _select_pg(element: Select[Any], compiler: Any, **kw: Any) -> str:
    order = element._order_by_clauses
    if not order:
        return str(compiler.visit_select(element, **kw))
    expanded = _json_sort_keys(order, bool(element._distinct))
    if any(a is not b for a, b in zip(expanded, order, strict=False)) or len(expanded) != len(order):
        element = element.order_by(None).order_by(*expanded)
        order = element._order_by_clauses
    if element._distinct and not element._distinct_on:
        # NOTE: Postgres refuses ORDER BY terms outside a DISTINCT select list: the same
        # rows as GROUP BY every selected column. SQLite keeps the first row its joins meet
        # (the joined items in their order) and sorts by that row's values: so does the group,
        # by the value of its first row in that order (a multi-valued field's first item).
        scan = _scan_order(element)
        grouped = element._generate()
        grouped._distinct = False
        grouped = grouped.group_by(*element.selected_columns).order_by(None).order_by(
            *(_aggregate_order(clause, scan) for clause in order)
        )
        return str(compiler.process(grouped, **kw))
    if all(_has_nulls_order(clause) for clause in order):
        return str(compiler.visit_select(element, **kw))
    # NOTE: SQLite sorts NULL first ascending and last descending; Postgres the other way.
    sorted_nulls = element.order_by(None).order_by(*(_sqlite_nulls(clause) for clause in order))
    return str(compiler.visit_select(sorted_nulls, **kw))



def _has_nulls_order(clause: Any) -> bool:
    return isinstance(clause, UnaryExpression) and clause.modifier in (operators.nulls_first_op, operators.nulls_last_op)


def _sqlite_nulls(clause: Any) -> Any:
    if _has_nulls_order(clause):
        return clause
    value, descending = _direction(clause)
    return value.desc().nulls_last() if descending else value.asc().nulls_first()


def _scan_order(element: Select[Any]) -> list[Any]:
    """The order in which SQLite's loops meet the rows of a join: for each joined source after
    the first, a JSON array's items in array order, a table's rows in insertion order (a view's
    or subquery's in none known)."""
    leaves: list[Any] = []

    def walk(source: Any) -> None:
        if isinstance(source, Join):
            walk(source.left)
            walk(source.right)
        else:
            leaves.append(source)

    for source in element._from_obj:
        walk(source)
    keys: list[Any] = []
    used = {id(column) for column in iterate(element) if isinstance(column, ColumnClause)}
    filtered = _null_rejected(element)
    for leaf in leaves[1:]:
        inner = getattr(leaf, "element", None)
        while isinstance(inner, TableValuedAlias):
            inner = inner.element
        if isinstance(leaf, TableValuedAlias) and isinstance(inner, json_items):
            keys.append(literal_column(f"{_quote(leaf.name)}.ordinality"))
        elif isinstance(leaf, Alias) and isinstance(inner, Table) and not inner.info.get("view"):
            # NOTE: SQLite looks a joined table's rows up through the automatic index it builds
            # on the join's column, covering the columns the query reads: in their order. A
            # condition no NULL passes on one of them makes the join an inner one, which SQLite
            # scans from the joined table: in insertion order.
            if not any(id(column) in filtered for column in leaf.c):
                keys.extend(column for column in leaf.c if id(column) in used)
            keys.append(insertion_order(leaf))
    return keys


_NULL_REJECTING = frozenset(
    {operators.lt, operators.le, operators.gt, operators.ge, operators.eq, operators.ne, operators.like_op,
     operators.not_like_op}
)


def _null_rejected(element: Select[Any]) -> set[int]:
    """The columns a WHERE condition compares as they are (NULL fails it: ``a > 1``, not
    ``COALESCE(a, '') = ''`` or ``a IS NOT 1``)."""
    found: set[int] = set()
    for criterion in element._where_criteria:
        for node in iterate(criterion):
            if isinstance(node, BinaryExpression) and node.operator in _NULL_REJECTING:
                found.update(id(side) for side in (node.left, node.right) if isinstance(side, ColumnClause))
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _first_value(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The value of a group's first row in scan order (``order``: the scan's keys)."""

    inherit_cache = True
    name = "first_value"

    def __init__(self, value: Any, order: list[Any]) -> None:
        super().__init__(value, *order)
        self.type = value.type


@compiles(_first_value, "postgresql")
def _first_value_pg(element: _first_value, compiler: Any, **kw: Any) -> str:
    value, *order = element.clauses
    keys = ", ".join(f"{compiler.process(key, **kw)} NULLS FIRST" for key in order)
    return f"(array_agg({compiler.process(value, **kw)} ORDER BY {keys}))[1]"


def _aggregate_order(clause: Any, scan: list[Any]) -> Any:
    value, descending = _direction(clause)
    if isinstance(value, UnaryExpression) and value.modifier in (operators.nulls_first_op, operators.nulls_last_op):
        value = value.element
        value, descending = _direction(value)
    if isinstance(value, Function) and value.name.lower() == "random":
        return value
    if scan:
        first = _first_value(value, scan)
        return first.desc().nulls_last() if descending else first.asc().nulls_first()
    if isinstance(getattr(value, "type", None), JSONValue):
        return _greatest_json(value).desc().nulls_last() if descending else _least_json(value).asc().nulls_first()
    if isinstance(getattr(value, "type", None), Boolean):
        return func.bool_or(value).desc().nulls_last() if descending else func.bool_and(value).asc().nulls_first()
    if descending:
        return func.max(value).desc().nulls_last()
    return func.min(value).asc().nulls_first()


class _least_json(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """The first JSON value of a group in SQLite's order (Postgres has no min/max for jsonb)."""

    type = _SortedJSON()
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
    key = _text_key_pg(json_text_key(value), compiler, **kw)
    way = element.direction
    return f"(array_agg({sql} ORDER BY {key} {way}, {sql} {way}))[1]"

