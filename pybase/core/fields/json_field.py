"""JSON fields: any JSON value."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import MAX_SAFE_INT, Field, check_range
from pybase.store.dialect import JSONText, ViewJSONText
from pybase.tools.gonumbers import Scanned, json_text, negative_zeros, scanned_number, scanned_text
from pybase.tools.gonumbers import json_number as go_json_number
from pybase.tools.json_names import has_duplicate_names

if TYPE_CHECKING:
    from collections.abc import Callable

    from pybase.core.collections import Collection
    from pybase.core.records import Record

DEFAULT_MAX_SIZE = 1 << 20
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}
_JSON_STARTS = frozenset('0123456789-"[{')


class UnreadableJSON(str):
    """JSON text a double cannot hold (``1e400``) or with an object's name twice, or a text Go
    quotes into no JSON (below): PocketBase (Go) refuses it as invalid JSON; kept as its text
    until validation says so."""


class RepeatedNamesJSON(UnreadableJSON):
    """JSON text with an object's name twice, kept as written: PocketBase measures its size
    (against maxSize) before it finds it invalid."""


# NOTE: PocketBase keeps a text that is no JSON as strconv.Quote(text), which escapes a control
# character other than \b \f \n \r \t (and DEL) as \a, \v or \xNN, and a non-printable
# character past U+FFFF as \UNNNNNNNN: no JSON escapes, so such a text is invalid JSON there.
_GO_QUOTE_NO_JSON_RE = re.compile("[\x00-\x07\x0b\x0e-\x1f\x7f]|[\U00010000-\U0010ffff]")


def _go_quotes_into_json(text: str) -> bool:
    """Whether Go's strconv.Quote(text) is JSON (see _GO_QUOTE_NO_JSON_RE)."""
    for match in _GO_QUOTE_NO_JSON_RE.finditer(text):
        char = match.group()
        # NOTE: Go's unicode.IsPrint past U+FFFF: letters, marks, numbers, punctuation, symbols
        if char < "\U00010000" or unicodedata.category(char)[0] not in "LMNPS":
            return False
    return True


def _as_string(text: str) -> str:
    """A text kept as a JSON string, or :class:`UnreadableJSON` where PocketBase's is no JSON."""
    return text if _go_quotes_into_json(text) else UnreadableJSON(text)


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


_SAFE_INT = 2**53
_INT64 = 2**63
_UINT64 = 2**64


# a number orjson writes otherwise than Go: an integer of 16 digits or more (past 2^53 maybe),
# an integral float (``5.0``, ``1e+17``)
_GO_NUMBER_HINT_RE = re.compile(rb"\d{16}|\d\.0(?![0-9])|e\+")
# a float orjson writes otherwise than Go (gonumbers): -0.0, 1e+20, 1e-6
_GO_FLOAT_HINT_RE = re.compile(rb"\d\.0(?![0-9])|e\+|e-6(?![0-9])")
# stored JSON text holding a number the API writes otherwise than orjson writes what it reads
# (see JSONField.export): in Go's spelling (to_db: 0.000001, 18446744073709552000, -0), an
# older pybase's (orjson's: 4.0, -0.0, 1e16, 1e+16, 1e-6, 1e-06) or Postgres's text of its
# jsonb (a number as written but for its exponent: 4.0, 0.000001, 100000000000000000000). Go's
# 1e+21, 0.05 or a string's "file1" match too (written again alike: only slower). PERF: two
# expressions, the first only when str finds a 0 (one expression of all cost ~2 us a value,
# these ~0.3-0.4 us; reading the value ~0.7-0.9 us)
_RESPELL_RE = re.compile(r"000|\.0(?![0-9])|-0(?![.0-9eE])")
_EXPONENT_RE = re.compile(r"e(?:[+0-9]|-0*6(?![0-9]))")


def go_numbers(value: Any) -> Any:
    """A JSON value decoded as Go decodes a request body into ``any``: every number a float64
    (an integer past 2^53 loses its last digits, ``9007199254740993`` is ``9007199254740992``),
    an integral one shown as Go shows it, without ``.0`` (below 2^64, where pybase can hold it
    as an integer: ``2**53 + 1`` reads ``9007199254740992``, ``5.0`` reads ``5``)."""
    if not isinstance(value, list | dict):
        return _go_number(value)
    try:
        if not _GO_NUMBER_HINT_RE.search(orjson.dumps(value)):
            return value  # PERF: most values hold no such number: no copy
    except orjson.JSONEncodeError:
        pass  # NOTE: nested past orjson's depth: walked (validation answers about the depth)
    return _walked(value, _go_number)


def _walked(value: Any, convert: Any) -> Any:
    """A list or dict with each number as ``convert`` reads it (a copy)."""
    # NOTE: walked without recursion, a value may be nested ~1,000 levels deep
    root = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, list):
            copied: Any = list(item)
            stack.extend((copied, index) for index in range(len(copied)))
        elif isinstance(item, dict):
            copied = dict(item)
            stack.extend((copied, name) for name in copied)
        else:
            copied = convert(item)
        container[key] = copied
    return root[0]


def _go_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        value = float(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and -_INT64 <= value < _UINT64 and (value or str(value)[0] != "-"):
        # NOTE: the shortest digits of the double, as Go prints them (123456789012345680);
        # not -0, which Go shows as -0
        digits = int(Decimal(repr(value)))
        return digits if -_INT64 <= digits < _UINT64 else value
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NOTE: NaN, Infinity: Python's extension, no JSON


class OrderedJSONObject(dict):  # type: ignore[type-arg]
    """A JSON object a view computed, its keys in the order of its text (as PocketBase writes
    it): the API writes it so (apis.serialize.dumps), where it sorts the keys of other objects."""

    __slots__ = ()


class OrderedJSONArray(list):  # type: ignore[type-arg]
    """A JSON array a view computed, the keys of the objects in it in their text's order."""

    __slots__ = ()


def _sorted_keys(value: Any) -> Any:
    """``value`` with every object's keys sorted (as Go marshals maps)."""
    try:
        return orjson.loads(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    except orjson.JSONEncodeError:
        return value  # NOTE: an integer past 64 bits, or nested past orjson's depth: as read


def api_dumps(data: Any, default: Callable[[Any], Any] | None = None, *, sort: bool = True) -> bytes:
    """JSON bytes as the API writes them: objects' keys sorted, as PocketBase's Go maps come
    out, but a view's JSON (:class:`OrderedJSONObject`, :class:`OrderedJSONArray`) with its
    keys in their order; ``default`` writes other types (records in hooks' answers). Without
    ``sort``, every object's keys in their order (a JS value's)."""
    hook = _subclass if default is None else _chained(default)
    options = _OPTIONS if sort else orjson.OPT_PASSTHROUGH_SUBCLASS
    try:
        return orjson.dumps(data, option=options, default=hook)
    except orjson.JSONEncodeError:
        # PERF: keys that are not strings (from hooks) are rare and slow every dict down
        return orjson.dumps(data, option=options | orjson.OPT_NON_STR_KEYS, default=hook)


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _subclass(value: Any) -> Any:
    """A value of a subclass of dict, list, str, int or float (OPT_PASSTHROUGH_SUBCLASS) as
    its base class's, a view's JSON with its keys in their order, a view's REAL as Go's text."""
    if type(value) is Scanned:
        return scanned_text(value)
    if isinstance(value, OrderedJSONObject | OrderedJSONArray):
        return orjson.Fragment(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))
    for base in (dict, list, str, int, float):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _chained(default: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def hook(value: Any) -> Any:
        if isinstance(value, dict | list | str | int | float | Scanned):
            return _subclass(value)
        return default(value)

    return hook


class JSONField(Field):
    """Any JSON value, stored as JSON text (NULL when unset)."""

    maxSize: int

    type = "json"
    options: ClassVar[dict[str, Any]] = {"maxSize": 0}

    def column(self) -> Column:  # type: ignore[type-arg]
        return Column(self.name, JSONText(), nullable=True)

    def view_column(self) -> Column:  # type: ignore[type-arg]
        return Column(self.name, ViewJSONText(), nullable=True)

    def reader(self, json_as_written: bool) -> Any:
        # PERF: SQLite holds the text to_db wrote (keys sorted): read as it is, without from_db's
        # search of every text for jsonb's (and sort of what looks like it)
        return self._read_stored if json_as_written else self.from_db

    def view_reader(self, jsonb: bool) -> Any:
        # NOTE: decided per column when the view is made, never from the value (a text the
        # query writes may look like jsonb's): a jsonb column is a table's json field shown
        # through the view (Postgres), its keys sorted as stored; any other column holds the
        # text SQLite computed or stored, its keys in their order
        return self.from_db if jsonb else self._from_view_text

    def _from_view_text(self, raw: Any) -> Any:
        """A view's column as PocketBase reads it: a text is JSON when it is ``null``, ``true``,
        ``false`` or valid JSON starting with a digit, ``-``, a quote, ``[`` or ``{`` (else a
        string: ``' 5'``), its objects' keys in the text's order (PocketBase answers the text:
        a table's json field's keys as stored, sorted; a text the query writes as written)."""
        if not isinstance(raw, str):
            return self._read(raw)
        if raw in _LITERALS:
            return _LITERALS[raw]
        if not raw or raw[0] not in _JSON_STARTS:
            return raw
        value = self._read(raw)
        if isinstance(value, dict | list) and "{" in raw:
            return OrderedJSONObject(value) if isinstance(value, dict) else OrderedJSONArray(value)
        return value

    def export(self, value: Any) -> Any:
        # NOTE: a float orjson spells otherwise than Go (1e+20, 1e-6, -0.0) as Go does, in an
        # object or array too (PocketBase writes the text it stored, Go's); PERF: orjson's
        # text tells whether there is one. A bare number as Go's encoding/json writes the
        # float64 PocketBase holds in memory (a body's: 100000000000000000000, 0.000001, -0);
        # one read from the database is stored_export's
        if isinstance(value, dict | list) and value:
            try:
                if _GO_FLOAT_HINT_RE.search(orjson.dumps(value)):
                    return _walked(value, go_json_number)
            except orjson.JSONEncodeError:
                pass
        elif type(value) is float:
            return go_json_number(value)
        return value

    def stored_export(self, value: Any) -> Any:
        """:meth:`export` of a value as read from the database: a bare number the float64
        PocketBase reads from SQLite's NUMERIC column (a REAL: an integral one within 64 bits
        is an INTEGER there), written as strconv 'g' (1e-07, 1e+20, 1.2345675e+06)."""
        return scanned_number(value) if type(value) is float else self.export(value)

    def export_reader(self, reader: Any) -> Any:
        """``stored_export(reader(raw))`` in one call (apis.serialize's list rows). PERF: the
        stored text tells whether it holds such a number, without writing the value again."""
        export = self.export
        search, exponent = _RESPELL_RE.search, _EXPONENT_RE.search

        def read_export(raw: Any) -> Any:
            value = reader(raw)
            if type(value) is float:
                return scanned_number(value)  # NOTE: a bare number (SQLite: a REAL; Postgres: text)
            if type(raw) is str and (("0" in raw and search(raw) is not None) or exponent(raw) is not None):
                # NOTE: any other value orjson writes again as its text holds it unless that
                # holds a number _RESPELL_RE or _EXPONENT_RE finds
                return export(value)
            return value

        return read_export

    def zero(self) -> Any:
        return None

    def from_db(self, raw: Any) -> Any:
        value = self._read_stored(raw)
        if isinstance(raw, str) and '": ' in raw and isinstance(value, dict | list):
            # NOTE: Postgres's text of a jsonb value (spaced, keys by length then bytes): read
            # with its keys sorted, as stored (to_db) and as PocketBase reads it, wherever a
            # value is written unsorted (JS hooks, getString). Not on SQLite (reader())
            return _sorted_keys(value)
        return value

    def _read_stored(self, raw: Any) -> Any:
        """A table's stored JSON text read: a ``-0`` in it the float -0, as PocketBase's Go
        reads it (its text, written again: -0); orjson reads the integer 0."""
        value = self._read(raw)
        return negative_zeros(raw, value) if type(raw) is str and "-0" in raw else value

    def _read(self, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, bytes | bytearray | memoryview):
            # NOTE: a BLOB a view computes (unhex(), x'41'): its text, as Go reads []byte (and
            # pb_view_json reads a bytea on Postgres); bytes that are no UTF-8 read as nothing
            try:
                raw = bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                return None
        if raw == "":
            return ""  # NOTE: as PocketBase: a text that is no JSON (the empty one too) is a string
        if isinstance(raw, str):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        if type(raw) is float and not math.isfinite(raw):
            # NOTE: an infinity a view computes (exp(1000), 1e300 * 1e300): PocketBase reads the
            # number as Go writes it, "+Inf" / "-Inf", a text that is no JSON: a JSON string
            return "+Inf" if raw > 0 else "-Inf" if raw < 0 else None
        if type(raw) is int and not -_INT64 <= raw < _INT64:
            # NOTE: SQLite keeps a number past 64 bits alone in a JSON column as a REAL (its
            # NUMERIC affinity): read so from Postgres too
            return float(raw)
        return raw

    def to_db(self, value: Any) -> Any:
        if value is None:
            return None
        # NOTE: objects stored with their keys sorted, as PocketBase stores them (Go marshals
        # maps so): sorting by the field or matching its text agrees with PocketBase; their
        # numbers as Go writes them (-0, not -0.0: json_extract() reads the integer 0)
        if type(value) is float and math.isfinite(value):
            return json_text(value)  # NOTE: as Go writes it (0.000001, -0; orjson: 1e-6, -0.0)
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if isinstance(value, dict | list) and _GO_FLOAT_HINT_RE.search(text):
            text = orjson.dumps(_walked(value, go_json_number), option=orjson.OPT_SORT_KEYS)
        return text.decode()

    def prepare(self, raw: Any, record: Record) -> Any:
        # NOTE: as PocketBase (so JSON and form submissions agree): "null", "true", "false" and
        # valid JSON text starting with a digit, "-", a quote, "[" or "{" are parsed; any other
        # text is kept as a JSON string.
        if isinstance(raw, str):
            if raw in _LITERALS:
                return _LITERALS[raw]
            if raw and (raw[0] in _JSON_STARTS):
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return UnreadableJSON(raw) if _past_a_double(raw) else _as_string(raw)
                # NOTE: an object with two equal names is no valid JSON to PocketBase (Go)
                return RepeatedNamesJSON(raw) if has_duplicate_names(raw, value) else value
            return _as_string(raw)
        if isinstance(raw, bytes):
            return self.prepare(raw.decode("utf-8", "replace"), record)
        # NOTE: JSON text (above) is kept as written, numbers too, as PocketBase keeps it raw
        return go_numbers(raw)

    def validate_settings(self, collection: Collection) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        check_range(errors, "maxSize", self.maxSize, 0, MAX_SAFE_INT)
        return errors

    def validate_value(self, record: Record) -> None:
        value = record.get(self.name)
        limit = self.maxSize or DEFAULT_MAX_SIZE
        if isinstance(value, RepeatedNamesJSON) and len(value.encode()) > limit:
            raise _size_error(limit)
        if isinstance(value, UnreadableJSON):
            raise FieldError("validation_invalid_json", "Must be a valid json value.")
        if value is None or value == "" or value == [] or value == {}:
            if self.required:
                raise required()
            return
        if len(orjson.dumps(value)) > limit:
            raise _size_error(limit)


def _size_error(limit: int) -> FieldError:
    return FieldError("validation_json_size_limit", f"The maximum allowed JSON size is {limit} bytes.", {"maxSize": limit})
