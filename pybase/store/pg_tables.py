"""Tables of pybase's Postgres schema that are no collection's: read from the catalog, rebuilt.

A migration's ``$app.db().newQuery("CREATE TABLE ...")`` or a Python app's own SQL can make
tables beside the collections. On SQLite they travel inside data.db; on Postgres a backup
carries them through :func:`read_definition` (columns with their types, defaults, identity or
generated expressions and collations; primary key, unique, check, exclusion and foreign key
constraints; the other indexes; the sequences of serial and identity columns with their
current values) and :func:`create_table` / :func:`finish_tables` (the indexes, foreign keys and
sequence values once the rows are in). Ordinary tables only: a partitioned one is not carried.

A definition is plain JSON (it goes into a backup's manifest). Its SQL comes from Postgres
itself (``format_type``, ``pg_get_expr``, ``pg_get_constraintdef``, ``pg_get_indexdef``), read
with the schema the tables are in: rebuilt in the current schema of the connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

#: tables pybase keeps for its own machinery (the nodes' NOTIFY spill): never app data
INTERNAL_PREFIX = "_pybase_"


class TableDefinitionError(ValueError):
    """A definition that is not one :func:`read_definition` writes."""


def quote(name: str) -> str:
    """``name`` as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def base_tables(conn: Connection) -> list[str]:
    """Names of the ordinary tables of the current schema, in creation order (oid)."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
            "AND c.relkind = 'r' AND NOT c.relispartition ORDER BY c.oid"
        )
    ).all()
    return [str(row[0]) for row in rows]


def other_tables(conn: Connection, known: set[str]) -> list[str]:
    """The tables of the current schema that are not in ``known`` (pybase's own tables: the
    system tables, the logs, the collections') nor pybase's internal ones, in creation order."""
    return [name for name in base_tables(conn) if name not in known and not name.startswith(INTERNAL_PREFIX)]


def _oid(conn: Connection, name: str) -> int:
    found = conn.execute(
        text("SELECT c.oid FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = :n"),
        {"n": name},
    ).scalar()
    if found is None:
        raise TableDefinitionError(f"no table {name} in the current schema")
    return int(found)


def read_definition(conn: Connection, name: str) -> dict[str, Any]:
    """The definition of the table ``name`` of the current schema (JSON-ready)."""
    oid = _oid(conn, name)
    columns = []
    for row in conn.execute(
        text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
            "CASE WHEN a.attcollation <> t.typcollation THEN (SELECT l.collname FROM pg_collation l WHERE l.oid = a.attcollation) END "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"oid": oid},
    ):
        column_name, kind, not_null, default, identity, generated, collation = row
        columns.append({
            "name": column_name, "type": kind, "notNull": bool(not_null), "default": default or "",
            "identity": identity or "", "generated": generated or "", "collation": collation or "",
        })  # fmt: skip
    constraints = [
        {"name": row[0], "kind": row[1], "sql": row[2]}
        for row in conn.execute(
            text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = :oid AND contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY oid"
            ),
            {"oid": oid},
        )
    ]
    qualified = conn.execute(
        text("SELECT quote_ident(current_schema()) || '.' || quote_ident(:n)"), {"n": name}
    ).scalar()
    indexes = []
    for index_name, sql in conn.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = :oid AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.conrelid = i.indrelid) ORDER BY i.indexrelid"
        ),
        {"oid": oid},
    ):
        # NOTE: Postgres names the table with its schema: rebuilt in the target's current one
        sql = str(sql).replace(f" ON ONLY {qualified} ", f" ON ONLY {quote(name)} ", 1)
        sql = sql.replace(f" ON {qualified} ", f" ON {quote(name)} ", 1)
        indexes.append({"name": index_name, "sql": sql})
    sequences = []
    for column in columns:
        if not (column["identity"] or column["default"].startswith("nextval(")):
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": column["name"]}).scalar()
        if sequence is None:
            continue  # NOTE: a nextval() of a sequence no column owns: its default is kept as is
        spec = conn.execute(
            text(
                "SELECT c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqstart, s.seqmin, s.seqmax, s.seqcycle "
                "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE s.seqrelid = CAST(:s AS regclass)"
            ),
            {"s": sequence},
        ).one()
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        sequences.append({
            "column": column["name"], "name": spec[0], "type": spec[1], "increment": int(spec[2]), "start": int(spec[3]),
            "min": int(spec[4]), "max": int(spec[5]), "cycle": bool(spec[6]), "last": int(last), "called": bool(called),
        })  # fmt: skip
    return {"columns": columns, "constraints": constraints, "indexes": indexes, "sequences": sequences}


def copied_columns(definition: dict[str, Any]) -> list[str]:
    """The columns whose values a copy carries (not the generated ones: Postgres computes them)."""
    return [c["name"] for c in definition["columns"] if not c["generated"]]


def check_definition(definition: Any) -> None:
    """Raise TableDefinitionError unless ``definition`` has the shape :func:`read_definition` gives."""
    def strings(item: Any, keys: tuple[str, ...]) -> bool:
        return isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys)

    ok = (
        isinstance(definition, dict)
        and isinstance(definition.get("columns"), list)
        and bool(definition["columns"])
        and all(strings(c, ("name", "type", "default", "identity", "generated", "collation")) for c in definition["columns"])
        and all(isinstance(c.get("notNull"), bool) for c in definition["columns"])
        and isinstance(definition.get("constraints"), list)
        and all(strings(c, ("name", "kind", "sql")) for c in definition["constraints"])
        and isinstance(definition.get("indexes"), list)
        and all(strings(i, ("name", "sql")) for i in definition["indexes"])
        and isinstance(definition.get("sequences"), list)
        and all(
            strings(s, ("column", "name", "type"))
            and all(isinstance(s.get(k), int) and not isinstance(s.get(k), bool) for k in ("increment", "start", "min", "max", "last"))
            and isinstance(s.get("cycle"), bool) and isinstance(s.get("called"), bool)
            for s in definition["sequences"]
        )
    )
    if not ok:
        raise TableDefinitionError("a table definition of an unknown shape")
    for index in definition["indexes"]:
        if not index["sql"].upper().startswith(("CREATE INDEX ", "CREATE UNIQUE INDEX ")):
            raise TableDefinitionError(f"index {index['name']} is not a CREATE INDEX statement")


def _sequence_options(seq: dict[str, Any]) -> str:
    cycle = "CYCLE" if seq["cycle"] else "NO CYCLE"
    return (
        f"INCREMENT BY {seq['increment']} MINVALUE {seq['min']} MAXVALUE {seq['max']} START WITH {seq['start']} {cycle}"
    )


def create_table(conn: Connection, name: str, definition: dict[str, Any]) -> None:
    """Create the table ``name`` (columns, sequences, every constraint but the foreign keys)."""
    sequences = {seq["column"]: seq for seq in definition["sequences"]}
    for column in definition["columns"]:
        seq = sequences.get(column["name"])
        if seq is not None and not column["identity"]:
            # NOTE: a serial column's sequence, made first: its default names it
            conn.exec_driver_sql(f"CREATE SEQUENCE {quote(seq['name'])} AS {seq['type']} {_sequence_options(seq)}")
    parts = []
    for column in definition["columns"]:
        part = f"{quote(column['name'])} {column['type']}"
        if column["collation"]:
            part += f" COLLATE {quote(column['collation'])}"
        if column["generated"]:
            part += f" GENERATED ALWAYS AS ({column['default']}) STORED"
        elif column["identity"]:
            seq = sequences.get(column["name"])
            options = f" ({_sequence_options(seq)})" if seq is not None else ""
            part += f" GENERATED {'ALWAYS' if column['identity'] == 'a' else 'BY DEFAULT'} AS IDENTITY{options}"
        elif column["default"]:
            part += f" DEFAULT {column['default']}"
        if column["notNull"]:
            part += " NOT NULL"
        parts.append(part)
    for constraint in definition["constraints"]:
        if constraint["kind"] != "f":
            parts.append(f"CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    conn.exec_driver_sql(f"CREATE TABLE {quote(name)} ({', '.join(parts)})")
    for column in definition["columns"]:
        seq = sequences.get(column["name"])
        if seq is not None and not column["identity"]:
            conn.exec_driver_sql(f"ALTER SEQUENCE {quote(seq['name'])} OWNED BY {quote(name)}.{quote(column['name'])}")


def finish_tables(conn: Connection, definitions: dict[str, dict[str, Any]]) -> None:
    """Once the rows of every table are in: their indexes, then the foreign keys (one may lean
    on another table's unique index), then the sequences' values."""
    for definition in definitions.values():
        for index in definition["indexes"]:
            conn.exec_driver_sql(index["sql"])
    for name, definition in definitions.items():
        for constraint in definition["constraints"]:
            if constraint["kind"] == "f":
                conn.exec_driver_sql(f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    for name, definition in definitions.items():
        for seq in definition["sequences"]:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
                {"t": quote(name), "c": seq["column"], "v": seq["last"], "called": seq["called"]},
            )
