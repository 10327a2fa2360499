"""What every process sharing one app with others (worker processes, cluster nodes) does when
another one changed collections or settings, or wrote a record its realtime clients hear of."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.records import Record

if TYPE_CHECKING:
    from pybase.core.app import App


class SharedStateRuntime:
    """A generation number that moves when another process changed collections or settings;
    each request compares it (a memory read) and reloads when it moved.

    Subclasses set ``app``, ``_seen`` and ``_refresh_lock`` and say where the number is read.
    """

    app: App
    _seen: int
    _refresh_lock: threading.Lock

    def _generation_now(self) -> int:
        raise NotImplementedError

    def refresh_if_stale(self) -> None:
        """Reload collections and settings when another process changed them (a memory read)."""
        if self._generation_now() == self._seen:
            return
        with self._refresh_lock:
            current = self._generation_now()
            if current == self._seen:
                return
            # NOTE: realtime clients of an auth collection whose token secret changed are
            # signed out by the registry's listener (sign_out_stale_auth)
            self.app.registry.reload()
            self.app.settings_store.reload()
            self._seen = current

    def _resolve(self, collection_id: str, values: dict[str, Any]) -> Record | None:
        """A record another process wrote, from its values by field name (database form)."""
        self.refresh_if_stale()
        collection = self.app.registry.find(collection_id)
        if collection is None:
            return None
        try:
            row = [values[column.name] for column in collection.table.columns]
        except KeyError:
            return None  # NOTE: written under another version of the collection
        return Record.from_row(collection, row, self.app.records)

    def wrap(self, wsgi: Callable[..., Any]) -> Callable[..., Any]:
        """The WSGI app, checking first whether another process changed collections or settings."""
        refresh = self.refresh_if_stale

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            refresh()
            return wsgi(environ, start_response)

        return app
