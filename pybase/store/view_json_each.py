"""json_each()/json_tree()'s ``value``, ``atom`` and ``key`` in a view query on Postgres,
compared and sorted as SQLite's values of their class (issue #17).

SQLite's json_each() gives each member's value as an INTEGER, a REAL, a TEXT or NULL (true and
false as 1 and 0, an array or object as its JSON text), an array member's key as an INTEGER.
On Postgres the table-valued ``pb_json_tree`` (sqlite_json1_sql.py) shows each as SQLite's text
of it, so ``value = 1`` compared a text with a number. A column reading one keeps its text where
it is shown, and is marked with its SQL value (``pb_json_each_value(type, value)``, a jsonb number
or string by the row's ``type``; ``pb_json_each_key(fullkey, key)``) for
:mod:`pybase.store.view_compare` and :mod:`pybase.store.view_branches`, which compare, take
max/min and read a SQL value so; ``ORDER BY value`` sorts by SQLite's order (NULL, numbers by
value, texts by their bytes).
"""

from __future__ import annotations

from typing import Any

from pybase.store.sqlite_functions_base import JSON_TEXT
from pybase.tools.dbutils import exp

_TABLES = ("json_each", "json_tree")
_COLUMNS = ("value", "atom", "key")
#: meta key of a column reading json_each()/json_tree()'s ``id`` or ``parent``: an INTEGER
INTEGER = "pb_json_each_integer"


def _call(name: str, *args: Any) -> Any:
    return exp.Anonymous(this=name, expressions=list(args))


def _json_tables(select: Any) -> list[str]:
    """The names (aliases) of the json_each()/json_tree() calls a SELECT reads from."""
    sources = [select.args.get("from_")] + list(select.args.get("joins") or [])
    names = []
    for source in sources:
        table = source.this if source is not None else None
        if isinstance(table, exp.Table) and isinstance(table.this, exp.Anonymous) and str(table.this.this).lower() in _TABLES:
            names.append(table.alias or str(table.this.this).lower())
    return names


def _source(column: Any, aliases: set[str], names: tuple[str, ...] = _COLUMNS) -> str | None:
    """The json_each()/json_tree() alias ``column`` (one of ``names``) reads, or None."""
    if column.name.lower() not in names or isinstance(column.this, exp.Star):
        return None
    if column.table:
        return column.table if column.table.lower() in aliases else None  # NOTE: SQLite's names ignore case
    select = column.find_ancestor(exp.Select)
    while select is not None:
        names = _json_tables(select)
        if names:
            return names[0] if len(names) == 1 else None
        select = select.find_ancestor(exp.Select)
    return None


def mark_values(tree: Any, sql_value: str) -> None:
    """Mark each column reading a json_each()/json_tree() ``value``/``atom`` with its SQL value
    (``node.meta[sql_value]``) and sort ``ORDER BY`` such a column in SQLite's order; mark its
    ``parent`` and (named with its table) ``id``, integers, with ``node.meta[INTEGER]``."""
    aliases = {name.lower() for select in tree.find_all(exp.Select) for name in _json_tables(select)}
    if not aliases:
        return
    for column in list(tree.find_all(exp.Column)):
        if isinstance(column.parent, exp.Anonymous) and str(column.parent.this).lower() in _TABLES:
            continue
        # NOTE: a bigint to Postgres: coalesce(parent, '') mixes kinds (view_branches);
        # an unnamed ``id`` is left as it is (a record's id beside it, SQLite's "ambiguous")
        if _source(column, aliases, ("parent", "id")) is not None and (column.table or column.name.lower() == "parent"):
            column.meta[INTEGER] = True
            continue
        alias = _source(column, aliases)
        if alias is None:
            continue
        kind = exp.Column(this=exp.to_identifier("type"), table=exp.to_identifier(alias))
        read = exp.Column(this=exp.to_identifier(column.name), table=exp.to_identifier(alias))
        value = _call("pb_json_each_value", kind, read)
        if column.name.lower() == "key":
            # NOTE: an array member's key is its INTEGER index (its fullkey ends with "]")
            full = exp.Column(this=exp.to_identifier("fullkey"), table=exp.to_identifier(alias))
            value = _call("pb_json_each_key", full, read.copy())
        ordered = column.parent
        if isinstance(ordered, exp.Ordered) and ordered.this is column and isinstance(ordered.parent, exp.Order):
            order = ordered.parent
            keys = [exp.Ordered(this=_call(key, value.copy()), desc=ordered.args.get("desc"), nulls_first=ordered.args.get("nulls_first"))
                    for key in ("pb_sql_rank", "pb_sql_number_key", "pb_sql_text_key")]  # fmt: skip
            at = order.expressions.index(ordered)
            order.set("expressions", order.expressions[:at] + keys + order.expressions[at + 1 :])
            continue
        column.meta[sql_value] = value
        if column.name.lower() == "value":
            # NOTE: an array's or object's value is JSON to SQLite (json_array(value) nests it)
            column.meta[JSON_TEXT] = _call("pb_json_each_json", kind.copy(), read.copy())
