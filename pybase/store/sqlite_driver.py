"""The SQLite driver every part of pybase uses: ``from pybase.store.sqlite_driver import sqlite3``.

pysqlite3 (PyPI ``pysqlite3-binary``: the standard library's module built with a newer SQLite,
3.51) when it is installed, else Python's own ``sqlite3`` (the system's SQLite, often years
older). PocketBase ships SQLite 3.5x: with it pybase's SQL functions and dates answer as
PocketBase's (``strftime`` of an impossible date, ``timediff``, ``unhex``...). The wheel exists
for Linux x86-64; elsewhere the standard module serves (``SQLITE_VERSION`` says which).

NOTE: one SQLite library per process. Python's own ``sqlite3`` opening pybase's files inside
a pybase process (a hook, a test) would break both libraries' locks: SQLite's POSIX locks are
the process's, and each library drops the other's when it closes a file ("disk I/O error", or
worse). Open them with this module (``from pybase.store.sqlite_driver import sqlite3``).
"""

from __future__ import annotations

import re

try:
    from pysqlite3 import dbapi2 as sqlite3
except ImportError:  # pragma: no cover - no wheel for this platform
    import sqlite3  # type: ignore[no-redef]

#: the SQLite library pybase runs on, e.g. "3.51.1"
SQLITE_VERSION: str = sqlite3.sqlite_version
#: whether that is pysqlite3's SQLite (else Python's own module's)
BUNDLED = sqlite3.__name__.startswith("pysqlite3")

# SQLite's extended constraint codes by the start of the error text (SQLITE_CONSTRAINT_*)
_CONSTRAINT_CODES = (
    ("NOT NULL constraint failed", 1299),
    ("CHECK constraint failed", 275),
    ("FOREIGN KEY constraint failed", 787),
)
_PRIMARY_KEY_RE = re.compile(r"UNIQUE constraint failed: [^,]+\.(id|rowid)")


def error_code(error: BaseException) -> int | None:
    """SQLite's extended result code of a driver error (1299 for NOT NULL, 2067 for UNIQUE...),
    as PocketBase's errors name it; None for another error.

    NOTE: Python's own module turns extended codes on; pysqlite3 does not, and turned on they
    would map every constraint error to DatabaseError (its classes follow the bare code). Its
    bare SQLITE_CONSTRAINT (19) is made extended from the text SQLite writes for each kind (a
    UNIQUE failure on a table's ``id`` is its PRIMARY KEY's, 1555: every collection's key).
    """
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    if code != 19:  # NOTE: SQLITE_CONSTRAINT, bare
        return code
    text = str(error)
    for start, extended in _CONSTRAINT_CODES:
        if text.startswith(start):
            return extended
    if text.startswith("UNIQUE constraint failed"):
        return 1555 if _PRIMARY_KEY_RE.fullmatch(text) else 2067
    return code


__all__ = ["BUNDLED", "SQLITE_VERSION", "error_code", "sqlite3"]
