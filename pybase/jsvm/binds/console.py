"""``console`` for JS: ``console.log/info/warn/error/debug`` to the ``pybase.jsvm.console`` logger."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

console_log = logging.getLogger("pybase.jsvm.console")


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def console(ex: Executor, level: str, message: str) -> None:
    if not console_log.hasHandlers():
        # NOTE: before the server configures logging (top-level code of the hooks files,
        # onBootstrap), console output still reaches the terminal, as PocketBase's does.
        print(message, file=sys.stderr, flush=True)
        return
    console_log.log(_LEVELS.get(level, logging.INFO), "%s", message)


OPS: dict[str, Callable[..., Any]] = {
    "log": console,
}
