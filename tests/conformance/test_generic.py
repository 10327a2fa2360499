"""Unknown routes, wrong methods, bad bodies, ids and tokens: the same 4xx as PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_generic
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

CASES = cases_generic.build_cases()


@pytest.fixture(scope="module")
def generic_pair(pair: Pair) -> Pair:
    """The pair with a user signed in (the query cases' setup) and the failing tokens."""
    cases_generic.setup(pair)
    return pair


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_generic(generic_pair: Pair, case: cases_generic.GenericCase) -> None:
    pb, py = (case.mask(answer) for answer in generic_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
