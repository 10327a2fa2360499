"""The dashboard at ``/_/``, ``pb_public`` at ``/``, and PocketBase's 404 for unknown GET paths."""

from __future__ import annotations

import mimetypes
import os
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import MSG_FILE_NOT_FOUND, MSG_NOT_FOUND, ApiError

if TYPE_CHECKING:
    from pybase.core.app import App


def register(api: falcon.App, app: App, *, dashboard_dir: str | None, public_dir: str | None, index_fallback: bool = True) -> None:
    """Mount the dashboard, the public folder and the catch-all 404."""
    # NOTE: Falcon tries the most recently added sink first, so the catch-all goes in first.
    public = public_dir if public_dir and os.path.isdir(public_dir) else None
    api.add_sink(StaticSink(public, "/", index_fallback=index_fallback), prefix="/")
    if dashboard_dir and os.path.isdir(dashboard_dir):
        cache = "no-store" if app.dev else "max-age=1209600, stale-while-revalidate=86400"
        api.add_route("/_", RedirectResource("/_/"))
        api.add_sink(StaticSink(dashboard_dir, "/_/", index_fallback=True, cache=cache), prefix="/_/")


class RedirectResource:
    """A permanent redirect (``/_`` -> ``/_/``)."""

    def __init__(self, location: str) -> None:
        self.location = location

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Redirect."""
        raise falcon.HTTPMovedPermanently(self.location)


class StaticSink:
    """Serve files under ``root`` for GET/HEAD; every other request is an unknown route."""

    def __init__(self, root: str | None, prefix: str, *, index_fallback: bool = True, cache: str = "") -> None:
        self.root = os.path.realpath(root) if root else None
        self.prefix = prefix
        self.index_fallback = index_fallback
        self.cache = cache

    def __call__(self, req: falcon.Request, resp: falcon.Response, **kwargs: Any) -> None:
        if req.method not in ("GET", "HEAD"):
            raise ApiError(404, MSG_NOT_FOUND)
        if self.root is None or req.path.startswith("/api/") or req.path == "/api":
            raise ApiError(404, MSG_FILE_NOT_FOUND)
        rel = req.path[len(self.prefix):] if req.path.startswith(self.prefix) else ""
        path = self._resolve(rel)
        if path is None and self.index_fallback and "." not in os.path.basename(rel):
            path = self._resolve("index.html")
        if path is None:
            raise ApiError(404, MSG_FILE_NOT_FOUND)
        resp.content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if self.cache:
            resp.set_header("Cache-Control", self.cache)
        with open(path, "rb") as handle:
            resp.data = handle.read()

    def _resolve(self, rel: str) -> str | None:
        assert self.root is not None
        candidate = os.path.realpath(os.path.join(self.root, rel.lstrip("/")))
        # SECURITY: never serve anything outside the root (../ or symlinks out).
        if candidate != self.root and not candidate.startswith(self.root + os.sep):
            return None
        if os.path.isdir(candidate):
            candidate = os.path.join(candidate, "index.html")
        return candidate if os.path.isfile(candidate) else None
