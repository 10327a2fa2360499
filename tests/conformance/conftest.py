"""One PocketBase and one pybase per database for the whole conformance suite.

A module marked ``both_backends`` compares PocketBase with pybase on SQLite, then with pybase
on Postgres (tests/conftest.py parametrises its ``backend``); the others with SQLite only.
Each pair starts on first use and lives for the session, so modules share it as before.

PERF: on Postgres a module may run a deterministic part of its table (``POSTGRES_EVERY``,
``POSTGRES_SKIP``: see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import Pair, running_pair


class Pairs:
    """The pairs started so far, one per database, stopped at the end of the session."""

    def __init__(self, databases: Any) -> None:
        self._databases = databases
        self._stack = contextlib.ExitStack()
        self._pairs: dict[str, Pair] = {}

    def get(self, backend: str) -> Pair:
        if backend not in self._pairs:
            url = self._databases.new(backend)
            self._pairs[backend] = self._stack.enter_context(running_pair(url))
        return self._pairs[backend]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def pairs(databases: Any) -> Iterator[Pairs]:
    """The pairs of the session (started lazily)."""
    found = Pairs(databases)
    yield found
    found.close()


@pytest.fixture(scope="module")
def pair(pairs: Pairs, backend: str) -> Pair:
    """Both servers, fresh, signed in as the superuser; pybase on ``backend``."""
    return pairs.get(backend)


@pytest.fixture(scope="module")
def own_pair(databases: Any, backend: str) -> Iterator[Pair]:
    """Servers of the module's own, fresh. PERF: for modules whose every case writes
    collections: on the shared pair, after the modules before them in the same process, each
    write cost ~0.5 s (test_collections summed 426 s in CI, 18 s on fresh servers)."""
    url = databases.new(backend)
    try:
        with running_pair(url) as fresh:
            yield fresh
    finally:
        databases.drop(url)

