"""Reloads of an in-memory copy of stored rows (collections, settings) that never go backwards.

A reload reads rows, then makes what it read live. Threads reload at once (a request seeing that
another process changed something, a save reloading after its write): a read made before a
write committed, made live after that write's own reload, would bring back the state before
the write until the next change (a new collection missing in its own save's hooks, a saved
setting reading back as before: both seen in CI with two workers).

So each reload takes a ticket before it reads, and what it read is made live only when no later
ticket's was. A reload inside a write transaction reads that write's uncommitted rows: while it
is open, reloads from outside it (committed rows, without its change) are dropped, and once it
commits the copy is read again if any other reload started meanwhile; a rollback reads again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pybase.store.db import Database


class OrderedReload:
    """The tickets of one cached copy; ``reload`` is the copy's full reload (read + install)."""

    def __init__(self, db: Database, reload: Callable[[], None]) -> None:
        self._db = db
        self._reload = reload
        self._lock = threading.Lock()
        self._issued = 0
        self._installed = 0
        #: the ticket of a reload made inside the open write transaction, until it ends
        self._in_write = 0

    def ticket(self) -> int:
        """Take a ticket before reading (inside a write: that write's, checked at its end)."""
        state = self._db.transaction_state()
        with self._lock:
            self._issued += 1
            ticket = self._issued
            if state is not None:
                # NOTE: with the ticket, under the lock: a reload from outside taking the next
                # ticket meanwhile would be made live, and this one (earlier) dropped
                self._in_write = ticket
        if state is not None:
            key = ("ordered_reload", id(self))
            first = key not in state
            state[key] = ticket
            if first:
                self._db.on_commit(lambda: self._write_ended(state[key], committed=True),
                                   on_rollback=lambda: self._write_ended(state[key], committed=False))
        return ticket

    def install(self, ticket: int, make_live: Callable[[], None]) -> bool:
        """Run ``make_live`` unless a later reload's copy is live (or a write's view is, and
        this reload read from outside that write); False when dropped."""
        with self._lock:
            if ticket < self._installed or (self._in_write and ticket != self._in_write and not self._db.in_write()):
                return False
            self._installed = ticket
            make_live()
            return True

    def _write_ended(self, mine: int, *, committed: bool) -> None:
        with self._lock:
            # NOTE: after a commit this runs outside the write lock: the next write may have
            # made its own view live already (its ticket is later), which stays live
            if self._in_write == mine:
                self._in_write = 0
            again = not committed or self._issued != mine
        if again:
            self._reload()
