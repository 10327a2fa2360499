"""``/api/backups`` (superusers; the file token they need comes from ``POST /api/files/token``).

- ``GET    /api/backups``                 -> ``[{"modified", "key", "size"}]``
- ``POST   /api/backups``                 -> 204 once the backup ``{"name"?}`` is written
- ``POST   /api/backups/upload``          -> 204 (multipart ``file``, a zip archive)
- ``GET    /api/backups/{key}?token=``    -> the archive, for a superuser's file token
- ``DELETE /api/backups/{key}``           -> 204
- ``POST   /api/backups/{key}/restore``   -> 204, then pybase restarts on the restored data
  (on Postgres the database is replaced in place first; see ``core/backups/postgres_restore.py``)
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any

import falcon
import orjson

from pybase.apis.errors import ApiError, bad_request
from pybase.apis.files import serve
from pybase.apis.guards import require_superuser
from pybase.apis.request_body import UploadTarget, first_param, read_multipart
from pybase.apis.settings import read_struct_body
from pybase.core.auth import TOKEN_FILE, find_record_by_token
from pybase.core.errors import FieldError, ValidationError
from pybase.tools.filesystem import StorageError
from pybase.tools.filter.lexer import go_quote
from pybase.tools.mediatype import MediaTypeError, parse_media_type

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.backups")

NAME_RE = re.compile(r"^[a-z0-9_-]+\.zip$")
MAX_NAME = 150
MAX_FILE_NAME = 255  # bytes: longer names fail PocketBase's existence check
MSG_LOAD = "An error occurred while loading the submitted data."
MSG_VALIDATE = "An error occurred while validating the submitted data."
MSG_FORBIDDEN = "Insufficient permissions to access the resource."
MSG_BUSY = "Try again later - another backup/restore process has already been started"
MSG_NO_RESTART = "Restoring a backup needs pybase started by its command line (pybase serve)."
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def register(api: falcon.App, app: App) -> None:
    """Mount the backups routes."""
    backups = BackupsResource(app)
    api.add_route("/api/backups", backups)
    api.add_route("/api/backups/upload", BackupUploadResource(app))
    api.add_route("/api/backups/{key}", BackupFileResource(app))
    api.add_route("/api/backups/{key}/restore", backups, suffix="restore")


@falcon.before(require_superuser)
class BackupsResource:
    """List, create, upload and restore."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The backups."""
        resp.content_type = "application/json"
        resp.data = orjson.dumps(self.app.backups.list())

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Take a backup now."""
        if self.app.backups.active is not None:
            raise bad_request(MSG_BUSY)
        # NOTE: bound as PocketBase binds its form struct (duplicate keys, a wrong type or an
        # unsupported content type are load errors; a JSON null body binds nothing)
        try:
            name = read_struct_body(req, {"name": "str"}, {"name": ""})["name"]
        except TypeError:
            name = ""
        error = None
        if name and len(name) > MAX_NAME:
            error = FieldError("validation_length_out_of_range", f"The length must be between 1 and {MAX_NAME}.", {"max": MAX_NAME, "min": 1})
        elif name and not NAME_RE.fullmatch(name):
            error = FieldError("validation_match_invalid", "Must be in a valid format.")
        elif name and self.app.backups.exists(name):
            error = FieldError("validation_backup_name_exists", "The backup file name is invalid or already exists.")
        if error is not None:
            raise ValidationError({"name": error}, MSG_VALIDATE)
        self.app.backups.create(name)
        resp.status = 204

    def on_post_restore(self, req: falcon.Request, resp: falcon.Response, key: str) -> None:
        """Restore in the background (the process restarts on the restored data): 204."""
        if self.app.backups.active is not None:
            raise bad_request(MSG_BUSY + ".")
        if not self.app.backups.exists(key):
            raise bad_request("Missing or invalid backup file.")
        self.app.backups.check_restorable(key)  # NOTE: a wrong archive answers 400 now, not in the background
        if self.app.restart is None and not self.app.backups.on_postgres:
            raise bad_request(MSG_NO_RESTART)

        def restore() -> None:
            time.sleep(1)  # NOTE: as PocketBase: the answer goes out first
            try:
                self.app.backups.restore(key)
            except Exception:  # noqa: BLE001 - logged; the app keeps serving the old data
                log.exception("failed to restore backup %s", key)

        threading.Thread(target=restore, name="pybase-restore", daemon=True).start()
        resp.status = 204


class BackupFileResource:
    """Download (with a superuser's file token) and delete one backup."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response, key: str) -> None:
        """The archive, as an attachment."""
        record = find_record_by_token(first_param(req, "token") or "", TOKEN_FILE, self.app.registry, self.app.records)
        if record is None or not record.collection.is_superusers:
            raise ApiError(403, MSG_FORBIDDEN)
        if len(key.encode()) > MAX_FILE_NAME:
            raise bad_request()  # NOTE: as PocketBase, whose read of such a name fails
        if not self.app.backups.exists(key):
            raise ApiError(404, "The requested resource wasn't found.")
        resp.content_type = "application/zip"
        # NOTE: as PocketBase writes it: the name as Go's %q (a quote, a tab, a CR escaped),
        # its UTF-8 bytes as they are (a WSGI header is the latin-1 text of its bytes)
        disposition = f"attachment; filename={go_quote(key)}"
        resp.set_header("Content-Disposition", disposition.encode().decode("latin-1"))
        try:
            serve(req, resp, self.app.backups.storage(), key, key)  # NOTE: streamed, ranges allowed
        except StorageError as ex:
            raise ApiError(404, "The requested resource wasn't found.") from ex

    @falcon.before(require_superuser)
    def on_delete(self, req: falcon.Request, resp: falcon.Response, key: str) -> None:
        """Delete it."""
        self.app.backups.delete(key)
        resp.status = 204


class BackupUploadResource:
    """``/api/backups/upload``: upload an archive (POST); GET and DELETE are those of a backup
    named "upload", as PocketBase routes them."""

    # NOTE: as PocketBase (BodyLimit(0)), an upload has no body limit: an archive may be large
    body_limit = staticmethod(lambda req, params: 1 << 62)

    def __init__(self, app: App) -> None:
        self.app = app
        self.files = BackupFileResource(app)

    @falcon.before(require_superuser)
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store an uploaded backup archive."""
        # NOTE: as PocketBase, a body that is no multipart form (or a broken one) has no file;
        # its type is read as Go reads it (any case: "Multipart/Form-Data" is one)
        files: dict[str, list[Any]] = {}
        try:
            kind = parse_media_type(req.get_header("Content-Type") or "")[0]
        except MediaTypeError:
            kind = ""
        if kind == "multipart/form-data":
            try:
                _data, files = read_multipart(req, MSG_LOAD, uploads=UploadTarget(self.app.files.temp_dir))
            except ApiError as ex:
                if ex.status != 400 or ex.message != MSG_LOAD:
                    raise
        uploaded = (files.get("file") or [None])[0]
        error = None
        if uploaded is None:
            error = FieldError("validation_required", "Cannot be blank.")
        else:
            # NOTE: as PocketBase, the archive keeps its original name (the last part of the
            # path sent), whatever its form; only its content must be a zip archive.
            filename = uploaded.original_name
            if not uploaded.head.startswith(ZIP_MAGIC):
                error = FieldError(
                    "validation_invalid_mime_type",
                    f"{orjson.dumps(uploaded.name).decode()} mime type must be one of: application/zip.",
                )
            elif self._taken(filename):
                error = FieldError("validation_backup_name_exists", "Backup file with the specified name already exists.")
        if error is not None:
            raise ValidationError({"file": error}, MSG_VALIDATE)
        assert uploaded is not None
        try:
            self.app.backups.save_upload(uploaded.original_name, uploaded.path)
        except (OSError, StorageError) as ex:
            raise bad_request("Failed to upload backup.") from ex
        resp.status = 204

    def _taken(self, filename: str) -> bool:
        """Whether an upload may not be stored as ``filename``: a backup has that name, or the
        name is none a file may have (as PocketBase, whose existence check then fails)."""
        if filename in ("", ".", "..") or "/" in filename or "\x00" in filename or len(filename.encode()) > MAX_FILE_NAME:
            return True
        return self.app.backups.exists(filename)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The download of a backup named "upload" (PocketBase's route for this path)."""
        self.files.on_get(req, resp, "upload")

    @falcon.before(require_superuser)
    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The deletion of a backup named "upload"."""
        self.files.on_delete(req, resp, "upload")
