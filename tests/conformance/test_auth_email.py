"""The email flows with bad and good input: answered as PocketBase answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance import cases_auth_email
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain
from tests.mailbox import Mailbox

pytestmark = pytest.mark.both_backends

CASES = cases_auth_email.build_cases()


@pytest.fixture(scope="module")
def email_pair(pair: Pair) -> Iterator[Pair]:
    """The pair with the collections and users, both mailing to one test SMTP server."""
    box = Mailbox()
    try:
        cases_auth_email.setup(pair, box.port)
        yield pair
    finally:
        box.stop()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_auth_email(email_pair: Pair, case: cases_auth_email.EmailCase) -> None:
    pb, py = cases_auth_email.ask(email_pair, case)
    explain(case.name, pb, py, difference(pb, py))
