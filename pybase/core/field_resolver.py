"""Resolves filter identifiers for one collection and one request (the filter's ``Resolver``).

What an identifier may name, as in PocketBase's record field resolver:

- own fields (``title``), JSON paths (``meta.a.0``), modifiers ``:lower :length :each``;
- relations ``author.team.name`` (LEFT JOINs, at most 6 hops; a multi relation joins through
  ``json_each``) and back-relations ``comments_via_post.message``;
- ``@collection.<name>[:alias].<field>`` (an unconditioned LEFT JOIN of another collection);
- ``@request.auth.*`` (plain fields as values, the rest joined from the auth record by id),
  ``@request.body.*`` (values, ``:isset :changed :length :each :lower``, relation traversal),
  ``@request.query.*``, ``@request.headers.*``, ``@request.method``, ``@request.context``.

Operands that span several rows (a multi relation, a back-relation, ``@collection``, ``:each``
of a multi field) also carry a correlated per-item subquery, so that plain operators mean
"every item" and ``?`` operators "any item". Joins are collected while resolving and applied by
:meth:`RecordFieldResolver.update_query` together with DISTINCT. For callers that may not see
hidden fields (a non-superuser's ``filter``/``sort``), every joined collection must be listable
by them: its listRule is added to the query, and a superusers-only collection is an error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import and_, func, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from pybase.core import field_resolver_request as request_values
from pybase.core.field_resolver_request import PLAIN_AUTH_FIELDS, split_modifier
from pybase.core.field_resolver_sql import (
    Join,
    MultiMatch,
    alias_of,
    apply_joins,
    columnify,
    json_array_length,
    json_each_of,
    json_extract,
    json_path,
)
from pybase.store.dialect import json_text_items
from pybase.tools.filter import (
    FilterError,
    NullFallback,
    ResolvedField,
    bind_value,
    compile_filter,
    go_quote,
    parse_filter,
)

if TYPE_CHECKING:
    from sqlalchemy import Select

    from pybase.core.collections import Collection
    from pybase.core.fields.base import Field
    from pybase.core.request_info import RequestInfo

MAX_NESTED_RELATIONS = 6
"""Most relation hops in one identifier (PocketBase's ``maxNestedRels``)."""

_ALLOWED_IDENTIFIERS = [
    re.compile(pattern, re.ASCII)
    for pattern in (
        r"\w+[\w.:]*",
        r"@request\.context",
        r"@request\.method",
        r"@request\.auth\.[\w.:]*\w+",
        r"@request\.body\.[\w.:]*\w+",
        r"@request\.query\.[\w.:]*\w+",
        r"@request\.headers\.[\w.:]*\w+",
        r"@collection\.\w+(?::\w+)?\.[\w.:]*\w+",
    )
]
_VIA_RE = re.compile(r"(\w+)_via_(\w+)", re.ASCII)


class RecordFieldResolver:
    """Filter identifiers of ``collection`` as seen by the request ``info``.

    Args:
        collection: the collection whose records are filtered.
        info: the request (None: every ``@request.*`` identifier is NULL).
        allow_hidden: whether hidden fields may be used; PocketBase allows them in API rules
            and, in the ``filter``/``sort`` parameters, to superusers only. Without it, every
            collection reached by a relation must be listable by the caller (see module doc).
        base: what the main query selects from (default: the collection's table).
        source: what per-item subqueries alias (default: the collection's table).
        base_id: the collection id back-relations must point to (default: ``collection.id``).
        join_suffix: appended to join aliases, so a nested resolver cannot clash with this one.
    """

    def __init__(
        self,
        collection: Collection,
        info: RequestInfo | None,
        *,
        allow_hidden: bool = False,
        base: FromClause | None = None,
        source: FromClause | None = None,
        base_id: str | None = None,
        join_suffix: str = "",
    ) -> None:
        self.collection = collection
        self.info = info
        self.allow_hidden = allow_hidden
        self.source: FromClause = source if source is not None else collection.table
        self.base: FromClause = base if base is not None else self.source
        self.base_name: str = str(getattr(self.base, "name", ""))
        self.base_id = base_id if base_id is not None else collection.id
        self.join_suffix = join_suffix
        self._joins: dict[str, Join] = {}
        self._rule_joins: dict[str, tuple[Collection, FromClause]] = {}
        self._static: dict[str, Any] | None = None
        self._applied: tuple[list[Join], list[ColumnElement[bool]]] | None = None

    # ---- the Resolver protocol ---------------------------------------------------------

    def resolve(self, identifier: str) -> ResolvedField | None:
        """Map an identifier to SQL or a static value; raises FilterError when it is invalid."""
        if not any(pattern.fullmatch(identifier) for pattern in _ALLOWED_IDENTIFIERS):
            raise FilterError(f"failed to resolve field {go_quote(identifier)}")
        return _Runner(self, identifier).run()

    def update_query(self, stmt: Select[Any]) -> Select[Any]:
        """Add the collected LEFT JOINs (with DISTINCT) and any joined collections' listRules."""
        joins, conditions = self.collect()
        if joins:
            stmt = stmt.select_from(apply_joins(self.base, joins)).distinct()
        for condition in conditions:
            stmt = stmt.where(condition)
        return stmt

    # ---- state shared by the runners ---------------------------------------------------

    @property
    def has_joins(self) -> bool:
        """Whether resolving needed joins (so results must be deduplicated)."""
        return bool(self._joins)

    def static(self) -> dict[str, Any]:
        """The request data for static ``@request.*`` values (built once)."""
        if self._static is None:
            assert self.info is not None
            self._static = request_values.static_info(self.info)
        return self._static

    def load(self, id_or_name: str) -> Collection | None:
        """A collection by id or name (the base collection first)."""
        base = self.collection
        if id_or_name in (base.name, base.id, self.base_id):
            return base
        registry = base.registry
        return registry.find(id_or_name) if registry is not None else None

    def join(
        self, alias: str, make: Any, on: Any = None, collection: Collection | None = None
    ) -> FromClause:
        """Register (or reuse) the LEFT JOIN ``alias``; ``make()`` builds its target, ``on(t)`` its ON.

        Raises FilterError when hidden fields are off and ``collection`` is superusers-only.
        """
        if collection is not None and not self.allow_hidden:
            if collection.rules["listRule"] is None:
                raise FilterError(
                    f"{go_quote(collection.name)} fields can be accessed only when allowHiddenFields "
                    "is enabled or by superusers"
                )
        existing = self._joins.get(alias)
        target = make()
        if existing is not None and existing.target is not target:
            raise FilterError(f"the join alias {go_quote(alias)} is already used for another source")
        self._joins[alias] = Join(target, on(target) if on is not None else None)
        if collection is not None and not self.allow_hidden:
            self._rule_joins[alias] = (collection, target)
        self._applied = None
        return target

    def collect(self) -> tuple[list[Join], list[ColumnElement[bool]]]:
        """The joins to apply and, without hidden fields, the joined collections' listRules."""
        if self._applied is not None:
            return self._applied
        joins = list(self._joins.values())
        conditions: list[ColumnElement[bool]] = []
        if not self.allow_hidden:
            for index, (collection, target) in enumerate(self._rule_joins.values()):
                rule = collection.rules["listRule"]
                if not rule:
                    continue
                nested = RecordFieldResolver(
                    collection,
                    self.info,
                    allow_hidden=True,
                    base=target,
                    join_suffix=f"{self.join_suffix}__lr{index}",
                )
                # NOTE: `id=''` keeps rows whose relation is empty (PocketBase does the same, so
                # that `a.x != '' || b.y != ''` still works when one of the relations is unset).
                node = parse_filter(f"id='' || (\n{rule}\n)", max_length=None)
                conditions.append(compile_filter(node, nested))
                joins.extend(nested._joins.values())
        self._applied = (joins, conditions)
        return self._applied


class _Runner:
    """One identifier's resolution: walks its props, registering joins on the resolver."""

    def __init__(self, resolver: RecordFieldResolver, identifier: str) -> None:
        self.r = resolver
        self.identifier = identifier
        self.props = identifier.split(".")
        self.collection = resolver.collection
        self.table: FromClause = resolver.base
        self.alias = resolver.base_name
        # NOTE: missing @request.* fields are NULL rather than errors (PocketBase compatibility).
        self.nullify_missing = self.props[0] == "@request"
        self.with_multi = False
        self.mm_alias = "__mm_" + self.alias
        self._mm: MultiMatch | None = None
        self._mm_table: FromClause | None = None

    @property
    def mm(self) -> MultiMatch:
        """The per-item subquery being built (created on first use)."""
        if self._mm is None:
            base = alias_of(self.r.source, "__mm_" + self.r.base_name)
            self._mm = MultiMatch(base=base, target=self.r.base)
        return self._mm

    @property
    def mm_table(self) -> FromClause:
        """The subquery's counterpart of ``table``."""
        if self._mm_table is None:
            self._mm_table = self.mm.base
        return self._mm_table

    @mm_table.setter
    def mm_table(self, value: FromClause) -> None:
        self._mm_table = value

    def run(self) -> ResolvedField | None:
        head = self.props[0]
        if head == "@collection":
            return self.collection_field()
        if head == "@request":
            return self.request_field()
        return self.walk()

    def result(
        self, expression: ColumnElement[Any], mm_value: Any = None, **kwargs: Any
    ) -> ResolvedField:
        """The operand; ``mm_value()`` gives the per-item value when the path is multi-valued."""
        multi = None
        if self.with_multi and mm_value is not None:
            self.mm.value = mm_value()
            multi = self.mm.select()
        return ResolvedField.column(expression, multi_match=multi, **kwargs)

    def missing(self, message: str) -> ResolvedField:
        if self.nullify_missing:
            return ResolvedField.null()
        raise FilterError(message)

    # ---- @collection / @request --------------------------------------------------------

    def collection_field(self) -> ResolvedField | None:
        if len(self.props) < 3:
            raise FilterError(f"invalid @collection field path in {go_quote(self.identifier)}")
        name, _, alias = self.props[1].partition(":")
        collection = self.r.load(name)
        if collection is None:
            raise FilterError(f"failed to load collection {go_quote(self.props[1])} from field path {go_quote(self.identifier)}")
        prefix = f"__collection_alias_{alias}" if alias else f"__collection_{collection.name}"
        self.alias = columnify(prefix) + self.r.join_suffix
        self.with_multi = True
        alias = self.alias
        self.table = self.r.join(alias, lambda: alias_of(collection.table, alias), None, collection)
        self.collection = collection
        self.mm_alias = "__mm_" + alias
        mm_table = alias_of(collection.table, self.mm_alias)
        self.mm.joins.append(Join(mm_table))
        self.mm_table = mm_table
        self.props = self.props[2:]
        return self.walk()

    def request_field(self) -> ResolvedField | None:
        info = self.r.info
        if info is None:
            return ResolvedField.null()
        if self.identifier.startswith("@request.auth."):
            return self.auth_field()
        props = self.props
        if self.identifier.startswith("@request.body.") and len(props) > 2:
            name, modifier = split_modifier(props[2])
            field = self.r.collection.field(name)
            if field is not None:
                if field.type == "relation" and len(props) > 3:
                    return self.body_relation(field)
                if len(props) == 3 and modifier in ("each", "length", "lower", "changed"):
                    return getattr(self, f"body_{modifier}")(field)
        return request_values.static_field(self.r.static(), props[1:], self.r.collection)

    def auth_field(self) -> ResolvedField | None:
        info = self.r.info
        auth = info.auth if info is not None else None
        if auth is None:
            return ResolvedField.null()
        if len(self.props) == 3 and self.props[2] in PLAIN_AUTH_FIELDS:
            return request_values.static_field(self.r.static(), self.props[1:], self.r.collection)
        collection = auth.collection
        auth_id = auth.id
        alias = self.alias = "__auth_" + columnify(collection.name) + self.r.join_suffix
        self.table = self.r.join(
            alias,
            lambda: alias_of(collection.table, alias),
            lambda t: t.c.id == bind_value(auth_id),
            collection,
        )
        self.collection = collection
        self.mm_alias = "__mm_" + alias
        mm_table = alias_of(collection.table, self.mm_alias)
        self.mm.joins.append(Join(mm_table, mm_table.c.id == bind_value(auth_id)))
        self.mm_table = mm_table
        self.props = self.props[2:]
        return self.walk()

    def _body(self, field: Field) -> Any:
        info = self.r.info
        return info.body.get(field.name) if info is not None else None

    def body_changed(self, field: Field) -> ResolvedField:
        name = field.name
        alias = parse_filter(f"@request.body.{name}:isset = true && @request.body.{name} != {name}")
        expression = compile_filter(alias, self.r)
        return ResolvedField.column(expression, null_fallback=NullFallback.DISABLED)

    def body_lower(self, field: Field) -> ResolvedField:
        return ResolvedField.value(request_values.go_string(self._body(field)), wrap=func.lower)

    def body_length(self, field: Field) -> ResolvedField:
        if not field.multi_capable:
            raise FilterError(f"field {go_quote(field.name)} doesn't support multivalue operations")
        return ResolvedField.column(bind_value(len(request_values.to_items(self._body(field)))))

    def body_each(self, field: Field) -> ResolvedField:
        if not field.multi_capable:
            raise FilterError(f"field {go_quote(field.name)} doesn't support multivalue operations")
        raw = request_values.go_json(request_values.to_items(self._body(field)))
        alias = "__dataEach_je_" + columnify(field.name) + self.r.join_suffix
        items = self.r.join(alias, lambda: json_each_value(raw, alias))
        if field.is_multi():
            self.with_multi = True
        mm_value = None
        if self.with_multi:
            mm_items = json_each_value(raw, "__mm_" + alias)
            self.mm.joins.append(Join(mm_items))
            mm_value = lambda: mm_items.c.value  # noqa: E731
        return self.result(items.c.value, mm_value)

    def body_relation(self, field: Field) -> ResolvedField | None:
        target = self.r.load(getattr(field, "collectionId", ""))
        if target is None:
            raise FilterError(f"failed to load collection of data field {go_quote(field.name)}")
        ids = _unique_strings(self._body(field))
        if not ids:
            return ResolvedField.null()
        alias = self.alias = columnify(f"__data_{target.name}_{field.name}") + self.r.join_suffix
        self.table = self.r.join(
            alias,
            lambda: alias_of(target.table, alias),
            lambda t: t.c.id.in_([bind_value(i) for i in ids]),
            target,
        )
        self.collection = target
        if field.is_multi():
            self.with_multi = True
        self.mm_alias = "__mm_" + alias
        mm_table = alias_of(target.table, self.mm_alias)
        self.mm.joins.append(Join(mm_table, mm_table.c.id.in_([bind_value(i) for i in ids])))
        self.mm_table = mm_table
        self.props = self.props[3:]
        return self.walk()

    # ---- fields and relations ----------------------------------------------------------

    def walk(self) -> ResolvedField | None:
        total = len(self.props)
        for index, prop in enumerate(self.props):
            if index == total - 1:
                return self.finalize(prop)
            field = self.collection.field(prop)
            if field is not None and field.hidden and not self.r.allow_hidden:
                raise FilterError(f"non-filterable field {go_quote(prop)}")
            if field is not None and field.type in ("json", "geoPoint"):
                path = json_path(self.props[index + 1 :])
                name = field.name
                return self.result(
                    json_extract(self.table.c[name], path),
                    lambda: json_extract(self.mm_table.c[name], path),  # noqa: B023 - called at once
                    null_fallback=NullFallback.DISABLED,
                )
            if index >= MAX_NESTED_RELATIONS:
                raise FilterError(f"max nested relations reached for field {go_quote(prop)}")
            if field is None:
                if not self.back_relation(prop):
                    return ResolvedField.null()
                continue
            if field.type != "relation":
                raise FilterError(f"field {go_quote(prop)} is not a valid relation")
            # NOTE: `rel.id` of a single relation is the relation column itself (no join).
            if not field.is_multi() and index == total - 2 and self.props[index + 1] == "id":
                return self.finalize(field.name)
            self.relation(field)
        raise FilterError(f"failed to resolve field {go_quote(self.identifier)}")

    def relation(self, field: Field) -> None:
        target = self.r.load(getattr(field, "collectionId", ""))
        if target is None:
            raise FilterError(f"failed to load field {go_quote(field.name)} collection")
        name = columnify(field.name)
        column = self.table.c[field.name]
        alias = f"{self.alias}_{name}{self.r.join_suffix}"
        multi = field.is_multi()
        current = self.table
        if not multi:
            joined = self.r.join(
                alias, lambda: alias_of(target.table, alias), lambda t: t.c.id == column, target
            )
        else:
            items = self.r.join(
                "__je_" + alias, lambda: json_each_of(current, field.name, "__je_" + alias)
            )
            joined = self.r.join(
                alias,
                lambda: alias_of(target.table, alias),
                lambda t: t.c.id == items.c.value,
                target,
            )
        self.collection, self.alias, self.table = target, alias, joined
        mm_alias = f"{self.mm_alias}_{name}"
        mm_current = self.mm_table
        mm_joined = alias_of(target.table, mm_alias)
        if not multi:
            self.mm.joins.append(Join(mm_joined, mm_joined.c.id == mm_current.c[field.name]))
        else:
            self.with_multi = True
            mm_items = json_each_of(mm_current, field.name, f"{mm_alias}_je")
            self.mm.joins.append(Join(mm_items))
            self.mm.joins.append(Join(mm_joined, mm_joined.c.id == mm_items.c.value))
        self.mm_alias, self.mm_table = mm_alias, mm_joined

    def back_relation(self, prop: str) -> bool:
        """Join ``<collection>_via_<field>``; False when it resolves to NULL."""
        match = _VIA_RE.fullmatch(prop)
        if match is None:
            self.missing(f"failed to resolve field {go_quote(prop)}")
            return False
        back = self.r.load(match[1])
        if back is None:
            self.missing(f"failed to load back relation field {go_quote(prop)} collection")
            return False
        field = back.field(match[2])
        if field is None or field.type != "relation":
            self.missing(f"missing or invalid back relation field {go_quote(match[2])}")
            return False
        if field.hidden and not self.r.allow_hidden:
            raise FilterError(f"non-filterable back relation field {go_quote(field.name)}")
        # NOTE: only the base row itself may carry another id (the createRule's dummy record).
        expected = self.r.base_id if self.table is self.r.base else self.collection.id
        if getattr(field, "collectionId", "") != expected:
            self.missing(f"invalid collection reference of a back relation field {go_quote(field.name)}")
            return False
        name = columnify(field.name)
        alias = f"{self.alias}_{columnify(prop)}{self.r.join_suffix}"
        current = self.table
        multi = field.is_multi()
        if not multi:
            on = lambda t: t.c[name] == current.c.id  # noqa: E731
        else:
            on = lambda t: current.c.id.in_(_values_of(t, field.name, "__je_" + alias))  # noqa: E731
        self.table = self.r.join(alias, lambda: alias_of(back.table, alias), on, back)
        self.collection, self.alias = back, alias
        if multi:
            self.with_multi = True
        elif not self.with_multi:
            self.with_multi = not _has_unique_index(back, field.name)
        mm_alias = f"{self.mm_alias}_{columnify(prop)}{self.r.join_suffix}"
        mm_joined = alias_of(back.table, mm_alias)
        mm_current = self.mm_table
        if not multi:
            mm_on = mm_joined.c[name] == mm_current.c.id
        else:
            mm_on = mm_current.c.id.in_(_values_of(mm_joined, field.name, "__je_" + mm_alias))
        self.mm.joins.append(Join(mm_joined, mm_on))
        self.mm_alias, self.mm_table = mm_alias, mm_joined
        return True

    def finalize(self, prop: str) -> ResolvedField:
        name, modifier = split_modifier(prop)
        field = self.collection.field(name)
        if field is None:
            return self.missing(f"unknown field {go_quote(name)}")
        if field.hidden and not self.r.allow_hidden:
            raise FilterError(f"non-filterable field {go_quote(name)}")
        column = self.table.c[field.name]
        table = self.table

        def mm_column() -> Any:
            return self.mm_table.c[field.name]

        if modifier == "length" and field.multi_capable:
            return self.result(json_array_length(column), lambda: json_array_length(mm_column()))
        if modifier == "each" and field.multi_capable:
            alias = f"__je_{self.alias}_{columnify(name)}{self.r.join_suffix}"
            items = self.r.join(alias, lambda: json_each_of(table, field.name, alias))
            if field.is_multi():
                self.with_multi = True
            mm_value = None
            if self.with_multi:
                mm_alias = f"__je_{self.mm_alias}_{columnify(name)}{self.r.join_suffix}"
                mm_items = json_each_of(self.mm_table, field.name, mm_alias)
                self.mm.joins.append(Join(mm_items))
                mm_value = lambda: mm_items.c.value  # noqa: E731
            return self.result(items.c.value, mm_value)
        expression: ColumnElement[Any] = column
        mm_transform: Any = lambda value: value  # noqa: E731
        kwargs: dict[str, Any] = {}
        if field.name == "email" and not self.r.allow_hidden and self.collection.is_auth:
            # NOTE: only emails their owners made public can be searched.
            kwargs["after_build"] = lambda expr: and_(expr, table.c.emailVisibility == true())
        if field.type == "json":
            kwargs["null_fallback"] = NullFallback.DISABLED
            expression = json_extract(column, "")
            mm_transform = lambda value: json_extract(value, "")  # noqa: E731
        if modifier == "lower":
            expression = func.lower(expression)
            previous = mm_transform
            mm_transform = lambda value: func.lower(previous(value))  # noqa: E731
        return self.result(expression, lambda: mm_transform(mm_column()), **kwargs)


def json_each_value(raw_json: str, alias: str) -> FromClause:
    """``json_each(:json)`` over a bound JSON array."""
    return json_text_items(bind_value(raw_json)).table_valued("value").alias(alias)


def _values_of(owner: FromClause, column: str, alias: str) -> Any:
    items = json_each_of(owner, column, alias)
    return select(items.c.value)


def _unique_strings(value: Any) -> list[str]:
    """PocketBase's ``ToUniqueStringSlice``: ids from a string, a JSON array text or a list."""
    items: list[Any] = []
    if isinstance(value, str):
        if "[" in value:
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = None
            ok = isinstance(parsed, list) and all(isinstance(i, str) for i in parsed)
            items = parsed if ok else [value]
        else:
            items = [value]
    elif isinstance(value, list | tuple):
        items = [request_values.go_string(item) for item in value]
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _has_unique_index(collection: Collection, column: str) -> bool:
    for index in collection.parsed_indexes():
        if (
            index.unique
            and len(index.columns) == 1
            and index.columns[0].name.lower() == column.lower()
        ):
            return True
    return False
