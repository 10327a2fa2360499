"""Duplicate names in a JSON object, which PocketBase's JSON reader refuses (Go's encoding/json
since 1.26: a request body holding one anywhere is malformed, a JSON text holding one is no
valid JSON), while Python's readers keep the last value silently.
"""

from __future__ import annotations

import re
from typing import Any

# NOTE: a JSON string, then a colon when it is an object's name; matched from the text's start,
# every match starts at a string's quote (outside strings JSON holds none)
_STRING_RE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"[ \t\r\n]*(:)?', re.DOTALL)


def _names_held(value: Any) -> int:
    """How many names the objects in ``value`` hold (a duplicate counted once)."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        else:
            stack.extend(v for v in item if isinstance(v, dict | list))
    return count


def has_duplicate_names(text: bytes | str, value: Any) -> bool:
    """Whether the JSON ``text`` (one value, read as ``value`` by a reader keeping the last of
    two equal names) has an object with two equal names (after their escapes: ``"a"`` and
    ``"\\u0061"``): it wrote more names than ``value`` holds."""
    if not isinstance(value, dict | list):
        return False
    raw = text.encode() if isinstance(text, str) else bytes(text)
    held = _names_held(value)
    # PERF: the colons bound the names written (one each, others in strings): most texts stop here
    if raw.count(b":") <= held:
        return False
    return sum(1 for colon in _STRING_RE.findall(raw) if colon) > held


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of a :class:`json.JSONDecoder` refusing duplicate names (ValueError)."""
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate name in a JSON object")
    return value
