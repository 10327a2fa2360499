"""Plain index definitions, read and rendered for SQLite without sqlglot.

PERF: sqlglot costs ~14 MB in every process that imports it. The definitions PocketBase itself
writes (an auth collection's ``tokenKey`` and ``email`` indexes, the dashboard's) and most
written by hand are plain: named columns, each with an optional ``COLLATE`` and ``ASC``/``DESC``,
and a ``WHERE`` of column-against-literal comparisons joined by ``AND``. Those are read here, by
a small tokenizer, into the same :class:`pybase.tools.dbutils.Index` the sqlglot reading gives,
and rendered for SQLite exactly as sqlglot renders them (tests/tools/test_index_plain.py checks
both against each other). Anything else (an expression, a keyword used as a bare name, a
collation SQLite lacks, a comment...) returns None here and goes to sqlglot, which also words
every refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<bq>`(?:[^`]|``)+`)
    | (?P<dq>"(?:[^"]|"")+")
    | (?P<br>\[[^\]]+\])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<str>'(?:[^']|'')*')
    | (?P<num>[0-9]+)
    | (?P<op>!=|<>|==|<=|>=|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.X,
)
_OPERATORS = {"!=": "<>", "<>": "<>", "==": "=", "=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_COLLATIONS = frozenset({"binary", "nocase", "rtrim"})

# NOTE: a bare word that SQLite or sqlglot reads as a keyword (or a function without
# parentheses) is left to sqlglot: falling back is always safe, so the list may hold too many.
# tests/tools/test_index_plain.py checks sqlglot's own keywords are all here.
_KEYWORDS = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND ANTI ANY APPLY ARRAY AS ASC ASOF ATTACH
AUTOINCREMENT AUTO_INCREMENT BEFORE BEGIN BETWEEN BIGDECIMAL BIGINT BIGNUM BIGNUMERIC BINARY BIT
BLOB BOOL BOOLEAN BPCHAR BY BYTE BYTEA CACHE CALL CASCADE CASE CAST CHAR CHARACTER CHECK CLOB
COLLATE COLUMN COMMENT COMMIT CONFLICT CONSTRAINT COPY CREATE CROSS CUBE CURRENT CURRENT_CATALOG
CURRENT_DATE CURRENT_DATETIME CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP
CURRENT_USER DATABASE DATE DATEMULTIRANGE DATERANGE DATETIME DEC DECFLOAT DECIMAL DECIMAL128
DECIMAL256 DECIMAL32 DECIMAL64 DEFAULT DEFERRABLE DEFERRED DELETE DESC DESCRIBE DETACH DISTINCT
DIV DO DOUBLE DROP EACH ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXECUTE EXISTS EXPLAIN FAIL
FALSE FETCH FILE FILTER FIRST FIXED FLOAT FLOAT4 FLOAT8 FOLLOWING FOR FOREIGN FORMAT FROM FULL
FUNCTION GENERATED GEOGRAPHY GEOMETRY GLOB GRANT GROUP GROUPS HAVING HUGEINT IF IGNORE ILIKE
IMMEDIATE IN INDEX INDEXED INET INITIALLY INNER INSERT INSTEAD INT INT1 INT128 INT16 INT2 INT256
INT32 INT4 INT4MULTIRANGE INT4RANGE INT64 INT8 INT8MULTIRANGE INT8RANGE INTEGER INTERSECT
INTERVAL INTO IS ISNULL JOIN JSON JSONB KEEP KEY KILL LAST LATERAL LEFT LIKE LIMIT LIST LOAD
LOCALTIME LOCALTIMESTAMP LOCK LONG LONGBLOB LONGTEXT LONGVARCHAR MAP MATCH MATERIALIZED MEDIUMBLOB
MEDIUMINT MEDIUMTEXT MERGE NAMESPACE NATURAL NCHAR NEXT NO NOT NOTHING NOTNULL NULL NULLABLE
NULLS NUMBER NUMERIC NUMMULTIRANGE NUMRANGE NVARCHAR NVARCHAR2 OBJECT OF OFFSET ON OPERATOR
OPTIMIZE OR ORDER ORDINALITY OTHERS OUT OUTER OVER OVERLAPS OVERWRITE PARTITION PARTITIONED_BY
PERCENT PIVOT PLAN PRAGMA PRECEDING PREPARE PRIMARY PROCEDURE QUALIFY QUERY RAISE RANGE REAL
RECURSIVE REF REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING REVOKE RIGHT
RLIKE ROLLBACK ROLLUP ROW ROWID ROWS SAVEPOINT SCHEMA SELECT SEMI SEQUENCE SESSION SESSION_USER
SET SETTINGS SHORT SHOW SMALLINT SOME STR STRAIGHT_JOIN STRING STRUCT TABLE TABLESAMPLE TEMP
TEMPORARY TEXT THEN TIES TIME TIMESTAMP TIMESTAMPLTZ TIMESTAMPNTZ TIMESTAMPTZ TIMESTAMP_LTZ
TIMESTAMP_NTZ TIMETZ TIME_NS TINYBLOB TINYINT TINYTEXT TO TRANSACTION TRIGGER TRUE TRUNCATE
TSMULTIRANGE TSRANGE TSTZMULTIRANGE TSTZRANGE UHUGEINT UINT UINT128 UINT256 UNBOUNDED UNCACHE
UNION UNIQUE UNKNOWN UNNEST UNPIVOT UPDATE USE USING UUID VACUUM VALUES VARBINARY VARCHAR VARCHAR2
VARIANT VECTOR VIEW VIRTUAL VOLATILE WHEN WHERE WINDOW WITH WITHOUT XOR
""".split())  # fmt: skip


@dataclass(frozen=True)
class Name:
    """An identifier: its name, and how it was written (``bare``, ``quoted``, or ``double``
    quoted: SQLite reads a double-quoted name that is no column as a string)."""

    name: str
    kind: str


@dataclass(frozen=True)
class Column:
    name: Name
    collate: str  # as written
    sort: str  # ASC, DESC or ""


@dataclass(frozen=True)
class Condition:
    column: Name
    operator: str  # as rendered
    literal: str  # as written


@dataclass(frozen=True)
class PlainIndex:
    name: str
    table: str
    unique: bool
    optional: bool
    columns: tuple[Column, ...]
    conditions: tuple[Condition, ...]
    where: str  # the WHERE clause's source text


class _Tokens:
    def __init__(self, sql: str) -> None:
        self.items: list[tuple[str, str, int, int]] = []  # (kind, text, start, end)
        pos, end = 0, len(sql.rstrip())
        while pos < end:
            m = _TOKEN_RE.match(sql, pos)
            if m is None or m.lastgroup is None:
                raise _NotPlain
            self.items.append((m.lastgroup, m[m.lastgroup], m.start(m.lastgroup), m.end()))
            pos = m.end()
        self.at = 0

    def peek_word(self, *words: str) -> bool:
        if self.at < len(self.items):
            kind, text, _, _ = self.items[self.at]
            return kind == "word" and text.upper() in words
        return False

    def word(self, *words: str) -> bool:
        """Consume the next token when it is one of ``words`` (any case)."""
        if self.peek_word(*words):
            self.at += 1
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.word(*words):
            raise _NotPlain

    def take(self, *kinds: str) -> tuple[str, str, int, int]:
        if self.at >= len(self.items) or self.items[self.at][0] not in kinds:
            raise _NotPlain
        self.at += 1
        return self.items[self.at - 1]

    def punct(self, char: str) -> bool:
        if self.at < len(self.items) and self.items[self.at][:2] == ("punct", char):
            self.at += 1
            return True
        return False

    def name(self) -> Name:
        kind, text, _, _ = self.take("bq", "dq", "br", "word")
        if kind == "word":
            if text.upper() in _KEYWORDS:
                raise _NotPlain
            return Name(text, "bare")
        if kind == "br":
            return Name(text[1:-1], "quoted")
        inner = text[1:-1].replace(text[0] * 2, text[0])
        return Name(inner, "double" if kind == "dq" else "quoted")

    def done(self) -> bool:
        return self.at >= len(self.items)


class _NotPlain(Exception):
    pass


def parse_plain(sql: str) -> PlainIndex | None:
    """The plain index ``sql`` defines, or None when it is not plain (sqlglot reads it)."""
    try:
        return _parse(sql)
    except _NotPlain:
        return None


def _parse(sql: str) -> PlainIndex:
    tokens = _Tokens(sql)
    tokens.expect("CREATE")
    unique = tokens.word("UNIQUE")
    tokens.expect("INDEX")
    optional = tokens.word("IF")
    if optional:
        tokens.expect("NOT")
        tokens.expect("EXISTS")
    name = tokens.name()
    tokens.expect("ON")
    table = tokens.name()
    if not tokens.punct("("):
        raise _NotPlain
    columns = []
    while True:
        column = tokens.name()
        collate = sort = ""
        if tokens.word("COLLATE"):
            _, collate, _, _ = tokens.take("word")
            if collate.lower() not in _COLLATIONS:
                raise _NotPlain
        if tokens.peek_word("ASC", "DESC"):
            sort = tokens.take("word")[1].upper()
        columns.append(Column(column, collate, sort))
        if tokens.punct(")"):
            break
        if not tokens.punct(","):
            raise _NotPlain
    conditions = []
    where = ""
    if tokens.word("WHERE"):
        first = tokens.at
        while True:
            column = tokens.name()
            operator = _OPERATORS[tokens.take("op")[1]]
            literal = tokens.take("str", "num")[1]
            conditions.append(Condition(column, operator, literal))
            if not tokens.word("AND"):
                break
        where = sql[tokens.items[first][2] : tokens.items[tokens.at - 1][3]]
        if not tokens.done():
            raise _NotPlain
    if not tokens.done():
        raise _NotPlain
    if any(n.kind == "double" for n in (name, table)) or not name.name or not table.name:
        raise _NotPlain  # NOTE: a double-quoted index or table name: rare, left to sqlglot
    return PlainIndex(name.name, table.name, unique, optional, tuple(columns), tuple(conditions), where)


class UnknownColumn(ValueError):
    """A name in the definition that is no column of the table (SQLite's "no such column")."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reference(name: Name, known: set[str]) -> str:
    """A column reference as sqlglot renders it for SQLite (as written when bare, else quoted)."""
    if name.name.lower() in known:
        return name.name if name.kind == "bare" else _quote(name.name)
    if name.kind == "double":
        return "'" + name.name.replace("'", "''") + "'"
    raise UnknownColumn(name.name)


def render_sqlite(index: PlainIndex, name: str, table: str, columns: list[str] | tuple[str, ...] | set[str]) -> str:
    """The ``CREATE INDEX`` statement SQLite runs for ``index`` named ``name`` on ``table``;
    raises :class:`UnknownColumn` for a reference to none of ``columns``."""
    known = {c.lower() for c in columns}
    parts = []
    for column in index.columns:
        part = _reference(column.name, known)
        if column.collate:
            part += f" COLLATE {column.collate}"
        if column.sort:
            part += f" {column.sort}"
        parts.append(part)
    sql = "CREATE UNIQUE INDEX " if index.unique else "CREATE INDEX "
    if index.optional:
        sql += "IF NOT EXISTS "
    sql += f"{_quote(name)} ON {_quote(table)}({', '.join(parts)})"
    conditions = index.conditions
    if conditions:
        # NOTE: the unknown column reported is the one sqlglot meets first, walking the tree
        # of ANDs breadth first: the last condition, back to the third, then the first two.
        for condition in (*conditions[:1:-1], *conditions[:2]):
            _reference(condition.column, known)
        sql += " WHERE " + " AND ".join(f"{_reference(c.column, known)} {c.operator} {c.literal}" for c in conditions)
    return sql
