"""The record save and delete pipelines.

Create: onModelCreate -> onRecordCreate -> [write transaction: field defaults ->
onModelValidate -> onRecordValidate -> onModelCreateExecute -> onRecordCreateExecute -> INSERT]
-> after commit onModelAfterCreateSuccess -> onRecordAfterCreateSuccess (or the *Error pair).
Update and delete follow the same shape. The built-in action is always the last link.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from pybase.core.errors import (
    BadRequestError,
    FieldError,
    NotFoundError,
    PyBaseError,
    ValidationError,
)
from pybase.core.events import ModelEvent, RecordEvent
from pybase.core.fields.text import generate_from_pattern
from pybase.core.records import BCRYPT_COST, Record, hash_password
from pybase.store import pg_nul
from pybase.store.dialect import JSONText, json_array_contains
from pybase.store.schema_sync import sqlite_error_text

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.store.db import Database, Prepared

MAX_CASCADE_DEPTH = 32


def save_record(
    app: App,
    record: Record,
    *,
    validate: bool = True,
    check: Callable[[Any, Record], None] | None = None,
) -> Record:
    """Create or update ``record`` through the full hook pipeline.

    ``check(conn, record)`` runs inside the write transaction after validation, before the
    row is written (API rules); raising there rolls the whole save back.
    """
    if record.store is None:
        record.store = app.records  # NOTE: made as Record(collection): validation reads the store
    verb = "create" if record.is_new else "update"
    hooks = app.hooks
    model_hook = hooks[f"onModel{verb.title()}"]
    record_hook = hooks[f"onRecord{verb.title()}"]

    def action(e: RecordEvent) -> Any:
        _write(app, e.record, verb, validate, check)
        return None

    def model_final(me: ModelEvent) -> Any:
        return record_hook.trigger(RecordEvent(app, me.model), action)

    _run_with_after_hooks(app, record, verb, lambda: model_hook.trigger(ModelEvent(app, record), model_final))
    return record


def delete_record(app: App, record: Record, *, _depth: int = 0) -> None:
    """Delete ``record`` through the hook pipeline, handling relations that point at it."""
    hooks = app.hooks

    def action(e: RecordEvent) -> Any:
        with app.db.write() as conn:
            _handle_references(app, e.record, _depth)

            def execute(_: RecordEvent) -> Any:
                collection = e.record.collection
                if e.record.store is not None:
                    db = e.record.store.db
                    rowcount = db.run(_delete_statement(db, collection), {"id": e.record.id})
                else:
                    table = collection.table
                    rowcount = conn.execute(delete(table).where(table.c.id == e.record.id)).rowcount
                if rowcount == 0:
                    # NOTE: deleted by a concurrent request since it was loaded: report it once.
                    raise NotFoundError()
                return None

            def model_exec(me: ModelEvent) -> Any:
                return hooks["onRecordDeleteExecute"].trigger(RecordEvent(app, me.model), execute)

            hooks["onModelDeleteExecute"].trigger(ModelEvent(app, e.record), model_exec)
            if any(f.type == "file" for f in e.record.collection.fields):
                # NOTE: the files go only once the deletion (and any cascade) has committed.
                base = f"{e.record.collection.id}/{e.record.id}"
                app.db.on_commit(lambda: app.files.delete_record_files(base))
        return None

    def model_final(me: ModelEvent) -> Any:
        return hooks["onRecordDelete"].trigger(RecordEvent(app, me.model), action)

    _run_with_after_hooks(app, record, "delete", lambda: hooks["onModelDelete"].trigger(ModelEvent(app, record), model_final))


def _run_with_after_hooks(app: App, record: Record, verb: str, run: Callable[[], Any]) -> None:
    hooks = app.hooks
    title = verb.title()

    def after_error(ex: BaseException) -> None:
        me = ModelEvent(app, record)
        me.error = ex
        re = RecordEvent(app, record)
        re.error = ex
        hooks[f"onModelAfter{title}Error"].trigger(me, lambda _e: hooks[f"onRecordAfter{title}Error"].trigger(re))

    try:
        with app.db.write():
            run()
    except Exception as ex:
        after_error(ex)
        raise

    def after_success() -> None:
        hooks[f"onModelAfter{title}Success"].trigger(
            ModelEvent(app, record),
            lambda _e: hooks[f"onRecordAfter{title}Success"].trigger(RecordEvent(app, record)),
        )

    # NOTE: inside an outer transaction (runInTransaction, cascades) the outcome is known only
    # when it ends: success hooks after its commit, error hooks after its rollback (as PocketBase).
    app.db.on_commit(after_success, on_rollback=lambda: after_error(RuntimeError("transaction rolled back")))


def _write(
    app: App, record: Record, verb: str, validate: bool, check: Callable[[Any, Record], None] | None = None
) -> None:
    hooks = app.hooks
    collection = record.collection
    with app.db.write() as conn:
        for field in collection.fields:
            field.before_save(record)
        if collection.is_superusers:
            record.set("verified", True)
        if validate:
            hooks["onModelValidate"].trigger(
                ModelEvent(app, record),
                lambda me: hooks["onRecordValidate"].trigger(RecordEvent(app, me.model), lambda e: validate_record(e.record)),
            )
        pending = record.pending_passwords()
        for name, plain in pending.items():
            # NOTE: at the field's bcrypt cost when it sets one (8 for _otps), as PocketBase.
            cost = getattr(collection.field(name), "cost", 0) or BCRYPT_COST
            record.set(name, hash_password(plain, cost) if plain else "")
        if collection.is_auth and not record.is_new and _renews_token_key(record, pending):
            token_field = collection.field("tokenKey")
            pattern = getattr(token_field, "autogeneratePattern", "") or "[a-zA-Z0-9]{50}"
            record.set("tokenKey", generate_from_pattern(pattern))
        if check is not None:
            # NOTE: before the write (as PocketBase), so the rule never sees the new row itself.
            check(conn, record)

        def execute(_: RecordEvent) -> Any:
            file_fields = [f for f in collection.fields if f.type == "file"]
            if not file_fields:
                _execute(conn, record, verb)
                return None
            _execute_with_files(app, conn, record, verb, file_fields)
            return None

        def model_exec(me: ModelEvent) -> Any:
            return hooks[f"onRecord{verb.title()}Execute"].trigger(RecordEvent(app, me.model), execute)

        hooks[f"onModel{verb.title()}Execute"].trigger(ModelEvent(app, record), model_exec)
    app.db.on_commit(record.mark_saved)


def _execute_with_files(app: App, conn: Any, record: Record, verb: str, file_fields: list[Any]) -> None:
    """The row write with the record's files: new uploads stored first (and deleted again if
    the transaction rolls back), replaced and removed files deleted once it commits."""
    files = app.files
    uploaded = files.store_uploads(record)
    if uploaded:
        storage = files.storage()
        app.db.on_commit(_noop, on_rollback=lambda: files.delete_keys(uploaded, storage))
    _execute(conn, record, verb)
    removed: list[str] = []
    for field in file_fields:
        names = field.names_of(record)
        removed += [n for n in record.original_values(field.name) if n not in names]
        if field.uploads_of(record):
            record.set(field.name, field.export(record.get(field.name)))
    if removed:
        base = f"{record.collection.id}/{record.original_id or record.id}"
        app.db.on_commit(lambda: files.delete_names(base, removed))


def _noop() -> None:
    return None


def _renews_token_key(record: Record, pending: dict[str, str]) -> bool:
    """Whether a saved auth record gets a new tokenKey (so every token issued before dies).

    As PocketBase: on a password or email change, unless the save sets a tokenKey itself.
    """
    if record.get("tokenKey") != record.original.get("tokenKey"):
        return False
    return "password" in pending or record.get("email") != record.original.get("email")


def validate_record(record: Record) -> None:
    """Run every field's value rules; raise one ValidationError listing each failing field."""
    errors: dict[str, FieldError] = {}
    for field in record.collection.fields:
        try:
            field.validate_value(record)
        except FieldError as ex:
            errors[field.name] = ex
    if errors:
        raise ValidationError(errors)


def _execute(conn: Any, record: Record, verb: str) -> None:
    collection = record.collection
    table = collection.table
    values = {f.name: f.to_db(record.get(f.name)) for f in collection.fields}
    if record.store is not None and not record.store.db.dialect.text_holds_nul:
        _escape_json(collection, values)
    try:
        if verb == "create":
            db = record.store.db if record.store is not None else None
            if db is None:
                conn.execute(insert(table).values(values))
            else:
                db.run(_insert_statement(db, collection), values)
        else:
            db = record.store.db if record.store is not None else None
            if db is None:
                changed = {k: v for k, v in values.items() if k != "id"}
                rowcount = conn.execute(update(table).where(table.c.id == record.original_id).values(changed)).rowcount
            else:
                values[_ORIGINAL_ID] = record.original_id
                rowcount = db.run(_update_statement(db, collection), values)
            if rowcount == 0:
                # NOTE: deleted by a concurrent request since it was loaded.
                raise NotFoundError()
    except IntegrityError as ex:
        if record.store is not None and record.store.db.is_unique_violation(ex):
            columns = record.store.db.unique_violation_columns(ex)
            named = [c for c in columns if c in collection.table.c]
            if columns and not named:
                # NOTE: as PocketBase: an expression index's duplicate names no field
                raise ValidationError({}) from ex
            raise ValidationError(
                {c: FieldError("validation_not_unique", "Value must be unique.") for c in named or ["id"]}
            ) from ex
        raise
    except Exception as ex:
        # NOTE: the driver's error itself (prepared statements) or SQLAlchemy's wrapper
        too_long = record.store.db.dialect.index_row_too_long(ex) if record.store is not None else None
        if too_long is not None:
            raise ValidationError(_too_long_for_index(collection, values, too_long)) from ex
        if record.store is not None and record.store.db.dialect.is_refused_statement(ex):
            # NOTE: as PocketBase: the write's 400 (an index expression failing on the row)
            raise ValidationError({}, sqlite_error_text(getattr(ex, "orig", ex))) from ex
        raise


#: the bytes one row of a Postgres btree index holds (a third of its page; random text does not compress)
INDEX_ROW_BYTES = 2704
_WORD_RE = re.compile(r"[A-Za-z_]\w*")


def _too_long_for_index(collection: Collection, values: dict[str, Any], index_name: str) -> dict[str, FieldError]:
    """The fields whose values the index ``index_name`` (any index of the collection when the
    database names none) cannot hold (Postgres: a row of at most :data:`INDEX_ROW_BYTES`).

    Named: the index's fields holding more than their share of its row (one of them at least,
    when the index lists plain columns), else every field it reads (an expression that makes
    a long value of short ones). PocketBase, on SQLite, stores these values.
    """
    names = {field.name.lower(): field.name for field in collection.fields}
    errors: dict[str, FieldError] = {}
    for index in collection.parsed_indexes():
        # NOTE: Postgres names an index by its first 63 bytes
        if index_name and index.name.encode()[:63].decode(errors="ignore") != index_name:
            continue
        keys: list[str] = []
        for column in index.columns:
            for word in _WORD_RE.findall(column.name) if column.expression else [column.name]:
                name = names.get(word.lower())
                if name is not None and name not in keys:
                    keys.append(name)
        share = INDEX_ROW_BYTES // max(len(keys), 1)
        long = [key for key in keys if isinstance(values.get(key), str) and len(values[key].encode()) > share]
        if index_name and not long:
            long = keys
        message = (f"The value is too long for the index {index.name}: a Postgres index holds at most "
                   f"{INDEX_ROW_BYTES:,} bytes of a row.")  # fmt: skip
        for key in long:
            errors.setdefault(key, FieldError("validation_invalid_value", message))
    return errors


def _escape_json(collection: Collection, values: dict[str, Any]) -> None:
    """A database whose text holds no NUL (Postgres): a JSON value's text as its jsonb column
    holds it (a text value is escaped as it is sent: pybase.store.pg_nul). PocketBase, on
    SQLite, stores a NUL as it is."""
    for name, value in values.items():
        if value.__class__ is str and "\\u000" in value and isinstance(collection.table.c[name].type, JSONText):
            values[name] = pg_nul.escape_json_text(value)


_inserts: weakref.WeakKeyDictionary[Collection, Prepared] = weakref.WeakKeyDictionary()
_updates: weakref.WeakKeyDictionary[Collection, Prepared] = weakref.WeakKeyDictionary()
_deletes: weakref.WeakKeyDictionary[Collection, Prepared] = weakref.WeakKeyDictionary()
_ORIGINAL_ID = "__pb_original_id"


def _insert_statement(db: Database, collection: Collection) -> Prepared:
    # PERF: one compiled INSERT per collection version (a changed collection is a new object).
    prepared = _inserts.get(collection)
    if prepared is None:
        table = collection.table
        prepared = db.prepare(insert(table).values({c.name: bindparam(c.name) for c in table.columns}))
        _inserts[collection] = prepared
    return prepared


def _update_statement(db: Database, collection: Collection) -> Prepared:
    # PERF: every column but the id set from named values, the row found by its original id.
    prepared = _updates.get(collection)
    if prepared is None:
        table = collection.table
        stmt = update(table).where(table.c.id == bindparam(_ORIGINAL_ID))
        prepared = db.prepare(stmt.values({c.name: bindparam(c.name) for c in table.columns if c.name != "id"}))
        _updates[collection] = prepared
    return prepared


def _delete_statement(db: Database, collection: Collection) -> Prepared:
    prepared = _deletes.get(collection)
    if prepared is None:
        table = collection.table
        prepared = db.prepare(delete(table).where(table.c.id == bindparam("id")))
        _deletes[collection] = prepared
    return prepared


def _handle_references(app: App, record: Record, depth: int) -> None:
    if depth > MAX_CASCADE_DEPTH:
        raise BadRequestError("Too many nested cascade deletes.")
    # NOTE: collections in name order, as PocketBase (its cascade fires in a stable order).
    for other, field_name in sorted(app.registry.referencing(record.collection.id), key=lambda ref: ref[0].name):
        if other.is_view:
            continue
        field = other.field(field_name)
        if field is None:
            continue
        table = other.table
        column = table.c[field_name]
        match = json_array_contains(column, record.id) if field.is_multi() else column == record.id
        with app.db.read() as conn:
            rows = conn.execute(select(table).where(match)).all()
        for row in rows:
            ref = Record.from_row(other, row, app.records)
            if ref.collection.id == record.collection.id and ref.id == record.id:
                continue
            remaining = [v for v in field.values_of(ref) if v != record.id]
            # NOTE: as PocketBase, a cascade deletes the referencing record only when no other
            # id is left in it; a multi-relation just loses the deleted id.
            if getattr(field, "cascadeDelete", False) and not remaining:
                delete_record(app, ref, _depth=depth + 1)
                continue
            if field.required and not remaining:
                raise BadRequestError(
                    "The record cannot be deleted because it is part of a required reference in another record."
                )
            ref.set(field_name, remaining if field.is_multi() else "")
            try:
                save_record(app, ref, validate=False)
            except PyBaseError:
                raise
