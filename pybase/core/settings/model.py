"""``Settings``: the app settings as one JSON document, and binding a request body onto them.

A :class:`Settings` holds every field, secrets included (the app's own view, ``$app.settings()``
in JS). :meth:`Settings.to_json` is the API answer: the write-only fields (``smtp.password``,
``s3.secret``, ``backups.s3.secret``) are left out. :meth:`Settings.bind` applies a PATCH body as
PocketBase decodes JSON into its settings struct: keys matched case-insensitively, unknown keys
skipped, a ``null`` resets a field (or a whole section) to its zero value, values of the wrong
JSON type fail the whole body, lists are replaced whole.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pybase.core.settings.defaults import SECRET_PATHS, SHAPE, default_settings, zero

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class BindError(ValueError):
    """The body cannot be decoded into the settings (bad JSON, wrong type, duplicate key)."""


class Settings:
    """The app settings: ``settings["smtp"]["host"]`` or ``settings.get("smtp.host")``.

    A Settings object is a value: the app hands out copies (``app.settings()``), so changing
    one changes nothing until it is saved with ``app.save_settings(settings)``.
    """

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = default_settings()
        if data:
            # NOTE: stored documents are trusted but normalised: missing fields keep defaults,
            # fields of the wrong type are dropped (as decoding them in Go would fail).
            _merge_stored(self.data, data, SHAPE)

    def __getitem__(self, section: str) -> Any:
        return self.data[section]

    def __setitem__(self, section: str, value: Any) -> None:
        if section not in SHAPE:
            raise KeyError(section)
        self.data[section] = value

    def __contains__(self, section: object) -> bool:
        return section in self.data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and other.data == self.data

    def __repr__(self) -> str:
        return f"Settings({self.to_json()!r})"

    @staticmethod
    def table_name() -> str:
        """Where settings live (model hooks are tagged with it, as PocketBase's ``_params``)."""
        return "_params"

    @staticmethod
    def pk() -> str:
        """The ``_params`` row id."""
        return "settings"

    def get(self, path: str, default: Any = None) -> Any:
        """A value by dotted path (``"meta.appName"``, ``"backups.s3.bucket"``)."""
        value: Any = self.data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def clone(self) -> Settings:
        """A deep copy."""
        out = Settings.__new__(Settings)
        out.data = copy.deepcopy(self.data)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of every field, secrets included."""
        return copy.deepcopy(self.data)

    def to_json(self) -> dict[str, Any]:
        """The API form: a deep copy without the write-only fields."""
        out = self.to_dict()
        for path in SECRET_PATHS:
            parent = out
            for part in path[:-1]:
                parent = parent[part]
            parent.pop(path[-1], None)
        return out

    def to_db(self) -> dict[str, Any]:
        """The stored form: every field, except empty S3 secrets (as PocketBase writes them)."""
        out = self.to_dict()
        for section in (out["s3"], out["backups"]["s3"]):
            if not section.get("secret"):
                section.pop("secret", None)
        return out

    def bind(self, body: Any) -> None:
        """Apply a decoded request body (see :func:`decode_body`) in place; BindError when it can't be."""
        if not isinstance(body, dict):
            raise BindError("the settings body must be a JSON object")
        self.data = _bind(self.data, body, SHAPE)


# ---- decoding a body as PocketBase's JSON decoder reads it ----------------------------------


class GoFloat(float):
    """A JSON number written with a fraction or an exponent (never binds to an int field)."""


class _Object(dict[str, Any]):
    """A JSON object whose duplicate keys were refused while decoding."""


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object()
    for key, value in pairs:
        if key in out:
            raise BindError(f"duplicate name {key!r} in object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise BindError(f"invalid JSON value {name}")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=GoFloat, parse_constant=_no_constant)


def decode_body(raw: bytes) -> Any:
    """The first JSON value of ``raw`` (trailing data is ignored, as Go's ``Decoder.Decode``).

    BindError on malformed JSON, invalid UTF-8 or a duplicate key in any object.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ex:
        raise BindError("invalid UTF-8 in the JSON body") from ex
    try:
        value, _end = _DECODER.raw_decode(text.lstrip(" \t\r\n"))
    except (ValueError, RecursionError) as ex:
        if isinstance(ex, BindError):
            raise
        raise BindError("invalid JSON body") from ex
    _check_text(value)
    return value


def _check_text(value: Any) -> None:
    """BindError on a lone UTF-16 surrogate (``"\\ud800"``) anywhere: PocketBase's decoder refuses them."""
    stack = [value]
    try:
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                item.encode("utf-8")
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    except UnicodeEncodeError as ex:
        raise BindError("invalid UTF-16 surrogate in a string") from ex


def bind_value(current: Any, value: Any, shape: Any) -> Any:
    """``value`` decoded onto ``current`` as Go decodes JSON into a field of type ``shape``
    (a section dict of :mod:`defaults`' types); BindError when the JSON type does not fit."""
    return _bind(current, value, shape)


_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # fmt: skip
_GO_INT_RE = re.compile(r"[+-]?[0-9]+")


def bind_form(current: dict[str, Any], form: dict[str, list[str]], shape: dict[str, Any]) -> dict[str, Any]:
    """Form fields (``meta.appName=x``) bound onto ``current`` as PocketBase binds a form to a struct.

    Names are ``field`` or ``section.field`` (matched exactly; deeper names are skipped, as are
    names ending on a section or a list of objects); a list field takes every value of its
    name, other fields the first.
    BindError when a value does not parse as the field's type.
    """
    out = copy.deepcopy(current)
    for name, values in form.items():
        parts = name.split(".")
        if len(parts) > 2:
            continue
        target, sub = out, shape
        for part in parts[:-1]:
            if not isinstance(sub, dict) or not isinstance(sub.get(part), dict):
                sub = None
                break
            target, sub = target[part], sub[part]
        last = parts[-1]
        if not isinstance(sub, dict) or last not in sub or not isinstance(sub[last], str):
            continue
        target[last] = _form_value(sub[last], values)
    return out


def _form_value(kind: str, values: list[str]) -> Any:
    if kind == "strs":
        return list(values)
    first = values[0] if values else ""
    if kind == "str":
        return first
    if kind == "bool":
        if first == "":
            return False
        if first not in _GO_BOOLS:
            raise BindError(f"invalid bool {first!r}")
        return _GO_BOOLS[first]
    if first == "":
        return 0
    if not _GO_INT_RE.fullmatch(first) or not INT64_MIN <= int(first) <= INT64_MAX:
        raise BindError(f"invalid integer {first!r}")
    return int(first)


def _field(shape: dict[str, Any], key: str) -> str | None:
    if key in shape:
        return key
    folded = key.casefold()
    return next((name for name in shape if name.casefold() == folded), None)


def _bind(current: Any, value: Any, shape: Any) -> Any:
    """``value`` decoded onto ``current`` as Go decodes JSON into a field of type ``shape``."""
    if value is None:
        return zero(shape)
    if isinstance(shape, dict):
        return _bind_section(current, value, shape)
    if isinstance(shape, tuple):
        if not isinstance(value, list):
            raise BindError("cannot decode into a list")
        # NOTE: each element starts from zero: nothing of the old list carries over.
        return [_bind(zero(shape[0]), item, shape[0]) for item in value]
    return _bind_scalar(value, shape)


def _bind_section(current: dict[str, Any], value: Any, shape: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BindError("cannot decode into a section")
    out = dict(current)
    seen: set[str] = set()
    for key, item in value.items():
        name = _field(shape, key)
        if name is None:
            continue  # NOTE: unknown keys are skipped, whatever their value
        if name in seen:
            raise BindError(f"duplicate name {key!r} in object")
        seen.add(name)
        out[name] = _bind(out[name], item, shape[name])
    return out


def _bind_scalar(value: Any, shape: str) -> Any:
    if shape == "strs":
        if not isinstance(value, list) or not all(isinstance(i, str) or i is None for i in value):
            raise BindError("cannot decode into a list of strings")
        return ["" if i is None else i for i in value]
    if shape == "str":
        if not isinstance(value, str):
            raise BindError("cannot decode into a string")
        return value
    if shape == "bool":
        if not isinstance(value, bool):
            raise BindError("cannot decode into a bool")
        return value
    if not isinstance(value, int) or isinstance(value, bool) or not INT64_MIN <= value <= INT64_MAX:
        raise BindError("cannot decode into an integer")
    return value


def _merge_stored(target: dict[str, Any], stored: dict[str, Any], shape: dict[str, Any]) -> None:
    for key, sub in shape.items():
        if key not in stored:
            continue
        try:
            target[key] = _bind(target[key], stored[key], sub)
        except BindError:
            continue
