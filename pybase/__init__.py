"""pybase: a PocketBase-compatible backend you can also use as a Python framework.

``PyBase`` is the app (hooks as ``app.on_<hook>``, ``app.route``, ``app.cron``,
``app.migration``, ``app.start()``); ``RouteEvent`` is what route handlers receive; handlers
raise ``ApiError`` to answer an error. See README, "Use pybase as a Python framework".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.apis.errors import ApiError
    from pybase.app import PyBase
    from pybase.config import Config
    from pybase.routes import RouteEvent

__all__ = ["ApiError", "Config", "PyBase", "RouteEvent", "__version__"]

# PERF: the names load on first use, so a process that needs little of pybase (the supervisor of
# the worker processes) does not load all of it.
_LAZY = {
    "ApiError": ("pybase.apis.errors", "ApiError"),
    "PyBase": ("pybase.app", "PyBase"),
    "__version__": ("pybase.version", "VERSION"),
    "Config": ("pybase.config", "Config"),
    "RouteEvent": ("pybase.routes", "RouteEvent"),
}


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'pybase' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value
