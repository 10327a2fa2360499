"""Full-text search (pybase.core.record_search) through the official JS SDK: ``sdk_search.mjs``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_js_sdk import run_on_new_app


@pytest.mark.both_backends
def test_js_sdk_search(tmp_path: Path, backend: str, databases: Any) -> None:
    run_on_new_app("sdk_search.mjs", tmp_path, backend, databases)
