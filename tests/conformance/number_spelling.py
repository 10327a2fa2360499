"""How the two servers SPELL the numbers of a JSON body, which :func:`harness.difference`
cannot see: it compares parsed values, where ``4`` and ``4.0``, ``1e+21`` and ``1e21`` are the
same. PocketBase writes each number as Go's encoding/json does (a float64 with strconv's 'f'
format for 1e-6 <= |x| < 1e21, else 'e' with the exponent's leading zero dropped: ``4``,
``0.000001``, ``1e+21``, ``1e-7``, ``-0``).

:func:`spelling_differences` reads both raw bodies keeping each number's text, walks them side
by side (objects by key, so the keys' order does not matter; arrays by position) and reports the
numbers whose values are equal but whose text is not.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class Spelled(str):
    """A number of a raw body: its text as written."""

    def value(self) -> Decimal:
        return Decimal(self)


def spelled(raw: bytes) -> Any:
    """A raw JSON body parsed with every number as its :class:`Spelled` text."""
    return json.loads(raw, parse_int=Spelled, parse_float=Spelled, parse_constant=Spelled)


def spelling_differences(pb_raw: bytes, py_raw: bytes) -> list[str]:
    """``path: PocketBase <text> pybase <text>`` for each number both bodies hold at the same
    place with equal values and unequal text (values that differ are :func:`harness.difference`'s
    to report). Bodies that are not JSON have none."""
    try:
        pb, py = spelled(pb_raw), spelled(py_raw)
    except ValueError:
        return []
    return differences(pb, py)


def differences(pb: Any, py: Any, path: str = "$") -> list[str]:
    """:func:`spelling_differences` of two :func:`spelled` values (parts of bodies)."""
    found: list[str] = []
    _walk(pb, py, path, found)
    return found


def value_differences(pb: Any, py: Any, path: str = "$") -> list[str]:
    """Where two :func:`spelled` values differ otherwise than in spelling: numbers that are
    not one double, other values, shapes."""
    if isinstance(pb, dict) and isinstance(py, dict):
        if pb.keys() != py.keys():
            return [f"{path}: keys {sorted(pb)} != {sorted(py)}"]
        return [found for key in pb for found in value_differences(pb[key], py[key], f"{path}.{key}")]
    if isinstance(pb, list) and isinstance(py, list):
        if len(pb) != len(py):
            return [f"{path}: {len(pb)} items != {len(py)}"]
        return [found for k, (a, b) in enumerate(zip(pb, py, strict=True)) for found in value_differences(a, b, f"{path}[{k}]")]
    if isinstance(pb, Spelled) and isinstance(py, Spelled):
        return [] if _same(pb, py) else [f"{path}: PocketBase {pb} pybase {py}"]
    if type(pb) is not type(py) or pb != py:
        return [f"{path}: PocketBase {pb!r} pybase {py!r}"]
    return []


def plain(value: Any) -> Any:
    """A :func:`spelled` value with its numbers as Python's (an int, a float)."""
    if isinstance(value, Spelled):
        return json.loads(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _walk(pb: Any, py: Any, path: str, found: list[str]) -> None:
    if isinstance(pb, dict) and isinstance(py, dict):
        for key in pb.keys() & py.keys():
            _walk(pb[key], py[key], f"{path}.{key}", found)
    elif isinstance(pb, list) and isinstance(py, list):
        for index, (a, b) in enumerate(zip(pb, py, strict=False)):
            _walk(a, b, f"{path}[{index}]", found)
    elif isinstance(pb, Spelled) and isinstance(py, Spelled) and str(pb) != str(py) and _same(pb, py):
        found.append(f"{path}: PocketBase {pb} pybase {py}")


def _same(pb: Spelled, py: Spelled) -> bool:
    """Whether the two numbers are one value (exactly, or as the doubles both parse to)."""
    try:
        return pb.value() == py.value() or float(pb) == float(py)
    except ArithmeticError:
        return False


def at(body: Any, path: list[Any]) -> Any:
    """The value of a :func:`spelled` body at ``path`` (keys and indexes), None when absent."""
    for step in path:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return None
    return body
