"""A view's SQL values kept beside the text it shows, for the views reading them (Postgres).

A view column of a value read from JSON (``json_extract()``, ``->>``, a json_each() value, a
coalesce() of two kinds: a node carrying :data:`view_nodes.SQL_VALUE`) shows on Postgres the
text its json field reads (``pb_view_raw``): one type a column, where SQLite's value keeps its
class row by row (7 an INTEGER, "7" a TEXT). A view reading that column would read a text
(``typeof()`` 'text', ``x = 7`` false). So such a view also holds each of these values as
SQLite holds it (jsonb, ``pb_sqlite_value``'s form) in a hidden column named
:data:`HELD_PREFIX` + the column's name (:func:`keep`), and a query reading the column through
that view reads its SQL value there (:func:`mark`: the column's ``SQL_VALUE``), as it would
read the expression itself; its text is still the column's.

A subquery (or WITH query) in FROM showing such a column shows its SQL value too, for the
query reading it; a ``*`` of such a view in a UNION's SELECT is its shown columns.

NOTE: the hidden name holds a ``$``, which a field's name (PocketBase's ``^\\w+$``) cannot:
never a column of the view's own; the view's fields (schema_sync.table_columns) and
``tableInfo`` leave it out, and so do the rows of SQL a JS hook writes itself (``SELECT * FROM
view``: pybase.jsvm.binds.dbx). Not hidden: SQL a Python app runs on ``core.db`` itself, and a
``*`` over such a view among other tables in a UNION's SELECT (its columns then outnumber the
other SELECTs'). A column's own name longer than Postgres's 63 bytes allow beside the prefix
gets none (read as its text, as before).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from pybase.store.dialect.constructs import HELD_PREFIX
from pybase.store.view_nodes import SQL_VALUE, subquery_item, subquery_value, unparen, with_query
from pybase.tools.dbutils import exp

#: Postgres's longest name (NAMEDATALEN - 1 bytes)
_MAX_NAME = 63


#: a key of ``kinds`` telling :func:`keep` to hold no value (the query as before: schema_sync)
UNHELD = f".{HELD_PREFIX}"


def is_held(name: str) -> bool:
    """Whether the view column ``name`` is a hidden column of :func:`keep`'s."""
    return name.startswith(HELD_PREFIX)


def held_key(table: str, column: str) -> str:
    """The key of ``kinds`` (view_compare's columns' kinds, ``column_kinds``) whose value is
    the name of the hidden column of the view ``table`` holding ``column``'s SQL value."""
    return f"{table.lower()}.{HELD_PREFIX}{column.lower()}"


def _shown_key(table: str) -> str:
    """The key of ``kinds`` whose value is the names of the columns the view ``table`` shows
    (not its hidden ones), NUL-separated (no name holds one): what its ``*`` reads."""
    return f"{table.lower()}.{HELD_PREFIX}*"


def held_columns(conn: Connection, leave_out: str = "", tables: Iterable[str] | None = None) -> dict[str, str]:
    """The hidden columns of the database's views (but ``leave_out``'s; only those of ``tables``,
    lower case names, when given), by their :func:`held_key`, and the columns such a view shows
    (:func:`_shown_key`): to merge into a query's kinds."""
    wanted = set(tables) if tables is not None else None
    # PERF: only the views the query reads, in SQL: a database of thousands of views (CI's
    # shared conformance servers) read every view's columns at every view made (quadratic)
    only = "AND lower(c.relname) = ANY(:tables) " if wanted is not None else ""
    rows = conn.execute(text(
        "SELECT lower(c.relname), a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = quote_ident(current_schema())::regnamespace AND c.relkind = 'v' "
        f"{only}AND a.attnum > 0 AND NOT a.attisdropped AND CAST(c.relname AS text) <> :t AND EXISTS (SELECT 1 FROM pg_attribute h "
        "WHERE h.attrelid = c.oid AND h.attnum > 0 AND NOT h.attisdropped AND left(h.attname, :size) = :prefix) "
        "ORDER BY c.relname, a.attnum"
    ), {"size": len(HELD_PREFIX), "prefix": HELD_PREFIX, "t": leave_out, "tables": sorted(wanted or ())}).all()  # fmt: skip
    found: dict[str, str] = {}
    shown: dict[str, list[str]] = {}
    for table, name in rows:
        if wanted is not None and table not in wanted:
            continue
        if is_held(name):
            found[held_key(table, name[len(HELD_PREFIX) :])] = name
        else:
            shown.setdefault(table, []).append(name)
    return found | {_shown_key(table): "\0".join(names) for table, names in shown.items()}


#: meta key of the SELECT :func:`note` looked at: the positions of the columns it shows that
#: stand for a SQL value
_NOTED = "pb_held_items"
#: the helpers a shown SQL value is the text of (view_compare's pb_text, view_reals' pb_shown_text)
_TEXTS = ("pb_text", "pb_shown_text")


def note(tree: Any, kinds: dict[str, str]) -> None:
    """Note which columns the SELECT ``tree`` (its values translated: view_compare) shows stand
    for a SQL value: :func:`keep` holds them once the query is translated. Not for a UNION (each
    SELECT would need it), nor a SELECT that groups or is DISTINCT (Postgres wants its columns
    as grouped: such a view's columns read as their texts, as before), nor where ``kinds``
    holds :data:`UNHELD`."""
    if UNHELD in kinds or not isinstance(tree, exp.Select) or tree.args.get("group") or tree.args.get("distinct"):
        return
    names = [item.alias_or_name for item in tree.expressions]
    noted = []
    for position, item in enumerate(tree.expressions):
        name = item.alias_or_name
        if not name or names.count(name) > 1 or len((HELD_PREFIX + name).encode()) > _MAX_NAME:
            continue  # NOTE: two columns of one name are named apart later (unique_column_names)
        value = _unparen(item.this if isinstance(item, exp.Alias) else item)
        if SQL_VALUE in value.meta or subquery_value(value) is not None:
            noted.append(position)
    tree.meta[_NOTED] = noted


def keep(tree: Any) -> None:
    """Add to the SELECT ``tree`` (translated) a hidden column holding the SQL value of each
    column :func:`note` noted, as the query computes it now: the argument of the text shown
    (``pb_text(value)``), a column's own SQL value (a view's held one, a json_each() value), a
    scalar subquery's of such. PERF: added last, not translated twice (the translation of a
    view of many such columns took half as long again)."""
    names = [item.alias_or_name for item in tree.expressions]
    for position in tree.meta.get(_NOTED) or []:
        item = tree.expressions[position]
        held = _held_value(item.this if isinstance(item, exp.Alias) else item)
        if held is not None:
            tree.append("expressions", exp.Alias(this=held, alias=exp.to_identifier(HELD_PREFIX + names[position], quoted=True)))


def _unparen(node: Any) -> Any:
    while isinstance(node, exp.Paren) and SQL_VALUE not in node.meta:
        node = node.this
    return node


def _held_value(value: Any) -> Any | None:
    """The SQL value a translated column shows the text of, or None."""
    node = value
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in _TEXTS and len(node.expressions) == 1:
        return node.expressions[0].copy()
    if isinstance(node, exp.Case) and isinstance(node.args.get("default"), exp.Column):
        node = node.args["default"]  # NOTE: a json_each() value's REAL infinity shown (view_reals.infinities_shown)
    if isinstance(node, exp.Column) and SQL_VALUE in node.meta:
        return node.meta[SQL_VALUE].copy()
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Subquery):
        node = node.this  # NOTE: ((SELECT ...))
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select) and len(node.this.expressions) == 1:
        found = node.copy()
        item = found.this.expressions[0]
        shown = _held_value(item.this if isinstance(item, exp.Alias) else item)
        if shown is None:
            return None
        (item.this if isinstance(item, exp.Alias) else item).replace(shown)
        return found
    return None


def mark(tree: Any, kinds: dict[str, str]) -> None:
    """Each column of ``tree`` read from a view holding its SQL value (``kinds``'s
    :func:`held_key`) stands for that value (its meta's ``SQL_VALUE``): the hidden column; so
    does a column of a subquery (or WITH query) in FROM showing such a column, which then
    shows its SQL value too. Not a column a UNION's SELECT shows (its kind, a view's json text,
    makes each SELECT's values texts: view_compare). A SELECT grouping by the column groups by
    its SQL value too (Postgres wants what it reads grouped; a query it still refuses,
    ``GROUP BY x || ''`` reading ``typeof(x)``, is made without the SQL values:
    schema_sync.view_body)."""
    if not any(is_held(key.partition(".")[2]) for key in kinds):
        return
    for select in list(tree.find_all(exp.Select)):
        _stars_expanded(select, kinds)
    # NOTE: innermost first, and again for a subquery's column read before it was marked
    for _ in range(8):
        marked = False
        for column in reversed(list(tree.find_all(exp.Column))):
            if isinstance(column.this, exp.Star) or not isinstance(column.this, exp.Identifier) or SQL_VALUE in column.meta:
                continue
            select = column.find_ancestor(exp.Select)
            if select is None or _shown_in_union(column, select):
                continue
            held = _view_held(column, select, kinds) or _subquery_held(column, select)
            if held is None:
                continue
            group = select.args.get("group")
            grouped = group is not None and not _aggregated(column, select)
            if grouped and any(_same_column(unparen(by), column) for by in group.expressions) and held not in group.expressions:
                group.append("expressions", held.copy())
            column.meta[SQL_VALUE] = held
            marked = True
        if not marked:
            break


def _view_held(column: Any, select: Any, kinds: dict[str, str]) -> Any | None:
    found = _source_of(column, select, kinds)
    if found is None:
        return None
    alias, hidden = found
    return exp.Column(this=exp.to_identifier(hidden, quoted=True), table=exp.to_identifier(alias, quoted=True))


def _subquery_held(column: Any, select: Any) -> Any | None:
    """The SQL value of a column of the subquery (or WITH query) ``select`` reads alone whose
    column of that name stands for one (a view's column marked): a hidden column it then
    shows (none where it groups, is DISTINCT or a UNION: its rows would differ)."""
    item = subquery_item(column)
    if item is None or SQL_VALUE not in unparen(item).meta:
        return None
    source = select.args["from_"].this
    if isinstance(source, exp.Subquery):
        inner, alias = source.this, source.alias
    else:
        inner, alias = with_query(select, source.name).this, source.alias_or_name
    name = HELD_PREFIX + column.name
    if not isinstance(inner, exp.Select) or inner.args.get("group") or inner.args.get("distinct") or len(name.encode()) > _MAX_NAME:
        return None
    if not any(each.alias_or_name == name for each in inner.expressions):
        inner.append("expressions", exp.Alias(this=unparen(item).meta[SQL_VALUE].copy(), alias=exp.to_identifier(name, quoted=True)))
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(alias, quoted=True) if alias else None)


def _stars_expanded(select: Any, kinds: dict[str, str]) -> None:
    """``*`` (``t.*``) of a view holding SQL values in a UNION's SELECT as the columns the view
    shows: its hidden ones would make that SELECT's columns more than the others'."""
    parent = select.parent.parent if isinstance(select.parent, exp.Subquery) else select.parent
    if not isinstance(parent, exp.SetOperation):
        return
    sources = [source.this for source in [select.args.get("from_"), *(select.args.get("joins") or [])] if source is not None]
    for item in list(select.expressions):
        qualifier = item.table.lower() if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) else None
        if not isinstance(item, exp.Star) and qualifier is None:
            continue
        picked = [s for s in sources if qualifier is None or s.alias_or_name.lower() == qualifier]
        if len(picked) != 1 or not isinstance(picked[0], exp.Table) or with_query(select, picked[0].name) is not None:
            continue
        shown = kinds.get(_shown_key(picked[0].name))
        if shown is None:
            continue
        alias = picked[0].alias_or_name
        columns = [exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(alias, quoted=True))
                   for name in shown.split("\0")]  # fmt: skip
        position = next(number for number, each in enumerate(select.expressions) if each is item)
        select.set("expressions", [*select.expressions[:position], *columns, *select.expressions[position + 1 :]])


def _shown_in_union(column: Any, select: Any) -> bool:
    parent = select.parent.parent if isinstance(select.parent, exp.Subquery) else select.parent
    if not isinstance(parent, exp.SetOperation):
        return False
    node = column
    while isinstance(node.parent, exp.Paren | exp.Alias):
        node = node.parent
    return node.parent is select and node.arg_key == "expressions"


def _aggregated(column: Any, select: Any) -> bool:
    """Whether ``column`` is read by an aggregate of ``select`` (not a window's)."""
    node = column.parent
    while node is not None and node is not select:
        if isinstance(node, exp.Window):
            return False
        if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window):
            return True
        node = node.parent
    return False


def _same_column(found: Any, column: Any) -> bool:
    if not isinstance(found, exp.Column) or found.name.lower() != column.name.lower():
        return False
    return not found.table or not column.table or found.table.lower() == column.table.lower()


def _source_of(column: Any, select: Any, kinds: dict[str, str]) -> tuple[str, str] | None:
    """(the name the query reads it by, the hidden column) of the view ``column`` (of
    ``select``) reads with its SQL value held, or None: a column of a table, of a subquery, of
    another SELECT (a correlated one: only the nearest SELECT's tables are looked at), or not
    known."""
    joins = select.args.get("joins") or []
    if any(join.args.get("using") or join.args.get("method") for join in joins):
        return None  # NOTE: USING / NATURAL: the column is the two tables' own
    sources = [source.this for source in [select.args.get("from_"), *joins] if source is not None]
    qualifier = column.table.lower() if column.table else None
    found: list[tuple[str, str]] = []
    for source in sources:
        if not isinstance(source, exp.Table) or not isinstance(source.this, exp.Identifier) or source.args.get("db"):
            continue
        if with_query(select, source.name) is not None:
            continue  # NOTE: a WITH query of that name, not the view
        alias = source.alias_or_name
        if qualifier is not None and alias.lower() != qualifier:
            continue
        hidden = kinds.get(held_key(source.name, column.name))
        if hidden is not None:
            found.append((alias, hidden))
    # NOTE: two views holding it: an ambiguous column, which Postgres refuses as SQLite does
    return found[0] if len(found) == 1 else None
