"""What a test needs from the machine (a browser, node, Postgres): missing, it is skipped on a
developer's machine and fails under CI, where scripts/test.sh installs all of it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it under CI (``CI`` set)."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
