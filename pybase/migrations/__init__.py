"""An app's migrations: ``pb_migrations/*.js`` and ``*.py`` files plus ones registered in code.

- ``<ts>_<name>.js`` calls ``migrate((app) => {up}, (app) => {down})`` (run by
  :mod:`pybase.jsvm.migrations`, ``app`` being the transaction's app, as PocketBase's txApp);
- ``<ts>_<name>.py`` defines ``up(app)`` and/or ``down(app)``, ``app`` being the core
  :class:`pybase.core.app.App` (``app.save_collection(...)``, ``app.save(record)``...);
- :meth:`Migrations.register` (``PyBase.migration``) adds one from code, like Go's ``m.Register``.

All are applied in file-name order by :class:`pybase.store.migrations.MigrationsRunner`, each in
its own transaction, and recorded in ``_migrations``. Files are read only when their migration
runs. ``serve`` applies what is pending before listening; ``pybase migrate`` does the rest.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.config import bundled_dir
from pybase.migrations import templates
from pybase.store.migrations import Migration, MigrationError, MigrationsRunner

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.jsvm.migrations import JsMigrations

__all__ = ["Migration", "MigrationError", "Migrations", "migration_files", "next_timestamp", "snakecase"]

#: migration files: ``.js`` or ``.py``, not hidden, not ``__init__.py``-like
MIGRATION_FILE_RE = re.compile(r"^[^._].*\.(js|py)$")
_SPLIT_RE = re.compile(r"[\W_]+")
_TS_RE = re.compile(r"^(\d+)_")


def migration_files(migrations_dir: str) -> list[str]:
    """The migration files of a folder (not its subfolders), sorted by name."""
    try:
        names = os.listdir(migrations_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if MIGRATION_FILE_RE.match(n) and os.path.isfile(os.path.join(migrations_dir, n)))


def snakecase(text: str) -> str:
    """PocketBase's ``inflector.Snakecase``: ``"addPostsTable"`` -> ``"add_posts_table"``."""
    words = []
    for word in _SPLIT_RE.split(text):
        if not word:
            continue
        out = []
        for i, ch in enumerate(word):
            if ch.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(ch)
        words.append("".join(out))
    return "_".join(words).lower()


def next_timestamp(migrations_dir: str) -> int:
    """Now in Unix seconds, or one past the newest file's prefix so names stay unique and ordered.

    NOTE: PocketBase names files with the bare current second, so two changes within one second
    collide (the second automigrate file fails); pybase moves the later one a second on.
    """
    now = int(time.time())
    newest = 0
    for name in migration_files(migrations_dir):
        match = _TS_RE.match(name)
        if match:
            newest = max(newest, int(match.group(1)))
    return newest + 1 if newest >= now else now


class Migrations:
    """The migrations of one app (files of ``migrations_dir`` plus registered ones)."""

    def __init__(
        self,
        core: App,
        migrations_dir: str,
        *,
        hooks_dir: str = "",
        runtime_dir: str = "",
        memory_limit: int = 256 << 20,
        registered: list[Migration] | None = None,
    ) -> None:
        self.core = core
        self.dir = os.path.abspath(migrations_dir)
        self.hooks_dir = hooks_dir or os.path.join(os.path.dirname(self.dir), "pb_hooks")
        self.runtime_dir = runtime_dir or bundled_dir("hooks_runtime")
        self.memory_limit = memory_limit
        self.registered: list[Migration] = list(registered or ())
        self._js: JsMigrations | None = None

    # ---- the list ----------------------------------------------------------------------

    def register(self, up: Callable[[Any], Any] | None, down: Callable[[Any], Any] | None, file: str) -> Migration:
        """Add a migration defined in code (``file`` is its name in ``_migrations`` and its order)."""
        migration = Migration(file, up, down)
        self.registered.append(migration)
        return migration

    def all(self) -> list[Migration]:
        """Every known migration: files, then registered ones (a same-named registration wins)."""
        found: list[Migration] = []
        for name in migration_files(self.dir):
            path = os.path.join(self.dir, name)
            if name.endswith(".js"):
                found.append(Migration(name, self._js_action(path, "up"), self._js_action(path, "down")))
            else:
                found.append(Migration(name, _python_action(path, "up"), _python_action(path, "down")))
        return [*found, *self.registered]

    def runner(self) -> MigrationsRunner:
        """A runner over :meth:`all`, for this app's database."""
        return MigrationsRunner(self.core.db, self.all(), self.core)

    # ---- commands ----------------------------------------------------------------------

    def up(self) -> list[str]:
        """Apply what is pending; returns the applied files (raises MigrationError on a failure)."""
        return self.runner().up()

    def down(self, count: int = 1) -> list[str]:
        """Revert the last ``count`` applied migrations (all when negative)."""
        return self.runner().down(count)

    def history_sync(self) -> list[str]:
        """Forget applied migrations whose files are gone; returns their names."""
        return self.runner().history_sync()

    def path_for(self, name: str) -> str:
        """Where a new migration called ``name`` goes: ``<dir>/<unix ts>_<snake name>.js``."""
        stem = snakecase(name)
        if not stem:
            raise ValueError("missing migration file name")
        return os.path.join(self.dir, f"{next_timestamp(self.dir)}_{stem}.js")

    def write(self, path: str, content: str | None = None) -> str:
        """Write a migration file (a blank migration by default); returns its path."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(templates.blank() if content is None else content)
        return path

    def create(self, name: str, content: str | None = None) -> str:
        """``migrate create NAME``: write a new migration file; returns its path."""
        return self.write(self.path_for(name), content)

    def snapshot_content(self) -> str:
        """A migration importing every collection as it is now."""
        return templates.snapshot(self.core.registry.all())

    def snapshot(self) -> str:
        """``migrate collections``: write the snapshot migration; returns its path."""
        return self.create("collections_snapshot", self.snapshot_content())

    def close(self) -> None:
        """Release the JS engine, if one was started."""
        if self._js is not None:
            self._js.close()
            self._js = None

    def __enter__(self) -> Migrations:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- actions -----------------------------------------------------------------------

    def _js_action(self, path: str, which: str) -> Callable[[Any], Any]:
        def run(_app: Any) -> None:
            if self._js is None:
                from pybase.jsvm.migrations import JsMigrations

                self._js = JsMigrations(self.core, self.hooks_dir, self.runtime_dir, memory_limit=self.memory_limit)
            self._js.run(path, which)

        return run


def _python_action(path: str, which: str) -> Callable[[Any], Any]:
    def run(app: Any) -> None:
        module = _import(path)
        func = getattr(module, which, None)
        if func is None:
            if not callable(getattr(module, "up", None)) and not callable(getattr(module, "down", None)):
                raise MigrationError(f"{os.path.basename(path)} defines neither up(app) nor down(app)", os.path.basename(path), [])
            return
        func(app)

    return run


def _import(path: str) -> Any:
    """Execute a Python migration file as a fresh module."""
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    name = f"pb_migrations_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # NOTE: registered while it runs so dataclasses, pickling and the like can find it.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module
