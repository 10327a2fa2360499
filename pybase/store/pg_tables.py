"""Tables of pybase's Postgres schema that are no collection's: read from the catalog, rebuilt.

A migration's ``$app.db().newQuery("CREATE TABLE ...")`` or a Python app's own SQL can make
tables beside the collections. On SQLite they travel inside data.db; on Postgres a backup
carries them through :func:`read_definition` (columns with their types, defaults, identity or
generated expressions and collations; primary key, unique, check, exclusion and foreign key
constraints; the other indexes; the sequences of serial and identity columns with their
current values) and :func:`create_table` / :func:`finish_tables` (the indexes, foreign keys and
sequence values once the rows are in). A partitioned table carries how it is partitioned
(``partitionBy``) and holds no rows of its own; each partition carries its parent
(``partitionOf``) and its bounds (``bound``), its rows, and only what the parent does not give it.
A column's collation of another schema than the table's carries that schema
(``collationSchema``): its name alone would be looked for in the schema the table is made in.
Its storage parameters (``WITH (fillfactor=70)``), ``UNLOGGED``, and its columns' statistics
targets, storage, compression and options (``n_distinct``) come along.
A table that inherits (``INHERITS``, not a partition) is made with every column and check it
inherits, holds its own rows only (``ONLY``), and names its parents (``inherits``, in order):
``ALTER TABLE ... INHERIT`` joins them again once every table is made.

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


def run(conn: Connection, sql: str) -> None:
    """Run one statement of SQL text on the connection's transaction, as is: through the
    driver without parameters, so a ``%`` in it (a modulo, a name, a function's body) is
    no placeholder. A refusal is raised as SQLAlchemy's DBAPIError, as other statements'."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    raw = conn.connection.driver_connection
    try:
        raw.execute(sql)  # type: ignore[union-attr]
    except psycopg.Error as ex:
        raise DBAPIError(sql, None, ex) from ex


def fetch(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query of SQL text run as is (as :func:`run`: a ``%`` or a ``:name`` in a
    quoted name is neither a placeholder nor a bind parameter)."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    raw = conn.connection.driver_connection
    try:
        return [tuple(row) for row in raw.execute(sql).fetchall()]  # type: ignore[union-attr]
    except psycopg.Error as ex:
        raise DBAPIError(sql, None, ex) from ex


def base_tables(conn: Connection) -> list[str]:
    """Names of the tables of the current schema (partitioned ones and their partitions too),
    in creation order (oid), a partition after its parent."""
    rows = conn.execute(
        text(
            "SELECT c.relname, (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE i.inhrelid = c.oid AND c.relispartition) FROM pg_class c "
            "WHERE c.relnamespace = quote_ident(current_schema())::regnamespace AND c.relkind IN ('r', 'p') "
            # NOTE: an extension's own table (made by CREATE EXTENSION) is the extension's
            "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid "
            "AND e.deptype = 'e') ORDER BY c.oid"
        )
    ).all()
    parents = {str(row[0]): row[1] for row in rows}
    ordered: list[str] = []

    def place(name: str) -> None:
        if name in ordered:
            return
        parent = parents.get(name)
        if parent is not None and parent in parents:
            place(str(parent))
        ordered.append(name)

    for name in parents:
        place(name)
    return ordered


def other_tables(conn: Connection, known: set[str]) -> list[str]:
    """The tables of the current schema that are not in ``known`` (pybase's own tables: the
    system tables, the logs, the collections') nor pybase's internal ones, in creation order."""
    return [name for name in base_tables(conn) if name not in known and not name.startswith(INTERNAL_PREFIX)]


def _oid(conn: Connection, name: str) -> int:
    found = conn.execute(
        text("SELECT c.oid FROM pg_class c WHERE c.relnamespace = quote_ident(current_schema())::regnamespace AND c.relname = :n"),
        {"n": name},
    ).scalar()
    if found is None:
        raise TableDefinitionError(f"no table {name} in the current schema")
    return int(found)


def read_definition(conn: Connection, name: str, sequences_of: set[str] | None = None) -> dict[str, Any]:
    """The definition of the table ``name`` of the current schema (JSON-ready); ``sequences_of``:
    the only columns whose sequences are read (their values need the sequences' SELECT)."""
    oid = _oid(conn, name)
    columns = []
    for row in conn.execute(
        text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
            "CASE WHEN a.attcollation <> t.typcollation THEN (SELECT l.collname FROM pg_collation l WHERE l.oid = a.attcollation) END, "
            # NOTE: the schema of a collation of another schema than the table's (its name alone
            # would be looked for in the table's when made again); pg_catalog's is always found
            "(SELECT n.nspname FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace WHERE l.oid = a.attcollation "
            "AND a.attcollation <> t.typcollation AND l.collnamespace NOT IN (c.relnamespace, 'pg_catalog'::regnamespace)), "
            "CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END, CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, "
            "NULLIF(a.attcompression::text, ''), array_to_string(a.attoptions, ', ') "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"oid": oid},
    ):
        column_name, kind, not_null, default, identity, generated, collation, collation_schema, target, storage, compression, options = row
        column = {
            "name": column_name, "type": kind, "notNull": bool(not_null), "default": default or "",
            "identity": identity or "", "generated": generated or "", "collation": collation or "",
        }  # fmt: skip
        if collation_schema:
            column["collationSchema"] = collation_schema
        # NOTE: only what differs from the defaults (ALTER COLUMN ... SET STATISTICS, STORAGE, ...)
        tuning = {"statistics": target, "storage": storage, "compression": compression, "options": options}
        column.update({key: value for key, value in tuning.items() if value not in (None, "")})
        columns.append(column)
    constraints = [
        {"name": row[0], "kind": row[1], "sql": row[2]}
        for row in conn.execute(
            text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = :oid AND contype IN ('p', 'u', 'c', 'f', 'x') AND conparentid = 0 "
                # NOTE: a partition's inherited constraints come from its parent; a table that
                # inherits otherwise is made with them (INHERIT then finds them)
                "AND (conislocal OR NOT (SELECT relispartition FROM pg_class WHERE oid = :oid)) ORDER BY oid"
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
            "AND k.conrelid = i.indrelid) AND NOT c.relispartition ORDER BY i.indexrelid"
        ),
        {"oid": oid},
    ):
        # NOTE: Postgres names the table with its schema: rebuilt in the target's current one;
        # a partitioned table's index is built on its partitions too (theirs are not listed)
        sql = str(sql).replace(f" ON ONLY {qualified} ", f" ON {quote(name)} ", 1)
        sql = sql.replace(f" ON {qualified} ", f" ON {quote(name)} ", 1)
        indexes.append({"name": index_name, "sql": sql})
    sequences = []
    for column in columns:
        if sequences_of is not None and column["name"] not in sequences_of:
            continue
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
        last, called = fetch(conn, f"SELECT last_value, is_called FROM {sequence}")[0]
        sequences.append({
            "column": column["name"], "name": spec[0], "type": spec[1], "increment": int(spec[2]), "start": int(spec[3]),
            "min": int(spec[4]), "max": int(spec[5]), "cycle": bool(spec[6]), "last": int(last), "called": bool(called),
        })  # fmt: skip
    definition = {"columns": columns, "constraints": constraints, "indexes": indexes, "sequences": sequences}
    partitioning = conn.execute(
        text(
            "SELECT CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
            "CASE WHEN c.relispartition THEN (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE i.inhrelid = c.oid) END, CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END "
            "FROM pg_class c WHERE c.oid = :oid"
        ),
        {"oid": oid},
    ).one()
    for key, value in zip(("partitionBy", "partitionOf", "bound"), partitioning, strict=True):
        if value:
            definition[key] = str(value)
    parents = [
        str(row[0])
        for row in conn.execute(
            text(
                "SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhrelid = :oid AND NOT c.relispartition ORDER BY i.inhseqno"
            ),
            {"oid": oid},
        )
    ]
    if parents:
        definition["inherits"] = parents
    options, persistence = conn.execute(
        text("SELECT array_to_string(reloptions, ', '), relpersistence FROM pg_class WHERE oid = :oid"), {"oid": oid}
    ).one()
    if options:
        definition["options"] = str(options)  # NOTE: WITH (fillfactor=70, autovacuum_enabled=false...)
    if persistence == "u":
        definition["unlogged"] = True
    return definition


def copied_columns(definition: dict[str, Any]) -> list[str]:
    """The columns whose values a copy carries (not the generated ones: Postgres computes them;
    none of a partitioned table: its partitions hold its rows)."""
    if definition.get("partitionBy"):
        return []
    return [c["name"] for c in definition["columns"] if not c["generated"]]


def check_definition(definition: Any, columns_required: bool = True) -> None:
    """Raise TableDefinitionError unless ``definition`` has the shape :func:`read_definition`
    gives (``columns_required``: at least one column; a table's additions may have none)."""
    def strings(item: Any, keys: tuple[str, ...]) -> bool:
        return isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys)

    ok = (
        isinstance(definition, dict)
        and isinstance(definition.get("columns"), list)
        and (bool(definition["columns"]) or not columns_required)
        and all(strings(c, ("name", "type", "default", "identity", "generated", "collation")) for c in definition["columns"])
        and all(isinstance(c.get("notNull"), bool) for c in definition["columns"])
        and all(_tuning_ok(c) and isinstance(c.get("collationSchema", ""), str) for c in definition["columns"])
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
        and all(isinstance(definition.get(k, ""), str) for k in ("partitionBy", "partitionOf", "bound"))
        and bool(definition.get("partitionOf")) == bool(definition.get("bound"))
        and isinstance(definition.get("options", ""), str)
        and isinstance(definition.get("unlogged", False), bool)
        and isinstance(definition.get("inherits", []), list)
        and all(isinstance(p, str) for p in definition.get("inherits", []))
    )
    if not ok:
        raise TableDefinitionError("a table definition of an unknown shape")
    for index in definition["indexes"]:
        if not index["sql"].upper().startswith(("CREATE INDEX ", "CREATE UNIQUE INDEX ")):
            raise TableDefinitionError(f"index {index['name']} is not a CREATE INDEX statement")


_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}


def _tuning_ok(column: dict[str, Any]) -> bool:
    target = column.get("statistics", 0)
    return (
        isinstance(target, int) and not isinstance(target, bool)
        and column.get("storage", "p") in _STORAGE and column.get("compression", "p") in _COMPRESSION
        and isinstance(column.get("options", ""), str)
    )  # fmt: skip


def _tune_columns(conn: Connection, name: str, definition: dict[str, Any]) -> None:
    """A column's statistics target, storage, compression and options (n_distinct...), set on
    the table ONLY (a partitioned table's partitions carry their own)."""
    for column in definition["columns"]:
        changes = []
        if "statistics" in column:
            changes.append(f"SET STATISTICS {int(column['statistics'])}")
        if "storage" in column:
            changes.append(f"SET STORAGE {_STORAGE[column['storage']]}")
        if "compression" in column:
            changes.append(f"SET COMPRESSION {_COMPRESSION[column['compression']]}")
        if column.get("options"):
            changes.append(f"SET ({column['options']})")
        for change in changes:
            run(conn, f"ALTER TABLE ONLY {quote(name)} ALTER COLUMN {quote(column['name'])} {change}")


def _sequence_options(seq: dict[str, Any]) -> str:
    cycle = "CYCLE" if seq["cycle"] else "NO CYCLE"
    return (
        f"INCREMENT BY {seq['increment']} MINVALUE {seq['min']} MAXVALUE {seq['max']} START WITH {seq['start']} {cycle}"
    )


def create_table(conn: Connection, name: str, definition: dict[str, Any]) -> None:
    """Create the table ``name`` (columns, sequences, every constraint but the foreign keys)."""
    if definition.get("partitionOf"):
        _create_partition(conn, name, definition)
        return
    sequences = {seq["column"]: seq for seq in definition["sequences"]}
    for column in definition["columns"]:
        seq = sequences.get(column["name"])
        if seq is not None and not column["identity"]:
            # NOTE: a serial column's sequence, made first: its default names it
            run(conn, f"CREATE SEQUENCE {quote(seq['name'])} AS {seq['type']} {_sequence_options(seq)}")
    parts = [_column_sql(column, sequences.get(column["name"])) for column in definition["columns"]]
    for constraint in definition["constraints"]:
        if not _after_rows(constraint):
            parts.append(f"CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    partitioned = f" PARTITION BY {definition['partitionBy']}" if definition.get("partitionBy") else ""
    run(conn, f"CREATE {_unlogged(definition)}TABLE {quote(name)} ({', '.join(parts)}){partitioned}{_with(definition)}")
    for column in definition["columns"]:
        seq = sequences.get(column["name"])
        if seq is not None and not column["identity"]:
            run(conn, f"ALTER SEQUENCE {quote(seq['name'])} OWNED BY {quote(name)}.{quote(column['name'])}")


def _column_sql(column: dict[str, Any], seq: dict[str, Any] | None) -> str:
    """A column of CREATE TABLE or ALTER TABLE ... ADD COLUMN (``seq``: its identity's sequence)."""
    part = f"{quote(column['name'])} {column['type']}"
    if column["collation"]:
        schema = column.get("collationSchema")
        part += f" COLLATE {quote(schema) + '.' if schema else ''}{quote(column['collation'])}"
    if column["generated"]:
        part += f" GENERATED ALWAYS AS ({column['default']}) STORED"
    elif column["identity"]:
        options = f" ({_sequence_options(seq)})" if seq is not None else ""
        part += f" GENERATED {'ALWAYS' if column['identity'] == 'a' else 'BY DEFAULT'} AS IDENTITY{options}"
    elif column["default"]:
        part += f" DEFAULT {column['default']}"
    if column["notNull"]:
        part += " NOT NULL"
    return part


def add_columns(conn: Connection, name: str, columns: list[dict[str, Any]], sequences: list[dict[str, Any]]) -> None:
    """Add ``columns`` (as :func:`read_definition` gives them) to the existing table ``name``,
    with the sequences of their serial and identity columns; those it has already are left."""
    by_column = {seq["column"]: seq for seq in sequences}
    for column in columns:
        seq = by_column.get(column["name"])
        if seq is not None and not column["identity"]:
            run(conn, f"CREATE SEQUENCE IF NOT EXISTS {quote(seq['name'])} AS {seq['type']} {_sequence_options(seq)}")
        run(conn, f"ALTER TABLE {quote(name)} ADD COLUMN IF NOT EXISTS {_column_sql(column, seq)}")
        if seq is not None and not column["identity"]:
            run(conn, f"ALTER SEQUENCE {quote(seq['name'])} OWNED BY {quote(name)}.{quote(column['name'])}")


def add_constraints_and_indexes(conn: Connection, name: str, definition: dict[str, Any]) -> None:
    """Once the rows are in: the indexes, constraints and sequence values of ``definition`` on
    the existing table ``name``; a constraint or index it has already (by name) is left."""
    for index in definition["indexes"]:
        run(conn, index["sql"].replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
    have = {
        str(r[0])
        for r in conn.execute(text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"), {"t": quote(name)})
    }
    for constraint in definition["constraints"]:
        if constraint["name"] not in have:
            run(conn, f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    for seq in definition["sequences"]:
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
            {"t": quote(name), "c": seq["column"], "v": seq["last"], "called": seq["called"]},
        )


def _create_partition(conn: Connection, name: str, definition: dict[str, Any]) -> None:
    """A partition: its columns are its parent's; its own defaults, NOT NULLs and constraints
    (those the parent does not give it) are added."""
    parts = []
    for column in definition["columns"]:
        if column["generated"] or column["identity"]:
            continue
        options = f" DEFAULT {column['default']}" if column["default"] else ""
        options += " NOT NULL" if column["notNull"] else ""
        if options:
            parts.append(f"{quote(column['name'])} WITH OPTIONS{options}")
    for constraint in definition["constraints"]:
        if not _after_rows(constraint):
            parts.append(f"CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    listed = f" ({', '.join(parts)})" if parts else ""
    partitioned = f" PARTITION BY {definition['partitionBy']}" if definition.get("partitionBy") else ""
    parent = quote(definition["partitionOf"])
    run(
        conn,
        f"CREATE {_unlogged(definition)}TABLE {quote(name)} PARTITION OF {parent}{listed} {definition['bound']}{partitioned}"
        f"{_with(definition)}",
    )


def _unlogged(definition: dict[str, Any]) -> str:
    return "UNLOGGED " if definition.get("unlogged") else ""


def _with(definition: dict[str, Any]) -> str:
    """The table's storage parameters (as Postgres lists them: ``name=value, ...``)."""
    return f" WITH ({definition['options']})" if definition.get("options") else ""


def _after_rows(constraint: dict[str, Any]) -> bool:
    """A constraint added once the rows are in: a foreign key (its table may come later), one
    ``NOT VALID`` (the rows may break it: that is what it says)."""
    return constraint["kind"] == "f" or constraint["sql"].endswith(" NOT VALID")


def finish_tables(conn: Connection, definitions: dict[str, dict[str, Any]]) -> None:
    """Once the rows of every table are in: their indexes, the NOT VALID checks, the inheritance
    (each table was made with every column and check it inherits: ``INHERIT`` finds them), then
    the foreign keys (one may lean on another table's unique index), then the sequences' values."""
    for definition in definitions.values():
        for index in definition["indexes"]:
            run(conn, index["sql"])
    for name, definition in definitions.items():
        _tune_columns(conn, name, definition)
        for constraint in definition["constraints"]:
            if constraint["kind"] != "f" and _after_rows(constraint):
                run(conn, f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    for name, definition in definitions.items():
        for parent in definition.get("inherits", []):
            run(conn, f"ALTER TABLE {quote(name)} INHERIT {quote(parent)}")
    for name, definition in definitions.items():
        for constraint in definition["constraints"]:
            if constraint["kind"] == "f":
                run(conn, f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint['name'])} {constraint['sql']}")
    for name, definition in definitions.items():
        for seq in definition["sequences"]:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
                {"t": quote(name), "c": seq["column"], "v": seq["last"], "called": seq["called"]},
            )
