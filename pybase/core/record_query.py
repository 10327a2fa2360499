"""Reading records: by id, by ids, and paginated lists with a WHERE clause and sort."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import ColumnElement, bindparam, distinct, func, select
from sqlalchemy.exc import DatabaseError

from pybase.core.errors import BadRequestError, NotFoundError
from pybase.core.records import Record
from pybase.store.db import DB_ERRORS
from pybase.store.dialect import in_json_list, insertion_order
from pybase.store.schema import first_row

if TYPE_CHECKING:
    from pybase.core.collection_registry import CollectionRegistry
    from pybase.core.collections import Collection
    from pybase.core.record_access import RecordQuery
    from pybase.store.db import Database
    from pybase.store.db_base import Prepared

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000


class Page:
    """One page of a list: its rows, read as records on first use, plus PocketBase's paging numbers.

    PERF: a list answered without hooks exports the rows straight (apis/serialize.rows_to_json)
    and never builds the records.
    """

    __slots__ = ("page", "per_page", "total_items", "total_pages", "collection", "rows", "_store", "_records")

    def __init__(
        self, page: int, per_page: int, total_items: int, total_pages: int,
        collection: Collection, rows: Sequence[Any], store: RecordStore | None,
    ) -> None:  # fmt: skip
        self.page, self.per_page, self.total_items, self.total_pages = page, per_page, total_items, total_pages
        self.collection = collection
        #: the rows of ``select(collection.table)``, in table column order
        self.rows = rows
        self._store = store
        self._records: list[Record] | None = None

    @property
    def records(self) -> list[Record]:
        """The rows as records (built once)."""
        if self._records is None:
            self._records = [Record.from_row(self.collection, row, self._store) for row in self.rows]
        return self._records


class RecordStore:
    """Record reads for one database and collection registry."""

    def __init__(self, db: Database, registry: CollectionRegistry) -> None:
        self.db = db
        self.registry = registry

    def collection(self, id_or_name: str) -> Collection:
        """A collection or NotFoundError."""
        col = self.registry.find(id_or_name)
        if col is None:
            raise NotFoundError("Missing collection context.")
        return col

    def find_by_id(
        self,
        collection: Collection,
        record_id: str,
        where: ColumnElement[bool] | RecordQuery | None = None,
    ) -> Record:
        """One record by id (optionally also matching ``where``, e.g. a rule) or NotFoundError."""
        table = collection.table
        if where is None:
            # PERF: the common case (public or superuser view) runs a statement compiled once.
            rows = self.db.fetch(self._statements(collection).by_id, {"id": record_id})
            if not rows:
                raise NotFoundError()
            return Record.from_row(collection, rows[0], self)
        query = select(table).where(table.c.id == record_id)
        if where is not None:
            query = _apply(query, table, where)
        try:
            with self.db.read() as conn:
                row = conn.execute(first_row(query)).first()
        except DatabaseError as ex:
            # NOTE: a rule that fails in SQL (e.g. a bad JSON path) hides the record, as in PocketBase.
            raise NotFoundError() from ex
        if row is None:
            raise NotFoundError()
        return Record.from_row(collection, row, self)

    def find_many(self, collection: Collection, ids: Sequence[str]) -> list[Record]:
        """Records with the given ids, in the order of ``ids`` (missing ones skipped)."""
        if not ids:
            return []
        # PERF: one statement compiled per collection whatever the number of ids (expand).
        rows = self.db.fetch(self._statements(collection).many, {"ids": orjson.dumps(list(ids)).decode()})
        by_id = {record.id: record for record in (Record.from_row(collection, row, self) for row in rows)}
        return [by_id[i] for i in ids if i in by_id]

    def ids_exist(self, collection_id: str, ids: Sequence[str]) -> bool:
        """Whether every id exists in the collection."""
        col = self.registry.find(collection_id)
        if col is None:
            return False
        unique = set(ids)
        # PERF: a statement compiled once per collection version (relation fields on every save).
        rows = self.db.fetch(self._statements(col).count_ids, {"ids": orjson.dumps(list(unique)).decode()})
        return int(rows[0][0]) == len(unique)

    def find_first(self, collection: Collection, **values: Any) -> Record | None:
        """The first record whose fields equal ``values``."""
        table = collection.table
        query = first_row(select(table))
        for key, value in values.items():
            query = query.where(table.c[key] == value)
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return Record.from_row(collection, row, self) if row is not None else None

    def list_page(
        self,
        collection: Collection,
        *,
        where: Sequence[ColumnElement[bool]] | RecordQuery = (),
        order_by: Sequence[Any] | RecordQuery = (),
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        skip_total: bool = False,
        query: RecordQuery | None = None,
    ) -> Page:
        """A page of records; totals are -1 when ``skip_total``.

        ``where``/``order_by`` may be plain clauses or ``RecordQuery`` objects (from
        ``record_access``), whose joins are applied with DISTINCT; ``query`` is one more.
        """
        combined, clauses, terms = _combine(query, where, order_by)
        if combined is not None and combined.is_empty:
            combined = None
        if combined is None and not clauses and not terms and not collection.is_view:
            return self._plain_page(collection, page, per_page, skip_total)
        rows_query, count_query = _list_statements(
            collection, combined, clauses, terms, per_page, page_offset(page, per_page)
        )
        try:
            with self.db.read() as conn:
                rows = conn.execute(rows_query).all()
                total = -1
                if not skip_total:
                    total = int(conn.execute(count_query).scalar_one())
        except DatabaseError as ex:
            # NOTE: PocketBase answers 400 for any failure while running a list query.
            raise BadRequestError() from ex
        total_pages = -1 if skip_total else (total + per_page - 1) // per_page
        return Page(page, per_page, total, total_pages, collection, rows, self)

    def list_plan(self, collection: Collection, query: RecordQuery) -> ListPlan | None:
        """The list ``query`` compiled once, its page bound at each run (:meth:`run_list_plan`);
        None when it cannot be (a list of values expanded at run time)."""
        combined = None if query.is_empty else query
        rows_query, count_query = _list_statements(
            collection, combined, [], list(query.order_by), bindparam("limit"), bindparam("offset")
        )
        plan = ListPlan(_prepare(self.db, rows_query), _prepare(self.db, count_query))
        if plan.rows is None or plan.count is None:
            return None
        return plan

    def run_list_plan(
        self, collection: Collection, plan: ListPlan, page: int, per_page: int, skip_total: bool,
        params: dict[str, Any] | None = None,
    ) -> Page:  # fmt: skip
        """A page of a compiled list (as :meth:`list_page` answers it); ``params``: the values
        its statements take besides the page (a rule's request values)."""
        try:
            rows = self.db.fetch(plan.rows, {**(params or {}), "limit": per_page, "offset": page_offset(page, per_page)})
            total = -1 if skip_total else int(self.db.fetch(plan.count, params)[0][0])
        except DB_ERRORS as ex:
            raise BadRequestError() from ex  # NOTE: as list_page
        total_pages = -1 if skip_total else (total + per_page - 1) // per_page
        return Page(page, per_page, total, total_pages, collection, rows, self)

    def _plain_page(self, collection: Collection, page: int, per_page: int, skip_total: bool) -> Page:
        # PERF: an unfiltered list in creation order (the most common list) uses statements
        # compiled once per collection version.
        statements = self._statements(collection)
        rows = self.db.fetch(statements.page, {"limit": per_page, "offset": page_offset(page, per_page)})
        total = -1 if skip_total else int(self.db.fetch(statements.count)[0][0])
        total_pages = -1 if skip_total else (total + per_page - 1) // per_page
        return Page(page, per_page, total, total_pages, collection, rows, self)

    def _statements(self, collection: Collection) -> _Statements:
        statements = _statement_cache.get(collection)
        if statements is None:
            statements = _statement_cache[collection] = _Statements(self.db, collection)
        return statements

    def count(self, collection: Collection, where: ColumnElement[bool] | None = None) -> int:
        """Number of records (matching ``where``)."""
        table = collection.table
        query = select(func.count()).select_from(table)
        if where is not None:
            query = query.where(where)
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())


class _Statements:
    """The hot read statements of one collection version, compiled once."""

    __slots__ = ("by_id", "many", "page", "count", "count_ids")

    def __init__(self, db: Database, collection: Collection) -> None:
        table = collection.table
        self.by_id = db.prepare(first_row(select(table).where(table.c.id == bindparam("id"))))
        self.many = db.prepare(select(table).where(in_json_list(table.c.id, "ids")))
        self.page = db.prepare(
            select(table).order_by(insertion_order(table)).limit(bindparam("limit")).offset(bindparam("offset"))
        )
        self.count = db.prepare(select(func.count()).select_from(table))
        self.count_ids = db.prepare(select(func.count()).select_from(table).where(in_json_list(table.c.id, "ids")))


# NOTE: keyed by the collection object: a changed collection is a new object, so stale
# statements go away with the old one.
_statement_cache: weakref.WeakKeyDictionary[Collection, _Statements] = weakref.WeakKeyDictionary()


def _apply(stmt: Any, table: Any, where: Any) -> Any:
    if hasattr(where, "apply"):
        return where.apply(stmt, table)
    return stmt.where(where)


def _combine(
    query: RecordQuery | None, where: Any, order_by: Any
) -> tuple[RecordQuery | None, list[Any], list[Any]]:
    """Split list arguments into one RecordQuery plus plain WHERE/ORDER BY clauses."""
    combined = query
    clauses: list[Any] = []
    terms: list[Any] = []
    for part, plain in ((where, clauses), (order_by, terms)):
        if hasattr(part, "apply"):
            combined = part if combined is None else combined.merge(part)
        else:
            plain.extend(part)
    if combined is not None:
        terms = list(combined.order_by) + terms
    return combined, clauses, terms


class ListPlan:
    """The page and count statements of one list query, compiled once (see RecordStore.list_plan)."""

    __slots__ = ("rows", "count")

    def __init__(self, rows: Prepared | None, count: Prepared | None) -> None:
        self.rows = rows
        self.count = count


def _prepare(db: Database, stmt: Any) -> Prepared | None:
    """``db.prepare``; None when the SQL is only complete at run time (expanding IN lists)."""
    prepared = db.prepare(stmt)
    return None if "POSTCOMPILE" in prepared.sql else prepared


def _list_statements(
    collection: Collection, combined: RecordQuery | None, clauses: list[Any], terms: list[Any], limit: Any, offset: Any
) -> tuple[Any, Any]:
    """The page and count SELECTs of a list: filtered, sorted (else in insertion order)."""
    table = collection.table

    def filtered(stmt: Any) -> Any:
        if combined is not None:
            stmt = combined.apply(stmt, table)
        return stmt.where(*clauses) if clauses else stmt

    rows_query = filtered(select(table))
    if terms:
        rows_query = rows_query.order_by(*terms)
    elif not collection.is_view:
        rows_query = rows_query.order_by(insertion_order(table))
    return rows_query.limit(limit).offset(offset), filtered(_count_select(collection, combined))


def _count_select(collection: Collection, query: RecordQuery | None) -> Any:
    """``COUNT(*)``, or ``COUNT(DISTINCT rowid)`` when joins may repeat rows (as PocketBase)."""
    table = collection.table
    if query is None or not query.distinct:
        return select(func.count()).select_from(table)
    key = table.c.id if collection.is_view else insertion_order(table)
    return select(func.count(distinct(key))).select_from(table)


_ATOI_RE = re.compile(r"[+-]?[0-9]+")


def _go_atoi(text: str) -> int:
    """An int64 as Go's ``strconv.Atoi`` reads it (sign and ASCII digits only), else 400."""
    if not _ATOI_RE.fullmatch(text):
        raise BadRequestError()
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise BadRequestError()
    return value


def page_offset(page: int, per_page: int) -> int:
    """The rows a page skips, as PocketBase computes them: an int64 product that wraps around,
    and no OFFSET at all when it is not positive.

    NOTE: so ``page=9223372036854775807`` answers the first page, as PocketBase does (a plain
    product overflows SQLite's INTEGER).
    """
    offset = (per_page * (page - 1) + 2**63) % 2**64 - 2**63
    return max(offset, 0)


def parse_paging(page: str | None, per_page: str | None) -> tuple[int, int]:
    """PocketBase's paging rules: defaults, clamping, 400 for text that is not a number."""
    page_n = _go_atoi(page) if page not in (None, "") else 1
    per_n = _go_atoi(per_page) if per_page not in (None, "") else DEFAULT_PER_PAGE
    if page_n < 1:
        page_n = 1
    if per_n <= 0:
        per_n = DEFAULT_PER_PAGE
    return page_n, min(per_n, MAX_PER_PAGE)
