"""Executor contexts: prewarmed QuickJS contexts, each used by one thread at a time.

A call borrows a context from the pool (or makes a throw-away one when all are busy, as
PocketBase does), compiles the handler from its source the first time that context sees it, runs
it under the runaway guard, and gives the context back. Separate contexts run in parallel
because the binding releases the GIL while JS runs; one context is never shared by two threads
at once (that segfaults: shared/research/quickjs.md).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import quickjs

from pybase.apis.errors import ApiError
from pybase.core.events import RequestEvent
from pybase.jsvm import binds, errors
from pybase.jsvm.binds import app as binds_app

if TYPE_CHECKING:
    from pybase.jsvm.runtime import JsRuntime

log = logging.getLogger("pybase.jsvm")


@dataclass(frozen=True)
class Handler:
    """A JS function kept as source text (handlers can't close over file-level variables)."""

    hid: int
    source: str
    where: str


class Executor:
    """One QuickJS context with the prelude loaded and the bridge installed."""

    def __init__(self, runtime: JsRuntime, *, loader: bool = False) -> None:
        self.runtime = runtime
        self.ctx = quickjs.Context()
        self.ctx.set_memory_limit(runtime.memory_limit)
        self.ctx.set_max_stack_size(runtime.stack_size)
        self.rt = runtime.guard.install(self.ctx)
        self.scope = binds.Scope()
        self.generation = runtime.generation
        self.compiled: set[int] = set()
        self.transactions: list[Any] = []  # write transactions opened by $app.runInTransaction
        self.broken = False
        self.ctx.add_callable("__py", self._dispatch)
        for source in runtime.sources:
            self.ctx.eval(source)
        setup = {"loader": loader, "hooksDir": runtime.hooks_dir, "hooks": runtime.js_hook_names}
        self.ctx.eval(f"__setup({json.dumps(setup)})")
        self._compile = self.ctx.get("__compile")
        self._invoke = self.ctx.get("__invoke")
        self._reset = self.ctx.get("__reset")

    def _dispatch(self, op: str, kinds: str, *args: Any) -> str:
        return binds.dispatch(self, op, kinds, *args)

    def eval_guarded(self, source: str, where: str) -> Any:
        """Evaluate top-level code (the loader) under the guard; JS errors propagate."""
        self.scope = binds.Scope()
        token = self.runtime.guard.start(self.rt, self.runtime.timeout)
        try:
            return self.ctx.eval(source)
        except quickjs.JSException:
            if self.runtime.guard.stop(token):
                token = 0
                raise errors.HookTimeout(where, self.runtime.timeout) from None
            token = 0
            raise
        finally:
            if token:
                self.runtime.guard.stop(token)
            if self.transactions:
                binds_app.unwind_transactions(self)

    def run(self, handler: Handler, event: Any) -> None:
        """Run ``handler(event)``; JS errors come back as Python exceptions."""
        runtime = self.runtime
        if self.generation != runtime.generation:
            self._reset()
            self.compiled.clear()
            self.generation = runtime.generation
        self.scope = scope = binds.Scope()
        token = runtime.guard.start(self.rt, runtime.timeout)
        try:
            if handler.hid not in self.compiled:
                self._compile(handler.hid, handler.source)
                self.compiled.add(handler.hid)
            params = getattr(event, "params", None)
            out = self._invoke(
                handler.hid, scope.put(event), orjson.dumps(params).decode() if params else "",
                isinstance(event, RequestEvent),
            )
        except quickjs.JSException as ex:
            self.broken = True  # NOTE: an interrupted context is dropped, not reused
            fired = runtime.guard.stop(token)
            token = 0
            if fired:
                log.error("JS handler %s was interrupted after %.1f s (runaway?)", handler.where, runtime.timeout)
                raise errors.HookTimeout(handler.where, runtime.timeout) from None
            log.error("JS engine error in %s: %s", handler.where, ex)
            raise ApiError(500) from ex
        finally:
            if token:
                runtime.guard.stop(token)
            if self.transactions:
                # NOTE: an interrupted handler never reached its runInTransaction's end.
                binds_app.unwind_transactions(self)
            self.scope = binds.Scope()
        if out:
            raise errors.from_js(orjson.loads(out), scope.kept, handler.where)


class Pool:
    """Prewarmed executors; borrowing never blocks (a throw-away one is made when all are busy)."""

    def __init__(self, runtime: JsRuntime, size: int) -> None:
        self.runtime = runtime
        self.size = size
        self._lock = threading.Lock()
        self._free: list[Executor] = [Executor(runtime) for _ in range(size)]

    def borrow(self) -> Executor:
        """An executor for this thread alone until :meth:`give_back`."""
        with self._lock:
            if self._free:
                return self._free.pop()
        return Executor(self.runtime)

    def give_back(self, executor: Executor) -> None:
        """Return an executor (broken or surplus ones are dropped)."""
        if executor.broken:
            return
        with self._lock:
            if len(self._free) < self.size:
                self._free.append(executor)

    def run(self, handler: Handler, event: Any) -> None:
        """Run one handler on a borrowed executor."""
        executor = self.borrow()
        try:
            executor.run(handler, event)
        finally:
            self.give_back(executor)
