"""Rate limits: every request of every sequence answered as PocketBase answers it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance import cases_ratelimit
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

CASES = cases_ratelimit.build_cases()


@pytest.fixture(scope="module")
def limited_pair(pair: Pair) -> Iterator[Pair]:
    """The pair with the rules on; off again afterwards."""
    cases_ratelimit.setup(pair)
    yield pair
    cases_ratelimit.teardown(pair)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_ratelimit(limited_pair: Pair, case: cases_ratelimit.LimitCase) -> None:
    pb, py = (case.mask(answer) for answer in limited_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
