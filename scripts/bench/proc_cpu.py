"""CPU time of a process and its descendants (Linux /proc), and waiting until processes are idle.

Shared by the benchmarks that put two servers side by side: a server is not idle when its load
ends (PocketBase writes its request logs for seconds after a run), and a run measured while the
other server drains shares the machine with it (#16's bimodal results).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path


def tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it (pybase's worker processes)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    """User+system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(root: str) -> float:
    """CPU time of the Postgres server whose cluster is in ``root``/data: the postmaster, its
    live backends, and the backends that exited (the postmaster's reaped children)."""
    try:
        postmaster = int(Path(root, "data", "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return 0.0
    total = cpu_seconds(tree_pids(postmaster))
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return total
    return total + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """CPU time of the process trees under ``roots`` together."""
    return sum(cpu_seconds(tree_pids(root)) for root in roots)


def wait_quiet(roots: Iterable[int], busy: float = 0.05, timeout: float = 60.0) -> float:
    """Wait until the process trees under ``roots`` use less than ``busy`` of a core together
    (over 0.5 s), at most ``timeout`` seconds; returns the seconds waited."""
    roots = list(roots)
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        before = tree_cpu_seconds(roots)
        time.sleep(0.5)
        if tree_cpu_seconds(roots) - before < busy * 0.5:
            break
    return round(time.monotonic() - start, 1)
