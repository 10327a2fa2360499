"""The JS hooks runtime of one app: load ``pb_hooks``, bind what they register, reload atomically.

Every JS hook is bound on ``app.hooks[js_name]`` as a Python handler tagged with the generation
that loaded it; a handler whose generation is no longer current just calls ``e.next()``. A reload
binds the new handlers, flips the generation (one assignment: from then on only the new set
runs), swaps the route table, then unbinds the old handlers. A reload that fails keeps
everything as it was.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.app_hooks import HOOKS
from pybase.jsvm import loader, surface, typings
from pybase.jsvm.crons import JsCrons
from pybase.jsvm.guard import Guard
from pybase.jsvm.loader import LoadError, Registration
from pybase.jsvm.pool import Handler, Pool
from pybase.jsvm.router import PatternError, RouterMiddleware, RouteTable

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.jsvm")

DEFAULT_POOL_SIZE = 15  # PocketBase's --hooksPool default
DEFAULT_TIMEOUT = 30.0  # seconds of wall-clock time per JS call
DEFAULT_MEMORY_LIMIT = 256 << 20  # bytes per context
DEFAULT_STACK_SIZE = 1 << 20  # bytes of native stack per context (about 3000 JS frames)
RUNTIME_FILES = surface.runtime_files()
TYPES_FILE = "types.d.ts"


class JsRuntime:
    """Loader, executor pool, route table and hook bindings for one ``pb_hooks`` folder."""

    def __init__(
        self,
        app: App,
        hooks_dir: str,
        runtime_dir: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        stack_size: int = DEFAULT_STACK_SIZE,
    ) -> None:
        self.app = app
        self.hooks_dir = os.path.abspath(hooks_dir)
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.stack_size = stack_size
        self.js_hook_names = [spec.js_name for spec in HOOKS if spec.js]
        self.runtime_dir = runtime_dir
        self.sources = [_read(os.path.join(runtime_dir, name)) for name in RUNTIME_FILES]
        self.guard = Guard()
        self.generation = 0
        self.routes = RouteTable(self, [])
        self.registrations: list[Registration] = []
        self.last_error: LoadError | None = None
        self._bound: list[tuple[str, str]] = []
        self._reload_lock = threading.Lock()
        self.crons = JsCrons(self)
        self._typed = False
        self.pool = Pool(self, pool_size)
        self.middleware = RouterMiddleware(self)

    # ---- loading -----------------------------------------------------------------------

    def load(self) -> bool:
        """(Re)load every hooks file; on failure log file and line and keep the current hooks."""
        with self._reload_lock:
            if not self._typed:
                self._typed = True
                typings.install(self.app.data_dir, self.hooks_dir, os.path.join(self.runtime_dir, TYPES_FILE))
            try:
                registrations = loader.load(self)
                routes = RouteTable(self, registrations)
            except (LoadError, PatternError) as ex:
                error = ex if isinstance(ex, LoadError) else LoadError("", 0, str(ex))
                self.last_error = error
                log.error("failed to load pb_hooks (keeping the previous hooks): %s", error)
                return False
            self._swap(registrations, routes)
            self.last_error = None
            log.info("loaded %d JS hooks/routes from %s (generation %d)", len(registrations), self.hooks_dir, self.generation)
            return True

    def _swap(self, registrations: list[Registration], routes: RouteTable) -> None:
        generation = self.generation + 1
        bound: list[tuple[str, str]] = []
        for index, reg in enumerate(registrations):
            if reg.kind != "hook" or reg.handler is None:
                continue
            hook_id = f"__jsvm_{generation}_{index}"
            self.app.hooks[reg.name].bind(self._hook_handler(reg.handler, generation), id=hook_id, tags=reg.tags)
            bound.append((reg.name, hook_id))
        old = self._bound
        # NOTE: the flip is one assignment; new handlers were inert until now, old ones are from now.
        self.generation = generation
        self.routes = routes
        self.registrations = registrations
        self._bound = bound
        for name, hook_id in old:
            self.app.hooks[name].unbind(hook_id)
        self.crons.swap(registrations)

    # ---- cron jobs (cronAdd/cronRemove) -------------------------------------------------

    def add_cron_source(self, job_id: str, expr: str, source: str) -> None:
        """``cronAdd`` called inside a handler: schedule at once."""
        self.crons.add(job_id, expr, loader.new_handler(source, f"cron {job_id}"))

    def remove_cron(self, job_id: str) -> None:
        """``cronRemove`` called inside a handler."""
        self.crons.remove(job_id)

    def _hook_handler(self, handler: Handler, generation: int) -> Callable[[Any], Any]:
        def run(e: Any) -> Any:
            if self.generation != generation:
                return e.next()
            self.pool.run(handler, e)
            return None

        return run

    def close(self) -> None:
        """Unbind every JS hook and stop the guard."""
        with self._reload_lock:
            for name, hook_id in self._bound:
                self.app.hooks[name].unbind(hook_id)
            self._bound = []
            self.generation += 1
            self.routes = RouteTable(self, [])
            self.crons.swap([])
            self.guard.close()


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()
