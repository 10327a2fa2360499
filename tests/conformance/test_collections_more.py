"""Collection create/update identical to PocketBase: the second half of the table of
tests/conformance/test_collections.py (a file of its own so xdist runs it beside the first)."""

from __future__ import annotations

import pytest

from tests.conformance import cases_collections
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain
from tests.conformance.test_collections import CASES, HALF, POSTGRES_EVERY, POSTGRES_SKIP  # noqa: F401 - read by conftest.py

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def collections_pair(pair: Pair) -> Pair:
    """The pair (each case sets up its own collections)."""
    cases_collections.setup(pair)
    return pair


@pytest.mark.parametrize("case", CASES[HALF:], ids=lambda case: case.name)
def test_collection_write(collections_pair: Pair, case: cases_collections.CollectionCase) -> None:
    pb, py = cases_collections.run(collections_pair, case)
    explain(case.name, pb, py, difference(pb, py))
