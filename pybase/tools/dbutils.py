"""Parse the ``CREATE [UNIQUE] INDEX`` strings collections carry, with sqlglot (SQLite dialect).

Collections store their indexes as SQL text, as PocketBase does. That text is never executed as
given: it is parsed to an AST, every node is checked against an allowlist (column references,
literals, deterministic SQLite functions, comparison, boolean and arithmetic operators, CAST,
CASE, COLLATE, ASC/DESC; no subqueries, parameters or other statements), and the statement the
database runs is rendered from that AST with the table name set by the caller.

Two kinds of refusal mirror PocketBase: text that is not one ``CREATE INDEX`` statement is an
:class:`IndexParseError` ("Invalid CREATE INDEX expression."); a well-formed index that SQLite
would refuse (an unknown column or function, a subquery...) is an :class:`IndexRefused` worded as
SQLite words it, because PocketBase reports SQLite's own error for those.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pybase.tools import index_plain

if TYPE_CHECKING:
    from sqlglot.tokens import Token


class _Lazy:
    """A module (or one of its attributes) imported on first use.

    PERF: sqlglot costs ~14 MB per process and is needed only when an index definition is
    parsed (a collection saved or validated), not to serve: every worker process gains.
    """

    def __init__(self, module: str, attribute: str = "") -> None:
        self._module, self._attribute = module, attribute

    def __getattr__(self, name: str) -> Any:
        target: Any = importlib.import_module(self._module)
        if self._attribute:
            target = getattr(target, self._attribute)
        return getattr(target, name)


sqlglot: Any = _Lazy("sqlglot")
exp: Any = _Lazy("sqlglot.expressions")
_errors: Any = _Lazy("sqlglot.errors")
TokenType: Any = _Lazy("sqlglot.tokens", "TokenType")

DIALECT = "sqlite"

# NOTE: sqlglot warns through its logger about text it cannot parse ("falling back to parsing
# as a Command"); for user-written definitions that is an answer, not a server log line.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# NOTE: SQLite's extended result code for an unknown collation (SQLITE_ERROR_MISSING_COLLSEQ).
MISSING_COLLATION = 257
_COLLATIONS = frozenset({"binary", "nocase", "rtrim"})

# Deterministic SQLite functions an index may use, by the name the rendered SQL calls them.
_FUNCTIONS = frozenset({
    # core
    "abs", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif",
    "instr", "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif",
    "octet_length", "printf", "quote", "replace", "round", "rtrim", "sign", "substr",
    "substring", "trim", "typeof", "unhex", "unicode", "unlikely", "upper", "zeroblob",
    # date and time (SQLite itself refuses 'now' in an index when it meets a row)
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
    # json
    "json", "jsonb", "json_array", "json_array_length", "json_extract", "json_insert", "json_object",
    "json_patch", "json_quote", "json_remove", "json_replace", "json_set", "json_type", "json_valid",
    # math
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power",
    "radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
})  # fmt: skip
_NON_DETERMINISTIC = frozenset({"random", "randomblob", "changes", "total_changes", "last_insert_rowid"})

@functools.cache
def _nodes() -> tuple[type, ...]:
    """Node types an index expression may contain besides function calls."""
    return (
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.HexString, exp.Paren,
    exp.Tuple, exp.Neg, exp.Not, exp.BitwiseNot, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE,
    exp.LT, exp.LTE, exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Like, exp.Glob, exp.Escape,
    exp.In, exp.Between, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe, exp.BitwiseAnd,
    exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseLeftShift, exp.BitwiseRightShift, exp.Collate,
    exp.Var, exp.Cast, exp.DataType, exp.DataTypeParam, exp.Case, exp.If, exp.JSONExtract,
    exp.JSONExtractScalar, exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript,
    exp.JSONKeyValue,
    )  # fmt: skip


@functools.cache
def _transparent() -> tuple[type, ...]:
    return (exp.TsOrDsToTimestamp,)


_CALL_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(")


@functools.cache
def _identifier_tokens() -> frozenset[Any]:
    return frozenset({TokenType.VAR, TokenType.IDENTIFIER})


class IndexParseError(ValueError):
    """The text is not one ``CREATE [UNIQUE] INDEX`` statement in the grammar we accept."""


class IndexRefused(ValueError):
    """A well-formed index SQLite would refuse; ``message`` and ``code`` as SQLite reports them."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class IndexColumn:
    """One indexed column: an identifier or an expression's source text, collation, direction."""

    name: str
    collate: str = ""
    sort: str = ""
    expression: bool = False


@dataclass(frozen=True)
class Index:
    """A parsed, checked index definition.

    ``columns`` and ``where`` keep the source text (PocketBase stores and compares that text);
    the checked AST behind them is what :meth:`create_sql` renders.
    """

    name: str
    table: str
    unique: bool
    columns: tuple[IndexColumn, ...]
    where: str = ""
    optional: bool = False
    #: the checked AST (None when read as a plain definition: built from ``source`` when needed)
    tree: exp.Create | None = dataclasses.field(default=None, compare=False, repr=False)
    # source offsets of the "double-quoted" identifiers (SQLite reads one naming no column as a string)
    double_quoted: frozenset[int] = dataclasses.field(default=frozenset(), compare=False, repr=False)
    #: why SQLite would refuse the index whatever its table (raised by create_sql)
    refusal: IndexRefused | None = dataclasses.field(default=None, compare=False, repr=False)
    #: the plain reading (pybase.tools.index_plain) that renders the SQLite statement without sqlglot
    plain: index_plain.PlainIndex | None = dataclasses.field(default=None, compare=False, repr=False)
    source: str = dataclasses.field(default="", compare=False, repr=False)

    def build(self) -> str:
        """The definition as PocketBase writes it back (after renaming the table, for example)."""
        sql = "CREATE UNIQUE INDEX " if self.unique else "CREATE INDEX "
        if self.optional:
            sql += "IF NOT EXISTS "
        parts = []
        for col in self.columns:
            part = col.name if col.expression else f"`{col.name}`"
            if col.collate:
                part += f" COLLATE {col.collate}"
            if col.sort:
                part += f" {col.sort}"
            parts.append(part)
        body = "\n  " + ",\n  ".join(parts) + "\n" if len(parts) > 1 else "".join(parts)
        sql += f"`{self.name}` ON `{self.table}` ({body})"
        if self.where:
            sql += f" WHERE {self.where}"
        return sql

    def with_table(self, table: str) -> Index:
        """The same index on another table."""
        return dataclasses.replace(self, table=table)

    def definition(self) -> str:
        """The definition without its names, to find two indexes that are the same."""
        return dataclasses.replace(self, name="validator", table="validator").build()

    def checked_tree(self, table: str, columns: Iterable[str]) -> exp.Create:
        """A copy of the checked AST set on ``table``, every column reference checked against
        ``columns`` (the table's columns): a reference to any other column is refused as SQLite
        would refuse it, and a double-quoted name that is no column becomes a string literal
        (SQLite's reading of such a name, which PocketBase's SQLite applies too)."""
        if self.tree is None:
            full = parse_index_sqlglot(self.source)
            return dataclasses.replace(full, name=self.name, table=self.table).checked_tree(table, columns)
        if self.refusal is not None:
            raise self.refusal
        known = {c.lower() for c in columns}
        tree = self.tree.copy()
        tree.set("comments", None)
        index = tree.this
        index.set("this", exp.to_identifier(self.name, quoted=True))
        index.set("table", exp.Table(this=exp.to_identifier(table, quoted=True)))
        params = index.args["params"]
        parts: list[exp.Expression] = list(params.args.get("columns") or [])
        where = params.args.get("where")
        if where is not None:
            parts.append(where)
        for part in parts:
            for column in list(part.find_all(exp.Column)):
                name = column.name
                if name.lower() in known:
                    continue
                if column.this.meta.get("start") in self.double_quoted:
                    column.replace(exp.Literal.string(name))
                    continue
                raise IndexRefused(f"no such column: {name}")
        return tree

    def create_sql(self, table: str, columns: Iterable[str]) -> str:
        """The SQLite ``CREATE INDEX`` statement to run on ``table``, rendered from the checked
        AST (see :meth:`checked_tree`; Postgres's rendering is pybase.store.index_sql's).

        PERF: a plain definition is rendered without sqlglot, as sqlglot renders it.
        """
        if self.plain is not None:
            try:
                return index_plain.render_sqlite(self.plain, self.name, table, list(columns))
            except index_plain.UnknownColumn as ex:
                raise IndexRefused(f"no such column: {ex.name}") from None
        tree = self.checked_tree(table, columns)
        sql = tree.sql(dialect=DIALECT, comments=False)
        # NOTE: the rendered text must read back as the same tree, so nothing is lost or added.
        if _parse_one(sql) != tree:
            raise IndexParseError("the index does not render back to itself")
        return sql


def _parse_one(sql: str) -> exp.Expression | None:
    statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    return statements[0] if len(statements) == 1 else None


@functools.lru_cache(maxsize=2048)
def parse_index(sql: str) -> Index:
    """Parse and check one index definition (see :func:`parse_index_sqlglot`).

    PERF: a plain definition (pybase.tools.index_plain: PocketBase's own, the dashboard's) is
    read without sqlglot, to the same :class:`Index`; sqlglot reads the others.
    """
    plain = index_plain.parse_plain(sql or "")
    if plain is None:
        return parse_index_sqlglot(sql)
    return Index(
        name=plain.name,
        table=plain.table,
        unique=plain.unique,
        columns=tuple(IndexColumn(c.name.name, c.collate, c.sort) for c in plain.columns),
        where=plain.where,
        optional=plain.optional,
        plain=plain,
        source=sql,
    )


def parse_index_sqlglot(sql: str) -> Index:
    """Parse and check one index definition with sqlglot.

    Raises :class:`IndexParseError` for text outside the grammar. An index SQLite would refuse
    whatever the table (a subquery, a parameter, an unknown function or collation) parses, with
    the :class:`IndexRefused` that :meth:`Index.create_sql` raises kept in ``refusal``: as in
    PocketBase, that refusal comes after the checks of names and definitions.
    """
    try:
        tokens = sqlglot.tokenize(sql or "", read=DIALECT)
        tree = _parse_one(sql or "")
    except _errors.SqlglotError as ex:
        raise IndexParseError("invalid index definition") from ex
    if not isinstance(tree, exp.Create) or tree.args.get("kind") != "INDEX" or not isinstance(tree.this, exp.Index):
        raise IndexParseError("not a CREATE INDEX statement")
    head, name, columns, where = _split(sql, tokens)
    if tree.this.name != name:
        raise IndexParseError("invalid index name")
    params = tree.this.args.get("params")
    ordered = list(params.args.get("columns") or []) if params is not None else []
    if not ordered or len(ordered) != len(columns):
        raise IndexParseError("invalid index columns")
    _check_shape(tree, params)
    refusal = None
    try:
        for item in ordered:
            _check_expression(item.this, "index expressions")
        where_node = params.args.get("where")
        if where_node is not None:
            _check_expression(where_node.this, "partial index WHERE clauses")
    except IndexRefused as ex:
        refusal = ex
    double_quoted = frozenset(
        node.meta["start"]
        for node in tree.find_all(exp.Identifier)
        if node.quoted and "start" in node.meta and sql[node.meta["start"]] == '"'
    )
    unique = any(t.token_type == TokenType.UNIQUE for t in head)
    optional = any(t.token_type == TokenType.EXISTS for t in head)
    if bool(tree.args.get("unique")) != unique or bool(tree.args.get("exists")) != optional:
        raise IndexParseError("invalid index head")
    return Index(
        name=name,
        table=tree.this.args["table"].name,
        unique=unique,
        columns=tuple(_column(sql, part) for part in columns),
        where=_text(sql, where) if where else "",
        optional=optional,
        tree=tree,
        double_quoted=double_quoted,
        refusal=refusal,
    )


def _split(sql: str, tokens: list[Token]) -> tuple[list[Token], str, list[list[Token]], list[Token]]:
    """The head tokens, the index name, the tokens of each column and of the WHERE clause."""
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise IndexParseError("a semicolon is not part of an index definition")
    on = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.ON), -1)
    if on < 3 or tokens[on - 1].token_type not in _identifier_tokens() or tokens[on - 2].token_type == TokenType.DOT:
        raise IndexParseError("missing index name")
    head, name = tokens[: on - 1], tokens[on - 1].text
    start = next((i for i in range(on + 1, len(tokens)) if tokens[i].token_type == TokenType.L_PAREN), -1)
    if start < 0:
        raise IndexParseError("missing index columns")
    columns: list[list[Token]] = [[]]
    depth, end = 0, -1
    for i in range(start, len(tokens)):
        kind = tokens[i].token_type
        if kind == TokenType.L_PAREN:
            depth += 1
            if depth == 1:
                continue
        elif kind == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                end = i
                break
        if depth == 1 and kind == TokenType.COMMA:
            columns.append([])
        else:
            columns[-1].append(tokens[i])
    if end < 0 or any(not part for part in columns):
        raise IndexParseError("invalid index columns")
    rest = tokens[end + 1 :]
    if rest and rest[0].token_type != TokenType.WHERE or len(rest) == 1:
        raise IndexParseError("unexpected text after the index columns")
    return head, name, columns, rest[1:]


def _text(sql: str, tokens: list[Token]) -> str:
    return sql[tokens[0].start : tokens[-1].end + 1]


def _column(sql: str, tokens: list[Token]) -> IndexColumn:
    sort = collate = ""
    if tokens[-1].token_type in (TokenType.ASC, TokenType.DESC) and len(tokens) > 1:
        sort, tokens = tokens[-1].text.upper(), tokens[:-1]
    if len(tokens) > 2 and tokens[-2].token_type == TokenType.COLLATE:
        collate, tokens = _text(sql, tokens[-1:]), tokens[:-2]
    if len(tokens) == 1 and tokens[0].token_type in _identifier_tokens():
        return IndexColumn(tokens[0].text, collate, sort)
    return IndexColumn(_text(sql, tokens), collate, sort, expression=True)


def _check_shape(tree: exp.Create, params: exp.Expression) -> None:
    """Nothing beyond name, table, columns and WHERE (no USING, INCLUDE, storage options...)."""
    extra = {k for k, v in tree.args.items() if v and k not in ("this", "kind", "unique", "exists")}
    extra |= {k for k, v in tree.this.args.items() if v and k not in ("this", "table", "unique", "params")}
    extra |= {k for k, v in params.args.items() if v and k not in ("columns", "where")}
    if extra:
        raise IndexParseError(f"unsupported index parts: {sorted(extra)}")
    for item in params.args.get("columns") or []:
        if not isinstance(item, exp.Ordered) or item.args.get("with_fill"):
            raise IndexParseError("invalid index column")


def _check_expression(node: exp.Expression, where: str) -> None:
    """Refuse any node outside the allowlist, worded as SQLite refuses what it refuses too."""
    for child in node.walk():
        if isinstance(child, exp.Subquery | exp.Select | exp.Query | exp.Exists):
            raise IndexRefused(f"subqueries prohibited in {where}")
        if isinstance(child, exp.Placeholder | exp.Parameter):
            raise IndexRefused(f"parameters prohibited in {where}")
        if isinstance(child, exp.In) and (child.args.get("query") or child.args.get("unnest") or child.args.get("field")):
            raise IndexRefused(f"subqueries prohibited in {where}")
        if isinstance(child, exp.Column) and (child.args.get("table") or child.args.get("db")):
            raise IndexParseError("qualified column names are not supported")
        if isinstance(child, exp.Collate):
            collation = child.expression.name
            if collation.lower() not in _COLLATIONS:
                raise IndexRefused(f"no such collation sequence: {collation}", MISSING_COLLATION)
        if isinstance(child, _nodes()):
            continue
        if isinstance(child, exp.Func):
            _check_function(child, where)
            continue
        raise IndexParseError(f"unsupported index expression {type(child).__name__}")


def _check_function(node: exp.Func, where: str) -> None:
    """A call is checked by the name the rendered SQL gives it, so what runs is what is allowed."""
    called = _CALL_RE.match(node.sql(dialect=DIALECT, comments=False))
    if called is None:
        # sqlglot's own wrappers that render as their argument (strftime's time argument)
        if isinstance(node, _transparent()):
            return
        raise IndexParseError(f"unsupported index expression {type(node).__name__}")
    name = called[1].lower()
    if name in _NON_DETERMINISTIC:
        raise IndexRefused(f"non-deterministic functions prohibited in {where}")
    if name == "load_extension":
        raise IndexRefused("unsafe use of load_extension()")
    if isinstance(node, exp.AggFunc):
        raise IndexRefused(f"misuse of aggregate function {name}()")
    if name not in _FUNCTIONS:
        raise IndexRefused(f"no such function: {node.name if isinstance(node, exp.Anonymous) else name.upper()}")
