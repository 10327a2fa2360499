"""``POST /api/batch``: settings, body shapes and sub-request outcomes, identical to PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_batch
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; conftest.py), for CI time
POSTGRES_EVERY = 2

CASES = cases_batch.build_cases()


@pytest.fixture(scope="module")
def batch_pair(pair: Pair) -> Pair:
    """The pair with the batch collections, a signed-in user and the records cases change."""
    cases_batch.setup(pair)
    return pair


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_batch(batch_pair: Pair, case: cases_batch.BatchCase) -> None:
    cases_batch.prepare(batch_pair, case)
    pb, py = (case.mask(answer) for answer in batch_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
