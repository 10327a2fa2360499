"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.dart_servers import Servers, started


@pytest.fixture(scope="module")
def dart_pair(backend: str, databases: Any) -> Iterator[Servers]:
    """PocketBase and pybase with the Dart SDK tests' data (tests/e2e/dart_servers.py)."""
    yield from started(backend, databases)
