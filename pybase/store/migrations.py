"""The migrations runner: applies and reverts migrations in file-name order, tracked in ``_migrations``.

A migration is a file name plus ``up``/``down`` callables taking whatever "app" the caller gives
(the runner never looks inside it). Each one runs in its own write transaction together with its
``_migrations`` row, so a failing migration leaves nothing behind and the ones before it stay
applied; the run stops at the first failure. ``applied`` is the time in microseconds, as
PocketBase stores it.

NOTE: PocketBase runs a whole ``migrate up`` (and ``down``) in one transaction; pybase commits
each migration on its own so that one broken file does not undo the others (issue 4).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Text, cast, delete, func, insert, select

from pybase.store.schema import create_system_tables, migrations_table

if TYPE_CHECKING:
    from pybase.store.db import Database

MigrationFunc = Callable[[Any], Any]


@dataclass(frozen=True)
class Migration:
    """One migration: its file name (the ordering key) and its up/down actions (either may be None)."""

    file: str
    up: MigrationFunc | None
    down: MigrationFunc | None = None


class MigrationError(Exception):
    """A migration failed; ``done`` lists the files applied (or reverted) before it."""

    def __init__(self, message: str, file: str, done: list[str]) -> None:
        super().__init__(message)
        self.file = file
        self.done = done


def now_micro() -> int:
    """The current time in microseconds (the ``applied`` column's unit)."""
    return time.time_ns() // 1000


class MigrationsRunner:
    """Runs a list of migrations against one database; ``app`` is what each action receives."""

    def __init__(self, db: Database, migrations: Iterable[Migration], app: Any) -> None:
        self.db = db
        self.app = app
        by_file: dict[str, Migration] = {}
        for migration in migrations:
            # NOTE: a later registration of the same file wins (as a re-registered Go migration).
            by_file[migration.file] = migration
        self.migrations = sorted(by_file.values(), key=lambda m: m.file)
        with self.db.write() as conn:
            create_system_tables(conn)

    # ---- queries -----------------------------------------------------------------------

    def applied(self) -> dict[str, int]:
        """``file -> applied`` for every row of ``_migrations``."""
        with self.db.read() as conn:
            rows = conn.execute(select(migrations_table.c.file, migrations_table.c.applied)).all()
        return {row[0]: int(row[1]) for row in rows}

    def pending(self) -> list[Migration]:
        """The migrations not applied yet, in order."""
        done = self.applied()
        return [m for m in self.migrations if m.file not in done]

    def last_applied(self, count: int) -> list[str]:
        """The ``count`` most recently applied files that are still in the list (newest first)."""
        names = [m.file for m in self.migrations]
        if count <= 0 or not names:
            return []
        # NOTE: as PocketBase, second-precision values of older versions sort with the
        # microsecond ones by padding them to 16 digits.
        padded = func.substr(cast(migrations_table.c.applied, Text).concat("0000000000000000"), 1, 16)
        stmt = (
            select(migrations_table.c.file)
            .where(migrations_table.c.file.in_(names))
            .order_by(padded.desc(), migrations_table.c.file.desc())
            .limit(count)
        )
        with self.db.read() as conn:
            return [row[0] for row in conn.execute(stmt).all()]

    # ---- actions -----------------------------------------------------------------------

    def up(self) -> list[str]:
        """Apply every pending migration in order; returns the applied files."""
        done: list[str] = []
        for migration in self.pending():
            try:
                with self.db.write() as conn:
                    if migration.up is not None:
                        migration.up(self.app)
                    record_applied(conn, migration.file)
            except Exception as ex:
                raise MigrationError(f"failed to apply migration {migration.file}: {describe(ex)}", migration.file, done) from ex
            done.append(migration.file)
        return done

    def down(self, count: int = 1) -> list[str]:
        """Revert the ``count`` most recently applied migrations (all when negative)."""
        if count < 0:
            count = len(self.migrations)
        by_file = {m.file: m for m in self.migrations}
        done: list[str] = []
        for file in self.last_applied(count):
            migration = by_file[file]
            try:
                with self.db.write() as conn:
                    if migration.down is not None:
                        migration.down(self.app)
                    conn.execute(delete(migrations_table).where(migrations_table.c.file == file))
            except Exception as ex:
                raise MigrationError(f"failed to revert migration {file}: {describe(ex)}", file, done) from ex
            done.append(file)
        return done

    def history_sync(self) -> list[str]:
        """Delete the ``_migrations`` rows of files no longer in the list; returns them."""
        names = {m.file for m in self.migrations}
        gone = sorted(set(self.applied()) - names)
        if gone:
            with self.db.write() as conn:
                conn.execute(delete(migrations_table).where(migrations_table.c.file.in_(gone)))
        return gone



def record_applied(conn: Connection, file: str) -> None:
    """Record ``file`` as applied without running it (automigrate's own files), in ``conn``'s transaction."""
    conn.execute(insert(migrations_table).values(file=file, applied=now_micro()))


def describe(ex: BaseException) -> str:
    """A one-line reason for a failed migration, with validation details when there are some."""
    message = str(ex) or type(ex).__name__
    data = getattr(ex, "data", None)
    if isinstance(data, dict) and data:
        import json

        message = f"{message} {json.dumps(data, sort_keys=True, default=str)}"
    return message
