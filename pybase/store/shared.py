"""What the worker processes of one data dir share: a write lock and a few counters.

Several ``pybase serve --workers N`` processes write one SQLite file. SQLite's own busy handler
sleeps between retries (1, 2, 5 ... 100 ms) and a release never wakes it, so queued writers
waited up to a second (../shared/research/sqlite-multiprocess.md). :class:`ProcessLock` queues
them in the kernel instead (``flock`` before ``BEGIN IMMEDIATE``): a release wakes the next.

:class:`SharedCounters` is one page of a file mapped by every process: reading a counter is a
memory read, so a request can check "did another process change the collections?" for free.
Counters are only changed by a process holding the write lock, except the realtime client
counts: one slot per live worker, each written by its worker alone.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading

_SLOT = struct.Struct("<Q")
#: counter slots of the shared page
GENERATION = 0  # collections, settings: bumped on every change of either
REALTIME_SEQ = 1  # realtime changes published so far (the bus orders them by it)
CLIENT_SLOTS = 8  # from here: the realtime clients each live worker holds (one slot per worker)
MAX_CLIENT_SLOTS = 256


class ProcessLock:
    """An exclusive lock between processes (``flock`` on a file beside the database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._local = threading.local()

    def acquire(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass


class SharedCounters:
    """A page of 64-bit counters shared by every process that maps ``path``."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < mmap.PAGESIZE:
                os.ftruncate(fd, mmap.PAGESIZE)
            self._map = mmap.mmap(fd, mmap.PAGESIZE)
        finally:
            os.close(fd)

    def get(self, slot: int) -> int:
        return int(_SLOT.unpack_from(self._map, slot * _SLOT.size)[0])

    def bump(self, slot: int) -> int:
        """Add one (the caller holds the write lock); returns the new value."""
        value = self.get(slot) + 1
        _SLOT.pack_into(self._map, slot * _SLOT.size, value)
        return value

    def bump_own(self, slot: int, seen: int) -> int:
        """Add one for a change of the caller's own (it holds the write lock); returns what the
        caller has now seen: the new value when ``seen`` was the value before, else ``seen``
        unchanged, so the changes of others it has not seen yet still make it reload."""
        before = self.get(slot)
        after = self.bump(slot)
        return after if before == seen else seen

    def set(self, slot: int, value: int) -> None:
        """Write ``slot`` (its one writer: the lock holder, or the worker that owns it)."""
        _SLOT.pack_into(self._map, slot * _SLOT.size, value)

    def total(self, first: int, count: int) -> int:
        """The sum of ``count`` slots from ``first`` (one read of them all)."""
        return sum(struct.unpack_from(f"<{count}Q", self._map, first * _SLOT.size))

    def close(self) -> None:
        try:
            self._map.close()
        except (BufferError, ValueError):
            pass


_WINDOW = struct.Struct("<QqqI4x")  # key hash, window start, window end (unix s), requests left
_WINDOW_SLOTS = 8192
_PROBES = 16


class SharedWindows:
    """Fixed-window request counts shared by every worker (rate limits that hold in total).

    An open-addressing table of :data:`_WINDOW_SLOTS` windows in a mapped file, changed under a
    file lock. A window is found by its key's hash; a full neighbourhood reuses the window that
    ended first (a client forgotten early gets a fresh window, as after ``clean``).
    """

    def __init__(self, path: str) -> None:
        size = _WINDOW.size * _WINDOW_SLOTS
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._lock = ProcessLock(path + ".lock")
        self._thread_lock = threading.Lock()

    def allow(self, key: str, max_requests: int, seconds: int, now: int) -> bool:
        """Count one request of ``key``; False when its window has none left (as RateLimiter)."""
        import hashlib

        wanted = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") | 1
        with self._thread_lock:
            self._lock.acquire()
            try:
                return self._allow(wanted, max_requests, seconds, now)
            finally:
                self._lock.release()

    def _allow(self, wanted: int, max_requests: int, seconds: int, now: int) -> bool:
        free = oldest = -1
        oldest_end = 0
        home = wanted % _WINDOW_SLOTS
        for probe in range(_PROBES):
            slot = (home + probe) % _WINDOW_SLOTS
            found, start, end, left = _WINDOW.unpack_from(self._map, slot * _WINDOW.size)
            if found == wanted:
                if now - start >= seconds:
                    start, left = now, max_requests
                allowed = left > 0
                _WINDOW.pack_into(self._map, slot * _WINDOW.size, wanted, start, start + seconds, max(left - 1, 0))
                return allowed
            if found == 0 and free < 0:
                free = slot
            elif oldest < 0 or end < oldest_end:
                oldest, oldest_end = slot, end
        slot = free if free >= 0 else oldest
        _WINDOW.pack_into(self._map, slot * _WINDOW.size, wanted, now, now + seconds, max(max_requests - 1, 0))
        return max_requests > 0

    def close(self) -> None:
        self._lock.close()
        try:
            self._map.close()
        except (BufferError, ValueError):
            pass
