"""Write rules over a record: the createRule (and an auth collection's manageRule over a new
record) run as SQL over the submitted values, and the manageRule over stored records.

As in PocketBase the submitted record is a one-row CTE named apart from the collection; rules
that need no row are answered without SQL (:class:`StaticCheck`), and those compiled once per
collection version run as a :class:`~pybase.core.record_access_prepared.PreparedCheck`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import literal, select
from sqlalchemy.exc import DatabaseError

from pybase.core.errors import BadRequestError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.record_access import (
    RecordQuery,
    RuleFailed,
    _matching_ids,
    _parse,
    rule_query,
    static_answer,
)
from pybase.core.record_access_prepared import (
    CREATE_CTE_SUFFIX,
    PreparedCheck,
    create_source,
    template,
)
from pybase.core.request_info import RequestInfo
from pybase.store.schema import first_row
from pybase.tools.filter import FilterError, bind_value, compile_filter
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record
    from pybase.store.db import Database


class CreateRuleCheck:
    """The createRule over a record to create, run on a connection (RuleFailed when refused).

    As in PocketBase the rule sees the submitted record as a one-row CTE named apart from the
    collection (``verified`` forced to false), so back-relations to the collection itself do
    not match it.
    """

    #: how the compiled-once statement reads the row (record_access_prepared.template)
    TEMPLATE_KIND = "create"

    def __init__(self, collection: Collection, info: RequestInfo, rule: str, db: Database | None = None) -> None:
        self.collection = collection
        self.info = info
        self.rule = rule
        self.db = db

    def __call__(self, conn: Any, record: Record) -> None:
        self.frozen(record)(conn, record)

    def frozen(self, record: Record) -> Callable[[Any, Record], None]:
        """The check over ``record``'s values now, whatever the record becomes later.

        PocketBase checks a copy taken before the request hooks run; running the frozen check
        again inside the write transaction keeps that answer and closes the race with
        concurrent writes (a rule counting other records). A rule reading only ``@request.*``
        values is answered here, once, without SQL (a :class:`StaticCheck`).

        PERF: a rule reading only plain request values runs a statement compiled once per
        collection version (a :class:`PreparedCheck`); others are compiled here.
        """
        if self.db is not None:
            found = template(self.db, self.collection, self.info, self.rule, self.TEMPLATE_KIND)
            if found is not None:
                tpl, params = found
                if tpl.prepared is None:
                    return StaticCheck(tpl.answer(params))
                for index, value in enumerate(self._values(record)):
                    params[f"__pb_f{index}"] = value
                return PreparedCheck(self.db, tpl.prepared, params, RuleFailed)
        static = self._static()
        if static is not None:
            return StaticCheck(static)
        stmt = self._statement(record)
        return lambda conn, _record: self._run(conn, stmt)

    def _static(self) -> bool | None:
        """The rule's answer when it reads no record value (None: it needs SQL)."""
        known = _not_static.get(self.collection)
        if known is not None and self.rule in known:
            return None
        resolver = RecordFieldResolver(self.collection, self.info, allow_hidden=True)
        try:
            answer = static_answer(resolver, compile_filter(_parse(self.rule, rule=True), resolver))
        except FilterError:
            answer = None  # reported by the SQL path, as before
        if answer is None:
            # NOTE: only "needs SQL" is remembered (per collection version): an answer depends
            # on the request, and trying again costs a compile while SQL would cost more.
            if known is None:
                known = _not_static[self.collection] = set()
            if len(known) < 64:
                known.add(self.rule)
        return answer

    def _values(self, record: Record) -> list[Any]:
        """The record's values as the rule sees them (database form), in field order."""
        collection = self.collection
        suffix = CREATE_CTE_SUFFIX
        values = []
        for field in collection.fields:
            value = field.to_db(record.get(field.name))
            if field.name == "verified" and collection.is_auth:
                value = False
            elif field.name == "id" and not value:
                # NOTE: as PocketBase, the id is not generated yet: a temporary one, the only
                # random part (a bound value, so the statement text stays the same).
                value = "__temp_id__" + suffix + random_string(6, "abcdefghijklmnopqrstuvwxyz0123456789")
            elif field.type == "password" and not value and record.password_plain(field.name):
                value = "__pending_hash__" + suffix  # hashed on save; PocketBase hashes on set
            values.append(value)
        return values

    def _statement(self, record: Record) -> Any:
        collection = self.collection
        suffix = CREATE_CTE_SUFFIX
        dummy = create_source(
            collection, [bind_value(v) if v is not None else literal(None) for v in self._values(record)]
        )
        resolver = RecordFieldResolver(
            collection,
            self.info,
            allow_hidden=True,
            base=dummy,
            source=dummy,
            base_id=collection.id + suffix,
        )
        try:
            condition = compile_filter(_parse(self.rule, rule=True), resolver)
        except FilterError as ex:
            raise RuleFailed("Failed to create record.") from ex
        return RecordQuery([condition], [], [resolver]).apply(select(literal(1)).select_from(dummy), dummy)

    @staticmethod
    def _run(conn: Any, stmt: Any) -> None:
        try:
            found = conn.execute(first_row(stmt)).first()
        except DatabaseError as ex:
            raise RuleFailed("Failed to create record.") from ex
        if found is None:
            raise RuleFailed("Failed to create record.")


_not_static: weakref.WeakKeyDictionary[Collection, set[str]] = weakref.WeakKeyDictionary()


class StaticCheck:
    """A createRule answered without SQL: passes, or raises RuleFailed (the connection is unused)."""

    __slots__ = ("passed",)

    def __init__(self, passed: bool) -> None:
        self.passed = passed

    def __call__(self, conn: Any, record: Record) -> None:
        if not self.passed:
            raise RuleFailed("Failed to create record.")


def run_check(app: App, check: Callable[[Any, Record], None], record: Record) -> None:
    """Run a frozen createRule check on a read connection (none needed by compiled ones)."""
    if isinstance(check, StaticCheck | PreparedCheck):
        check(None, record)
        return
    with app.db.read() as conn:
        check(conn, record)


def write_check(app: App, collection: Collection, info: RequestInfo, rule: str | None) -> CreateRuleCheck | None:
    """The createRule check, or None when nothing is to check (superuser, empty rule).

    Raises BadRequestError at once if the rule does not compile.
    """
    if info.is_superuser or rule is None or rule.strip() == "":
        return None
    _parse_or_400(rule)
    return CreateRuleCheck(collection, info, rule, app.db)


def _parse_or_400(rule: str) -> None:
    try:
        _parse(rule, rule=True)
    except FilterError as ex:
        raise BadRequestError("Failed to create record.") from ex


def is_manager(app: App, collection: Collection, info: RequestInfo, record: Record) -> bool:
    """Whether the caller may manage ``record`` (superuser, or a non-empty manageRule matches)."""
    return info.is_superuser or bool(managed_ids(app, collection, info, [record.id]))


def managed_ids(app: App, collection: Collection, info: RequestInfo, ids: list[str]) -> set[str]:
    """The subset of ``ids`` whose records the caller manages through the collection's manageRule.

    As PocketBase, a manager sees these records' emails whatever their ``emailVisibility``.
    """
    if not ids or not collection.is_auth or info.auth is None:
        return set()
    rule = collection.rule("manageRule")
    if rule is None or rule.strip() == "":
        return set()
    try:
        query = rule_query(collection, info, rule)
    except BadRequestError:
        return set()
    return _matching_ids(app, collection, ids, query)


def is_manager_of_new(app: App, collection: Collection, info: RequestInfo, record: Record) -> bool:
    """Whether the caller may manage a record being created (its manageRule over the new values).

    As PocketBase, the rule sees the submitted record as the createRule does, ``verified``
    forced to false, so a rule reading ``verified`` cannot be satisfied by the body itself.
    """
    if info.is_superuser:
        return True
    if not collection.is_auth or info.auth is None:
        return False
    rule = collection.rule("manageRule")
    if rule is None or rule.strip() == "":
        return False
    try:
        _parse(rule, rule=True)
        run_check(app, CreateRuleCheck(collection, info, rule).frozen(record), record)
    except (FilterError, RuleFailed, BadRequestError):
        return False
    return True
