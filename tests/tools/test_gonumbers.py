"""pybase.tools.gonumbers: Go's spellings of a float64 (encoding/json's and strconv 'g'), and
the values the API writes with them (an orjson.Fragment or a Scanned only where orjson's
spelling differs). PocketBase's own answers are compared in
tests/conformance/test_number_spelling.py."""

from __future__ import annotations

import math
import random
import struct

import orjson
import pytest

from pybase.tools.gonumbers import (
    Scanned,
    g_text,
    json_number,
    json_text,
    negative_zeros,
    read_again,
    scanned_number,
    scanned_text,
)

# (value, encoding/json's text, strconv.FormatFloat(value, 'g', -1, 64))
SPELLINGS = [
    (4.0, "4", "4"), (-7.0, "-7", "-7"), (0.0, "0", "0"), (-0.0, "-0", "-0"), (0.1, "0.1", "0.1"),
    (-2.5, "-2.5", "-2.5"), (0.30000000000000004, "0.30000000000000004", "0.30000000000000004"),
    (1e-7, "1e-7", "1e-07"), (-1.5e-7, "-1.5e-7", "-1.5e-07"), (1e-6, "0.000001", "1e-06"),
    (1.5e-6, "0.0000015", "1.5e-06"), (1e-5, "0.00001", "1e-05"), (1e-4, "0.0001", "0.0001"),
    (123456.5, "123456.5", "123456.5"), (1e6, "1000000", "1e+06"), (1000000.5, "1000000.5", "1.0000005e+06"),
    (1e15, "1000000000000000", "1e+15"), (2.0**53, "9007199254740992", "9.007199254740992e+15"),
    (1e16, "10000000000000000", "1e+16"), (1.2345678901234568e17, "123456789012345680", "1.2345678901234568e+17"),
    (2.0**64, "18446744073709552000", "1.8446744073709552e+19"), (1e20, "100000000000000000000", "1e+20"),
    (1e21, "1e+21", "1e+21"), (1.5e300, "1.5e+300", "1.5e+300"), (5e-324, "5e-324", "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"), (1e-10, "1e-10", "1e-10"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "json", "g"), SPELLINGS, ids=[json for _v, json, _g in SPELLINGS])
def test_spellings(value: float, json: str, g: str) -> None:
    assert (json_text(value), g_text(value)) == (json, g)
    assert orjson.dumps([json_number(value)]).decode() == f"[{json}]"
    scanned = scanned_number(value)
    assert (orjson.dumps([scanned_text(scanned)]) if isinstance(scanned, Scanned) else orjson.dumps([scanned])).decode() == f"[{g}]"


def test_only_the_differing_ones_are_wrapped() -> None:
    """A float orjson already spells as Go stays a float (or an int): no Fragment to write."""
    assert type(json_number(0.5)) is float and type(json_number(4.0)) is int and type(json_number(1e-7)) is float
    assert type(scanned_number(0.5)) is float and type(scanned_number(123.0)) is int


def test_random_doubles() -> None:
    found = random.Random(17)
    for _ in range(20000):
        value = struct.unpack("d", struct.pack("Q", found.getrandbits(64)))[0]
        if not math.isfinite(value):
            continue
        assert float(json_text(value)) == value and float(g_text(value)) == value
        assert orjson.dumps([json_number(value)]).decode() == f"[{json_text(value)}]"


# (JSON text, its value as Go reads it: -0 the float -0, every other number as orjson reads it)
NEGATIVE_ZEROS = [
    ("-0", -0.0), ("[-0, 0, -0.5, -01e0]", None), ('{"a": -0, "b": [-0]}', {"a": -0.0, "b": [-0.0]}),
    ('"-0"', "-0"), ('{"-0": "2024-01-05"}', {"-0": "2024-01-05"}), ("[-0, 18446744073709551616, 9223372036854775808]", [-0.0, 2.0**64, 2**63]),
    ("[-0e0, -0.0, -0E1]", [-0.0, -0.0, -0.0]), ("[1, 2]", [1, 2]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NEGATIVE_ZEROS)
def test_negative_zeros(text: str, expected: object) -> None:
    try:
        read = orjson.loads(text)
    except orjson.JSONDecodeError:
        assert expected is None  # NOTE: not JSON (-01): never read again
        return
    for given in (text, text.encode()):
        value = negative_zeros(given, read)
        assert orjson.dumps(value) == orjson.dumps(expected)
        assert value == expected and _signs(value) == _signs(expected)


def _signs(value: object) -> object:
    if isinstance(value, float):
        return math.copysign(1.0, value)
    if isinstance(value, list):
        return [_signs(item) for item in value]
    if isinstance(value, dict):
        return {key: _signs(item) for key, item in value.items()}
    return value


def test_read_again_spells_a_read_real_as_go() -> None:
    """fields= picks from the answer read again: a REAL PocketBase read (Scanned) is a float64
    then, an expanded record's too."""
    data = [{"j": Scanned(1e-7), "expand": {"r": {"j": Scanned(1e20)}, "rs": [{"j": Scanned(-0.0)}]}}, {"j": 5}]
    read_again(data)
    assert orjson.dumps(data) == b'[{"j":1e-7,"expand":{"r":{"j":100000000000000000000},"rs":[{"j":-0}]}},{"j":5}]'
