"""Where each request runs: inline on the I/O loop thread, on waitress's worker threads, or in
the slow lane (:class:`DispatchPolicy`)."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("pybase.server")


# Routes that wait on something slow by design run on the worker threads: bcrypt (password
# sign-in, password reset), mail, OAuth2 providers, streams, whole-file and whole-database work.
_OFFLOAD_PREFIXES = (
    "/api/realtime", "/api/backups", "/api/batch", "/api/files/", "/api/settings/test/",
    "/api/collections/import", "/_/",
)
_OFFLOAD_ACTIONS = frozenset({
    "auth-with-password", "auth-with-otp", "auth-with-oauth2", "request-otp",
    "request-password-reset", "confirm-password-reset", "request-verification",
    "confirm-verification", "request-email-change", "confirm-email-change",
})
INLINE_BODY_MAX = 64 << 10
INLINE_SLOW_SECONDS = 0.02
SLOW_STRIKES = 3  # slow runs in a row that hand a route off (one is a GC pause, a checkpoint...)
OFFLOAD_COOLDOWN_SECONDS = 30.0
STALL_SECONDS = 0.25  # an inline request holding the loop this long makes the loop move
MAX_STALLED = 8  # threads still finishing a request after giving the loop away
MAX_OFFLOAD_COOLDOWN_SECONDS = 3600.0
_MAX_TRACKED_ROUTES = 4096


INLINE, WORKERS, SLOW_LANE = "inline", "workers", "slow"


class DispatchPolicy:
    """Decides, per request, between the I/O loop thread and the worker threads.

    PERF: in one CPython process, handing every request to a worker thread costs more than most
    requests themselves: GIL handoffs between the loop and 16+ busy workers cut list throughput
    3x and create 7x (scripts/bench, 16 connections). Quick requests therefore run inline on the
    loop thread. Routes that block by design are always handed off. A route whose inline runs
    took longer than ``slow_seconds`` (or stalled the loop, see :class:`Server`) several times
    in a row is handed off for a cooldown that doubles each time it is found slow again (a JS
    hook calling $http, a bcrypt hash on an auth record create...). One slow run is forgiven:
    a GC pause or a WAL checkpoint must not send a busy route to the slow path for long. The
    loop thread and the watchdog call it, so it keeps to single dict operations and no lock.
    """

    def __init__(self, *, slow_seconds: float = INLINE_SLOW_SECONDS, cooldown: float = OFFLOAD_COOLDOWN_SECONDS) -> None:
        self.slow_seconds = slow_seconds
        self.cooldown = cooldown
        self._offloaded_until: dict[str, float] = {}
        self._cooldowns: dict[str, float] = {}  # routes found slow, until they run quick again
        self._strikes: dict[str, int] = {}  # slow inline runs in a row
        self._quick: dict[str, None] = {}  # routes that ran quick inline (trusted while stalled)

    @staticmethod
    def route_key(method: str, path: str) -> str:
        """Method and the first four path segments: one key per collection's records routes."""
        return method + " " + "/".join(path.split("/", 5)[:5])

    def runs_inline(self, method: str, path: str, content_length: int, accept: str) -> bool:
        return self.lane(method, path, content_length, accept) == INLINE

    def lane(self, method: str, path: str, content_length: int, accept: str, *, stalled: bool = False) -> str:
        """Where a request runs: inline on the loop, on the workers, or in the slow lane.

        While the loop is stalled (``stalled``) only routes known to be quick run inline: the
        rest may be the same slow work under another name (``/posts``, ``/Posts``...).
        """
        if path.startswith(_OFFLOAD_PREFIXES):
            return WORKERS
        if not path.startswith("/api/") and "." in path.rsplit("/", 1)[-1]:
            return WORKERS  # pb_public files, which may be large
        if content_length > INLINE_BODY_MAX or "text/event-stream" in accept:
            return WORKERS
        if path.rsplit("/", 1)[-1] in _OFFLOAD_ACTIONS:
            return WORKERS
        if not self._offloaded_until and not stalled:
            return INLINE
        key = self.route_key(method, path)
        until = self._offloaded_until.get(key)
        if until is not None:
            if until > time.monotonic():
                return SLOW_LANE
            self._offloaded_until.pop(key, None)
        if stalled and key not in self._quick:
            return SLOW_LANE
        return INLINE

    def ran_inline(self, method: str, path: str, seconds: float) -> None:
        """Report an inline run; slow runs in a row send the route to the workers for a while."""
        if seconds < self.slow_seconds:
            key = self.route_key(method, path)
            if key not in self._quick:
                if len(self._quick) >= _MAX_TRACKED_ROUTES:
                    self._quick.clear()
                self._quick[key] = None
            if self._strikes or self._cooldowns:
                self._strikes.pop(key, None)
                self._cooldowns.pop(key, None)
            return
        self.strike(self.route_key(method, path), f"{method} {path} took {seconds * 1000:.0f} ms")

    def strike(self, key: str, why: str) -> None:
        """Count a slow inline run (or a stall) of route ``key``; the last strike hands it off."""
        self._quick.pop(key, None)  # NOTE: no longer trusted to run inline while the loop is stalled
        if len(self._cooldowns) + len(self._strikes) >= _MAX_TRACKED_ROUTES:
            self._cooldowns.clear()
            self._offloaded_until.clear()
            self._strikes.clear()
        strikes = self._strikes.get(key, 0) + 1
        if strikes < SLOW_STRIKES:
            self._strikes[key] = strikes
            return
        self._strikes.pop(key, None)
        cooldown = self.offload(key)
        log.info("%s on the loop thread, %d times in a row: served by worker threads for %.0f s",
                 why, SLOW_STRIKES, cooldown)

    def offload(self, key: str) -> float:
        """Send route ``key`` to the worker threads now; returns its cooldown in seconds."""
        previous = self._cooldowns.get(key)
        cooldown = min(previous * 2, MAX_OFFLOAD_COOLDOWN_SECONDS) if previous else self.cooldown
        self._cooldowns[key] = cooldown
        self._offloaded_until[key] = time.monotonic() + cooldown
        return cooldown

    def is_offloaded(self, method: str, path: str) -> bool:
        """Whether the route is in its cooldown (for tests and diagnostics)."""
        return self._offloaded_until.get(self.route_key(method, path), 0.0) > time.monotonic()

    def cooldown_of(self, method: str, path: str) -> float:
        """The route's current cooldown in seconds (0 when it runs inline)."""
        return self._cooldowns.get(self.route_key(method, path), 0.0)
