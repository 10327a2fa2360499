"""The runaway guard: a per-call wall-clock limit that interrupts JS, even between ``$app`` calls.

``quickjs.Context.set_time_limit`` measures the whole process's CPU time and, while set, forbids
every call into Python (shared/research/quickjs.md), so it cannot guard hooks that use ``$app``.
Instead each context gets, once, a QuickJS interrupt handler that is pure C and needs no GIL:
the engine's exported ``JS_IsRegisteredClass(rt, class_id)``, installed with an ``opaque`` of 0
(class 0 is never registered: "keep running") and switched to 1 (``JS_CLASS_OBJECT``, always
registered: "interrupt") by a watchdog thread when the call's deadline passes. QuickJS polls the
handler every few thousand operations and then throws an uncatchable ``InternalError:
interrupted``. Setting the handler is two word stores (``rt->interrupt_handler/opaque``), so
arming it from the watchdog thread never touches the running context.

NOTE: ``JS_IsRegisteredClass`` takes ``(JSRuntime *, uint32)`` where the handler type is
``(JSRuntime *, void *)``; both pass their arguments in the same registers on every supported
ABI. The runtime pointer is read from the Context object and checked against
``JS_GetRuntimeOpaque`` (which the binding sets to the Context itself) before any use; if the
check fails the guard is unavailable and hooks run unguarded with a warning.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("pybase.jsvm")

_KEEP_RUNNING = 0  # no class has id 0
_INTERRUPT = 1  # JS_CLASS_OBJECT
_RUNTIME_OFFSET = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)  # after PyObject_HEAD
WATCH_INTERVAL = 0.02
IDLE_SECONDS = 1.0


class _Engine:
    """The few QuickJS C functions the guard needs, from the loaded ``_quickjs`` module."""

    def __init__(self) -> None:
        import _quickjs

        lib = ctypes.CDLL(_quickjs.__file__)
        self.set_handler = lib.JS_SetInterruptHandler
        self.set_handler.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.set_handler.restype = None
        self.get_opaque = lib.JS_GetRuntimeOpaque
        self.get_opaque.argtypes = [ctypes.c_void_p]
        self.get_opaque.restype = ctypes.c_void_p
        self.handler = ctypes.cast(lib.JS_IsRegisteredClass, ctypes.c_void_p).value

    def runtime_of(self, ctx: Any) -> int | None:
        """The ``JSRuntime *`` of a ``quickjs.Context``, verified, or None."""
        rt = ctypes.c_void_p.from_address(id(ctx) + _RUNTIME_OFFSET).value
        if not rt or self.get_opaque(rt) != id(ctx):
            return None
        return int(rt)


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def _get_engine() -> _Engine | None:
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                _engine = _Engine()
            except (OSError, AttributeError, ImportError) as ex:  # pragma: no cover - other builds
                log.warning("JS runaway guard unavailable: %s", ex)
                return None
        return _engine


@dataclass
class _Watch:
    runtime: int
    deadline: float
    fired: bool = False


class Guard:
    """Arms the interrupt of a context whose call outlives its deadline."""

    def __init__(self) -> None:
        self._engine = _get_engine()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._watches: dict[int, _Watch] = {}
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._sleeping = False
        self._closed = False

    @property
    def available(self) -> bool:
        """Whether contexts can be interrupted."""
        return self._engine is not None

    def install(self, ctx: Any) -> int | None:
        """Give a new context the (disarmed) interrupt handler; returns its runtime pointer."""
        if self._engine is None:
            return None
        rt = self._engine.runtime_of(ctx)
        if rt is None:
            log.warning("JS runaway guard unavailable: unexpected quickjs Context layout")
            return None
        self._engine.set_handler(rt, self._engine.handler, _KEEP_RUNNING)
        return rt

    def start(self, runtime: int | None, seconds: float) -> int:
        """Watch one call; returns a token for :meth:`stop`."""
        if runtime is None or self._engine is None:
            return 0
        token = next(self._ids)
        with self._lock:
            self._watches[token] = _Watch(runtime, time.monotonic() + seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jsvm-guard", daemon=True)
                self._thread.start()
            elif self._sleeping:
                self._sleeping = False
                self._wake.notify()
        return token

    def stop(self, token: int) -> bool:
        """End a watch and disarm its context; returns whether the deadline fired."""
        if not token:
            return False
        with self._lock:
            watch = self._watches.pop(token, None)
            if watch is None:
                return False
            if watch.fired:
                assert self._engine is not None
                self._engine.set_handler(watch.runtime, self._engine.handler, _KEEP_RUNNING)
            return watch.fired

    def fired(self, token: int) -> bool:
        """Whether the call behind ``token`` was interrupted (still being watched)."""
        with self._lock:
            watch = self._watches.get(token)
            return bool(watch and watch.fired)

    def close(self) -> None:
        """Stop the watchdog thread."""
        with self._lock:
            self._closed = True
            self._wake.notify()

    def _run(self) -> None:
        engine = self._engine
        assert engine is not None
        idle_since = time.monotonic()
        with self._lock:
            while not self._closed:
                # PERF: the thread polls while calls run and sleeps after a second without any,
                # so a busy server never pays for waking it (a GIL hand-off) on each call.
                if self._watches:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_SECONDS:
                    self._sleeping = True
                    while self._sleeping and not self._closed:
                        self._wake.wait()
                    idle_since = time.monotonic()
                    continue
                self._wake.wait(WATCH_INTERVAL)
                now = time.monotonic()
                for watch in self._watches.values():
                    if not watch.fired and now >= watch.deadline:
                        watch.fired = True
                        engine.set_handler(watch.runtime, engine.handler, _INTERRUPT)
