"""``console`` for JS: ``console.log/info/warn/error/debug`` to the ``pybase.jsvm.console`` logger."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor
import logging

console_log = logging.getLogger("pybase.jsvm.console")


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def console(ex: Executor, level: str, message: str) -> None:
    console_log.log(_LEVELS.get(level, logging.INFO), "%s", message)


OPS: dict[str, Callable[..., Any]] = {
    "log": console,
}
