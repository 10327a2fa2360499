"""``app.logger()``: PocketBase's structured logger, whose entries land in ``_logs``.

Levels are slog's (DEBUG -4, INFO 0, WARN 4, ERROR 8). Attributes come as keyword arguments or
as alternating key/value arguments (``logger.info("saved", "id", rid)``); ``with_(...)`` returns
a logger that adds its attributes to every entry. Entries also go to Python's logging.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.core.logs.store import LogStore

DEBUG, INFO, WARN, ERROR = -4, 0, 4, 8
_PY_LEVELS = {DEBUG: logging.DEBUG, INFO: logging.INFO, WARN: logging.WARNING, ERROR: logging.ERROR}

_python = logging.getLogger("pybase.app")


class Logger:
    """A structured logger writing to the logs store."""

    def __init__(self, store: LogStore | None, attrs: dict[str, Any] | None = None) -> None:
        self.store = store
        self.attrs = dict(attrs or {})

    def with_(self, *args: Any, **attrs: Any) -> Logger:
        """A logger adding these attributes to each entry (slog's ``With``)."""
        return Logger(self.store, {**self.attrs, **pairs(args), **attrs})

    def log(self, level: int, message: str, *args: Any, **attrs: Any) -> None:
        """One entry at ``level`` (an slog level number)."""
        data = {**self.attrs, **pairs(args), **attrs}
        py_level = _PY_LEVELS.get(level, logging.ERROR if level > WARN else logging.INFO)
        if _python.isEnabledFor(py_level):
            _python.log(py_level, "%s %s", message, data if data else "")
        if self.store is not None:
            self.store.add(level, str(message), data)

    def debug(self, message: str, *args: Any, **attrs: Any) -> None:
        self.log(DEBUG, message, *args, **attrs)

    def info(self, message: str, *args: Any, **attrs: Any) -> None:
        self.log(INFO, message, *args, **attrs)

    def warn(self, message: str, *args: Any, **attrs: Any) -> None:
        self.log(WARN, message, *args, **attrs)

    def error(self, message: str, *args: Any, **attrs: Any) -> None:
        self.log(ERROR, message, *args, **attrs)


def pairs(args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """``("k1", v1, "k2", v2)`` as a dict; a lone trailing value goes under ``!BADKEY`` (as slog)."""
    out: dict[str, Any] = {}
    items = list(args)
    i = 0
    while i < len(items):
        key = items[i]
        if isinstance(key, dict):
            out.update(key)
            i += 1
            continue
        if i + 1 >= len(items):
            out["!BADKEY"] = key
            break
        out[str(key)] = items[i + 1]
        i += 2
    return out
