"""The operations routes (logs, backups, crons, health, the settings' test and Apple routes, file
tokens): every route x method x caller x body class and the logs' query parameters x value class
answer as PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_operations
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

# NOTE: on Postgres too: the logs are a table of that database there (and the backups a dump)
pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; conftest.py); both servers skip the
# same cases, so the cases that build on earlier ones still see the same state on each
POSTGRES_EVERY = 2

CASES = cases_operations.build_cases()


@pytest.fixture(scope="module")
def ops_pair(pair: Pair) -> Pair:
    """The pair with a user, the failing tokens, file tokens and the marked log entries."""
    cases_operations.setup(pair)
    return pair


def test_the_table_is_large() -> None:
    assert len(CASES) >= 800
    assert {case.request.method for case in CASES} >= {"GET", "POST", "DELETE", "HEAD"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_operations(ops_pair: Pair, case: cases_operations.OpsCase) -> None:
    cases_operations.prepare(ops_pair, case)
    pb, py = (cases_operations.ask(target, case) for target in ops_pair.targets)
    explain(case.name, pb, py, difference(pb, py))
