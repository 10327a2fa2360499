"""A filter's quoted literal with a backslash: which escapes PocketBase decodes (\\n, \\r, \\t,
\\\\, \\' and \\" in either quotes) and which it keeps as written (every other one: \\u0041, \\x41,
\\b, \\%), generated over every printable ASCII character after a backslash, in both quotes, with
= and ~, and sequences of escapes. The records hold each character with its backslash, without it,
and the character an escape could name, so a literal read any other way finds other records.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest

from tests.conformance.harness import Pair, Request, difference
from tests.conformance.known import explain

pytestmark = pytest.mark.both_backends

ITEMS = "fx_items"
PUBLIC = {"listRule": "", "viewRule": ""}
CHARS = [c for c in string.printable if c not in "\x0b\x0c\r\n\t "]
NAMED = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "a": "\a", "0": "\0", "x": "A", "u": "A"}
TITLES = sorted({f"p{text}q" for c in CHARS for text in (f"\\{c}", c, NAMED.get(c, c), f"\\{c}41", f"{NAMED.get(c, c)}41",
                                                      f"\\{c}0041", "A")} - {"p\0q"})  # fmt: skip
SEQUENCES = ["\\\\n", "\\\\\\n", "\\n\\t", "\\u0041", "\\x41", "\\U00000041", "\\\\u0041", "\\'\\\"", "\\%", "\\_"]
CASES = [(f"{op} {q}p\\{c}q{q}", f"t {op} {q}p\\{c}q{q}") for c in CHARS for q in "'\"" for op in ("=", "~")
         if not (c == q)] + [(f"= 'p{s}q'", f"t = 'p{s}q'") for s in SEQUENCES]  # fmt: skip


@pytest.fixture(scope="module")
def escapes_pair(pair: Pair) -> Pair:
    """The pair with a collection of one title per record."""
    if pair.first_time("filter escapes"):
        pair.ok("POST", "/api/collections", {"name": ITEMS, **PUBLIC, "fields": [{"name": "t", "type": "text"}]})
        for number, title in enumerate(TITLES):
            pair.ok("POST", f"/api/collections/{ITEMS}/records", {"id": f"fixfx{number:010d}", "t": title})
    return pair


@pytest.mark.parametrize(("label", "text"), CASES, ids=[label for label, _ in CASES])
def test_filter_literal_escape(escapes_pair: Pair, label: str, text: str) -> None:
    request = Request("GET", f"/api/collections/{ITEMS}/records?filter={quote(text, safe='')}&sort=id&fields=id&perPage=500")
    pb, py = escapes_pair.ask(request)
    explain(f"filter escape {label}", pb, py, difference(pb, py))
