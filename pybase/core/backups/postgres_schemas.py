"""The other schemas of a Postgres backup: those an app made with SQL beside the one pybase
works in (``CREATE SCHEMA reporting`` in the SQL console or a migration, then its tables,
views, functions...), carried whole.

Each schema is read, and made again, the way pybase's own schema's tables and objects are
(:mod:`pybase.store.pg_tables`, :mod:`pybase.store.pg_objects`), with that schema as the
current one (``search_path``): its tables with their definitions and rows, its other objects
in their phases, and its ``GRANT ... ON SCHEMA``. A manifest lists them in ``schemas``::

    {"name": "reporting", "grants": [...], "tables": [{"name", "file", "columns", "rows",
     "definition"}, ...], "objects": [...]}

A restore drops the schemas the backup carries (``DROP SCHEMA ... CASCADE``: the target's
become the backup's) and leaves the target's others alone: it is refused when the target's
schema of that name is pybase's own or holds another pybase app, or when something of the
target's other schemas depends on it (the drop would take it, and the backup cannot give it back). It makes each schema and its
collations before any table (a column or a type of any schema may name a collation of another
one; a column names it with its schema, see pg_tables), its other ``before`` objects once
pybase's schema's are made, its tables and other objects once pybase's
tables made with SQL hold their rows (before pybase's views: one may read them), its row
security and privileges, then its event triggers last. A schema holding another pybase app
(its ``_collections``) is not carried: that app is backed up by itself; nor is one another
role owns (pybase's role may not read it).

Limits: what one schema's objects name in another is written with that schema's name, as
Postgres prints it (``public.posts``): the target's pybase schema must be called the same
(pybase's own schema's objects are written unqualified, made in whatever schema it works in);
an object of another schema that reads one of pybase's views made with SQL or a view
collection's view is made before those, and is refused (the restore fails, naming it).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from pybase.store import pg_objects, pg_objects_restore, pg_tables
from pybase.store.pg_objects_kinds import GRANTEE, grant_statements
from pybase.store.pg_tables import quote

#: (conn, zf, source SQL, columns, order, member, name) -> a table's manifest entry
DumpRows = Callable[[Connection, zipfile.ZipFile, str, list[str], str, str, str], dict[str, Any]]


class SchemasError(ValueError):
    """A manifest's ``schemas`` of an unknown shape; the message says what."""


def other_schemas(conn: Connection) -> list[tuple[str, str]]:
    """The schemas other than the current one holding a table, a view, a sequence, a routine, a
    domain, enum or range type or a collation made with SQL (not an extension's), in creation
    order: (name, why it is not carried: "" when it is)."""
    rows = conn.execute(
        text(
            "SELECT n.nspname, CASE WHEN EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid "
            "AND c.relname = '_collections' AND c.relkind = 'r') "
            "THEN 'it holds another pybase app: back that app up itself' "
            # NOTE: another role's (a DBA's): pybase's role may not read it; as pg_dump --schema, by hand
            "WHEN NOT pg_has_role(n.nspowner, 'USAGE') THEN 'it is owned by ' || quote_ident(pg_get_userbyid(n.nspowner)) "
            "|| ', not pybase''s role: dump it with pg_dump' ELSE '' END FROM pg_namespace n "
            "WHERE n.oid <> quote_ident(current_schema())::regnamespace AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_%' "
            f"AND (EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND {pg_objects.kinds.not_extension('pg_class', 'c.oid')}) "
            f"OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid AND {pg_objects.kinds.not_extension('pg_proc', 'p.oid')}) "
            # NOTE: a schema of types alone (an enum a table of pybase's schema uses) is carried too
            "OR EXISTS (SELECT 1 FROM pg_type t WHERE t.typnamespace = n.oid AND t.typtype IN ('d', 'e', 'r') "
            f"AND {pg_objects.kinds.not_extension('pg_type', 't.oid')}) "
            f"OR EXISTS (SELECT 1 FROM pg_collation o WHERE o.collnamespace = n.oid AND {pg_objects.kinds.not_extension('pg_collation', 'o.oid')})) "
            "ORDER BY n.oid"
        )
    ).all()
    return [(str(name), str(why)) for name, why in rows]


def _current(conn: Connection, schema: str | None, saved: str) -> None:
    """Make ``schema`` the current one (None: back to ``saved``, the transaction's search_path).
    NOTE: never in a ``finally``: after a failure the transaction is lost anyway, and a statement
    there would answer "transaction is aborted" in place of the failure."""
    path = saved if schema is None else quote(schema)
    conn.execute(text("SELECT set_config('search_path', :p, true)"), {"p": path})


def _search_path(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_setting('search_path')")).scalar())


# ---- dump -----------------------------------------------------------------------------------


def dump(conn: Connection, zf: zipfile.ZipFile, dump_dir: str, dump_rows: DumpRows) -> tuple[list[dict[str, Any]], list[str]]:
    """The other schemas (manifest entries, their rows written into ``zf``) and what is not
    carried of them (sentences)."""
    carried, warnings = [], []
    schemas = other_schemas(conn)
    saved = _search_path(conn)
    for number, (schema, why) in enumerate(schemas, 1):
        if why:
            warnings.append(f"schema {schema}: not carried ({why})")
            continue
        grants = _grants(conn, schema)
        _current(conn, schema, saved)
        names = pg_tables.base_tables(conn)
        if names:
            pg_tables.run(conn, "LOCK TABLE " + ", ".join(quote(n) for n in names) + " IN ACCESS SHARE MODE")
        entries = []
        for index, name in enumerate(names, 1):
            definition = pg_tables.read_definition(conn, name)
            member = f"{dump_dir}/_schema{number}_table{index}.copy"
            if definition.get("partitionBy"):
                zf.writestr(member, b"")
                rows = int(pg_tables.fetch(conn, f"SELECT count(*) FROM {quote(name)}")[0][0] or 0)
                entry = {"name": name, "file": member, "columns": [], "rows": rows}
            else:
                columns = pg_tables.copied_columns(definition)
                entry = dump_rows(conn, zf, f"ONLY {quote(name)}", columns, "", member, name)
            entries.append({**entry, "definition": definition})
        objects, found = pg_objects.read_objects(conn, set(), whole_database=False)
        _current(conn, None, saved)
        warnings += [f"schema {schema}: {what}" for what in found]
        carried.append({"name": schema, "grants": grants, "tables": entries, "objects": objects})
    return carried, warnings


def _grants(conn: Connection, schema: str) -> list[str]:
    """``GRANT ... ON SCHEMA`` to roles other than its owner (none: the schema's defaults)."""
    entries = [
        (str(r[0]), str(r[1]), bool(r[2]))
        for r in conn.execute(
            text(
                f"SELECT a.privilege_type, {GRANTEE}, a.is_grantable FROM pg_namespace n, aclexplode(n.nspacl) a "
                "WHERE n.nspname = :s AND a.grantee <> n.nspowner ORDER BY a.grantee, a.privilege_type"
            ),
            {"s": schema},
        )
    ]
    return grant_statements(f"SCHEMA {quote(schema)}", entries) if entries else []


# ---- restore --------------------------------------------------------------------------------


def check(schemas: Any, root: str, dump_dir: str, valid_entry: Callable[[Any], bool]) -> None:
    """Raise SchemasError unless ``schemas`` has the shape :func:`dump` gives, its files there."""
    if not isinstance(schemas, list):
        raise SchemasError("a list of schemas of an unknown shape")
    names = [schema.get("name") for schema in schemas if isinstance(schema, dict)]
    if len(set(names)) != len(names):
        raise SchemasError("a schema listed twice")
    for schema in schemas:
        ok = (
            isinstance(schema, dict)
            and isinstance(schema.get("name"), str)
            and isinstance(schema.get("tables"), list)
            and all(valid_entry(t) and isinstance(t.get("definition"), dict) for t in schema["tables"])
            and isinstance(schema.get("grants", []), list)
            and all(isinstance(g, str) and g.upper().startswith(("GRANT ", "REVOKE ALL ON SCHEMA ")) for g in schema.get("grants", []))
        )
        if not ok:
            raise SchemasError("a schema of an unknown shape")
        name = schema["name"]
        tables = [entry["name"] for entry in schema["tables"]]
        if len(set(tables)) != len(tables):
            raise SchemasError(f"schema {name}: a table listed twice")
        try:
            pg_objects_restore.check_objects(schema.get("objects", []))
            for entry in schema["tables"]:
                pg_tables.check_definition(entry["definition"])
        except (pg_objects_restore.ObjectsError, pg_tables.TableDefinitionError) as ex:
            raise SchemasError(f"schema {name}: {ex}") from ex
        for entry in schema["tables"]:
            if os.path.dirname(entry["file"]) != dump_dir or not os.path.isfile(os.path.join(root, entry["file"])):
                raise SchemasError(f"schema {name}: the rows of {entry['name']} ({entry['file']}) are missing")


def drop(conn: Connection, schemas: list[dict[str, Any]]) -> None:
    """Drop the schemas the backup carries (CASCADE: what reads them goes too: pybase's own
    schema's objects are made again, its collections' tables rebuilt). SchemasError, nothing
    dropped, when one of the target's is pybase's own, holds another pybase app, or when
    something of the target's other schemas would go with them (the backup cannot give it back)."""
    names = [schema["name"] for schema in schemas]
    if not names:
        return
    _refuse_drop(conn, names)
    pg_tables.run(conn, f"DROP SCHEMA IF EXISTS {', '.join(quote(n) for n in names)} CASCADE")


#: the parts of a table (a view's rule, a trigger, a column's default, a policy) as the table
_OWNER = (
    "CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid) "
    "WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid) "
    "WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid) "
    "WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid) END"
)


def _refuse_drop(conn: Connection, names: list[str]) -> None:
    """Raise SchemasError when dropping the target's schemas ``names`` (CASCADE) would take
    what the restore does not make again."""
    for name, why in conn.execute(
        text(
            "SELECT n.nspname, CASE WHEN n.oid = quote_ident(current_schema())::regnamespace THEN 'it is the schema pybase works in' "
            "ELSE 'it holds another pybase app' END FROM pg_namespace n WHERE n.nspname = ANY(:s) "
            "AND (n.oid = quote_ident(current_schema())::regnamespace OR EXISTS (SELECT 1 FROM pg_class c "
            "WHERE c.relnamespace = n.oid AND c.relname = '_collections' AND c.relkind = 'r')) ORDER BY n.oid"
        ),
        {"s": names},
    ):
        raise SchemasError(f"schema {name} of this database would be dropped, and {why}")
    # NOTE: what a schema kept (not the backup's, not pybase's own: made again) holds that
    # depends on an object of one dropped: DROP SCHEMA ... CASCADE would take it silently
    kept = [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT DISTINCT CASE WHEN o.owner IS NULL THEN pg_describe_object(d.classid, d.objid, d.objsubid) "
                "ELSE pg_describe_object('pg_class'::regclass, o.owner, 0) END FROM pg_depend d "
                f"CROSS JOIN LATERAL (SELECT {_OWNER} AS owner) o "
                "CROSS JOIN LATERAL pg_identify_object(CASE WHEN o.owner IS NULL THEN d.classid ELSE 'pg_class'::regclass END, "
                "coalesce(o.owner, d.objid), 0) dependent "
                "CROSS JOIN LATERAL pg_identify_object(d.refclassid, d.refobjid, 0) referenced "
                # NOTE: pg_identify_object names a schema as an identifier (quoted where it needs it)
                "WHERE d.deptype IN ('n', 'a') AND (referenced.schema IN (SELECT quote_ident(s) FROM unnest(CAST(:s AS text[])) s) "
                "OR (d.refclassid = 'pg_namespace'::regclass AND d.refobjid IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(:s)))) "
                "AND dependent.schema IS NOT NULL AND dependent.schema NOT IN (SELECT quote_ident(s) FROM unnest(CAST(:s AS text[])) s) "
                "AND dependent.schema <> quote_ident(current_schema()) ORDER BY 1"
            ),
            {"s": names},
        )
    ]
    if kept:
        raise SchemasError(
            f"dropping the schema(s) {', '.join(names)} of this database, as the backup holds them, would drop "
            f"{'; '.join(kept)}: of another schema, not in the backup (move or drop it first)"
        )


def create_collations(conn: Connection, schemas: list[dict[str, Any]]) -> None:
    """Make each schema and its collations, before any table of any schema (a column, a type
    may name a collation of another schema)."""
    saved = _search_path(conn)
    for schema in schemas:
        # NOTE: IF NOT EXISTS, as a restore has always made them (an extension may make its own)
        pg_tables.run(conn, f"CREATE SCHEMA IF NOT EXISTS {quote(schema['name'])}")
        _current(conn, schema["name"], saved)
        pg_objects_restore.create_objects(conn, pg_objects_restore.collations(schema.get("objects", [])), "before")
        _current(conn, None, saved)


def create_schemas(conn: Connection, schemas: list[dict[str, Any]]) -> list[str]:
    """Make each schema's ``before`` objects but its collations (:func:`create_collations`
    made them, and the schema); returns the extensions left out."""
    missing: list[str] = []
    saved = _search_path(conn)
    for schema in schemas:
        _current(conn, schema["name"], saved)
        objects = pg_objects_restore.collations(schema.get("objects", []), leave_out=True)
        missing += pg_objects_restore.create_objects(conn, objects, "before")
        _current(conn, None, saved)
    return missing


def fill(conn: Connection, schemas: list[dict[str, Any]], copy_in: Callable[[Connection, dict[str, Any]], None]) -> None:
    """The schemas' tables, with their rows, then their objects of the phases ``after`` and
    ``last``, their row counts checked (``copy_in``: the restore's COPY of a table's rows)."""
    saved = _search_path(conn)
    for schema in schemas:
        _current(conn, schema["name"], saved)
        for entry in schema["tables"]:
            pg_tables.create_table(conn, entry["name"], entry["definition"])
            copy_in(conn, entry)
        pg_tables.finish_tables(conn, {entry["name"]: entry["definition"] for entry in schema["tables"]})
        for phase in ("after", "last"):
            pg_objects_restore.create_objects(conn, schema.get("objects", []), phase)
        for entry in schema["tables"]:
            only = "" if entry["definition"].get("partitionBy") else "ONLY "
            count = int(pg_tables.fetch(conn, f"SELECT count(*) FROM {only}{quote(entry['name'])}")[0][0] or 0)
            if count != entry["rows"]:
                raise SchemasError(
                    f"the restored table {schema['name']}.{entry['name']} holds {count} rows where the backup lists {entry['rows']}"
                )
        _current(conn, None, saved)


def finish(conn: Connection, schemas: list[dict[str, Any]], phase: str) -> None:
    """The schemas' objects of ``phase`` (``secure`` also: the schema's grants)."""
    saved = _search_path(conn)
    for schema in schemas:
        _current(conn, schema["name"], saved)
        pg_objects_restore.create_objects(conn, schema.get("objects", []), phase)
        if phase == "secure":
            for sql in schema.get("grants", []):
                pg_tables.run(conn, sql)
        _current(conn, None, saved)
