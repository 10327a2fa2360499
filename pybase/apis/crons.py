"""``/api/crons``: list the cron jobs and run one now (superusers only).

- ``GET  /api/crons``       -> ``[{"id", "expression"}]``, the app's jobs before the built-in ones
- ``POST /api/crons/{id}``  -> 204 after starting the job in the background; 404 for an unknown id

Also where an app gets its scheduler (:func:`scheduler`) with PocketBase's built-in jobs:
``__pbDBOptimize__`` (``PRAGMA optimize``), ``__pbMFACleanup__`` and ``__pbOTPCleanup__``
(expired ``_mfas``/``_otps`` rows). ``__pbLogsCleanup__`` is left out until pybase keeps logs.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import falcon
import orjson

from pybase.apis.errors import not_found
from pybase.apis.guards import require_superuser
from pybase.tools.cron import Cron
from pybase.tools.types import format_datetime, now

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.cron")

SYSTEM_PREFIX = "__pb"
_create_lock = threading.Lock()


def register(api: falcon.App, app: App) -> None:
    """Mount the crons routes."""
    api.add_route("/api/crons", CronsResource(app))
    api.add_route("/api/crons/{job_id}", CronsResource(app), suffix="item")


@falcon.before(require_superuser)
class CronsResource:
    """The app's cron jobs."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List the jobs (``{"id", "expression"}``), user jobs by id first, then the built-in ones."""
        jobs = scheduler(self.app).jobs()
        # NOTE: PocketBase's order: jobs whose id starts with "__pb" last (in registration
        # order), the others sorted by id.
        jobs.sort(key=lambda j: (j.id.startswith(SYSTEM_PREFIX), "" if j.id.startswith(SYSTEM_PREFIX) else j.id))
        resp.content_type = "application/json"
        resp.data = orjson.dumps([j.to_json() for j in jobs])

    def on_post_item(self, req: falcon.Request, resp: falcon.Response, job_id: str) -> None:
        """Start one job now, in the background (204), or 404."""
        if not scheduler(self.app).run_now(job_id):
            raise not_found("Missing or invalid cron job.")
        resp.status = 204


def scheduler(app: App) -> Cron:
    """The app's scheduler, made on first use with the built-in jobs registered."""
    cron = app.__dict__.get("cron")
    if cron is None:
        with _create_lock:
            cron = app.__dict__.get("cron")
            if cron is None:
                cron = Cron()
                _register_system_jobs(cron, app)
                app.__dict__["cron"] = cron
    return cast(Cron, cron)


# ---- built-in jobs ---------------------------------------------------------------------------
# TODO: these belong in core once core/app.py owns the scheduler (issue 4).


def _register_system_jobs(cron: Cron, app: App) -> None:
    cron.add("__pbDBOptimize__", "0 0 * * *", lambda: optimize_db(app))
    cron.add("__pbMFACleanup__", "0 * * * *", lambda: delete_expired(app, "_mfas", "mfa", 600))
    cron.add("__pbOTPCleanup__", "0 * * * *", lambda: delete_expired(app, "_otps", "otp", 180))


def optimize_db(app: App) -> None:
    """``PRAGMA optimize`` on the main database, through the serialized writer."""
    with app.db.write() as conn:
        conn.exec_driver_sql("PRAGMA optimize")


def delete_expired(app: App, table: str, option: str, default_duration: int) -> int:
    """Delete the rows of ``_mfas``/``_otps`` older than their auth collection's duration.

    As PocketBase's ``DeleteExpiredOTPs``/``MFAs``: for every auth collection (even with the
    feature disabled), through ``app.delete`` so the record hooks fire. Returns the count.
    """
    target = app.registry.find(table)
    if target is None:
        return 0
    deleted = 0
    for col in app.registry.all():
        if not col.is_auth:
            continue
        duration = (col.auth.get(option) or {}).get("duration") or default_duration
        cutoff = format_datetime(now() - timedelta(seconds=int(duration)))
        where: list[Any] = [target.table.c.collectionRef == col.id, target.table.c.created < cutoff]
        while True:
            page = app.records.list_page(target, where=where, per_page=200, skip_total=True)
            if not page.records:
                break
            for record in page.records:
                app.delete(record)
                deleted += 1
    return deleted
