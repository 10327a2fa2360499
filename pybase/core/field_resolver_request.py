"""Static ``@request.*`` values: the request data a filter reads as bound parameters.

PocketBase resolves ``@request.method``, ``@request.context``, ``@request.query.*``,
``@request.headers.*``, plain ``@request.body.*`` values and a few ``@request.auth.*`` fields
without touching the database; missing keys become NULL, ``:isset`` becomes TRUE/FALSE.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import func

from pybase.tools.cast import parse_float
from pybase.tools.filter import FilterError, ResolvedField, go_quote

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.request_info import RequestInfo

MODIFIERS = frozenset({"isset", "each", "length", "lower", "changed"})

# NOTE: the auth fields PocketBase answers from the auth record itself (no join needed).
PLAIN_AUTH_FIELDS = frozenset(
    {"id", "collectionId", "collectionName", "email", "emailVisibility", "verified"}
)

_GO_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_INT64_MAX = 2**63 - 1


class _Missing(Exception):
    """A key path that does not exist in the request data."""


def split_modifier(prop: str) -> tuple[str, str]:
    """``name:modifier`` -> (name, modifier); more or fewer than one ``:`` means no modifier."""
    parts = prop.split(":")
    if len(parts) != 2:
        return prop, ""
    if parts[1] not in MODIFIERS:
        raise FilterError(f"unknown modifier in {go_quote(prop)}")
    return parts[0], parts[1]


def static_info(info: RequestInfo) -> dict[str, Any]:
    """The request data as PocketBase's resolver sees it (the auth record fully visible)."""
    auth = None
    if info.auth is not None:
        record = info.auth
        auth = {"collectionId": record.collection.id, "collectionName": record.collection.name}
        for name in PLAIN_AUTH_FIELDS:
            field = record.collection.field(name)
            if field is not None:
                auth[name] = field.export(record.get(name))
    return {
        "context": info.context,
        "method": info.method,
        "query": info.query,
        "headers": info.headers,
        "body": info.body,
        "auth": auth,
    }


def _extract(data: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(data, dict):
            if key not in data:
                raise _Missing(key)
            data = data[key]
        elif isinstance(data, list | tuple):
            if not _GO_INT_RE.fullmatch(key):
                raise _Missing(key)
            index = int(key)
            if index < 0 or index >= len(data) or index > _INT64_MAX:
                raise _Missing(key)
            data = data[index]
        else:
            raise _Missing(key)
    return data


def go_json(value: Any) -> str:
    """JSON text as Go's ``json.Marshal`` writes it (sorted keys, HTML characters escaped)."""
    text = orjson.dumps(
        _go_numbers(value), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    ).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _go_numbers(value: Any) -> Any:
    # NOTE: Go decodes every JSON number as float64 and prints integral ones without ".0".
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_go_numbers(v) for v in value]
    return value


def to_items(value: Any) -> list[Any]:
    """A body value as a list of items (None -> [], a scalar -> [scalar])."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def go_string(value: Any) -> str:
    """``cast.ToString``: the text form of a body value ("" for None and containers)."""
    if value is None or isinstance(value, dict | list | tuple):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return str(value)


def static_field(data: dict[str, Any], path: list[str], collection: Collection) -> ResolvedField:
    """Resolve ``@request.<path>`` from ``data`` (see :func:`static_info`)."""
    keys = list(path)
    last, modifier = split_modifier(keys[-1])
    keys[-1] = last
    try:
        value = _extract(data, keys)
        found = True
    except _Missing:
        value, found = None, False
    if modifier == "isset":
        return ResolvedField.boolean(found)
    if isinstance(value, str):
        field = collection.field(last)
        number = parse_float(value) if field is not None and field.type == "number" else None
        if number is not None:
            # NOTE: as PocketBase: text strconv.ParseFloat reads (else kept); NaN binds as NULL.
            value = None if math.isnan(number) else number
    elif isinstance(value, dict | list | tuple):
        value = go_json(value)
    if modifier not in ("", "lower"):
        raise FilterError(f"invalid modifier sequence {last}:{modifier}")
    if value is None:
        return ResolvedField.null()
    if modifier == "lower":
        return ResolvedField.value(value, wrap=func.lower)
    return ResolvedField.value(value)
