"""Records: one row of a collection, with its original values and unsaved passwords."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bcrypt

from pybase.core.collections import Collection
from pybase.core.fields.base import Field

if TYPE_CHECKING:
    from pybase.core.record_query import RecordStore

BCRYPT_COST = 10


def hash_password(plain: str, cost: int = BCRYPT_COST) -> str:
    """bcrypt hash (PocketBase's default cost 10); a password over bcrypt's 72 bytes is an error."""
    secret = plain.encode()
    if len(secret) > 72:
        # NOTE: as Go's bcrypt, never cut silently (the field validator refuses it first; this
        # guards saves that skip validation).
        raise ValueError("bcrypt: password length exceeds 72 bytes")
    return bcrypt.hashpw(secret, bcrypt.gensalt(cost)).decode()


def check_password(plain: str, hashed: str) -> bool:
    """Whether ``plain`` matches the bcrypt ``hashed`` value."""
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(plain.encode()[:72], hashed.encode())
    except ValueError:
        return False


def row_layout(collection: Collection) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, Any], ...]]:
    """How a row of ``select(collection.table)`` reads as field values, made once per collection
    version: (column names, names read as stored but NULL -> "", (name, converter) of the others)."""
    return collection.derived("row_layout", _row_layout)


def _row_layout(collection: Collection) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, Any], ...]]:
    names = tuple(name for name, _convert in collection.row_converters())
    by_name = {f.name: f for f in collection.fields}
    # NOTE: no value is read as stored where the database escapes text (Postgres: pg_nul)
    plain = () if collection.nul_escaped else tuple(n for n in names if type(by_name[n]).from_db is Field.from_db)
    readers = dict(collection.row_converters())  # NOTE: a view's columns may read otherwise
    converters = tuple((n, readers[n]) for n in names if n not in plain)
    return names, plain, converters


class ExportOptions:
    """A record's own export settings (PocketBase's Hide/Unhide, WithCustomData, IgnoreEmailVisibility)."""

    __slots__ = ("visibility", "custom_data", "ignore_email_visibility")

    def __init__(self) -> None:
        #: field (or key) name -> shown; overrides the field's ``hidden`` for everyone
        self.visibility: dict[str, bool] = {}
        #: export the keys that are not fields (``record.extra``)
        self.custom_data = False
        #: export an auth record's email whatever its emailVisibility
        self.ignore_email_visibility = False


class Record:
    """A record of ``collection``; ``data`` maps field names to in-memory values."""

    __slots__ = (
        "collection", "data", "is_new", "original", "original_id", "store", "expand",
        "_plain_passwords", "extra", "export", "loaded",
    )

    def __init__(
        self,
        collection: Collection,
        data: dict[str, Any] | None = None,
        *,
        store: RecordStore | None = None,
    ) -> None:
        self.collection = collection
        self.data: dict[str, Any] = {f.name: f.zero() for f in collection.fields}
        self.is_new = True
        self.original: dict[str, Any] = {}
        self.original_id = ""
        #: the values as read from the database (from_row), kept when saved; None when built
        #: in memory. A json field's bare number still this very object is written as
        #: PocketBase writes one it read (JSONField.stored_export), another as one it holds
        self.loaded: dict[str, Any] | None = None
        self.store = store
        self.expand: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}
        #: how this record shows in exports, when changed (see :class:`ExportOptions`)
        self.export: ExportOptions | None = None
        self._plain_passwords: dict[str, str] = {}
        if data:
            for key, value in data.items():
                self.set(key, value)

    @classmethod
    def from_row(cls, collection: Collection, row: Any, store: RecordStore | None = None) -> Record:
        """A stored record from a ``select(collection.table)`` row (columns in table order)."""
        # PERF: positional access with per-collection converters; this runs for every row.
        names, plain, converters = row_layout(collection)
        data = dict(zip(names, row, strict=True))
        if None in row:
            for name in plain:
                if data[name] is None:
                    data[name] = ""
        for name, convert in converters:
            data[name] = convert(data[name])
        record = cls.__new__(cls)
        record.collection = collection
        record.data = data
        record.is_new = False
        record.original = record.loaded = data.copy()
        record.original_id = data.get("id", "")
        record.store = store
        record.expand = {}
        record.extra = {}
        record.export = None
        record._plain_passwords = {}
        return record

    # ---- values ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The record id."""
        return str(self.data.get("id") or "")

    def get(self, name: str, default: Any = None) -> Any:
        """A field value."""
        return self.data.get(name, default)

    def set(self, name: str, value: Any) -> None:
        """Set a field value (already in its in-memory form)."""
        self.data[name] = value

    def table_name(self) -> str:
        """Tag used by model hooks: the collection's table."""
        return self.collection.name

    def original_values(self, name: str) -> list[str]:
        """The stored value of a multi-capable field as a list."""
        value = self.original.get(name)
        if isinstance(value, list):
            return value
        return [value] if value else []

    def mark_saved(self) -> None:
        """After a successful write the current values become the original ones."""
        self.is_new = False
        self.original = dict(self.data)
        self.original_id = self.id
        self._plain_passwords.clear()

    # ---- passwords ---------------------------------------------------------------------

    def set_password_plain(self, name: str, plain: str) -> None:
        """Remember a new password; it is validated, then hashed at save."""
        self._plain_passwords[name] = plain

    def password_plain(self, name: str) -> str | None:
        """The unsaved plain password of field ``name``, if one was set."""
        return self._plain_passwords.get(name)

    def pending_passwords(self) -> dict[str, str]:
        """Every unsaved plain password by field name."""
        return dict(self._plain_passwords)

    def validate_password(self, plain: str) -> bool:
        """Whether ``plain`` matches the stored password hash."""
        return check_password(plain, self.data.get("password") or "")

    # ---- auth helpers ------------------------------------------------------------------

    @property
    def email(self) -> str:
        """The email of an auth record."""
        return str(self.data.get("email") or "")

    @property
    def token_key(self) -> str:
        """The per-record part of the token signing key."""
        return str(self.data.get("tokenKey") or "")

    def is_superuser(self) -> bool:
        """Whether this record is a superuser."""
        return self.collection.is_superusers
