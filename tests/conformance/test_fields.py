"""Record writes: every field type x option x value class, identical to PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_fields
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; conftest.py), for CI time
POSTGRES_EVERY = 20

CASES = cases_fields.build_cases()


@pytest.fixture(scope="module")
def fields_pair(pair: Pair) -> Pair:
    """The pair with the field variant collections created."""
    cases_fields.setup(pair)
    return pair


def test_the_table_is_large() -> None:
    assert len(CASES) >= 2000
    assert {case.action for case in CASES} == {"create", "update"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_field_write(fields_pair: Pair, case: cases_fields.FieldCase) -> None:
    cases_fields.prepare(fields_pair, case)
    pb, py = (case.mask(answer) for answer in fields_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
