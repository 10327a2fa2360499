"""Records and lists as wire JSON: hidden fields, email visibility, expand and ``fields=``."""

from __future__ import annotations

import re
from typing import Any

import orjson

from pybase.core.records import Record
from pybase.core.request_info import RequestInfo

_EXCERPT_RE = re.compile(r"^(?P<name>[^:]+):excerpt\((?P<max>\d+)(?:\s*,\s*(?P<ellipsis>true|false|1|0))?\)$")
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")


def record_to_json(
    record: Record, info: RequestInfo | None, *, show_email: bool = False, expand_requested: bool = False
) -> dict[str, Any]:
    """The record as the API shows it to the caller described by ``info``."""
    collection = record.collection
    superuser = info is not None and info.is_superuser
    out: dict[str, Any] = {"collectionId": collection.id, "collectionName": collection.name}
    is_auth = collection.is_auth
    for field in collection.fields:
        if field.hidden and not superuser:
            continue
        if field.type == "password":
            # NOTE: as PocketBase: a visible password field reads as ""; an auth collection's
            # own password and tokenKey never leave the server.
            if not (is_auth and field.name == "password"):
                out[field.name] = ""
            continue
        if is_auth and field.name == "tokenKey":
            continue
        out[field.name] = field.export(record.data.get(field.name))
    if collection.is_auth and not (show_email or superuser or record.get("emailVisibility")):
        auth = info.auth if info is not None else None
        if auth is None or auth.id != record.id or auth.collection.id != collection.id:
            out.pop("email", None)
    for key, value in record.extra.items():
        out[key] = value
    if record.expand or expand_requested:
        out["expand"] = {
            key: (
                [record_to_json(r, info, expand_requested=bool(r.expand)) for r in value]
                if isinstance(value, list)
                else record_to_json(value, info, expand_requested=bool(value.expand))
            )
            for key, value in record.expand.items()
        }
    return out


# ---- fields= ---------------------------------------------------------------------------------


def parse_fields(raw: str | None) -> dict[str, Any] | None:
    """``a,b,expand.rel.c,d:excerpt(10,true)`` as a tree; None means everything."""
    if not raw or not raw.strip():
        return None
    tree: dict[str, Any] = {}
    for part in _split_top_level(raw):
        part = part.strip()
        if not part:
            continue
        path = part.split(".")
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            leaf = path[-1]
            match = _EXCERPT_RE.match(leaf)
            if match:
                node[match["name"]] = ("excerpt", int(match["max"]), match["ellipsis"] in ("true", "1"))
            else:
                node.setdefault(leaf, {})
    return tree


def _split_top_level(raw: str) -> list[str]:
    # NOTE: commas inside a modifier's parentheses (``excerpt(10,true)``) do not separate fields.
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in raw:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        current.append(char)
    parts.append("".join(current))
    return parts


def apply_fields(data: Any, tree: dict[str, Any] | None) -> Any:
    """Keep only the selected keys (recursively, ``*`` meaning every key at that level)."""
    if tree is None:
        return data
    if isinstance(data, list):
        return [apply_fields(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    star = tree.get("*")
    if star is not None:
        out.update(data)
    for key, sub in tree.items():
        if key == "*" or key not in data:
            continue
        value = data[key]
        if isinstance(sub, tuple):
            out[key] = excerpt(value, sub[1], sub[2])
        elif sub:
            out[key] = apply_fields(value, sub)
        else:
            out[key] = value
    return out


def excerpt(value: Any, limit: int, ellipsis: bool) -> Any:
    """Plain text of ``value`` (tags stripped, spaces collapsed) cut to ``limit`` characters."""
    if not isinstance(value, str):
        return value
    plain = _SPACE_RE.sub(" ", _TAG_RE.sub(" ", value)).strip()
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rstrip()
    return cut + "..." if ellipsis else cut


def dumps(data: Any) -> bytes:
    """JSON bytes with sorted keys, as PocketBase's Go maps come out."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
