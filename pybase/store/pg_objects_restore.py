"""A backup's objects made with SQL (:mod:`pybase.store.pg_objects` reads them from the catalog)
checked, made again by a restore in its phases, and the target's own dropped first: the
database's objects become the backup's.

A manifest's statements are run as written (a restore is a superuser's act, as a table's
definition is), once :func:`check_objects` has found each one of its kind's (``KINDS``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pybase.store import pg_objects_kinds as kinds
from pybase.store.pg_objects import KINDS, PHASES, pybase_functions
from pybase.store.pg_tables import INTERNAL_PREFIX, quote, run

_NS = kinds.NS
_not_extension = kinds.not_extension


class ObjectsError(ValueError):
    """A list of objects that is not one :func:`read_objects` writes."""


class ObjectRefused(Exception):
    """Postgres refused to create an object (``kind``, ``name``); the driver's error is the cause."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name}")
        self.kind = kind
        self.name = name


def check_objects(objects: Any) -> None:
    """Raise ObjectsError unless ``objects`` has the shape :func:`read_objects` gives."""
    if not isinstance(objects, list):
        raise ObjectsError("a list of objects of an unknown shape")
    for obj in objects:
        ok = (
            isinstance(obj, dict)
            and obj.get("kind") in KINDS
            and obj.get("phase") in PHASES
            and isinstance(obj.get("name"), str)
            and isinstance(obj.get("sql"), list)
            and bool(obj["sql"])
            and all(isinstance(s, str) for s in obj["sql"])
        )
        if not ok:
            raise ObjectsError("an object of an unknown shape")
        for sql in obj["sql"]:
            if not sql.upper().startswith(tuple(prefix.upper() for prefix in KINDS[obj["kind"]])):
                raise ObjectsError(f"{obj['kind']} {obj['name']}: a statement that is not one of {obj['kind']}")


def collations(objects: list[dict[str, Any]], leave_out: bool = False) -> list[dict[str, Any]]:
    """The collations of ``objects`` (``leave_out``: the other objects): a restore makes every
    schema's first, before any table (a column may name one of another schema)."""
    return [obj for obj in objects if (obj["kind"] == "collation") != leave_out]


def create_objects(conn: Connection, objects: list[dict[str, Any]], phase: str) -> list[str]:
    """Create the objects of ``phase``, in their order (a function's body is checked when it
    runs, as pg_dump restores them: it may name a table made later). Returns the extensions
    left out: the server does not have them (what needs one then fails, naming itself)."""
    chosen = [obj for obj in objects if obj["phase"] == phase]
    missing: list[str] = []
    if not chosen:
        return missing
    conn.execute(text("SELECT set_config('check_function_bodies', 'off', true)"))
    for obj in chosen:
        if obj["kind"] == "extension" and not kinds.available(conn, obj["name"]):
            missing.append(obj["name"])
            continue
        try:
            for sql in obj["sql"]:
                run(conn, sql)
        except DBAPIError as ex:
            raise ObjectRefused(obj["kind"], obj["name"]) from ex
    conn.execute(text("SELECT set_config('check_function_bodies', 'on', true)"))
    return missing


# ---- dropping (a restore: the database's objects become the backup's) ------------------------


def drop_event_triggers(conn: Connection, schemas: list[str] | None = None) -> None:
    """Drop the event triggers whose function is one of the schema's or of ``schemas`` (an
    app's own, those a backup carries): first of all, so that none fires on the restore's
    statements (one that refuses a DROP would refuse the restore)."""
    names = [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT v.evtname FROM pg_event_trigger v JOIN pg_proc p ON p.oid = v.evtfoid "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                f"WHERE (p.pronamespace = {_NS} OR n.nspname = ANY(:s)) "
                f"AND {_not_extension('pg_event_trigger', 'v.oid')} ORDER BY v.oid"
            ),
            {"s": list(schemas or [])},
        )
    ]
    for name in names:
        run(conn, f"DROP EVENT TRIGGER IF EXISTS {quote(name)}")


def drop_views(conn: Connection, collection_views: set[str]) -> None:
    """Drop the views and materialized views made with SQL (a view collection's are pybase's)."""
    for kind, word in (("m", "MATERIALIZED VIEW"), ("v", "VIEW")):
        names = [
            str(r[0])
            for r in conn.execute(
                text(
                    f"SELECT c.relname FROM pg_class c WHERE c.relnamespace = {_NS} AND c.relkind = :k "
                    f"AND {_not_extension('pg_class', 'c.oid')} ORDER BY c.oid"
                ),
                {"k": kind},
            )
            if r[0] not in collection_views and not str(r[0]).startswith(INTERNAL_PREFIX)
        ]
        if names:
            # NOTE: CASCADE: a view collection reading one goes too (it is rebuilt)
            run(conn, f"DROP {word} IF EXISTS {', '.join(quote(n) for n in names)} CASCADE")


def drop_others(conn: Connection) -> None:
    """Drop the sequences no column owns, the functions, aggregates, operators, types and
    collations made with SQL (once the tables and views are gone: nothing of pybase's can need
    them; their rules, statistics and policies went with them). Extensions stay: the restore
    makes the backup's if they are missing, and dropping one could take what others need."""
    sequences = [
        str(r[0])
        for r in conn.execute(
            text(
                f"SELECT c.relname FROM pg_class c WHERE c.relnamespace = {_NS} AND c.relkind = 'S' "
                f"AND {_not_extension('pg_class', 'c.oid')} AND NOT EXISTS (SELECT 1 FROM pg_depend d "
                "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass "
                "AND d.deptype IN ('a', 'i'))"
            )
        )
        if not str(r[0]).startswith(INTERNAL_PREFIX)
    ]
    if sequences:
        run(conn, f"DROP SEQUENCE {', '.join(quote(n) for n in sequences)} CASCADE")
    ours = pybase_functions()
    routines = [
        str(r[1])
        for r in conn.execute(
            text(
                f"SELECT p.proname, p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = {_NS} "
                f"AND p.prokind IN ('f', 'p', 'w') AND {_not_extension('pg_proc', 'p.oid')}"
            )
        )
        if str(r[0]).lower() not in ours
    ]
    if routines:
        run(conn, f"DROP ROUTINE {', '.join(routines)} CASCADE")
    kinds.drop_casts(conn)  # NOTE: first: one may use a function, a type, or neither
    aggregates = [
        str(r[1])
        for r in conn.execute(
            text(
                f"SELECT p.proname, p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = {_NS} AND p.prokind = 'a' "
                f"AND {_not_extension('pg_proc', 'p.oid')}"
            )
        )
        if str(r[0]).lower() not in ours  # NOTE: pybase's own (pb_max, pb_min) stay, as its functions
    ]
    if aggregates:
        run(conn, f"DROP AGGREGATE {', '.join(aggregates)} CASCADE")
    operators = [
        f"{r[0]} ({r[1]}, {r[2]})"
        for r in conn.execute(
            text(
                "SELECT oprname, CASE WHEN oprleft <> 0 THEN format_type(oprleft, NULL) ELSE 'NONE' END, "
                f"CASE WHEN oprright <> 0 THEN format_type(oprright, NULL) ELSE 'NONE' END FROM pg_operator "
                f"WHERE oprnamespace = {_NS} AND {_not_extension('pg_operator', 'oid')}"
            )
        )
    ]
    if operators:
        run(conn, f"DROP OPERATOR IF EXISTS {', '.join(operators)} CASCADE")
    for kind, word in (("d", "DOMAIN"), ("e', 'r', 'c", "TYPE")):
        names = [
            str(r[0])
            for r in conn.execute(
                text(
                    f"SELECT t.typname FROM pg_type t WHERE t.typnamespace = {_NS} AND t.typtype IN ('{kind}') "
                    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid "
                    "AND d.deptype IN ('e', 'i')) "
                    "AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')"
                )
            )
        ]
        if names:
            run(conn, f"DROP {word} IF EXISTS {', '.join(quote(n) for n in names)} CASCADE")
    collations = [
        str(r[0])
        for r in conn.execute(
            text(f"SELECT collname FROM pg_collation WHERE collnamespace = {_NS} AND {_not_extension('pg_collation', 'oid')}")
        )
    ]
    if collations:
        run(conn, f"DROP COLLATION IF EXISTS {', '.join(quote(n) for n in collations)} CASCADE")
