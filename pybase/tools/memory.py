"""Give memory the process no longer uses back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import linecache
import logging
import os
import signal
import sys
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
    server idle after a load would keep its peak; this cuts it back to what is in use. Python's
    cache of source lines goes first: a logged traceback reads every file it names and keeps
    them (~0.4 MB a worker after the bench's sign-ins, whose alert mails fail without SMTP).
    """
    global _libc
    linecache.clearcache()
    if _libc is None:
        libc = _load_libc()
        _libc = libc if libc is not None and hasattr(libc, "malloc_trim") else False
    if _libc is False:
        return False
    _libc.malloc_trim(0)
    return True



#: debug only: a directory. A serving process then writes what its memory holds there on SIGUSR2
#: (see :func:`install_memory_dump`); start the server with ``PYTHONTRACEMALLOC=N`` as well for
#: tracemalloc snapshots of N frames (startup then takes minutes: its imports are traced too)
DUMP_ENV = "PYBASE_MEMORY_DUMP"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def install_memory_dump() -> bool:
    """Debug: with :data:`DUMP_ENV` set, SIGUSR2 writes ``mem-<pid>-<n>.txt`` into that directory
    (RSS, threads, SQLite's and glibc malloc's figures, the modules loaded, then pymalloc's
    statistics) and, while tracemalloc traces, ``mem-<pid>-<n>.tracemalloc`` (load it with
    ``tracemalloc.Snapshot.load`` and ``compare_to`` another). The C heap is trimmed first, as
    the idle server does. Main thread only; False (nothing installed) when the variable is unset.
    NOTE: a process signalled before it installs this dies (SIGUSR2's default): wait until it serves."""
    directory = os.environ.get(DUMP_ENV)
    if not directory:
        return False
    os.makedirs(directory, exist_ok=True)
    taken = [0]

    def dump(*_: Any) -> None:
        taken[0] += 1
        try:
            _dump(os.path.join(directory, f"mem-{os.getpid()}-{taken[0]}"))
        except Exception:  # noqa: BLE001 - a debug aid never stops the server
            logging.getLogger("pybase").exception("memory dump failed")

    signal.signal(signal.SIGUSR2, dump)
    return True


def _dump(base: str) -> None:
    import gc
    import threading
    import tracemalloc

    trim_heap()
    snapshot = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
    if snapshot is not None:
        snapshot.dump(base + ".tracemalloc")
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
        rss = next((line.split(":", 1)[1].strip() for line in status if line.startswith("VmRSS")), "?")
    lines = [f"rss {rss}; traced {tracemalloc.get_traced_memory()[0] >> 10} kB; gc objects {len(gc.get_objects())}; "
             f"modules {len(sys.modules)}; threads {threading.active_count()}"]
    lines += sorted(f"thread {t.name}" for t in threading.enumerate())
    driver = sys.modules.get("pysqlite3._sqlite3") or sys.modules.get("_sqlite3")
    if getattr(driver, "__file__", None):
        used = ctypes.CDLL(driver.__file__).sqlite3_memory_used  # type: ignore[union-attr]
        used.restype = ctypes.c_int64
        lines.append(f"sqlite memory used {used() >> 10} kB")
    libc = _load_libc()
    if libc is not None and hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        lines.append(f"malloc: heap {info.arena >> 10} kB, mmapped {info.hblkhd >> 10} kB, in use {info.uordblks >> 10} kB, "
                     f"free {info.fordblks >> 10} kB")
    lines += _caches()
    if snapshot is not None:
        lines += [str(stat) for stat in snapshot.statistics("filename")[:60]]
    lines += sorted(f"module {name}" for name in list(sys.modules))
    with open(base + ".txt", "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        out.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)  # NOTE: pymalloc's statistics go to the C stderr
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _caches() -> list[str]:
    """The caches the process holds: functools.lru_cache's and SQLAlchemy's LRU caches (entries
    now / bound), biggest first."""
    import functools
    import gc

    lru = sys.modules.get("sqlalchemy.util._collections")
    kinds = (functools._lru_cache_wrapper,) + ((lru.LRUCache,) if lru is not None and hasattr(lru, "LRUCache") else ())
    found = []
    for obj in gc.get_objects():
        if not isinstance(obj, kinds):
            continue
        if isinstance(obj, functools._lru_cache_wrapper):
            info = obj.cache_info()
            if info.currsize:
                found.append((info.currsize, f"cache {info.currsize}/{info.maxsize} {obj.__module__}.{obj.__qualname__}"))
        elif len(obj):
            found.append((len(obj), f"cache {len(obj)}/{obj.capacity} sqlalchemy LRUCache"))
    return [text for _, text in sorted(found, reverse=True)]
