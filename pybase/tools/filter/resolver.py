"""The seam between the filter compiler and whatever owns the columns: ``Resolver``."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from sqlalchemy import Boolean, Float, Integer, String, false, func, literal, null, true
from sqlalchemy.sql.elements import BindParameter, ColumnElement

if TYPE_CHECKING:
    from sqlalchemy import Select

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]

AfterBuild: TypeAlias = Callable[[ColumnElement[bool]], ColumnElement[bool]]


class NullFallback(enum.Enum):
    """How ``=``/``!=`` treat NULL versus empty values (PocketBase's ``NullFallbackPreference``).

    AUTO: ``x = ""`` also matches NULL and ``x = 'a'`` compares directly; DISABLED: plain
    ``IS``/``IS NOT`` with no fallback (JSON values, geoDistance); ENFORCED: never assume the
    operand is non-empty, so comparisons go through ``COALESCE(x, '')`` (strftime).
    """

    AUTO = "auto"
    DISABLED = "disabled"
    ENFORCED = "enforced"


@dataclass(frozen=True, slots=True)
class ResolvedField:
    """What an identifier resolves to: a SQL operand plus the hints the compiler needs.

    Attributes:
        expression: the operand as SQL (a column, ``json_extract(...)``, a bound value...).
        params: the bound values inside ``expression`` that come from the request (static
            values); PocketBase decides "known empty"/"known non-empty" from them, and ``~``
            wraps them in ``%...%``. Empty for plain columns.
        null_fallback: see ``NullFallback``.
        multi_match: for a multi-valued operand (multiple relation/select/file, back-relation,
            ``@collection``, ``:each``), a one-column SELECT correlated to the outer query that
            yields one row per item. The compiler adds ``NOT EXISTS (... WHERE NOT cond)`` to
            plain operators ("every item matches"); ``?`` operators skip it ("any item").
        after_build: called with the finished comparison; may wrap or replace it.
        keyword: set when the operand is the SQL keyword NULL, TRUE or FALSE.
    """

    expression: ColumnElement[Any]
    params: tuple[BindParameter[Any], ...] = ()
    null_fallback: NullFallback = NullFallback.AUTO
    multi_match: Select[Any] | None = None
    after_build: AfterBuild | None = None
    keyword: Literal["null", "true", "false"] | None = None

    @classmethod
    def column(
        cls,
        expression: ColumnElement[Any],
        *,
        null_fallback: NullFallback = NullFallback.AUTO,
        multi_match: Select[Any] | None = None,
        after_build: AfterBuild | None = None,
    ) -> ResolvedField:
        """A SQL expression such as a table column."""
        return cls(
            expression,
            null_fallback=null_fallback,
            multi_match=multi_match,
            after_build=after_build,
        )

    @classmethod
    def value(
        cls,
        value: object,
        *,
        null_fallback: NullFallback = NullFallback.AUTO,
        wrap: Callable[[ColumnElement[Any]], ColumnElement[Any]] | None = None,
    ) -> ResolvedField:
        """A static value known at compile time, bound as a parameter (None becomes NULL).

        ``wrap`` builds SQL around the bound value, e.g. ``func.lower`` for ``:lower``.
        """
        if value is None:
            return cls.null()
        param = bind_value(value)
        expression: ColumnElement[Any] = param if wrap is None else wrap(param)
        return cls(expression, params=(param,), null_fallback=null_fallback)

    @classmethod
    def null(cls) -> ResolvedField:
        """The SQL NULL keyword (what PocketBase yields for unknown ``@request.*`` fields)."""
        return cls(null(), keyword="null")

    @classmethod
    def boolean(cls, flag: bool) -> ResolvedField:
        """The SQL TRUE or FALSE keyword (the filter's ``true``/``false``, ``:isset``)."""
        return cls(true() if flag else false(), keyword="true" if flag else "false")


def bind_value(value: object) -> BindParameter[Any]:
    """Bind a Python value as an anonymous parameter with an explicit SQL type."""
    if isinstance(value, bool):
        return literal(value, Boolean())
    if isinstance(value, int):
        return literal(value, Integer())
    if isinstance(value, float):
        return literal(value, Float())
    if isinstance(value, str):
        return literal(value, String())
    return literal(value)


class Resolver(Protocol):
    """Maps the identifiers of a filter to SQL; implemented per collection by ``core``."""

    def resolve(self, identifier: str) -> ResolvedField | None:
        """Resolve ``identifier`` (modifiers included), or return None if it is unknown.

        May also raise ``FilterError`` with a reason; both make the compiler fall back to the
        ``null``/``true``/``false`` keywords before rejecting the filter.
        """
        ...

    def update_query(self, stmt: AnySelect) -> AnySelect:
        """Apply what resolving required (joins, DISTINCT) to the statement being filtered."""
        ...


_COLUMNIFY_RE = re.compile(r"[^\w.*\-@#]+", re.ASCII)


class SimpleResolver:
    """Resolves a fixed whitelist of names to columns, like PocketBase's SimpleFieldResolver.

    Names listed in ``json_columns`` also accept ``name.path.to.key`` (``name.items.0``), compiled
    to ``json_extract(column, '$.path.to.key')`` with the NULL fallback disabled.
    """

    __slots__ = ("_columns", "_json_columns")

    def __init__(
        self,
        columns: Mapping[str, ColumnElement[Any]],
        *,
        json_columns: Iterable[str] = (),
    ) -> None:
        self._columns = dict(columns)
        self._json_columns = frozenset(json_columns)
        unknown = self._json_columns - self._columns.keys()
        if unknown:
            raise ValueError(f"json_columns not in columns: {sorted(unknown)}")

    def resolve(self, identifier: str) -> ResolvedField | None:
        """Resolve a whitelisted column name or a JSON path below a JSON column."""
        column = self._columns.get(identifier)
        if column is not None:
            return ResolvedField.column(column)
        name, dot, path = identifier.partition(".")
        if not dot or name not in self._json_columns:
            return None
        json_path = json_path_of(path.split("."))
        if json_path is None:
            return None
        return ResolvedField.column(
            func.json_extract(self._columns[name], bind_value(json_path)),
            null_fallback=NullFallback.DISABLED,
        )

    def update_query(self, stmt: AnySelect) -> AnySelect:
        """Return ``stmt`` unchanged: plain columns need no joins."""
        return stmt


def json_path_of(parts: Iterable[str]) -> str | None:
    """Build a SQLite JSON path (``$.a[0].b``) from dotted parts, or None if one is empty."""
    path = ["$"]
    for raw in parts:
        # NOTE: PocketBase "columnifies" each part, dropping characters such as ":".
        part = _COLUMNIFY_RE.sub("", raw)
        if not part:
            return None
        path.append(f"[{part}]" if part.isascii() and part.isdigit() else f".{part}")
    return "".join(path)
