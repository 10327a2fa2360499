"""The operations routes (logs, backups, crons, health, the settings' test and Apple routes, file
tokens): every route x method x caller x body class and the logs' query parameters x value class
answer as PocketBase."""

from __future__ import annotations

import pytest

from tests.conformance import cases_operations
from tests.conformance.harness import Pair, Request, difference, key_orders
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


# ---- key order: what a client reading the body's bytes sees ---------------------------------------

#: the health route's callers x ``fields`` x proxy headers
HEALTH_ORDERS = [
    (who, query, headers)
    for who in ("superuser", "anon", "ops_user")
    for query in ("", "?fields=*", "?fields=data", "?fields=code,message,data", "?fields=data.realIP,data.canBackup")
    for headers in ((), (("CF-Connecting-IP", "1.2.3.4"),))
]
# NOTE: PocketBase writes a Go map's keys in a varying rotation: pybase's order must be one it
# writes (most answers give it in the first few tries; never in this many is a difference)
HEALTH_TRIES = 200


@pytest.mark.parametrize(("who", "query", "headers"), HEALTH_ORDERS, ids=lambda v: repr(v) if isinstance(v, tuple) else v)
def test_health_key_order(ops_pair: Pair, who: str, query: str, headers: tuple[tuple[str, str], ...]) -> None:
    req = Request("GET", cases_operations.HEALTH + query, who=who, headers=headers)
    ours = key_orders(ops_pair.py.ask(req).body)
    seen = []
    for _ in range(HEALTH_TRIES):
        theirs = key_orders(ops_pair.pb.ask(req).body)
        if theirs == ours:
            return
        if theirs not in seen:
            seen.append(theirs)
    pytest.fail(f"pybase writes the keys as {ours}; PocketBase only as {seen}")


def test_backups_list_key_order(ops_pair: Pair) -> None:
    """The list's items as PocketBase's struct writes them (modified, key, size)."""
    ops_pair.ok("POST", cases_operations.BACKUPS, {"name": "ops_order.zip"})
    try:
        pb, py = ops_pair.ask(Request("GET", cases_operations.BACKUPS))
        assert key_orders(py.body) == key_orders(pb.body)
        assert ["modified", "key", "size"] in key_orders(py.body)[0]
    finally:
        ops_pair.ok("DELETE", f"{cases_operations.BACKUPS}/ops_order.zip")
