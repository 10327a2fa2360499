"""``$apis`` for JS: the calls a handler makes (``recordAuthResponse``, ``enrichRecord(s)``).

The middlewares (``requireAuth()``, ``bodyLimit(n)``...) and ``static()`` are descriptors the
route table turns into Python middlewares: see ``jsvm/router.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.apis.record_auth_response import auth_response
from pybase.apis.request_body import request_info
from pybase.apis.serialize import unhide_for_superuser
from pybase.core import record_write_checks
from pybase.core.errors import BadRequestError
from pybase.core.events import RecordEnrichEvent
from pybase.core.record_expand import expand_records
from pybase.core.records import ExportOptions, Record
from pybase.core.request_info import RequestInfo
from pybase.jsvm.binds.event import _body

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def _info(event: Any) -> RequestInfo:
    req = getattr(event, "request", None)
    if req is None:
        raise BadRequestError("this event has no HTTP request")
    info = getattr(req.context, "request_info", None)
    return info if info is not None else request_info(req, _body(event))


def record_auth_response(ex: Executor, event: Any, record: Any, method: Any, meta: Any = None) -> None:
    """``$apis.recordAuthResponse(e, record, authMethod, meta)``: PocketBase's sign-in answer
    (token + record, the onRecordAuthRequest hook, MFA and the auth alert for a non-empty method)."""
    if not isinstance(record, Record) or not record.collection.is_auth:
        raise BadRequestError("recordAuthResponse expects an auth record")
    auth_response(ex.runtime.app, event.request, event.response, record, _info(event), str(method or ""), meta=meta or None)
    event.__dict__["_jsvm_written"] = True


def enrich_records(ex: Executor, event: Any, records: Any, expands: Any) -> None:
    """``$apis.enrichRecord(s)(e, records, ...defaultExpands)``: what the records API does to the
    records it answers with: ``?expand`` (plus the defaults), onRecordEnrich, and the hidden
    fields and emails the caller may see."""
    app = ex.runtime.app
    items = [r for r in records or () if isinstance(r, Record)]
    if not items:
        return
    info = _info(event)
    wanted = [str(p) for p in expands or () if p]
    query_expand = event.request.get_param("expand") or ""
    if query_expand:
        wanted.append(query_expand)
    by_collection: dict[str, list[Record]] = {}
    for record in items:
        by_collection.setdefault(record.collection.id, []).append(record)
    for group in by_collection.values():
        if wanted:
            expand_records(app, group, ",".join(wanted), info)
        managed = set() if info.is_superuser else record_write_checks.managed_ids(app, group[0].collection, info, [r.id for r in group])
        enrich = app.hooks["onRecordEnrich"]
        for record in group:
            if enrich.length():
                hook_event = RecordEnrichEvent(app, record)
                hook_event.request_info = info
                enrich.trigger(hook_event, unhide_for_superuser if info.is_superuser else None)
            _visibility(record, info, record.id in managed)


def _visibility(record: Record, info: RequestInfo, managed: bool) -> None:
    opts = record.export if record.export is not None else ExportOptions()
    record.export = opts
    if info.is_superuser:
        for field in record.collection.fields:
            if field.hidden:
                opts.visibility.setdefault(field.name, True)
        opts.ignore_email_visibility = True
    elif managed or (info.auth is not None and info.auth.id == record.id and info.auth.collection.id == record.collection.id):
        opts.ignore_email_visibility = True


OPS: dict[str, Callable[..., Any]] = {
    "apis.recordAuthResponse": record_auth_response,
    "apis.enrichRecords": enrich_records,
}
