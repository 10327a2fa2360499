"""Shared fixtures: the generated fixture data dir and a real server per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testapp import TestServer, fixture_dir, start_server


@pytest.fixture(scope="session")
def fixture_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture data dir, generated once per session."""
    return fixture_dir(tmp_path_factory.mktemp("fixture"))


@pytest.fixture
def server(tmp_path: Path, fixture_data: Path) -> Iterator[TestServer]:
    """A real pybase serving a private copy of the fixture data."""
    srv = start_server(tmp_path, fixture_data)
    yield srv
    srv.stop()


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[TestServer]:
    """A real pybase on a brand-new data dir."""
    srv = start_server(tmp_path, None)
    yield srv
    srv.stop()
