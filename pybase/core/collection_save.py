"""The collection save/delete pipelines: hooks, validation and the table change, in one transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import DBAPIError

from pybase.core.auth import rotate_auth_secret_on_rule_change
from pybase.core.collection_bind import apply_changes, new_collection
from pybase.core.collection_defaults import ensure_unique_generated_id, touch
from pybase.core.collection_validate import validate_collection
from pybase.core.collections import Collection, retarget_indexes
from pybase.core.errors import BadRequestError, FieldError, ValidationError
from pybase.core.events import CollectionEvent, ModelEvent
from pybase.core.fields import UnknownFieldType, new_field
from pybase.core.record_search import search_spec, searchable_error
from pybase.core.view_schema import (
    infer_view_fields,
    json_fields,
    stored_view_query,
    view_sample_error,
)
from pybase.store import schema_sync
from pybase.store.dialect import dialect_of, fulltext
from pybase.store.pg_view_reads import one_read as one_view_read
from pybase.store.schema import collections_table
from pybase.tools import dbutils

if TYPE_CHECKING:
    from pybase.core.app import App


class SchemaChangeError(BadRequestError):
    """SQLite refused the table change (e.g. a dropped column a view still uses)."""


def save_collection(
    app: App, col: Collection, old: Collection | None, renames: dict[str, str] | None = None, *, validate: bool = True
) -> Collection:
    """Create (``old`` is None) or update a collection and its table through the hooks.

    ``validate=False`` skips the validation step (PocketBase's SaveNoValidate: an import checks
    every collection once all of them are saved).
    """
    verb = "create" if old is None else "update"
    title = verb.title()
    hooks = app.hooks
    col.registry = app.registry

    def action(e: CollectionEvent) -> Any:
        with app.db.write() as conn:
            if old is None:
                ensure_unique_generated_id(col)
            if col.is_view and (old is None or old.is_view):
                # NOTE: a collection turned into a view fails validation on its type change.
                # A failing query leaves the view without fields and its errors join the
                # others (its rules are still checked), as PocketBase's validator does.
                # NOTE: a view's fields come from its query, so a searchable one it was sent is
                # refused here (pybase's full-text search covers tables only)
                searchable = _searchable_sent(col)
                # PERF: its query is translated three times here on Postgres (more with a number as id): one read of the database
                with one_view_read(conn):
                    try:
                        col.fields = infer_view_fields(app, col, conn)
                    except ValidationError as ex:
                        col.fields = []
                        col.view_errors = ex.errors
                    else:
                        col.view_sample_error = view_sample_error(app, col, conn)
                if searchable:
                    col.view_errors = {**col.view_errors, "fields": searchable}
            touch(col, creating=old is None)
            retarget_indexes(col)
            if validate:
                hooks["onModelValidate"].trigger(
                    ModelEvent(app, col),
                    lambda me: hooks["onCollectionValidate"].trigger(
                        CollectionEvent(app, col), lambda ce: validate_collection(ce.collection, old)
                    ),
                )

            def execute(_: CollectionEvent) -> Any:
                rotate_auth_secret_on_rule_change(col, old)
                _execute(app, conn, col, old, renames or {})
                return None

            hooks[f"onModel{title}Execute"].trigger(
                ModelEvent(app, col),
                lambda me: hooks[f"onCollection{title}Execute"].trigger(CollectionEvent(app, col), execute),
            )
            app.registry.reload()  # NOTE: this thread's until the commit (CollectionRegistry)
        return None

    _run(app, col, verb, lambda: hooks[f"onModel{title}"].trigger(
        ModelEvent(app, col), lambda me: hooks[f"onCollection{title}"].trigger(CollectionEvent(app, col), action)
    ))
    return app.registry.find(col.id) or col


def delete_collection(app: App, col: Collection, *, integrity_checks: bool = True) -> None:
    """Delete a collection and its table (refused for system or referenced collections).

    ``integrity_checks=False`` (imports with deleteMissing) skips the reference check, as
    PocketBase does; whatever is still referenced fails the validation of the imported set.
    """
    hooks = app.hooks

    def action(e: CollectionEvent) -> Any:
        if col.system:
            raise BadRequestError("Failed to delete collection.")
        refs = [c for c, _ in app.registry.referencing(col.id) if c.id != col.id]
        if refs and integrity_checks:
            raise BadRequestError(
                f"Failed to delete collection probably due to existing reference in {refs[0].name}."
            )
        with app.db.write() as conn:

            def execute(_: CollectionEvent) -> Any:
                _lock_indexes(conn)
                if col.is_view:
                    schema_sync.drop_view(conn, col.name)
                else:
                    search = search_spec(col)
                    if search is not None:
                        fulltext.drop_search(conn, search)
                    try:
                        schema_sync.drop_table(conn, col.name)
                    except schema_sync.TableInUseError as ex:
                        raise BadRequestError("Failed to delete collection.") from ex
                    if integrity_checks:
                        _check_dependent_views(app, conn, col)
                conn.execute(delete(collections_table).where(collections_table.c.id == col.id))
                if not col.is_view:
                    # NOTE: as PocketBase, the collection's stored files go once it is gone.
                    app.db.on_commit(lambda: app.files.delete_collection_files(col.id))
                return None

            hooks["onModelDeleteExecute"].trigger(
                ModelEvent(app, col),
                lambda me: hooks["onCollectionDeleteExecute"].trigger(CollectionEvent(app, col), execute),
            )
            app.registry.reload()  # NOTE: this thread's until the commit (CollectionRegistry)
        return None

    _run(app, col, "delete", lambda: hooks["onModelDelete"].trigger(
        ModelEvent(app, col), lambda me: hooks["onCollectionDelete"].trigger(CollectionEvent(app, col), action)
    ))


def _check_dependent_views(app: App, conn: Any, col: Collection) -> None:
    """As PocketBase (which saves the dependent views again): a view still selecting from the
    dropped table fails the delete."""
    for view in app.registry.all():
        if not view.is_view or not re.search(rf"\b{re.escape(col.name)}\b", view.view_query, re.IGNORECASE):
            continue
        try:
            schema_sync.check_view(conn, view.name)
        except DBAPIError as ex:
            raise BadRequestError("Failed to delete collection.") from ex


def truncate_collection(app: App, col: Collection) -> None:
    """Delete every record of a collection (through the record pipeline, so relations are honoured)."""
    if col.is_view:
        raise BadRequestError("View collections cannot be truncated since they don't store their own records.")
    from pybase.core.record_save import delete_record

    with app.db.write():
        while True:
            page = app.records.list_page(col, page=1, per_page=500, skip_total=True)
            if not page.records:
                break
            for record in page.records:
                delete_record(app, record)


def import_collections(app: App, items: list[dict[str, Any]], delete_missing: bool) -> None:
    """Create or replace every listed collection in one transaction (PocketBase's ImportCollections).

    Existing collections (matched by id, then name) keep the fields the import leaves out unless
    ``delete_missing``; with it, unlisted non-system collections are deleted first.
    """
    with app.db.write() as conn:
        planned: list[tuple[dict[str, Any], Collection | None]] = []
        for data in items:
            if not isinstance(data, dict):
                raise BadRequestError("invalid collection data - expected an object")
            identifier = str(data.get("id") or "") or str(data.get("name") or "")
            planned.append((data, app.registry.find(identifier)))
        if delete_missing:
            kept = {existing.id for _, existing in planned if existing is not None}
            kept |= {str(data.get("id")) for data, _ in planned if data.get("id")}
            for col in app.registry.all():
                if col.id not in kept and not col.system:
                    delete_collection(app, col, integrity_checks=False)
        # NOTE: views last, so the collections they select from exist first.
        planned.sort(key=lambda item: str(item[0].get("type") or (item[1].type if item[1] else "")) == "view")
        # NOTE: as PocketBase, every collection is saved first and validated after, so a relation
        # may point at a collection listed later in the same import.
        saved: list[tuple[dict[str, Any], Collection, Collection | None]] = []
        for data, existing in planned:
            existing = app.registry.find(existing.id) if existing is not None else None
            col = _import_one(app, data, existing, delete_missing, validate=False)
            saved.append((data, col, existing))
        for _data, col, existing in saved:
            current = app.registry.find(col.id) or col
            current.registry = app.registry
            if current.is_view:
                # NOTE: its first records are read as when it is saved alone
                current = current.clone()
                current.view_sample_error = view_sample_error(app, current, conn)
            try:
                validate_collection(current, existing if existing is not None else current)
            except ValidationError as ex:
                raise ImportValidationError(current, ex) from ex


class ImportValidationError(ValidationError):
    """An imported collection failed its validation once all were saved: PocketBase answers its
    errors as ozzo-validation serializes them (each message as written, no final period), in one
    field error of ``collections``."""

    def __init__(self, col: Collection, ex: ValidationError) -> None:
        detail = orjson.dumps(_written(ex.errors), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        super().__init__(
            {"collections": FieldError(
                "validation_collections_import_failure", f'Data validations failed for collection "{col.name}" ({col.id}):\n{detail}'
            )},
            "Failed to import collections.",
        )  # fmt: skip


def _written(errors: Any) -> Any:
    if isinstance(errors, FieldError):
        return errors.message.rstrip(".")
    if isinstance(errors, ValidationError):
        return _written(errors.errors)
    if isinstance(errors, dict):
        return {key: _written(value) for key, value in errors.items()}
    return errors


def _import_error(data: dict[str, Any], existing: Collection | None, ex: ValidationError) -> BadRequestError:
    name = str(data.get("name") or (existing.name if existing else ""))
    cid = existing.id if existing else str(data.get("id") or "")
    detail = orjson.dumps(ex.data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return BadRequestError(f'Data validations failed for collection "{name}" ({cid}):\n{detail}')


def _import_one(
    app: App, data: dict[str, Any], existing: Collection | None, delete_missing: bool, *, validate: bool = True
) -> Collection:
    try:
        if existing is None:
            # NOTE: a new collection gets its omitted id field first (checked on PocketBase 0.40.6);
            # an existing one keeps its system fields, appended after the imported ones (below).
            return save_collection(app, new_collection(data), None, validate=validate)
        col = existing.clone()
        changes = {k: v for k, v in data.items() if k != "id"}
        if delete_missing and changes.get("fields") is None:
            changes["fields"] = []
        renames = apply_changes(col, changes)
        present = {f.id for f in col.fields}
        for field in existing.fields:
            if field.id not in present and (field.system or not delete_missing):
                col.fields.append(new_field(field.to_json()))
        col.invalidate()
        return save_collection(app, col, existing, renames, validate=validate)
    except UnknownFieldType as ex:
        raise BadRequestError(f"missing or unknown field type {ex}") from ex
    except ValidationError as ex:
        raise _import_error(data, existing, ex) from ex


def _run(app: App, col: Collection, verb: str, run: Callable[[], Any]) -> None:
    hooks = app.hooks
    title = verb.title()
    try:
        with app.db.write():
            run()
    except Exception as ex:
        me = ModelEvent(app, col)
        me.error = ex
        ce = CollectionEvent(app, col)
        ce.error = ex
        hooks[f"onModelAfter{title}Error"].trigger(me, lambda _e: hooks[f"onCollectionAfter{title}Error"].trigger(ce))
        raise
    app.db.on_commit(
        lambda: hooks[f"onModelAfter{title}Success"].trigger(
            ModelEvent(app, col), lambda _e: hooks[f"onCollectionAfter{title}Success"].trigger(CollectionEvent(app, col))
        )
    )


def _execute(app: App, conn: Any, col: Collection, old: Collection | None, renames: dict[str, str]) -> None:
    _lock_indexes(conn)
    row = col.to_row()
    try:
        if old is None:
            conn.execute(insert(collections_table).values(row))
            if col.is_view:
                _create_view(conn, col)
            else:
                schema_sync.create_table(conn, schema_sync.TableSpec(col.name, col.table, []))
                _create_indexes(conn, col)
                fulltext.after_table_change(conn, None, search_spec(col))
            return
        conn.execute(update(collections_table).where(collections_table.c.id == old.id).values(row))
        if col.is_view:
            readers = dialect_of(conn).views_reading(conn, old.name)
            for name, _sql in reversed(readers):
                schema_sync.drop_view(conn, name)
            schema_sync.drop_view(conn, old.name)
            _create_view(conn, col)
            _make_readers_again(app, conn, readers)
            return
        if not _table_changes(old, col):
            _remake_stale_indexes(conn, col)
            return
        searches = (None if old.is_view else search_spec(old), search_spec(col))
        fulltext.before_table_change(conn, *searches)
        _sync_table(conn, col, old, renames)
        fulltext.after_table_change(conn, *searches)
    except schema_sync.SchemaSyncError as ex:
        # NOTE: PocketBase reports SQL failures of a schema change as a raw error (no field data).
        raise SchemaChangeError(ex.message) from ex
    except DBAPIError as ex:
        raise SchemaChangeError(schema_sync.sqlite_error_text(ex.orig)) from ex


def _create_view(conn: Any, col: Collection) -> None:
    with one_view_read(conn):  # PERF: its query translated twice on Postgres: one read of the database
        schema_sync.create_view(conn, col.name, stored_view_query(conn, col.view_query), json_fields(col))


def _table_changes(old: Collection, col: Collection) -> bool:
    """Whether a save changes the table: its name, a field or an index. PERF: a save that does
    not (rules, options) leaves the table and its indexes alone, as PocketBase does; making every
    index again (the search index too) took as long as the table is big."""
    before, after = old.to_row(), col.to_row()
    return old.is_view or any(before[key] != after[key] for key in ("name", "fields", "indexes"))


def _remake_stale_indexes(conn: Any, col: Collection) -> None:
    """On Postgres, indexes an older pybase made otherwise (pybase.store.pg_indexes) are made as
    this one makes them, as at a start: a save is how a user asks for it. Cheap when they are."""
    if conn.dialect.name == "postgresql":
        from pybase.store import pg_indexes

        pg_indexes.remake(conn, col.name, col.table, col.parsed_indexes())


def _make_readers_again(app: App, conn: Any, readers: list[tuple[str, str]]) -> None:
    """Make again, in order, the views that read a view just made again (Postgres drops them
    with it): a view collection from its own query, so it reads the new columns' kinds anew;
    any other view from its SQL as the database had it.

    NOTE: PocketBase (SQLite) keeps a view over one that lost a column it reads, failing when
    read; Postgres cannot hold such a view, so the change is refused (the transaction undone).
    """
    for name, sql in readers:
        reader = app.registry.find(name)
        try:
            with conn.begin_nested():
                if reader is not None and reader.is_view and reader.name == name:
                    schema_sync.create_view(conn, name, stored_view_query(conn, reader.view_query), json_fields(reader))
                else:
                    conn.exec_driver_sql(sql)  # SECURITY: the database's own view SQL, replayed verbatim
        except DBAPIError as ex:
            raise SchemaChangeError(
                f"the view {name} reads this view and cannot be made again over it: {schema_sync.sqlite_error_text(ex.orig)}"
            ) from ex


def _sync_table(conn: Any, col: Collection, old: Collection, renames: dict[str, str]) -> None:
    old_by_id = {f.id: f for f in old.fields}
    # A single<->multi change alters the column type: drop and re-add it, converting values.
    converted: list[tuple[str, bool]] = []
    for field in col.fields:
        before = old_by_id.get(field.id)
        if before is not None and before.is_multi() != field.is_multi():
            converted.append((field.name, field.is_multi()))
    old_columns = [f.name for f in old.fields]
    keep_renames = dict(renames)
    schema_sync.sync_table(
        conn, old.name, old_columns, schema_sync.TableSpec(col.name, col.table, []), keep_renames, [f.name for f in col.fields]
    )
    for name, to_multi in converted:
        schema_sync.convert_cardinality(conn, col.name, col.table.c[name], to_multi)
    _create_indexes(conn, col)


def _searchable_sent(col: Collection) -> dict[str, Any]:
    """The errors of the fields a view collection was sent as searchable."""
    return {
        str(index): {"searchable": error}
        for index, field in enumerate(col.fields)
        if (error := searchable_error(col, field)) is not None
    }


def _lock_indexes(conn: Any) -> None:
    """On Postgres, a schema change waits for a node making collections' indexes again at its
    start (pybase.store.pg_indexes), which reads each collection under the same lock."""
    if conn.dialect.name == "postgresql":
        from pybase.store import pg_indexes

        pg_indexes.lock(conn)


_UNIQUE_FAILED = "constraint failed: UNIQUE constraint failed:"


def _create_indexes(conn: Any, col: Collection) -> None:
    """Create each index; SQLite's refusals (duplicate values...) become per-index validation errors."""
    errors: dict[str, Any] = {}
    for position, index in enumerate(col.parsed_indexes()):
        try:
            schema_sync.create_indexes(conn, schema_sync.TableSpec(col.name, col.table, [index]))
        except dbutils.IndexRefused as ex:
            errors[str(position)] = FieldError(
                "validation_invalid_index_expression",
                f"Failed to create index {index.name} - SQL logic error: {ex.message} ({ex.code}).",
            )
        except DBAPIError as ex:
            message = schema_sync.sqlite_error_text(ex.orig)
            if message.startswith(_UNIQUE_FAILED) and any(c.expression for c in index.columns):
                # NOTE: SQLite names an expression index's duplicates by the index (Postgres by its expression)
                message = f"{_UNIQUE_FAILED} index '{index.name}' (2067)"
            errors[str(position)] = FieldError(
                "validation_invalid_index_expression", f"Failed to create index {index.name} - {message}."
            )
    if errors:
        raise ValidationError({"indexes": errors})
