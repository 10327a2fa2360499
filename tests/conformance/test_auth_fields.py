"""Auth system fields set by each kind of caller: answered as PocketBase answers."""

from __future__ import annotations

import pytest

from tests.conformance import cases_auth_fields
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

CASES = cases_auth_fields.build_cases()

# NOTE: the setup signs up and signs in ~100 users on both servers; the collection's password
# field has bcrypt's least cost (4), so it takes seconds (at cost 10 it took 40-90 s on a busy
# 2-core machine, past the default 120 s limit once). Every case on Postgres too (~9 s there).
pytestmark = [pytest.mark.timeout(600), pytest.mark.both_backends]


@pytest.fixture(scope="module")
def fields_pair(pair: Pair) -> Pair:
    """The pair with the auth collection, its callers and one record per update case."""
    cases_auth_fields.setup(pair)
    return pair


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_auth_fields(fields_pair: Pair, case: cases_auth_fields.FieldCase) -> None:
    pb, py = (case.mask(answer) for answer in fields_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
