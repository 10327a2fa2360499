"""``$dbx`` expressions and ``$app.db()`` queries for JS.

SQL written by a hook runs through SQLAlchemy ``text()`` with bound parameters only: dbx's
``{:name}`` placeholders become bind parameters, ``[[column]]`` and ``{{table}}`` become quoted
identifiers, and every other colon is escaped so it can never be read as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor
import itertools
import re
from typing import cast

from sqlalchemy import and_, false, literal_column, not_, or_, text, true
from sqlalchemy.exc import DBAPIError, StatementError

from pybase.core.errors import BadRequestError, NotFoundError

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Table


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
    given = dict(params or {})
    bound: dict[str, Any] = {}
    names: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name, column, table = match.group(1), match.group(2), match.group(3)
        if name is not None:
            if name not in given:
                raise BadRequestError(f"missing value for the {{:{name}}} placeholder")
            unique = names.get(name)
            if unique is None:
                unique = names[name] = f"p{next(_param_ids)}_{name}"
                value = given[name]
                bound[unique] = value if value is None or isinstance(value, int | float | str | bytes) else str(value)
            return ":" + unique
        if column is not None or table is not None:
            return _quote(column or table)
        return "\\:"

    return text(_SQL_TOKEN_RE.sub(replace, str(sql))), bound


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


def db_query(ex: Executor, sql: Any, params: Any, mode: str) -> Any:
    """Run a dbx-style query: ``one`` (a row or 404), ``all`` (rows) or ``execute``."""
    db = ex.runtime.app.db
    clause, bound = dbx_sql(str(sql or ""), params if isinstance(params, dict) else {})
    reading = mode in ("one", "all") and _READ_RE.match(str(sql or "")) is not None
    try:
        if reading:
            with db.read() as conn:
                result = conn.execute(clause, bound)
                rows = [dict(r._mapping) for r in result]
        else:
            with db.write() as conn:
                result = conn.execute(clause, bound)
                if mode == "execute":
                    return {"rowsAffected": max(result.rowcount, 0), "lastInsertId": result.lastrowid or 0}
                rows = [dict(r._mapping) for r in result] if result.returns_rows else []
    except (DBAPIError, StatementError) as ex_:
        raise BadRequestError(str(getattr(ex_, "orig", None) or ex_)) from ex_
    if mode == "one":
        if not rows:
            raise NotFoundError("sql: no rows in result set")
        return rows[0]
    return rows


OPS: dict[str, Callable[..., Any]] = {
    "db.query": db_query,
}
