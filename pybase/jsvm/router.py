"""JS routes: ``routerAdd``/``routerUse`` tables and the Falcon middleware that dispatches them.

Routes are matched in ``process_request``, before Falcon's own router, so a reload swaps the
whole table with one assignment and in-flight requests finish on the table they started with.
Paths use PocketBase's (Go 1.22 mux) patterns: ``/hello/{name}``, ``/files/{path...}``, a
trailing ``/`` matching the whole subtree, and ``{$}`` for "exactly this path".
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import MSG_FORBIDDEN_RECORD, MSG_SUPERUSERS_ONLY, ApiError, unauthorized
from pybase.apis.middleware import DEFAULT_BODY_LIMIT, path_values
from pybase.apis.static import StaticDir
from pybase.core.events import RequestEvent
from pybase.jsvm.binds.event import written
from pybase.jsvm.errors import as_api_error
from pybase.jsvm.loader import MiddlewareSpec, Registration
from pybase.jsvm.pool import Handler
from pybase.tools.hook import Hook

log = logging.getLogger("pybase.jsvm")

if TYPE_CHECKING:
    from pybase.jsvm.runtime import JsRuntime

_SEGMENT_RE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}$")
ANY_METHOD = ""


class RouteEvent(RequestEvent):
    """The event a ``routerAdd`` handler and its middlewares receive."""

    def __init__(self, app: Any, req: falcon.Request, resp: falcon.Response, params: dict[str, str]) -> None:
        super().__init__(app)
        self.request = req
        self.response = resp
        self.auth = getattr(req.context, "auth", None)
        self.params = params


class PatternError(ValueError):
    """A route path that is not a valid pattern."""


def compile_pattern(path: str) -> tuple[re.Pattern[str], list[str], str | None]:
    """``path`` as a regex, its wildcard names, and the literal path when it has no wildcard."""
    if not path.startswith("/"):
        raise PatternError(f"route path must start with '/': {path!r}")
    exact_slash = path.endswith("/{$}")
    if exact_slash:
        path = path[: -len("{$}")]
    subtree = path.endswith("/") and not exact_slash
    segments = [s for s in path.strip("/").split("/")] if path.strip("/") else []
    names: list[str] = []
    parts: list[str] = []
    for index, segment in enumerate(segments):
        match = _SEGMENT_RE.match(segment)
        if match is None:
            if "{" in segment or "}" in segment:
                raise PatternError(f"wildcards must be whole path segments: {path!r}")
            parts.append(re.escape(segment))
            continue
        names.append(match.group(1))
        if match.group(2):
            if index != len(segments) - 1:
                raise PatternError(f"a {{name...}} wildcard must be last: {path!r}")
            parts.append("(.*)")
        else:
            parts.append("([^/]+)")
    regex = "/" + "/".join(parts)
    if parts and (exact_slash or subtree):
        regex += "/"
    if subtree:
        regex += ".*"
    literal = path if not names and not subtree else None
    return re.compile("^" + regex + "$"), names, literal


@dataclass
class Route:
    """One ``routerAdd`` route, its middlewares bound on a hook chain."""

    method: str
    path: str
    pattern: re.Pattern[str]
    names: list[str]
    chain: Hook[Any]
    handler: Handler | Callable[[Any], Any]  # JS source, or a built-in handler ($apis.static)
    body_limit: int = DEFAULT_BODY_LIMIT  # bytes ($apis.bodyLimit(n) among its middlewares sets it)


class RouteTable:
    """An immutable set of routes plus the global (``routerUse``) middlewares."""

    def __init__(self, runtime: JsRuntime, registrations: Iterable[Registration]) -> None:
        regs = list(registrations)
        self.runtime = runtime
        self.uses: list[MiddlewareSpec] = [m for r in regs if r.kind == "use" for m in r.middlewares]
        self.global_chain = self._chain(self.uses, "routerUse")
        self.exact: dict[tuple[str, str], Route] = {}
        self.patterns: list[Route] = []
        for reg in regs:
            if reg.kind != "route" or (reg.handler is None and not reg.builtin):
                continue
            method = reg.method.strip().upper()
            method = ANY_METHOD if method in ("", "*", "ANY") else method
            pattern, names, literal = compile_pattern(reg.path)
            handler: Handler | Callable[[Any], Any]
            if reg.handler is not None:
                handler = reg.handler
            else:
                factory = ROUTE_BUILTINS.get(reg.builtin)
                if factory is None:
                    raise PatternError(f"unknown built-in route handler {reg.builtin!r}")
                handler = factory(os.path.dirname(runtime.hooks_dir), *reg.args)
            specs = [*self.uses, *reg.middlewares]
            limits = [int(s.args[0] or 0) for s in specs if s.builtin == "bodyLimit" and s.args]
            limit = limits[-1] if limits and limits[-1] > 0 else DEFAULT_BODY_LIMIT
            route = Route(method, reg.path, pattern, names, self._chain(specs, reg.path), handler, limit)
            if literal is not None:
                self.exact.setdefault((method, literal), route)
            else:
                self.patterns.append(route)

    def __bool__(self) -> bool:
        return bool(self.exact or self.patterns or self.uses)

    def _chain(self, specs: Iterable[MiddlewareSpec], name: str) -> Hook[Any]:
        chain: Hook[Any] = Hook(name)
        for spec in specs:
            chain.bind(self._middleware(spec), id=spec.id or None, priority=spec.priority)
        return chain

    def _middleware(self, spec: MiddlewareSpec) -> Callable[[Any], Any]:
        if spec.handler is not None:
            handler = spec.handler
            return lambda e: self.runtime.pool.run(handler, e)
        factory = BUILTINS.get(spec.builtin)
        if factory is None:
            raise PatternError(f"unknown built-in middleware {spec.builtin!r}")
        return factory(*spec.args)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a request and its path values."""
        methods = (method, "GET", ANY_METHOD) if method == "HEAD" else (method, ANY_METHOD)
        for candidate in methods:
            route = self.exact.get((candidate, path))
            if route is not None:
                return route, {}
        for route in self.patterns:
            if route.method not in methods:
                continue
            match = route.pattern.match(path)
            if match is not None:
                return route, dict(zip(route.names, match.groups(), strict=False))
        return None


class RouterMiddleware:
    """Falcon middleware answering JS routes; ``table`` is swapped whole on reload."""

    def __init__(self, runtime: JsRuntime) -> None:
        self.runtime = runtime

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        table = self.runtime.routes
        if not table or req.method == "OPTIONS":
            return
        found = table.match(req.method, req.path)
        if found is None:
            if table.uses:
                self._global_only(table, req, resp)
            return
        route, params = found
        params = path_values(req, params)
        if req.content_length and req.content_length > route.body_limit:
            raise ApiError(413)
        event = RouteEvent(self.runtime.app, req, resp, params)
        resp.status = 200
        handler = route.handler
        final = (lambda e: self.runtime.pool.run(handler, e)) if isinstance(handler, Handler) else handler
        try:
            route.chain.trigger(event, final)
        except Exception as ex:
            if not written(event):
                answer = as_api_error(ex)
                if answer is ex:
                    raise
                raise answer from ex
            # NOTE: as PocketBase's router: an error once the answer is written (a middleware
            # throwing after e.next()) is logged, the answer stands
            log.warning("error after the answer of %s %s was written: %s", req.method, req.path, ex)
        finally:
            resp.complete = True

    def _global_only(self, table: RouteTable, req: falcon.Request, resp: falcon.Response) -> None:
        # NOTE: for pybase's own routes, routerUse middlewares run *before* the route only:
        # Falcon routes after process_request returns, so code after e.next() runs before the
        # route too. A middleware that does not call e.next() answers the request itself.
        reached = []
        event = RouteEvent(self.runtime.app, req, resp, {})
        table.global_chain.trigger(event, lambda e: reached.append(True))
        if not reached:
            resp.complete = True


# ---- built-in middlewares ($apis.*) ----------------------------------------------------------


def require_auth(*collections: str) -> Callable[[Any], Any]:
    """401 without auth; 403 when the auth record is not of one of ``collections``."""

    def middleware(e: Any) -> Any:
        if e.auth is None:
            raise unauthorized()
        if collections and e.auth.collection.name not in collections and e.auth.collection.id not in collections:
            raise ApiError(403, MSG_FORBIDDEN_RECORD)
        return e.next()

    return middleware


def require_superuser_auth() -> Callable[[Any], Any]:
    """401 without auth; 403 for a non-superuser."""

    def middleware(e: Any) -> Any:
        if e.auth is None:
            raise unauthorized()
        if not e.auth.is_superuser():
            raise ApiError(403, MSG_SUPERUSERS_ONLY)
        return e.next()

    return middleware


def require_guest_only() -> Callable[[Any], Any]:
    """400 when the caller is already authenticated."""

    def middleware(e: Any) -> Any:
        if e.auth is not None:
            raise ApiError(400, "The request can be accessed only by guests.")
        return e.next()

    return middleware


def require_superuser_or_owner_auth(param: str = "id") -> Callable[[Any], Any]:
    """Superusers, or the auth record whose id is the path value ``param``."""

    def middleware(e: Any) -> Any:
        if e.auth is None:
            raise ApiError(401, "The request requires superuser or record authorization token.")
        if not e.auth.is_superuser() and e.auth.id != (getattr(e, "params", {}) or {}).get(param or "id"):
            raise ApiError(403, "You are not allowed to perform this request.")
        return e.next()

    return middleware


def body_limit(limit: Any = 0) -> Callable[[Any], Any]:
    """413 for a body over ``limit`` bytes (the route's limit instead of the default 32 MB)."""
    size = int(limit or 0)

    def middleware(e: Any) -> Any:
        length = e.request.content_length or 0
        if size > 0 and length > size:
            raise ApiError(413)
        return e.next()

    return middleware


def gzip() -> Callable[[Any], Any]:
    """``$apis.gzip()``: pybase already compresses text answers for clients that accept gzip."""
    return lambda e: e.next()


def skip_success_activity_log() -> Callable[[Any], Any]:
    """Successful requests of the route are not written to the request log (errors still are)."""

    def middleware(e: Any) -> Any:
        e.request.context.skip_success_log = True
        return e.next()

    return middleware


BUILTINS: dict[str, Callable[..., Callable[[Any], Any]]] = {
    "bodyLimit": body_limit,
    "gzip": gzip,
    "skipSuccessActivityLog": skip_success_activity_log,
    "requireAuth": require_auth,
    "requireSuperuserAuth": require_superuser_auth,
    "requireGuestOnly": require_guest_only,
    "requireSuperuserOrOwnerAuth": require_superuser_or_owner_auth,
}


# ---- built-in route handlers ($apis.static) --------------------------------------------------

STATIC_WILDCARD = "path"


def static_handler(base_dir: str, directory: str = "", index_fallback: bool = False) -> Callable[[Any], Any]:
    """``$apis.static(dir, indexFallback)``: files of ``dir`` by the ``{path...}`` path value.

    As PocketBase's ``apis.Static`` (see :class:`pybase.apis.static.StaticDir`); ``dir`` is
    relative to pb_hooks' parent, or absolute.
    """
    root = directory if os.path.isabs(directory) else os.path.join(base_dir, directory)
    files = StaticDir(root, index_fallback=index_fallback)

    def handler(e: Any) -> Any:
        files.serve(e.request, e.response, (getattr(e, "params", {}) or {}).get(STATIC_WILDCARD, ""))
        return None

    return handler


ROUTE_BUILTINS: dict[str, Callable[..., Callable[[Any], Any]]] = {
    "static": static_handler,
}
