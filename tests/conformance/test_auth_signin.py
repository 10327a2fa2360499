"""OTP, OAuth2, impersonation and auth-methods with bad and good input: answered as PocketBase answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance import cases_auth_signin
from tests.conformance.harness import Pair, difference
from tests.conformance.known import explain
from tests.mailbox import Mailbox

pytestmark = pytest.mark.both_backends

CASES = cases_auth_signin.build_cases()


@pytest.fixture(scope="module")
def signin_pair(pair: Pair) -> Iterator[Pair]:
    """The pair with the collections and the user, both mailing to one test SMTP server."""
    box = Mailbox()
    try:
        cases_auth_signin.setup(pair, box.port)
        yield pair
    finally:
        box.stop()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_auth_signin(signin_pair: Pair, case: cases_auth_signin.SignInCase) -> None:
    pb, py = (case.mask(answer) for answer in signin_pair.ask(case.request))
    explain(case.name, pb, py, difference(pb, py))
