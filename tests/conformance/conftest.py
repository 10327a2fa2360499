"""One PocketBase and one pybase per database, shared by the conformance modules while small.

A module marked ``both_backends`` compares PocketBase with pybase on SQLite, then with pybase
on Postgres (tests/conftest.py parametrises its ``backend``); the others with SQLite only.
A pair starts on first use and serves the modules after it until it holds ``CROWDED``
collections; the next module then gets a fresh pair.

PERF: PocketBase's collection writes grow with the collections it holds (measured: 5 ms fresh,
235 ms at 500, 1.1 s at 1,500; pybase's 7, 28, 42 ms): a pair shared by a whole CI process made the
view and collection suites that ran late the slowest files of CI, whichever they were. On
Postgres a module may also run a deterministic part of its table (``POSTGRES_EVERY``,
``POSTGRES_SKIP``: see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import Pair, running_pair

#: a shared pair holding more collections than this (PocketBase's own six included) is replaced
#: before the next module. A fresh pair costs ~1.5 s; 140 collections left by one module made the
#: next one's ~160 writes cost 26 s more (test_sql_functions_core: 49 s alone, 75 s after
#: test_sql_json5)
CROWDED = 25


class Pairs:
    """The current pair per database; each is stopped when replaced or at the session's end."""

    def __init__(self, databases: Any) -> None:
        self._databases = databases
        self._pairs: dict[str, tuple[Pair, contextlib.ExitStack]] = {}

    def get(self, backend: str) -> Pair:
        current = self._pairs.get(backend)
        if current is not None and _collections(current[0]) > CROWDED:
            self._stop(backend)
            current = None
        if current is None:
            stack = contextlib.ExitStack()
            url = self._databases.new(backend)
            stack.callback(self._databases.drop, url)
            current = self._pairs[backend] = (stack.enter_context(running_pair(url)), stack)
        return current[0]

    def _stop(self, backend: str) -> None:
        _pair, stack = self._pairs.pop(backend)
        stack.close()

    def close(self) -> None:
        for backend in list(self._pairs):
            self._stop(backend)


def _collections(pair: Pair) -> int:
    """How many collections PocketBase holds (the system ones included)."""
    return int(pair.pb.ok("GET", "/api/collections?perPage=1&fields=id")["totalItems"])


@pytest.fixture(scope="session")
def pairs(databases: Any) -> Iterator[Pairs]:
    """The pairs of the session (started lazily)."""
    found = Pairs(databases)
    yield found
    found.close()


@pytest.fixture(scope="module")
def pair(pairs: Pairs, backend: str) -> Pair:
    """Both servers, signed in as the superuser; pybase on ``backend``. Shared with the modules
    before while it holds few collections: a module must not assume it is empty."""
    return pairs.get(backend)


@pytest.fixture(scope="module")
def own_pair(databases: Any, backend: str) -> Iterator[Pair]:
    """Servers of the module's own, fresh: for modules whose every case writes collections."""
    url = databases.new(backend)
    try:
        with running_pair(url) as fresh:
            yield fresh
    finally:
        databases.drop(url)
