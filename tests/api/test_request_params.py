"""``apis._Request.get_param``: a repeated query key reads its first value (PocketBase, Go's
``url.Values.Get``), every other call as falcon's own (default, required, store)."""

from __future__ import annotations

from typing import Any

import falcon
import falcon.testing
import pytest

from pybase.apis import _Request

MISSING = falcon.HTTPMissingParam
INVALID = falcon.HTTPInvalidParam

# (query string, key, keyword arguments, the value read (or the error raised), what ``store`` holds)
CASES: list[tuple[str, str, dict[str, Any], Any, dict[str, Any]]] = [
    ("sort=a", "sort", {}, "a", {}),
    ("sort=nope&sort=id", "sort", {}, "nope", {}),
    ("sort=x&sort=y&sort=z", "sort", {"store": {}}, "x", {"sort": "x"}),
    ("sort=a", "sort", {"store": {}}, "a", {"sort": "a"}),
    ("sort=a", "filter", {}, None, {}),
    ("sort=a", "filter", {"default": "d"}, "d", {}),
    ("sort=a", "filter", {"store": {}}, None, {}),
    ("sort=a", "filter", {"required": True}, MISSING, {}),
    ("sort=a&sort=b", "sort", {"required": True}, "a", {}),
    ("sort=a&sort=b", "sort", {"allow_multiple": False}, INVALID, {}),
    ("sort=a", "sort", {"allow_multiple": False}, "a", {}),
    ("sort=", "sort", {"default": "d"}, "", {}),
    ("sort=&sort=id", "sort", {}, "", {}),  # NOTE: as Go's Values.Get: the first, blank or not
    ("fields=a%2Cb&fields=c", "fields", {}, "a,b", {}),
]


@pytest.mark.parametrize(("query", "key", "kwargs", "expected", "stored"), CASES)
def test_get_param(query: str, key: str, kwargs: dict[str, Any], expected: Any, stored: dict[str, Any]) -> None:
    options = falcon.RequestOptions()
    options.auto_parse_qs_csv = False  # NOTE: as pybase's app (apis.create_wsgi_app)
    req = _Request(falcon.testing.create_environ(path="/api/x", query_string=query), options)
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            req.get_param(key, **kwargs)
        return
    assert req.get_param(key, **kwargs) == expected
    assert kwargs.get("store", {}) == stored
