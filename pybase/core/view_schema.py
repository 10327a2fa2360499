"""Fields of a view collection, inferred from its SELECT query (after PocketBase's ``core/view.go``)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from pybase.core.collection_bind import new_collection
from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.fields import Field, new_field
from pybase.core.records import Record
from pybase.store import schema_sync
from pybase.store.dialect import dialect_of
from pybase.store.pg_view_reads import one_read as one_view_read
from pybase.store.schema_sync import sqlite_error_text
from pybase.tools.security import random_string
from pybase.tools.tokenizer import TokenizeError, split_tokens

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection

_JOIN_RE = re.compile(
    r"\s+(full\s+outer\s+join|left\s+outer\s+join|right\s+outer\s+join|full\s+join|cross\s+join"
    r"|inner\s+join|outer\s+join|left\s+join|right\s+join|join)\s+?",
    re.IGNORECASE | re.MULTILINE,
)
_DISCARD_RE = re.compile(r"\s+(where|group\s+by|having|order|limit|with)\s+?", re.IGNORECASE | re.MULTILINE)
_COMMENTS_RE = re.compile(r"(/\*[\s\S]*?\*/)|(--.+$)", re.MULTILINE)
_CAST_RE = re.compile(r"^cast\s*\(.*\s+as\s+(\w+)\s*\)$", re.IGNORECASE | re.DOTALL)
_CAST_FIELDS: dict[str, dict[str, Any]] = {
    "real": {"type": "number"}, "decimal": {"type": "number"}, "numeric": {"type": "number"},
    "int": {"type": "number", "onlyInt": True}, "integer": {"type": "number", "onlyInt": True},
    "text": {"type": "text"}, "boolean": {"type": "bool"}, "bool": {"type": "bool"},
}  # fmt: skip


@dataclass
class _Identifier:
    original: str
    alias: str


#: PocketBase's answer to a query holding U+0000 that its statement check lets through: SQLite
#: reads a statement up to a NUL, so PocketBase's wrapped query ends there
NUL_QUERY = "SQL logic error: incomplete input (1)"


def check_view_query(col: Collection, query: str) -> str:
    """The query without surrounding spaces and semicolons; one statement only."""
    try:
        return _one_statement(query)
    except ViewQueryError as ex:
        raise _query_error(col, str(ex)) from ex


def _one_statement(query: str) -> str:
    """The query without surrounding spaces and semicolons; ViewQueryError unless it is one
    statement PocketBase would run."""
    stripped = query.strip().strip(";")
    if _statements(stripped) > 1:
        raise ViewQueryError("multiple statements are not supported")
    if "\x00" in stripped:
        raise ViewQueryError(NUL_QUERY)
    return stripped


def _statements(query: str) -> int:
    """How many statements PocketBase's tokenizer finds in ``query`` (split on ';'; a NUL ends
    its input); none when the scan fails, as PocketBase ignores its error there."""
    try:
        return len(split_tokens(query, ";"))
    except TokenizeError:
        return 0


def _trim_identifier(raw: str, extra: str = "") -> str:
    return ".".join(part.strip("`\"[];" + extra) for part in raw.split("."))


class ViewQueryError(ValueError):
    """A select list or FROM clause PocketBase's identifier parser refuses."""


def _identifiers(raw: str) -> list[_Identifier]:
    out: list[_Identifier] = []
    for item in _tokens(raw, ","):
        parts = _tokens(item, " \n\t")
        if len(parts) == 3:
            if parts[1].lower() != "as":
                raise ViewQueryError(f'invalid identifier part - expected "as", got {parts[1]}')
            original, alias = parts[0], parts[2]
        elif len(parts) == 2:
            original, alias = parts
        elif len(parts) == 1:
            original, alias = parts[0], parts[0].split(".")[-1]
        else:
            raise ViewQueryError(f"invalid identifier parts [{' '.join(parts)}]")
        out.append(_Identifier(_trim_identifier(original), _trim_identifier(alias, "'")))
    return out


def _tokens(text: str, separators: str, *, keep_separator: bool = False) -> list[str]:
    try:
        return split_tokens(text, separators, keep_separator=keep_separator)
    except TokenizeError as ex:
        raise ViewQueryError(str(ex)) from ex


def _parse(query: str) -> tuple[list[_Identifier], list[_Identifier]]:
    """The selected columns and the FROM/JOIN tables of a SELECT."""
    text = _COMMENTS_RE.sub(" ", query.strip().strip(";"))
    text = _JOIN_RE.sub(" __pb_join__ ", text)
    text = _DISCARD_RE.sub(" __pb_discard__ ", text)
    sections: dict[str, list[str]] = {"select": [], "from": [], "join": []}
    active: str | None = None
    skip = False
    for token in _tokens(text, ", \n\t", keep_separator=True):
        lowered = token.strip().lower()
        if lowered in ("select", "from"):
            skip, active = False, lowered
        elif lowered == "distinct":
            continue
        elif lowered == "__pb_join__":
            if active == "join":
                sections["join"].append(",")
            skip, active = False, "join"
        elif lowered == "__pb_discard__":
            skip = True
        else:
            if active == "join" and lowered == "on":
                skip = True
            if not skip and active is not None:
                sections[active].append(token)
    tables = _identifiers(" ".join(sections["from"])) + _identifiers(" ".join(sections["join"]))
    return _identifiers(" ".join(sections["select"])), tables


def column_source(app: App, query: str, alias: str) -> tuple[Collection, str] | None:
    """The collection and field a view query's column ``alias`` is selected from (None when it
    is computed, or comes from no known collection)."""
    columns, tables = _parse(query)
    collections = {}
    for table in tables:
        if "(" in table.alias or "(" in table.original:
            continue
        found = app.registry.find(table.original)
        if found is not None and found.name == table.original:
            collections[table.alias] = found
    main_alias = tables[0].alias if tables else ""
    for col in columns:
        if col.alias != alias:
            continue
        parts = col.original.split(".")
        field_name = parts[1] if len(parts) == 2 else parts[0]
        source = collections.get(parts[0] if len(parts) == 2 else main_alias)
        field = next((f for f in source.fields if f.name.lower() == field_name.lower()), None) if source else None
        return (source, field.name) if source is not None and field is not None else None
    return None


def json_fields(col: Collection) -> list[str]:
    """The names of a view collection's json fields (its view makes them jsonb on Postgres)."""
    return [f.name for f in col.fields if f.type == "json"]


def _default_field(name: str) -> dict[str, Any]:
    if name == "id":
        return {"type": "text", "name": "id", "system": True, "required": True, "primaryKey": True, "pattern": "^[a-z0-9]+$"}
    return {"type": "json", "name": name, "maxSize": 1}


def _suggested_fields(app: App, query: str) -> dict[str, dict[str, Any]]:
    columns, tables = _parse(query)
    collections = {}
    for table in tables:
        if "(" in table.alias or "(" in table.original:
            continue
        found = app.registry.find(table.original)
        if found is not None and found.name == table.original:
            collections[table.alias] = found
    main_alias = tables[0].alias if tables else ""
    out: dict[str, dict[str, Any]] = {}
    for col in columns:
        lowered = col.original.lower()
        if col.alias == "id":
            out[col.alias] = _default_field("id")
            continue
        if lowered.startswith("count("):
            out[col.alias] = {"type": "number", "name": col.alias, "onlyInt": True}
            continue
        if lowered.startswith("total("):
            out[col.alias] = {"type": "number", "name": col.alias}
            continue
        cast = _CAST_RE.match(lowered)
        if cast and cast.group(1) in _CAST_FIELDS:
            out[col.alias] = {**_CAST_FIELDS[cast.group(1)], "name": col.alias}
            continue
        parts = col.original.split(".")
        field_name = parts[1] if len(parts) == 2 else parts[0]
        source = collections.get(parts[0] if len(parts) == 2 else main_alias)
        field = next((f for f in source.fields if f.name.lower() == field_name.lower()), None) if source else None
        if source is None or field is None:
            out[col.alias] = _default_field(col.alias)
        elif field_name.lower() == "id":
            # NOTE: another collection's id column is a reference to it.
            out[col.alias] = {"type": "relation", "name": col.alias, "maxSelect": 1, "collectionId": source.id}
        else:
            data = field.to_json()
            data.update(id="_clone_" + random_string(4), name=col.alias)
            out[col.alias] = data
    return out


def _invalid_query(message: str) -> FieldError:
    # NOTE: PocketBase keeps the first 500 characters of the reason
    return FieldError("validation_invalid_view_query", f"Invalid query - {message[:500]}")


def _query_error(col: Collection, message: str, fields_error: FieldError | None = None) -> ValidationError:
    # NOTE: the fields of a view come from its query: none when the query fails (even on update).
    errors: dict[str, Any] = {"viewQuery": _invalid_query(message)}
    errors["fields"] = fields_error if fields_error is not None else required()
    return ValidationError(errors)


def _columns(conn: Any, query: str) -> list[str]:
    """The view's column names, found the way PocketBase does: through a temporary view."""
    temp = "_temp_" + random_string(6)
    try:
        schema_sync.create_view(conn, temp, query)
        try:
            return schema_sync.table_columns(conn, temp)
        finally:
            schema_sync.drop_view(conn, temp)
    except DBAPIError as ex:
        raise ViewQueryError(sqlite_error_text(ex.orig, in_view=True)) from ex


class MissingIdError(ViewQueryError):
    """The query selects no ``id`` column."""


def view_fields(app: App, query: str, conn: Any, previous: list[Field] | None = None) -> list[Field]:
    """The fields of a view with ``query`` (already checked by :func:`check_view_query`).

    Raises :class:`ViewQueryError` with SQLite's (or the parser's) words when the query fails.
    """
    selected = _parse(query)[0]
    if any(c.alias == "*" for c in selected):
        raise ViewQueryError(
            "wildcard columns (*) are not supported - manually type the collection field names you want the view query to have"
        )
    columns = _columns(conn, query)
    if "id" not in columns:
        raise MissingIdError("missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one)")
    suggested = _suggested_fields(app, query)
    kept_fields = {f.name: f for f in previous or []}
    fields: list[Field] = []
    for name in columns:
        data = suggested.get(name) or _default_field(name)
        data.pop("searchable", None)  # NOTE: a source's searchable field is a plain one in a view
        kept = kept_fields.get(name)
        if kept is not None and kept.type == data["type"] and kept.id.startswith("_clone_") and data.get("id", "").startswith("_clone_"):
            data["id"] = kept.id  # NOTE: keep clone ids stable across saves of the same view
        field = new_field(data)
        field.ensure_id()
        fields.append(field)
    return fields


def infer_view_fields(app: App, col: Collection, conn: Any) -> list[Field]:
    """Run the query with no rows to learn its columns, then match them to source fields."""
    if not col.view_query.strip():
        raise ValidationError({"viewQuery": required(), "fields": required()})
    # NOTE: the query is stored as given (a trailing semicolon too), as PocketBase does.
    query = check_view_query(col, col.view_query)
    try:
        return view_fields(app, query, conn, col.fields)
    except MissingIdError as ex:
        raise _query_error(col, str(ex), FieldError("validation_missing_primary_key", 'Missing or invalid "id" PK field.')) from ex
    except ViewQueryError as ex:
        raise _query_error(col, str(ex)) from ex


def dry_run_view(app: App, query: str, sample_size: int = 10) -> tuple[list[Field], list[Record]]:
    """The fields a view collection with ``query`` would get and its first ``sample_size`` records.

    Raises :class:`ViewQueryError` when the query is refused. The temporary views it needs are
    created and dropped inside one write transaction, so nothing of them stays behind.
    """
    stripped = _one_statement(query)
    with app.db.write() as conn, one_view_read(conn):  # PERF: one read of the database (Postgres)
        fields = view_fields(app, stripped, conn)
        return fields, sample_view(app, conn, stripped, fields, sample_size)


def sample_view(app: App, conn: Any, query: str, fields: list[Field], sample_size: int = 10) -> list[Record]:
    """The first ``sample_size`` records of a view of ``query`` (checked, with ``fields`` its
    inferred fields), read through a temporary view as PocketBase's DryRunView does; raises
    :class:`ViewQueryError` when they cannot be read or when one has an empty (or NULL) id or
    the id of another: PocketBase refuses such a view when it is saved.
    """
    name = "temp_view_" + random_string(5)
    temp = new_collection({"type": "view", "name": name, "viewQuery": query})
    temp.fields = fields
    temp.registry = app.registry
    temp.invalidate()
    columns = [c for c, _convert in temp.row_converters()]
    # NOTE: a failed read aborts a Postgres transaction: each runs under a savepoint (and the
    # whole under another, whose rollback drops the temporary view too).
    savepoint = conn.begin_nested if conn.dialect.name == "postgresql" else contextlib.nullcontext
    failure: DBAPIError | None = None
    with savepoint():
        query = stored_view_query(conn, query)
        schema_sync.create_view(conn, name, query, json_fields(temp))
        dialect = dialect_of(conn)
        temp.json_as_written = not dialect.json_text_rewritten
        temp.nul_escaped = not dialect.text_holds_nul
        temp.jsonb_columns = dialect.jsonb_view_columns(conn, [name]).get(name, frozenset())
        temp.invalidate()
        try:
            shown = f"SELECT `{name}`.* FROM (SELECT * FROM ({_as_written(query)})) `{name}` LIMIT {int(sample_size)}"
            # NOTE: PocketBase reports a row that fails to read only when it is the first: its
            # sample ends before a later one (its driver's iteration stops, the error unseen).
            for size in range(sample_size, 0, -1):
                try:
                    with savepoint():
                        rows = schema_sync.view_sample(conn, name, columns, size)
                    break
                except DBAPIError as ex:
                    failure = failure or ex
            else:
                rows = []
        finally:
            schema_sync.drop_view(conn, name)
    if failure is not None and not rows:
        raise ViewQueryError(
            f"failed to retrieve query records: {sqlite_error_text(failure.orig, in_view=True)}; failed query: {shown}"
        ) from failure
    records = [Record.from_row(temp, row) for row in rows]
    ids: set[str] = set()
    for record in records:
        if not record.id:
            raise ViewQueryError("the query could return records with empty or invalid ids")
        if record.id in ids:
            raise ViewQueryError("the query could return records with non-unique ids")
        ids.add(record.id)
    return records


def stored_view_query(conn: Any, query: str) -> str:
    """The SELECT a view collection's SQL view is made of (PocketBase's normalizeViewQueryId):
    ``query`` when its ``id`` column is declared TEXT, else wrapped in a SELECT of its columns
    that casts the id to text (a number selected as id reads, filters and sorts as text)."""
    query = query.strip().strip(";")
    temp = "_temp_" + random_string(6)
    schema_sync.create_view(conn, temp, query)
    try:
        info = dialect_of(conn).table_info(conn, temp)
    finally:
        schema_sync.drop_view(conn, temp)
    if any(c["name"].lower() == "id" and str(c["type"] or "").upper() == "TEXT" for c in info):
        return query
    # NOTE: PocketBase lists the columns its parser finds; the database's own are the same but
    # for queries that parser misreads (a UNION's), whose id an older SQLite declares no TEXT.
    names = ["`" + c["name"].replace("`", "``") + "`" for c in info]
    shown = ",".join(f"CAST({n} as TEXT) {n}" if n == "`id`" else n for n in names)
    return f"SELECT {shown} FROM ({query})"


# the columns stored_view_query lists before the query (its id cast to TEXT)
_LISTED_RE = re.compile(r"^SELECT (CAST\(`id` as TEXT\) `id`(?:,`(?:[^`]|``)*`)*|(?:`(?:[^`]|``)*`,)+CAST\(`id` as TEXT\) `id`(?:,`(?:[^`]|``)*`)*) FROM \(")


def _as_written(query: str) -> str:
    """The query as PocketBase's error shows it: the columns stored_view_query lists quoted as
    its query builder's placeholders (``CAST([[id]] as TEXT) [[id]],[[v]]``), not yet resolved."""
    found = _LISTED_RE.match(query)
    if found is None:
        return query
    listed = re.sub(r"`((?:[^`]|``)*)`", lambda m: "[[" + m.group(1).replace("``", "`") + "]]", found.group(1))
    return f"SELECT {listed} FROM (" + query[found.end() :]


def view_sample_error(app: App, col: Collection, conn: Any) -> FieldError | None:
    """Why PocketBase would refuse to save the view ``col`` (its fields already inferred) after
    reading its first 10 records, or None."""
    try:
        sample_view(app, conn, col.view_query.strip().strip(";"), col.fields)
    except ViewQueryError as ex:
        return _invalid_query(str(ex))
    return None
