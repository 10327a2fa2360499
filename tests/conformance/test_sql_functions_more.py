"""SQLite's functions in a view query answer as in PocketBase, on both databases: the second
half of the table of tests/conformance/test_sql_functions.py (a file of its own so xdist runs it
beside the first)."""

from __future__ import annotations

import itertools

import pytest

from tests.conformance.harness import Pair
from tests.conformance.test_sql_functions import CASES, HALF, check_view_function, functions_pair  # noqa: F401 - a fixture

pytestmark = pytest.mark.both_backends

_names = itertools.count()


@pytest.mark.parametrize(("label", "expression"), CASES[HALF:], ids=[label for label, _ in CASES[HALF:]])
def test_view_function(functions_pair: Pair, backend: str, label: str, expression: str) -> None:  # noqa: F811 - the fixture
    # NOTE: names of their own: both files may run on one pair
    check_view_function(functions_pair, backend, label, expression, f"fn_w{next(_names)}")
