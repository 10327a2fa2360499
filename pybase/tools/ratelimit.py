"""Fixed-window request counting per client, as PocketBase's rate limiter.

A :class:`RateLimiter` allows ``max_requests`` per client key in each window of ``seconds``; a
window starts with the client's first request after the previous one ended. Idle clients are
forgotten by :meth:`RateLimiter.clean`.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Protocol


class SharedCounts(Protocol):
    """Windows counted together with other processes (see ``pybase.store.shared.SharedWindows``)."""

    def allow(self, key: str, max_requests: int, seconds: int, now: int) -> bool: ...


class RateLimiter:
    """Counts requests per client key in fixed windows."""

    def __init__(
        self, max_requests: int, seconds: int, forget_after: int = 1800, *, shared: SharedCounts | None = None, name: str = "",
    ) -> None:
        self.max_requests = max_requests
        self.seconds = seconds
        self.forget_after = forget_after
        self._clients: dict[str, list[int]] = {}  # key -> [window start, requests left]
        self._lock = threading.Lock()
        #: counts kept with other processes (worker processes of one server), under ``name``
        self.shared = shared
        self.name = name

    def allow(self, key: str) -> bool:
        """Count one request of ``key``; False when its window has none left."""
        now = int(time.time())
        if self.shared is not None:
            return self.shared.allow(self.name + "\x00" + key, self.max_requests, self.seconds, now)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = [0, 0]
            if now - client[0] >= self.seconds:
                client[0], client[1] = now, self.max_requests
            if client[1] > 0:
                client[1] -= 1
                return True
            return False

    def clean(self) -> None:
        """Forget clients whose last window ended more than ``forget_after`` seconds ago."""
        now = int(time.time())
        with self._lock:
            for key in [k for k, (start, _left) in self._clients.items() if now - (start + self.seconds) > self.forget_after]:
                del self._clients[key]


def ip_in_list(ip: str, ips_or_subnets: list[str]) -> bool:
    """Whether ``ip`` is one of the addresses or inside one of the subnets listed."""
    if not ip or not ips_or_subnets:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for item in ips_or_subnets:
        try:
            if "/" in item:
                if address in ipaddress.ip_network(item, strict=False):
                    return True
            elif address == ipaddress.ip_address(item):
                return True
        except ValueError:
            continue
    return False
