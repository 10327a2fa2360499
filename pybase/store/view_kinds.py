"""What a value in a view query is, as the view translators read it on Postgres
(:class:`ValueKinds`, the base of :mod:`pybase.store.view_compare`'s translator): the kind of a
column (:data:`NUM`, :data:`TEXT`, :data:`BOOL`, :data:`JSON`, :data:`VIEW_JSON`, from the
database's column types: :func:`kind_of_type`), the kind and SQLite affinity of an expression,
and the value as SQLite holds it (a jsonb number or string, ``pb_sqlite_value``). It is a
module of its own because every rewrite reads values through it (the comparisons, the
branches of :mod:`pybase.store.view_branches`) and the database layer asks it for the kinds
of its columns (``PostgresDialect.column_kinds``) without needing a translator.

NOTE: the kinds of the columns come from the database's tables and views by name (a name two
tables type differently is not known: compared the SQLite way). A view's jsonb column is a
view collection's json field over what its query computes (SQLite's value: the number or text
computed, no affinity), unless a table has a json column of that name (a json field shown
through the view: the JSON text SQLite stores, NUMERIC affinity).
"""

from __future__ import annotations

import functools
from typing import Any

from pybase.store import view_json_each
from pybase.store.sqlite_functions_base import call
from pybase.store.view_nodes import (
    BLOB,
    CAST_AFFINITY,
    SQL_VALUE,
    TRUTH_NUMBER,
    arithmetic_nodes,
    branch_values,
    cast_affinity,
    is_text_literal,
    real_literal,
    subquery_item,
    subquery_value,
    unparen,
)
from pybase.tools.dbutils import exp

NUM, TEXT, BOOL, JSON = "num", "text", "bool", "json"
#: a view's column of a view collection's json field: jsonb (over a number it computes) or varchar (a text)
VIEW_JSON = "view json"


# NOTE: a function, not a module constant: ``exp`` imports sqlglot on first use (view_compare's too).
@functools.cache
def _numeric_functions() -> tuple[type, ...]:
    return (exp.Count, exp.Sum, exp.Avg, exp.Abs, exp.Length, exp.Round)


def kind_of_type(data_type: str, in_view: bool = False) -> str | None:
    """The kind of a Postgres column type (information_schema's data_type) of a table's column
    or (``in_view``) a view's."""
    data_type = data_type.lower()
    if in_view and data_type in ("jsonb", "character varying"):
        return VIEW_JSON  # NOTE: a varchar: a view's json field over a text (pb_view_raw)
    if data_type in ("double precision", "real", "numeric", "integer", "bigint", "smallint"):
        return NUM
    if data_type in ("text", "character varying", "character"):
        return TEXT
    return {"boolean": BOOL, "jsonb": JSON, "json": JSON}.get(data_type)



class ValueKinds:
    """Reads a view query's values given ``kinds``, a column's kind by its lower-case name."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds

    def kind(self, node: Any) -> str | None:
        node = unparen(node)
        if SQL_VALUE in node.meta:
            return None
        if CAST_AFFINITY in node.meta:
            return TEXT if node.meta[CAST_AFFINITY] == "text" else NUM
        if node.meta.get(TRUTH_NUMBER) or node.meta.get(view_json_each.INTEGER):
            return NUM
        if isinstance(node, exp.Literal):
            return TEXT if node.is_string else NUM
        if isinstance(node, exp.Boolean):
            return BOOL  # NOTE: b = TRUE stays Postgres's (SQLite's TRUE is 1: alike for a bool column)
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            item = subquery_item(node)
            return self.kinds.get(node.name.lower()) if item is None else self.kind(item)
        if isinstance(node, exp.Cast):
            return {"integer": NUM, "real": NUM, "numeric": NUM, "text": TEXT}.get(cast_affinity(node))
        if isinstance(node, arithmetic_nodes() + _numeric_functions()):
            return NUM
        if isinstance(node, exp.DPipe):
            return TEXT
        if isinstance(node, exp.Nullif):
            return self.kind(node.this)  # NOTE: a or NULL (one of two kinds is a SQL value: nullif())
        if isinstance(node, exp.Coalesce) or (isinstance(node, exp.Case) and node.this is None):
            # NOTE: the kind all its values are of (coalesce(n * 1.0, t) mixes two: branches())
            found = {self.kind(value) for value in branch_values(node) if not isinstance(unparen(value), exp.Null)}
            return found.pop() if len(found) == 1 else None
        return None

    def affinity(self, node: Any) -> str | None:
        """SQLite's affinity of ``node``: "numeric" (INTEGER, REAL, NUMERIC), "text" or None."""
        node = unparen(node)
        if CAST_AFFINITY in node.meta:
            return "text" if node.meta[CAST_AFFINITY] == "text" else "numeric"
        if node.meta.get(TRUTH_NUMBER):
            return None
        if isinstance(node, exp.Column):
            item = subquery_item(node)
            if item is not None:
                return self.affinity(item)
            kind = self.kinds.get(node.name.lower())
            return None if kind in (None, VIEW_JSON) else "text" if kind == TEXT else "numeric"
        if isinstance(node, exp.Cast):
            found = cast_affinity(node)
            return None if found == "blob" else "text" if found == "text" else "numeric"
        return None

    @staticmethod
    def held(node: Any) -> Any | None:
        """The SQL value (jsonb) ``node`` stands for where it shows its text (view_nodes.SQL_VALUE,
        a scalar subquery of one), or None."""
        node = unparen(node)
        return node.meta[SQL_VALUE].copy() if SQL_VALUE in node.meta else subquery_value(node)

    def value(self, node: Any) -> Any:
        """``node`` as SQLite holds it: a jsonb number or string (NULL stays NULL)."""
        node = unparen(node)
        if SQL_VALUE in node.meta:
            return node.meta[SQL_VALUE].copy()
        held = subquery_value(node)
        if held is not None:
            return held
        if is_text_literal(node):
            return call("to_jsonb", exp.Cast(this=node.copy(), to=exp.DataType.build("text")))
        real = real_literal(node)
        if real is not None:
            return exp.Cast(this=exp.Literal.string(real), to=exp.DataType.build("jsonb"))
        if isinstance(node, exp.Column) and self.kinds.get(node.name.lower()) == VIEW_JSON:
            return call("pb_view_value", node.copy())
        if node.meta.get(BLOB):
            return call("to_jsonb", call("convert_from", node.copy(), exp.Literal.string("UTF8")))  # NOTE: its text (no pb_sqlite_value(bytea))
        return call("pb_sqlite_value", node.copy())
