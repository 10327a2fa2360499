"""``cronAdd``/``cronRemove`` from JS: the app scheduler's jobs that the hooks own.

Jobs registered at load time are swapped in with the rest of a generation: a reload removes the
previous generation's jobs, puts back any built-in job that it had removed (``cronRemove
("__pbOTPCleanup__")``), then applies the new registrations in file order. A job runs its
handler on a borrowed executor, under the same time limit as any hook; a failure is logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pybase.apis.crons import scheduler
from pybase.core.events import AppEvent
from pybase.tools.cron import Cron, Job

if TYPE_CHECKING:
    from pybase.jsvm.loader import Registration
    from pybase.jsvm.pool import Handler
    from pybase.jsvm.runtime import JsRuntime

log = logging.getLogger("pybase.jsvm")


class JsCrons:
    """The JS-owned jobs of one runtime, and the foreign jobs JS removed."""

    def __init__(self, runtime: JsRuntime) -> None:
        self.runtime = runtime
        self._lock = threading.RLock()
        self._owned: set[str] = set()
        self._removed: dict[str, Job] = {}

    @property
    def cron(self) -> Cron:
        """The app's scheduler."""
        return scheduler(self.runtime.app)

    def add(self, job_id: str, expr: str, handler: Handler) -> None:
        """Schedule ``handler`` as job ``job_id`` (replacing any job with that id)."""
        with self._lock:
            cron = self.cron
            previous = cron.get(job_id)
            if previous is not None and job_id not in self._owned:
                self._removed.setdefault(job_id, previous)
            cron.add(job_id, expr, lambda: self._run(job_id, handler))
            self._owned.add(job_id)

    def remove(self, job_id: str) -> None:
        """Unschedule a job (a built-in one comes back on the next reload)."""
        with self._lock:
            job = self.cron.remove(job_id)
            if job is not None and job_id not in self._owned:
                self._removed.setdefault(job_id, job)
            self._owned.discard(job_id)

    def swap(self, registrations: Iterable[Registration]) -> None:
        """Replace the JS jobs with those of a new generation of hooks."""
        regs = [r for r in registrations if r.kind in ("cron", "cronRemove")]
        with self._lock:
            if not regs and not self._owned and not self._removed:
                return
            cron = self.cron
            for job_id in self._owned:
                cron.remove(job_id)
            self._owned = set()
            for job_id, job in self._removed.items():
                if cron.get(job_id) is None:
                    cron.add(job.id, job.expression, job.fn)
            self._removed = {}
            for reg in regs:
                if reg.kind == "cron" and reg.handler is not None:
                    self.add(reg.name, reg.expression, reg.handler)
                else:
                    self.remove(reg.name)

    def _run(self, job_id: str, handler: Handler) -> None:
        try:
            self.runtime.pool.run(handler, AppEvent(self.runtime.app))
        except Exception as ex:  # noqa: BLE001 - a failing job is logged, as PocketBase's
            log.error("[cronAdd] failed to execute cron job %s: %s", job_id, ex)
