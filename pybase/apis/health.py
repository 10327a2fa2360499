"""``/api/health``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon
import orjson

if TYPE_CHECKING:
    from pybase.core.app import App

_BODY = orjson.dumps({"message": "API is healthy.", "code": 200, "data": {}})


def register(api: falcon.App, app: App) -> None:
    """Mount the health route."""
    api.add_route("/api/health", HealthResource())


class HealthResource:
    """Liveness check, answered without touching the database."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{"message": "API is healthy.", "code": 200, "data": {}}``."""
        resp.content_type = "application/json"
        resp.data = _BODY

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Same status and headers, no body."""
        resp.content_type = "application/json"
