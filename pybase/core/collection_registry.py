"""The cached set of collections, loaded from ``_collections`` and rebuilt after every change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from pybase.core.collections import Collection
from pybase.store.dialect import dialect_of, insertion_order
from pybase.store.ordered_reload import OrderedReload
from pybase.store.schema import collections_table, metadata

if TYPE_CHECKING:
    from pybase.store.db import Database


class _WriteView(threading.local):
    """The collections as the calling thread's open write transaction sees them (None outside)."""

    by_key: dict[str, Collection] | None = None
    ordered: list[Collection] | None = None


class CollectionRegistry:
    """Collections by id and by case-insensitive name; swapped atomically on reload.

    A reload inside a write transaction (a collection save) reads that write's uncommitted rows:
    they are the writing thread's alone until the write commits (other threads would find a
    collection whose table they cannot see yet: a 500 "no such table" instead of a 404), then
    made live as they are, under the write lock; a rollback just drops them.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._by_key: dict[str, Collection] = {}
        self._ordered: list[Collection] = []
        self._write_view = _WriteView()
        self._reloads = OrderedReload(db, self.reload)
        self._listeners: list[Callable[[], None]] = []
        #: collection id -> (its row, its jsonb view columns, its Collection) as last read
        self._known: dict[str, tuple[Any, frozenset[str], Collection]] = {}

    def reload(self) -> None:
        """Read every collection from the database: inside a write, that write's view, for its
        thread; outside, the committed rows for all (a reload started earlier never replaces a
        later one: see OrderedReload)."""
        state = self.db.transaction_state()
        if state is not None:
            by_key, collections = self._read()
            view = self._write_view
            view.by_key, view.ordered = by_key, collections
            if "collection_registry" not in state:
                state["collection_registry"] = True
                # NOTE: under the write lock, so no other write comes between the commit and
                # the committed rows made live
                self.db.on_commit_locked(self._write_committed)
                self.db.on_commit(self._write_ended, on_rollback=self._write_ended)
            # NOTE: no listener yet: what they act on (realtime sign-outs) may still roll back
            return
        ticket = self._reloads.ticket()
        self._install(ticket, *self._read())

    def _install(self, ticket: int, by_key: dict[str, Collection], collections: list[Collection]) -> None:
        def make_live() -> None:
            with self._lock:
                self._by_key = by_key
                self._ordered = collections

        if self._reloads.install(ticket, make_live):
            self._changed()

    def _read(self) -> tuple[dict[str, Collection], list[Collection]]:
        with self.db.read() as conn:
            rows = conn.execute(select(collections_table).order_by(insertion_order(collections_table))).all()
            dialect = dialect_of(conn)
            jsonb = dialect.jsonb_view_columns(conn, [row.name for row in rows if row.type == "view"])
        # PERF: a row read as before (and a view's jsonb columns as before) keeps its Collection
        # (read-only, so shared): parsing every collection again cost each save ~18 us a
        # collection (55 ms with 3,000 of them); comparing the rows ~1 us.
        known = self._known
        seen: dict[str, tuple[Any, frozenset[str], Collection]] = {}
        collections: list[Collection] = []
        by_key: dict[str, Collection] = {}
        for row in rows:
            columns = jsonb.get(row.name, frozenset())
            before = known.get(row.id)
            if before is not None and before[0] == row and before[1] == columns:
                col = before[2]
            else:
                col = Collection.from_row(row)
                col.registry = self
                col.json_as_written = not dialect.json_text_rewritten
                col.nul_escaped = not dialect.text_holds_nul
                col.jsonb_columns = columns
            seen[row.id] = (row, columns, col)
            collections.append(col)
            by_key[col.id] = col
            by_key[col.name.lower()] = col
        self._known = seen
        return by_key, collections

    def _write_committed(self) -> None:
        view = self._write_view
        by_key, ordered = view.by_key, view.ordered
        self._write_ended()
        ticket = self._reloads.ticket()
        if by_key is None or ordered is None:
            by_key, ordered = self._read()
        # PERF: the write's own copy is what it committed (read inside it after its change; under
        # the write lock no other write commits before this runs), made live as it is: reading
        # again cost every collection save a second read of all collections (~18 us each:
        # 55 ms with 3,000 of them, a save 87 -> 142 ms)
        self._install(ticket, by_key, ordered)

    def _write_ended(self) -> None:
        view = self._write_view
        view.by_key = view.ordered = None

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def on_installed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every reload made live (this process's changes, another's;
        a write's own, once it committed)."""
        self._listeners.append(listener)

    def find(self, id_or_name: str) -> Collection | None:
        """A collection by id or (case-insensitive) name."""
        if not id_or_name:
            return None
        by_key = self._write_view.by_key
        if by_key is None:
            by_key = self._by_key
        return by_key.get(id_or_name) or by_key.get(id_or_name.lower())

    def all(self) -> list[Collection]:
        """Every collection in creation order."""
        ordered = self._write_view.ordered
        return list(self._ordered if ordered is None else ordered)

    def reserved_table_names(self) -> set[str]:
        """Names taken by internal tables."""
        # NOTE: not sqlite_master and co.: as in PocketBase, SQLite itself refuses those names.
        return {name.lower() for name in metadata.tables}

    def referencing(self, collection_id: str) -> list[tuple[Collection, str]]:
        """(collection, relation field name) pairs pointing at ``collection_id``."""
        out = []
        for col in self.all():
            for field in col.fields:
                if field.type == "relation" and getattr(field, "collectionId", "") == collection_id:
                    out.append((col, field.name))
        return out
