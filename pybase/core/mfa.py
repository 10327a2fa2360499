"""Multi-factor sign-in (PocketBase's ``_mfas`` collection): a second, different method completes it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pybase.core import record_access
from pybase.core.errors import BadRequestError, NotFoundError
from pybase.core.otp import has_expired

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record
    from pybase.core.request_info import RequestInfo

MFAS = "_mfas"
MSG_EXPIRED = "Invalid or expired MFA session."
MSG_OTHER_RECORD = "Invalid MFA session."
MSG_SAME_METHOD = "A different authentication method is required."

log = logging.getLogger("pybase")


def mfa_options(record: Record) -> dict[str, Any]:
    """The ``mfa`` options of the record's collection."""
    return record.collection.auth.get("mfa") or {}


def wants_mfa(app: App, record: Record, info: RequestInfo) -> bool:
    """Whether the collection's ``mfa.rule`` asks this record for a second method (empty: always)."""
    rule = str(mfa_options(record).get("rule") or "")
    if not rule.strip():
        return True
    try:
        query = record_access.rule_query(record.collection, info, rule)
        return bool(record_access._matching_ids(app, record.collection, [record.id], query))
    except Exception as ex:
        # NOTE: as PocketBase, a rule that fails is a failed sign-in, never a skipped factor.
        raise BadRequestError("Failed to authenticate.") from ex


def requested_mfa_id(info: RequestInfo) -> str:
    """The ``mfaId`` of the query string, else of the body."""
    value = info.query.get("mfaId") or ""
    if not value:
        value = info.body.get("mfaId") if isinstance(info.body, dict) else ""
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise BadRequestError("Failed to read MFA Id.")
    return str(value)


def check(app: App, record: Record, method: str, info: RequestInfo) -> str:
    """The MFA step of a sign-in with ``method``: an mfaId to answer with, or "" to go on.

    The first method creates an ``_mfas`` row and returns its id; a different method presenting
    that id completes the sign-in and the row goes. Raises BadRequestError for an unknown,
    expired or foreign session, or the same method twice.
    """
    if not mfa_options(record).get("enabled") or not method:
        return ""
    if not wants_mfa(app, record, info):
        return ""
    mfa_id = requested_mfa_id(info)
    if not mfa_id:
        row = app.new_record(MFAS, {"collectionRef": record.collection.id, "recordRef": record.id, "method": method})
        return app.save(row).id
    try:
        row: Record | None = app.records.find_by_id(app.find_collection(MFAS), mfa_id)
    except NotFoundError:
        row = None
    if row is None or has_expired(row, int(mfa_options(record).get("duration") or 0)):
        _delete(app, row)
        raise BadRequestError(MSG_EXPIRED)
    if row.get("recordRef") != record.id or row.get("collectionRef") != record.collection.id:
        raise BadRequestError(MSG_OTHER_RECORD)
    if row.get("method") == method:
        raise BadRequestError(MSG_SAME_METHOD)
    _delete(app, row)
    return ""


def _delete(app: App, row: Record | None) -> None:
    if row is None:
        return
    try:
        app.delete(row)
    except Exception:  # noqa: BLE001 - logged, as PocketBase
        log.warning("failed to delete MFA record %s", row.id, exc_info=True)
