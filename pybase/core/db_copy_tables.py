"""The tables of an SQLite app that are no collection's (made with SQL: a migration's
``$app.db().newQuery("CREATE TABLE ...")``, a Python app's own), carried to Postgres by
``pybase db copy`` and by a SQLite backup restored into Postgres.

Each is read from SQLite's catalog (``PRAGMA table_xinfo``, ``index_list``, ``foreign_key_list``)
into the definition :mod:`pybase.store.pg_tables` builds a Postgres table from (the one a
Postgres backup carries too):

- a column's type by SQLite's affinity rules: INT -> ``bigint`` (SQLite's integers are 64-bit),
  CHAR/CLOB/TEXT -> ``text``, BLOB -> ``bytea``, REAL/FLOA/DOUB -> ``double precision``, BOOL ->
  ``boolean``, NUMERIC/DECIMAL -> ``numeric``, anything else (none, DATE, DATETIME, JSON...) ->
  ``text`` (SQLite keeps such values as text);
- NOT NULL, defaults (literals; CURRENT_TIMESTAMP/DATE/TIME as the text SQLite writes; other
  expressions through sqlglot), the primary key (an ``INTEGER PRIMARY KEY``, SQLite's rowid,
  becomes an identity column that goes on after the copied rows), UNIQUE constraints, the
  indexes (SQLite's SQL through sqlglot, ``COLLATE NOCASE`` as ``lower()``), foreign keys;
- rows in rowid order (a WITHOUT ROWID table's: its key's), each value as SQLite holds it:
  one the Postgres column cannot take stops the copy with the table's name.

- CHECK constraints and generated columns, read from the CREATE TABLE text (SQLite keeps them
  nowhere else) and translated with SQLite's meaning (db_copy_expressions.py): Postgres
  computes a generated column's values, the copy does not carry them.

What cannot be carried is named before anything is written (a virtual table, a name longer
than Postgres's 63 bytes, a CHECK or generation expression that cannot be translated, or that
Postgres refuses when the table is made).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pybase.core.db_copy_expressions import ExpressionRefused, read_expressions
from pybase.core.db_copy_report import CopyError
from pybase.store.sqlite_driver import sqlite3

#: Postgres's longest identifier, in bytes (a longer one is cut, silently)
MAX_NAME_BYTES = 63
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", re.IGNORECASE)
_CHECK = re.compile(r"\bCHECK\s*\(", re.IGNORECASE)
_NOW = {
    "CURRENT_TIMESTAMP": "to_char(timezone('UTC', now()), 'YYYY-MM-DD HH24:MI:SS')",
    "CURRENT_DATE": "to_char(timezone('UTC', now()), 'YYYY-MM-DD')",
    "CURRENT_TIME": "to_char(timezone('UTC', now()), 'HH24:MI:SS')",
}


@dataclass
class RawTable:
    """One table made with SQL: its Postgres definition and how its rows are read."""

    name: str
    definition: dict[str, Any]
    columns: list[str]
    converters: list[Callable[[Any], Any]]
    order_by: list[str]
    notes: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def postgres_type(declared: str) -> str:
    """The Postgres type of a column SQLite declared as ``declared`` (its affinity rules)."""
    kind = declared.upper()
    if "INT" in kind:
        return "bigint"
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in kind:
        return "bytea"
    if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
        return "double precision"
    if "BOOL" in kind:
        return "boolean"
    if "NUMERIC" in kind or "DECIMAL" in kind:
        return "numeric"
    return "text"


def _default(value: str | None, kind: str) -> str:
    """SQLite's default expression as Postgres writes it for a ``kind`` column ("" for none)."""
    if value is None:
        return ""
    expr = value.strip()
    while expr.startswith("(") and expr.endswith(")") and _NUMBER.match(expr[1:-1].strip()):
        expr = expr[1:-1].strip()
    upper = expr.upper()
    if upper == "NULL":
        return "NULL"
    if upper in _NOW:
        return _NOW[upper]
    if kind == "boolean":
        if _NUMBER.match(expr):
            return "true" if float(expr) else "false"
        if upper in ("TRUE", "FALSE"):
            return upper.lower()
    if upper in ("TRUE", "FALSE"):
        return "1" if upper == "TRUE" else "0"
    if _NUMBER.match(expr):
        return expr
    if expr.startswith("'") and expr.endswith("'"):
        return expr
    if expr.startswith('"') and expr.endswith('"'):  # NOTE: SQLite reads it as a string
        return "'" + expr[1:-1].replace('""', '"').replace("'", "''") + "'"
    if upper.startswith("X'") and expr.endswith("'"):
        return f"'\\x{expr[2:-1]}'::bytea"
    import sqlglot

    return str(sqlglot.transpile(expr, read="sqlite", write="postgres")[0])


def _index_sql(sql: str) -> str:
    """SQLite's ``CREATE INDEX`` as Postgres reads it (``COLLATE NOCASE`` as ``lower()``)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="sqlite")
    for collate in list(tree.find_all(exp.Collate)):
        if collate.expression.name.lower() == "nocase":
            collate.replace(exp.Lower(this=collate.this))
    for ordered in tree.find_all(exp.Ordered):
        ordered.set("nulls_first", None)  # NOTE: sqlglot spells SQLite's default; Postgres keeps its own
    return str(tree.sql(dialect="postgres"))


def _converter(kind: str) -> Callable[[Any], Any]:
    """A value as SQLite holds it, in the form COPY gives the Postgres column (what does not
    fit is left for Postgres to refuse, naming the table)."""
    if kind == "bytea":
        return lambda v: v.encode() if isinstance(v, str) else (str(v).encode() if isinstance(v, int | float) else v)
    if kind == "text":
        return lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v
    if kind == "boolean":
        return lambda v: bool(v) if isinstance(v, int | float) else v
    if kind == "bigint":
        return lambda v: int(v) if isinstance(v, float) and v.is_integer() else v
    return lambda v: v


def raw_table_names(conn: sqlite3.Connection, copied: set[str]) -> list[str]:
    """The source's tables that are neither pybase's (``copied``) nor SQLite's or pybase's
    own (``sqlite_``, ``_pb_``), in creation order."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid").fetchall()
    return [
        row[0] for row in rows
        if row[0] not in copied and not row[0].startswith("_pb_") and not row[0].lower().startswith("sqlite_")
    ]  # fmt: skip


def read_raw_tables(conn: sqlite3.Connection, names: list[str]) -> list[RawTable]:
    """The definitions of the tables ``names``; CopyError naming every one that cannot be
    carried over (before anything is written)."""
    problems: list[str] = []
    found: list[RawTable] = []
    for name in names:
        try:
            found.append(_read(conn, name))
        except _Refused as ex:
            problems.append(f"{name}: {ex}")
    if problems:
        raise CopyError(
            "tables made with SQL that cannot be carried over to Postgres (nothing was written):\n  " + "\n  ".join(problems)
        )
    return found


class _Refused(Exception):
    pass


def _read(conn: sqlite3.Connection, name: str) -> RawTable:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()[0] or ""
    if sql.lstrip().upper().startswith("CREATE VIRTUAL"):
        using = re.search(r"\bUSING\s+(\w+)", sql, re.IGNORECASE)
        raise _Refused(f"a virtual table ({using.group(1) if using else 'a module'}): Postgres has none")
    _check_name(name, "the name")
    info = conn.execute(f"PRAGMA table_xinfo({_quote(name)})").fetchall()
    without_rowid = bool(_WITHOUT_ROWID.search(sql))
    key_columns = [column for _, column in sorted((row[5], row[1]) for row in info if row[5])]
    rowid_key = (
        key_columns[0]
        if len(key_columns) == 1 and not without_rowid and next(r[2] for r in info if r[1] == key_columns[0]).upper() == "INTEGER"
        else ""
    )
    columns = _columns(info, rowid_key)
    notes: list[str] = []
    generated = [row[1] for row in info if row[6] in (2, 3)]
    constraints: list[dict[str, str]] = []
    if key_columns:
        constraints.append({"name": f"{name}_pkey"[:MAX_NAME_BYTES], "kind": "p",
                            "sql": f"PRIMARY KEY ({', '.join(_quote(c) for c in key_columns)})"})  # fmt: skip
    if generated or _CHECK.search(sql):
        try:
            expressions = read_expressions(name, sql, {c["name"]: c["type"] for c in columns}, generated)
        except ExpressionRefused as ex:
            raise _Refused(str(ex)) from ex
        for column in columns:
            if column["name"] in expressions.generated:
                column.update(generated="s", default=expressions.generated[column["name"]])
        constraints += expressions.checks
        if expressions.virtual:
            notes.append(
                f"table {name}: generated column(s) {', '.join(expressions.virtual)} are VIRTUAL in SQLite, "
                "STORED in Postgres (the only kind Postgres 15 has; the values are the same)"
            )
    indexes = _indexes(conn, name, constraints)
    constraints += _foreign_keys(conn, name)
    sequences = [_key_sequence(conn, name, rowid_key)] if rowid_key else []
    definition = {"columns": columns, "constraints": constraints, "indexes": indexes, "sequences": sequences}
    order = key_columns if without_rowid else ["rowid"]
    copied = [c for c in columns if not c["generated"]]  # NOTE: Postgres computes the generated ones
    return RawTable(name, definition, [c["name"] for c in copied], [_converter(c["type"]) for c in copied], order, notes)


def _check_name(name: str, what: str) -> None:
    """Refuse a name Postgres would cut (``what``: "the name" of the table, or the column's...)."""
    if len(name.encode()) > MAX_NAME_BYTES:
        named = what if what == "the name" else f"{what} {name!r}"
        raise _Refused(f"{named} is longer than the {MAX_NAME_BYTES} bytes Postgres keeps")



def _columns(info: list[Any], rowid_key: str) -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = []
    for _cid, column, declared, not_null, default, _pk, hidden in info:
        _check_name(column, "the column name")
        kind = postgres_type(declared or "")
        entry = {"name": column, "type": kind, "notNull": bool(not_null) or column == rowid_key,
                 "default": "", "identity": "", "generated": "", "collation": ""}  # fmt: skip
        if column == rowid_key:
            entry["identity"] = "d"  # NOTE: SQLite's rowid: a new row without one gets the next
        elif hidden not in (2, 3):
            try:
                entry["default"] = _default(default, kind)
            except Exception as ex:  # noqa: BLE001 - sqlglot's parse errors
                raise _Refused(f"the default of column {column!r} ({default}) cannot be translated: {ex}") from ex
        columns.append(entry)
    return columns


def _indexes(conn: sqlite3.Connection, name: str, constraints: list[dict[str, str]]) -> list[dict[str, str]]:
    """The table's indexes (its UNIQUE constraints added to ``constraints``)."""
    indexes: list[dict[str, str]] = []
    for _seq, index, _unique, origin, _partial in conn.execute(f"PRAGMA index_list({_quote(name)})").fetchall():
        if origin == "pk":
            continue
        if origin == "u":
            on = [row[2] for row in conn.execute(f"PRAGMA index_info({_quote(index)})").fetchall()]
            constraints.append({"name": f"{name}_{'_'.join(on)}_key"[:MAX_NAME_BYTES], "kind": "u",
                                "sql": f"UNIQUE ({', '.join(_quote(c) for c in on)})"})  # fmt: skip
            continue
        _check_name(index, "the index name")
        index_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)).fetchone()[0]
        try:
            indexes.append({"name": index, "sql": _index_sql(index_sql)})
        except Exception as ex:  # noqa: BLE001 - sqlglot's parse errors
            raise _Refused(f"the index {index} cannot be translated: {ex}") from ex
    return indexes


def _foreign_keys(conn: sqlite3.Connection, name: str) -> list[dict[str, str]]:
    grouped: dict[int, list[Any]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall():
        grouped.setdefault(row[0], []).append(row)
    found = []
    for number, rows in sorted(grouped.items()):
        rows.sort(key=lambda r: r[1])
        target, on_update, on_delete = rows[0][2], rows[0][5], rows[0][6]
        source_cols = ", ".join(_quote(r[3]) for r in rows)
        target_cols = "" if any(r[4] is None for r in rows) else f" ({', '.join(_quote(r[4]) for r in rows)})"
        found.append({"name": f"{name}_fkey{number}"[:MAX_NAME_BYTES], "kind": "f",
                      "sql": f"FOREIGN KEY ({source_cols}) REFERENCES {_quote(target)}{target_cols} "
                             f"ON UPDATE {on_update} ON DELETE {on_delete}"})  # fmt: skip
    return found


def _key_sequence(conn: sqlite3.Connection, name: str, key: str) -> dict[str, Any]:
    """The identity sequence of a rowid key, set past the highest key SQLite gave."""
    last = conn.execute(f"SELECT max({_quote(key)}) FROM {_quote(name)}").fetchone()[0]
    try:
        counted = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
    except sqlite3.Error:
        counted = None  # NOTE: no AUTOINCREMENT table in this database
    highest = max(int(last or 0), int(counted[0] if counted else 0))
    return {"column": key, "name": "", "type": "bigint", "increment": 1, "start": 1, "min": 1,
            "max": 9223372036854775807, "cycle": False, "last": max(highest, 1), "called": highest > 0}  # fmt: skip


# ---- views and triggers made with SQL ----------------------------------------------------------


def raw_views(conn: sqlite3.Connection, collection_views: set[str]) -> list[tuple[str, str]]:
    """The views of the source made with SQL (not a view collection's), in creation order, as
    (name, SQLite SELECT); CopyError names every one whose query cannot be read (before
    anything is written). Postgres gets each through the view collections' translation."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid").fetchall()
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for name, sql in rows:
        if name in collection_views or name.startswith("_pb_") or name.lower().startswith("sqlite_"):
            continue
        try:
            _check_name(name, "the name")
            found.append((name, _view_query(sql or "")))
        except _Refused as ex:
            problems.append(f"{name}: {ex}")
    if problems:
        raise CopyError(
            "views made with SQL that cannot be carried over to Postgres (nothing was written):\n  " + "\n  ".join(problems)
        )
    return found


def _view_query(sql: str) -> str:
    """The SELECT of SQLite's ``CREATE VIEW`` (a column list given as the select's aliases)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except Exception as ex:  # noqa: BLE001 - sqlglot's parse errors
        raise _Refused(f"its CREATE VIEW cannot be read: {ex}") from ex
    query = tree.expression if isinstance(tree, exp.Create) else None
    if not isinstance(query, exp.Query):
        raise _Refused("its CREATE VIEW holds no SELECT that can be read")
    if isinstance(tree.this, exp.Schema):
        names = [column.name for column in tree.this.expressions]
        if not isinstance(query, exp.Select) or len(names) != len(query.expressions):
            raise _Refused("its column list names the columns of a compound SELECT")
        query.set("expressions", [exp.alias_(e.unalias(), n, quoted=True) for e, n in zip(query.expressions, names, strict=True)])
    return str(query.sql(dialect="sqlite"))


def trigger_notes(conn: sqlite3.Connection) -> list[str]:
    """One note per trigger made with SQL: not carried (its body is SQLite's SQL; Postgres runs
    a trigger function, written again by hand)."""
    rows = conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid").fetchall()
    return [
        f"trigger {name} on {table}: not carried (a Postgres trigger runs a function: write it again in PL/pgSQL)"
        for name, table in rows
        if not name.startswith("_pb_")  # NOTE: pybase's own (full-text search): made again on the target
    ]
