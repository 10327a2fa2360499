"""``/api/logs``: the request and app logs (superusers only).

- ``GET    /api/logs``        -> a page of entries (``filter``, ``sort``, ``page``, ``perPage``, ``skipTotal``)
- ``GET    /api/logs/stats``  -> ``[{"date", "total"}]`` per hour (``filter``)
- ``GET    /api/logs/{id}``   -> one entry, or 404
- ``DELETE /api/logs``        -> 204 after deleting every entry

As PocketBase, successful calls to these routes are not logged themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import bad_request, not_found
from pybase.apis.guards import require_superuser
from pybase.apis.records import parse_bool_param
from pybase.apis.request_body import first_param
from pybase.apis.serialize import apply_fields, dumps, parse_fields
from pybase.core.logs.store import LogsFilterError, LogsQueryError
from pybase.core.record_query import page_offset, parse_paging

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_BAD_FILTER = "Invalid filter format."
MSG_STATS_FAILED = "Failed to generate logs stats."


def register(api: falcon.App, app: App) -> None:
    """Mount the logs routes."""
    resource = LogsResource(app)
    api.add_route("/api/logs", resource)
    api.add_route("/api/logs/stats", resource, suffix="stats")
    api.add_route("/api/logs/{log_id}", resource, suffix="item")


def _skip_success_log(req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]) -> None:
    req.context.skip_success_log = True


@falcon.before(_skip_success_log)
@falcon.before(require_superuser)
class LogsResource:
    """The entries of ``_logs``."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A page of entries."""
        page, per_page = parse_paging(first_param(req, "page"), first_param(req, "perPage"))
        skip_total = parse_bool_param(first_param(req, "skipTotal"))
        items, total = self.app.logs.list(
            first_param(req, "filter"), first_param(req, "sort"),
            limit=per_page, offset=page_offset(page, per_page), total=not skip_total,
        )  # fmt: skip
        body = {
            "items": apply_fields(items, parse_fields(first_param(req, "fields"))),
            "page": page,
            "perPage": per_page,
            "totalItems": total,
            "totalPages": -1 if skip_total else (total + per_page - 1) // per_page,
        }
        _json(resp, body)

    def on_get_stats(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Entries per hour; 400 "Invalid filter format." for a filter that does not parse or
        resolve, "Failed to generate logs stats." for one the database refuses (as PocketBase)."""
        try:
            stats = self.app.logs.stats(first_param(req, "filter"))
        except LogsFilterError as ex:
            raise bad_request(MSG_BAD_FILTER) from ex
        except LogsQueryError as ex:
            raise bad_request(MSG_STATS_FAILED) from ex
        _json(resp, apply_fields(stats, parse_fields(first_param(req, "fields"))))

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, log_id: str) -> None:
        """One entry."""
        entry = self.app.logs.find(log_id)
        if entry is None:
            raise not_found()
        _json(resp, apply_fields(entry, parse_fields(first_param(req, "fields"))))

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete every entry."""
        self.app.logs.delete_all()
        resp.status = 204


def _json(resp: falcon.Response, body: Any) -> None:
    resp.content_type = "application/json"
    resp.data = dumps(body)
