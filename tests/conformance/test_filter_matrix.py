"""Generated filters (tests/conformance/cases_filter_matrix.py): the same ids, in the same order,
from PocketBase and from pybase, on SQLite and on Postgres."""

from __future__ import annotations

from collections import defaultdict

import pytest

from pybase.store.sqlite_driver import sqlite3  # NOTE: the SQLite pybase runs on
from tests.conformance import cases_filter_matrix as matrix
from tests.conformance.harness import Pair

pytestmark = pytest.mark.both_backends

CASES = matrix.build_cases()
GROUPS: dict[str, list[matrix.MatrixCase]] = defaultdict(list)
for _case in CASES:
    GROUPS[_case.name.split(" ", 1)[0]].append(_case)

# (database, filter text) -> why pybase answers differently from PocketBase ("" for both)
KNOWN: dict[tuple[str, str], str] = {}
# NOTE: PocketBase's SQLite (3.46+) knows strftime's %e %F %G %g %I %k %l %p %P %R %T %u %U %V;
# Python's sqlite3 before 3.44 does not and answers NULL: such cases may differ on SQLite.
NEW_STRFTIME_CODES = ("%e", "%F", "%G", "%g", "%I", "%k", "%l", "%p", "%P", "%R", "%T", "%u", "%U", "%V")
OLD_SQLITE = sqlite3.sqlite_version_info < (3, 44, 0)


#: the macros that read the clock (PocketBase's datetime macros)
CLOCK_MACROS = ("@now", "@second", "@minute", "@hour", "@weekday", "@day", "@month", "@year", "@yesterday",
                "@tomorrow", "@todayStart", "@todayEnd", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd")


def may_differ(backend: str, case: matrix.MatrixCase) -> bool:
    """A case whose answer depends on the SQLite library pybase runs with, or on the instant:
    a datetime macro matched with ``~`` as text (``@yesterday !~ n`` with n = 10 holds or not
    as the clock reads ...:10:... for one server and ...:11:... for the other)."""
    if "~" in case.filter and any(macro in case.filter for macro in CLOCK_MACROS):
        return True
    return backend == "sqlite" and OLD_SQLITE and any(code in case.filter for code in NEW_STRFTIME_CODES)


@pytest.fixture(scope="module")
def matrix_pair(pair: Pair) -> Pair:
    """The pair with the matrix data set on both servers."""
    matrix.setup(pair)
    return pair


def test_the_matrix_is_large() -> None:
    assert len(matrix.build_cases(one_in=1)) > 18_000
    assert len(CASES) * matrix.sample_rate() > 15_000  # the sample keeps about one case in sample_rate()


@pytest.mark.parametrize("group", sorted(GROUPS), ids=str)
def test_filters_answer_as_pocketbase(matrix_pair: Pair, backend: str, group: str) -> None:
    problems = []
    for case in GROUPS[group]:
        pb, py = matrix_pair.ask(case.request)
        pb_ids, py_ids = (matrix.ids_of(answer.body) for answer in (pb, py))
        same = pb.status == py.status and pb_ids == py_ids
        reason = KNOWN.get((backend, case.filter)) or KNOWN.get(("", case.filter))
        if same and reason:
            problems.append(f"{case.name}: answers as PocketBase now; drop its KNOWN entry ({reason})")
        elif not same and not reason and not may_differ(backend, case):
            problems.append(f"{case.name} (sort {case.sort}):\n  PocketBase {pb.status} {pb_ids}\n  pybase     {py.status} {py_ids}")
    assert not problems, f"{len(problems)} of {len(GROUPS[group])} differ:\n" + "\n".join(problems[:30])
