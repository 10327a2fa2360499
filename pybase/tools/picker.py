"""``fields=`` selection: keep only the listed (dotted) keys of JSON data, with value modifiers.

``parse_fields("id,expand.rel.name,body:excerpt(100,true)")`` gives the paths and their
modifiers; :func:`pick` trims plain JSON data (dicts and lists, as the API writes them) in place.
Semantics as PocketBase's: ``*`` stands for every key of its level not listed otherwise (and
passes its modifier on to them), a listed key keeps its whole value, lists of objects are picked
item by item and other values are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pybase.tools.tokenizer import TokenizeError, split_tokens

Modifier = Callable[[Any], Any]

_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_GO_INT_RE = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[0-9][0-9_]*)")
_ZERO_DECIMALS_RE = re.compile(r"\.0*$")
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


class FieldsError(ValueError):
    """A ``fields`` value that cannot be parsed (unknown modifier, bad arguments...)."""


def parse_fields(raw: str | None) -> dict[str, Modifier | None]:
    """Paths to keep and their modifiers; empty when everything is kept."""
    if not raw:
        return {}
    try:
        tokens = split_tokens(raw)
    except TokenizeError as ex:
        raise FieldsError(str(ex)) from ex
    fields: dict[str, Modifier | None] = {}
    for token in tokens:
        path, _, modifier = token.strip().partition(":")
        fields[path] = _modifier(modifier) if _ else None
    return fields


def pick(data: Any, fields: dict[str, Modifier | None]) -> Any:
    """``data`` with only the selected paths (changed in place; also returned)."""
    if fields:
        _pick(data, fields)
    return data


def _pick(data: Any, fields: dict[str, Modifier | None]) -> None:
    if isinstance(data, dict):
        _pick_object(data, fields)
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for item in data:
            if isinstance(item, dict):
                _pick_object(item, fields)


def _pick_object(data: dict[str, Any], fields: dict[str, Modifier | None]) -> None:
    if "*" in fields:
        fields = dict(fields)
        star = fields["*"]
        for key in data:
            if not any(_under(path, key) for path in fields):
                fields[key] = star
    for key in list(data):
        matching = {path: modifier for path, modifier in fields.items() if _under(path, key)}
        if not matching:
            del data[key]
        elif key in matching:
            modifier = matching[key]
            if modifier is not None:
                data[key] = modifier(data[key])
        else:
            _pick(data[key], {path[len(key) + 1 :]: modifier for path, modifier in matching.items()})


def _under(path: str, key: str) -> bool:
    """Whether ``path`` is ``key`` or goes through it."""
    return path == key or path.startswith(key + ".")


# ---- modifiers -----------------------------------------------------------------------------


def _modifier(raw: str) -> Modifier:
    try:
        parts = split_tokens(raw, "(), ", group_parentheses=False)
    except TokenizeError as ex:
        raise FieldsError(str(ex)) from ex
    if not parts:
        raise FieldsError(f"invalid or empty modifier expression {raw!r}")
    name, args = parts[0], parts[1:]
    if name != "excerpt":
        raise FieldsError(f"missing or invalid modifier {name!r}")
    return _excerpt_modifier(args)


def _excerpt_modifier(args: list[str]) -> Modifier:
    if not args:
        raise FieldsError("max argument is required - expected (max, withEllipsis?)")
    if len(args) > 2:
        raise FieldsError("too many arguments - expected (max, withEllipsis?)")
    limit = _go_int(args[0])
    if limit <= 0:
        raise FieldsError("max argument must be > 0")
    ellipsis = len(args) > 1 and args[1] in _GO_TRUE
    return lambda value: excerpt(value, limit, ellipsis)


def _go_int(text: str) -> int:
    """The integer as Go's ``cast.ToInt`` reads a string (prefixes, ``_``, ``.0``); 0 if none."""
    text = _ZERO_DECIMALS_RE.sub("", text) if "." in text else text
    if not _GO_INT_RE.fullmatch(text):
        return 0
    digits = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    try:
        if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXbBoO":
            value = sign * int(digits[1:].replace("_", "") or "0", 8)
        else:
            value = sign * int(digits, 0)
    except ValueError:
        return 0
    # NOTE: Go's ParseInt refuses what does not fit an int64, and cast turns that into 0.
    return value if -(2**63) <= value < 2**63 else 0


def excerpt(value: Any, limit: int, ellipsis: bool) -> Any:
    """Plain text of ``value`` (tags stripped, spaces collapsed) cut to ``limit`` characters."""
    if not isinstance(value, str):
        return value
    plain = _SPACE_RE.sub(" ", _TAG_RE.sub(" ", value)).strip()
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rstrip()
    return cut + "..." if ellipsis else cut
