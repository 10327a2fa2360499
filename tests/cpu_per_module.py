"""The CPU time each test module takes (its tests' calls, set-ups and tear-downs): the test
process's own, that of the processes it started and has reaped (servers, node, PocketBase) and
that of the test process's Postgres server (a daemon: its postmaster's, which reaps a backend
when its connection closes). With ``PYBASE_TEST_CPU_LOG=<path>`` every test process appends its
sums to ``<path>``; scripts/test.sh prints the largest: CI is bound by the 2 cores, so CPU, not
the time a test waits, is what a CI run's length is made of.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from typing import Any

import pytest

_LOG = os.environ.get("PYBASE_TEST_CPU_LOG")
_SPENT: collections.Counter[str] = collections.Counter()


def _cpu() -> float:
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return own + (_POSTGRES.cpu_seconds() if _POSTGRES is not None else 0.0)


#: this test process's Postgres server, once started (tests/conftest.py)
_POSTGRES: Any = None


def postgres_started(server: Any) -> None:
    """Count ``server``'s CPU too, from now on."""
    global _POSTGRES
    _POSTGRES = server


if _LOG:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        start = _cpu()
        yield
        _SPENT[item.nodeid.split("::")[0]] += _cpu() - start

    def pytest_sessionfinish(session: pytest.Session) -> None:
        if _SPENT:
            with open(str(_LOG), "a") as log:
                log.writelines(f"{seconds:.2f}\t{module}\n" for module, seconds in _SPENT.items())
