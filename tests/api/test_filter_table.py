"""The filter table: every case of tests/data/filter_cases.py through the records list API.

Each case lists a collection of a fixed data set (built through the HTTP API) with a filter
and/or sort as some caller and checks the exact ids returned, or the status of the error.
With ``PYBASE_PB_BINARY`` pointing at a PocketBase 0.40 binary, the cases marked
``pb_checked`` are also run against it, on the same data built the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import testapp
from tests.data.filter_cases import (
    CASES,
    Case,
    Client,
    add_superuser,
    build_dataset,
    check_case,
    pocketbase_binary,
    run_pocketbase,
)

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory, backend: str, databases: Any) -> Iterator[Client]:
    """A pybase holding the filter data set (read-only for these tests)."""
    url = databases.new(backend)
    server = testapp.start_server(tmp_path_factory.mktemp("filter_table"), None, url)
    try:
        add_superuser(server)
        yield build_dataset(server.base_url)
    finally:
        server.stop()
        databases.drop(url)


def test_table_is_large_and_mixed() -> None:
    statuses = [case for case in CASES if isinstance(case.expected, int)]
    assert len(CASES) >= 150
    assert len(statuses) >= 30
    assert sum(case.pb_checked for case in CASES) >= 25
    assert {case.who for case in CASES} >= {"su", "anon", "u1", "u2"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_filter_case(dataset: Client, case: Case) -> None:
    problem = check_case(dataset, case)
    assert problem is None, problem


@pytest.mark.skipif(pocketbase_binary() is None, reason="set PYBASE_PB_BINARY to compare with PocketBase")
def test_pb_checked_cases_match_pocketbase() -> None:
    binary = pocketbase_binary()
    assert binary is not None
    with run_pocketbase(binary) as url:
        client = build_dataset(url)
        problems = [check_case(client, case) for case in CASES if case.pb_checked]
    assert [p for p in problems if p] == []
