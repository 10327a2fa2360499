"""A crontab-like scheduler (PocketBase's ``tools/cron``): jobs by id, checked once a minute.

Expressions have the standard 5 fields (minute, hour, day of month, month, day of week) or are
one of PocketBase's macros (``@hourly``...); parsing and matching are croniter's. As PocketBase's
``Schedule.IsDue``, a moment must match *both* the day-of-month and the day-of-week fields, and
the clock is UTC. One thread wakes at every minute boundary and starts each due job on its own
thread, so a slow job never delays the others or the next tick.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from croniter import croniter

log = logging.getLogger("pybase.cron")

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

DEFAULT_INTERVAL = 60.0  # seconds between ticks: the smallest schedule step is one minute


_PLUS_RE = re.compile(r"\+(?=\d)")


class CronError(ValueError):
    """An invalid job id or cron expression."""


def parse_expression(expr: str) -> str:
    """The 5-field form of ``expr`` (macros expanded); raises :class:`CronError` when invalid."""
    raw = str(expr or "").strip()
    expanded = MACROS.get(raw.lower(), raw)
    parts = expanded.split()
    if len(parts) != 5:
        # NOTE: 6/7-field forms (seconds, years) are refused: the minimum interval is 1 minute.
        raise CronError(f"invalid cron expression {expr!r}: expected 5 fields or a macro")
    # NOTE: PocketBase reads each number with Go's Atoi, which takes a leading "+" ("+5").
    normalized = " ".join(_PLUS_RE.sub("", part) for part in parts)
    if not croniter.is_valid(normalized):
        raise CronError(f"invalid cron expression {expr!r}")
    return normalized


def is_due(normalized: str, moment: datetime) -> bool:
    """Whether a 5-field expression matches ``moment`` (to the minute)."""
    minute = moment.replace(second=0, microsecond=0)
    return bool(croniter.match(normalized, minute, day_or=False))


@dataclass
class Job:
    """One registered job: its id, its expression as given, and what it runs."""

    id: str
    expression: str
    fn: Callable[[], object]
    normalized: str = field(default="", repr=False)

    def run(self) -> None:
        """Run the job on the calling thread; errors are logged, never raised."""
        try:
            self.fn()
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            log.exception("cron job %r failed", self.id)

    def to_json(self) -> dict[str, str]:
        """``{"id", "expression"}`` as ``GET /api/crons`` lists it (a macro shows expanded, as PocketBase)."""
        return {"id": self.id, "expression": MACROS.get(self.expression.strip(), self.expression)}


class Cron:
    """Jobs by id and the ticker thread that runs them when due."""

    def __init__(self, *, interval: float = DEFAULT_INTERVAL, clock: Callable[[], datetime] | None = None) -> None:
        self.interval = interval
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running: set[threading.Thread] = set()

    # ---- jobs --------------------------------------------------------------------------

    def add(self, job_id: str, expr: str, fn: Callable[[], object]) -> Job:
        """Register (or replace) a job; raises :class:`CronError` for a bad id or expression."""
        if not job_id:
            raise CronError("a cron job needs a non-empty id")
        if not callable(fn):
            raise CronError("a cron job needs a function")
        job = Job(str(job_id), str(expr), fn, parse_expression(expr))
        with self._lock:
            # NOTE: as PocketBase, a replaced job moves to the end of the list.
            self._jobs.pop(job.id, None)
            self._jobs[job.id] = job
        return job

    def remove(self, job_id: str) -> Job | None:
        """Unregister a job; returns it (None when there was none)."""
        with self._lock:
            return self._jobs.pop(str(job_id), None)

    def remove_all(self) -> None:
        """Unregister every job."""
        with self._lock:
            self._jobs.clear()

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        with self._lock:
            return self._jobs.get(str(job_id))

    def jobs(self) -> list[Job]:
        """The registered jobs, in registration order (a copy)."""
        with self._lock:
            return list(self._jobs.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    # ---- running -----------------------------------------------------------------------

    def run_now(self, job_id: str) -> bool:
        """Start a job at once on its own thread; False when no job has that id."""
        job = self.get(job_id)
        if job is None:
            return False
        self._spawn(job)
        return True

    def run_due(self, moment: datetime) -> list[str]:
        """Start every job due at ``moment``; returns their ids."""
        started = []
        for job in self.jobs():
            try:
                due = is_due(job.normalized, moment)
            except Exception:  # noqa: BLE001 - one odd expression must not stop the tick
                log.exception("cron job %r: cannot evaluate %r", job.id, job.expression)
                continue
            if due:
                self._spawn(job)
                started.append(job.id)
        return started

    def _spawn(self, job: Job) -> None:
        def target() -> None:
            try:
                job.run()
            finally:
                with self._lock:
                    self._running.discard(thread)

        thread = threading.Thread(target=target, name=f"cron-{job.id}", daemon=True)
        with self._lock:
            self._running.add(thread)
        thread.start()

    # ---- the ticker --------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the ticker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the ticker (a no-op when already started)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._tick_loop, args=(self._stop,), name="cron", daemon=True)
            self._thread.start()

    def stop(self, *, wait: float = 5.0) -> None:
        """Stop the ticker and wait up to ``wait`` seconds for running jobs to finish."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=wait)
        deadline = time.monotonic() + wait
        for running in list(self._running):
            if running is not threading.current_thread():
                running.join(timeout=max(0.0, deadline - time.monotonic()))

    def _tick_loop(self, stop: threading.Event) -> None:
        # NOTE: as PocketBase, ticks are aligned on multiples of the interval (the top of each
        # minute) and the moment checked is the tick's own time. The small margin makes sure a
        # wake-up lands after the boundary; ``last`` keeps one minute from being run twice.
        last = None
        while not stop.wait(self.interval - (time.time() % self.interval) + _MARGIN):
            moment = self._clock().replace(second=0, microsecond=0)
            if self.interval >= 60 and moment == last:
                continue
            last = moment
            try:
                self.run_due(moment)
            except Exception:  # noqa: BLE001 - the ticker must survive anything
                log.exception("cron tick failed")


_MARGIN = 0.01
