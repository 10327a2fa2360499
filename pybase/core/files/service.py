"""The app's file storage service (see the package docstring)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pybase.store.schema import first_row
from pybase.tools.filesystem import (
    Attributes,
    File,
    FileNotFound,
    LocalStorage,
    Storage,
    StorageError,
)

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record

log = logging.getLogger("pybase.files")

STORAGE_DIR = "storage"
UPLOADS_TEMP_DIR = os.path.join(".pb_temp_to_delete", "uploads")  # emptied at every start
METADATA_ORIGINAL_NAME = "original-filename"


def record_dir(record: Record) -> str:
    """The key prefix of a record's files: ``<collectionId>/<recordId>``."""
    return f"{record.collection.id}/{record.id}"


def thumb_key(base: str, name: str, size: str) -> str:
    """Where the ``size`` thumbnail of file ``name`` is cached."""
    return f"{base}/thumbs_{name}/{size}_{name}"


def _s3_key(s3: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(s3.get(k) for k in ("bucket", "region", "endpoint", "accessKey", "secret", "forcePathStyle"))


class FilesService:
    """The storage of record files, chosen by the live settings."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.local = LocalStorage(os.path.join(app.data_dir, STORAGE_DIR))
        self._s3: dict[tuple[Any, ...], Storage] = {}
        self._lock = threading.Lock()

    @property
    def temp_dir(self) -> str:
        """Where uploads wait while a request is read."""
        return os.path.join(self.app.data_dir, UPLOADS_TEMP_DIR)

    def new_file(self, content: bytes, original_name: str) -> File:
        """A file to attach to a record from bytes (hooks, scripts)."""
        return File.from_bytes(content, original_name, self.temp_dir)

    # ---- backends ------------------------------------------------------------------------

    def s3_storage(self, s3: dict[str, Any]) -> Storage:
        """A (cached) S3 storage for an ``s3`` settings section."""
        from pybase.tools.filesystem.s3 import S3Storage

        key = _s3_key(s3)
        with self._lock:
            storage = self._s3.get(key)
            if storage is None:
                if len(self._s3) >= 4:  # NOTE: settings changed: the older clients go
                    for old in self._s3.values():
                        old.close()
                    self._s3.clear()
                storage = self._s3[key] = S3Storage.from_settings(s3)
            return storage

    def storage(self) -> Storage:
        """The storage new files go to."""
        s3 = self.app.settings_store.live().get("s3") or {}
        if s3.get("enabled"):
            return self.s3_storage(s3)
        return self.local

    def _fallback(self) -> Storage | None:
        s3 = self.app.settings_store.live().get("s3") or {}
        if s3.get("enabled"):
            return self.local
        if s3.get("bucket"):
            return self.s3_storage(s3)
        return None

    def locate(self, key: str) -> tuple[Storage, Attributes]:
        """The storage holding ``key`` (the active one, else the other backend) and the file's
        attributes; FileNotFound."""
        active = self.storage()
        try:
            return active, active.attributes(key)
        except FileNotFound:
            pass
        other = self._fallback()
        if other is not None:
            try:
                return other, other.attributes(key)
            except FileNotFound:
                pass
            except StorageError:
                log.warning("fallback storage unavailable while looking for %s", key, exc_info=True)
        raise FileNotFound(key)

    # ---- record writes ---------------------------------------------------------------------

    def store_uploads(self, record: Record) -> list[str]:
        """Write the record's new files to storage; their keys. On an error none is left."""
        uploads = [(f, item) for f in record.collection.fields if f.type == "file" for item in f.values_of(record) if isinstance(item, File)]
        if not uploads:
            return []
        if not record.id:
            raise StorageError("uploading files requires the record to have an id")
        storage = self.storage()
        base = record_dir(record)
        done: list[str] = []
        try:
            for _field, upload in uploads:
                key = f"{base}/{upload.name}"
                meta = {METADATA_ORIGINAL_NAME: upload.original_name[:255]}
                storage.put_path(key, upload.path, upload.content_type, meta)
                done.append(key)
                upload.discard()  # NOTE: moved (local) or copied (S3): the temp file goes now
        except BaseException:
            self.delete_keys(done, storage)
            raise
        return done

    def delete_keys(self, keys: Iterable[str], storage: Storage | None = None) -> None:
        """Delete files and their thumbnails (best effort: failures are logged)."""
        storage = storage or self.storage()
        for key in keys:
            self._delete_one(storage, key)

    def _delete_one(self, storage: Storage, key: str) -> None:
        base, _, name = key.rpartition("/")
        try:
            storage.delete(key)
        except FileNotFound:
            other = self._fallback()
            if other is not None:
                try:
                    other.delete(key)
                    other.delete_prefix(f"{base}/thumbs_{name}/")
                except (FileNotFound, StorageError):
                    pass
        except StorageError:
            log.warning("failed to delete file %s", key, exc_info=True)
            return
        try:
            storage.delete_prefix(f"{base}/thumbs_{name}/")
        except StorageError:
            log.warning("failed to delete the thumbnails of %s", key, exc_info=True)

    def delete_names(self, base: str, names: Iterable[str]) -> None:
        """Delete named files of one record directory."""
        keys = [f"{base}/{n}" for n in names if n and "/" not in n and "\\" not in n]
        if keys:
            self.delete_keys(keys)

    def delete_record_files(self, base: str) -> None:
        """Delete everything stored for one record (after its row is gone)."""
        for storage in (self.storage(), self._fallback()):
            if storage is None:
                continue
            try:
                failed = storage.delete_prefix(base + "/")
            except StorageError:
                log.warning("failed to delete the files of %s", base, exc_info=True)
                continue
            if failed:
                log.warning("failed to delete %d files of %s", len(failed), base)

    def delete_collection_files(self, collection_id: str) -> None:
        """Delete everything stored for a collection (after it was deleted)."""
        self.delete_record_files(collection_id)

    def close(self) -> None:
        """Release the S3 client."""
        with self._lock:
            for storage in self._s3.values():
                storage.close()
            self._s3.clear()


MAX_VIEW_DEPTH = 5


def find_view_file_record(app: App, view: Any, field_name: str, filename: str) -> Record | None:
    """The record of a base collection that stores the file a view's ``field_name`` shows
    (views of views followed up to 5 levels), as PocketBase's FindRecordByViewFile."""
    from sqlalchemy import select

    from pybase.core.records import Record
    from pybase.core.view_schema import column_source
    from pybase.store.dialect import json_array_contains

    for _level in range(MAX_VIEW_DEPTH):
        source = column_source(app, view.view_query, field_name)
        if source is None:
            return None
        collection, name = source
        if collection.is_view:
            view, field_name = collection, name
            continue
        field = collection.field(name)
        if field is None or field.type != "file":
            return None
        column = collection.table.c[name]
        match = json_array_contains(column, filename) if field.is_multi() else column == filename
        with app.db.read() as conn:
            row = conn.execute(first_row(select(collection.table).where(match))).first()
        return None if row is None else Record.from_row(collection, row, app.records)
    return None

