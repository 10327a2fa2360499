"""A scalar subquery of a view query answers with its first row on Postgres, as on SQLite
(issue #17): SQLite takes the first row a subquery used as a value meets (``(SELECT value FROM
json_each('[1,2]'))`` is 1, ``(SELECT id FROM posts)`` the first post's id), Postgres failed
("more than one row returned by a subquery used as an expression").

Such a subquery (in a SELECT list, WHERE, arithmetic, a function's argument; not in FROM, a
JOIN, a WITH query, IN (...) nor EXISTS (...), which read every row) gets ``LIMIT 1`` (a LIMIT
it has becomes 1, its OFFSET kept; LIMIT 0 stays) and the order SQLite meets its rows in where
it writes none:

- one collection table: its rowid's (``_rowid_``: SQLite scans the table in rowid order), or
  the id's where SQLite reads the table through its primary key's index: the subquery reads no
  other column of it (a covering index), or its WHERE ranges over the id (``id > x``,
  ``id IN (...)``); no order where the WHERE names one id (``id = x``: one row at most);
- tables joined: each one's rowid, in the order written (SQLite's nested loops);
- json_each()/json_tree(): the document's order (the rows' ``id``, an offset in it);
- GROUP BY: the groups' keys (SQLite meets groups sorted); DISTINCT: none needed, the first
  row is the first one met (DISTINCT is dropped where no OFFSET or ORDER BY follows); an
  aggregate's one row (count(), max(x) in its list or its ORDER BY, a HAVING): none;
- UNION, INTERSECT, EXCEPT: their columns in turn (SQLite's compound SELECT sorts its rows);
  UNION ALL: its SELECTs in turn (Postgres's order).

An ORDER BY the subquery writes gets the scan order after its keys: SQLite's sort keeps the
order rows were met in among equal keys. Not SQLite's (tests/conformance/known.py): a view, a
WITH query or a subquery in FROM read (its rows' order is Postgres's), a table SQLite reads
through an index of the collection's own, joins SQLite's planner reorders; a LIMIT computed
from the row is left as written (Postgres fails where it answers more than one row).
"""

from __future__ import annotations

import functools
from typing import Any

from pybase.store.dialect.constructs import ROWID_COLUMN
from pybase.tools.dbutils import exp

_JSON_TABLES = ("json_each", "json_tree")
#: aggregates sqlglot reads as a plain call (one row per group, as count() and sum())
_AGGREGATES = frozenset({"total", "json_group_array", "json_group_object", "group_concat"})


def rowid_key(table: str) -> str:
    """The key of ``kinds`` (view_compare's columns' kinds) telling that ``table`` (its lower
    case name) is a table with a rowid (``_rowid_``), not a view."""
    return f"{table.lower()}.{ROWID_COLUMN}"


@functools.cache
def _not_scalar() -> tuple[type, ...]:
    return (exp.From, exp.Join, exp.CTE, exp.Exists, exp.Any, exp.All, exp.SetOperation, exp.Lateral)


def first_rows(tree: Any, kinds: dict[str, str]) -> None:
    """Give each scalar subquery of ``tree`` SQLite's first row (see the module)."""
    for sub in list(tree.find_all(exp.Subquery)):
        if _is_scalar(sub):
            _first_row(_query(sub), kinds)


def _is_scalar(sub: Any) -> bool:
    """Whether ``sub`` is the outermost parentheses of a subquery used as a value."""
    parent = sub.parent
    if isinstance(parent, exp.Subquery) and parent.this is sub:
        return False  # NOTE: ((SELECT ...)): the outer one is looked at
    while isinstance(parent, exp.Paren):
        sub, parent = parent, parent.parent
    if parent is None or isinstance(parent, _not_scalar()):
        return False
    return not (isinstance(parent, exp.In) and sub.arg_key == "query")


def _query(sub: Any) -> Any:
    """The query within ``sub``'s parentheses that takes the LIMIT: a parenthesized query with
    an ORDER BY or a LIMIT of its own (``((SELECT ... UNION ...) ORDER BY 1)``) is one."""
    node = sub.this
    while isinstance(node, exp.Subquery) and not any(node.args.get(key) for key in ("order", "limit", "offset")):
        node = node.this
    return node


def _first_row(query: Any, kinds: dict[str, str]) -> None:
    limit = query.args.get("limit")
    if limit is not None:
        count = _integer(limit.expression)
        if count is None or count == 0:
            return  # NOTE: a computed LIMIT is left as written; LIMIT 0 answers no row
        limit.set("expression", exp.Literal.number(1))  # NOTE: SQLite's negative LIMIT is none
    if isinstance(query, exp.Select):
        _scan_order(query, kinds)
    elif isinstance(query, exp.SetOperation) and not query.args.get("order") and query.args.get("distinct") is not False:
        width = _width(query)
        if width:
            query.set("order", exp.Order(expressions=[_ordered(exp.Literal.number(k + 1)) for k in range(width)]))
    if limit is None:
        query.set("limit", exp.Limit(expression=exp.Literal.number(1)))


def _integer(node: Any) -> int | None:
    sign = 1
    while isinstance(node, exp.Neg | exp.Paren):
        sign = -sign if isinstance(node, exp.Neg) else sign
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return sign * int(str(node.this))
    return None


def _width(query: Any) -> int:
    """The number of columns of a compound SELECT (0 when a SELECT shows a star)."""
    while isinstance(query, exp.SetOperation | exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select) or any(isinstance(item, exp.Star) or isinstance(item.this, exp.Star) for item in query.expressions):
        return 0
    return len(query.expressions)


def _ordered(node: Any) -> Any:
    return exp.Ordered(this=node, desc=False, nulls_first=True)  # NOTE: SQLite's NULL comes first


def _scan_order(select: Any, kinds: dict[str, str]) -> None:
    """Order ``select``'s rows as SQLite meets them: after its ORDER BY keys, or as its groups'
    keys (GROUP BY); nothing for an aggregate's one row."""
    if select.args.get("group"):
        if not select.args.get("order"):
            keys = [_ordered(key.copy()) for key in select.args["group"].expressions]
            select.set("order", exp.Order(expressions=keys))
        return
    if _aggregates(select):
        return
    if select.args.get("distinct"):
        if select.args.get("offset") or select.args.get("order"):
            return  # NOTE: Postgres sorts DISTINCT rows only by what they show
        select.set("distinct", None)  # NOTE: the first row met is the first distinct one
    keys = _scan_keys(select, kinds)
    if not keys:
        return
    order = select.args.get("order")
    if order is None:
        select.set("order", exp.Order(expressions=[_ordered(key) for key in keys]))
    else:
        order.set("expressions", [*order.expressions, *(_ordered(key) for key in keys)])


def _aggregates(select: Any) -> bool:
    """Whether ``select`` (no GROUP BY) aggregates its rows into one."""
    if select.args.get("having"):
        return True
    order = select.args.get("order")
    for item in [*select.expressions, *(order.expressions if order is not None else [])]:
        for node in item.find_all(exp.AggFunc, exp.Anonymous):
            if isinstance(node, exp.Anonymous) and str(node.this).lower() not in _AGGREGATES:
                continue
            if isinstance(node, exp.Max | exp.Min) and node.expressions:
                continue  # NOTE: max(a, b): SQLite's scalar max
            if node.find_ancestor(exp.Window, exp.Select) is select:
                return True  # NOTE: not a window's, nor a nested query's own
    return False


def _sources(select: Any) -> list[Any]:
    found = [select.args.get("from_"), *(select.args.get("joins") or [])]
    return [source.this for source in found if source is not None]


def _scan_keys(select: Any, kinds: dict[str, str]) -> list[Any]:
    """The columns giving the order SQLite meets ``select``'s rows in, or [] when not known."""
    tables = _sources(select)
    if not tables or not all(isinstance(table, exp.Table) for table in tables):
        return []
    keys = []
    for table in tables:
        if isinstance(table.this, exp.Anonymous) and str(table.this.this).lower() in _JSON_TABLES:
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(str(table.this.this).lower())))
            keys.append(exp.Column(this=exp.to_identifier("id"), table=exp.to_identifier(table.alias)))
        elif isinstance(table.this, exp.Identifier) and rowid_key(table.name) in kinds:
            keys.append(exp.Column(this=exp.to_identifier(ROWID_COLUMN), table=exp.to_identifier(table.alias_or_name)))
        else:
            return []  # NOTE: a view, a subquery: its rows' order is not known
    if len(tables) == 1 and isinstance(tables[0].this, exp.Identifier):
        return _by_id(select, tables[0].alias_or_name, keys)
    return keys


def _by_id(select: Any, alias: str, keys: list[Any]) -> list[Any]:
    """The keys of one table's rows: SQLite reads them through the id's index when the WHERE
    names one id ([]: one row at most) or ranges over ids, or when no other column is read."""
    id_column = exp.Column(this=exp.to_identifier("id"), table=exp.to_identifier(alias))
    by_id = [exp.Collate(this=id_column, expression=exp.Identifier(this="C", quoted=True))]
    where = select.args.get("where")
    for condition in _conjuncts(where.this) if where is not None else []:
        if isinstance(condition, exp.EQ):
            sides = (condition.this, condition.expression)
            for side, other in (sides, sides[::-1]):
                if _is_id(side, select, alias) and not any(_reads(c, select, alias) for c in other.find_all(exp.Column)):
                    return []
        if isinstance(condition, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Between | exp.In) and _is_id(condition.this, select, alias):
            return by_id
    read = set()
    for column in select.find_all(exp.Column, exp.Star):
        if isinstance(column, exp.Star):
            if column.find_ancestor(exp.Select) is select and not isinstance(column.parent, exp.Count):
                return keys
            continue
        if isinstance(column.this, exp.Star) or _reads(column, select, alias):
            read.add(column.name.lower())
    return by_id if read == {"id"} else keys


def _conjuncts(node: Any) -> list[Any]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _reads(column: Any, select: Any, alias: str) -> bool:
    """Whether ``column`` reads ``select``'s one table (named ``alias``)."""
    if column.table:
        return column.table.lower() == alias.lower()
    return column.find_ancestor(exp.Select) is select


def _is_id(node: Any, select: Any, alias: str) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Column) and node.name.lower() == "id" and _reads(node, select, alias)
