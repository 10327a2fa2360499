"""pybase's JS surface against PocketBase's: every global, namespace member and method of
PocketBase's generated jsvm typings (``tests/data/pb_jsvm_surface.json``, written by
``scripts/pb_jsvm_surface.py``) is in pybase's surface table or listed in ``surface.ABSENT``
with its reason; and nothing is listed absent that pybase has (or PocketBase lacks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pybase.core.app_hooks import HOOKS
from pybase.jsvm import surface

ROOT = Path(__file__).resolve().parents[2]
PB = json.loads((ROOT / "tests" / "data" / "pb_jsvm_surface.json").read_text(encoding="utf-8"))
JS_HOOKS = {spec.js_name for spec in HOOKS if spec.js}


def _pb_names() -> set[str]:
    names = set(PB["globals"])
    for ns, members in PB["namespaces"].items():
        names |= {f"{ns}.{m}" for m in members}
    for type_name, members in PB["types"].items():
        names |= {f"{type_name}.{m}" for m in members}
    return names


def _ours() -> set[str]:
    return surface.declared_names() | JS_HOOKS


PB_NAMES = sorted(_pb_names())


def test_the_extract_is_not_empty():
    assert len(PB["globals"]) > 50 and len(PB["types"]["$app"]) > 80 and len(PB["types"]["Record"]) > 50


@pytest.mark.parametrize("name", PB_NAMES)
def test_pocketbase_name_is_in_pybase_or_deliberately_absent(name):
    ours = _ours()
    assert name in ours or name in surface.ABSENT, f"{name}: implement it, or add it to surface.ABSENT with a reason"


def test_nothing_listed_absent_is_present():
    both = sorted(set(surface.ABSENT) & _ours())
    assert not both, f"listed absent but present (drop them from surface.ABSENT): {both}"


def test_every_absent_entry_is_a_pocketbase_name_with_a_reason():
    pb = set(PB_NAMES)
    stale = sorted(n for n in surface.ABSENT if n not in pb)
    assert not stale, f"not in PocketBase's surface: {stale}"
    assert all(len(reason) > 10 for reason in surface.ABSENT.values())


def test_report():
    """Prints the coverage (pytest -s)."""
    ours = _ours()
    present = [n for n in PB_NAMES if n in ours]
    print(f"\nPocketBase jsvm surface: {len(present)}/{len(PB_NAMES)} names present, {len(surface.ABSENT)} absent")
