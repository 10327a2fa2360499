"""Automigrate: a collection created, updated or deleted through the API writes a JS migration.

As PocketBase's ``migratecmd`` plugin: bound on ``onCollectionCreateRequest`` /
``UpdateRequest`` / ``DeleteRequest`` (so changes made by migrations or code never write files),
it compares the collection before and after the request and writes
``<unix ts>_created_<name>.js``, ``_updated_<name>.js`` or ``_deleted_<name>.js``; an update that
changes nothing writes nothing. The file is recorded in ``_migrations`` at once (it describes a
change already made), in the same transaction as its writing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.migrations import next_timestamp, templates
from pybase.store.migrations import record_applied

log = logging.getLogger("pybase.automigrate")

if TYPE_CHECKING:
    from pybase.core.app import App

HOOK_ID = "__pbAutomigrate__"
_HOOKS = {"created": "onCollectionCreateRequest", "updated": "onCollectionUpdateRequest", "deleted": "onCollectionDeleteRequest"}


def bind(core: App, migrations_dir: str) -> None:
    """Write a migration file for every collection change made through the API."""
    for action, hook in _HOOKS.items():
        core.hooks[hook].bind(_handler(core, os.path.abspath(migrations_dir), action), id=HOOK_ID)


def unbind(core: App) -> None:
    """Stop writing migration files."""
    for hook in _HOOKS.values():
        core.hooks[hook].unbind(HOOK_ID)


def normalize_name(name: str) -> str:
    """A collection name as a file-name part (PocketBase adds ``_`` after a trailing "test")."""
    return name + "_" if name.lower().endswith("test") else name


def _handler(core: App, migrations_dir: str, action: str) -> Callable[[Any], Any]:
    def handler(e: Any) -> Any:
        old = None if action == "created" else core.registry.find(e.collection.id)
        result = e.next()
        new = None if action == "deleted" else core.registry.find(e.collection.id)
        content = templates.diff(new, old)
        if content is None:
            return result
        changed = old if new is None or action == "updated" else new
        assert changed is not None
        try:
            write(core, migrations_dir, f"{action}_{normalize_name(changed.name)}", content)
        except OSError as ex:
            # NOTE: as PocketBase, a migration file that cannot be written (a 255 character
            # collection name makes too long a file name) is logged; the change stands.
            log.error("failed to save automigrate file: %s", ex)
        return result

    return handler


def write(core: App, migrations_dir: str, stem: str, content: str) -> str:
    """Write ``<ts>_<stem>.js`` and mark it applied, both or neither; returns the file name."""
    os.makedirs(migrations_dir, exist_ok=True)
    name = f"{next_timestamp(migrations_dir)}_{stem}.js"
    path = os.path.join(migrations_dir, name)
    with core.db.write() as conn:
        record_applied(conn, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)
    return name
