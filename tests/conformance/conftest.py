"""A PocketBase and a pybase of its own for each conformance module, fresh.

A module marked ``both_backends`` compares PocketBase with pybase on SQLite, then with pybase
on Postgres (tests/conftest.py parametrises its ``backend``); the others with SQLite only.

PERF: a pair starts in ~0.5 s. Shared by the modules of a CI process, it grew slow for those
after: PocketBase's collection writes grow with the collections it holds (5 ms fresh, 235 ms at
500, 1.1 s at 1,500), and after test_nul_values's few collections each view of
test_view_branch_classes took PocketBase ~5 s of CPU (49 s alone on fresh servers). On Postgres
a module may also run a deterministic part of its table (``POSTGRES_EVERY``, ``POSTGRES_SKIP``:
see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import Pair, running_pair


@pytest.fixture(scope="module")
def pair(databases: Any, backend: str) -> Iterator[Pair]:
    """Both servers, fresh, signed in as the superuser; pybase on ``backend``."""
    url = databases.new(backend)
    try:
        with running_pair(url) as fresh:
            yield fresh
    finally:
        databases.drop(url)
