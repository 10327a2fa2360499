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
# PERF: the first half here, the second in test_fields_more.py: a file runs in one xdist process,
# and the table's ~8000 cases took minutes in one
HALF = len(CASES) // 2


@pytest.fixture(scope="module")
def fields_pair(pair: Pair) -> Pair:
    """The pair with the field variant collections created."""
    cases_fields.setup(pair)
    cheap_passwords(pair)
    return pair


def cheap_passwords(pair: Pair) -> None:
    """PERF: the password variants hash at bcrypt's least cost (4; PocketBase's default 10 took
    ~0.4 s a case, 3 of the table's minutes): set on both servers, once a pair."""
    if not pair.first_time("fields: cheap passwords"):
        return
    for target in pair.targets:
        for index, variant in enumerate(cases_fields.VARIANTS):
            if variant.type == "password":
                path = f"/api/collections/{cases_fields.collection_name(index)}"
                fields = target.ok("GET", path)["fields"]
                target.ok("PATCH", path, {"fields": [{**f, "cost": 4} if f["name"] == "v" else f for f in fields]})


def test_the_table_is_large() -> None:
    assert len(CASES) >= 2000
    assert {case.action for case in CASES} == {"create", "update"}


@pytest.mark.parametrize("case", CASES[:HALF], ids=lambda case: case.name)
def test_field_write(fields_pair: Pair, case: cases_fields.FieldCase) -> None:
    cases_fields.prepare(fields_pair, case)
    pb, py = (case.mask(answer) for answer in fields_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
