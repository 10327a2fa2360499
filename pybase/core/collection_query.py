"""Filtering and sorting the collections list (``id, created, updated, name, system, type``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.store.dialect import insertion_order
from pybase.store.schema import collections_table
from pybase.tools.filter import (
    FilterError,
    SimpleResolver,
    compile_filter,
    compile_sort,
    parse_sort,
)

if TYPE_CHECKING:
    from pybase.core.app import App

LIST_FIELDS = ("id", "created", "updated", "name", "system", "type")


def filter_collections(app: App, filter_text: str | None, sort: str | None) -> list[Collection]:
    """Collections matching ``filter_text`` in ``sort`` order (creation order by default)."""
    table = collections_table
    resolver = SimpleResolver({name: table.c[name] for name in LIST_FIELDS})
    query = select(table.c.id)
    try:
        if filter_text:
            query = query.where(compile_filter(filter_text, resolver))
        rowid = insertion_order(table)
        query = query.order_by(*compile_sort(parse_sort(sort), resolver, rowid=rowid)) if sort else query.order_by(rowid)
    except FilterError as ex:
        raise BadRequestError() from ex
    with app.db.read() as conn:
        ids = [row[0] for row in conn.execute(query)]
    by_id = {c.id: c for c in app.registry.all()}
    return [by_id[i] for i in ids if i in by_id]
