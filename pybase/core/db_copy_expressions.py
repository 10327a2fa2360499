"""The CHECK constraints and generated columns of an SQLite table made with SQL, carried to
Postgres by ``pybase db copy`` (and a SQLite backup restored into Postgres).

SQLite keeps them only in the table's CREATE TABLE text: it is read with sqlglot, and each
expression translated with SQLite's meaning by the translator of the collections' indexes
(:mod:`pybase.store.index_sql`: truthiness, comparisons by affinity, integer division, SQLite's
functions as the ``pb_*`` helpers), knowing the Postgres type of every column:

- a CHECK (a column's or the table's, named or not) becomes a CHECK constraint, its expression
  read as SQLite reads a truth value (NULL passes, in both);
- a generated column becomes ``GENERATED ALWAYS AS (...) STORED`` (a VIRTUAL one too: Postgres
  15 has no other kind; the values are the same), its expression given the column's type;
  Postgres computes the values, the copy does not carry them.

What cannot be carried is named with its reason before anything is written: an expression the
translator refuses (:func:`read_expressions`), or one Postgres refuses when the table is made
(:func:`diagnose` names which one, each tried on a scratch table in a savepoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pybase.store import pg_tables

#: Postgres's longest identifier, in bytes
MAX_NAME_BYTES = 63
_SCRATCH = "_pybase_copy_probe"


class ExpressionRefused(Exception):
    """A CHECK or generated column that cannot be carried; the message says which and why."""


@dataclass
class Expressions:
    """What a table's CREATE TABLE holds besides the catalog's facts."""

    #: Postgres CHECK constraints: {"name", "kind": "c", "sql"} (pg_tables' definition)
    checks: list[dict[str, str]] = field(default_factory=list)
    #: column name -> its Postgres generation expression
    generated: dict[str, str] = field(default_factory=dict)
    #: column names SQLite computes when read (VIRTUAL): stored in Postgres
    virtual: list[str] = field(default_factory=list)


def _value_class(pg_type: str) -> str:
    from pybase.store.index_sql import BOOL, NUM, TEXT

    if pg_type in ("bigint", "double precision", "numeric"):
        return NUM
    if pg_type == "boolean":
        return BOOL
    return TEXT


def _translator(columns: dict[str, str]) -> Any:
    """The index translator for a table whose columns are ``columns`` (name -> Postgres type).

    NOTE: a small adapter over index_sql's translator (its constructor and contexts), kept
    here while that module is another engineer's: it may move there as a public helper.
    """
    from pybase.store.index_sql import _Translator

    classes = {name.lower(): (name, _value_class(kind)) for name, kind in columns.items()}
    return _Translator(classes, next(iter(columns)))


def _sql(node: Any) -> str:
    return str(node.sql(dialect="postgres", comments=False, identify=True))


def check_sql(node: Any, columns: dict[str, str]) -> str:
    """``CHECK (...)`` for SQLite's CHECK expression ``node`` (a truth value as SQLite reads it)."""
    return f"CHECK ({_sql(_translator(columns).boolean(node))})"


def generated_sql(node: Any, columns: dict[str, str], pg_type: str) -> str:
    """The Postgres generation expression of SQLite's ``node`` for a ``pg_type`` column."""
    from pybase.tools.dbutils import exp

    translate = _translator(columns)
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Collate):
        node = node.this  # NOTE: a collation orders and compares; the value is the same
    if pg_type == "boolean":
        return _sql(translate.boolean(node))
    if pg_type == "text":
        return _sql(translate.text(node))
    if pg_type in ("bigint", "double precision", "numeric"):
        return _sql(exp.Cast(this=exp.Paren(this=translate.number(node)), to=exp.DataType.build(pg_type)))
    raise ExpressionRefused(f"a generated column of type {pg_type} (SQLite BLOB): Postgres would compute another value")


def read_expressions(table: str, create_sql: str, columns: dict[str, str], generated: list[str]) -> Expressions:
    """The CHECKs and generation expressions of ``create_sql`` (SQLite's CREATE TABLE) for a
    table of ``columns`` (name -> Postgres type), ``generated`` the columns SQLite computes;
    ExpressionRefused lists every one that cannot be carried."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(create_sql, read="sqlite")
    except Exception as ex:  # noqa: BLE001 - sqlglot's parse errors
        raise ExpressionRefused(f"its CREATE TABLE cannot be read for its CHECK constraints and generated columns: {ex}") from ex
    reader = _Reader(table, columns)
    for item in tree.this.expressions if isinstance(tree.this, exp.Schema) else []:
        if isinstance(item, exp.ColumnDef):
            reader.column(item)
        elif isinstance(item, exp.Constraint):
            for kind in item.expressions:
                if isinstance(kind, exp.CheckColumnConstraint):
                    reader.check(kind.this, item.name, "")
        elif isinstance(item, exp.CheckColumnConstraint):
            reader.check(item.this, "", "")
    found, problems = reader.found, reader.problems
    missing = [c for c in generated if c not in found.generated and not any(f"column {c!r}" in p for p in problems)]
    if missing:
        problems.append(f"generated column(s) {', '.join(missing)}: their expressions cannot be read from the CREATE TABLE")
    if problems:
        raise ExpressionRefused("; ".join(problems))
    return found


class _Reader:
    """The CHECKs and generated columns of one CREATE TABLE, translated, and the problems met."""

    def __init__(self, table: str, columns: dict[str, str]) -> None:
        self.table = table
        self.columns = columns
        self.found = Expressions()
        self.problems: list[str] = []
        self.used: set[str] = set()

    def column(self, item: Any) -> None:
        from sqlglot import exp

        column = item.name
        for constraint in item.args.get("constraints") or []:
            kind = constraint.args.get("kind")
            given = constraint.name if constraint.args.get("this") is not None else ""
            if isinstance(kind, exp.CheckColumnConstraint):
                self.check(kind.this, given, column)
            elif isinstance(kind, exp.ComputedColumnConstraint) and column in self.columns:
                source = kind.this.unnest().sql(dialect="sqlite")
                try:
                    self.found.generated[column] = generated_sql(kind.this, self.columns, self.columns[column])
                except Exception as ex:  # noqa: BLE001 - the translator's refusals (IndexRefused, unknown nodes)
                    self.problems.append(f"generated column {column!r} ({source}) cannot be translated: {ex}")
                if not kind.args.get("persisted"):
                    self.found.virtual.append(column)

    def check(self, node: Any, given: str, column: str) -> None:
        source = node.sql(dialect="sqlite")
        try:
            sql = check_sql(node, self.columns)
        except Exception as ex:  # noqa: BLE001 - as above
            self.problems.append(f"CHECK ({source}) cannot be translated: {ex}")
            return
        self.found.checks.append({"name": self._name(given, column), "kind": "c", "sql": sql})

    def _name(self, given: str, column: str) -> str:
        """SQLite's name of a CHECK, or the one Postgres would give it (unique in the table)."""
        if given:
            if len(given.encode()) > MAX_NAME_BYTES:
                self.problems.append(f"CHECK constraint {given!r}: its name is longer than the {MAX_NAME_BYTES} bytes Postgres keeps")
            self.used.add(given)
            return given
        base = f"{self.table}_{column}_check" if column else f"{self.table}_check"
        name, number = base[:MAX_NAME_BYTES], 0
        while name in self.used:
            number += 1
            name = f"{base[: MAX_NAME_BYTES - len(str(number))]}{number}"
        self.used.add(name)
        return name


def diagnose(conn: Connection, table: str, definition: dict[str, Any]) -> list[str]:
    """Which CHECKs and generated columns of ``definition`` Postgres refuses, with its words:
    each is tried alone on a scratch table of the plain columns (rolled back)."""
    def plain(but: str = "") -> list[str]:
        return [f"{pg_tables.quote(c['name'])} {c['type']}" for c in definition["columns"] if c["name"] != but]

    trials = [
        (f"CHECK constraint {c['name']} ({c['sql']})", [*plain(), f"CONSTRAINT {pg_tables.quote(c['name'])} {c['sql']}"])
        for c in definition["constraints"] if c["kind"] == "c"
    ] + [
        (f"generated column {c['name']!r} ({c['default']})",
         [*plain(c["name"]), f"{pg_tables.quote(c['name'])} {c['type']} GENERATED ALWAYS AS ({c['default']}) STORED"])
        for c in definition["columns"] if c["generated"]
    ]  # fmt: skip
    problems = []
    for what, parts in trials:
        columns = ", ".join(parts)
        try:
            with conn.begin_nested() as savepoint:
                pg_tables.run(conn, f"CREATE TABLE {pg_tables.quote(_SCRATCH)} ({columns})")
                savepoint.rollback()
        except DBAPIError as ex:
            orig = getattr(ex, "orig", None) or ex
            message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
            problems.append(f"{table}: {what} cannot be carried: {message}")
    return problems
