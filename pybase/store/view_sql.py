"""A view query written for SQLite, made to read on Postgres as on SQLite (the parsed query,
before the dialect renders it):

- a column shown without a name is named as SQLite names it: after its text as written
  (``views*2``, ``abs(n)``), ``columnN`` for TRUE/FALSE (Postgres would say ``?column?`` or
  the function's name), so PocketBase's checks of field names answer alike;
- a truth the view shows (``a > b``, ``TRUE``) is SQLite's 0/1, in every SELECT of a UNION
  (and INTERSECT, EXCEPT) too, and so is one used as a value (``(a > b) || 'x'``, ``abs(a > b)``);
- a scalar subquery answers with the first row SQLite meets (:mod:`pybase.store.view_first_row`);
- comparisons of values of two types and the JSON operators -> and ->> as SQLite answers them
  (:mod:`pybase.store.view_compare`);
- SQLite's functions Postgres lacks or answers otherwise (:mod:`pybase.store.view_functions`, each
  call by :mod:`pybase.store.sqlite_functions`);
- arithmetic as SQLite computes it (:mod:`pybase.store.view_arithmetic`), each number with
  SQLite's class (a REAL's point: :mod:`pybase.store.view_reals`);
- a column of another view's value read from JSON read as that value, its class kept (the
  view holds it beside its text: :mod:`pybase.store.view_held`);
- a double-quoted word that names no column of the tables read nor an alias of the query is the
  text it holds, as SQLite reads it (``WHERE status = "active"``; Postgres has no such fallback);
- a text literal holding a NUL or U+0001 escaped as Postgres holds such text
  (:mod:`pybase.store.pg_nul`), so that it meets the stored text in one spelling.
"""

from __future__ import annotations

import functools
from typing import Any

from pybase.store import (
    pg_nul,
    view_compare,
    view_first_row,
    view_functions,
    view_held,
    view_nodes,
    view_scan_order,
)
from pybase.store.sqlite_functions_base import LIKE_ESCAPE, SqliteRefused, call
from pybase.store.view_arithmetic import arithmetic, exact_sums, real_branches, real_extremes
from pybase.store.view_reals import (
    first_select,
    infinities_shown,
    item_value,
    numbers_as_sqlite,
    reals_kept,
    unwrapped,
)
from pybase.tools.dbutils import exp, sqlglot

# the select list of the query's SELECT ends at these words
_LIST_ENDS = ("FROM", "UNION", "INTERSECT", "EXCEPT", "WHERE", "GROUP_BY", "HAVING", "ORDER_BY", "LIMIT", "WINDOW", "SEMICOLON")


@functools.cache
def _truths() -> tuple[type, ...]:
    return (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)


_SOURCE = "pybase_source"
#: names SQLite gives every table's row id, whatever its columns
_ROWID_NAMES = frozenset({"rowid", "_rowid_", "oid"})

#: SQLite functions sqlglot reads with a grammar of its own, where an argument stops before a
#: comparison (``json_object('k', n > 2)`` fails to parse: it wants SQL's KEY ... VALUE form)
_OWN_GRAMMAR = frozenset({"json_object"})


def parse(sql: str) -> Any:
    """``sql`` (SQLite's) parsed; a query sqlglot cannot read is read again with each argument
    of the functions of :data:`_OWN_GRAMMAR` in parentheses (``json_object('k', (n > 2))``:
    SQLite reads both alike). Raises sqlglot's error when neither reads."""
    sql = names_as_sqlite_reads_them(sql)
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.SqlglotError as ex:
        again = _arguments_parenthesized(sql)
        if again is None:
            raise
        try:
            tree = sqlglot.parse_one(again, read="sqlite")
        except sqlglot.errors.SqlglotError:
            raise ex from None
        sql = again
    # NOTE: the text the nodes' positions point into (see double_quoted_texts)
    tree.meta[_SOURCE] = sql
    return tree


#: the starts of the errors SQLite's parser raises (before it looks a name up)
_PARSE_ERRORS = ("unrecognized token", "near ", "incomplete input")


@functools.lru_cache(maxsize=256)
def sqlite_parse_error(select_sql: str) -> str | None:
    """The error SQLite's parser finds in a view's query (``unrecognized token: "\\"``,
    ``near "AS": syntax error``), as PocketBase reports it, or None. SQLite parses the whole
    statement before it looks any name up, so an empty database answers as the app's would;
    EXPLAIN compiles the statement without running it. Kept per query: a view's save and
    each start translate it more than once."""
    from pybase.store.sqlite_driver import sqlite3

    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"EXPLAIN SELECT * FROM ({select_sql})").close()
    except sqlite3.Error as ex:
        text = str(ex)
        return text if text.startswith(_PARSE_ERRORS) else None
    finally:
        conn.close()
    return None


def names_as_sqlite_reads_them(sql: str) -> str:
    """``sql`` with each name that holds a space other than ASCII's in backticks: SQLite's
    tokenizer takes every character past ASCII as part of a name (``title\u0085FROM``,
    ``,\u00a0title`` are names no column has), where sqlglot's takes these as spaces."""
    if sql.isascii():
        return sql
    out, at, size = [], 0, len(sql)
    while at < size:
        char = sql[at]
        if char in "'\"`[":
            close = "]" if char == "[" else char
            end = sql.find(close, at + 1)
            while end != -1 and close != "]" and sql[end + 1 : end + 2] == close:
                end = sql.find(close, end + 2)  # NOTE: a doubled quote is one inside the quotes
            end = size if end == -1 else end + 1
        elif sql.startswith("--", at):
            end = size if sql.find("\n", at) == -1 else sql.find("\n", at) + 1
        elif sql.startswith("/*", at):
            end = size if sql.find("*/", at + 2) == -1 else sql.find("*/", at + 2) + 2
        elif char.isalpha() or char == "_" or not char.isascii():
            end = at + 1
            while end < size and (sql[end].isalnum() or sql[end] in "_$" or not sql[end].isascii()):
                end += 1
            word = sql[at:end]
            if any(c.isspace() and not c.isascii() for c in word):
                word = f"`{word}`"
            out.append(word)
            at = end
            continue
        else:
            end = at + 1
        out.append(sql[at:end])
        at = end
    return "".join(out)


def _arguments_parenthesized(sql: str) -> str | None:
    """``sql`` with each argument of more than one token of the calls of :data:`_OWN_GRAMMAR` in
    parentheses, or None when there is none."""
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None
    inserts: list[tuple[int, str]] = []
    for number, token in enumerate(tokens[:-1]):
        if token.text.lower() not in _OWN_GRAMMAR or tokens[number + 1].token_type != TokenType.L_PAREN:
            continue
        depth, argument = 0, []
        for inner in tokens[number + 1 :]:
            kind = inner.token_type
            if depth == 1 and kind in (TokenType.COMMA, TokenType.R_PAREN):
                if len(argument) > 1:
                    inserts += [(argument[0].start, "("), (argument[-1].end + 1, ")")]
                argument = []
            elif depth >= 1:
                argument.append(inner)
            depth += 1 if kind == TokenType.L_PAREN else -1 if kind == TokenType.R_PAREN else 0
            if depth == 0:
                break
    if not inserts:
        return None
    # NOTE: from the end, so that each offset still holds; a ")" before a "(" at one offset
    for offset, text in sorted(inserts, key=lambda item: (item[0], item[1] == ")"), reverse=True):
        sql = sql[:offset] + text + sql[offset:]
    return sql


def prepare(tree: Any, sql: str, kinds: dict[str, str] | None = None, columns: frozenset[str] | None = None) -> None:
    """Rewrite ``tree`` (``sql`` parsed) in place; raises :class:`sqlite_functions_base.Refused`.
    ``kinds``: the database's columns' kinds of value (:func:`view_compare.translate`);
    ``columns``: the lower-case names of the columns of the tables the query reads
    (:func:`double_quoted_texts`; None: not known, every word stays a name)."""
    name_columns(tree, sql)
    if columns is not None:
        double_quoted_texts(tree, columns)
    view_first_row.first_rows(tree, kinds or {})
    nul_escaped(tree)
    like_escapes(tree)
    truths_as_values(tree)
    view_held.mark(tree, kinds or {})
    view_compare.translate(tree, kinds or {})
    view_held.note(tree, kinds or {})
    truths_as_numbers(tree)
    values_as_truths(tree)
    exact_sums(tree, kinds or {})
    arithmetic(tree, kinds or {})
    real_extremes(tree)
    real_branches(tree, kinds or {})
    view_scan_order.mark(tree, kinds or {})
    view_functions.translate_view(tree)
    numbers_as_sqlite(tree)
    reals_kept(tree)
    infinities_shown(tree)
    view_held.keep(tree)


def nul_escaped(tree: Any) -> None:
    """Each text literal as Postgres holds the text (:func:`pg_nul.escape_text`: a NUL, which
    Postgres's SQL cannot hold, and U+0001 escaped), as the stored text it is compared with is."""
    for literal in tree.find_all(exp.Literal):
        if literal.is_string:
            text = str(literal.this)
            escaped = pg_nul.escape_text(text)
            if escaped is not text:
                literal.set("this", escaped)


def like_escapes(tree: Any) -> None:
    """``x LIKE p ESCAPE e`` as the LIKE, e in its meta (view_functions' pb_like): the truth
    a value reads is the LIKE's (truths_as_values), with its escape."""
    for node in list(tree.find_all(exp.Escape)):
        if isinstance(node.this, exp.Like):
            like = node.this.copy()
            like.meta[LIKE_ESCAPE] = node.expression.copy()
            node.replace(like)


def truths_as_values(tree: Any) -> None:
    """A truth a view's query uses as a value (``(n > 2) || 'x'``, ``abs(n > 2)``,
    ``coalesce(n > 2, 'x')``, a CASE's THEN, ``sum(n > 2)``, a scalar subquery's column) as
    SQLite's 0/1, an integer (Postgres's boolean read "true" or was refused). Not where SQLite
    tests it (WHERE, ON, CASE WHEN, AND/OR/NOT: :func:`values_as_truths`), compares it
    (``(n > 2) = 1``: :mod:`view_compare` compares a boolean as SQLite's 0/1), groups or orders
    by it, nor a column a SELECT shows (the view's: :func:`truths_as_numbers`; a subquery's in
    FROM stays a boolean, and the column reading it is made 1/0 where used as a value)."""
    truths = _truths()
    # NOTE: innermost first (find_all goes breadth-first): an outer truth is copied with its inner ones done
    for node in reversed(list(tree.find_all(*truths, exp.Column, exp.Subquery))):
        if isinstance(node, exp.Column):
            item = view_nodes.subquery_item(node)
            if item is None or not isinstance(unwrapped(item), truths):
                continue
        elif isinstance(node, exp.Subquery):
            if not _is_truth_subquery(node):
                continue
        if _used_as_value(node):
            number = exp.Cast(this=exp.Paren(this=node.copy()), to=exp.DataType.build("int"))
            number.meta[view_nodes.TRUTH_NUMBER] = True
            node.replace(number)


def _is_truth_subquery(node: Any) -> bool:
    """Whether ``node`` is a scalar subquery (a value) whose one column is a truth."""
    select = node.this
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return False
    return isinstance(unwrapped(item_value(select.expressions[0])), _truths())


@functools.cache
def _not_values() -> tuple[type, ...]:
    """Where a truth is tested, compared, shown, grouped or ordered by, not read as a value."""
    return (exp.Where, exp.Having, exp.Join, exp.And, exp.Or, exp.Not, exp.Select, exp.Alias, exp.Group, exp.Ordered,
            exp.Order, exp.Window, exp.In, exp.Between, exp.Is, exp.From, exp.Exists, *view_compare.comparisons())  # fmt: skip


def _used_as_value(node: Any) -> bool:
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if parent is None or isinstance(parent, _not_values()):
        return False
    if isinstance(parent, exp.If | exp.Case) and child.arg_key == "this":
        return False  # NOTE: CASE WHEN t / iif(t, ...): tested; CASE t WHEN v: compared
    return True


def values_as_truths(tree: Any) -> None:
    """SQLite's truth of any value where the query tests one (``WHERE n``, ``ON a.flag``,
    ``HAVING count(*)``, ``CASE WHEN title``, ``iif(n, ...)``, ``NOT n``, ``a AND b``): a number
    is true when not 0, a text when the number it starts with is not 0 (``pb_truthy``; Postgres
    wants a boolean there)."""
    for node in list(tree.find_all(exp.Where, exp.Having, exp.Join, exp.If, exp.And, exp.Or, exp.Not)):
        if isinstance(node, exp.If) and isinstance(node.parent, exp.Case) and node.parent.this is not None:
            continue  # NOTE: CASE x WHEN v: v is compared, not tested
        keys = {"Join": ("on",), "And": ("this", "expression"), "Or": ("this", "expression")}.get(type(node).__name__, ("this",))
        for key in keys:
            value = node.args.get(key)
            if isinstance(value, exp.Expression) and not _is_truth(value):
                node.set(key, call("pb_truthy", value.copy()))


def _is_truth(value: Any) -> bool:
    inner = unwrapped(value)
    return isinstance(inner, exp.Predicate | exp.Connector | exp.Not | exp.Boolean | exp.Null | exp.Exists)


def _select_items(sql: str) -> list[str] | None:
    """The text of each item of the query's select list (its first SELECT outside
    parentheses), as written; None when it cannot be told."""
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None
    ends = {getattr(TokenType, name) for name in _LIST_ENDS}
    depth, start = 0, None
    for number, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.SELECT and depth == 0:
            start = number + 1
            break
    if start is None:
        return None
    while start < len(tokens) and tokens[start].token_type in (TokenType.DISTINCT, TokenType.ALL):
        start += 1
    items: list[list[Any]] = [[]]
    for token in tokens[start:]:
        if token.token_type in (TokenType.L_PAREN, TokenType.R_PAREN):
            depth += 1 if token.token_type == TokenType.L_PAREN else -1
        elif depth == 0 and token.token_type in ends:
            break
        elif depth == 0 and token.token_type == TokenType.COMMA:
            items.append([])
            continue
        items[-1].append(token)
    if any(not item for item in items):
        return None
    return [_span(sql, item[0], item[-1]) for item in items]


def _span(sql: str, first: Any, last: Any) -> str:
    return sql[first.start : last.end + 1]


def name_columns(tree: Any, sql: str) -> None:
    """Name the shown columns that have no name as SQLite names them."""
    select = first_select(tree)
    if select is None:
        return
    items = _select_items(sql)
    if items is None or len(items) != len(select.expressions):
        return
    for position, (item, text) in enumerate(zip(list(select.expressions), items, strict=True)):
        if isinstance(item, exp.Alias | exp.Star):
            continue
        inner = item.unnest() if isinstance(item, exp.Paren) else item
        if isinstance(inner, exp.Column):
            continue  # NOTE: named after the column by both databases
        name = f"column{position + 1}" if isinstance(inner, exp.Boolean) else text
        item.replace(exp.Alias(this=item.copy(), alias=exp.to_identifier(name, quoted=True)))


def double_quoted_texts(tree: Any, columns: frozenset[str]) -> None:
    """A double-quoted word no column or alias answers to made the text it holds, as SQLite
    reads it (``WHERE status = "active"``, ``"a b" AS t``; a shown one keeps its name, ``abc``
    for ``"abc"``). Its names come from the whole database and query, wider than SQLite's scope:
    a word SQLite would read as text because the column it names is out of reach stays a name
    (Postgres then refuses the view), never the other way round."""
    source = tree.meta.get(_SOURCE)
    if not isinstance(source, str):
        return
    known = set(columns) | _ROWID_NAMES
    known.update(alias.alias.lower() for alias in tree.find_all(exp.Alias))
    for table_alias in tree.find_all(exp.TableAlias):
        known.update(column.name.lower() for column in table_alias.columns)
    for column in list(tree.find_all(exp.Column)):
        ident = column.this
        if column.table or not isinstance(ident, exp.Identifier) or not ident.quoted:
            continue
        start = ident.meta.get("start")
        quote = source[start : start + 1] if isinstance(start, int) else ""
        if not ident.name and quote != '"':
            # NOTE: `` and [] name no column (Postgres: zero-length delimited identifier)
            raise SqliteRefused("no such column: ")
        if quote != '"' or ident.name.lower() in known:
            continue
        text = exp.Literal.string(ident.name)
        if isinstance(column.parent, exp.Select) and column.arg_key == "expressions":
            text = exp.Alias(this=text, alias=exp.to_identifier(ident.name, quoted=True))
        column.replace(text)


def _branches(tree: Any) -> list[Any]:
    if isinstance(tree, exp.SetOperation):
        return _branches(tree.this) + _branches(tree.expression)
    if isinstance(tree, exp.Subquery):
        return _branches(tree.this)
    return [tree] if isinstance(tree, exp.Select) else []


def truths_as_numbers(tree: Any) -> None:
    """A truth a view's query shows (``a > b AS x``, ``TRUE``) as SQLite's 0/1, not Postgres's
    boolean: the view reads alike on both databases. Only the columns the view shows: a
    subquery's stay booleans for the conditions that use them. A UNION's (INTERSECT's,
    EXCEPT's) columns hold no boolean at all, as in SQLite (``pb_truth_number``: a boolean as
    0/1, else the value): one SELECT may show a truth where another shows a number."""
    if isinstance(tree, exp.Select):
        _numbers(tree, everything=False)
    for found in [tree, *tree.find_all(exp.Subquery)]:
        operation = found.this if isinstance(found, exp.Subquery) else found
        if isinstance(operation, exp.SetOperation) and (found is tree or isinstance(found.parent, exp.From | exp.Join)):
            for branch in _branches(operation):
                _numbers(branch, everything=True)


def _numbers(select: Any, everything: bool) -> None:
    for item in list(select.expressions):
        value = item_value(item)
        inner = unwrapped(value)
        if isinstance(inner, _truths()):
            number = exp.Cast(this=exp.Paren(this=value.copy()), to=exp.DataType.build("int"))
        elif everything and not isinstance(inner, exp.Literal | exp.Null | exp.Star) and not _is_star(inner):
            number = call("pb_truth_number", value.copy())
        else:
            continue
        if isinstance(item, exp.Alias):
            item.set("this", number)
        elif isinstance(inner, exp.Column):
            item.replace(exp.Alias(this=number, alias=exp.to_identifier(inner.name)))
        else:
            item.replace(exp.Alias(this=number, alias=exp.to_identifier("?column?")))


def _is_star(node: Any) -> bool:
    return isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
