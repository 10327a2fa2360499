"""``fields=`` parsing and picking (pybase.tools.picker) and the tokenizer under it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pybase.tools import picker
from pybase.tools.tokenizer import TokenizeError, split_tokens

RECORD: dict[str, Any] = {
    "id": "abc",
    "title": "<p>Hello   <b>big</b> world</p>",
    "n": 5,
    "tags": ["a", "b"],
    "meta": {"k": 1, "deep": {"x": 1, "y": 2}},
    "expand": {"rel": {"id": "r1", "name": "Ann"}, "many": [{"id": "m1", "name": "x"}, {"id": "m2", "name": "y"}]},
}


@pytest.mark.parametrize(
    "text,separators,expected",
    [
        ("a,b", ",", ["a", "b"]),
        (" a , , b ,", ",", ["a", "b"]),
        ("x:excerpt(5,true),y", ",", ["x:excerpt(5,true)", "y"]),
        ("'a,b',c", ",", ["'a,b'", "c"]),
        ("excerpt(10, abc)", "(), ", ["excerpt", "10", "abc"]),
        ("", ",", []),
    ],
)
def test_split_tokens(text: str, separators: str, expected: list[str]) -> None:
    group = separators == ","
    assert split_tokens(text, separators, group_parentheses=group) == expected


@pytest.mark.parametrize("text", ["a(", "'a", "x:excerpt(5"])
def test_unbalanced_text_is_an_error(text: str) -> None:
    with pytest.raises(TokenizeError):
        split_tokens(text)


@pytest.mark.parametrize(
    "fields,expected",
    [
        ("", RECORD),
        (",", RECORD),
        ("id", {"id": "abc"}),
        ("id,nope", {"id": "abc"}),
        (" id ,n", {"id": "abc", "n": 5}),
        ("ID", {}),
        ("meta.k", {"meta": {"k": 1}}),
        ("meta.deep.y,meta.k", {"meta": {"k": 1, "deep": {"y": 2}}}),
        ("meta,meta.k", {"meta": RECORD["meta"]}),
        ("tags.x", {"tags": ["a", "b"]}),
        ("expand.rel.name", {"expand": {"rel": {"name": "Ann"}}}),
        ("expand.many.id", {"expand": {"many": [{"id": "m1"}, {"id": "m2"}]}}),
        ("expand.*", {"expand": RECORD["expand"]}),
        ("*,expand.rel.id", {**{k: v for k, v in RECORD.items() if k != "expand"}, "expand": {"rel": {"id": "r1"}}}),
        ("title:excerpt(5)", {"title": "Hello"}),
        ("title:excerpt(5,true)", {"title": "Hello..."}),
        ("title:excerpt(9, 1)", {"title": "Hello big..."}),
        ("title:excerpt(5,abc)", {"title": "Hello"}),
        ("title:excerpt(0x5)", {"title": "Hello"}),
        ("title:excerpt(9223372036854775807)", {"title": "Hello big world"}),
        ("title:excerpt(0x7fffffffffffffff,true)", {"title": "Hello big world"}),
        ("n:excerpt(1)", {"n": 5}),
        ("*:excerpt(2)", {"id": "ab", "title": "He", "n": 5, "tags": ["a", "b"], "meta": RECORD["meta"], "expand": RECORD["expand"]}),
    ],
)
def test_pick(fields: str, expected: Any) -> None:
    data = copy.deepcopy(RECORD)
    assert picker.pick(data, picker.parse_fields(fields)) == expected


def test_lists_of_records_are_picked_item_by_item() -> None:
    items = [copy.deepcopy(RECORD), copy.deepcopy(RECORD)]
    assert picker.pick(items, picker.parse_fields("id,n")) == [{"id": "abc", "n": 5}] * 2


@pytest.mark.parametrize(
    "fields",
    ["title:", "title:unknown", "title:excerpt", "title:excerpt()", "title:excerpt(0)", "title:excerpt(-1)",
     "title:excerpt(x)", "title:excerpt(1,2,3)", "title:excerpt(5.5)", "a(", "'x",
     # past int64: Go's cast reads 0 (probed on PocketBase 0.40.6: 400)
     "title:excerpt(9223372036854775808)", "title:excerpt(99999999999999999999)", "title:excerpt(0x8000000000000000)"],
)  # fmt: skip
def test_bad_fields_are_refused(fields: str) -> None:
    with pytest.raises(picker.FieldsError):
        picker.parse_fields(fields)
