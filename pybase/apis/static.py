"""Static files: the dashboard at ``/_/``, ``pb_public`` at ``/``, ``$apis.static`` routes, and
PocketBase's 404 for unknown GET paths.

One implementation of PocketBase's ``apis.Static`` serves all three: the wildcard path is
cleaned as Go's ``filepath.Clean``, a missing or unreadable name (``..`` escapes, NUL bytes,
empty segments) answers the root ``index.html`` when the fallback is on, else the 404 JSON;
directories redirect to their trailing-slash path and answer their ``index.html``; files reached
with a trailing slash or by ``.../index.html`` redirect to their canonical path.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import MSG_FILE_NOT_FOUND, MSG_NOT_FOUND, ApiError

if TYPE_CHECKING:
    from pybase.core.app import App

INDEX_PAGE = "index.html"
# PocketBase's dashboard headers (apis/serve.go): hashed assets are cached for two weeks, the
# HTML entry page never, and the page may not be framed.
DASHBOARD_CACHE = "max-age=1209600, stale-while-revalidate=86400"
DASHBOARD_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' http://127.0.0.1:* https://tile.openstreetmap.org data: blob:; "
    "connect-src 'self' http://127.0.0.1:* https://nominatim.openstreetmap.org; "
    "script-src 'self' http://127.0.0.1:*; frame-ancestors 'none'"
)

# Go's mime.TypeByExtension answers these (Python's table differs or lacks them).
_MIME_OVERRIDES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".xml": "text/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


def register(api: falcon.App, app: App, *, dashboard_dir: str | None, public_dir: str | None, index_fallback: bool = True) -> None:
    """Mount the dashboard, the public folder and the catch-all 404."""
    # NOTE: Falcon tries the most recently added sink first, so the catch-all goes in first.
    public = public_dir if public_dir and os.path.isdir(public_dir) else None
    api.add_sink(PublicSink(StaticDir(public, index_fallback=index_fallback) if public else None), prefix="/")
    if dashboard_dir and os.path.isdir(dashboard_dir):
        api.add_route("/_", RedirectResource("/_/"))
        # NOTE: unlike PocketBase's, pybase's dashboard routes by path, so extensionless paths
        # fall back to its index page.
        files = StaticDir(dashboard_dir, index_fallback=True, fallback_needs_no_extension=True)
        api.add_sink(DashboardSink(files, cache=not app.dev), prefix="/_/")


def content_type_of(path: str) -> str:
    """The Content-Type of a file by its extension (Go's table first), else octet-stream."""
    ext = os.path.splitext(path)[1].lower()
    if ext in _MIME_OVERRIDES:
        return _MIME_OVERRIDES[ext]
    guessed, _ = mimetypes.guess_type("x" + ext)
    if guessed is None:
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def go_clean(name: str) -> str:
    """Go's ``filepath.Clean`` on a slash-separated path ("" is ".")."""
    cleaned = posixpath.normpath(name) if name else "."
    # NOTE: POSIX keeps exactly two leading slashes; Go folds them into one.
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _valid_name(name: str) -> bool:
    """Go's ``fs.ValidPath`` plus what the OS refuses (a NUL byte)."""
    if name == ".":
        return True
    if "\x00" in name or name.startswith("/") or name.endswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def safe_redirect_path(path: str) -> str:
    """A redirect target that cannot leave the site (``//host`` or ``\\\\host`` become ``/host``)."""
    if len(path) > 1 and path[0] in "/\\" and path[1] in "/\\":
        return "/" + path.lstrip("/\\")
    return path


class StaticDir:
    """The files under one root, served as PocketBase's ``apis.Static`` serves an ``fs.FS``.

    SECURITY: nothing outside ``root`` is ever served, symlinks leading out included (PocketBase's
    ``os.DirFS`` would follow them).
    """

    def __init__(self, root: str, *, index_fallback: bool = False, fallback_needs_no_extension: bool = False) -> None:
        self.root_given = root
        self.index_fallback = index_fallback
        self.fallback_needs_no_extension = fallback_needs_no_extension

    def serve(self, req: falcon.Request, resp: falcon.Response, wildcard: str) -> str | None:
        """Answer ``wildcard`` (the ``{path...}`` value); the file served, None for a redirect.

        Raises the 404 :class:`ApiError` when there is nothing to serve.
        """
        root = os.path.realpath(self.root_given)
        name = go_clean(wildcard.removeprefix("/"))
        if name[:3] in ("../", "..\\"):
            return self._fallback(resp, root, name)
        found = self._find(root, name)
        if found is None:
            return self._fallback(resp, root, name)
        url_path = req.path
        if os.path.isdir(found):
            if not url_path.endswith("/"):
                return self._redirect(resp, url_path + "/")
        elif url_path.endswith("/"):
            if url_path.rstrip("/"):
                return self._redirect(resp, url_path.rstrip("/"))
        elif url_path.endswith(INDEX_PAGE):
            return self._redirect(resp, url_path.removesuffix(INDEX_PAGE))
        if os.path.isdir(found):
            found = self._find(root, name + "/" + INDEX_PAGE if name != "." else INDEX_PAGE)
        if found is None or not self._send(resp, found):
            return self._fallback(resp, root, name)
        return found

    def _find(self, root: str, name: str) -> str | None:
        if not _valid_name(name):
            return None
        real = os.path.realpath(os.path.join(root, name)) if name != "." else root
        if real != root and not real.startswith(root + os.sep):
            return None
        return real if os.path.exists(real) else None

    def _fallback(self, resp: falcon.Response, root: str, name: str) -> str:
        if self.index_fallback and name != INDEX_PAGE:
            if not (self.fallback_needs_no_extension and "." in posixpath.basename(name)):
                index = self._find(root, INDEX_PAGE)
                if index is not None and os.path.isfile(index) and self._send(resp, index):
                    return index
        raise ApiError(404, MSG_FILE_NOT_FOUND)

    @staticmethod
    def _redirect(resp: falcon.Response, location: str) -> None:
        resp.status = falcon.HTTP_301
        resp.location = safe_redirect_path(location)
        return None

    @staticmethod
    def _send(resp: falcon.Response, path: str) -> bool:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        resp.status = falcon.HTTP_200
        resp.content_type = content_type_of(path)
        resp.data = data  # Falcon drops the body of a HEAD answer itself
        return True


class RedirectResource:
    """``/_`` -> ``/_/``, as Go's router answers a subtree root asked without its slash (a 307
    keeping the query string)."""

    def __init__(self, location: str) -> None:
        self.location = location

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Redirect."""
        query = req.query_string
        raise falcon.HTTPTemporaryRedirect(self.location + ("?" + query if query else ""))

    on_head = on_get


def _static_request(req: falcon.Request) -> None:
    if req.method not in ("GET", "HEAD"):
        raise ApiError(404, MSG_NOT_FOUND)
    if req.path.startswith("/api/") or req.path == "/api":
        raise ApiError(404, MSG_FILE_NOT_FOUND)


class PublicSink:
    """``pb_public`` at ``/`` (when it exists); every other unknown route is a 404."""

    def __init__(self, files: StaticDir | None) -> None:
        self.files = files

    def __call__(self, req: falcon.Request, resp: falcon.Response, **kwargs: Any) -> None:
        _static_request(req)
        if self.files is None:
            raise ApiError(404, MSG_FILE_NOT_FOUND)
        self.files.serve(req, resp, req.path.removeprefix("/"))


class DashboardSink:
    """The dashboard at ``/_/`` with PocketBase's Content-Security-Policy and cache rules."""

    def __init__(self, files: StaticDir, *, cache: bool) -> None:
        self.files = files
        self.cache = cache

    def __call__(self, req: falcon.Request, resp: falcon.Response, **kwargs: Any) -> None:
        # NOTE: as PocketBase, every answer under /_/ carries the policy, errors and redirects too.
        resp.set_header("Content-Security-Policy", DASHBOARD_CSP)
        _static_request(req)
        served = self.files.serve(req, resp, req.path.removeprefix("/_/"))
        # NOTE: the HTML entry page (the root, a directory index or the fallback) is never cached,
        # so a new release is picked up at once; the files it loads may be.
        if served is not None and self.cache and os.path.basename(served) != INDEX_PAGE:
            resp.set_header("Cache-Control", DASHBOARD_CACHE)
