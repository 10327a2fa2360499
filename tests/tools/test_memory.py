"""tools/memory: the idle release and the debug dump (PYBASE_MEMORY_DUMP)."""

from __future__ import annotations

import linecache
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from pybase.tools.memory import DUMP_ENV, install_memory_dump, trim_heap


def test_trim_heap_drops_the_source_lines_a_traceback_read() -> None:
    assert linecache.getline(__file__, 1)
    assert __file__ in linecache.cache
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")
    assert __file__ not in linecache.cache


def test_memory_dump_is_off_without_its_variable(monkeypatch) -> None:
    monkeypatch.delenv(DUMP_ENV, raising=False)
    before = signal.getsignal(signal.SIGUSR2)
    assert install_memory_dump() is False
    assert signal.getsignal(signal.SIGUSR2) is before


def test_sigusr2_writes_a_memory_dump(tmp_path: Path) -> None:
    """With the variable set, SIGUSR2 writes the process's figures (and a tracemalloc snapshot
    while tracing) without stopping it."""
    code = (
        "import os, signal, time, functools\n"
        "from pybase.tools.memory import install_memory_dump\n"
        "assert install_memory_dump()\n"
        "cached = functools.lru_cache(maxsize=8)(lambda x: x)\n"
        "cached(1)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    env = {**os.environ, DUMP_ENV: str(tmp_path / "dumps"), "PYTHONTRACEMALLOC": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 30
        text = tmp_path / "dumps" / f"mem-{proc.pid}-1.txt"
        while time.monotonic() < deadline and not (text.exists() and "PyTupleObjects" in text.read_text()):
            time.sleep(0.1)
        body = text.read_text()
        assert body.startswith("rss ")
        assert "thread MainThread" in body and "module pybase.tools.memory" in body
        assert "cache 1/8 __main__.<lambda>" in body
        assert "free 1-sized PyTupleObjects" in body  # sys._debugmallocstats (its arenas: untraced only)
        if platform.libc_ver()[0] == "glibc":
            assert "malloc: heap " in body
        assert (tmp_path / "dumps" / f"mem-{proc.pid}-1.tracemalloc").stat().st_size > 0
        assert proc.poll() is None  # still running
    finally:
        proc.kill()
        proc.wait(10)
