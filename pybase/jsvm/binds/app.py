"""``$app`` for JS: finders (by id, data or filter), counts, saves and deletes, settings, the logger and transactions."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import and_, select, true
from sqlalchemy.exc import DBAPIError, StatementError

from pybase.core import record_access, record_save
from pybase.core.app_hooks import HOOKS
from pybase.core.auth import find_record_by_token
from pybase.core.collection_save import import_collections
from pybase.core.collections import SUPERUSERS, Collection
from pybase.core.errors import BadRequestError, NotFoundError
from pybase.core.record_access import can_access
from pybase.core.record_expand import expand_records
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.core.settings import SHAPE, Settings
from pybase.jsvm.binds.collection import collection_of
from pybase.jsvm.binds.dbx import run_statement, where_clauses
from pybase.jsvm.errors import GoError, NoRows
from pybase.store.db import DB_ERRORS
from pybase.store.dialect import insertion_order
from pybase.tools.cast import format_float
from pybase.tools.filter import FilterError, go_quote
from pybase.tools.hook import Hook

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.jsvm.pool import Executor
    from pybase.store.db import Prepared

_PARAM_RE = re.compile(r"\{:(\w+)\}")


def _literal(value: Any) -> str:
    """A placeholder's value as PocketBase writes it into the filter's text: null, a bool or a
    number as cast.ToString writes it, anything else strconv.Quote'd (an object or an array as
    its JSON). NOTE: as there, the scanner then keeps Quote's \\xNN, \\uNNNN, \\a... as written."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return go_quote(text)


def _with_params(text: Any, params: Any) -> str:
    """The filter text with its ``{:name}`` placeholders replaced by literals of ``params`` (one
    with no value stays as written, as there: the filter is then invalid)."""
    bound = dict(params) if isinstance(params, dict) else {}
    return _PARAM_RE.sub(lambda m: _literal(bound[m.group(1)]) if m.group(1) in bound else m.group(0), str(text or ""))


def _where(col: Collection, text: str, params: Any) -> Any:
    if not text or not str(text).strip():
        return None
    source = _with_params(text, params)
    try:
        query = record_access.filter_query(col, source)
    except (FilterError, BadRequestError) as ex:
        raise GoError(_filter_text(ex)) from ex
    stmt = query.apply(select(col.table.c.id), col.table)
    if not query.distinct:
        return stmt.whereclause if stmt.whereclause is not None else true()
    # NOTE: relation paths need joins: match the ids the joined query finds, so the clause
    # combines with $dbx expressions over the bare table.
    return col.table.c.id.in_(stmt.correlate(None))


def _filter_text(ex: BaseException, *, sort: bool = False) -> str:
    """Go's text of an invalid filter (``invalid filter expression: ...``) or sort."""
    cause = ex.__cause__ if isinstance(ex.__cause__, FilterError) else ex
    text = cause.message if isinstance(cause, FilterError) else str(cause)
    return text if sort else f"invalid filter expression: {text}"


def _find(ex: Executor, collection: Any, text: str, sort: str, limit: int, offset: int, params: Any) -> list[Record]:
    app = ex.runtime.app
    col = collection_of(ex, collection)
    source = _with_params(text, params)
    limit = int(limit or 0)
    offset = int(offset or 0)
    # PERF: a finder called with the same filter again (a route's, on every request) runs the
    # statement compiled the first time; filter parsing and SQL compiling cost more than the query.
    key = (source, sort, limit, offset)
    statements = _find_statements.get(col)
    if statements is None:
        statements = _find_statements[col] = {}
    prepared = statements.get(key)
    if prepared is not None:
        try:
            rows = app.db.fetch(prepared)
        except DB_ERRORS:
            pass  # NOTE: the general path below runs it again and raises its usual error
        else:
            return [Record.from_row(col, row, app.records) for row in rows]
    try:
        # NOTE: through record_access so relation paths get their joins (and DISTINCT).
        query = record_access.filter_query(col, source, sort or None)
    except (FilterError, BadRequestError) as ex_:
        try:
            record_access.filter_query(col, source, None)
        except (FilterError, BadRequestError) as filter_ex:
            raise GoError(_filter_text(filter_ex)) from filter_ex
        raise GoError(_filter_text(ex_, sort=True)) from ex_
    stmt = query.apply(select(col.table), col.table)
    rowid = None if col.is_view else insertion_order(col.table)
    if query.order_by:
        stmt = stmt.order_by(*query.order_by)
    elif rowid is not None:
        stmt = stmt.order_by(rowid)
    if limit > 0:
        stmt = stmt.limit(limit)
    if offset > 0:
        stmt = stmt.offset(offset)  # NOTE: alone, SQLAlchemy writes SQLite's LIMIT -1 (Postgres refuses it)
    with app.db.read() as conn:
        rows = conn.execute(stmt).all()
    if prepared is None and _reusable(source):
        _remember(statements, key, app.db.prepare(stmt))
    return [Record.from_row(col, row, app.records) for row in rows]


# NOTE: keyed by the collection object: a changed collection is a new one (as record_query's cache).
_find_statements: weakref.WeakKeyDictionary[Collection, dict[tuple[Any, ...], Prepared]] = weakref.WeakKeyDictionary()
_MAX_FIND_STATEMENTS = 64  # per collection version: filters whose {:params} change every call don't pile up
# the @ identifiers whose SQL is the same at every call (the datetime macros are not, @request has no values here)
_STABLE_AT_RE = re.compile(r"@collection\.")


def _reusable(source: str) -> bool:
    """Whether the SQL of a filter depends on its text alone (no macro such as ``@now``)."""
    return "@" not in _STABLE_AT_RE.sub("", source)


def _remember(statements: dict[tuple[Any, ...], Prepared], key: tuple[Any, ...], prepared: Prepared) -> None:
    if "POSTCOMPILE" in prepared.sql:
        return  # NOTE: expanding parameters are rendered by SQLAlchemy at run time
    while len(statements) >= _MAX_FIND_STATEMENTS:
        statements.pop(next(iter(statements)), None)
    statements[key] = prepared


def app_find_record_by_id(ex: Executor, collection: Any, record_id: Any) -> Record:
    return ex.runtime.app.find_record_by_id(collection_of(ex, collection), str(record_id))


def app_find_records_by_ids(ex: Executor, collection: Any, ids: Any) -> list[Record]:
    return ex.runtime.app.records.find_many(collection_of(ex, collection), [str(i) for i in ids or ()])


def app_find_first_record_by_data(ex: Executor, collection: Any, key: str, value: Any) -> Record:
    col = collection_of(ex, collection)
    if col.field(key) is None:
        raise BadRequestError(f"unknown field {key!r}")
    record = ex.runtime.app.records.find_first(col, **{key: value})
    if record is None:
        raise NotFoundError()
    return record


def app_find_first_record_by_filter(ex: Executor, collection: Any, text: str, params: Any = None) -> Record:
    found = _find(ex, collection, text, "", 1, 0, params)
    if not found:
        raise NotFoundError()
    return found[0]


def app_find_records_by_filter(
    ex: Executor, collection: Any, text: str, sort: str = "", limit: int = 0, offset: int = 0, params: Any = None
) -> list[Record]:
    return _find(ex, collection, text, sort or "", limit or 0, offset or 0, params)


def filter_clause(col: Collection, text: str) -> Any:
    """A filter-language string (no params) as a clause on ``col``, or None when blank."""
    return _where(col, text, None)


def app_count_records(ex: Executor, collection: Any, *exprs: Any) -> int:
    col = collection_of(ex, collection)
    clauses = where_clauses(col.table, exprs, lambda text: filter_clause(col, text))
    return ex.runtime.app.records.count(col, and_(*clauses) if clauses else None)


def app_find_collection(ex: Executor, name: Any) -> Collection:
    return ex.runtime.app.find_collection(str(name))


def app_find_auth_record_by_email(ex: Executor, collection: Any, email: Any) -> Record:
    return ex.runtime.app.find_auth_record_by_email(collection_of(ex, collection), str(email))


def _record(model: Any) -> Record:
    if not isinstance(model, Record):
        raise BadRequestError("only records can be saved or deleted from JS for now")
    return model


def _as_settings(model: Any) -> Settings | None:
    """The settings a plain object holds (a ``$app.settings()`` copy), or None for other models."""
    if not isinstance(model, dict) or not set(SHAPE) <= set(model):
        return None
    settings = Settings()
    settings.bind(model)
    return settings


class WithoutHooks:
    """The app as ``$app.unsafeWithoutHooks()`` sees it: the same, with hooks that bind nothing."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.hooks = {spec.js_name: Hook(spec.js_name) for spec in HOOKS}
        for spec in HOOKS:
            setattr(self, spec.name, self.hooks[spec.js_name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def _target(ex: Executor, options: Any) -> Any:
    app = ex.runtime.app
    if isinstance(options, dict) and options.get("hooks") is False:
        return WithoutHooks(app)
    return app


def app_save(ex: Executor, model: Any, options: Any = None) -> None:
    settings = _as_settings(model)
    if settings is not None:
        # NOTE: as PocketBase's $app.save($app.settings()): validated, stored, reloaded.
        ex.runtime.app.save_settings(settings)
        return
    record_save.save_record(_target(ex, options), _record(model))


def app_save_no_validate(ex: Executor, model: Any, options: Any = None) -> None:
    record_save.save_record(_target(ex, options), _record(model), validate=False)


def app_delete(ex: Executor, model: Any, options: Any = None) -> None:
    record_save.delete_record(_target(ex, options), _record(model))


def app_validate(ex: Executor, model: Any) -> None:
    """``$app.validate(record)``: the record's field validation, nothing saved."""
    record_save.validate_record(_record(model))


def app_collection_name(ex: Executor, collection: Any) -> str:
    return collection_of(ex, collection).name


def app_find_all_collections(ex: Executor, types: Any) -> list[Collection]:
    wanted = {str(t) for t in types or ()}
    return [c for c in ex.runtime.app.registry.all() if not wanted or c.type in wanted]


def app_is_collection_name_unique(ex: Executor, name: Any, exclude: Any) -> bool:
    skip = {str(i) for i in exclude or ()}
    lowered = str(name or "").lower()
    return not any(c.name.lower() == lowered and c.id not in skip for c in ex.runtime.app.registry.all())


def app_import_collections(ex: Executor, items: Any, delete_missing: Any) -> None:
    if not isinstance(items, list):
        raise BadRequestError("importCollections expects a list of collections")
    import_collections(ex.runtime.app, items, bool(delete_missing))


def app_reload_cached_collections(ex: Executor) -> None:
    ex.runtime.app.registry.reload()


def app_reload_settings(ex: Executor) -> None:
    ex.runtime.app.reload_settings()


def app_truncate_collection(ex: Executor, collection: Any) -> None:
    """Delete every record of a collection, one by one through the hooks, in one transaction."""
    app = ex.runtime.app
    col = collection_of(ex, collection)
    if col.is_view:
        raise BadRequestError("view collections cannot be truncated since they don't have their own table.")
    with app.db.write():
        for record in find_all_records(ex, col):
            app.delete(record)


def app_find_auth_record_by_token(ex: Executor, token: Any, types: Any) -> Record:
    app = ex.runtime.app
    for token_type in [str(t) for t in types or ()] or ["auth"]:
        record = find_record_by_token(str(token or ""), token_type, app.registry, app.records)
        if record is not None:
            return record
    raise NotFoundError("invalid or expired token")


def _superuser_info(app: App) -> RequestInfo:
    superusers = app.find_collection(SUPERUSERS)
    return RequestInfo(method="GET", query={}, headers={}, auth=Record(superusers, store=app.records))


def app_expand_records(ex: Executor, records: Any, expands: Any) -> dict[str, str]:
    """Expand relations of records (one collection) in place, without rules; the failed paths."""
    app = ex.runtime.app
    items = [r for r in records or () if isinstance(r, Record)]
    paths = [str(p) for p in (expands if isinstance(expands, list) else [expands]) if p]
    if not items or not paths:
        return {}
    return expand_records(app, items, ",".join(paths), _superuser_info(app))


def info_from(ex: Executor, data: Any) -> RequestInfo:
    """A request info from its JS shape (``e.requestInfo()`` or a plain object)."""
    if isinstance(data, RequestInfo):
        return data
    data = data if isinstance(data, dict) else {}
    auth = data.get("auth")
    return RequestInfo(
        method=str(data.get("method") or ""), query=dict(data.get("query") or {}), headers=dict(data.get("headers") or {}),
        body=dict(data.get("body") or {}), auth=auth if isinstance(auth, Record) else None,
        context=str(data.get("context") or "default"),
    )


def app_can_access_record(ex: Executor, record: Any, info: Any, rule: Any) -> bool:
    return can_access(ex.runtime.app, _record(record), info_from(ex, info), None if rule is None else str(rule))


def app_is_bootstrapped(ex: Executor) -> bool:
    return bool(ex.runtime.app.bootstrapped)


def app_is_transactional(ex: Executor) -> bool:
    return ex.runtime.app.db.in_write()


def app_encryption_env(ex: Executor) -> str:
    return ex.runtime.app.settings_store.encryption_env


def db_models(ex: Executor, spec: Any, mode: str, options: Any) -> Any:
    """``recordQuery(...)``/``collectionQuery()`` results: records (or collections), one or all."""
    app = ex.runtime.app
    rows = run_statement(ex, spec, "one" if mode == "one" else "all", None)
    rows = [rows] if mode == "one" else rows
    if options.get("model") == "collection":
        found = [app.registry.find(str(r.get("id") or "")) for r in rows]
        models: list[Any] = [c for c in found if c is not None]
    else:
        col = collection_of(ex, options.get("collection"))
        models = [_record_from(col, row, app) for row in rows]
    if mode == "one":
        if not models:
            raise NoRows()
        return models[0]
    return models


def _record_from(col: Collection, row: dict[str, Any], app: App) -> Record:
    names = [name for name, _ in col.row_converters()]
    record = Record.from_row(col, [row.get(name) for name in names], app.records)
    for key, value in row.items():
        if key not in record.data:
            record.extra[key] = value
    return record


def app_is_dev(ex: Executor) -> bool:
    return bool(ex.runtime.app.dev)


def app_data_dir(ex: Executor) -> str:
    return ex.runtime.app.data_dir


def app_settings(ex: Executor) -> Settings:
    """The live settings, as a plain object in JS (a copy: changing it changes nothing until saved).

    Unlike the API, the write-only ``smtp.password`` and ``s3.secret`` are present, as on
    PocketBase's struct.
    """
    return ex.runtime.app.settings()


def app_log(ex: Executor, level: Any, message: Any, attrs: Any) -> None:
    """``$app.logger().info(msg, "key", value, ...)``: an entry in ``_logs`` with its attributes."""
    ex.runtime.app.logger().log(int(level or 0), "" if message is None else str(message), *(attrs or []))


def find_all_records(ex: Executor, collection: Any, *exprs: Any) -> list[Record]:
    """``$app.findAllRecords(collection, ...dbxExpressions)`` in insertion order."""
    app = ex.runtime.app
    col = collection_of(ex, collection)
    stmt = select(col.table)
    clauses = where_clauses(col.table, exprs, lambda text_: filter_clause(col, text_))
    if clauses:
        stmt = stmt.where(*clauses)
    if not col.is_view:
        stmt = stmt.order_by(insertion_order(col.table))
    try:
        with app.db.read() as conn:
            rows = conn.execute(stmt).all()
    except (DBAPIError, StatementError) as ex_:
        raise BadRequestError(str(getattr(ex_, "orig", None) or ex_)) from ex_
    return [Record.from_row(col, row, app.records) for row in rows]


class _Rollback(Exception):
    """Thrown into a write transaction to roll it back (a JS error ended runInTransaction)."""


def tx_begin(ex: Executor) -> None:
    """Open (or join) the write transaction on this thread for ``$app.runInTransaction``."""
    manager: AbstractContextManager[Any] = ex.runtime.app.db.write()
    manager.__enter__()
    ex.transactions.append(manager)


def tx_end(ex: Executor, ok: Any) -> None:
    """Commit (``ok``) or roll back the innermost transaction opened by :func:`tx_begin`."""
    if not ex.transactions:
        raise BadRequestError("no transaction to end")
    manager = ex.transactions.pop()
    if ok:
        manager.__exit__(None, None, None)
    else:
        error = _Rollback()
        manager.__exit__(type(error), error, None)


def unwind_transactions(ex: Executor) -> None:
    """Roll back whatever an interrupted handler left open (innermost first)."""
    while ex.transactions:
        manager = ex.transactions.pop()
        error = _Rollback()
        try:
            manager.__exit__(type(error), error, None)
        except Exception:  # noqa: BLE001, S110 - the rollback itself is best effort
            pass


def _no_rows(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A finder whose "not found" JS sees as PocketBase's (``sql: no rows in result set``)."""

    def run(*args: Any) -> Any:
        try:
            return fn(*args)
        except NotFoundError as ex:
            if isinstance(ex, NoRows):
                raise
            raise NoRows() from ex

    return run


OPS: dict[str, Callable[..., Any]] = {
    "app.findRecordById": _no_rows(app_find_record_by_id),
    "app.validate": app_validate,
    "app.collectionName": app_collection_name,
    "app.findAllCollections": app_find_all_collections,
    "app.isCollectionNameUnique": app_is_collection_name_unique,
    "app.importCollections": app_import_collections,
    "app.reloadCachedCollections": app_reload_cached_collections,
    "app.reloadSettings": app_reload_settings,
    "app.truncateCollection": app_truncate_collection,
    "app.findAuthRecordByToken": app_find_auth_record_by_token,
    "app.expandRecords": app_expand_records,
    "app.canAccessRecord": app_can_access_record,
    "app.isBootstrapped": app_is_bootstrapped,
    "app.isTransactional": app_is_transactional,
    "app.encryptionEnv": app_encryption_env,
    "db.models": db_models,
    "app.findRecordsByIds": _no_rows(app_find_records_by_ids),
    "app.findFirstRecordByData": _no_rows(app_find_first_record_by_data),
    "app.findFirstRecordByFilter": _no_rows(app_find_first_record_by_filter),
    "app.findRecordsByFilter": _no_rows(app_find_records_by_filter),
    "app.countRecords": _no_rows(app_count_records),
    "app.findCollectionByNameOrId": _no_rows(app_find_collection),
    "app.findAuthRecordByEmail": _no_rows(app_find_auth_record_by_email),
    "app.findAllRecords": _no_rows(find_all_records),
    "app.save": app_save,
    "app.saveNoValidate": app_save_no_validate,
    "app.delete": app_delete,
    "app.isDev": app_is_dev,
    "app.dataDir": app_data_dir,
    "app.settings": app_settings,
    "app.log": app_log,
    "tx.begin": tx_begin,
    "tx.end": tx_end,
}
