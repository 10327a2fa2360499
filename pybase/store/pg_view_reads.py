"""What translating a view query reads of a Postgres database, read once where it cannot change.

A view collection's query is translated (:func:`schema_sync.view_body`) with the names and kinds
of the columns of the database's tables and views (information_schema) and the SQL values views
hold (:mod:`view_held`). One save of a view collection translates its query five times (its
columns, its id's type and its sample through temporary views, then the view itself), and a
start compares every view with its translation now: each read the database again (~12 ms a
translation, most of a save's 130 ms).

:func:`one_read` marks a stretch of work on one connection where only temporary views come and
go (ordinary views, not Postgres TEMP ones, each made after the translation it needs and
dropped before the next one): inside it the database is read once, and a query translated again
with the same inputs gets the same body. Outside it every translation reads for itself, as
before. Code that changes tables (schema_sync's table functions, hooks, migrations: user SQL)
must not run inside.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from pybase.store.dialect import Spellings

#: the one read of every column of the database's tables and views
COLUMNS_READ = (
    "SELECT c.table_name, c.column_name, c.data_type, t.table_type = 'VIEW' FROM information_schema.columns c "
    "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
    "WHERE c.table_schema = current_schema()"
)
#: ``conn.info`` key of the reads kept by :func:`one_read`
_KEY = "pybase_view_reads"


@contextmanager
def one_read(conn: Connection) -> Iterator[None]:
    """Keep the database's reads and the translated bodies on ``conn`` until the block ends
    (nested blocks share the outer one's). Nothing on SQLite (its views need no reads)."""
    if _KEY in conn.info or conn.dialect.name != "postgresql":
        yield
        return
    info = conn.info  # NOTE: read now: a connection invalidated inside the block raises on reading it
    info[_KEY] = ViewReads(conn)
    try:
        yield
    finally:
        info.pop(_KEY, None)


def reads(conn: Connection) -> ViewReads:
    """The reads kept on ``conn`` (:func:`one_read`), else fresh ones for one translation."""
    found = conn.info.get(_KEY)
    return found if isinstance(found, ViewReads) else ViewReads(conn)


class ViewReads:
    """The columns of the database's tables and views, read on first use, and what each
    translation asks of them; ``bodies`` holds translated queries (before their json columns
    are shown: ``schema_sync.view_body``) by the query and the name left out."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.bodies: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (query, leave_out) -> body, its columns
        self._rows: dict[str, list[tuple[str, str, bool]]] | None = None  # table -> (column, data type, in a view)
        self._spellings: dict[str, Spellings] = {}
        self._counts: tuple[dict[str, Counter[str]], dict[str, Counter[str]]] | None = None  # spellings' counts
        self._held: dict[tuple[str, frozenset[str] | None], dict[str, str]] = {}

    def _tables(self) -> dict[str, list[tuple[str, str, bool]]]:
        if self._rows is None:
            rows = self.conn.execute(text(COLUMNS_READ)).all()
            self._rows = {}
            for table, column, data_type, in_view in rows:
                self._rows.setdefault(table, []).append((column, data_type, bool(in_view)))
        return self._rows

    def leave_out_key(self, leave_out: str) -> str:
        """``leave_out`` when a table or view has that name, else "" (leaving it out changes nothing)."""
        return leave_out if leave_out in self._tables() else ""

    def spellings(self, leave_out: str = "") -> Spellings:
        """The tables' and columns' names by their lower case (a name spelt two ways is left
        out: which one a query means is not known), but the table or view ``leave_out``'s."""
        leave_out = self.leave_out_key(leave_out)
        found = self._spellings.get(leave_out)
        if found is not None:
            return found
        if self._counts is None:
            tables: dict[str, Counter[str]] = {}
            columns: dict[str, Counter[str]] = {}
            for table, rows in self._tables().items():
                tables.setdefault(table.lower(), Counter())[table] += 1
                for column, _type, _in_view in rows:
                    columns.setdefault(column.lower(), Counter())[column] += 1
            self._counts = (tables, columns)
            self._spellings[""] = (_one_spelling(tables), _one_spelling(columns))
        if leave_out:
            # PERF: the whole database's spellings less one table's (a start asks once per view)
            tables, columns = self._counts
            spelt_tables, spelt_columns = (dict(spelt) for spelt in self._spellings[""])
            _without(spelt_tables, tables, {leave_out: 1})
            _without(spelt_columns, columns, Counter(column for column, _type, _in_view in self._tables()[leave_out]))
            self._spellings[leave_out] = (spelt_tables, spelt_columns)
        return self._spellings[leave_out]

    def column_rows(self, leave_out: str = "", tables: Iterable[str] | None = None) -> list[tuple[str, str, bool, str]]:
        """(lower-case column name, data type, in a view, lower-case table name) of each column
        of the tables and views but ``leave_out``'s; only those of ``tables`` (lower-case
        names) when given: the ones a query reads."""
        wanted = None if tables is None else set(tables)
        return [
            (column.lower(), data_type, in_view, table.lower())
            for table, rows in self._tables().items()
            if table != leave_out and (wanted is None or table.lower() in wanted)
            for column, data_type, in_view in rows
        ]

    def held(self, leave_out: str = "", tables: Iterable[str] | None = None) -> dict[str, str]:
        """:func:`view_held.held_columns` (read once per question)."""
        from pybase.store import view_held

        key = (self.leave_out_key(leave_out), None if tables is None else frozenset(tables))
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = view_held.held_columns(self.conn, key[0], key[1])
        return found


def _one_spelling(counts: dict[str, Counter[str]]) -> dict[str, str]:
    return {lower: next(iter(spelt)) for lower, spelt in counts.items() if len(spelt) == 1}


def _without(spelt: dict[str, str], counts: dict[str, Counter[str]], less: Counter[str]) -> None:
    """``spelt`` (names by their lower case, one spelling each) as if ``less`` (spellings, how
    many times) were not counted in ``counts``."""
    for lower in {name.lower() for name in less}:
        left = counts[lower] - Counter({name: n for name, n in less.items() if name.lower() == lower})
        if len(left) == 1:
            spelt[lower] = next(iter(left))
        else:
            spelt.pop(lower, None)
