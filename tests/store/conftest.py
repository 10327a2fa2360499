"""Fixtures of the storage tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pybase.store.db_postgres import PostgresDatabase


@pytest.fixture(scope="module")
def pg(databases: Any) -> Iterator[psycopg.Connection[Any]]:
    """A connection (autocommit) to a fresh Postgres database holding pybase's SQL functions."""
    url = databases.server.new_database()
    database = PostgresDatabase(url)
    database.install_helpers()
    database.close()
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        yield conn
    databases.drop(url)
