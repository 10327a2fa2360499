"""Numbers spelled as PocketBase's Go writes them in JSON, where orjson spells them otherwise.

Go's encoding/json writes a float64 with strconv's 'f' format for 1e-6 <= |x| < 1e21 and 'e'
otherwise (the exponent's leading zero dropped: ``1e-7``), the shortest digits either way:
``4``, ``0.000001``, ``10000000000000000``, ``1e+21``, ``-0``. orjson agrees except for an
integral value (``4.0``, ``1e+16``), -0 (``-0.0``) and 1e-6 <= |x| < 1e-5 (``1e-6``).
A REAL that PocketBase reads from SQLite as JSON text (a view's json column) is Go's
``strconv.FormatFloat(x, 'g', -1, 64)`` instead: ``4``, ``1e+06``, ``1e-07``.

PERF: values stay plain floats; the API's writers spell the few that orjson spells otherwise
as an ``orjson.Fragment`` (:func:`json_number`), which every orjson writer takes as it is, or
a view's REAL as :class:`Scanned` (the API's writer spells it).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson

from pybase.tools.cast import format_float

_SAFE_INT = 2**53
_INT64 = 2**63
_UINT64 = 2**64
# an integer -0 in JSON text (not -0.5, -0e1 or -01): orjson reads it as the integer 0
_NEGATIVE_ZERO_RE = re.compile(r"-0(?![.0-9eE])")
_NEGATIVE_ZERO_BYTES_RE = re.compile(rb"-0(?![.0-9eE])")


def json_number(value: Any) -> Any:
    """A float as the API writes it: an int for an integral value within 2^53 (bar -0), an
    ``orjson.Fragment`` of Go's text where orjson's differs, else ``value`` (any other value)."""
    if type(value) is not float:
        return value
    if value.is_integer():
        if -_SAFE_INT <= value <= _SAFE_INT and (value or math.copysign(1.0, value) > 0):
            return int(value)
        return orjson.Fragment(json_text(value)) if abs(value) < 1e21 else value
    if 1e-6 <= abs(value) < 1e-5:
        return orjson.Fragment(json_text(value))
    return value


class Scanned:
    """A REAL PocketBase reads from SQLite as JSON text: the API writes Go's strconv 'g' of it
    (``api_dumps``: :func:`scanned_text`); ``fields=`` reads it again as a float64."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


def scanned_number(value: Any) -> Any:
    """A view's json column as the API writes it: a REAL (a float) as :class:`Scanned` where
    its 'g' text is not orjson's (below 1e-4, from 1e6, -0), an integral one an int; any other
    value as it is."""
    if type(value) is not float or not math.isfinite(value):
        return value
    if 1e-4 <= abs(value) < 1e6:
        return int(value) if value.is_integer() else value
    if value == 0 and math.copysign(1.0, value) > 0:
        return 0
    return Scanned(value)


def read_again(data: Any) -> None:
    """Records as PocketBase has them when it reads its answer again to pick ``fields=`` from
    it: a REAL it read (:class:`Scanned`) is then a float64, written as Go's encoding/json
    writes one (in place: each record's fields, its expanded records' too)."""
    stack = list(data) if isinstance(data, list) else [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if type(value) is Scanned:
                    item[key] = json_number(value.value)
            expand = item.get("expand")
            if isinstance(expand, dict):
                for value in expand.values():
                    stack.extend(value if isinstance(value, list) else (value,))


def scanned_text(value: Scanned) -> Any:
    """The ``orjson.Fragment`` of a :class:`Scanned`."""
    return orjson.Fragment(g_text(value.value))


def json_text(value: float) -> str:
    """Go's encoding/json text of a float64 (finite)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if 1e-6 <= abs(value) < 1e21:
        return format_float(value)
    mantissa, _, exponent = repr(value).partition("e")
    if exponent.startswith("-0"):
        exponent = "-" + exponent[2:]
    return f"{mantissa}e{exponent}"


def g_text(value: float) -> str:
    """Go's ``strconv.FormatFloat(value, 'g', -1, 64)`` (finite): an exponent (two digits at
    least) below 1e-4 and from 1e+06 (``1e+06``, ``1e-05``, ``9.007199254740992e+15``)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent - 1  # the decimal exponent of the first digit
    prefix = "-" if sign else ""
    if point < -4 or point >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    if point < 0:
        return f"{prefix}0.{'0' * (-point - 1)}{text}"
    if len(text) <= point + 1:
        return prefix + text + "0" * (point + 1 - len(text))
    return f"{prefix}{text[: point + 1]}.{text[point + 1 :]}"


def negative_zeros(text: str | bytes, value: Any) -> Any:
    """``value``, orjson's reading of the JSON ``text``, with each integer ``-0`` in it the float
    -0 as Go reads it (orjson reads the integer 0): PocketBase writes it back as ``-0``. PERF:
    read again (Python's reader) only when the text holds one, rarely."""
    if isinstance(text, str):
        if "-0" not in text or _NEGATIVE_ZERO_RE.search(text) is None:
            return value
    elif b"-0" not in text or _NEGATIVE_ZERO_BYTES_RE.search(text) is None:
        return value
    try:
        return json.loads(text, parse_int=_orjson_int)
    except (ValueError, RecursionError):
        return value  # NOTE: a text only orjson reads (deep nesting): as it read it


def _orjson_int(text: str) -> Any:
    """An integer of JSON text as orjson reads it (past 64 bits a float), ``-0`` the float -0."""
    if text == "-0":
        return -0.0
    value = int(text)
    return value if -_INT64 <= value < _UINT64 else float(value)
