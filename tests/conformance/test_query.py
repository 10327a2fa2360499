"""List and view query parameters, identical to PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_query
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

CASES = cases_query.build_cases()


@pytest.fixture(scope="module")
def query_pair(pair: Pair) -> Pair:
    """The pair with the query data set on both servers."""
    cases_query.setup(pair)
    return pair


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_query(query_pair: Pair, case: cases_query.QueryCase) -> None:
    pb, py = (case.mask(answer) for answer in query_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
