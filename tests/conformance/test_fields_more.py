"""Record writes identical to PocketBase: the second half of the table of
tests/conformance/test_fields.py (a file of its own so xdist runs it beside the first)."""

from __future__ import annotations

import pytest

from tests.conformance import cases_fields
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain
from tests.conformance.test_fields import CASES, HALF, POSTGRES_EVERY, cheap_passwords  # noqa: F401 - POSTGRES_EVERY: read by conftest.py

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def fields_pair(pair: Pair) -> Pair:
    """The pair with the field variant collections created."""
    cases_fields.setup(pair)
    cheap_passwords(pair)
    return pair


@pytest.mark.parametrize("case", CASES[HALF:], ids=lambda case: case.name)
def test_field_write(fields_pair: Pair, case: cases_fields.FieldCase) -> None:
    cases_fields.prepare(fields_pair, case)
    pb, py = (case.mask(answer) for answer in fields_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
