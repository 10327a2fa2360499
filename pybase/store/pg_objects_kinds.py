"""The objects made with SQL that a Postgres backup carries besides types, sequences, functions,
views and triggers (:mod:`pybase.store.pg_objects`): extensions, collations, aggregates,
operators, rules, extended statistics, row security (policies, ``ENABLE`` / ``FORCE ROW
LEVEL SECURITY``), casts, privileges (``GRANT``) and comments (``COMMENT ON``, named by
``pg_identify_object``), each read from the catalog as the statements that make it again.

Where Postgres writes the statement itself it is used (``pg_get_ruledef``,
``pg_get_statisticsobjdef``, ``pg_get_expr`` for a policy's expressions); Postgres has no
``pg_get_*def`` for a collation, an aggregate or an operator: theirs are written from their
catalog rows (``pg_collation``, ``pg_aggregate``, ``pg_operator``), every option Postgres keeps.

- An extension is carried as ``CREATE EXTENSION IF NOT EXISTS`` (the target's version of it;
  its own objects are never dumped: the extension makes them); one the target server does not
  have is left out of the restore and named (:func:`available`).
- An aggregate or an operator whose functions are not carried (written in C) is named, not
  carried; a shell operator (named as a commutator, never defined) is made by its user.
- A policy or a privilege names its roles (roles are the server's, not the database's): a role
  the target server lacks makes the restore fail, naming the object.
- Privileges: those an object's ACL grants to roles other than its owner, on the tables (the
  collections' too), views, sequences and their columns, the routines and the types of the
  schema; an ACL that is there at all starts with ``REVOKE ALL ... FROM PUBLIC`` (a function's
  default ``EXECUTE`` for everyone taken back comes back taken). Who granted, and what an owner
  took from itself, are not carried.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, text

from pybase.store.pg_indexes import INDEX_MARK
from pybase.store.pg_tables import INTERNAL_PREFIX, quote, run

NS = "quote_ident(current_schema())::regnamespace"
# NOTE: 'i': a part of another object (a range type's constructors), made and dropped with it
_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = {cat}::regclass AND e.objid = {oid} AND e.deptype IN ('e', 'i'))"
)
_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}
_PARALLEL = {"s": "SAFE", "r": "RESTRICTED"}
_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}


def not_extension(catalog: str, oid: str) -> str:
    """SQL: the object ``oid`` of ``catalog`` is no extension's (nor a part of another object)."""
    return _NOT_EXTENSION.format(cat=f"'{catalog}'", oid=oid)


def literal(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


class Reader(Protocol):
    """What these readers need of pg_objects' catalog pass."""

    schema: str
    objects: dict[tuple[str, int], dict[str, Any]]
    warnings: list[str]
    skipped_functions: set[int]
    extension_members: dict[tuple[str, int], tuple[str, int]]

    def rows(self, sql: str, **params: Any) -> list[Any]: ...

    def add(self, catalog: str, oid: int, kind: str, name: str, sql: list[str], *parts: tuple[str, int]) -> None: ...


def _json(value: Any) -> dict[str, Any]:
    """A catalog row read with ``to_jsonb`` (the app's connections may load JSON as text)."""
    return dict(orjson.loads(value)) if isinstance(value, (str, bytes)) else dict(value)


def _function(row: dict[str, Any], key: str) -> str | None:
    """A ``regproc`` of a catalog row read with ``to_jsonb`` (None for none: ``-``)."""
    value = row.get(key)
    return None if value in (None, "-", "0", 0) else str(value)


def _operator_ref(column: str) -> str:
    """SQL: the operator ``column`` points at as ``OPERATOR(...)`` text (NULL for none); schema
    qualified unless it is in the current schema."""
    return (
        f"(SELECT 'OPERATOR(' || CASE WHEN x.oprnamespace = {NS} THEN '' ELSE quote_ident(n.nspname) || '.' END "
        f"|| x.oprname || ')' FROM pg_operator x JOIN pg_namespace n ON n.oid = x.oprnamespace WHERE x.oid = {column})"
    )


def _uses_skipped(reader: Reader, catalog: str, oid: int) -> bool:
    """Whether the aggregate or operator ``oid`` of ``catalog`` calls a function of the schema
    that is not carried."""
    if not reader.skipped_functions:
        return False
    found = reader.rows(
        f"SELECT refobjid FROM pg_depend WHERE classid = '{catalog}'::regclass AND objid = :o AND refclassid = 'pg_proc'::regclass",
        o=oid,
    )
    return any(int(ref) in reader.skipped_functions for (ref,) in found)


# ---- extensions, collations -----------------------------------------------------------------


def extensions(reader: Reader) -> None:
    for oid, name, here, schema, config in reader.rows(
        f"SELECT e.oid, e.extname, e.extnamespace = {NS}, n.nspname, "
        "(SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c WHERE c.oid = ANY(e.extconfig) "
        "AND c.relkind IN ('r', 'p')) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid"
    ):
        oid, name = int(oid), str(name)
        if config:
            # NOTE: rows a user may add to an extension's own table (PostGIS's spatial_ref_sys)
            reader.warnings.append(
                f"extension {name}: the rows of its configuration table(s) {config} are not carried (the extension "
                "makes them again as it ships them)"
            )
        if here or schema == "pg_catalog":
            sql = [f"CREATE EXTENSION IF NOT EXISTS {quote(name)}"]
        else:
            sql = [f"CREATE SCHEMA IF NOT EXISTS {quote(str(schema))}",
                   f"CREATE EXTENSION IF NOT EXISTS {quote(name)} WITH SCHEMA {quote(str(schema))}"]  # fmt: skip
        reader.add("pg_extension", oid, "extension", name, sql)
        # NOTE: what needs one of its objects (a column of citext, a function of hstore) needs it
        for catalog, member in reader.rows(
            "SELECT classid::regclass::text, objid FROM pg_depend WHERE refclassid = 'pg_extension'::regclass "
            "AND refobjid = :o AND deptype = 'e'",
            o=oid,
        ):
            reader.extension_members[(str(catalog), int(member))] = ("pg_extension", oid)


def available(conn: Connection, name: str) -> bool:
    """Whether the server of ``conn`` has the extension ``name`` (installed or installable)."""
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = :n)"), {"n": name}).scalar())


def collations(reader: Reader) -> None:
    for oid, name, found in reader.rows(
        f"SELECT c.oid, c.collname, to_jsonb(c) FROM pg_collation c WHERE c.collnamespace = {NS} "
        f"AND {not_extension('pg_collation', 'c.oid')} ORDER BY c.oid"
    ):
        row = _json(found)
        name, provider = str(name), row.get("collprovider")
        # NOTE: the locale's column is colliculocale in Postgres 15 and 16, colllocale from 17
        locale = row.get("colllocale") or row.get("colliculocale") or row.get("collcollate") or ""
        if provider == "i":
            options = ["provider = icu", f"locale = {literal(locale)}"]
            options += [f"rules = {literal(row['collicurules'])}"] if row.get("collicurules") else []
        elif provider == "c":
            options = ["provider = libc", f"lc_collate = {literal(row.get('collcollate') or '')}",
                       f"lc_ctype = {literal(row.get('collctype') or '')}"]  # fmt: skip
        elif provider == "b":
            options = ["provider = builtin", f"locale = {literal(locale)}"]
        else:
            reader.warnings.append(f"collation {name}: of provider {provider!r}, unknown to pybase")
            continue
        options += [] if row.get("collisdeterministic", True) else ["deterministic = false"]
        reader.add("pg_collation", int(oid), "collation", name, [f"CREATE COLLATION {quote(name)} ({', '.join(options)})"])


# ---- aggregates, operators --------------------------------------------------------------------


def aggregates(reader: Reader, ours: frozenset[str]) -> None:
    """The aggregates of the schema (not pybase's ``ours``)."""
    for oid, signature, arguments, parallel, found, state, moving_state, sort in reader.rows(
        "SELECT p.oid, p.oid::regprocedure::text, pg_get_function_arguments(p.oid), p.proparallel, to_jsonb(a), "
        "format_type(a.aggtranstype, NULL), CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END, "
        f"{_operator_ref('a.aggsortop')} FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid "
        f"WHERE p.pronamespace = {NS} AND p.prokind = 'a' AND {not_extension('pg_proc', 'p.oid')} ORDER BY p.oid"
    ):
        oid, signature, agg = int(oid), str(signature), _json(found)
        if signature.split("(", 1)[0].lower() in ours:
            continue
        if _uses_skipped(reader, "pg_proc", oid):
            reader.warnings.append(f"aggregate {signature}: its functions are written in C (a library of the server)")
            continue

        options = [f"SFUNC = {_function(agg, 'aggtransfn')}", f"STYPE = {state}"]
        options += [f"SSPACE = {int(agg['aggtransspace'])}"] if agg.get("aggtransspace") else []
        if _function(agg, "aggfinalfn"):
            options.append(f"FINALFUNC = {_function(agg, 'aggfinalfn')}")
            options += ["FINALFUNC_EXTRA"] if agg.get("aggfinalextra") else []
            options.append(f"FINALFUNC_MODIFY = {_MODIFY[agg['aggfinalmodify']]}")
        for key, option in (("aggcombinefn", "COMBINEFUNC"), ("aggserialfn", "SERIALFUNC"), ("aggdeserialfn", "DESERIALFUNC")):
            options += [f"{option} = {_function(agg, key)}"] if _function(agg, key) else []
        options += [f"INITCOND = {literal(agg['agginitval'])}"] if agg.get("agginitval") is not None else []
        if _function(agg, "aggmtransfn"):
            options += [f"MSFUNC = {_function(agg, 'aggmtransfn')}", f"MINVFUNC = {_function(agg, 'aggminvtransfn')}", f"MSTYPE = {moving_state}"]
            options += [f"MSSPACE = {int(agg['aggmtransspace'])}"] if agg.get("aggmtransspace") else []
            if _function(agg, "aggmfinalfn"):
                options.append(f"MFINALFUNC = {_function(agg, 'aggmfinalfn')}")
                options += ["MFINALFUNC_EXTRA"] if agg.get("aggmfinalextra") else []
                options.append(f"MFINALFUNC_MODIFY = {_MODIFY[agg['aggmfinalmodify']]}")
            options += [f"MINITCOND = {literal(agg['aggminitval'])}"] if agg.get("aggminitval") is not None else []
        options += [f"SORTOP = {sort}"] if sort else []
        options += [f"PARALLEL = {_PARALLEL[parallel]}"] if parallel in _PARALLEL else []
        options += ["HYPOTHETICAL"] if agg.get("aggkind") == "h" else []
        name = signature.split("(", 1)[0]
        sql = f"CREATE AGGREGATE {name} ({arguments or '*'}) ({', '.join(options)})"
        reader.add("pg_proc", oid, "aggregate", signature, [sql])


def operators(reader: Reader) -> None:
    for oid, name, left, right, code, restrict, join, hashes, merges, commutator, negator in reader.rows(
        "SELECT o.oid, o.oprname, CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END, "
        "CASE WHEN o.oprright <> 0 THEN format_type(o.oprright, NULL) END, o.oprcode::regproc::text, "
        "CASE WHEN o.oprrest <> 0 THEN o.oprrest::regproc::text END, CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::regproc::text END, "
        f"o.oprcanhash, o.oprcanmerge, {_operator_ref('o.oprcom')}, {_operator_ref('o.oprnegate')} FROM pg_operator o "
        # NOTE: oprcode 0: a shell (named as a commutator or negator, never defined): made by that user
        f"WHERE o.oprnamespace = {NS} AND o.oprcode <> 0 AND {not_extension('pg_operator', 'o.oid')} ORDER BY o.oid"
    ):
        signature = f"{name}({left or 'NONE'}, {right or 'NONE'})"
        if _uses_skipped(reader, "pg_operator", int(oid)):
            reader.warnings.append(f"operator {signature}: its function is written in C (a library of the server)")
            continue
        options = [f"FUNCTION = {code}"]
        options += [f"LEFTARG = {left}"] if left else []
        options += [f"RIGHTARG = {right}"] if right else []
        options += [f"COMMUTATOR = {commutator}"] if commutator else []
        options += [f"NEGATOR = {negator}"] if negator else []
        options += [f"RESTRICT = {restrict}"] if restrict else []
        options += [f"JOIN = {join}"] if join else []
        options += ["HASHES"] if hashes else []
        options += ["MERGES"] if merges else []
        reader.add("pg_operator", int(oid), "operator", signature, [f"CREATE OPERATOR {name} ({', '.join(options)})"])


# ---- rules, statistics, row security -----------------------------------------------------------


def rules(reader: Reader) -> None:
    for oid, name, table, sql in reader.rows(
        "SELECT r.oid, r.rulename, c.relname, pg_get_ruledef(r.oid, true) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
        f"WHERE c.relnamespace = {NS} AND r.rulename <> '_RETURN' AND {not_extension('pg_class', 'c.oid')} ORDER BY r.oid"
    ):
        if str(table).startswith(INTERNAL_PREFIX):
            continue
        # NOTE: pretty: the names of the schema unqualified (rebuilt in the target's current one)
        reader.add("pg_rewrite", int(oid), "rule", f"{name} on {table}", [str(sql).strip().rstrip(";")])


def statistics(reader: Reader) -> None:
    for oid, name, table, sql in reader.rows(
        "SELECT s.oid, s.stxname, quote_ident(c.relname), pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s "
        f"JOIN pg_class c ON c.oid = s.stxrelid WHERE s.stxnamespace = {NS} ORDER BY s.oid"
    ):
        # NOTE: Postgres names the object and its table with their schema: rebuilt in the current one
        sql = str(sql).replace(f"CREATE STATISTICS {reader.schema}.", "CREATE STATISTICS ", 1)
        head, sep, tail = sql.rpartition(f" FROM {reader.schema}.{table}")
        if sep and not tail:
            sql = f"{head} FROM {table}"
        reader.add("pg_statistic_ext", int(oid), "statistics", str(name), [sql])


def row_security(reader: Reader) -> None:
    for oid, name, table, permissive, command, roles, using, check in reader.rows(
        "SELECT p.oid, p.polname, c.relname, p.polpermissive, p.polcmd, CASE WHEN 0 = ANY(p.polroles) THEN 'PUBLIC' "
        "ELSE (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY(p.polroles)) END, "
        "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) "
        f"FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = {NS} ORDER BY p.oid"
    ):
        sql = (
            f"CREATE POLICY {quote(str(name))} ON {quote(str(table))} AS {'PERMISSIVE' if permissive else 'RESTRICTIVE'} "
            f"FOR {_COMMANDS[str(command)]} TO {roles or 'PUBLIC'}"
        )
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        reader.add("pg_policy", int(oid), "policy", f"{name} on {table}", [sql])
    for oid, table, enabled, forced in reader.rows(
        f"SELECT oid, relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = {NS} "
        "AND relkind IN ('r', 'p') AND (relrowsecurity OR relforcerowsecurity) ORDER BY oid"
    ):
        table = str(table)
        if table.startswith(INTERNAL_PREFIX):
            continue
        sql = [f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY"] if enabled else []
        sql += [f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY"] if forced else []
        # NOTE: not a member: what depends on the table does not depend on this
        reader.objects[("pg_class#rowsecurity", int(oid))] = {"kind": "rowsecurity", "name": table, "sql": sql, "oid": int(oid)}


# ---- privileges ---------------------------------------------------------------------------------

_ON = {"r": "TABLE", "p": "TABLE", "v": "TABLE", "m": "TABLE", "f": "TABLE", "S": "SEQUENCE"}
#: SQL: the grantee of an aclexplode() entry ``a`` as GRANT names it
GRANTEE = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END"


def grant_statements(on: str, entries: list[tuple[str, str, bool]]) -> list[str]:
    """``REVOKE ALL`` from PUBLIC, then one GRANT per grantee and grant option."""
    by: dict[tuple[str, bool], list[str]] = {}
    for privilege, grantee, grantable in entries:
        by.setdefault((grantee, grantable), []).append(privilege)
    sql = [f"REVOKE ALL ON {on} FROM PUBLIC"]
    for (grantee, grantable), privileges in by.items():
        sql.append(f"GRANT {', '.join(privileges)} ON {on} TO {grantee}" + (" WITH GRANT OPTION" if grantable else ""))
    return sql


def privileges(reader: Reader, carried: set[int], types: dict[int, str]) -> None:
    """The GRANTs of the relations, columns, routines (``carried``: the oids of the routines
    carried) and types (``types``: the carried ones' oid -> their kind) of the schema."""
    for oid, name, kind, privilege, grantee, grantable in reader.rows(
        f"SELECT c.oid, c.relname, c.relkind, a.privilege_type, {GRANTEE}, a.is_grantable FROM pg_class c "
        "LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee <> c.relowner "
        f"WHERE c.relnamespace = {NS} AND c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        f"AND {not_extension('pg_class', 'c.oid')} ORDER BY c.oid, a.grantee, a.privilege_type"
    ):
        if not str(name).startswith(INTERNAL_PREFIX):
            on = f"{_ON[str(kind)]} {quote(str(name))}"
            _add_grant(reader, "pg_class", int(oid), on, str(name), privilege, grantee, grantable)
    for oid, signature, privilege, grantee, grantable in reader.rows(
        f"SELECT p.oid, p.oid::regprocedure::text, a.privilege_type, {GRANTEE}, a.is_grantable "
        f"FROM pg_proc p LEFT JOIN LATERAL aclexplode(p.proacl) a ON a.grantee <> p.proowner WHERE p.pronamespace = {NS} "
        "AND p.proacl IS NOT NULL ORDER BY p.oid, a.grantee, a.privilege_type"
    ):
        if int(oid) in carried:
            _add_grant(reader, "pg_proc", int(oid), f"ROUTINE {signature}", str(signature), privilege, grantee, grantable)
    for oid, name, privilege, grantee, grantable in reader.rows(
        f"SELECT t.oid, t.typname, a.privilege_type, {GRANTEE}, a.is_grantable "
        f"FROM pg_type t LEFT JOIN LATERAL aclexplode(t.typacl) a ON a.grantee <> t.typowner WHERE t.typnamespace = {NS} "
        "AND t.typacl IS NOT NULL ORDER BY t.oid, a.grantee, a.privilege_type"
    ):
        if int(oid) in types:
            word = "DOMAIN" if types[int(oid)] == "domain" else "TYPE"
            _add_grant(reader, "pg_type", int(oid), f"{word} {quote(str(name))}", str(name), privilege, grantee, grantable)
    for key, obj in list(reader.objects.items()):
        if key[0].startswith("grant#"):
            obj["sql"] = grant_statements(obj.pop("on"), obj.pop("entries"))
    for oid, name, column, privilege, grantee, grantable in reader.rows(
        f"SELECT c.oid, c.relname, t.attname, a.privilege_type, {GRANTEE}, a.is_grantable "
        "FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid, aclexplode(t.attacl) a "
        f"WHERE c.relnamespace = {NS} AND t.attacl IS NOT NULL AND t.attnum > 0 AND NOT t.attisdropped "
        f"AND a.grantee <> c.relowner AND {not_extension('pg_class', 'c.oid')} ORDER BY c.oid, t.attnum, a.grantee"
    ):
        if str(name).startswith(INTERNAL_PREFIX):
            continue
        key = ("grant#pg_attribute", int(oid))
        obj = reader.objects.setdefault(key, {"kind": "grant", "name": f"columns of {name}", "sql": [], "oid": int(oid)})
        option = " WITH GRANT OPTION" if grantable else ""
        obj["sql"].append(f"GRANT {privilege} ({quote(str(column))}) ON TABLE {quote(str(name))} TO {grantee}{option}")


def _add_grant(
    reader: Reader, catalog: str, oid: int, on: str, name: str, privilege: Any, grantee: Any, grantable: Any
) -> None:
    """One ACL entry of a routine or a type (none: its ACL only takes the default away)."""
    obj = reader.objects.setdefault(
        (f"grant#{catalog}", oid), {"kind": "grant", "name": name, "sql": [], "oid": oid, "on": on, "entries": []}
    )
    if privilege is not None:
        obj["entries"].append((str(privilege), str(grantee), bool(grantable)))


# ---- comments -----------------------------------------------------------------------------------

#: pg_identify_object's type -> COMMENT ON's word (None: "name ON table" kinds)
_COMMENT_ON = {
    "table": "TABLE", "view": "VIEW", "materialized view": "MATERIALIZED VIEW", "sequence": "SEQUENCE",
    "index": "INDEX", "foreign table": "FOREIGN TABLE", "type": "TYPE", "composite type": "TYPE",
    "function": "ROUTINE", "procedure": "ROUTINE", "aggregate": "ROUTINE", "operator": "OPERATOR",
    "collation": "COLLATION", "statistics object": "STATISTICS",
    "table column": "COLUMN", "view column": "COLUMN", "materialized view column": "COLUMN",
    "composite type column": "COLUMN", "foreign table column": "COLUMN",
    "table constraint": "CONSTRAINT", "domain constraint": "CONSTRAINT", "trigger": "TRIGGER", "rule": "RULE",
    "policy": "POLICY",
}  # fmt: skip


# NOTE: a trigger, a policy, a rule have no schema of their own: their table's
_TABLE_SCHEMA = " OR ".join(
    f"(d.classoid = '{catalog}'::regclass AND (SELECT c.relnamespace FROM {catalog} x JOIN pg_class c ON c.oid = x.{column} "
    f"WHERE x.oid = d.objoid) = {NS})"
    for catalog, column in (("pg_trigger", "tgrelid"), ("pg_policy", "polrelid"), ("pg_rewrite", "ev_class"))
)


def comments(reader: Reader, ours: frozenset[str]) -> None:
    """``COMMENT ON`` each commented object of the schema (pybase's ``ours`` functions and an
    extension's objects are theirs), named by ``pg_identify_object``'s identity, unqualified."""
    unqualify = re.compile(r"(^|[ (,])" + re.escape(reader.schema + "."))
    for classid, oid, sub, kind, identity, description in reader.rows(
        "SELECT d.classoid::regclass::text, d.objoid, d.objsubid, o.type, o.identity, d.description "
        "FROM pg_description d, pg_identify_object(d.classoid, d.objoid, d.objsubid) o "
        f"WHERE d.objoid >= 16384 AND (o.schema = current_schema() OR {_TABLE_SCHEMA}) AND NOT EXISTS (SELECT 1 FROM pg_depend e "
        "WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype IN ('e', 'i')) "
        "ORDER BY d.classoid, d.objoid, d.objsubid"
    ):
        word = _COMMENT_ON.get(str(kind))
        name = unqualify.sub(r"\1", str(identity))
        if str(classid) == "pg_proc" and name.split("(", 1)[0].lower() in ours:
            continue
        if name.startswith(INTERNAL_PREFIX) or f" on {INTERNAL_PREFIX}" in name:
            continue
        if kind == "index" and str(description).startswith(INDEX_MARK):
            continue  # NOTE: pybase's mark on an index it made (pg_indexes): made with the index
        if word is None:
            reader.warnings.append(f"comment on {kind} {name}: not carried (a kind of object pybase does not comment on)")
            continue
        if word in ("CONSTRAINT", "TRIGGER", "RULE", "POLICY"):
            head, _on, table = name.rpartition(" on ")
            target = f"{head} ON {'DOMAIN ' if kind == 'domain constraint' else ''}{table}"
        else:
            target = name
        sql = f"COMMENT ON {word} {target} IS {literal(str(description))}"
        key = (f"comment#{classid}#{int(sub)}", int(oid))
        reader.objects[key] = {"kind": "comment", "name": f"{kind} {name}", "sql": [sql], "oid": int(oid)}


# ---- casts ----------------------------------------------------------------------------------------

_CONTEXT = {"a": " AS ASSIGNMENT", "i": " AS IMPLICIT", "e": ""}


def casts(reader: Reader) -> None:
    """The casts made with SQL (``CREATE CAST``: the database's, not a schema's) that involve a
    type or function of the schema, or built-in types only."""
    for oid, source, target, function, skipped, context, method in reader.rows(
        "SELECT c.oid, format_type(c.castsource, NULL), format_type(c.casttarget, NULL), "
        "CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END, c.castfunc, c.castcontext, c.castmethod "
        f"FROM pg_cast c WHERE c.oid >= 16384 AND {not_extension('pg_cast', 'c.oid')} AND "
        f"{_CAST_HERE} ORDER BY c.oid"
    ):
        name = f"{source} AS {target}"
        if int(skipped) in reader.skipped_functions:
            reader.warnings.append(f"cast ({name}): its function is written in C (a library of the server)")
            continue
        how = {"f": f"WITH FUNCTION {function}", "i": "WITH INOUT", "b": "WITHOUT FUNCTION"}[str(method)]
        reader.add("pg_cast", int(oid), "cast", name, [f"CREATE CAST ({name}) {how}{_CONTEXT[str(context)]}"])


# NOTE: a cast of another schema's types or functions is that schema's
_CAST_HERE = (
    f"((SELECT typnamespace FROM pg_type WHERE oid = c.castsource) IN ({NS}, 'pg_catalog'::regnamespace) "
    f"AND (SELECT typnamespace FROM pg_type WHERE oid = c.casttarget) IN ({NS}, 'pg_catalog'::regnamespace) "
    f"AND (c.castfunc = 0 OR (SELECT pronamespace FROM pg_proc WHERE oid = c.castfunc) IN ({NS}, 'pg_catalog'::regnamespace)))"
)


def drop_casts(conn: Connection) -> None:
    """Drop the casts :func:`casts` would carry (a restore: the database's become the backup's)."""
    found = conn.execute(
        text(
            "SELECT format_type(c.castsource, NULL), format_type(c.casttarget, NULL) FROM pg_cast c "
            f"WHERE c.oid >= 16384 AND {not_extension('pg_cast', 'c.oid')} AND {_CAST_HERE}"
        )
    ).all()
    for source, target in found:
        run(conn, f"DROP CAST IF EXISTS ({source} AS {target}) CASCADE")


_EVENT_TOGGLES = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def event_triggers(reader: Reader, schemas: frozenset[str] | None) -> None:
    """The event triggers (the database's, not a schema's) whose function is carried: one of
    the schema's in SQL or PL/pgSQL (an app's own). Made last of all on restore (phase
    ``events``: the restore's own statements fire none) and only by a superuser, as Postgres
    wants; another one (in C, or its function in a schema not carried: ``schemas`` are those
    carried, None when another schema's pass reads them) is named."""
    for oid, name, event, enabled, tags, function_oid, function, here, where, raw_where in reader.rows(
        "SELECT v.oid, v.evtname, v.evtevent, v.evtenabled, COALESCE(v.evttags, '{}'), v.evtfoid, quote_ident(p.proname), "
        f"p.pronamespace = {NS}, quote_ident(n.nspname), n.nspname FROM pg_event_trigger v JOIN pg_proc p ON p.oid = v.evtfoid "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE {not_extension('pg_event_trigger', 'v.oid')} ORDER BY v.oid"
    ):
        oid, name = int(oid), str(name)
        if not here:
            if schemas is not None and str(raw_where) not in schemas:
                reader.warnings.append(f"event trigger {name}: not carried (its function {where}.{function}() is in another schema)")
            continue
        if ("pg_proc", int(function_oid)) not in reader.objects:
            reader.warnings.append(f"event trigger {name}: not carried (its function {function}() is not carried)")
            continue
        sql = f"CREATE EVENT TRIGGER {quote(name)} ON {event}"
        if tags:
            sql += f" WHEN TAG IN ({', '.join(literal(str(tag)) for tag in tags)})"
        statements = [f"{sql} EXECUTE FUNCTION {function}()"]
        toggle = _EVENT_TOGGLES.get(str(enabled))
        if toggle:
            statements.append(f"ALTER EVENT TRIGGER {quote(name)} {toggle}")
        reader.add("pg_event_trigger", oid, "eventtrigger", name, statements)


def owners(reader: Reader) -> None:
    """Name the objects of the schema another role owns: a restore makes them as pybase's role
    (giving them away needs that role's membership); one sentence per role."""
    found: dict[str, list[str]] = {}
    for owner, name in reader.rows(
        "SELECT pg_get_userbyid(c.relowner), c.relname FROM pg_class c "
        f"WHERE c.relnamespace = {NS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relowner <> "
        f"(SELECT oid FROM pg_roles WHERE rolname = current_user) AND {not_extension('pg_class', 'c.oid')} "
        "UNION ALL SELECT pg_get_userbyid(p.proowner), p.oid::regprocedure::text FROM pg_proc p "
        f"WHERE p.pronamespace = {NS} AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        f"AND {not_extension('pg_proc', 'p.oid')} "
        "UNION ALL SELECT pg_get_userbyid(t.typowner), t.typname FROM pg_type t "
        f"WHERE t.typnamespace = {NS} AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        f"AND t.typrelid = 0 AND t.typelem = 0 AND {not_extension('pg_type', 't.oid')} ORDER BY 1, 2"
    ):
        if not str(name).startswith(INTERNAL_PREFIX):
            found.setdefault(str(owner), []).append(str(name))
    for owner, names in found.items():
        listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        reader.warnings.append(
            f"owner {owner} of {listed}: not carried (restored, they belong to pybase's database role: "
            "ALTER ... OWNER TO by hand)"
        )
