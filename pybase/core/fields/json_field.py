"""JSON fields: any JSON value."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import MAX_SAFE_INT, Field, check_range
from pybase.store.dialect import JSONText

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 1 << 20
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}
_JSON_STARTS = frozenset('0123456789-"[{')


class UnreadableJSON(str):
    """JSON text a double cannot hold (``1e400``): PocketBase (Go) refuses it as invalid JSON;
    kept as its text until validation says so."""


def _past_a_double(raw: str) -> bool:
    """Whether ``raw`` is JSON text holding a number past a double's range (orjson refused it)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and math.isinf(item):
            return True
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NOTE: NaN, Infinity: Python's extension, no JSON


class JSONField(Field):
    """Any JSON value, stored as JSON text (NULL when unset)."""

    maxSize: int

    type = "json"
    options: ClassVar[dict[str, Any]] = {"maxSize": 0}

    def column(self) -> Column:  # type: ignore[type-arg]
        return Column(self.name, JSONText(), nullable=True)

    def zero(self) -> Any:
        return None

    def from_db(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        return raw

    def to_db(self, value: Any) -> Any:
        if value is None:
            return None
        # NOTE: objects stored with their keys sorted, as PocketBase stores them (Go marshals
        # maps so): sorting by the field or matching its text agrees with PocketBase.
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()

    def prepare(self, raw: Any, record: Record) -> Any:
        # NOTE: as PocketBase (so JSON and form submissions agree): "null", "true", "false" and
        # valid JSON text starting with a digit, "-", a quote, "[" or "{" are parsed; any other
        # text is kept as a JSON string.
        if isinstance(raw, str):
            if raw in _LITERALS:
                return _LITERALS[raw]
            if raw and (raw[0] in _JSON_STARTS):
                try:
                    return orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return UnreadableJSON(raw) if _past_a_double(raw) else raw
            return raw
        if isinstance(raw, bytes):
            return self.prepare(raw.decode("utf-8", "replace"), record)
        return raw

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        check_range(errors, "maxSize", self.maxSize, 0, MAX_SAFE_INT)
        return errors

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name)
        if isinstance(value, UnreadableJSON):
            raise FieldError("validation_invalid_json", "Must be a valid json value.")
        if value is None or value == "" or value == [] or value == {}:
            if self.required:
                raise required()
            return
        limit = self.maxSize or DEFAULT_MAX_SIZE
        size = len(orjson.dumps(value))
        if size > limit:
            raise FieldError(
                "validation_json_size_limit",
                f"The maximum allowed JSON size is {limit} bytes.",
                {"maxSize": limit},
            )
