"""The facts that differ per database outside query expressions: Postgres's."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

from pybase.store.dialect.constructs import HELD_PREFIX, ROWID_COLUMN
from pybase.store.dialect.sqlite import Spellings, SqliteDialect, unique_column_names

# PERF/memory: view_sql, view_compare, view_functions and sqlite_functions (translating
# SQLite's view queries) are imported where a Postgres app uses them: an app on SQLite loads
# none of them (~0.5 MB a worker process).

_LOWER_RE = re.compile(r'^lower\((.*)\)$', re.IGNORECASE)
_DIGEST_RE = re.compile(r'^pb_index_digest\((.*)\)$', re.IGNORECASE)
_FIRST_WORD_RE = re.compile(r"\s*([A-Za-z_]\w*)")
# the words a view's query may start with inside SQLite's FROM (...)
_QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES"})
# the sqlstate of an error pybase words as SQLite does (not one of Postgres's)
_SQLITE_WORDED = "PB002"
_INDEX_ROW_RE = re.compile(r'index row size \d+ exceeds .* for index "(.+)"')
_VIEW_DEPENDS_RE = re.compile(r'view "?([^" ]+)"? depends on column "?([^" ]+)"?')
# (sqlstate, Postgres's message, SQLite's words for it) for the errors a query written for
# SQLite meets most (view queries, index expressions): answered as PocketBase answers them.
_SQLITE_WORDS = (
    ("42P01", re.compile(r'relation "(.+)" does not exist'), "SQL logic error: no such table: {} (1)"),
    ("42703", re.compile(r'column "?(.+?)"? does not exist'), "SQL logic error: no such column: {} (1)"),
    ("42702", re.compile(r'column reference "(.+)" is ambiguous'), "SQL logic error: ambiguous column name: {} (1)"),
    ("42883", re.compile(r'function (\w+)\(.*\) does not exist'), "SQL logic error: no such function: {} (1)"),
    ("42601", re.compile(r'syntax error at or near "(.+)"'), 'SQL logic error: near "{}": syntax error (1)'),
    ("42601", re.compile(r'syntax error at end of input'), "SQL logic error: incomplete input (1)"),
    # NOTE: SQLite's refusal of 'now' in an index, raised by pybase.store.index_sql's helpers
    ("PB001", re.compile(r'(non-deterministic use of .+)'), "SQL logic error: {} (1)"),
    # NOTE: raised by pybase's json() and its JSON editors (sqlite_text_sql.py), as SQLite's
    ("22023", re.compile(r'(malformed JSON|\w+\(\) labels must be TEXT|bad JSON path: .+|json_\w+\(\) needs an odd number of arguments)'),
     "SQL logic error: {} (1)"),
    # NOTE: raised by pb_sum (sqlite_arithmetic_sql.py): a sum of integers past 64 bits
    ("22003", re.compile(r'^(integer overflow)$'), "SQL logic error: {} (1)"),
    # NOTE: a view's query SQLite's parser refuses, or another refusal in SQLite's words
    (_SQLITE_WORDED, re.compile(r'(.+)', re.DOTALL), "SQL logic error: {} (1)"),
    # NOTE: a statement past its time limit (statement_timeout), as SQLite's interrupted one
    ("57014", re.compile(r'canceling statement due to statement timeout'), "interrupted: interrupted (9)"),
)


@functools.cache
def _sqlite_worded_class() -> type:
    from psycopg import errors

    return type("SqliteWorded", (errors.ProgrammingError,), {"sqlstate": _SQLITE_WORDED})


def sqlite_worded_error(words: str) -> Any:
    """A driver error whose message is SQLite's (``near "AS": syntax error``): reported as
    PocketBase reports SQLite's errors (:meth:`PostgresDialect.error_text`)."""
    return _sqlite_worded_class()(words)


#: the collation of the text columns pybase makes: byte order, as SQLite compares text
BYTE_ORDER = '"C"'


@compiles(CreateColumn, "postgresql")
def _create_column_pg(element: CreateColumn, compiler: Any, **kw: Any) -> str | None:  # type: ignore[type-arg]
    """A text column pybase makes (a collection's table, a system table, ``_logs``), made
    ``COLLATE "C"``: it compares and sorts by bytes as SQLite does (UTF-8 byte order is code
    point order), whatever the database's collation (``en_US.UTF-8`` and ICU order ``a`` beside
    ``A``); its indexes then serve ``=``, ``<``, ``>`` and ``LIKE 'abc%'`` in that order."""
    sql = compiler.visit_create_column(element, **kw)
    column = element.element
    kind = column.type
    if sql is None or not isinstance(kind, String) or getattr(kind, "collation", None):
        return sql  # type: ignore[no-any-return]
    head = f"{compiler.preparer.format_column(column)} " + compiler.dialect.type_compiler_instance.process(
        kind, type_expression=column, identifier_preparer=compiler.preparer
    )
    if not sql.startswith(head):
        return sql  # type: ignore[no-any-return]
    return f"{head} COLLATE {BYTE_ORDER}{sql[len(head):]}"


def _respell(tree: Any, spellings: Spellings) -> None:
    """Names in another case than the database's (``SELECT TITLE FROM Posts``: SQLite's names
    ignore case, Postgres's quoted ones do not) spelled as the database spells them; a column
    the view shows keeps the name written (SQLite names it so)."""
    from sqlglot import exp

    tables, columns = spellings
    tables = dict(tables)
    for alias in tree.find_all(exp.TableAlias):
        if alias.name:
            tables.setdefault(alias.name.lower(), alias.name)
    if isinstance(tree, exp.Select):
        for item in list(tree.expressions):
            if isinstance(item, exp.Column) and columns.get(item.name.lower(), item.name) != item.name:
                item.replace(exp.Alias(this=item.copy(), alias=exp.to_identifier(item.name)))
    for node in list(tree.find_all(exp.Column, exp.Table)):
        parts = [(node.args.get("this"), columns if isinstance(node, exp.Column) else tables)]
        if isinstance(node, exp.Column):
            parts.append((node.args.get("table"), tables))
        for ident, known in parts:
            if isinstance(ident, exp.Identifier):
                spelled = known.get(ident.name.lower())
                if spelled is not None and spelled != ident.name:
                    ident.set("this", spelled)


class _Wrapped:
    """A driver error as SQLAlchemy's wrapper holds it (``.orig``)."""

    def __init__(self, orig: Any) -> None:
        self.orig = orig


def _name_apart(sub: Any) -> None:
    """Name a subquery's columns of one name (in any case: ``n AS id, title AS ID``) apart as
    SQLite names them (``ID:1``): the query reading it (a view's id cast to text) names them so."""
    from sqlglot import exp

    if not isinstance(sub.this, exp.Select) or sub.args["alias"].columns:
        return
    names = []
    for item in sub.this.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            return
        if not isinstance(item, exp.Alias | exp.Column) or not item.alias_or_name:
            return  # NOTE: named after its text: not known here (name_columns names the view's)
        names.append(item.alias_or_name)
    unique = unique_column_names(names)
    if unique != names:
        sub.args["alias"].set("columns", [exp.to_identifier(name, quoted=True) for name in unique])


class PostgresDialect(SqliteDialect):
    """What differs for Postgres outside query expressions."""

    name = "postgresql"
    text_holds_nul = False  # text and jsonb hold no U+0000: psycopg refuses it before sending
    json_text_rewritten = True

    def jsonb_view_columns(self, conn: Connection, views: Iterable[str]) -> dict[str, frozenset[str]]:
        wanted = list(views)
        if not wanted:
            return {}
        rows = conn.execute(text(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind = 'v' "
            "AND CAST(c.relname AS text) = ANY(:names) AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = CAST('jsonb' AS regtype)"
        ), {"names": wanted}).all()  # fmt: skip
        found: dict[str, set[str]] = {}
        for view, column in rows:
            found.setdefault(view, set()).add(column)
        return {view: frozenset(columns) for view, columns in found.items()}

    def table_names(self, conn: Connection) -> set[str]:
        rows = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type IN ('BASE TABLE', 'VIEW')"
            )
        )
        return {row[0] for row in rows}

    def index_names(self, conn: Connection, table: str) -> list[str]:
        rows = conn.execute(
            text(
                "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename = :t "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ),
            {"t": table},
        ).all()
        return [row[0] for row in rows]

    def has_table(self, conn: Connection, name: str) -> bool:
        found = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND lower(table_name) = lower(:n)"
            ),
            {"n": name},
        ).scalar()
        return bool(found)

    def table_info(self, conn: Connection, name: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            text(
                "SELECT c.ordinal_position - 1 AS cid, c.column_name, upper(c.data_type), c.is_nullable = 'NO', "
                "c.column_default, COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints t "
                "JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name "
                "AND k.table_schema = t.table_schema WHERE t.table_schema = c.table_schema "
                "AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY' "
                "AND k.column_name = c.column_name), 0) FROM information_schema.columns c "
                "WHERE c.table_schema = current_schema() AND c.table_name = :t AND c.column_name <> :rowid "
                # NOTE: nor a view's hidden SQL values (pybase.store.view_held)
                "AND left(c.column_name, :size) <> :held ORDER BY c.ordinal_position"
            ),
            {"t": name, "rowid": ROWID_COLUMN, "size": len(HELD_PREFIX), "held": HELD_PREFIX},
        )
        return [
            {"pk": pk, "index": cid, "name": column, "type": sql_type, "notNull": bool(not_null), "defaultValue": default}
            for cid, column, sql_type, not_null, default, pk in rows
        ]

    def index_sql(self, conn: Connection, table: str) -> dict[str, str]:
        rows = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ),
            {"t": table},
        )
        return {r[0]: r[1] for r in rows}

    def views(self, conn: Connection) -> list[tuple[str, str]]:
        # NOTE: in the order they were made (a view over another comes after it, as Postgres
        # makes a view only over existing ones): dropped in reverse, made again in order
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
                "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind = 'v' ORDER BY c.oid"
            )
        ).all()
        return [(row[0], f'CREATE VIEW "{row[0]}" AS {row[1]}') for row in rows]

    def views_reading(self, conn: Connection, name: str) -> list[tuple[str, str]]:
        # NOTE: through pg_depend's rules of views (a view's rule depends on what it reads),
        # the readers of readers too, in the order they were made (as views)
        rows = conn.execute(
            text(
                "WITH RECURSIVE readers(oid) AS ("
                " SELECT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid"
                " WHERE d.classid = CAST('pg_rewrite' AS regclass) AND d.refclassid = CAST('pg_class' AS regclass)"
                " AND d.refobjid = to_regclass(quote_ident(:name)) AND r.ev_class <> d.refobjid"
                " UNION"
                " SELECT r.ev_class FROM readers JOIN pg_depend d ON d.refobjid = readers.oid"
                " JOIN pg_rewrite r ON r.oid = d.objid"
                " WHERE d.classid = CAST('pg_rewrite' AS regclass) AND d.refclassid = CAST('pg_class' AS regclass)"
                " AND r.ev_class <> d.refobjid)"
                " SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN readers ON c.oid = readers.oid"
                " WHERE c.relkind = 'v' ORDER BY c.oid"
            ),
            {"name": name},
        ).all()
        return [(row[0], f'CREATE VIEW "{row[0]}" AS {row[1]}') for row in rows]

    def view_body(
        self, select_sql: str, columns: list[str] | None = None, spellings: Spellings | None = None,
        kinds: dict[str, str] | None = None, read_columns: frozenset[str] | None = None,
    ) -> str:
        # NOTE: view queries are written for SQLite (as PocketBase's): translated by sqlglot,
        # every identifier quoted (pybase's columns keep their case); Postgres 15 wants an
        # alias on a subquery in FROM. Postgres refuses a view of two columns of one name,
        # which SQLite names apart (see unique_column_names): ``columns`` names them.
        alias = "_pb_view"
        if columns is not None:
            alias += "(" + ", ".join('"' + name.replace('"', '""') + '"' for name in columns) + ")"
        import sqlglot

        from pybase.store import sqlite_functions_base, view_sql

        parse_error = view_sql.sqlite_parse_error(select_sql)
        if parse_error is not None:
            from sqlalchemy.exc import ProgrammingError

            raise ProgrammingError(select_sql, None, sqlite_worded_error(parse_error))
        first = _FIRST_WORD_RE.match(select_sql)
        if first and first.group(1).upper() not in _QUERY_STARTS:
            # NOTE: SQLite reads FROM (name alias) as a table: so does FROM name alias.
            return f"SELECT * FROM {select_sql}"
        from sqlglot import exp

        try:
            tree = view_sql.parse(select_sql)
            # NOTE: SQLite lets a subquery in FROM go unnamed, Postgres 15 does not.
            for number, sub in enumerate(tree.find_all(exp.Subquery)):
                if not sub.alias and isinstance(sub.parent, (exp.From, exp.Join)):
                    sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_pb_sub{number}")))
                if isinstance(sub.parent, (exp.From, exp.Join)):
                    _name_apart(sub)
            # NOTE: unnamed columns, truths and SQLite's functions read as on SQLite
            view_sql.prepare(tree, select_sql, kinds or {}, read_columns)
            if spellings is not None:
                _respell(tree, spellings)
            translated = tree.sql(dialect="postgres", identify=True)
        except sqlite_functions_base.SqliteRefused as ex:
            from sqlalchemy.exc import ProgrammingError

            raise ProgrammingError(select_sql, None, sqlite_worded_error(str(ex))) from ex
        except sqlite_functions_base.Refused as ex:
            from psycopg import errors
            from sqlalchemy.exc import ProgrammingError

            raise ProgrammingError(select_sql, None, errors.FeatureNotSupported(str(ex))) from ex
        except sqlglot.errors.SqlglotError:
            translated = select_sql  # NOTE: Postgres then names the problem itself
        return f"SELECT * FROM ({translated}) AS {alias}"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        return getattr(getattr(ex, "orig", None), "sqlstate", None) == "23505"

    @staticmethod
    def column_kinds(rows: Iterable[Any]) -> dict[str, str]:
        """The kind of value (view_compare's) of each column name of ``rows``
        (``pg_view_reads.ViewReads.column_rows``), by its lower case (a name typed two ways is left out)."""
        from pybase.store.view_first_row import rowid_key
        from pybase.store.view_kinds import JSON, NUM, VIEW_JSON, kind_of_type

        found: dict[str, set[str | None]] = {}
        out: dict[str, str] = {}
        for column, data_type, in_view, table in rows:
            found.setdefault(column, set()).add(kind_of_type(data_type, in_view))
            if column == ROWID_COLUMN and not in_view:
                out[rowid_key(table)] = NUM  # NOTE: a table, not a view (view_first_row's scan order)
        for column, kinds in found.items():
            if kinds == {JSON, VIEW_JSON}:
                kinds = {JSON}  # NOTE: a table's json column, shown through views
            kind = next(iter(kinds))
            if len(kinds) == 1 and kind is not None:
                out[column] = kind
        return out

    @staticmethod
    def is_refused_statement(ex: BaseException) -> bool:
        # NOTE: data exceptions (22), a function's own error (P0, PB: index_sql's helpers)
        state = getattr(getattr(ex, "orig", ex), "sqlstate", None) or ""
        return state[:2] in ("22", "P0", "PB")

    @staticmethod
    def index_row_too_long(ex: BaseException) -> str | None:
        # NOTE: program_limit_exceeded, from a btree (naming its index) or, past 8,191 bytes
        # (after compression), from any index before that check (naming none)
        orig = getattr(ex, "orig", ex)
        if getattr(orig, "sqlstate", None) != "54000":
            return None
        message = str(getattr(getattr(orig, "diag", None), "message_primary", None) or str(orig).splitlines()[0])
        found = _INDEX_ROW_RE.match(message)
        if found:
            return found.group(1)
        return "" if message.startswith("index row requires") else None

    @staticmethod
    def unique_violation_columns(ex: BaseException) -> list[str]:
        # NOTE: "Key (col1, col2)=(...) already exists." in the error's detail.
        diag = getattr(getattr(ex, "orig", None), "diag", None)
        detail = getattr(diag, "message_detail", None) or ""
        found = re.match(r"Key \((.*?)\)=\(", detail)
        if not found:
            return []
        # NOTE: an index over lower(x) (SQLite's COLLATE NOCASE) names x, as SQLite does; so
        # does one over the digest of x (a key that may be long: pybase.store.index_long_keys).
        return [_LOWER_RE.sub(r"\1", _DIGEST_RE.sub(r"\1", c.strip())).strip('"') for c in found.group(1).split(",") if c.strip()]

    @staticmethod
    def error_text(error: Any, in_view: bool = False) -> str:
        """A psycopg error in the words of the SQLite error PocketBase would report: a unique
        violation as SQLite's (``constraint failed: UNIQUE constraint failed: t.c (2067)``),
        unknown tables, columns and functions, ambiguous columns and syntax errors as SQLite
        words them (``in_view``: raised by a view's query, where SQLite names a missing table
        with its schema, ``main.x``), others as Postgres's first line."""
        diag = getattr(error, "diag", None)
        state = getattr(error, "sqlstate", None)
        if state == "23505":
            table = getattr(diag, "table_name", None) or ""
            names = PostgresDialect.unique_violation_columns(_Wrapped(error))
            if names and table:
                columns = ", ".join(f"{table}.{name}" for name in names)
                return f"constraint failed: UNIQUE constraint failed: {columns} (2067)"
        message = str(getattr(diag, "message_primary", None) or str(error).splitlines()[0])
        view = _VIEW_DEPENDS_RE.match(getattr(diag, "message_detail", None) or "") if state == "2BP01" else None
        if view:
            # NOTE: SQLite drops the column, then finds the view broken
            return f"SQL logic error: error in view {view.group(1)} after drop column: no such column: {view.group(2)} (1)"
        for sqlstate, pattern, words in _SQLITE_WORDS:
            found = pattern.fullmatch(message) if state == sqlstate else None
            if found:
                name = found.group(1) if found.groups() else ""
                if sqlstate == "42P01" and in_view and "." not in name:
                    name = f"main.{name}"
                return words.format(name)
        return message

    def cardinality_value(self, old: str, to_multi: bool) -> str:
        if to_multi:
            return (
                f"CASE WHEN COALESCE(CAST({old} AS text), '') = '' THEN '[]'::jsonb "
                f"ELSE jsonb_build_array({old}) END"
            )
        return (
            f"CASE WHEN {old} IS NULL OR jsonb_typeof({old}) <> 'array' OR jsonb_array_length({old}) = 0 "
            f"THEN '' ELSE COALESCE({old} ->> -1, '') END"
        )

    def extra_table_ddl(self, quoted_table: str) -> list[str]:
        return [f'ALTER TABLE {quoted_table} ADD COLUMN IF NOT EXISTS "{ROWID_COLUMN}" bigint GENERATED ALWAYS AS IDENTITY']

