"""``/api/files``: serve record files (ranges, thumbnails, protected files) and file tokens.

- ``GET  /api/files/{collection}/{recordId}/{filename}`` -> the file (``?thumb=WxH``,
  ``?download=1``, ``?token=`` for protected files)
- ``POST /api/files/token``                             -> ``{"token"}`` of the signed-in record
"""

from __future__ import annotations

import io
import logging
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import falcon
import orjson

from pybase.apis.errors import not_found, unauthorized
from pybase.apis.ratelimit import check_collection
from pybase.apis.request_body import first_param, request_info
from pybase.apis.serialize import apply_fields, parse_fields
from pybase.core import record_access
from pybase.core.auth import TOKEN_FILE, find_record_by_token, new_token
from pybase.core.errors import NotFoundError
from pybase.core.files import record_dir, thumb_key
from pybase.core.files.events import FileDownloadRequestEvent, FileTokenRequestEvent
from pybase.core.files.service import find_view_file_record
from pybase.core.request_info import RequestInfo
from pybase.tools.filesystem import Attributes, FileNotFound, StorageError
from pybase.tools.filesystem.thumbs import IMAGE_TYPES, ThumbError, make_thumb

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record
    from pybase.tools.filesystem import Storage

log = logging.getLogger("pybase.files")

MSG_MISSING_COLLECTION = "Missing or invalid collection context."
DEFAULT_THUMB_SIZES = ("100x100",)
# NOTE: the content types PocketBase shows inline; anything else is an attachment.
INLINE_TYPES = frozenset({
    "image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp", "image/x-icon", "image/bmp",
    "video/webm", "video/mp4", "video/3gpp", "video/quicktime", "video/x-ms-wmv",
    "audio/basic", "audio/aiff", "audio/mpeg", "audio/midi", "audio/mp3", "audio/wave",
    "audio/wav", "audio/x-wav", "audio/x-mpeg", "audio/x-m4a", "audio/aac",
    "application/pdf", "application/x-pdf",
})  # fmt: skip
EXTENSION_TYPES = {
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
CACHE_CONTROL = "max-age=2592000, stale-while-revalidate=86400"
# PERF: files up to this size are read in one go and sent from memory.
SMALL_FILE = 256 << 10
FILES_SERVED_CONTEXT = "files_served"


def register(api: falcon.App, app: App) -> None:
    """Mount the files routes."""
    api.add_route("/api/files/token", FileTokenResource(app))
    api.add_route("/api/files/{collection}/{recordId}/{filename}", FileDownloadResource(app))


class UploadsCleanupMiddleware:
    """Removes the temp files of a request's uploads once it is answered; drops
    X-Frame-Options from served files (as PocketBase). Placed right after the gzip middleware,
    so its ``process_response`` runs after the security headers are set."""

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        uploads = getattr(req.context, "uploads", None)
        if uploads:
            for upload in uploads:
                upload.discard()
        if getattr(req.context, FILES_SERVED_CONTEXT, False):
            resp.delete_header("X-Frame-Options")


class FileTokenResource:
    """``POST /api/files/token``: a file token for the signed-in record (protected files, backups)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{"token": ...}``."""
        auth: Any = req.context.auth
        if auth is None:
            raise unauthorized()  # NOTE: as PocketBase's RequireAuth guard
        event = FileTokenRequestEvent(self.app)
        event.request, event.response, event.auth, event.record = req, resp, auth, auth
        event.collection = auth.collection
        event.token = new_token(auth, TOKEN_FILE)

        def finalize(e: FileTokenRequestEvent) -> None:
            resp.content_type = "application/json"
            resp.data = orjson.dumps(apply_fields({"token": e.token}, parse_fields(first_param(req, "fields"))))

        self.app.hooks["onFileTokenRequest"].trigger(event, finalize)


class FileDownloadResource:
    """``GET /api/files/{collection}/{recordId}/{filename}``."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._thumb_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def on_get(self, req: falcon.Request, resp: falcon.Response, collection: str, recordId: str, filename: str) -> None:  # noqa: N803
        """The file, a byte range of it, or one of its thumbnails."""
        col = self.app.registry.find(collection)
        if col is None:
            raise not_found(MSG_MISSING_COLLECTION)
        check_collection(req, col, "file")
        record, field, base = self._find(req, col, recordId, filename)
        files = self.app.files
        original = f"{base}/{filename}"
        try:
            storage, original_attrs = files.locate(original)
        except (FileNotFound, StorageError) as ex:
            raise not_found() from ex
        event = FileDownloadRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        event.collection, event.record, event.file_field = col, record, field
        event.served_path, event.served_name = original, filename
        size = req.get_param("thumb") or ""
        if size and (size in DEFAULT_THUMB_SIZES or size in field.thumbs):
            attrs = original_attrs
            if attrs.content_type in IMAGE_TYPES:
                thumb = thumb_key(base, filename, size)
                try:
                    self._ensure_thumb(storage, original, thumb, size, attrs.content_type)
                    event.served_path, event.served_name = thumb, f"{size}_{filename}"
                except (ThumbError, StorageError) as ex:
                    log.warning("fallback to original - failed to create thumb %s_%s: %s", size, filename, ex)
                    event.thumb_error = ex
        if size and event.thumb_error is None and event.served_path == original:
            event.thumb_error = ValueError(f'the thumb size "{size}" or the original file format are not supported')
        req.context.files_served = True

        def finalize(e: FileDownloadRequestEvent) -> None:
            try:
                if e.served_path == original:
                    serve(req, resp, storage, original, e.served_name, original_attrs)
                elif e.served_path == thumb_key(base, filename, size):
                    serve(req, resp, storage, e.served_path, e.served_name)
                else:
                    target, attrs = files.locate(e.served_path)
                    serve(req, resp, target, e.served_path, e.served_name, attrs)
            except (FileNotFound, StorageError) as ex:
                raise not_found() from ex

        self.app.hooks["onFileDownloadRequest"].trigger(event, finalize)

    # NOTE: as PocketBase (Go's router serves HEAD with the GET route): headers, no body.
    on_head = on_get

    def _find(self, req: falcon.Request, col: Collection, record_id: str, filename: str) -> tuple[Record, Any, str]:
        """The record, its file field holding ``filename`` and the key prefix of the file; 404
        when any is missing or a protected file is not the caller's to see."""
        if not record_id:
            raise not_found()
        try:
            record = self.app.records.find_by_id(col, record_id)
        except NotFoundError as ex:
            raise not_found() from ex
        field = next((f for f in col.fields if f.type == "file" and filename in f.names_of(record)), None)
        if field is None:
            raise not_found()
        if field.protected and not self._may_access(req, record):
            raise not_found()
        if not col.is_view:
            return record, field, record_dir(record)
        # NOTE: a view's files are those of the record it shows them from.
        source = find_view_file_record(self.app, col, field.name, filename)
        if source is None:
            raise not_found()
        return record, field, record_dir(source)

    def _may_access(self, req: falcon.Request, record: Record) -> bool:
        """A protected file: the file token's record must pass the view rule."""
        token = req.get_param("token") or ""
        auth = find_record_by_token(token, TOKEN_FILE, self.app.registry, self.app.records) if token else None
        if auth is not None and auth.collection.is_superusers:
            allowed = self.app.settings_store.live().get("superuserIPs") or []
            if allowed and not _ip_allowed(req, allowed):
                auth = None
        base = request_info(req)
        info = RequestInfo(base.method, base.query, base.headers, base.body, auth, "protectedFile")
        req.context.request_info = base
        return record_access.can_access(self.app, record, info, record.collection.rules["viewRule"])

    def _ensure_thumb(self, storage: Storage, original: str, thumb: str, size: str, content_type: str) -> None:
        """Make the thumbnail once (one maker per key at a time); cached in storage after."""
        if storage.exists(thumb):
            return
        with self._locks_guard:
            lock = self._thumb_locks.setdefault(thumb, threading.Lock())
        with lock:
            try:
                if storage.exists(thumb):
                    return
                reader = storage.open(original)
                try:
                    # NOTE: images are decoded whole by Pillow anyway; the source is read once.
                    data, out_type = make_thumb(io.BytesIO(reader.read()), size, content_type)
                finally:
                    reader.close()
                storage.put(thumb, io.BytesIO(data), out_type)
            finally:
                with self._locks_guard:
                    self._thumb_locks.pop(thumb, None)


def _ip_allowed(req: falcon.Request, allowed: list[str]) -> bool:
    import ipaddress

    ip = getattr(req.context, "client_ip", None) or req.remote_addr or ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def serve(
    req: falcon.Request, resp: falcon.Response, storage: Storage, key: str, name: str, attrs: Attributes | None = None
) -> None:
    """Send a stored file as PocketBase (Go's ServeContent): type, disposition, caching headers,
    Last-Modified / If-Modified-Since and single byte ranges, streamed from storage."""
    if attrs is None:
        attrs = storage.attributes(key)
    force = (req.get_param("download") or "").lower() in ("1", "t", "true")
    real_type = attrs.content_type
    disposition = "inline" if not force and real_type in INLINE_TYPES else "attachment"
    dot = name.rfind(".")
    content_type = EXTENSION_TYPES.get(name[dot:], real_type) if dot >= 0 else real_type
    _set_missing(resp, "Content-Disposition", f'{disposition}; filename="{_quote(name)}"')
    _set_missing(resp, "Content-Type", content_type)
    _set_missing(resp, "Content-Security-Policy", CSP)
    _set_missing(resp, "Cache-Control", CACHE_CONTROL)
    modified = attrs.modified.astimezone(UTC).replace(microsecond=0)
    resp.set_header("Last-Modified", format_datetime(modified, usegmt=True))
    resp.set_header("Accept-Ranges", "bytes")
    if _not_modified(req, modified):
        resp.status = 304
        for header in ("Content-Type", "Content-Length", "Content-Disposition"):
            resp.delete_header(header)
        return
    total = attrs.size
    start, length = 0, total
    ranged = _parse_range(req.get_header("Range"), total) if req.get_header("Range") else None
    if ranged == "invalid":
        resp.status = 416
        resp.set_header("Content-Range", f"bytes */{total}")
        resp.content_type = "text/plain; charset=utf-8"
        resp.data = b"invalid range: failed to overlap\n"
        return
    if isinstance(ranged, tuple):
        start, length = ranged
        resp.status = 206
        resp.set_header("Content-Range", f"bytes {start}-{start + length - 1}/{total}")
    resp.content_length = length
    if req.method == "HEAD" or length == 0:
        resp.data = None
        resp.content_length = length
        return
    reader = storage.open(key, start, length)
    if length <= SMALL_FILE:
        try:
            data = reader.read()
        finally:
            reader.close()
        resp.stream = [data]  # NOTE: a stream, so the gzip middleware leaves files alone
        return
    resp.stream = _closing(reader)


def _closing(reader: Any) -> Any:
    try:
        yield from reader
    finally:
        reader.close()


def _set_missing(resp: falcon.Response, name: str, value: str) -> None:
    if resp.get_header(name) is None:
        resp.set_header(name, value)


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _not_modified(req: falcon.Request, modified: datetime) -> bool:
    since = req.get_header("If-Modified-Since")
    if not since or req.get_header("If-None-Match"):
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and modified <= when


def _parse_range(header: str | None, total: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range as (start, length); "invalid" when none overlaps; None to ignore."""
    if not header or not header.startswith("bytes="):
        return None
    specs = [s.strip() for s in header[6:].split(",") if s.strip()]
    if len(specs) != 1:
        return None  # NOTE: several ranges: the whole file is sent
    first, _, last = specs[0].partition("-")
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return "invalid"
            suffix = min(suffix, total)
            return (total - suffix, suffix) if total else "invalid"
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start < 0 or start >= total or end < start:
        return "invalid"
    end = min(end, total - 1)
    return start, end - start + 1
