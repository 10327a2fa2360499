"""The facts that differ per database outside query expressions: SQLite's (the base class)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    text,
)

#: (tables, columns): a lower-case name -> the one spelling the database has for it
Spellings = tuple[dict[str, str], dict[str, str]]


class SqliteDialect:
    """What differs for SQLite outside query expressions."""

    name = "sqlite"
    text_holds_nul = True  # a text value may hold U+0000 (PocketBase stores it)
    #: whether a JSON column gives back other text than was written (Postgres's jsonb: spaced,
    #: an object's keys by length first); SQLite's holds the text itself
    json_text_rewritten = False

    def table_names(self, conn: Connection) -> set[str]:
        """Names of the tables and views in the database."""
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
        return {row[0] for row in rows}

    def index_names(self, conn: Connection, table: str) -> list[str]:
        """The user indexes of ``table`` (not the implicit ones behind constraints)."""
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        ).all()
        return [row[0] for row in rows]

    def has_table(self, conn: Connection, name: str) -> bool:
        """Whether a table or view is named ``name`` (any case)."""
        found = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = :n COLLATE NOCASE"),
            {"n": name},
        ).scalar()
        return bool(found)

    def table_info(self, conn: Connection, name: str) -> list[dict[str, Any]]:
        """The columns of a table: ``pk``, ``index``, ``name``, ``type``, ``notNull``, ``defaultValue``."""
        quoted = conn.dialect.identifier_preparer.quote(name)
        return [
            {"pk": r._mapping["pk"], "index": r._mapping["cid"], "name": r._mapping["name"], "type": r._mapping["type"],
             "notNull": bool(r._mapping["notnull"]), "defaultValue": r._mapping["dflt_value"]}
            for r in conn.execute(text(f"PRAGMA table_info({quoted})"))
        ]  # fmt: skip

    def index_sql(self, conn: Connection, table: str) -> dict[str, str]:
        """``name -> CREATE INDEX sql`` of the user indexes of ``table``."""
        rows = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        )
        return {r[0]: r[1] for r in rows}

    def views(self, conn: Connection) -> list[tuple[str, str]]:
        """``(name, CREATE VIEW sql)`` of every view."""
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL")).all()
        return [(row[0], row[1]) for row in rows]

    def views_reading(self, conn: Connection, name: str) -> list[tuple[str, str]]:
        """``(name, CREATE VIEW sql)`` of the views that read the view ``name``, directly or
        through others, that must go while it is made again (in the order they were made).
        None in SQLite, which drops a view others read (they fail when read, if it changed)."""
        return []

    def jsonb_view_columns(self, conn: Connection, views: Iterable[str]) -> dict[str, frozenset[str]]:
        """The columns of ``views`` the database holds as jsonb, by view name (exact case): a
        json field of a table shown through the view (see schema_sync.view_body). None in
        SQLite, where a view's column holds the text SQLite computed or stored."""
        return {}

    def view_body(
        self, select_sql: str, columns: list[str] | None = None, spellings: Spellings | None = None,
        kinds: dict[str, str] | None = None, read_columns: frozenset[str] | None = None,
    ) -> str:
        """The body of ``CREATE VIEW x AS ...`` for a view collection's query (``columns``: the
        names its columns take, where the query's own names are not all distinct; ``spellings``:
        the database's table and column names, see ``pg_view_reads.ViewReads.spellings``; ``kinds``:
        its columns' kinds of value, see :meth:`PostgresDialect.column_kinds`; ``read_columns``:
        the names of the columns of the tables it reads, see view_sql.double_quoted_texts)."""
        return f"SELECT * FROM ({select_sql})"

    @staticmethod
    def is_unique_violation(ex: BaseException) -> bool:
        """Whether ``ex`` is a UNIQUE constraint failure."""
        from sqlalchemy.exc import IntegrityError

        return isinstance(ex, IntegrityError) and "UNIQUE constraint failed" in str(ex.orig)

    @staticmethod
    def is_refused_statement(ex: BaseException) -> bool:
        """Whether ``ex`` is the database refusing what a write does (an index expression that
        fails on the row, SQLite's 'now' in an index), not failing to run it (a lock, a lost
        connection): PocketBase answers the first as the write's 400."""
        code = getattr(getattr(ex, "orig", ex), "sqlite_errorcode", None)
        return isinstance(code, int) and code & 0xFF == 1  # NOTE: SQLITE_ERROR

    @staticmethod
    def index_row_too_long(ex: BaseException) -> str | None:
        """The name of the index a written row is too long for (Postgres's btree holds ~2,700
        bytes of a row), ``""`` when the database names none, None when ``ex`` is no such
        refusal. SQLite's indexes hold a value of any length."""
        return None

    @staticmethod
    def unique_violation_columns(ex: BaseException) -> list[str]:
        """Column names named by a UNIQUE constraint failure."""
        message = str(getattr(ex, "orig", ex))
        _, _, cols = message.partition("UNIQUE constraint failed:")
        return [c.strip().split(".")[-1] for c in cols.split(",") if c.strip()]

    def cardinality_value(self, old: str, to_multi: bool) -> str:
        """The SQL converting a single<->multi value column's old values (PocketBase's SQL)."""
        if to_multi:
            return (
                f"CASE WHEN COALESCE({old}, '') = '' THEN '[]' ELSE (CASE WHEN json_valid({old}) AND "
                f"json_type({old}) == 'array' THEN {old} ELSE json_array({old}) END) END"
            )
        # NOTE: multi -> single keeps only the last element, as PocketBase does.
        return (
            f"CASE WHEN COALESCE({old}, '[]') = '[]' THEN '' ELSE (CASE WHEN json_valid({old}) AND "
            f"json_type({old}) == 'array' THEN COALESCE(json_extract({old}, '$[#-1]'), '') ELSE {old} END) END"
        )

    def extra_table_ddl(self, quoted_table: str) -> list[str]:
        """Statements run after ``CREATE TABLE`` of a collection (none: SQLite has rowid)."""
        return []



def unique_column_names(names: list[str]) -> list[str]:
    """The names SQLite gives a view's columns: a name met again (in any case) takes ``:1``,
    ``:2``... in place of a ``:<digits>`` it ends with, until it is new."""
    seen: set[str] = set()
    out = []
    for name in names:
        count = 0
        while name.lower() in seen:
            count += 1
            name = f"{re.sub(r':[0-9]+$', '', name)}:{count}"
        seen.add(name.lower())
        out.append(name)
    return out

