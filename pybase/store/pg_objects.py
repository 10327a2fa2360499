"""The other objects of pybase's Postgres schema made with SQL: extensions, collations, types,
sequences, functions, aggregates, operators, casts, views, rules, extended statistics,
triggers, event triggers, row security, privileges and comments, read from the catalog for a
backup and rebuilt by its restore (:mod:`pybase.store.pg_objects_restore`).

A migration's ``$app.db().newQuery(...)`` or a Python app's own SQL can make, beside tables
(:mod:`pybase.store.pg_tables`): enums, domains, composite and range types; sequences no
column owns; functions and procedures in SQL, PL/pgSQL or another procedural language;
views and materialized views (not a view collection's: those are rebuilt from the
collections); triggers on any table or view; and (:mod:`pybase.store.pg_objects_kinds`)
extensions, collations, aggregates, operators, casts, rules, extended statistics, row security
policies and tables' ``ENABLE`` / ``FORCE ROW LEVEL SECURITY``, privileges (``GRANT``),
comments and the event triggers whose function is one of the schema's. A backup carries each
one as
the statements that create it again, the SQL Postgres itself gives where it has it
(``pg_get_functiondef``, ``pg_get_viewdef``, ``pg_get_triggerdef``, ``pg_get_ruledef``,
``pg_get_statisticsobjdef``, ``pg_get_constraintdef``, ``pg_get_expr``, ``format_type``), in
an order where each comes after what it needs (the catalog's dependencies, ``pg_depend``),
each with the phase of the restore it belongs to:

- ``before``: before the tables (extensions, collations, types, the sequences their defaults
  name, the functions, aggregates, operators and casts);
- ``after``: once the tables hold their rows (views, materialized views, rules, statistics, a
  function or type that needs a table);
- ``last``: after the view collections' views (what reads one of them) and the triggers (after
  the rows, so that copying the rows back fires none: pg_dump's order too);
- ``secure``: once the restore has counted the rows of every table, the row security policies
  and ``ENABLE`` / ``FORCE ROW LEVEL SECURITY`` (a count, a copy, are not filtered by them),
  the privileges and the comments;
- ``events``: the event triggers, last of all (the restore's own statements fire none; a
  restore drops the target's before anything else).

What cannot be carried is named with the reason, never silently left out: :func:`read_objects`
returns those as warnings (a function, base type, aggregate, operator or cast written in C:
its code is a library of the server, which a database cannot hold; an event trigger whose
function is not carried, a foreign table, an operator class, an owner other than pybase's
role...). The other schemas are read by the same pass, each made the current one in turn
(:mod:`pybase.core.backups.postgres_schemas`).

The objects of an extension and pybase's own functions (the ``pb_*`` helpers its SQL calls,
installed by every node) are neither carried nor dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from typing import Any

from sqlalchemy import Connection, text

from pybase.store import pg_objects_kinds as kinds
from pybase.store.pg_tables import INTERNAL_PREFIX, fetch, quote

#: the kinds of objects carried, and the statements each one's SQL may hold (a check of a
#: backup's manifest: SQL run as is on restore, as a table's definition is)
KINDS: dict[str, tuple[str, ...]] = {
    "sequence": ("CREATE SEQUENCE ", "SELECT setval("),
    "enum": ("CREATE TYPE ",),
    "composite": ("CREATE TYPE ",),
    "range": ("CREATE TYPE ",),
    "domain": ("CREATE DOMAIN ", "ALTER DOMAIN "),
    "extension": ("CREATE EXTENSION IF NOT EXISTS ", "CREATE SCHEMA IF NOT EXISTS "),
    "collation": ("CREATE COLLATION ",),
    "function": ("CREATE OR REPLACE FUNCTION ", "CREATE OR REPLACE PROCEDURE "),
    "aggregate": ("CREATE AGGREGATE ",),
    "operator": ("CREATE OPERATOR ",),
    "rule": ("CREATE RULE ",),
    "statistics": ("CREATE STATISTICS ",),
    "policy": ("CREATE POLICY ",),
    "rowsecurity": ("ALTER TABLE ",),
    "grant": ("GRANT ", "REVOKE ALL ON "),
    "comment": ("COMMENT ON ",),
    "cast": ("CREATE CAST ",),
    "view": ("CREATE VIEW ",),
    "matview": ("CREATE MATERIALIZED VIEW ", "CREATE INDEX ", "CREATE UNIQUE INDEX "),
    "trigger": ("CREATE TRIGGER ", "CREATE CONSTRAINT TRIGGER ", "ALTER TABLE "),
    "eventtrigger": ("CREATE EVENT TRIGGER ", "ALTER EVENT TRIGGER "),
}
PHASES = ("before", "after", "last", "secure", "events")
#: the kinds whose phase is theirs whatever they need (an index in PHASES)
_KIND_PHASES = {"trigger": 2, "policy": 3, "rowsecurity": 3, "grant": 3, "comment": 3, "eventtrigger": 4}
#: procedural languages whose functions are carried (their text is the whole function)
_NOT_CARRIED_LANGUAGES = ("c", "internal")
_NS = kinds.NS


def _collation(oid: str) -> str:
    """SQL: the collation ``oid`` as the schema's statements name it (quoted; qualified when it
    is another schema's than the current one, whose name alone would not find it: pg_catalog's
    are always found)."""
    return (
        f"(SELECT CASE WHEN l.collnamespace IN ({_NS}, 'pg_catalog'::regnamespace) THEN '' ELSE quote_ident(n.nspname) || '.' END "
        f"|| quote_ident(l.collname) FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace WHERE l.oid = {oid})"
    )


@cache
def pybase_functions() -> frozenset[str]:
    """The names of the SQL functions pybase installs itself (never an app's)."""
    from pybase.store.dialect import POSTGRES_HELPERS
    from pybase.store.dialect.pg_functions import HELPERS_MARK
    from pybase.store.index_sql import INDEX_HELPERS

    found = re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|AGGREGATE)\s+(\w+)", POSTGRES_HELPERS + INDEX_HELPERS, re.IGNORECASE)
    return frozenset(name.lower() for name in found) | {HELPERS_MARK}


_not_extension = kinds.not_extension
_literal = kinds.literal


# ---- reading ---------------------------------------------------------------------------------


class _Reader:
    """One pass over the catalog of the current schema (in the caller's snapshot)."""

    def __init__(self, conn: Connection, collection_views: set[str]) -> None:
        self.conn = conn
        self.collection_views = collection_views
        self.schema = str(conn.execute(text("SELECT quote_ident(current_schema())")).scalar())
        self.objects: dict[tuple[str, int], dict[str, Any]] = {}  # (catalog, oid) -> object
        self.members: dict[tuple[str, int], tuple[str, int]] = {}  # a part's (catalog, oid) -> its object's key
        self.warnings: list[str] = []
        self._elements: dict[int, int] = {}  # an array type's oid -> its element type's (0: none)
        self.skipped_functions: set[int] = set()  # functions of the schema not carried (in C)
        self.after_rows: set[tuple[str, int]] = set()  # objects made once the rows are in (phase "after" at least)
        self.extension_members: dict[tuple[str, int], tuple[str, int]] = {}  # an extension's object -> its key

    def rows(self, sql: str, **params: Any) -> list[Any]:
        return list(self.conn.execute(text(sql), params).all())

    def add(self, catalog: str, oid: int, kind: str, name: str, sql: list[str], *parts: tuple[str, int]) -> None:
        key = (catalog, oid)
        self.objects[key] = {"kind": kind, "name": name, "sql": sql, "oid": oid}
        self.members[key] = key
        for part in parts:
            self.members[part] = key

    # ---- types ---------------------------------------------------------------------------

    def types(self) -> None:
        for oid, name, kind, relid, _base, base_type, not_null, default, collation in self.rows(
            "SELECT t.oid, t.typname, t.typtype, t.typrelid, t.typbasetype, format_type(t.typbasetype, t.typtypmod), "
            "t.typnotnull, t.typdefault, CASE WHEN t.typtype = 'd' AND t.typcollation <> "
            "(SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype) "
            "THEN " + _collation("t.typcollation") + " END "
            f"FROM pg_type t WHERE t.typnamespace = {_NS} "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid "
            "AND d.deptype IN ('e', 'i')) "
            "AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') ORDER BY t.oid"
        ):
            oid, name = int(oid), str(name)
            if kind == "e":
                labels = [str(r[0]) for r in self.rows("SELECT enumlabel FROM pg_enum WHERE enumtypid = :o ORDER BY enumsortorder", o=oid)]
                listed = ", ".join(_literal(label) for label in labels)
                self.add("pg_type", oid, "enum", name, [f"CREATE TYPE {quote(name)} AS ENUM ({listed})"])
            elif kind == "c":
                attributes = [
                    f"{quote(str(r[0]))} {r[1]}" + (f" COLLATE {r[2]}" if r[2] else "")
                    for r in self.rows(
                        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attcollation <> t.typcollation "
                        "THEN " + _collation("a.attcollation") + " END "
                        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                        "WHERE a.attrelid = :r AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                        r=int(relid),
                    )
                ]
                sql = f"CREATE TYPE {quote(name)} AS ({', '.join(attributes)})"
                self.add("pg_type", oid, "composite", name, [sql], ("pg_class", int(relid)))
            elif kind == "d":
                head = f"CREATE DOMAIN {quote(name)} AS {base_type}"
                head += f" COLLATE {collation}" if collation else ""
                head += f" DEFAULT {default}" if default is not None else ""
                head += " NOT NULL" if not_null else ""
                sql, parts, later = [head], [], []
                for con_oid, con_name, definition in self.rows(
                    "SELECT oid, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = :o AND contype = 'c' "
                    "ORDER BY oid",
                    o=oid,
                ):
                    statement = f"ALTER DOMAIN {quote(name)} ADD CONSTRAINT {quote(str(con_name))} {definition}"
                    if str(definition).endswith(" NOT VALID"):
                        later.append((int(con_oid), str(con_name), statement))
                        continue
                    sql.append(statement)
                    parts.append(("pg_constraint", int(con_oid)))
                self.add("pg_type", oid, "domain", name, sql, *parts)
                for con_oid, con_name, statement in later:
                    # NOTE: NOT VALID: the rows may break it; added once they are in (as pg_dump)
                    self.add("pg_constraint", con_oid, "domain", f"{name} constraint {con_name}", [statement])
                    self.after_rows.add(("pg_constraint", con_oid))
            elif kind == "r":
                self._range(oid, name)
            else:
                what = {"b": "a base type (its input and output functions are in C)", "p": "a pseudo-type"}.get(
                    str(kind), f"a type of kind {kind!r}"
                )
                self.warnings.append(f"type {name}: {what}")

    def _range(self, oid: int, name: str) -> None:
        subtype, collation, canonical, diff, multirange = self.rows(
            "SELECT format_type(r.rngsubtype, NULL), CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> "
            "(SELECT s.typcollation FROM pg_type s WHERE s.oid = r.rngsubtype) "
            "THEN " + _collation("r.rngcollation") + " END, "
            "r.rngcanonical::oid, CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END, "
            "(SELECT quote_ident(m.typname) FROM pg_type m WHERE m.oid = r.rngmultitypid) "
            "FROM pg_range r WHERE r.rngtypid = :o",
            o=oid,
        )[0]
        if int(canonical):
            self.warnings.append(f"type {name}: a range type with a canonical function (written in C)")
            return
        options = [f"SUBTYPE = {subtype}"]
        options += [f"COLLATION = {collation}"] if collation else []
        options += [f"SUBTYPE_DIFF = {diff}"] if diff else []
        options += [f"MULTIRANGE_TYPE_NAME = {multirange}"] if multirange else []
        self.add("pg_type", oid, "range", name, [f"CREATE TYPE {quote(name)} AS RANGE ({', '.join(options)})"])

    # ---- sequences, functions --------------------------------------------------------------

    def sequences(self) -> None:
        for oid, name, kind, increment, start, low, high, cycle in self.rows(
            "SELECT c.oid, c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqstart, s.seqmin, s.seqmax, "
            "s.seqcycle FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid "
            f"WHERE c.relnamespace = {_NS} AND c.relkind = 'S' AND {_not_extension('pg_class', 'c.oid')} "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) ORDER BY c.oid"
        ):
            name = str(name)
            if name.startswith(INTERNAL_PREFIX):
                continue
            last, called = fetch(self.conn, f"SELECT last_value, is_called FROM {quote(name)}")[0]
            cycle_sql = "CYCLE" if cycle else "NO CYCLE"
            sql = [
                f"CREATE SEQUENCE {quote(name)} AS {kind} INCREMENT BY {int(increment)} MINVALUE {int(low)} "
                f"MAXVALUE {int(high)} START WITH {int(start)} {cycle_sql}",
                f"SELECT setval({_literal(quote(name))}, {int(last)}, {'true' if called else 'false'})",
            ]
            self.add("pg_class", int(oid), "sequence", name, sql)

    def functions(self) -> None:
        ours = pybase_functions()
        for oid, name, prokind, language, signature in self.rows(
            "SELECT p.oid, p.proname, p.prokind, l.lanname, p.oid::regprocedure::text FROM pg_proc p "
            f"JOIN pg_language l ON l.oid = p.prolang WHERE p.pronamespace = {_NS} "
            f"AND {_not_extension('pg_proc', 'p.oid')} ORDER BY p.oid"
        ):
            name = str(name)
            if name.lower() in ours:
                continue
            if prokind == "a":
                continue  # NOTE: pg_objects_kinds.aggregates
            if prokind == "w" or language in _NOT_CARRIED_LANGUAGES:
                self.skipped_functions.add(int(oid))
                # NOTE: its code is a compiled library of the server (or the server's own), which no
                # backup can carry portably: another server's build, CPU or Postgres major differ
                self.warnings.append(
                    f"function {signature}: written in {language} (a library of the server, which a backup cannot "
                    "carry: install it on the target server and make the function again by hand)"
                )
                continue
            sql = str(self.rows("SELECT pg_get_functiondef(:o)", o=int(oid))[0][0]).strip()
            # NOTE: Postgres names the function with its schema: rebuilt in the target's current one
            for word in ("FUNCTION", "PROCEDURE"):
                sql = sql.replace(f"CREATE OR REPLACE {word} {self.schema}.", f"CREATE OR REPLACE {word} ", 1)
            self.add("pg_proc", int(oid), "function", str(signature), [sql])

    # ---- views, triggers ---------------------------------------------------------------------

    def views(self) -> None:
        for oid, name, kind, options, populated in self.rows(
            "SELECT c.oid, c.relname, c.relkind, array_to_string(c.reloptions, ', '), c.relispopulated FROM pg_class c "
            f"WHERE c.relnamespace = {_NS} AND c.relkind IN ('v', 'm') AND {_not_extension('pg_class', 'c.oid')} "
            "ORDER BY c.oid"
        ):
            name = str(name)
            if name in self.collection_views or name.startswith(INTERNAL_PREFIX):
                continue
            query = str(self.rows("SELECT pg_get_viewdef(CAST(:o AS oid))", o=int(oid))[0][0]).strip().rstrip(";")
            with_options = f" WITH ({options})" if options else ""
            rules = [
                ("pg_rewrite", int(r[0]))
                for r in self.rows("SELECT oid FROM pg_rewrite WHERE ev_class = :o AND rulename = '_RETURN'", o=int(oid))
            ]
            if kind == "v":
                self.add("pg_class", int(oid), "view", name, [f"CREATE VIEW {quote(name)}{with_options} AS {query}"], *rules)
                continue
            data = "WITH DATA" if populated else "WITH NO DATA"
            sql = [f"CREATE MATERIALIZED VIEW {quote(name)}{with_options} AS {query} {data}"]
            sql += self.indexes(int(oid), name)
            self.add("pg_class", int(oid), "matview", name, sql, *rules)

    def indexes(self, oid: int, name: str) -> list[str]:
        # NOTE: Postgres quotes a name only where it must (quote_ident)
        qualified = f"{self.schema}.{self.rows('SELECT quote_ident(:n)', n=name)[0][0]}"
        found = []
        for (sql,) in self.rows("SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = :o ORDER BY indexrelid", o=oid):
            found.append(str(sql).replace(f" ON {qualified} ", f" ON {quote(name)} ", 1))
        return found

    def triggers(self) -> None:
        for oid, name, table, sql, enabled in self.rows(
            "SELECT t.oid, t.tgname, c.relname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t "
            f"JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = {_NS} AND NOT t.tgisinternal "
            f"AND t.tgparentid = 0 AND {_not_extension('pg_class', 'c.oid')} ORDER BY t.oid"
        ):
            table = str(table)
            if table.startswith(INTERNAL_PREFIX):
                continue
            qualified = f"{self.schema}.{self.rows('SELECT quote_ident(:n)', n=table)[0][0]}"
            statements = [str(sql).replace(f" ON {qualified} ", f" ON {quote(table)} ", 1)]
            toggle = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(str(enabled))
            if toggle:
                statements.append(f"ALTER TABLE {quote(table)} {toggle} TRIGGER {quote(str(name))}")
            self.objects[("pg_trigger", int(oid))] = {
                "kind": "trigger", "name": f"{name} on {table}", "sql": statements, "oid": int(oid),
            }  # fmt: skip

    # ---- what is not carried ---------------------------------------------------------------

    def not_carried(self, whole_database: bool) -> None:
        checks = [
            (f"SELECT relname FROM pg_class WHERE relnamespace = {_NS} AND relkind = 'f' ORDER BY oid",
             "foreign table {}: not carried (its rows are on a foreign server, whose definition and user mapping "
             "are outside the schema)"),
            (f"SELECT opcname FROM pg_opclass WHERE opcnamespace = {_NS} AND {_not_extension('pg_opclass', 'oid')} "
             "ORDER BY oid", "operator class {}: not carried (index access methods' support is made by hand)"),
            (f"SELECT opfname FROM pg_opfamily WHERE opfnamespace = {_NS} AND {_not_extension('pg_opfamily', 'oid')} "
             "AND NOT EXISTS (SELECT 1 FROM pg_opclass c WHERE c.opcfamily = pg_opfamily.oid) ORDER BY oid",
             "operator family {}: not carried (index access methods' support is made by hand)"),
            ("SELECT CASE WHEN defaclrole = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(defaclrole) END FROM pg_default_acl "
             f"WHERE defaclnamespace IN (0, {_NS}) ORDER BY oid",
             "default privileges of {}: not carried (ALTER DEFAULT PRIVILEGES: make them again by hand)"),
            (f"SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = {_NS} AND {_not_extension('pg_ts_config', 'oid')} "
             "ORDER BY oid", "text search configuration {}: not carried (make it again by hand)"),
            (f"SELECT dictname FROM pg_ts_dict WHERE dictnamespace = {_NS} AND {_not_extension('pg_ts_dict', 'oid')} "
             "ORDER BY oid", "text search dictionary {}: not carried (make it again by hand)"),
        ]  # fmt: skip
        if whole_database:  # NOTE: the database's, not a schema's: named once
            checks += [
                ("SELECT 'ALTER DATABASE ... SET ' || array_to_string(setconfig, ', ') FROM pg_db_role_setting "
                 "WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0",
                 "database settings ({}): not carried (the target database's own apply)"),
                ("SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database "
                 "WHERE datname = current_database()) ORDER BY oid",
                 "subscription {}: not carried (logical replication is set up on the server, by hand)"),
                ("SELECT string_agg(DISTINCT pg_get_userbyid(a.grantee), ', ') FROM pg_namespace n, aclexplode(n.nspacl) a "
                 "WHERE n.oid = quote_ident(current_schema())::regnamespace AND a.grantee NOT IN (0, n.nspowner) HAVING count(*) > 0",
                 "privileges on the schema itself (GRANT ... ON SCHEMA to {}): not carried (the target's schema keeps its own)"),
                ("SELECT pubname FROM pg_publication ORDER BY oid",
                 "publication {}: not carried (logical replication is set up on the server, by hand)"),
            ]  # fmt: skip
        for sql, message in checks:
            for (what,) in self.rows(sql):
                self.warnings.append(message.format(what))
        kinds.owners(self)

    # ---- order ---------------------------------------------------------------------------

    def ordered(self) -> list[dict[str, Any]]:
        """The objects, each after what it needs, with its phase."""
        needs: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
        phase: dict[tuple[str, int], int] = {}
        catalogs: dict[str, list[int]] = defaultdict(list)
        for catalog, oid in self.members:
            catalogs[catalog].append(oid)
        tables, collection_views = self._relations()
        for catalog, oids in catalogs.items():
            for objid, ref_catalog, ref in self.rows(
                "SELECT d.objid, d.refclassid::regclass::text, d.refobjid FROM pg_depend d "
                "WHERE d.classid = CAST(:c AS regclass) AND d.objid = ANY(:o) AND d.deptype IN ('n', 'a')",
                c=catalog, o=oids,
            ):
                owner = self.members[(catalog, int(objid))]
                target = self._resolve(str(ref_catalog), int(ref))
                if target is not None and target != owner:
                    needs[owner].add(target)
                elif ref_catalog == "pg_class" and int(ref) in collection_views:
                    phase[owner] = 2
                elif ref_catalog == "pg_class" and int(ref) in tables:
                    phase[owner] = max(phase.get(owner, 0), 1)
                elif ref_catalog == "pg_type" and int(ref) in tables.values():
                    phase[owner] = max(phase.get(owner, 0), 1)
        for key, obj in self.objects.items():
            if obj["kind"] in ("view", "matview", "rule", "statistics") or key in self.after_rows:
                phase[key] = max(phase.get(key, 0), 1)
            phase[key] = _KIND_PHASES.get(obj["kind"], phase.get(key, 0))
        order = _topological(self.objects, needs)
        for key in order:  # NOTE: what needs a later object is no earlier than it
            for need in needs[key]:
                phase[key] = max(phase.get(key, 0), phase.get(need, 0))
        out = []
        for key in order:
            obj = dict(self.objects[key])
            obj.pop("oid")
            obj["phase"] = PHASES[phase.get(key, 0)]
            out.append(obj)
        return out

    def _relations(self) -> tuple[dict[int, int], set[int]]:
        """The tables of the schema (oid -> row type oid) and the view collections' views (oids)."""
        tables = {
            int(r[0]): int(r[1])
            for r in self.rows(f"SELECT oid, reltype FROM pg_class WHERE relnamespace = {_NS} AND relkind IN ('r', 'p')")
        }
        views = {
            int(r[0])
            for r in self.rows(f"SELECT oid, relname FROM pg_class WHERE relnamespace = {_NS} AND relkind = 'v'")
            if r[1] in self.collection_views
        }
        return tables, views

    def _resolve(self, catalog: str, oid: int) -> tuple[str, int] | None:
        """The carried object a dependency points at (an array type: its element's; an
        extension's object: the extension)."""
        found = self.members.get((catalog, oid)) or self.extension_members.get((catalog, oid))
        if found is None and catalog == "pg_type":
            if oid not in self._elements:
                element = self.rows("SELECT typelem FROM pg_type WHERE oid = :o AND typcategory = 'A'", o=oid)
                self._elements[oid] = int(element[0][0]) if element else 0
            element = ("pg_type", self._elements[oid])
            found = self.members.get(element) or self.extension_members.get(element)
        return found


def _topological(objects: dict[tuple[str, int], dict[str, Any]], needs: dict[tuple[str, int], set[tuple[str, int]]]) -> list[tuple[str, int]]:
    """The objects in creation order (oid order where nothing decides); a cycle keeps oid order."""
    pending = sorted(objects, key=lambda key: (key[0] != "pg_extension", key[0] == "pg_trigger", key[1]))
    done: set[tuple[str, int]] = set()
    order: list[tuple[str, int]] = []
    while pending:
        ready = next((key for key in pending if needs[key] <= done | {key}), pending[0])
        pending.remove(ready)
        done.add(ready)
        order.append(ready)
    return order


def read_objects(
    conn: Connection, collection_views: set[str], whole_database: bool = True, schemas: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects of the current schema made with SQL (JSON-ready, in creation order) and what
    cannot be carried (one sentence each). ``collection_views``: the views pybase rebuilds;
    ``whole_database``: also name what is the database's (publications...), once; ``schemas``:
    the other schemas the backup carries (their event triggers are theirs)."""
    reader = _Reader(conn, collection_views)
    if whole_database:  # NOTE: the database's: made once, before any schema's objects
        kinds.extensions(reader)
    kinds.collations(reader)
    reader.types()
    reader.sequences()
    reader.functions()
    kinds.aggregates(reader, pybase_functions())
    kinds.operators(reader)
    kinds.casts(reader)
    reader.views()
    kinds.rules(reader)
    kinds.statistics(reader)
    reader.triggers()
    kinds.event_triggers(reader, schemas if whole_database else None)
    kinds.row_security(reader)
    routines = {oid for (catalog, oid), obj in reader.objects.items() if catalog == "pg_proc"}
    types = {oid: obj["kind"] for (catalog, oid), obj in reader.objects.items() if catalog == "pg_type"}
    kinds.privileges(reader, routines, types)
    kinds.comments(reader, pybase_functions())
    reader.not_carried(whole_database)
    return reader.ordered(), reader.warnings
