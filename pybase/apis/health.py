"""``/api/health``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon
import orjson

from pybase.apis.client_ip import real_ip
from pybase.apis.guards import is_superuser
from pybase.apis.request_body import first_param
from pybase.apis.serialize import apply_fields, parse_fields

if TYPE_CHECKING:
    from pybase.core.app import App

_BODY = orjson.dumps({"message": "API is healthy.", "code": 200, "data": {}})
# Headers that tell a superuser the server probably runs behind a proxy (as PocketBase's list).
PROXY_HEADERS = ("CF-Connecting-IP", "Fly-Client-IP", "X-Forwarded-For")


def register(api: falcon.App, app: App) -> None:
    """Mount the health route."""
    api.add_route("/api/health", HealthResource(app))


class HealthResource:
    """Liveness check, answered without touching the database."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{"message": "API is healthy.", "code": 200, "data": {}}``; superusers get more data."""
        resp.content_type = "application/json"
        fields = first_param(req, "fields")
        if not is_superuser(req):
            resp.data = _BODY if not fields else orjson.dumps(apply_fields(orjson.loads(_BODY), parse_fields(fields)))
            return
        trusted = self.app.settings_store.live().get("trustedProxy.headers") or []
        proxy_header = next((name for name in (*trusted, *PROXY_HEADERS) if req.get_header(name)), "")
        # NOTE: keys in PocketBase's order, not sorted: its struct's (message, code, data), then
        # the data map's insertion order (Go writes this map in a varying rotation of it; this
        # one most often)
        data = {"canBackup": self.app.backups.active is None, "realIP": real_ip(req), "possibleProxyHeader": proxy_header}
        resp.data = orjson.dumps(apply_fields({"message": "API is healthy.", "code": 200, "data": data}, parse_fields(fields)))

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Same status and headers, no body."""
        resp.content_type = "application/json"
