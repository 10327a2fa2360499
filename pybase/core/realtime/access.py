"""Whether a subscription may see a record change: its rule and filter over the changed record.

The record is checked as it was written (a snapshot), not as the table holds it when the event
goes out: a later write (or a delete) of the same record in another transaction must not change
who hears about an earlier one, and a bus between processes can carry the snapshot. Within one
transaction, as PocketBase, the snapshot is the record as the commit leaves it (a delete's: as
committed before it), or no row at all (``gone``; see broadcast.py). As in PocketBase's
createRule, the snapshot is a one-row CTE beside the tables, so rules that join other records
read them as they are now.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import literal, select
from sqlalchemy.exc import DatabaseError

from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.record_access import SUPERUSER_ONLY_FILTER_FIELDS, RecordQuery, RuleFailed, _parse
from pybase.core.record_access_prepared import create_source
from pybase.core.record_write_checks import CreateRuleCheck, run_check
from pybase.store.schema import first_row
from pybase.tools.filter import FilterError, bind_value, compile_filter

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record
    from pybase.core.request_info import RequestInfo


# collection version -> (filter, superuser) -> whether the filter compiles for such a caller
_FILTERS_OK: weakref.WeakKeyDictionary[Collection, dict[tuple[str, bool], bool]] = weakref.WeakKeyDictionary()
_MAX_FILTERS = 1024


def _filter_compiles(collection: Collection, info: RequestInfo, text: str) -> bool:
    """Whether a subscription's filter compiles for the caller (hidden fields only for superusers).

    PERF: answered once per collection version and filter; the check itself then goes through
    the compiled-once statements of the rules (a filter is checked as a rule would be).
    """
    key = (text, info.is_superuser)
    known = _FILTERS_OK.get(collection)
    if known is None:
        known = _FILTERS_OK[collection] = {}
    ok = known.get(key)
    if ok is None:
        try:
            resolver = RecordFieldResolver(collection, info, allow_hidden=info.is_superuser)
            compile_filter(_parse(text, rule=False), resolver)
            ok = True
        except FilterError:
            ok = False
        if len(known) >= _MAX_FILTERS:
            known.clear()
        known[key] = ok
    return ok


class SnapshotCheck(CreateRuleCheck):
    """A rule (or a subscription's filter) over a record's values as they were written."""

    TEMPLATE_KIND = "snapshot"

    def __init__(self, record: Record, info: RequestInfo, text: str, *, db: Any = None, allow_hidden: bool = True, is_filter: bool = False) -> None:
        super().__init__(record.collection, info, text, db)
        self.allow_hidden = allow_hidden
        self.is_filter = is_filter

    def _values(self, record: Record) -> list[Any]:
        return [field.to_db(record.get(field.name)) for field in self.collection.fields]

    def _statement(self, record: Record) -> Any:
        return self.statement(record)

    def statement(self, record: Record) -> Any:
        collection = self.collection
        source = create_source(collection, [bind_value(v) if v is not None else literal(None) for v in self._values(record)])
        # NOTE: unlike a createRule's dummy row, the snapshot is a row of the table: its
        # back-relations (``comments_via_post``) resolve, as PocketBase's realtime check reads
        # the table itself.
        resolver = RecordFieldResolver(
            collection, self.info, allow_hidden=self.allow_hidden, base=source, source=source, base_id=collection.id,
        )
        condition = compile_filter(_parse(self.rule, rule=not self.is_filter), resolver)
        return RecordQuery([condition], [], [resolver]).apply(select(literal(1)).select_from(source), source)


def can_receive(app: App, record: Record, info: RequestInfo, rule: str | None, conn: Any = None, *, gone: bool = False) -> bool:
    """PocketBase's realtime access check: the list/view ``rule`` (superusers pass), then the
    subscription's own ``filter`` (hidden fields only for superusers). ``conn`` runs the checks
    on a given connection (a delete's, read outside its transaction). ``gone``: the row the
    checks read is not there (a transaction's change of a record it also created or deleted):
    as PocketBase, only what needs no row passes (superusers and an empty rule, no filter)."""
    superuser = info.is_superuser
    if rule is None and not superuser:
        return False
    filter_text = info.query.get("filter") or ""
    if gone:
        return (superuser or not (rule or "").strip()) and not filter_text.strip()
    checks: list[SnapshotCheck] = []
    if not superuser and (rule or "").strip():
        checks.append(SnapshotCheck(record, info, rule or "", db=app.db if conn is None else None))
    if filter_text.strip():
        if not superuser and any(marker in filter_text for marker in SUPERUSER_ONLY_FILTER_FIELDS):
            return False  # NOTE: as PocketBase, which refuses such a filter to anyone else
        checks.append(SnapshotCheck(record, info, filter_text, db=app.db if conn is None else None, allow_hidden=superuser, is_filter=True))
    for check in checks:
        if check.is_filter and not _filter_compiles(record.collection, info, check.rule):
            return False
        try:
            if conn is not None:
                stmt = check.statement(record)
                executor = conn
                if executor is None:
                    with app.db.read() as read_conn:
                        found = read_conn.execute(first_row(stmt)).first()
                else:
                    found = executor.execute(first_row(stmt)).first()
                if found is None:
                    return False
            else:
                run_check(app, check.frozen(record), record)
        except (RuleFailed, FilterError, DatabaseError):
            return False
    return True
