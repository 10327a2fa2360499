"""tools.json_names: an object's name written twice is found wherever it is, after its escapes;
texts holding colons or quotes in strings, or equal names in different objects, are not."""

from __future__ import annotations

import json

import orjson
import pytest

from pybase.tools.json_names import has_duplicate_names, unique_object

CASES = [
    ('{"a":1,"a":2}', True), ('{"a":1,"b":{"x":1,"x":[2]}}', True), ('[{"a":1},{"b":[{"c":1,"c":1}]}]', True),
    ('{"a":1,"\\u0061":2}', True), ('{"a" : 1 ,\n "a"\t:\r2}', True), ('{"":1,"":2}', True),
    ('{"a":1,"A":2}', False), ('[{"a":1},{"a":2}]', False), ('{"a":{"a":{"a":1}}}', False),
    ('{"a":"x:y","b":"\\"a\\":1"}', False), ('{"t":"2024-01-01 10:00:00","u":"http://x"}', False),
    ('{"a"\r\n :1,"a"\n:2}', True), ('{"s":"{\\"a\\":1} :\\n:","t":"x"}', False), ('{"s":"\\"a\\" :","s":1}', True),
    ('{"k\\"":1,"k":2}', False), ('["a:","a:"]', False), ('"a:b"', False), ("1", False), ("{}", False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "repeated"), CASES)
def test_has_duplicate_names(text: str, repeated: bool) -> None:
    value = orjson.loads(text)
    assert has_duplicate_names(text, value) is repeated
    assert has_duplicate_names(text.encode(), value) is repeated
    if repeated:
        with pytest.raises(ValueError, match="duplicate name"):
            json.loads(text, object_pairs_hook=unique_object)
    else:
        assert json.loads(text, object_pairs_hook=unique_object) == value
