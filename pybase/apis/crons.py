"""``/api/crons``: list the cron jobs and run one now (superusers only).

- ``GET  /api/crons``       -> ``[{"id", "expression"}]``, the app's jobs before the built-in ones
- ``POST /api/crons/{id}``  -> 204 after starting the job in the background; 404 for an unknown id

The scheduler and PocketBase's built-in jobs live in ``core/cron_jobs.py``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import falcon
import orjson

from pybase.apis.errors import not_found
from pybase.apis.guards import require_superuser
from pybase.apis.request_body import first_param
from pybase.apis.serialize import apply_fields, parse_fields
from pybase.tools.cron import Cron

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.cron")

SYSTEM_PREFIX = "__pb"


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
        resp.data = orjson.dumps(apply_fields([j.to_json() for j in jobs], parse_fields(first_param(req, "fields"))))

    def on_post_item(self, req: falcon.Request, resp: falcon.Response, job_id: str) -> None:
        """Start one job now, in the background (204), or 404."""
        if not scheduler(self.app).run_now(job_id):
            raise not_found("Missing or invalid cron job.")
        resp.status = 204


def scheduler(app: App) -> Cron:
    """The app's scheduler (owned by the core app, with the built-in jobs)."""
    return app.cron
