"""``$dbx`` expressions and ``$app.db()`` queries for JS.

SQL written by a hook runs through SQLAlchemy ``text()`` with bound parameters only: dbx's
``{:name}`` placeholders become bind parameters, ``[[column]]`` and ``{{table}}`` become quoted
identifiers, and every other colon is escaped so it can never be read as a parameter.

Queries built in JS (``$app.db().select(...).from(...).where(...)``, ``recordQuery``,
``insert``/``update``/``delete``...) cross as a plain description and are rendered to SQL here,
quoting names as dbx does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import and_, false, literal_column, not_, or_, text, true
from sqlalchemy.exc import DBAPIError, StatementError

from pybase.core.errors import BadRequestError
from pybase.jsvm.errors import NoRows
from pybase.store import index_long_keys, pg_nul
from pybase.store.dialect import ROWID_COLUMN, dialect_of
from pybase.store.dialect.constructs import HELD_PREFIX
from pybase.store.sqlite_driver import sqlite3

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Table

    from pybase.jsvm.pool import Executor
    from pybase.store.db import Database

_SQL_TOKEN_RE = re.compile(r"\{:(\w+)\}|\[\[([\w.]+)\]\]|\{\{([\w.]+)\}\}|:")
_IDENT_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)?$")
_READ_RE = re.compile(r"^\s*(select|with|values|explain)\b", re.I)
_LIKE_ESCAPE = "\\"
_param_ids = itertools.count(1)


def _quote(name: str) -> str:
    if not _IDENT_RE.match(name):
        raise BadRequestError(f"invalid identifier {name!r}")
    return ".".join(f'"{part}"' for part in name.split("."))


def dbx_sql(sql: str, params: dict[str, Any] | None) -> tuple[Any, dict[str, Any]]:
    """A dbx SQL string as a ``text()`` clause with uniquely named bound parameters."""
    raw, bound = dbx_text(sql, params)
    return text(raw), bound


def dbx_text(sql: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """A dbx SQL string as ``text()`` source (``:name`` binds, other colons escaped) and its binds."""
    given = dict(params or {})
    bound: dict[str, Any] = {}
    names: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name, column, table = match.group(1), match.group(2), match.group(3)
        if name is not None:
            if name not in given:
                raise BadRequestError(f"Named parameter not found: {name}")  # NOTE: the SQLite driver's text, as PocketBase
            unique = names.get(name)
            if unique is None:
                unique = names[name] = f"p{next(_param_ids)}_{name}"
                value = given[name]
                bound[unique] = value if value is None or isinstance(value, int | float | str | bytes) else str(value)
            return ":" + unique
        if column is not None or table is not None:
            return _quote(column or table)
        return "\\:"

    return _SQL_TOKEN_RE.sub(replace, str(sql)), bound


def _column(table: Table | None, name: str) -> Any:
    if table is not None and name in table.c:
        return table.c[name]
    return literal_column(_quote(name))


def _like_value(value: Any) -> str:
    text_value = "" if value is None else str(value)
    escaped = text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _hash(values: dict[str, Any], table: Table | None) -> ColumnElement[bool]:
    parts = []
    for key, value in values.items():
        col = _column(table, key)
        if value is None:
            parts.append(col.is_(None))
        elif isinstance(value, list):
            parts.append(col.in_(value) if value else false())
        else:
            parts.append(col == value)
    return and_(true(), *parts) if parts else true()


def _like(kind: str, col: Any, values: list[Any]) -> ColumnElement[bool]:
    negate = kind in ("notLike", "orNotLike")
    parts = [(col.not_like if negate else col.like)(_like_value(v), escape=_LIKE_ESCAPE) for v in values]
    if not parts:
        return true()
    return or_(*parts) if kind.startswith("or") else and_(*parts)


def compile_expr(expr: Any, table: Table | None = None) -> ColumnElement[bool]:
    """A ``$dbx`` expression (as JSON) as a SQLAlchemy clause; bound parameters only."""
    if not isinstance(expr, dict) or "$dbx" not in expr:
        raise BadRequestError("expected a $dbx expression")
    kind = expr["$dbx"]
    if kind == "exp":
        clause, bound = dbx_sql(expr.get("sql") or "", expr.get("params"))
        return cast("ColumnElement[bool]", clause.bindparams(**bound) if bound else clause)
    if kind == "hash":
        return _hash(expr.get("values") or {}, table)
    if kind in ("and", "or"):
        items = [compile_expr(item, table) for item in expr.get("items") or () if item]
        if not items:
            return true()
        return and_(*items) if kind == "and" else or_(*items)
    if kind == "not":
        return not_(compile_expr(expr.get("item"), table))
    if kind in ("exists", "notExists"):
        inner = expr.get("item") or {}
        prefix = "EXISTS" if kind == "exists" else "NOT EXISTS"
        clause, bound = dbx_sql(f"{prefix} ({inner.get('sql') or ''})", inner.get("params"))
        return cast("ColumnElement[bool]", clause.bindparams(**bound) if bound else clause)
    col = _column(table, str(expr.get("col") or ""))
    if kind in ("in", "notIn"):
        values = list(expr.get("values") or ())
        if not values:
            return false() if kind == "in" else true()
        return cast("ColumnElement[bool]", col.in_(values) if kind == "in" else col.not_in(values))
    if kind in ("like", "orLike", "notLike", "orNotLike"):
        return _like(kind, col, list(expr.get("values") or ()))
    if kind in ("between", "notBetween"):
        between = col.between(expr.get("from"), expr.get("to"))
        return cast("ColumnElement[bool]", between if kind == "between" else not_(between))
    raise BadRequestError(f"unsupported $dbx expression {kind!r}")


def where_clauses(table: Table, exprs: tuple[Any, ...], filter_clause: Any) -> list[Any]:
    """Clauses for ``countRecords``/``findAllRecords`` arguments (dbx expressions or filter text)."""
    clauses = []
    for expr in exprs:
        if expr is None:
            continue
        clauses.append(filter_clause(expr) if isinstance(expr, str) else compile_expr(expr, table))
    return [c for c in clauses if c is not None]


# ---- rendering to SQL text (queries built in JS) -----------------------------------------------

_ALIAS_RE = re.compile(r"^(.*?)(?i:\s+as\s+|\s+)([\w\-.]+)$")
_DIRECTION_RE = re.compile(r"\s+(asc|desc)$", re.I)


class _Binds:
    """Bound values of one statement, uniquely named."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"v{next(_param_ids)}"
        self.values[name] = _bindable(value)
        return ":" + name

    def sql(self, sql: str, params: Any) -> str:
        raw, bound = dbx_text(sql, params if isinstance(params, dict) else {})
        self.values.update(bound)
        return raw


def _bindable(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def quote_simple(name: str) -> str:
    """dbx's QuoteSimpleColumnName/TableName for SQLite: ``"name"`` (``*`` and quoted names kept)."""
    name = name.strip()
    if name == "*" or (len(name) > 1 and name[0] in "\"`[" and name[-1] in "\"`]"):
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """dbx's QuoteTableName: expressions and ``{{...}}`` kept, dotted names quoted part by part."""
    name = name.strip()
    if "(" in name or "{{" in name:
        return name
    return ".".join(quote_simple(part) for part in name.split("."))


def quote_column(name: str) -> str:
    """dbx's QuoteColumnName: expressions, ``{{`` and ``[[`` kept; ``t.col`` quoted part by part."""
    name = name.strip()
    if "(" in name or "{{" in name or "[[" in name:
        return name
    prefix = ""
    if "." in name:
        head, name = name.rsplit(".", 1)
        prefix = quote_table(head) + "."
    return prefix + quote_simple(name)


def _aliased(item: str, quote: Callable[[str], str]) -> str:
    item = str(item).strip()
    match = _ALIAS_RE.match(item)
    if match and "(" not in match.group(2):
        return f"{quote(match.group(1))} AS {quote_simple(match.group(2))}" if quote is quote_column else f"{quote(match.group(1))} {quote_simple(match.group(2))}"
    return quote(item)


def render(expr: Any, binds: _Binds) -> str:
    """A ``$dbx`` expression as SQL text ("" for an empty one), its values added to ``binds``."""
    if expr is None:
        return ""
    if isinstance(expr, str):
        return binds.sql(expr, {})
    if not isinstance(expr, dict) or "$dbx" not in expr:
        raise BadRequestError("expected a $dbx expression")
    kind = expr["$dbx"]
    if kind == "exp":
        return binds.sql(str(expr.get("sql") or ""), expr.get("params"))
    if kind == "hash":
        return _join("AND", [_hash_part(quote_column(k), v, binds) for k, v in (expr.get("values") or {}).items()])
    if kind in ("and", "or"):
        return _join(kind.upper(), [render(item, binds) for item in expr.get("items") or ()])
    if kind == "not":
        inner = render(expr.get("item"), binds)
        return f"NOT ({inner})" if inner else ""
    if kind in ("exists", "notExists"):
        inner = render(expr.get("item"), binds)
        return f"{'EXISTS' if kind == 'exists' else 'NOT EXISTS'} ({inner})"
    col = quote_column(str(expr.get("col") or ""))
    if kind in ("in", "notIn"):
        values = list(expr.get("values") or ())
        if not values:
            return "0=1" if kind == "in" else ""
        if len(values) == 1:
            return f"{col}{'=' if kind == 'in' else '<>'}{binds.add(values[0])}"
        return f"{col} {'IN' if kind == 'in' else 'NOT IN'} ({', '.join(binds.add(v) for v in values)})"
    if kind in ("like", "orLike", "notLike", "orNotLike"):
        op = "NOT LIKE" if kind in ("notLike", "orNotLike") else "LIKE"
        parts = [f"{col} {op} {binds.add(_like_value(v))} ESCAPE '\\'" for v in expr.get("values") or ()]
        return _join("OR" if kind.startswith("or") else "AND", parts)
    if kind in ("between", "notBetween"):
        op = "BETWEEN" if kind == "between" else "NOT BETWEEN"
        return f"{col} {op} {binds.add(expr.get('from'))} AND {binds.add(expr.get('to'))}"
    raise BadRequestError(f"unsupported $dbx expression {kind!r}")


def _hash_part(col: str, value: Any, binds: _Binds) -> str:
    if value is None:
        return f"{col} IS NULL"
    if isinstance(value, list):
        return f"{col} IN ({', '.join(binds.add(v) for v in value)})" if value else "0=1"
    return f"{col}={binds.add(value)}"


def _join(op: str, parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0]
    return f" {op} ".join(f"({p})" for p in parts)


def _combine(current: Any, op: str, expr: Any) -> Any:
    if current is None:
        return expr
    if expr is None:
        return current
    return {"$dbx": op, "items": [current, expr]}


def build_select(spec: dict[str, Any], binds: _Binds) -> str:
    """dbx's SelectQuery as SQL text."""
    cols = [str(c) for c in spec.get("select") or ()] or ["*"]
    sql = "SELECT DISTINCT " if spec.get("distinct") else "SELECT "
    sql += ", ".join(_aliased(c, quote_column) for c in cols)
    tables = [str(t) for t in spec.get("from") or ()]
    if tables:
        sql += " FROM " + ", ".join(_aliased(t, quote_table) for t in tables)
    for join in spec.get("joins") or ():
        sql += f" {join.get('type') or 'INNER JOIN'} {_aliased(str(join.get('table') or ''), quote_table)}"
        on = render(join.get("on"), binds)
        if on:
            sql += f" ON {on}"
    where = render(spec.get("where"), binds)
    if where:
        sql += f" WHERE {where}"
    groups = [quote_column(str(g)) for g in spec.get("groupBy") or ()]
    if groups:
        sql += " GROUP BY " + ", ".join(groups)
    having = render(spec.get("having"), binds)
    if having:
        sql += f" HAVING {having}"
    for union in spec.get("unions") or ():
        inner = _statement(union.get("query") or {}, binds)
        sql = f"({sql}) {'UNION ALL' if union.get('all') else 'UNION'} ({inner})"
    orders = []
    for item in spec.get("orderBy") or ():
        item = str(item).strip()
        match = _DIRECTION_RE.search(item)
        if match:
            orders.append(f"{quote_column(item[: match.start()])} {match.group(1).upper()}")
        elif item:
            orders.append(quote_column(item))
    if orders:
        sql += " ORDER BY " + ", ".join(orders)
    limit = int(spec["limit"]) if spec.get("limit") is not None else -1
    offset = int(spec["offset"]) if spec.get("offset") is not None else 0
    if limit >= 0:
        sql += f" LIMIT {limit}"
    if offset > 0:
        if limit < 0:
            sql += " LIMIT -1"
        sql += f" OFFSET {offset}"
    return sql


def _postgres_conflict_target(db: Database, spec: dict[str, Any], sql: str) -> str:
    """An upsert's ``ON CONFLICT (title)`` naming the unique index Postgres holds ``title`` by
    digest in (a text that may be long: pybase.store.index_long_keys) by that index's keys."""
    args = [str(arg) for arg in spec.get("args") or ()]
    if len(args) < 3 or "(" in args[0]:
        return sql
    with db.read() as conn:
        defs = [row[0] for row in conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"), {"t": args[0]})]  # fmt: skip
    keys = index_long_keys.conflict_keys(defs, args[2:])
    if keys is None:
        return sql
    conflict = ", ".join(quote_column(c) for c in args[2:])
    return sql.replace(f" ON CONFLICT ({conflict}) DO UPDATE ", f" ON CONFLICT ({keys}) DO UPDATE ", 1)


def _columns_values(cols: Any, binds: _Binds) -> tuple[list[str], list[str]]:
    names = list((cols or {}).keys())
    return [quote_column(n) for n in names], [binds.add(cols[n]) for n in names]


def _statement(spec: Any, binds: _Binds) -> str:
    """SQL text of a query description (raw SQL, a select, or one of dbx's builder statements)."""
    if isinstance(spec, str):
        return binds.sql(spec, {})
    kind = spec.get("kind") or "sql"
    params = spec.get("params") or {}
    if kind == "sql":
        return binds.sql(str(spec.get("sql") or ""), params)
    if kind == "select":
        # NOTE: bound {:name} values of the whole query (bind/andBind) apply to every fragment.
        binds_params = dict(params)
        scoped = _ScopedBinds(binds, binds_params)
        return _quote_tokens(build_select(spec, scoped))
    args = list(spec.get("args") or ())
    table = quote_table(str(args[0])) if args else ""
    if kind == "insert":
        names, values = _columns_values(args[1] if len(args) > 1 else {}, binds)
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"
    if kind == "upsert":
        names, values = _columns_values(args[1] if len(args) > 1 else {}, binds)
        conflict = ", ".join(quote_column(str(c)) for c in args[2:])
        updates = ", ".join(f"{n}=EXCLUDED.{n}" for n in names)
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)}) ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    if kind == "update":
        names, values = _columns_values(args[1] if len(args) > 1 else {}, binds)
        sql = f"UPDATE {table} SET " + ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
        where = render(args[2] if len(args) > 2 else None, binds)
        return sql + (f" WHERE {where}" if where else "")
    if kind == "delete":
        where = render(args[1] if len(args) > 1 else None, binds)
        return f"DELETE FROM {table}" + (f" WHERE {where}" if where else "")
    if kind == "createTable":
        cols = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        defs = ", ".join(f"{quote_column(str(n))} {t}" for n, t in cols.items())
        options = " ".join(str(a) for a in args[2:])
        return f"CREATE TABLE {table} ({defs})" + (f" {options}" if options else "")
    if kind == "dropTable":
        return f"DROP TABLE {table}"
    if kind == "truncateTable":
        return f"DELETE FROM {table}"
    if kind == "renameTable":
        return f"ALTER TABLE {table} RENAME TO {quote_table(str(args[1]))}"
    if kind == "dropColumn":
        return f"ALTER TABLE {table} DROP COLUMN {quote_column(str(args[1]))}"
    if kind in ("createIndex", "createUniqueIndex"):
        unique = "UNIQUE " if kind == "createUniqueIndex" else ""
        cols_sql = ", ".join(quote_column(str(c)) for c in args[2:])
        return f"CREATE {unique}INDEX {quote_simple(str(args[1]))} ON {table} ({cols_sql})"
    if kind == "dropIndex":
        return f"DROP INDEX {quote_simple(str(args[1]))}"
    raise BadRequestError(f"unsupported query {kind!r}")


class _ScopedBinds(_Binds):
    """Binds of a select whose ``{:name}`` placeholders take the query's bound params."""

    def __init__(self, parent: _Binds, params: dict[str, Any]) -> None:
        self.values = parent.values
        self.params = params

    def sql(self, sql: str, params: Any) -> str:
        merged = dict(self.params)
        if isinstance(params, dict):
            merged.update(params)
        return super().sql(sql, merged)


_QUOTE_TOKEN_RE = re.compile(r"\[\[([\w.]+)\]\]|\{\{([\w.]+)\}\}")


def _quote_tokens(sql: str) -> str:
    """dbx's ``{{table}}`` and ``[[column]]`` quoting (values are already bound)."""
    return _QUOTE_TOKEN_RE.sub(lambda m: _quote(m.group(1) or m.group(2)), sql)


def _split(sql: str) -> list[str]:
    """Statements of a script (sqlite3's own notion of a complete statement)."""
    out: list[str] = []
    current = ""
    for char in sql:
        current += char
        if char == ";" and sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                out.append(current)
            current = ""
    if current.strip(" \t\r\n;"):
        out.append(current)
    return out


# ---- running queries -----------------------------------------------------------------------------


def _database(ex: Executor, options: Any) -> Database:
    app = ex.runtime.app
    return app.logs.db if isinstance(options, dict) and options.get("aux") else app.db


def run_statement(ex: Executor, spec: Any, mode: str, options: Any = None) -> Any:
    """Run a query description: ``one`` (a row or 404), ``all``, ``execute``, ``row``, ``column``
    or ``sql`` (the text and params, not run)."""
    binds = _Binds()
    sql = _statement(spec, binds)
    if mode == "sql":
        return {"sql": sql.replace("\\:", ":"), "params": binds.values}
    db = _database(ex, options)
    if db.dialect.name == "postgresql" and isinstance(spec, dict) and spec.get("kind") == "upsert":
        sql = _postgres_conflict_target(db, spec, sql)
    statements = _split(sql) if mode == "execute" else [sql]
    reading = mode != "execute" and _READ_RE.match(sql) is not None
    postgres = db.dialect.name == "postgresql"
    try:
        if reading:
            with db.read() as conn:
                rows = _rows(conn.execute(text(sql), binds.values), sql, postgres)
        else:
            with db.write() as conn:
                result = None
                affected = 0
                for statement in statements:
                    used = {k: v for k, v in binds.values.items() if ":" + k in statement}
                    result = conn.execute(text(statement), used)
                    affected += max(result.rowcount, 0)
                if mode == "execute":
                    # NOTE: Postgres has no last rowid (0, as a Go driver without one reports).
                    last = result.lastrowid if result is not None and db.dialect.name == "sqlite" else 0
                    return {"rowsAffected": affected, "lastInsertId": last or 0}
                rows = _rows(result, sql, postgres) if result is not None and result.returns_rows else []
    except (DBAPIError, StatementError) as ex_:
        raise BadRequestError(str(getattr(ex_, "orig", None) or ex_)) from ex_
    if mode in ("one", "row"):
        if not rows:
            raise NoRows()
        return rows[0] if mode == "one" else list(rows[0].values())
    if mode == "column":
        return [next(iter(r.values()), None) for r in rows]
    return rows


def _rows(result: Any, sql: str, postgres: bool) -> list[dict[str, Any]]:
    """A query's rows as SQLite answers them: on Postgres without the columns pybase keeps
    there that SQLite has not (:func:`_shown_positions`), each text as written (a NUL:
    pybase.store.pg_nul)."""
    if not postgres:
        return [dict(row._mapping) for row in result]
    names = list(result.keys())
    shown = _shown_positions(names, sql)
    unescape = pg_nul.unescape_text
    return [{names[at]: unescape(row[at]) for at in shown} for row in result]


def _shown_positions(names: list[str], sql: str) -> list[int]:
    """The positions of the columns (Postgres) of a result of ``sql`` that SQLite would answer
    too: not a view's hidden SQL values (pybase.store.view_held), nor the identity column of a
    table (``_rowid_``, SQLite's rowid) that ``sql`` does not name (a ``*`` brought it: SQLite's
    ``*`` never holds the rowid)."""
    named_rowid = ROWID_COLUMN in sql.lower()
    return [at for at, name in enumerate(names) if not name.startswith(HELD_PREFIX) and (name != ROWID_COLUMN or named_rowid)]


def db_query(ex: Executor, sql: Any, params: Any, mode: str, options: Any = None) -> Any:
    """``$app.db().newQuery(sql).bind(params)``: ``one``, ``all``, ``execute``, ``row``, ``column``."""
    spec = sql if isinstance(sql, dict) else {"kind": "sql", "sql": str(sql or ""), "params": params or {}}
    if isinstance(sql, dict) and params:
        spec = dict(spec, params={**(spec.get("params") or {}), **params})
    return run_statement(ex, spec, mode, options)


def db_has_table(ex: Executor, name: Any, options: Any = None) -> bool:
    """``$app.hasTable(name)``: a table or view of that name exists."""
    db = _database(ex, options)
    with db.read() as conn:
        return dialect_of(conn).has_table(conn, str(name or ""))


def db_table_info(ex: Executor, name: Any, what: str) -> Any:
    """``$app.tableColumns/tableInfo/tableIndexes(table)``."""
    app = ex.runtime.app
    table = str(name or "")
    with app.db.read() as conn:
        dialect = dialect_of(conn)
        if what == "columns":
            return [column["name"] for column in dialect.table_info(conn, table)]
        if what == "info":
            return dialect.table_info(conn, table)
        return dialect.index_sql(conn, table)


def db_vacuum(ex: Executor, options: Any = None) -> None:
    """``$app.vacuum()`` / ``$app.auxVacuum()``."""
    db = _database(ex, options)
    if db.dialect.name != "sqlite":
        with db.read() as read_conn:  # NOTE: autocommit, as VACUUM wants
            read_conn.exec_driver_sql("VACUUM")
        return
    # NOTE: VACUUM can't run inside a transaction: its own connection, as the CLI would.
    conn = sqlite3.connect(db.path, timeout=ex.runtime.timeout)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()


OPS: dict[str, Callable[..., Any]] = {
    "db.query": db_query,
    "db.hasTable": db_has_table,
    "db.tableInfo": db_table_info,
    "db.vacuum": db_vacuum,
}
