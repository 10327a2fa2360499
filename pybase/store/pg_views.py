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
along with its definition as Postgres gives it and its options. Every view made again keeps its
comments, grants, column defaults, triggers and rules (its owner becomes pybase's role). A
materialized view reading one keeps it as it was (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pybase.store import pg_view_reads, schema_sync
from pybase.store.pg_objects_kinds import GRANTEE, grant_statements, literal
from pybase.store.pg_tables import quote, run

log = logging.getLogger("pybase.db")

#: one lock per database: nodes starting together make each view once
_LOCK = 7246592
_NS = "quote_ident(current_schema())::regnamespace"
_CHECK = "_pb_view_check"


#: the SQL making again what views (``:oids``) have besides their query, comment and table grants:
#: their columns' grants, their columns' defaults, their triggers and rules
_MADE_AGAIN = (
    f"SELECT format('GRANT %s (%s) ON TABLE %s TO %s%s', a.privilege_type, quote_ident(t.attname), "
    f"quote_ident(c.relname), {GRANTEE}, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) "
    "FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid, aclexplode(t.attacl) a "
    "WHERE c.oid = ANY(:oids) AND t.attacl IS NOT NULL AND t.attnum > 0 AND a.grantee <> c.relowner "
    "ORDER BY c.oid, t.attnum, a.grantee",
    "SELECT format('ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s', quote_ident(c.relname), "
    "quote_ident(t.attname), pg_get_expr(d.adbin, d.adrelid)) FROM pg_attrdef d JOIN pg_class c "
    "ON c.oid = d.adrelid JOIN pg_attribute t ON t.attrelid = d.adrelid AND t.attnum = d.adnum "
    "WHERE d.adrelid = ANY(:oids) ORDER BY d.adrelid, d.adnum",
    "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid = ANY(:oids) AND NOT t.tgisinternal "
    "UNION ALL SELECT rtrim(pg_get_ruledef(r.oid), ';') FROM pg_rewrite r WHERE r.ev_class = ANY(:oids) "
    "AND r.rulename <> '_RETURN'",
)


def refresh(
    conn: Connection, views: Iterable[tuple[str, str, list[str]]], stored_query: Callable[[Connection, str], str] | None = None,
) -> list[str]:
    """Make again the views (name, SQLite query, json columns) whose Postgres view is not the
    one this pybase writes, in the caller's transaction; returns the names made again. Views
    that cannot be made again are logged and left as they were. ``stored_query``: the query a
    view is made of, from the collection's (as a save makes it)."""
    views = list(views)
    made: list[str] = []
    # NOTE: again while some were made: a view's body depends on the views it reads (their
    # columns' kinds, the SQL values they hold: view_held), computed before they were made again
    for _ in range(_PASSES):
        again = _refresh_once(conn, views, stored_query)
        made += [name for name in again if name not in made]
        if not again:
            break
    return made


#: at most this many rounds of :func:`refresh` (views reading views reading views...)
_PASSES = 4


def _refresh_once(
    conn: Connection, views: list[tuple[str, str, list[str]]], stored_query: Callable[[Connection, str], str] | None,
) -> list[str]:
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    marks = dict(conn.execute(text(
        f"SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relnamespace = {_NS} "
        "AND c.relkind = 'v'"
    )).all())  # fmt: skip
    with pg_view_reads.one_read(conn):  # PERF: one read of the database for every view (only marks change)
        bodies, stale = _compare(conn, views, stored_query, marks)
    if not stale:
        return []
    try:
        with conn.begin_nested():
            return _make_again(conn, stale, bodies)
    except (DBAPIError, _Kept) as ex:
        log.warning("views %s not brought up to date: %s", ", ".join(stale), getattr(ex, "orig", ex))
        return []


def _compare(
    conn: Connection, views: list[tuple[str, str, list[str]]], stored_query: Callable[[Connection, str], str] | None,
    marks: dict[str, str],
) -> tuple[dict[str, str], list[str]]:
    """Each view's body as this pybase writes it, and the views made otherwise (stale); a view
    made alike but without its mark (``marks``: each view's comment) gets it."""
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
    return bodies, stale


class _Kept(Exception):
    """Stale views that cannot be made again (what reads them could not follow)."""


Kept = _Kept


def around_tables(conn: Connection, tables: list[str], change: Callable[[], None]) -> None:
    """Run ``change`` (an ALTER of columns of ``tables``, which Postgres refuses under a view
    reading them) with the views reading them (directly or through other views) dropped first
    and made again after, as they were (pg_text_order). :class:`Kept` when one cannot be made
    again (a materialized view, a view of another schema reads them): nothing done."""
    readers = sorted(
        str(name)
        for (name,) in conn.execute(
            text(
                "SELECT DISTINCT v.relname FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class "
                "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
                "AND d.refclassid = 'pg_class'::regclass JOIN pg_class t ON t.oid = d.refobjid "
                f"WHERE t.relnamespace = {_NS} AND t.relname = ANY(:names) AND t.relkind IN ('r', 'p') "
                "AND v.oid <> t.oid"
            ),
            {"names": tables},
        )
    )
    if not readers:
        change()
        return
    _make_again(conn, readers, {}, change)


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


def _make_again(
    conn: Connection, stale: list[str], bodies: dict[str, str], between: Callable[[], None] | None = None,
) -> list[str]:
    """Drop ``stale`` and the views reading them, then make them again, each after what it reads
    (``between``: run once they are dropped)."""
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
        str(name): (f" WITH ({options})" if options else "") + " AS " + str(definition).strip().rstrip(";")
        for name, definition, options in conn.execute(
            text(
                f"SELECT c.relname, pg_get_viewdef(c.oid), array_to_string(c.reloptions, ', ') FROM pg_class c "
                f"WHERE c.relnamespace = {_NS} AND c.relname = ANY(:names) AND c.relkind = 'v'"
            ),
            {"names": sorted(dropped - set(bodies))},
        )
    }
    missing = dropped - set(bodies) - set(others)
    if missing:
        # NOTE: a materialized view reads one: its rows would have to be computed again
        raise _Kept(f"{', '.join(sorted(missing))} read them and cannot be made again")
    extras = _extras(conn, sorted(dropped), set(bodies))
    run(conn, "DROP VIEW " + ", ".join(quote(name) for name in sorted(dropped)))
    if between is not None:
        between()
    made: list[str] = []
    needs = {name: {read for reader, read in reads if reader == name and read in dropped} for name in dropped}
    while needs:
        ready = sorted(name for name, wanted in needs.items() if not wanted - set(made))
        name = ready[0] if ready else sorted(needs)[0]
        del needs[name]
        if name in bodies:
            schema_sync.create_view_as(conn, name, bodies[name])
        else:
            run(conn, f"CREATE VIEW {quote(name)}{others[name]}")
        made.append(name)
    for sql in extras:
        try:
            with conn.begin_nested():
                run(conn, sql)
        except DBAPIError as ex:
            # NOTE: a column the new translation no longer has (named otherwise): this one goes
            log.warning("a view made again did not keep: %s (%s)", sql, ex.orig)
    return [name for name in made if name in bodies]


def _extras(conn: Connection, names: list[str], collection_views: set[str]) -> list[str]:
    """What the views ``names`` have besides their query (their comments, but a collection
    view's own mark, grants, column defaults, triggers, rules), as the SQL making it again."""
    found = conn.execute(
        text(f"SELECT c.oid, c.relname FROM pg_class c WHERE c.relnamespace = {_NS} AND c.relname = ANY(:names)"),
        {"names": names},
    ).all()
    oids = [int(oid) for oid, _name in found]
    view = {int(oid): quote(str(name)) for oid, name in found}
    marked = {int(oid) for oid, name in found if name in collection_views}  # NOTE: by create_view_as
    sql: list[str] = []
    for oid, column, comment in conn.execute(
        text(
            "SELECT d.objoid, a.attname, d.description FROM pg_description d LEFT JOIN pg_attribute a "
            "ON a.attrelid = d.objoid AND a.attnum = d.objsubid WHERE d.classoid = 'pg_class'::regclass "
            "AND d.objoid = ANY(:oids) ORDER BY d.objoid, d.objsubid"
        ),
        {"oids": oids},
    ):
        if column is None and int(oid) in marked:
            continue
        target = f"VIEW {view[int(oid)]}" if column is None else f"COLUMN {view[int(oid)]}.{quote(str(column))}"
        sql.append(f"COMMENT ON {target} IS {literal(str(comment))}")
    grants: dict[int, list[tuple[str, str, bool]]] = {}
    for oid, privilege, grantee, grantable in conn.execute(
        text(
            f"SELECT c.oid, a.privilege_type, {GRANTEE}, a.is_grantable FROM pg_class c LEFT JOIN LATERAL "
            "aclexplode(c.relacl) a ON a.grantee <> c.relowner WHERE c.oid = ANY(:oids) AND c.relacl IS NOT NULL "
            "ORDER BY c.oid, a.grantee, a.privilege_type"
        ),
        {"oids": oids},
    ):
        entries = grants.setdefault(int(oid), [])
        if privilege is not None:
            entries.append((str(privilege), str(grantee), bool(grantable)))
    for oid, entries in grants.items():
        sql += grant_statements(f"TABLE {view[oid]}", entries)
    for query in _MADE_AGAIN:
        sql += [str(statement) for (statement,) in conn.execute(text(query), {"oids": oids})]
    return sql


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
