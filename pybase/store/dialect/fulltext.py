"""Full-text search per database: the objects that index a collection's searchable fields and
the SQL that matches and ranks its records (a pybase feature; PocketBase has none: its issues
#193, #5225).

- SQLite: an FTS5 table ``_pb_fts_<collection id>`` (tokenizer ``unicode61 remove_diacritics 2``)
  kept in sync with the collection's table by AFTER INSERT/UPDATE/DELETE triggers, so writes
  from hooks' SQL, imports and copies are indexed too. It is contentless (``content=''``) and
  names its columns ``c0``, ``c1``...: an external-content table would have to carry the
  fields' own names, and FTS5 refuses a column named ``rank`` or ``rowid`` (both valid field
  names). Its rowids are the table's.
- Postgres: an expression GIN index of the same name over ``to_tsvector('simple', ...)`` of the
  fields' text (ASCII punctuation made spaces and Latin accents folded, so that words split and
  match as in SQLite's tokenizer). ``simple``: no stemming and no stop words, as SQLite.

The user's text never reaches either query syntax: :func:`search_words` keeps its letters and
digits only, and the SQL builds the FTS5 query / tsquery from those words, bound as one
parameter (each word becomes a prefix term, all required).
Bound as ``"w1 w2|W2"``: the words, each with its other spellings after ``|`` (see
:func:`_spellings`), from which the SQL writes ``("w1"*) AND ("w2"* OR "W2"*)`` for FTS5 and
``(w1:*) & (w2:* | W2:*)`` for Postgres.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Connection, Float, bindparam, literal_column, select
from sqlalchemy import table as sql_table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType

from pybase.store.dialect.constructs import insertion_order

#: the start of the name of every full-text object (no collection may take such a name)
SEARCH_PREFIX = "_pb_fts_"
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2"
POSTGRES_CONFIG = "simple"
#: Postgres indexes the first characters of a record's searchable text only: a tsvector holds
#: at most 1 MB (a longer one fails the write)
POSTGRES_INDEXED_CHARS = 250_000
_NAME_BYTES = 63  # Postgres keeps a name's first 63 bytes
_WORD_RE = re.compile(r"[^\W_]+")
#: the longest word searched for (a longer one is cut: still a prefix of what it matches)
MAX_WORD = 200


@dataclass(frozen=True)
class SearchSpec:
    """What a collection's full-text index covers: its table and searchable columns, in order."""

    collection_id: str
    table: str
    columns: tuple[str, ...]
    #: the ids of the fields the columns hold, compared too: a column that holds another field
    #: now (one dropped, another renamed to its name) needs the index made again (SQLite's
    #: triggers read the dropped column: its drop failed)
    field_ids: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The name of the FTS5 table (SQLite) or the index (Postgres)."""
        return search_object_name(self.collection_id)


def search_object_name(collection_id: str) -> str:
    """``_pb_fts_<collection id>``, cut to a digest where Postgres would cut the name."""
    name = SEARCH_PREFIX + collection_id
    if len(name.encode()) > _NAME_BYTES - 3:  # NOTE: room for the SQLite triggers' _ai/_au/_ad
        name = SEARCH_PREFIX + hashlib.sha256(collection_id.encode()).hexdigest()[:32]
    return name


# ---- the words of a search ------------------------------------------------------------------


#: combining marks over a Latin letter, once decomposed (NFD): what folding takes away
_LATIN_MARKS_RE = re.compile(r"([A-Za-z])[\u0300-\u036f]+")


def fold(text: str) -> str:
    """``text`` without the accents of Latin letters (``é`` -> ``e``, ``ế`` -> ``e``), as
    unicode61's remove_diacritics does and as Postgres's index folds them (:func:`_tsvector`)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _LATIN_MARKS_RE.sub(r"\1", unicodedata.normalize("NFD", text)))


def search_words(text: str) -> list[str]:
    """The words a search text looks for: runs of letters and digits, lower case, accents
    folded (anything else separates words, as both databases' tokenizers split text); each
    once, and none that starts another of them (all are prefixes, all required: it adds nothing).

    PERF/SECURITY: each word costs a scan of the index's words it starts: "a a a ..." (1750
    times) took 34 s over 50,000 records (SQLite).
    """
    normalized = fold(unicodedata.normalize("NFC", text)).lower()
    words = list(dict.fromkeys(word[:MAX_WORD] for word in _WORD_RE.findall(normalized)))
    # NOTE: the words a word starts follow it in sorted order: the next one tells
    ordered = sorted(words)
    implied = {word for word, after in zip(ordered, ordered[1:], strict=False) if after.startswith(word)}
    return [word for word in words if word not in implied]


def _spellings(word: str) -> str:
    """``word`` and, when it has letters past ASCII, its capitalized and upper-case spellings,
    joined by ``|`` (any of them matches).

    NOTE: Postgres lowers only ASCII letters of a database of the C locale (tests/pg.py's; a
    common choice): there "Привет" is indexed as written, so its usual spellings are looked for.
    """
    if word.isascii():
        return word
    return "|".join(dict.fromkeys((word, word.capitalize(), word.upper())))


# ---- queries ----------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SearchSQL:
    """A search as SQL over one collection's table: :meth:`apply` makes a SELECT keep only the
    matching records; :attr:`rank` orders them, most relevant first (ascending)."""

    def __init__(self, rank: Any, condition: Any = None, source: Any = None, key: Any = None) -> None:
        self.rank = rank
        self._condition = condition
        self._source = source
        self._key = key

    def apply(self, stmt: Any) -> Any:
        """``stmt`` (a SELECT over the table) restricted to the matching records."""
        if self._source is not None:
            return stmt.join(self._source, self._source.c.key == self._key)
        return stmt.where(self._condition)


def search_sql(dialect_name: str, table: Any, spec: SearchSpec, words: list[str]) -> SearchSQL:
    """A search for ``words`` (:func:`search_words`, not empty) over ``table``, whose index
    ``spec`` describes.

    SQLite: a join with the FTS5 table's matches (read once: bm25 as ``rank``); Postgres: a
    condition the GIN index serves and ``-ts_rank()`` computed on the matching rows.
    """
    # SECURITY: the words hold letters and digits only; the SQL joins them into the FTS5 query
    # or tsquery, so nothing the user typed is read as query syntax.
    bound = bindparam("pb_search_words", " ".join(_spellings(word) for word in words))
    if dialect_name == "postgresql":
        return SearchSQL(search_rank(table, spec, bound), condition=search_match(table, spec, bound))
    index = sql_table(spec.name)
    matches = (
        select(literal_column("rowid").label("key"), literal_column("rank").label("rank"))
        .select_from(index)
        .where(fts5_match(literal_column(_quote(spec.name)), bound))
        .subquery("_pb_search")
    )
    return SearchSQL(matches.c.rank, source=matches, key=insertion_order(table))


class fts5_match(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """``<fts5 table> MATCH <the query written from the bound words>`` (SQLite only)."""

    # NOTE: no Boolean type: SQLAlchemy would write "= 1" after it, which FTS5 refuses
    type = NullType()
    inherit_cache = True
    name = "pb_fts5_match"


@compiles(fts5_match)
def _fts5_match_sqlite(element: fts5_match, compiler: Any, **kw: Any) -> str:
    name, words = (compiler.process(clause, **kw) for clause in element.clauses)
    # NOTE: "a|A b" -> ("a"* OR "A"*) AND ("b"*) (FTS5 has no implicit AND between groups)
    query = f"""('("' || replace(replace({words}, ' ', '"*) AND ("'), '|', '"* OR "') || '"*)')"""
    return f"{name} MATCH {query}"


class _search_construct(FunctionElement):  # type: ignore[type-arg]  # noqa: N801 - SQL function style
    """Postgres: clauses are the words, then the searchable columns."""

    inherit_cache = True

    def __init__(self, table: Any, spec: SearchSpec, words: Any) -> None:
        super().__init__(words, *(table.c[name] for name in spec.columns))


class search_match(_search_construct):  # noqa: N801
    """Whether a record holds every word of the search (each as a word's start)."""

    type = Boolean()
    inherit_cache = True
    name = "pb_search_match"


class search_rank(_search_construct):  # noqa: N801
    """A record's relevance to the search: the lower the better (minus ts_rank)."""

    type = Float()
    inherit_cache = True
    name = "pb_search_rank"


def _parts(element: _search_construct, compiler: Any, **kw: Any) -> tuple[str, list[str]]:
    words, *columns = element.clauses
    return compiler.process(words, **kw), [compiler.process(column, **kw) for column in columns]


def _tsvector(columns: list[str]) -> str:
    """The document Postgres indexes; the query repeats it exactly so the index serves it.

    Latin accents are folded as :func:`fold` folds them (decomposed, the marks over a Latin
    letter taken away, composed again) and ASCII punctuation splits words, as SQLite's tokenizer.
    PERF: text of ASCII only skips the folding (two normalize() calls); a translate() of every
    accented letter cost ~1.7 ms a record, which ts_rank pays again for every match.
    """
    joined = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    text = f"left({joined}, {POSTGRES_INDEXED_CHARS})"
    folded = (
        f"CASE WHEN {text} ~ '[^\\x01-\\x7f]' THEN normalize(regexp_replace(normalize({text}, NFD), "
        f"'([A-Za-z])[\\u0300-\\u036f]+', '\\1', 'g'), NFC) ELSE {text} END"
    )
    return f"to_tsvector('{POSTGRES_CONFIG}'::regconfig, regexp_replace({folded}, '[[:punct:]]+', ' ', 'g'))"


def _tsquery(words: str) -> str:
    # NOTE: "a|A b" -> (a:* | A:*) & (b:*)
    spelled = f"replace(replace(CAST({words} AS text), ' ', ':*) & ('), '|', ':* | ')"
    return f"to_tsquery('{POSTGRES_CONFIG}'::regconfig, '(' || {spelled} || ':*)')"


@compiles(search_match, "postgresql")
def _match_pg(element: search_match, compiler: Any, **kw: Any) -> str:
    words, columns = _parts(element, compiler, **kw)
    return f"({_tsvector(columns)} @@ {_tsquery(words)})"


@compiles(search_rank, "postgresql")
def _rank_pg(element: search_rank, compiler: Any, **kw: Any) -> str:
    words, columns = _parts(element, compiler, **kw)
    return f"(-ts_rank({_tsvector(columns)}, {_tsquery(words)}))"


# ---- the index --------------------------------------------------------------------------------


def _trigger_names(spec: SearchSpec) -> list[str]:
    return [f"{spec.name}_ai", f"{spec.name}_au", f"{spec.name}_ad"]


def create_statements(spec: SearchSpec, dialect_name: str) -> list[str]:
    """The statements making ``spec``'s index over the table's current rows."""
    table = _quote(spec.table)
    name = _quote(spec.name)
    if dialect_name == "postgresql":
        columns = [_quote(column) for column in spec.columns]
        return [f"CREATE INDEX {name} ON {table} USING gin ({_tsvector(columns)})"]
    own = ", ".join(f"c{index}" for index in range(len(spec.columns)))
    new = ", ".join(f"new.{_quote(column)}" for column in spec.columns)
    old = ", ".join(f"old.{_quote(column)}" for column in spec.columns)
    watched = ", ".join(_quote(column) for column in spec.columns)
    insert, update, delete = (_quote(n) for n in _trigger_names(spec))
    remove = f"INSERT INTO {name}({name}, rowid, {own}) VALUES ('delete', old.rowid, {old});"
    add = f"INSERT INTO {name}(rowid, {own}) VALUES (new.rowid, {new});"
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({own}, content='', tokenize='{SQLITE_TOKENIZER}')",
        f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {update} AFTER UPDATE OF {watched} ON {table} BEGIN {remove} {add} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN {remove} END",
        f"INSERT INTO {name}(rowid, {own}) SELECT rowid, {watched} FROM {table}",
    ]


def drop_statements(spec: SearchSpec, dialect_name: str) -> list[str]:
    """The statements removing ``spec``'s index (whether or not it exists)."""
    if dialect_name == "postgresql":
        return [f"DROP INDEX IF EXISTS {_quote(spec.name)}"]
    triggers = [f"DROP TRIGGER IF EXISTS {_quote(name)}" for name in _trigger_names(spec)]
    return [*triggers, f"DROP TABLE IF EXISTS {_quote(spec.name)}"]


def create_search(conn: Connection, spec: SearchSpec) -> None:
    """Make ``spec``'s index and fill it from the table's rows."""
    postgres = conn.dialect.name == "postgresql"
    for sql in create_statements(spec, conn.dialect.name):
        # NOTE: psycopg reads % as a placeholder even without parameters
        conn.exec_driver_sql(sql.replace("%", "%%") if postgres else sql)


def drop_search(conn: Connection, spec: SearchSpec) -> None:
    """Remove ``spec``'s index."""
    for sql in drop_statements(spec, conn.dialect.name):
        conn.exec_driver_sql(sql)


def before_table_change(conn: Connection, old: SearchSpec | None, new: SearchSpec | None) -> None:
    """Before a collection's table changes: remove the index it had unless it stays as it is
    (SQLite's triggers would stop a searchable column's drop; a renamed one needs new ones)."""
    if old is not None and (old != new or conn.dialect.name == "postgresql"):
        drop_search(conn, old)


def after_table_change(conn: Connection, old: SearchSpec | None, new: SearchSpec | None) -> None:
    """After a collection's table changed (or was made): make the index it needs now.

    NOTE: on Postgres the table change drops every index of the table (its collection's are
    made again each save): so is this one.
    """
    if new is not None and (old != new or conn.dialect.name == "postgresql"):
        create_search(conn, new)
