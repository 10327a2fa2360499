"""View collections' Postgres views kept as the current translator writes them.

A view collection's query is written for SQLite; on Postgres its view holds the query as
pybase translated it when the collection was saved (:func:`schema_sync.view_body`). A later
pybase may translate it otherwise (a column's type, a function SQLite answers differently):
:func:`refresh` makes each view again whose definition is not the one the running pybase
writes, at start, so nobody has to save the collections again.

Cheap when nothing changed: every view carries a comment with its body's fingerprint
(``schema_sync.VIEW_MARK``); a view whose mark matches the body computed now is left alone.
One without the mark (made before marks, or replayed from ``pg_views``) is compared by its
definition as Postgres stores it with a view of the new body (made and rolled back): equal,
it is only marked. A view made again takes the views reading it along (dropped first, made
again after it, in the order they needed each other); a view made with SQL (not a
collection's, or a collection's whose query no longer translates) that reads it is carried
along with its definition as Postgres gives it. A materialized view reading one keeps it as
it was (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pybase.store import schema_sync
from pybase.store.pg_tables import quote, run

log = logging.getLogger("pybase.db")

#: one lock per database: nodes starting together make each view once
_LOCK = 7246592
_NS = "current_schema()::regnamespace"
_CHECK = "_pb_view_check"


def refresh(
    conn: Connection, views: Iterable[tuple[str, str, list[str]]], stored_query: Callable[[Connection, str], str] | None = None,
) -> list[str]:
    """Make again the views (name, SQLite query, json columns) whose Postgres view is not the
    one this pybase writes, in the caller's transaction; returns the names made again. Views
    that cannot be made again are logged and left as they were. ``stored_query``: the query a
    view is made of, from the collection's (as a save makes it)."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    marks = dict(conn.execute(text(
        f"SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relnamespace = {_NS} "
        "AND c.relkind = 'v'"
    )).all())  # fmt: skip
    bodies: dict[str, str] = {}
    stale: list[str] = []
    for name, query, json_columns in views:
        if name not in marks:
            continue  # NOTE: no view (a failed restore, SQLite's copy): nothing to compare
        try:
            with conn.begin_nested():
                if stored_query is not None:
                    query = stored_query(conn, query)
                body = schema_sync.view_body(conn, query, json_columns, name)
        except DBAPIError as ex:
            log.warning("view collection %s: its query no longer translates (%s); its view is kept", name, ex.orig)
            continue
        bodies[name] = body
        mark = schema_sync.VIEW_MARK + schema_sync.view_fingerprint(body)
        if marks[name] == mark:
            continue
        if _same_definition(conn, name, body):
            run(conn, f"COMMENT ON VIEW {quote(name)} IS '{mark}'")
        else:
            stale.append(name)
    if not stale:
        return []
    try:
        with conn.begin_nested():
            return _make_again(conn, stale, bodies)
    except (DBAPIError, _Kept) as ex:
        log.warning("views %s not brought up to date: %s", ", ".join(stale), getattr(ex, "orig", ex))
        return []


class _Kept(Exception):
    """Stale views that cannot be made again (what reads them could not follow)."""


def _same_definition(conn: Connection, name: str, body: str) -> bool:
    """Whether ``name`` is defined as a view of ``body`` would be (as Postgres prints both)."""
    try:
        with conn.begin_nested() as savepoint:
            schema_sync.create_view_as(conn, _CHECK, body)
            new, old = conn.execute(
                text("SELECT pg_get_viewdef(CAST(:new AS regclass)), pg_get_viewdef(CAST(:old AS regclass))"),
                {"new": quote(_CHECK), "old": quote(name)},
            ).one()
            savepoint.rollback()
    except DBAPIError:
        return False
    return bool(new == old)


def _make_again(conn: Connection, stale: list[str], bodies: dict[str, str]) -> list[str]:
    """Drop ``stale`` and the views reading them, then make them again, each after what it reads."""
    reads = _reads(conn)
    dropped = set(stale)
    pending = list(stale)
    while pending:
        name = pending.pop()
        for reader, read in reads:
            if read == name and reader not in dropped:
                dropped.add(reader)
                pending.append(reader)
    others = {
        str(name): str(definition).strip().rstrip(";")
        for name, definition in conn.execute(
            text(
                f"SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = {_NS} "
                "AND c.relname = ANY(:names) AND c.relkind = 'v'"
            ),
            {"names": sorted(dropped - set(bodies))},
        )
    }
    missing = dropped - set(bodies) - set(others)
    if missing:
        # NOTE: a materialized view reads one: its rows would have to be computed again
        raise _Kept(f"{', '.join(sorted(missing))} read them and cannot be made again")
    run(conn, "DROP VIEW " + ", ".join(quote(name) for name in sorted(dropped)))
    made: list[str] = []
    needs = {name: {read for reader, read in reads if reader == name and read in dropped} for name in dropped}
    while needs:
        ready = sorted(name for name, wanted in needs.items() if not wanted - set(made))
        name = ready[0] if ready else sorted(needs)[0]
        del needs[name]
        if name in bodies:
            schema_sync.create_view_as(conn, name, bodies[name])
        else:
            run(conn, f"CREATE VIEW {quote(name)} AS {others[name]}")
        made.append(name)
    return [name for name in made if name in bodies]


def _reads(conn: Connection) -> list[tuple[str, str]]:
    """(view, the view or materialized view it reads) pairs of the current schema."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT v.relname, t.relname FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class "
            "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
            "AND d.refclassid = 'pg_class'::regclass JOIN pg_class t ON t.oid = d.refobjid "
            f"WHERE v.relnamespace = {_NS} AND t.relkind IN ('v', 'm') AND t.oid <> v.oid"
        )
    ).all()
    return [(str(reader), str(read)) for reader, read in rows]
