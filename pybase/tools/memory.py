"""Give memory the process no longer uses back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

_libc: Any = None


def _load_libc() -> Any:
    # NOTE: glibc's name first: find_library runs ldconfig (a process) and may find nothing in
    # a frozen binary's environment.
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        pass
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def trim_heap() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``); False elsewhere.

    NOTE: glibc keeps what a burst of requests freed (its heaps only shrink from the top), so a
    server idle after a load would keep its peak; this cuts it back to what is in use.
    """
    global _libc
    if _libc is None:
        libc = _load_libc()
        _libc = libc if libc is not None and hasattr(libc, "malloc_trim") else False
    if _libc is False:
        return False
    _libc.malloc_trim(0)
    return True
