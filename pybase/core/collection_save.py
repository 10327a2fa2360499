"""The collection save/delete pipelines: hooks, validation and the table change, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import DBAPIError

from pybase.core.collections import (
    Collection,
    new_collection,
    retarget_indexes,
    touch,
    validate_collection,
)
from pybase.core.errors import BadRequestError, FieldError, ValidationError
from pybase.core.events import CollectionEvent, ModelEvent
from pybase.core.fields import new_field
from pybase.core.view_schema import infer_view_fields
from pybase.store import schema_sync
from pybase.store.schema import collections_table

if TYPE_CHECKING:
    from pybase.core.app import App


def save_collection(app: App, col: Collection, old: Collection | None, renames: dict[str, str] | None = None) -> Collection:
    """Create (``old`` is None) or update a collection and its table through the hooks."""
    verb = "create" if old is None else "update"
    title = verb.title()
    hooks = app.hooks
    col.registry = app.registry

    def action(e: CollectionEvent) -> Any:
        with app.db.write() as conn:
            if col.is_view:
                col.fields = infer_view_fields(app, col, conn)
            touch(col, creating=old is None)
            retarget_indexes(col)
            hooks["onModelValidate"].trigger(
                ModelEvent(app, col),
                lambda me: hooks["onCollectionValidate"].trigger(
                    CollectionEvent(app, col), lambda ce: validate_collection(ce.collection, old)
                ),
            )

            def execute(_: CollectionEvent) -> Any:
                _execute(app, conn, col, old, renames or {})
                return None

            hooks[f"onModel{title}Execute"].trigger(
                ModelEvent(app, col),
                lambda me: hooks[f"onCollection{title}Execute"].trigger(CollectionEvent(app, col), execute),
            )
            app.registry.reload()
        return None

    _run(app, col, verb, lambda: hooks[f"onModel{title}"].trigger(
        ModelEvent(app, col), lambda me: hooks[f"onCollection{title}"].trigger(CollectionEvent(app, col), action)
    ))
    return app.registry.find(col.id) or col


def delete_collection(app: App, col: Collection) -> None:
    """Delete a collection and its table (refused for system or referenced collections)."""
    hooks = app.hooks

    def action(e: CollectionEvent) -> Any:
        if col.system:
            raise BadRequestError("Failed to delete collection.")
        refs = [c for c, _ in app.registry.referencing(col.id) if c.id != col.id]
        if refs:
            raise BadRequestError(
                f"Failed to delete collection probably due to existing reference in {refs[0].name}."
            )
        with app.db.write() as conn:

            def execute(_: CollectionEvent) -> Any:
                if col.is_view:
                    schema_sync.drop_view(conn, col.name)
                else:
                    schema_sync.drop_table(conn, col.name)
                conn.execute(delete(collections_table).where(collections_table.c.id == col.id))
                return None

            hooks["onModelDeleteExecute"].trigger(
                ModelEvent(app, col),
                lambda me: hooks["onCollectionDeleteExecute"].trigger(CollectionEvent(app, col), execute),
            )
            app.registry.reload()
        return None

    _run(app, col, "delete", lambda: hooks["onModelDelete"].trigger(
        ModelEvent(app, col), lambda me: hooks["onCollectionDelete"].trigger(CollectionEvent(app, col), action)
    ))


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
    """Create or replace every listed collection in one transaction."""
    with app.db.write():
        imported_ids: set[str] = set()
        for data in items:
            if not isinstance(data, dict):
                raise ValidationError({"collections": FieldError("validation_collections_import_failure", "Invalid collection data.")})
            existing = app.registry.find(str(data.get("id") or "")) or app.registry.find(str(data.get("name") or ""))
            if existing is None:
                col = new_collection(data)
                if not col.field("id") and col.type != "view":
                    col.fields.append(new_field({"type": "text", "name": "id", **_id_defaults()}))
                saved = save_collection(app, col, None)
            else:
                col = existing.clone()
                from pybase.core.collections import apply_changes

                renames = apply_changes(col, {k: v for k, v in data.items() if k != "id"})
                if col.is_auth:
                    _restore_system_fields(col, existing)
                saved = save_collection(app, col, existing, renames)
            imported_ids.add(saved.id)
        if delete_missing:
            for col in app.registry.all():
                if col.id not in imported_ids and not col.system:
                    delete_collection(app, col)


def _id_defaults() -> dict[str, Any]:
    from pybase.core.collections import id_field

    return {k: v for k, v in id_field().items() if k not in ("type", "name")}


def _restore_system_fields(col: Collection, old: Collection) -> None:
    names = {f.name for f in col.fields}
    for field in old.fields:
        if field.system and field.name not in names:
            col.fields.append(new_field(field.to_json()))
    col.invalidate()


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
    row = col.to_row()
    try:
        if old is None:
            conn.execute(insert(collections_table).values(row))
            if col.is_view:
                schema_sync.create_view(conn, col.name, col.view_query)
            else:
                schema_sync.create_table(conn, schema_sync.TableSpec(col.name, col.table, col.parsed_indexes()))
            return
        conn.execute(update(collections_table).where(collections_table.c.id == old.id).values(row))
        if col.is_view:
            schema_sync.drop_view(conn, old.name)
            schema_sync.create_view(conn, col.name, col.view_query)
            return
        _sync_table(conn, col, old, renames)
    except DBAPIError as ex:
        raise ValidationError(
            {"indexes": FieldError("validation_invalid_index_expression", f"Failed to apply the schema change - {ex.orig}.")}
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
    schema_sync.sync_table(conn, old.name, old_columns, schema_sync.TableSpec(col.name, col.table, []), keep_renames)
    for name, to_multi in converted:
        _convert_cardinality(conn, col, name, to_multi)
    schema_sync.create_indexes(conn, schema_sync.TableSpec(col.name, col.table, col.parsed_indexes()))


def _convert_cardinality(conn: Any, col: Collection, name: str, to_multi: bool) -> None:
    table = col.table
    column = table.c[name]
    rows = conn.execute(table.select().with_only_columns(table.c.id, column)).all()
    for record_id, value in rows:
        if to_multi:
            if isinstance(value, str) and value.startswith("["):
                continue
            new_value = orjson.dumps([value] if value else []).decode()
        else:
            try:
                items = orjson.loads(value) if isinstance(value, str) and value.startswith("[") else value
            except orjson.JSONDecodeError:
                items = value
            new_value = (items[-1] if items else "") if isinstance(items, list) else (items or "")
        conn.execute(update(table).where(table.c.id == record_id).values({name: new_value}))
