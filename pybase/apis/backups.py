"""``/api/backups`` (superusers; the file token they need comes from ``POST /api/files/token``).

- ``GET    /api/backups``                 -> ``[{"key", "size", "modified"}]``
- ``POST   /api/backups``                 -> 204 once the backup ``{"name"?}`` is written
- ``POST   /api/backups/upload``          -> 204 (multipart ``file``, a zip archive)
- ``GET    /api/backups/{key}?token=``    -> the archive, for a superuser's file token
- ``DELETE /api/backups/{key}``           -> 204
- ``POST   /api/backups/{key}/restore``   -> 204, then pybase restarts on the restored data
  (on Postgres the database is replaced in place first; see ``core/backups/postgres.py``)
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING

import falcon
import orjson

from pybase.apis.errors import ApiError, bad_request
from pybase.apis.files import serve
from pybase.apis.guards import require_superuser
from pybase.apis.request_body import UploadTarget, read_body
from pybase.core.auth import TOKEN_FILE, find_record_by_token
from pybase.core.errors import FieldError, ValidationError
from pybase.tools.filesystem import StorageError

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.backups")

NAME_RE = re.compile(r"^[a-z0-9_-]+\.zip$")
MAX_NAME = 150
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
    api.add_route("/api/backups/upload", backups, suffix="upload")
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
        data, _files = read_body(req, invalid_message=MSG_LOAD, require_type=True, infer=False, xml_message=None)
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise bad_request(MSG_LOAD)
        name = name or ""
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

    def on_post_upload(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store an uploaded backup archive."""
        _data, files = read_body(
            req, invalid_message=MSG_LOAD, require_type=True, infer=False, uploads=UploadTarget(self.app.files.temp_dir)
        )
        uploaded = (files.get("file") or [None])[0]
        error = None
        if uploaded is None:
            error = FieldError("validation_required", "Cannot be blank.")
        else:
            filename = uploaded.original_name
            if not uploaded.head.startswith(ZIP_MAGIC):
                error = FieldError(
                    "validation_invalid_mime_type", "The uploaded file must be one of the allowed MIME types: application/zip."
                )
            elif not NAME_RE.fullmatch(filename or "") or self.app.backups.exists(filename):
                error = FieldError("validation_backup_name_exists", "Backup file with the specified name already exists.")
        if error is not None:
            raise ValidationError({"file": error}, MSG_VALIDATE)
        assert uploaded is not None
        self.app.backups.save_upload(uploaded.original_name, uploaded.path)
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
        record = find_record_by_token(req.get_param("token") or "", TOKEN_FILE, self.app.registry, self.app.records)
        if record is None or not record.collection.is_superusers:
            raise ApiError(403, MSG_FORBIDDEN)
        if not self.app.backups.exists(key):
            raise ApiError(404, "The requested resource wasn't found.")
        resp.content_type = "application/zip"
        resp.set_header("Content-Disposition", f'attachment; filename="{key}"')
        try:
            serve(req, resp, self.app.backups.storage(), key, key)  # NOTE: streamed, ranges allowed
        except StorageError as ex:
            raise ApiError(404, "The requested resource wasn't found.") from ex

    @falcon.before(require_superuser)
    def on_delete(self, req: falcon.Request, resp: falcon.Response, key: str) -> None:
        """Delete it."""
        self.app.backups.delete(key)
        resp.status = 204

