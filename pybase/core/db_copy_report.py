"""What ``pybase db copy`` reports: rows per table on both sides, notes, and the error that stops
a copy (see :mod:`pybase.core.db_copy`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot be made or failed; the message says why (nothing was committed)."""


@dataclass
class TableCount:
    """Rows of one table (or view) on both sides."""

    name: str
    source: int
    target: int = -1

    @property
    def ok(self) -> bool:
        """Whether both sides hold as many rows."""
        return self.source == self.target


@dataclass
class CopyReport:
    """What a copy did: counts per table, views, what was left out, and how long it took."""

    tables: list[TableCount] = field(default_factory=list)
    views: list[TableCount] = field(default_factory=list)
    #: source tables that are not part of a pybase app (not collections): left out
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def mismatches(self) -> list[TableCount]:
        """Tables and views whose counts differ."""
        return [count for count in self.tables + self.views if not count.ok]


def mismatch_lines(report: CopyReport) -> str:
    """One line per table or view whose counts differ."""
    return "\n".join(f"  {c.name}: {c.source} in SQLite, {c.target} in Postgres" for c in report.mismatches)
