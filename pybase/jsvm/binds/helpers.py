"""Small globals for JS: ``sleep``, and the byte conversions behind ``toString``/``readerToString``/``toBytes``."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.jsvm.binds.event import _bytes

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def sleep(ex: Executor, ms: Any) -> None:
    seconds = max(0.0, float(ms or 0) / 1000.0)
    # NOTE: the guard interrupts the handler as soon as it is back in JS; don't sleep past that.
    time.sleep(min(seconds, ex.runtime.timeout))


def bytes_to_string(ex: Executor, data: Any) -> str:
    return _bytes(data).decode("utf-8", "replace")


def bytes_base64(ex: Executor, data: Any) -> str:
    """Bytes as Go's JSON writes a []byte (toString() of a value holding some)."""
    return base64.b64encode(_bytes(data)).decode()


def bytes_from_string(ex: Executor, text: Any) -> bytes:
    return ("" if text is None else str(text)).encode()


OPS: dict[str, Callable[..., Any]] = {
    "sleep": sleep,
    "bytes.toString": bytes_to_string,
    "bytes.fromString": bytes_from_string,
    "bytes.base64": bytes_base64,
}
