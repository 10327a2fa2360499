"""One PocketBase and one pybase per database for the whole conformance suite.

A module marked ``both_backends`` compares PocketBase with pybase on SQLite, then with pybase
on Postgres (tests/conftest.py parametrises its ``backend``); the others with SQLite only.
Each pair starts on first use and lives for the session, so modules share it as before.

PERF: on Postgres a module may run a deterministic part of its table (CI time): its
``POSTGRES_EVERY = n`` keeps the cases whose name hashes to 0 modulo n, and its
``POSTGRES_SKIP(name)`` leaves out cases answered the Postgres way by design (``/api/sql``).
``PYBASE_CONFORMANCE_PG_ALL=1`` runs every case.
"""

from __future__ import annotations

import contextlib
import os
import zlib
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    everything = os.environ.get("PYBASE_CONFORMANCE_PG_ALL") == "1"
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.id.removeprefix("postgres-") if callspec is not None else ""
        module = getattr(item, "module", None)
        if callspec is None or callspec.params.get("backend") != "postgres" or module is None:
            kept.append(item)
            continue
        skip = getattr(module, "POSTGRES_SKIP", None)
        every = 1 if everything else int(getattr(module, "POSTGRES_EVERY", 1))
        if (skip is not None and skip(case)) or zlib.crc32(case.encode()) % every:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
