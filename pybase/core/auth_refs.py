"""Rows that point at auth records (``_otps``, ``_mfas``, ``_externalAuths``, ``_authOrigins``) go with them.

As PocketBase's ``recordRefHooks``: deleting an auth record or an auth collection deletes its
rows; a new ``tokenKey`` deletes the record's OTPs; a new password deletes its MFA sessions and
auth origins.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record

REF_COLLECTIONS = ("_mfas", "_otps", "_externalAuths", "_authOrigins")

log = logging.getLogger("pybase")


def register(app: App) -> None:
    """Bind the cascade handlers on the app's hooks."""
    app.hooks["onRecordDeleteExecute"].bind(lambda e: _record_deleted(app, e), id="__pbAuthRefsRecordDelete__", priority=99)
    app.hooks["onCollectionDeleteExecute"].bind(lambda e: _collection_deleted(app, e), id="__pbAuthRefsCollectionDelete__", priority=99)
    app.hooks["onRecordUpdateExecute"].bind(lambda e: _record_updated(app, e), id="__pbAuthRefsRecordUpdate__", priority=99)


def delete_refs(app: App, collection_id: str, record_id: str | None, names: tuple[str, ...] = REF_COLLECTIONS) -> None:
    """Delete the rows of ``names`` pointing at a record (or, without ``record_id``, a collection)."""
    for name in names:
        target = app.registry.find(name)
        if target is None:
            continue
        table = target.table
        where: list[Any] = [table.c.collectionRef == collection_id]
        if record_id is not None:
            where.append(table.c.recordRef == record_id)
        while True:
            page = app.records.list_page(target, where=where, per_page=200, skip_total=True)
            if not page.records:
                break
            for row in page.records:
                app.delete(row)


def _record_deleted(app: App, e: Any) -> Any:
    result = e.next()
    record: Record = e.record
    if record.collection.is_auth:
        delete_refs(app, record.collection.id, record.id)
    return result


def _collection_deleted(app: App, e: Any) -> Any:
    result = e.next()
    collection: Collection = e.collection
    if collection.is_auth:
        delete_refs(app, collection.id, None)
    return result


def _record_updated(app: App, e: Any) -> Any:
    result = e.next()
    record: Record = e.record
    if not record.collection.is_auth or record.is_new:
        return result
    original = record.original
    if original.get("tokenKey") != record.get("tokenKey"):
        # SECURITY: codes issued before a token reset must not sign anyone in.
        delete_refs(app, record.collection.id, record.id, ("_otps",))
    if original.get("password") != record.get("password"):
        delete_refs(app, record.collection.id, record.id, ("_mfas", "_authOrigins"))
    return result
