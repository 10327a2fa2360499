"""Create, list and delete backups of ``pb_data`` (zip archives in ``pb_data/backups``, or in
the S3 bucket of settings ``backups.s3`` when it is enabled).

A backup is taken while the app keeps running: each SQLite database is copied with SQLite's
online backup API (a consistent snapshot even under concurrent writes, unlike a file copy of
a WAL database), and the other files of ``pb_data`` are added as they are. With the data in
Postgres (``--db``), the archive holds a dump of its tables instead (see
:mod:`pybase.core.backups.postgres`, which points to the dump and the restore). One backup or
restore runs at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pybase.config import TEMP_DIR
from pybase.core.errors import BadRequestError
from pybase.core.events import AppEvent
from pybase.store.sqlite_driver import sqlite3
from pybase.tools.filesystem import FileNotFound, LocalStorage, Storage, StorageError
from pybase.tools.types import format_datetime

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.backups")

BACKUPS_DIR = "backups"
AUTO_PREFIX = "@auto_pb_backup_"
AUTO_JOB = "__pbAutoBackup__"
DATABASES = ("data.db", "auxiliary.db")
#: a Postgres backup restored into an app on SQLite
POSTGRES_INTO_SQLITE = (
    "The backup holds a Postgres database (made by pybase serving --db postgres://...): it can be "
    "restored only into a pybase app whose data is in Postgres."
)
NO_DATA = "The backup archive has neither a data.db nor a Postgres dump ({})."
# What a backup leaves out (PocketBase's list, plus the live databases' side files).
EXCLUDED = frozenset({BACKUPS_DIR, TEMP_DIR, ".pb_notify", ".autocert_cache", "lost+found"})
# Files of the running worker processes (locks, shared counters): never archived nor replaced.
RUNTIME_PREFIX = ".pybase_"
_SIDE_FILE_RE = re.compile(r"^(?:data|auxiliary)\.db(?:-wal|-shm|-journal)$")


class BackupBusyError(BadRequestError):
    """Another backup or restore is running."""

    default_message = "Try again later - another backup/restore process has already been started."


class BackupEvent(AppEvent):
    """``onBackupCreate``: ``name`` of the archive and the ``exclude`` list (changeable)."""

    name: str = ""
    exclude: list[str] | None = None


class BackupStore:
    """The backups folder of one app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.dir = os.path.join(app.data_dir, BACKUPS_DIR)
        self._lock = threading.Lock()
        self.active: str | None = None  # the backup being made or restored

    # ---- reading -------------------------------------------------------------------------

    def storage(self) -> Storage:
        """Where the archives are: ``pb_data/backups`` or the ``backups.s3`` bucket."""
        s3 = self.app.settings_store.live().get("backups.s3") or {}
        if s3.get("enabled"):
            return self.app.files.s3_storage(s3)
        return LocalStorage(self.dir)

    def list(self) -> list[dict[str, Any]]:
        """``[{"modified", "key", "size"}]`` in key order (the keys in PocketBase's order)."""
        storage = self.storage()
        if storage.kind == "local" and not os.path.isdir(self.dir):
            return []
        out = []
        for key in sorted(storage.list("")):
            if "/" in key or key in (".", ".."):
                continue
            try:
                attrs = storage.attributes(key)
            except FileNotFound:
                continue
            modified = format_datetime(attrs.modified.astimezone(UTC))
            out.append({"modified": modified, "key": key, "size": attrs.size})
        return out

    def exists(self, key: str) -> bool:
        """Whether backup ``key`` exists (False for a key that is no plain name)."""
        if not _plain(key):
            return False
        try:
            return self.storage().exists(key)
        except StorageError:
            return False

    # ---- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _activity(self, name: str) -> Iterator[None]:
        with self._lock:
            if self.active is not None:
                raise BackupBusyError()
            self.active = name
        try:
            yield
        finally:
            self.active = None

    @property
    def on_postgres(self) -> bool:
        """Whether the app's data is in Postgres (backups dump it; restores replace it in place)."""
        return bool(getattr(self.app, "database_url", ""))

    def create(self, name: str = "") -> str:
        """Take a backup now (``onBackupCreate`` fires); returns its key."""
        with self._activity(name or "?"):
            event = BackupEvent(self.app)
            event.name = name
            event.exclude = sorted(EXCLUDED)

            def finalize(e: BackupEvent) -> None:
                e.name = e.name or generate_name(self.app, "pb_backup_")
                self.active = e.name
                self._write(e.name, set(e.exclude or ()))

            self.app.hooks["onBackupCreate"].trigger(event, finalize)
            return event.name

    def _write(self, name: str, exclude: set[str]) -> None:
        started = time.monotonic()
        log.info("backup %s: started", name)
        os.makedirs(self.dir, exist_ok=True)
        temp_root = os.path.join(self.app.data_dir, TEMP_DIR)
        os.makedirs(temp_root, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=temp_root, prefix="pb_backup_") as work:
            for db_name in () if self.on_postgres else DATABASES:
                source = os.path.join(self.app.data_dir, db_name)
                if os.path.exists(source):
                    _snapshot(source, os.path.join(work, db_name))
            archive = os.path.join(work, "archive.zip")
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                if self.on_postgres:
                    from pybase.core.backups import postgres_dump

                    manifest = postgres_dump.write_dump(self.app, zf)
                    log.info("backup %s: %d Postgres tables dumped", name, len(manifest["tables"]))
                for db_name in DATABASES:
                    snapshot = os.path.join(work, db_name)
                    if os.path.exists(snapshot):
                        zf.write(snapshot, db_name)
                for count, (path, arcname) in enumerate(_data_files(self.app.data_dir, exclude), 1):
                    zf.write(path, arcname)
                    if count % 1000 == 0:
                        log.info("backup %s: %d files archived", name, count)
            size = os.path.getsize(archive)
            # NOTE: stored in whole (moved, or uploaded), so a listed backup is always complete.
            self.storage().put_path(name, archive, "application/zip")
        log.info("backup %s: done in %.1f s (%d bytes)", name, time.monotonic() - started, size)

    def save_upload(self, name: str, path: str) -> None:
        """Store an uploaded archive (a temp file at ``path``, which may be moved) as ``name``."""
        self.storage().put_path(name, path, "application/zip")

    def delete(self, key: str) -> None:
        """Delete backup ``key``; BadRequestError when it is in use or missing."""
        if key and key == self.active:
            raise BadRequestError("The backup is currently being used and cannot be deleted.")
        if not self.exists(key):
            raise BadRequestError(f"Invalid or already deleted backup file. Raw error: \nno such backup {key!r}")
        try:
            self.storage().delete(key)
        except StorageError as ex:
            raise BadRequestError(f"Invalid or already deleted backup file. Raw error: \n{ex}") from ex


    # ---- restore -------------------------------------------------------------------------

    def restore(self, key: str) -> None:
        """Unpack backup ``key`` and ask the app to restart on it (``onBackupRestore`` fires).

        The running process cannot swap its open databases, so (as PocketBase) it stops serving,
        the archive's files replace ``pb_data`` (the old ones go to the temp folder, emptied at
        the next start) and the process starts again on them: see :meth:`swap_in`.

        With the data in Postgres, the database is replaced in place first, in one transaction
        (a Postgres dump, or the ``data.db`` of a SQLite backup, PocketBase's included, copied
        over); nothing is changed when that fails. Every other node and worker reloads the
        collections and settings; this process restarts as on SQLite, or, when it was not
        started by ``pybase serve`` (embedded, tests), reloads them and swaps the files in place.
        """
        if self.app.restart is None and not self.on_postgres:
            raise BadRequestError("Restoring a backup needs pybase started by its command line (pybase serve).")
        with self._activity(key):
            if not self.exists(key):
                raise BadRequestError("Missing or invalid backup file.")
            event = BackupEvent(self.app)
            event.name = key
            event.exclude = sorted(EXCLUDED)

            def finalize(e: BackupEvent) -> None:
                temp_root = os.path.join(self.app.data_dir, TEMP_DIR)
                os.makedirs(temp_root, exist_ok=True)
                extracted = tempfile.mkdtemp(dir=temp_root, prefix="pb_restore_")
                log.info("restore %s: unpacking", e.name)
                try:
                    with self._local_copy(e.name if self.exists(e.name) else key, temp_root) as archive:
                        names = _archive_names(archive)
                        self._check_kind(names)
                        with zipfile.ZipFile(archive) as zf:
                            _safe_extract(zf, extracted)
                    exclude = set(e.exclude or ())
                    if self.on_postgres:
                        self._restore_database(e.name, names, extracted)
                        # NOTE: a data.db left in pb_data (before a db copy) is no part of it.
                        exclude |= {n for n in os.listdir(self.app.data_dir) if n in DATABASES or _SIDE_FILE_RE.match(n)}
                except BaseException:
                    shutil.rmtree(extracted, ignore_errors=True)
                    raise
                self.pending_restore = (extracted, exclude)
                log.info("restore %s: unpacked; stopping to restart on it", e.name)

            self.app.hooks["onBackupRestore"].trigger(event, finalize)
        if self.app.restart is None:
            # NOTE: on Postgres only (see above): the data is in; the files follow in place.
            self.swap_in()
            return
        self.app.restart()

    def _restore_database(self, name: str, names: list[str], extracted: str) -> None:
        """Replace the Postgres data by the unpacked archive's, then drop its database files."""
        from pybase.core.backups import postgres, postgres_restore

        kind = postgres.archive_kind(names)
        if kind == "postgres":
            log.info("restore %s: replacing the Postgres tables", name)
            postgres_restore.restore_dump(self.app, extracted)
            shutil.rmtree(os.path.join(extracted, postgres.DUMP_DIR), ignore_errors=True)
        elif kind == "sqlite":
            log.info("restore %s: copying its SQLite data.db into Postgres", name)
            postgres_restore.restore_sqlite(self.app, extracted)
        for db_name in os.listdir(extracted):
            if db_name in DATABASES or _SIDE_FILE_RE.match(db_name):
                os.remove(os.path.join(extracted, db_name))

    def check_restorable(self, key: str) -> None:
        """Refuse before restoring (a 400 at once, not a failure in the background) an archive
        that is no zip or holds data of the other kind; only for local archives (an S3 one is
        checked as it is restored)."""
        storage = self.storage()
        if not isinstance(storage, LocalStorage) or not _plain(key):
            return
        self._check_kind(_archive_names(os.path.join(self.dir, key)))

    def _check_kind(self, names: list[str]) -> None:
        # PERF/memory: the Postgres backups (db_copy, pg_objects...) load when a backup is
        # checked, made or restored on Postgres, not in every process of an app on SQLite.
        from pybase.core.backups import postgres

        kind = postgres.archive_kind(names)
        if kind == "postgres" and not self.on_postgres:
            raise BadRequestError(POSTGRES_INTO_SQLITE)
        if not kind:
            raise BadRequestError("The backup archive has no data.db." if not self.on_postgres else NO_DATA.format(postgres.MANIFEST))

    pending_restore: tuple[str, set[str]] | None = None

    @contextlib.contextmanager
    def _local_copy(self, key: str, temp_root: str) -> Iterator[str]:
        """A local path of backup ``key`` (downloaded to a temp file from S3, streamed)."""
        storage = self.storage()
        if isinstance(storage, LocalStorage):
            yield os.path.join(self.dir, key)
            return
        fd, path = tempfile.mkstemp(dir=temp_root, prefix="pb_restore_", suffix=".zip")
        try:
            reader = storage.open(key)
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in reader:
                        out.write(chunk)
            finally:
                reader.close()
            yield path
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    def swap_in(self) -> None:
        """Replace ``pb_data`` with the unpacked backup (the app must be closed)."""
        if self.pending_restore is None:
            return
        extracted, exclude = self.pending_restore
        self.pending_restore = None
        data_dir = self.app.data_dir
        old = tempfile.mkdtemp(dir=os.path.join(data_dir, TEMP_DIR), prefix="pb_replaced_")
        for name in os.listdir(data_dir):
            if name not in exclude and not name.startswith(RUNTIME_PREFIX):
                shutil.move(os.path.join(data_dir, name), os.path.join(old, name))
        for name in os.listdir(extracted):
            if name not in exclude and not name.startswith(RUNTIME_PREFIX):
                shutil.move(os.path.join(extracted, name), os.path.join(data_dir, name))
        log.info("restored pb_data from a backup (the replaced files are in %s until the next start)", old)

    # ---- scheduled backups ---------------------------------------------------------------

    def load_schedule(self) -> None:
        """(Re)schedule the automatic backups from ``settings.backups.cron`` ("" for none)."""
        expression = str(self.app.settings_store.live().get("backups.cron") or "")
        cron = self.app.cron
        cron.remove(AUTO_JOB)
        if not expression:
            return
        try:
            cron.add(AUTO_JOB, expression, self.run_scheduled)
        except ValueError as ex:
            # NOTE: as PocketBase, an expression the scheduler cannot take only goes unscheduled.
            log.warning("backups.cron %r is not scheduled: %s", expression, ex)

    def run_scheduled(self) -> None:
        """One automatic backup, then only the newest ``backups.cronMaxKeep`` of them are kept."""
        name = generate_name(self.app, AUTO_PREFIX)
        try:
            self.create(name)
        except Exception:  # noqa: BLE001 - a failed scheduled backup must not stop the scheduler
            log.exception("[Backup cron] failed to create backup %s", name)
        keep = int(self.app.settings_store.live().get("backups.cronMaxKeep") or 0)
        if keep <= 0:
            return  # no limit
        autos = sorted((b for b in self.list() if b["key"].startswith(AUTO_PREFIX)), key=lambda b: b["modified"], reverse=True)
        for old in autos[keep:]:
            try:
                self.delete(old["key"])
            except BadRequestError:
                log.exception("[Backup cron] failed to remove old backup %s", old["key"])


def _plain(key: str) -> bool:
    # NOTE: any file name, as PocketBase (an uploaded ".zip" is a backup too)
    return key not in ("", ".", "..") and os.path.basename(key) == key and not key.endswith(".attrs")


def _archive_names(path: str) -> list[str]:
    """The member names of the zip archive at ``path``; BadRequestError when it is no zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError) as ex:
        raise BadRequestError(f"The backup file is not a valid zip archive: {ex}.") from ex


def _safe_extract(zf: zipfile.ZipFile, target: str) -> None:
    """Extract every member inside ``target`` (SECURITY: no absolute paths or ``..``)."""
    root = os.path.realpath(target)
    for member in zf.infolist():
        dest = os.path.realpath(os.path.join(root, member.filename))
        if dest != root and not dest.startswith(root + os.sep):
            raise BadRequestError(f"Invalid backup archive entry {member.filename!r}.")
    zf.extractall(root)


def _snapshot(source: str, target: str) -> None:
    """A consistent copy of a live SQLite database (online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _data_files(data_dir: str, exclude: set[str]) -> Iterator[tuple[str, str]]:
    """Every other file of ``pb_data`` with its path inside the archive."""
    for root, dirs, files in os.walk(data_dir):
        rel_root = os.path.relpath(root, data_dir)
        if rel_root == ".":
            dirs[:] = [d for d in dirs if d not in exclude]
            files = [
                f for f in files
                if f not in exclude and f not in DATABASES and not _SIDE_FILE_RE.match(f) and not f.startswith(RUNTIME_PREFIX)
            ]
        for name in files:
            path = os.path.join(root, name)
            yield path, os.path.normpath(os.path.join(rel_root, name))


def generate_name(app: App, prefix: str) -> str:
    """``<prefix><app name in snake case>_<UTC timestamp>.zip``, as PocketBase names backups."""
    app_name = snake_case(str(app.settings_store.live().get("meta.appName") or ""))[:50]
    return f"{prefix}{app_name}_{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}.zip"


def snake_case(text: str) -> str:
    """``My App-Name`` -> ``my_app_name``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
