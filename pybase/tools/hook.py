"""Generic hook chains: bind handlers by id and priority, trigger them with ``e.next()``.

A handler receives the event and calls ``e.next()`` to run the rest of the chain; the
finalizer passed to :meth:`Hook.trigger` is the last link (the built-in action). A handler
that returns without calling ``e.next()`` stops the chain there.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

_ids = itertools.count(1)


class Event:
    """Base event: carries the ``next`` link of the chain it is passing through."""

    _next: Callable[[], Any] | None = None

    def next(self) -> Any:
        """Run the remaining handlers of the chain, then the finalizer."""
        nxt = self._next
        if nxt is None:
            return None
        return nxt()

    def tags(self) -> Iterable[str]:
        """Values a tagged handler is matched against (collection id and name...)."""
        return ()


def _new_id(taken: set[str]) -> str:
    while (hid := f"h{next(_ids)}") in taken:
        pass
    return hid


E = TypeVar("E", bound=Event)
Handler = Callable[[E], Any]


@dataclass(order=True)
class _Binding(Generic[E]):
    priority: int
    seq: int
    id: str = field(compare=False)
    func: Callable[[Any], Any] = field(compare=False)
    tags: frozenset[str] = field(compare=False, default=frozenset())


class Hook(Generic[E]):
    """An ordered chain of handlers for one event type."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._bindings: tuple[_Binding[E], ...] = ()

    def bind(
        self,
        func: Handler[E],
        *,
        id: str | None = None,
        priority: int = 0,
        tags: Iterable[str] = (),
    ) -> str:
        """Add a handler (replacing one with the same id, in its place) and return its id."""
        with self._lock:
            hid = id or _new_id({b.id for b in self._bindings})
            # NOTE: as in PocketBase's Hook.Bind, a replaced handler keeps its registration
            # order among handlers of equal priority.
            seq = next((b.seq for b in self._bindings if b.id == hid), None)
            binding = _Binding(priority, seq if seq is not None else next(_ids), hid, func, frozenset(tags))
            kept = [b for b in self._bindings if b.id != hid]
            self._bindings = tuple(sorted([*kept, binding]))
        return hid

    def unbind(self, *ids: str) -> None:
        """Remove the handlers with the given ids."""
        with self._lock:
            self._bindings = tuple(b for b in self._bindings if b.id not in ids)

    def unbind_all(self) -> None:
        """Remove every handler."""
        with self._lock:
            self._bindings = ()

    def length(self) -> int:
        """Number of bound handlers."""
        return len(self._bindings)

    def trigger(self, event: E, finalizer: Callable[[E], Any] | None = None) -> Any:
        """Run the chain for ``event``; ``finalizer`` runs last if every handler calls next."""
        bindings = self._bindings
        if not bindings:
            # PERF: most hooks have no handler: the finalizer alone (a dozen per record write).
            if finalizer is None:
                return None
            saved = event._next
            event._next = None
            try:
                return finalizer(event)
            finally:
                event._next = saved
        if any(b.tags for b in bindings):
            event_tags = set(event.tags())
            bindings = tuple(b for b in bindings if not b.tags or b.tags & event_tags)
        funcs: list[Callable[[Any], Any]] = [b.func for b in bindings]
        if finalizer is not None:
            funcs.append(finalizer)
        if not funcs:
            return None

        saved = event._next
        position = 0

        def run_next() -> Any:
            nonlocal position
            if position >= len(funcs):
                return None
            func = funcs[position]
            position += 1
            return func(event)

        event._next = run_next
        try:
            return run_next()
        finally:
            event._next = saved
