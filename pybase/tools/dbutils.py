"""Parse the ``CREATE [UNIQUE] INDEX`` strings collections carry into a structured form.

Collections store their indexes as SQL text (as PocketBase does). We never execute that text:
it is parsed here into names, columns and a small WHERE grammar, and the storage layer rebuilds
the index with SQLAlchemy from the parsed parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_IDENT = r'(?:`[^`]+`|"[^"]+"|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_]*)'
_INDEX_RE = re.compile(
    rf"^\s*CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:(?P<schema>{_IDENT})\s*\.\s*)?(?P<name>{_IDENT})\s+ON\s+(?P<table>{_IDENT})\s*"
    rf"\((?P<columns>.+?)\)\s*(?:WHERE\s+(?P<where>.+?))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_COLUMN_RE = re.compile(
    rf"^\s*(?P<name>{_IDENT})(?:\s+COLLATE\s+(?P<collate>[A-Za-z_]+))?"
    rf"(?:\s+(?P<sort>ASC|DESC))?\s*$",
    re.IGNORECASE,
)
_WHERE_TERM_RE = re.compile(
    rf"^\s*(?P<col>{_IDENT})\s*(?:(?P<op>!=|<>|>=|<=|=|>|<)\s*(?P<lit>'(?:[^']|'')*'|-?\d+(?:\.\d+)?|TRUE|FALSE)"
    rf"|(?P<isnull>IS\s+(?:NOT\s+)?NULL))\s*$",
    re.IGNORECASE,
)
_AND_SPLIT_RE = re.compile(r"\s+AND\s+", re.IGNORECASE)


class IndexParseError(ValueError):
    """The index definition is outside the grammar we accept."""


def unquote(identifier: str) -> str:
    """Strip SQL identifier quotes: `x`, "x" or [x]."""
    if len(identifier) >= 2 and identifier[0] + identifier[-1] in ("``", '""', "[]"):
        return identifier[1:-1]
    return identifier


@dataclass(frozen=True)
class IndexColumn:
    """One indexed column with optional collation and direction."""

    name: str
    collate: str = ""
    sort: str = ""


@dataclass(frozen=True)
class WhereTerm:
    """``column op literal`` or ``column IS [NOT] NULL`` in a partial index."""

    column: str
    op: str
    value: str | int | float | bool | None = None


@dataclass(frozen=True)
class Index:
    """A parsed index definition."""

    name: str
    table: str
    unique: bool
    columns: tuple[IndexColumn, ...]
    where: tuple[WhereTerm, ...] = field(default=())

    def build(self) -> str:
        """Render back to canonical SQL text (for storing in the collection)."""
        cols = []
        for col in self.columns:
            part = f"`{col.name}`"
            if col.collate:
                part += f" COLLATE {col.collate}"
            if col.sort:
                part += f" {col.sort}"
            cols.append(part)
        sql = f"CREATE {'UNIQUE ' if self.unique else ''}INDEX `{self.name}` ON `{self.table}` ({', '.join(cols)})"
        if self.where:
            sql += " WHERE " + " AND ".join(_render_term(t) for t in self.where)
        return sql


def _render_term(term: WhereTerm) -> str:
    if term.op in ("IS NULL", "IS NOT NULL"):
        return f"`{term.column}` {term.op}"
    value = term.value
    if isinstance(value, bool):
        lit = "TRUE" if value else "FALSE"
    elif isinstance(value, str):
        lit = "'" + value.replace("'", "''") + "'"
    else:
        lit = str(value)
    return f"`{term.column}` {term.op} {lit}"


def _parse_literal(text: str) -> str | int | float | bool:
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return float(text) if "." in text else int(text)


def _split_columns(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def parse_index(sql: str) -> Index:
    """Parse one index definition or raise :class:`IndexParseError`."""
    match = _INDEX_RE.match(sql or "")
    if not match:
        raise IndexParseError("invalid index definition")
    columns = []
    for raw in _split_columns(match["columns"]):
        col = _COLUMN_RE.match(raw)
        if not col:
            raise IndexParseError(f"unsupported index column {raw.strip()!r}")
        columns.append(
            IndexColumn(
                unquote(col["name"]),
                (col["collate"] or "").upper(),
                (col["sort"] or "").upper(),
            )
        )
    where: list[WhereTerm] = []
    if match["where"]:
        for raw in _AND_SPLIT_RE.split(match["where"].strip()):
            term = _WHERE_TERM_RE.match(raw.strip().strip("()"))
            if not term:
                raise IndexParseError(f"unsupported index condition {raw.strip()!r}")
            if term["isnull"]:
                op = "IS NOT NULL" if "NOT" in term["isnull"].upper() else "IS NULL"
                where.append(WhereTerm(unquote(term["col"]), op))
            else:
                op = "!=" if term["op"] == "<>" else term["op"]
                where.append(WhereTerm(unquote(term["col"]), op, _parse_literal(term["lit"])))
    return Index(
        name=unquote(match["name"]),
        table=unquote(match["table"]),
        unique=bool(match["unique"]),
        columns=tuple(columns),
        where=tuple(where),
    )
