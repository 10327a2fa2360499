"""Records and lists as wire JSON: hidden fields, email visibility, expand and ``fields=``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pybase.apis.errors import bad_request
from pybase.core.collections import Collection
from pybase.core.fields.base import Field
from pybase.core.fields.json_field import JSONField, api_dumps
from pybase.core.records import ExportOptions, Record, row_layout
from pybase.core.request_info import RequestInfo
from pybase.tools import picker
from pybase.tools.gonumbers import read_again, scanned_number
from pybase.tools.picker import Modifier


def record_to_json(
    record: Record, info: RequestInfo | None, *, show_email: bool = False, expand_requested: bool = False
) -> dict[str, Any]:
    """The record as the API shows it to the caller described by ``info``."""
    collection = record.collection
    superuser = info is not None and info.is_superuser
    out: dict[str, Any] = {"collectionId": collection.id, "collectionName": collection.name}
    opts = record.export
    if opts is None:
        # PERF: the common case reads a plan made once per collection version (see _export_plan).
        names, fixups = collection.derived(("export", superuser), _superuser_plan if superuser else _plan)
        out.update(zip(names, map(record.data.get, names), strict=True))
        for name, export in fixups:
            out[name] = "" if export is None else export(out[name])
        if record.loaded is not None:
            _stored_numbers(record, out)
    else:
        _export_fields(record, opts, superuser, out)
    if collection.is_auth and not (
        show_email or superuser or record.get("emailVisibility") or (opts is not None and opts.ignore_email_visibility)
    ):
        auth = info.auth if info is not None else None
        if auth is None or auth.id != record.id or auth.collection.id != collection.id:
            out.pop("email", None)
    if opts is not None:
        _apply_export_options(record, opts, out)
        if opts.visibility.get("expand") is False:
            return out
    if record.expand or expand_requested:
        out["expand"] = {
            key: (
                [record_to_json(r, info, expand_requested=bool(r.expand)) for r in value]
                if isinstance(value, list)
                else record_to_json(value, info, expand_requested=bool(value.expand))
            )
            for key, value in record.expand.items()
        }
    return out


def _stored_numbers(record: Record, out: dict[str, Any]) -> None:
    """A json field's bare number as read from the database, as PocketBase writes one it read
    (strconv 'g': JSONField.stored_export), where ``out`` shows the field."""
    loaded = record.loaded
    assert loaded is not None
    for field in record.collection.derived("stored_json_fields", _stored_json_fields):
        value = record.data.get(field.name)
        if type(value) is float and loaded.get(field.name) is value and field.name in out:
            out[field.name] = field.stored_export(value)


def _stored_json_fields(collection: Collection) -> tuple[JSONField, ...]:
    # NOTE: a view's json field reads as a view's column (_export_plan: scanned_number)
    return () if collection.is_view else tuple(f for f in collection.fields if isinstance(f, JSONField))


def rows_to_json(collection: Collection, rows: Any, info: RequestInfo | None) -> list[dict[str, Any]]:
    """Rows of ``select(collection.table)`` as :func:`record_to_json` shows their records,
    without building them: for lists answered without hooks, expand or an auth collection
    (whose emails depend on the caller and the record)."""
    # PERF: one plan per collection version and caller kind fuses Record.from_row with the
    # export plan; a list of 30 records spent most of its time in those two.
    assert not collection.is_auth
    superuser = info is not None and info.is_superuser
    plan = _superuser_row_export_plan if superuser else _row_export_plan
    head, names, plain, converters, hidden = collection.derived(("row_export", superuser), plan)
    out = []
    for row in rows:
        item = head.copy()
        item.update(zip(names, row, strict=True))
        if None in row:
            for name in plain:
                if item[name] is None:
                    item[name] = ""
        for name, convert in converters:
            item[name] = convert(item[name])
        for name in hidden:
            del item[name]
        out.append(item)
    return out


def _row_export_plan(collection: Collection) -> Any:
    return _make_row_export_plan(collection, False)


def _superuser_row_export_plan(collection: Collection) -> Any:
    return _make_row_export_plan(collection, True)


def _make_row_export_plan(
    collection: Collection, superuser: bool
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...], Any, tuple[str, ...]]:
    """(the head of every item, column names, columns read as stored but NULL -> "",
    (column, reading then export) of the others shown, columns not shown)."""
    names, plain, from_db = row_layout(collection)
    shown, fixups = collection.derived(("export", superuser), _superuser_plan if superuser else _plan)
    hidden = tuple(name for name in names if name not in shown)
    readers = dict(from_db)
    exports = dict(fixups)
    fields = {field.name: field for field in collection.fields}
    converters = []
    for name in shown:
        if name in exports:
            export = exports[name]
            fused = getattr(fields.get(name), "export_reader", None)
            fused = fused(readers[name]) if fused is not None and name in readers and export == fields[name].export else None
            if export is None:
                converters.append((name, _blank))
            elif fused is not None:
                converters.append((name, fused))  # PERF: reading and export in one
            elif name in readers:
                converters.append((name, _compose(readers[name], export)))
            else:
                converters.append((name, export))
        elif name in readers:
            converters.append((name, readers[name]))
    head = {"collectionId": collection.id, "collectionName": collection.name}
    return head, names, tuple(name for name in plain if name in shown), tuple(converters), hidden


def _blank(_value: Any) -> str:
    return ""


def _compose(read: Any, export: Any) -> Any:
    return lambda value: export(read(value))


def _export_fields(record: Record, opts: ExportOptions, superuser: bool, out: dict[str, Any]) -> None:
    """The fields of a record with its own export options (hidden/unhidden per field)."""
    is_auth = record.collection.is_auth
    view_json = record.collection.is_view
    shown = opts.visibility
    for field in record.collection.fields:
        visible = shown.get(field.name)
        if visible is False or (visible is None and field.hidden and not superuser):
            continue
        if field.type == "password":
            # NOTE: as PocketBase: a visible password field reads as ""; an auth collection's
            # own password and tokenKey never leave the server.
            if not (is_auth and field.name == "password"):
                out[field.name] = ""
            continue
        if is_auth and field.name == "tokenKey":
            continue
        value = record.data.get(field.name)
        # NOTE: a view's REAL as _export_plan writes it (strconv 'g': 2.5e-05, not 0.000025)
        out[field.name] = scanned_number(value) if view_json and field.type == "json" else field.export(value)
    if record.loaded is not None:
        _stored_numbers(record, out)


def _export_plan(collection: Collection, superuser: bool) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
    """(the names shown in field order, (name, export or None for "") of those not shown as stored)."""
    names: list[str] = []
    fixups: list[tuple[str, Any]] = []
    for field in collection.fields:
        if field.hidden and not superuser:
            continue
        if field.type == "password":
            # NOTE: as in _export_fields: a visible password field reads as "".
            if not (collection.is_auth and field.name == "password"):
                names.append(field.name)
                fixups.append((field.name, None))
            continue
        if collection.is_auth and field.name == "tokenKey":
            continue
        names.append(field.name)
        if collection.is_view and field.type == "json":
            # NOTE: a REAL the view computed as PocketBase reads it from SQLite, strconv 'g'
            # (4, 1e+06, 1e-07; orjson: 4.0, 1000000.0, 1e-7)
            fixups.append((field.name, scanned_number))
        elif type(field).export is not Field.export:
            fixups.append((field.name, field.export))
    return tuple(names), tuple(fixups)


def _plan(collection: Collection) -> Any:
    return _export_plan(collection, False)


def _superuser_plan(collection: Collection) -> Any:
    return _export_plan(collection, True)


def _apply_export_options(record: Record, opts: ExportOptions, out: dict[str, Any]) -> None:
    # NOTE: as PocketBase's PublicExport: keys that are not fields only with WithCustomData(true).
    if opts.custom_data:
        for key, value in record.extra.items():
            if opts.visibility.get(key, True):
                out[key] = value
    for key in ("collectionId", "collectionName"):
        if opts.visibility.get(key) is False:
            out.pop(key, None)


# ---- fields= ---------------------------------------------------------------------------------


def parse_fields(raw: str | None) -> dict[str, Modifier | None]:
    """The ``fields`` query parameter; 400 as PocketBase when it cannot be parsed."""
    try:
        return picker.parse_fields(raw)
    except picker.FieldsError as ex:
        raise bad_request() from ex


def apply_fields(data: Any, fields: dict[str, Modifier | None]) -> Any:
    """Keep only the selected keys (all when ``fields`` is empty)."""
    if fields:
        read_again(data)  # NOTE: PocketBase reads the answer again to pick from it
    return picker.pick(data, fields)


def dumps(data: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """JSON bytes with sorted keys, as PocketBase's Go maps come out (a view's JSON object
    with its keys in their order: :class:`OrderedJSONObject`); ``default`` writes other types.
    Every answer that holds records is written so (hooks' and realtime's too)."""
    return api_dumps(data, default)


def unhide_for_superuser(event: Any) -> None:
    """onRecordEnrich's default action for a superuser (PocketBase's autoResolveRecordsFlags):
    every field shown, so a hook's ``hide()`` before ``e.next()`` is undone, one after it stands."""
    opts = event.record.export
    if opts is None:
        return  # NOTE: nothing hidden by a hook: a superuser's export shows every field already
    for field in event.record.collection.fields:
        if opts.visibility.get(field.name) is False:
            opts.visibility[field.name] = True
