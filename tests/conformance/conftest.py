"""One PocketBase and one pybase for the whole conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance.harness import Pair, running_pair


@pytest.fixture(scope="session")
def pair() -> Iterator[Pair]:
    """Both servers, fresh, signed in as the superuser."""
    with running_pair() as both:
        yield both
