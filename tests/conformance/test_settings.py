"""``/api/settings`` and its test routes: every section and field with each class of value, each
caller, odd bodies and secrets, identical to PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_settings
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends
# PERF: on Postgres one case in POSTGRES_EVERY (by name; conftest.py), for CI time
POSTGRES_EVERY = 4

CASES = cases_settings.build_cases()


@pytest.fixture(scope="module")
def settings_pair(pair: Pair) -> Pair:
    """The pair with a signed-in user (each case starts from the default settings)."""
    cases_settings.setup(pair)
    return pair


def test_the_table_is_large() -> None:
    assert len(CASES) >= 500
    assert {case.request.method for case in CASES} >= {"GET", "PATCH", "POST"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_settings(settings_pair: Pair, case: cases_settings.SettingsCase) -> None:
    cases_settings.prepare(settings_pair, case)
    pb, py = (case.mask(answer) for answer in settings_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
