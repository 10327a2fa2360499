"""The field protocol shared by every field type, and the casting rules PocketBase uses."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column, Text, text

from pybase.core.errors import FieldError, required
from pybase.tools.cast import to_string
from pybase.tools.security import crc32_checksum

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record

FIELD_NAME_RE = re.compile(r"^\w+$", re.ASCII)  # Go's \w is ASCII only

COMMON_KEYS = ("id", "name", "type", "system", "hidden", "presentable")


class Field:
    """A collection field: its settings, its SQL column and its value rules."""

    type: ClassVar[str] = ""
    #: type-specific settings and their defaults
    options: ClassVar[dict[str, Any]] = {}
    #: autodate has neither "help" nor "required"
    has_help_required: ClassVar[bool] = True
    multi_capable: ClassVar[bool] = False
    #: the ``field+`` ("+"), ``field-`` ("-") and ``+field`` ("^") forms the field has (as
    #: PocketBase's FindSetter): any other is a key that is no field (a record's custom data)
    modifiers: ClassVar[frozenset[str]] = frozenset()
    #: whether ``"searchable": true`` may put the field in the collection's full-text index
    #: (a pybase setting: see pybase.core.record_search)
    full_text: ClassVar[bool] = False

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = dict(data or {})
        self.name: str = str(data.get("name") or "")
        self.id: str = str(data.get("id") or "")
        self.system = bool(data.get("system", False))
        self.hidden = bool(data.get("hidden", False))
        self.presentable = bool(data.get("presentable", False))
        self.required = bool(data.get("required", False)) if self.has_help_required else False
        self.help = str(data.get("help") or "") if self.has_help_required else ""
        # NOTE: read on every type so that validation can refuse it where it does not apply
        self.searchable = data.get("searchable") is True
        for key, default in self.options.items():
            value = data.get(key, default)
            setattr(self, key, self.coerce_option(key, value, default))

    # ---- settings ----------------------------------------------------------------------

    def coerce_option(self, key: str, value: Any, default: Any) -> Any:
        """Normalize one submitted setting to the type of its default."""
        if value is None:
            return None if default is None else _copy(default)
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, list):
            return list(value) if isinstance(value, list | tuple) else _copy(default)
        if isinstance(default, int) and not isinstance(value, bool):
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        if isinstance(default, str):
            return value if isinstance(value, str) else default
        return value

    @classmethod
    def accepts_json(cls, key: str, value: Any) -> bool:
        """Whether PocketBase's Go struct for this field type can bind ``value`` into ``key``.

        A JSON value of another type (a string for an integer, ``1.5`` for an integer, a number
        for a string...) fails the whole request body there; ``null`` leaves the zero value.
        Unknown keys are ignored.
        """
        if value is None:
            return True
        if key in ("id", "name", "type") or (key == "help" and cls.has_help_required):
            return isinstance(value, str)
        if key in ("system", "hidden", "presentable", "searchable") or (key == "required" and cls.has_help_required):
            return isinstance(value, bool)
        if key not in cls.options:
            return True
        return _fits(cls.options[key], value)

    def ensure_id(self) -> None:
        """Give the field PocketBase's id form ``<type><crc32 of name>`` when it has none."""
        if not self.id:
            self.id = f"{self.type}{crc32_checksum(self.name)}"

    def to_json(self) -> dict[str, Any]:
        """The field definition as PocketBase returns it (keys sorted, as Go maps are)."""
        out: dict[str, Any] = {
            "hidden": self.hidden,
            "id": self.id,
            "name": self.name,
            "presentable": self.presentable,
            "system": self.system,
            "type": self.type,
        }
        if self.has_help_required:
            out["help"] = self.help
            out["required"] = self.required
        for key in self.options:
            out[key] = _copy(getattr(self, key))
        if self.searchable:
            # NOTE: only when set, so a collection without it keeps PocketBase's exact shape
            out["searchable"] = True
        return dict(sorted(out.items()))

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        """Errors in this field's settings, keyed by setting name."""
        return {}

    # ---- storage -----------------------------------------------------------------------

    def is_multi(self) -> bool:
        """Whether values are lists (multi select/relation/file)."""
        return False

    def column(self) -> Column:  # type: ignore[type-arg]
        """The SQL column for this field."""
        return Column(self.name, Text, nullable=False, server_default=text("''"))

    def zero(self) -> Any:
        """The value of an unset field."""
        return ""

    def from_db(self, raw: Any) -> Any:
        """Turn a stored value into the in-memory value."""
        return "" if raw is None else raw

    def view_column(self) -> Column:  # type: ignore[type-arg]
        """The SQL column for this field in a view collection's table (as a table's)."""
        return self.column()

    def reader(self, json_as_written: bool) -> Any:
        """:meth:`from_db`, or one reading the same values faster where the database gives
        JSON text back as it was written (``json_as_written``: SQLite, not Postgres's jsonb)."""
        return self.from_db

    def view_reader(self, jsonb: bool) -> Any:
        """:meth:`from_db` of a view collection's column (as a table's); ``jsonb``: the column
        is jsonb on Postgres (:meth:`CollectionRegistry.reload`)."""
        return self.from_db

    def to_db(self, value: Any) -> Any:
        """Turn the in-memory value into what is stored."""
        return value

    def export(self, value: Any) -> Any:
        """The value as it appears in record JSON."""
        return value

    # ---- values ------------------------------------------------------------------------

    def prepare(self, raw: Any, record: Record) -> Any:
        """Normalize a submitted value (JSON or form string) the way PocketBase casts it."""
        return to_string(raw)

    def apply_modifier(self, modifier: str, raw: Any, record: Record) -> Any:
        """Apply ``field+``/``+field``/``field-``; returns the new value."""
        raise FieldError("validation_invalid_modifier", f"Unsupported modifier {modifier}.")

    def validate_value(self, record: Record) -> None:
        """Raise :class:`FieldError` when the record's value breaks this field's rules."""
        if self.required and is_empty(record.get(self.name)):
            raise required()

    def before_save(self, record: Record) -> None:
        """Last chance to compute the value (autodate, autogenerate) before validation."""


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def is_empty(value: Any) -> bool:
    """PocketBase's notion of blank: "", 0, false, None, [] and {}."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | list | dict | tuple):
        return len(value) == 0
    return False


def to_string_list(raw: Any) -> list[str]:
    """A list of non-empty unique strings from a list, a JSON list text or one value."""
    if raw is None:
        return []
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                parsed = orjson.loads(stripped)
                if isinstance(parsed, list):
                    raw = parsed
            except orjson.JSONDecodeError:
                pass
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for item in items:
        value = to_string(item)
        if value != "" and value not in out:
            out.append(value)
    return out


def json_number(value: Any) -> Any:
    """Numbers as Go prints them in JSON: integral floats without ``.0`` (up to 2^53, where the
    integer is the float's value and its shortest digits alike: ``9007199254740992``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53 and (value or str(value)[0] != "-"):
        return int(value)  # NOTE: not -0, which PocketBase shows as -0 (gonumbers)
    return value


def _fits(default: Any, value: Any) -> bool:
    """Whether ``value`` has the JSON type of a setting whose default is ``default``."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if default is None:  # a nullable number
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


#: the largest integer a JSON number holds exactly (PocketBase's maxSafeJSONInt)
MAX_SAFE_INT = 2**53 - 1


def no_less_than(threshold: Any) -> FieldError:
    """ozzo-validation's ``Min`` error."""
    return FieldError(
        "validation_min_greater_equal_than_required", f"Must be no less than {threshold}.", {"threshold": threshold}
    )


def no_greater_than(threshold: Any) -> FieldError:
    """ozzo-validation's ``Max`` error."""
    return FieldError(
        "validation_max_less_equal_than_required", f"Must be no greater than {threshold}.", {"threshold": threshold}
    )


def check_range(errors: dict[str, Any], key: str, value: Any, low: Any, high: Any) -> None:
    """ozzo-validation's ``Min(low), Max(high)`` on a setting: zero values are not checked."""
    if not value or key in errors:
        return
    if low is not None and value < low:
        errors[key] = no_less_than(low)
    elif high is not None and value > high:
        errors[key] = no_greater_than(high)
