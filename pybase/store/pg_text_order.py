"""Text columns of pybase's Postgres tables brought to byte order (``COLLATE "C"``) at start.

SQLite (PocketBase) compares and sorts text by its bytes. pybase makes its tables' text columns
``COLLATE "C"`` (the dialect's ``CreateColumn``), whatever the database's collation; a table
made by an older pybase on a database that does not order text by bytes (``en_US.UTF-8``, ICU:
``a`` beside ``A``, ``_x`` before ``10``) has its text columns in that collation. The filters
and sorts spell byte order themselves (``COLLATE "C"`` on their comparisons), but an index on
such a column serves none of them but ``=``: :func:`to_byte_order` changes those columns once
(``ALTER COLUMN ... TYPE text COLLATE "C"``: no rewrite of the rows, their indexes are built
again), only where the column is in the database's collation (``default``, what an older
pybase made; a ``C`` database's is changed too: it orders by bytes, but an index serves
``COLLATE "C"`` only on a ``"C"`` column; a column SQL made in another collation keeps it). A
restore runs it too, as soon as the tables hold their rows (pybase.core.backups.postgres_restore). The views reading such a table are set aside and made again as they were
(:func:`pybase.store.pg_views.around_tables`); a table a materialized view reads is kept as it
is (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pybase.store import pg_views
from pybase.store.pg_tables import quote, run

log = logging.getLogger("pybase.db")

#: one lock per database: nodes starting together change each table once
_LOCK = 7246593


def columns_to_change(conn: Connection, tables: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(name, type) of the text columns of ``tables`` (current schema) in the database's
    collation (``default``), by table (PERF: one query for every table: a start reads it each time)."""
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relnamespace = quote_ident(current_schema())::regnamespace AND c.relname = ANY(:t) AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped "
            "AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype) "
            # NOTE: "default" on a C database as well: an index serves the COLLATE "C" filters and sorts
            # spell only when its column is "C" itself (the planner matches collations by name). Only
            # "default": pybase never named another; one SQL named (ADD COLUMN x text COLLATE nocase) stays
            "AND a.attcollation = 'pg_catalog.default'::regcollation ORDER BY c.relname, a.attnum"
        ),
        {"t": tables},
    ).all()
    changed: dict[str, list[tuple[str, str]]] = {}
    for table, name, kind in rows:
        changed.setdefault(str(table), []).append((str(name), str(kind)))
    return changed


def to_byte_order(conn: Connection, tables: Iterable[str]) -> list[str]:
    """Make the text columns of ``tables`` (of the current schema) ``COLLATE "C"`` where they
    are not, in the caller's transaction; returns the tables changed. A table that
    cannot be changed (a materialized view reads it) is logged and kept as it is."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    wanted = list(tables)
    to_change = columns_to_change(conn, wanted)
    changed: list[str] = []
    for table in wanted:
        columns = to_change.get(table)
        if not columns:
            continue
        alter = f"ALTER TABLE {quote(table)} " + ", ".join(
            f'ALTER COLUMN {quote(name)} TYPE {kind} COLLATE "C"' for name, kind in columns
        )
        try:
            with conn.begin_nested():
                pg_views.around_tables(conn, [table], lambda sql=alter: run(conn, sql))
        except (DBAPIError, pg_views.Kept) as ex:
            log.warning(
                "table %s: its text columns keep the database's collation (sorts and </> filters on them "
                "cannot use their indexes): %s", table, getattr(ex, "orig", ex),
            )
            continue
        changed.append(table)
    return changed
