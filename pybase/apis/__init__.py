"""The HTTP layer: builds the Falcon WSGI app from the core app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis import (
    backups,
    batch,
    collections,
    crons,
    errors,
    files,
    health,
    logs,
    realtime,
    record_auth,
    records,
    settings,
    sql,
    static,
)
from pybase.apis.client_ip import ClientIpMiddleware, SuperuserIpsMiddleware
from pybase.apis.middleware import (
    ActivityLogMiddleware,
    AuthMiddleware,
    BodyLimitMiddleware,
    CorsMiddleware,
    GzipMiddleware,
    RoutingMiddleware,
    SecurityHeadersMiddleware,
    StatementLimitMiddleware,
)
from pybase.apis.ratelimit import RateLimitMiddleware

if TYPE_CHECKING:
    from pybase.core.app import App


def create_wsgi_app(
    app: App,
    *,
    dashboard_dir: str | None = None,
    public_dir: str | None = None,
    origins: list[str] | None = None,
    index_fallback: bool = True,
) -> falcon.App:
    """The WSGI app: middleware in PocketBase's order, then one ``register`` per API area."""
    api = _App(
        middleware=[
            GzipMiddleware(),  # NOTE: first, so its process_response runs last, on the final body
            files.UploadsCleanupMiddleware(),
            RoutingMiddleware(),
            ClientIpMiddleware(app),
            ActivityLogMiddleware(app),
            StatementLimitMiddleware(app.query_timeout),
            CorsMiddleware(origins),
            AuthMiddleware(app),
            SuperuserIpsMiddleware(app),
            RateLimitMiddleware(app),
            SecurityHeadersMiddleware(),
            BodyLimitMiddleware(),
        ],
        cors_enable=False,
        request_type=_Request,
    )
    api.req_options.strip_url_path_trailing_slash = False
    api.req_options.auto_parse_qs_csv = False
    api.req_options.keep_blank_qs_values = True
    errors.install(api)
    health.register(api, app)
    collections.register(api, app)
    records.register(api, app)
    record_auth.register(api, app)
    crons.register(api, app)
    logs.register(api, app)
    realtime.register(api, app)
    batch.register(api, app)
    backups.register(api, app)
    sql.register(api, app)
    files.register(api, app)
    settings.register(api, app)
    static.register(api, app, dashboard_dir=dashboard_dir, public_dir=public_dir, index_fallback=index_fallback)
    return api


class _Request(falcon.Request):
    """Falcon's request reading a repeated query key as PocketBase: its first value (Go's
    ``url.Values.Get``); falcon's ``get_param`` gives the last (``?sort=nope&sort=id`` sorted by
    id where PocketBase refuses the sort)."""

    def get_param(
        self, name: str, required: bool = False, store: dict[str, Any] | None = None, default: Any = None, **kwargs: Any
    ) -> Any:
        # PERF: the lookup inline, as falcon's own (every route reads several query keys; a
        # call through super() with *args cost ~0.7 us more each)
        value = self._params.get(name, _MISSING)
        if value is _MISSING or (kwargs and type(value) is list and not kwargs.get("allow_multiple", True)):
            return super().get_param(name, required, store, default, **kwargs)
        if type(value) is list:
            value = value[0]
        if store is not None:
            store[name] = value
        return value


_MISSING = object()


#: set in a request's environ when its answer must carry no Content-Type whatever its status (a
#: hook's e.noContent(200): Go's NoContent writes none; falcon adds its default to a 200)
NO_CONTENT_TYPE_ENV = "pybase.no_content_type"


class _App(falcon.App):
    """Falcon's app with HEAD answered by every GET route (without the body), as Go's router."""

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        suffix = kwargs.get("suffix")
        get, head = ("on_get", "on_head") if not suffix else (f"on_get_{suffix}", f"on_head_{suffix}")
        if hasattr(resource, get) and not hasattr(resource, head):
            setattr(resource, head, getattr(resource, get))
        super().add_route(uri_template, resource, **kwargs)

    def __call__(self, env: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # NOTE: as Go's router: a redirect without a body has no Content-Type (falcon adds its
            # default media type to every answer but 204/304).
            if (status[:1] == "3" and ("content-length", "0") in headers) or env.get(NO_CONTENT_TYPE_ENV):
                headers = [h for h in headers if h[0] != "content-type"]
            return start_response(status, headers, exc_info)

        return super().__call__(env, start)
