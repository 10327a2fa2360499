"""The order SQLite meets a view's rows in, for the aggregates whose answer shows it (issue #17):
group_concat(x), json_group_array(x), json_group_object(k, v) list the values in it, and their
DISTINCT forms keep each value where it first comes.

SQLite scans a table in its rowid's order (and groups rows keeping that order within a group);
Postgres meets them in its heap's order, where an updated row is written anew at the end, and a
sorted GROUP BY may mix a group's rows. Such an aggregate (not a window's, not one ordered as
written: group_concat(x, ',' ORDER BY y)) whose SELECT reads the one table the query reads (no
join, no subquery or WITH query) is marked with that table's ``_rowid_`` (the column every
collection table has on Postgres: SQLite's rowid); its translation
(:mod:`pybase.store.view_functions`) aggregates the values in that order.
"""

from __future__ import annotations

from typing import Any

from pybase.store.dialect.constructs import ROWID_COLUMN
from pybase.store.sqlite_functions_base import SCAN_ORDER
from pybase.tools.dbutils import exp


def mark(tree: Any, kinds: dict[str, str]) -> None:
    """Mark ``tree``'s group_concat()/json_group_array()/json_group_object() with the rowid
    column they aggregate in the order of (``node.meta[SCAN_ORDER]``). ``kinds``: the columns of
    the tables and views the query reads (a view has no rowid)."""
    if ROWID_COLUMN not in kinds or tree.find(exp.With) is not None:
        return
    read = {table.name.lower() for table in tree.find_all(exp.Table) if isinstance(table.this, exp.Identifier)}
    if len(read) != 1:
        return  # NOTE: a view read with a table would have no rowid
    for node in list(tree.find_all(exp.GroupConcat, exp.JSONArrayAgg, exp.JSONObjectAgg)):
        if isinstance(node.this, exp.Order) or (isinstance(node.parent, exp.Window) and node.parent.this is node):
            continue
        select = node.find_ancestor(exp.Select)
        source = select.args.get("from_") if select is not None else None
        table = source.this if source is not None else None
        if select.args.get("joins") or not (isinstance(table, exp.Table) and isinstance(table.this, exp.Identifier)):
            continue
        node.meta[SCAN_ORDER] = exp.Column(this=exp.to_identifier(ROWID_COLUMN), table=exp.to_identifier(table.alias_or_name))
