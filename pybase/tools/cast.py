"""Value casting with Go's rules, as PocketBase applies them to submitted data.

PocketBase decodes JSON numbers as float64, casts with spf13/cast (``strconv.ParseFloat``,
``strconv.ParseBool``, ``strconv.FormatFloat(v, 'f', -1, 64)``) and infers the types of
multipart and urlencoded values. These functions reproduce those rules for Python values.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

# strconv.ParseFloat's decimal and hexadecimal syntax (underscores taken out first), and its
# special values
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_HEX_RE = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+", re.ASCII)
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
            "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}  # fmt: skip
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
# the characters a multipart value must consist of to be read as a number
_NUMBER_CHARS_RE = re.compile(r"[\-.0-9]+")


def parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``: the number, or None on a syntax or range error."""
    if "_" in text:
        # NOTE: as Go's: underscores only between digits (or after a 0x prefix), then ignored.
        if not _underscores_ok(text):
            return None
        text = text.replace("_", "")
    if _DECIMAL_RE.fullmatch(text):
        value = float(text)
        return None if math.isinf(value) else value
    if _HEX_RE.fullmatch(text):
        try:
            value = float.fromhex(text)
        except OverflowError:
            return None  # NOTE: Go's range error
        return None if math.isinf(value) else value
    return _SPECIAL.get(text.lower())


def _underscores_ok(text: str) -> bool:
    """Go's ``strconv.underscoreOK``: each ``_`` between two digits (a base prefix counts as one)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    hexadecimal = body[:2].lower() == "0x"
    saw = "0" if body[:2].lower() in ("0b", "0o", "0x") else "^"
    for char in body[2:] if saw == "0" else body:
        if char.isdigit() and char.isascii() or hexadecimal and char.lower() in "abcdef":
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def to_float(raw: Any) -> float:
    """``cast.ToFloat64``: numbers and bools as numbers, strings parsed, anything else 0."""
    if raw is None:
        return 0.0
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        if raw == "":
            return 0.0
        value = parse_float(raw)
        return 0.0 if value is None else value
    return 0.0


def to_bool(raw: Any) -> bool:
    """``cast.ToBool``: non-zero numbers, and the strings ``strconv.ParseBool`` reads as true."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    if isinstance(raw, str):
        return raw in _TRUE
    return False


def format_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'f', -1, 64)``: the shortest digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_number(value: float) -> str:
    """Go's ``%v`` of a float64 (as in error messages): shortest digits, with an exponent from
    1e6 up and below 1e-4 (``1e+06``, ``1e-05``), else plain (``5.5``, ``100000``)."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return format_float(value)
    exponent = Decimal(repr(value)).adjusted()
    if -4 <= exponent < 6:
        return format_float(value)
    mantissa, _, power = f"{Decimal(repr(value)):e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if power.startswith("-") else "+"
    return f"{mantissa}e{sign}{int(power.lstrip('+-')):02d}"


def to_string(raw: Any) -> str:
    """``cast.ToString``: scalars as text (floats without exponent), anything else ""."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return format_float(raw)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return ""


def infer_value(raw: str) -> Any:
    """A multipart/urlencoded value as PocketBase reads it into a map.

    ``true``/``false`` become bools; text that is exactly the shortest form of a number
    (``5``, ``-2.5``, not ``05`` or ``1e3``) becomes a float; anything else stays a string.
    """
    if raw == "true":
        return True
    if raw == "false":
        return False
    if raw and (raw[0] == "-" or "0" <= raw[0] <= "9") and _NUMBER_CHARS_RE.fullmatch(raw):
        value = parse_float(raw)
        if value is not None and format_float(value) == raw:
            return value
    return raw
