"""The core app: database, collections, records and the hook registry, with no HTTP."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from pybase.config import TEMP_DIR
from pybase.core import auth_refs, collection_save, installer, record_save
from pybase.core.app_hooks import HOOKS
from pybase.core.backups import BackupStore
from pybase.core.collection_bind import new_collection
from pybase.core.collection_registry import CollectionRegistry
from pybase.core.collections import Collection
from pybase.core.cron_jobs import new_scheduler
from pybase.core.errors import NotFoundError
from pybase.core.events import BootstrapEvent, TerminateEvent
from pybase.core.fields import new_field
from pybase.core.files import FilesService
from pybase.core.logs import Logger, LogSettings, LogStore
from pybase.core.realtime import EventBus, InProcessBus, SubscriptionsBroker
from pybase.core.record_query import RecordStore
from pybase.core.records import Record
from pybase.core.settings import Settings, SettingsStore
from pybase.core.system_collections import system_collections
from pybase.core.view_schema import json_fields, stored_view_query
from pybase.store.database_url import is_postgres_url
from pybase.store.db import Database
from pybase.store.schema import collections_table, create_system_tables, metadata
from pybase.store.statement_limit import DEFAULT_SECONDS as DEFAULT_QUERY_TIMEOUT
from pybase.tools.cron import Cron
from pybase.tools.hook import Hook
from pybase.tools.memory import trim_heap

if TYPE_CHECKING:
    from pybase.store.db_postgres import PostgresDatabase

log = logging.getLogger("pybase")


def open_database(data_dir: str, url: str, query_timeout: float = 0.0) -> Database | PostgresDatabase:
    """``data_dir``/data.db, or the Postgres database ``url`` names (``postgres://...``)."""
    if not url:
        return Database(os.path.join(data_dir, "data.db"))
    if is_postgres_url(url):
        # NOTE: psycopg is imported only for Postgres
        from pybase.store.db_postgres import PostgresDatabase

        return PostgresDatabase(url, statement_seconds=query_timeout)
    raise ValueError(f"unsupported database URL (expected postgres://...): {url.split(':', 1)[0]}://...")


class App:
    """Everything a pybase instance owns; handed to every layer above ``core``."""

    def __init__(
        self,
        data_dir: str,
        *,
        dev: bool = False,
        query_timeout: float = DEFAULT_QUERY_TIMEOUT,
        encryption_env: str = "",
        database_url: str = "",
    ) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.dev = dev
        #: seconds one SQL statement of a request may run (PocketBase's --queryTimeout)
        self.query_timeout = query_timeout
        #: the data database: pb_data/data.db, or the Postgres database of ``database_url``
        self.database_url = database_url
        self.db: Any = open_database(self.data_dir, database_url, query_timeout)
        self.registry = CollectionRegistry(self.db)
        self.records = RecordStore(self.db, self.registry)
        self._log_settings: tuple[Any, LogSettings] | None = None
        self.logs = LogStore(self.data_dir, self.log_settings, database_url)
        self.backups = BackupStore(self)
        #: record files: local pb_data/storage or the S3 bucket of the settings
        self.files = FilesService(self)
        #: stops serving so that the process starts again (set by ``pybase serve``; None elsewhere)
        self.restart: Callable[[], None] | None = None
        self._logger = Logger(self.logs)
        self.hooks: dict[str, Hook[Any]] = {}
        for spec in HOOKS:
            hook: Hook[Any] = Hook(spec.js_name)
            self.hooks[spec.js_name] = hook
            setattr(self, spec.name, hook)
        #: the live settings, stored in ``_params`` (encrypted with the key in $encryption_env)
        self.settings_store = SettingsStore(self, encryption_env)
        self.hooks["onSettingsReload"].bind(self._logs_on_settings_reload, id="__pbAppLoggerOnSettingsReload__", priority=-999)
        auth_refs.register(self)
        installer.register(self)
        self._broker = SubscriptionsBroker()
        #: rate-limit windows counted with the other worker processes (None: this process alone)
        self.rate_windows: Any = None
        #: committed record changes on their way to the realtime streams (one per process today)
        self.event_bus: EventBus = InProcessBus()
        #: called inside a write that changed collections or settings outside their save
        #: pipelines (``/api/sql``): worker processes and cluster nodes announce it here
        self.on_schema_changed: list[Callable[[], Any]] = []
        self.bootstrapped = False
        #: whether bootstrap empties pb_data's TEMP_DIR (not a worker process: its supervisor does)
        self.empties_temp_dir = True
        self._cron: Cron | None = None
        self._cron_lock = threading.Lock()

    @property
    def cron(self) -> Cron:
        """The cron scheduler (made on first use, with PocketBase's built-in jobs)."""
        if self._cron is None:
            with self._cron_lock:
                if self._cron is None:
                    self._cron = new_scheduler(self)
        return self._cron

    def logger(self) -> Logger:
        """The app logger (PocketBase's ``app.Logger()``): entries land in ``_logs``."""
        return self._logger

    def subscriptions_broker(self) -> SubscriptionsBroker:
        """The realtime clients of this process (PocketBase's ``app.SubscriptionsBroker()``)."""
        return self._broker

    def log_settings(self) -> LogSettings:
        """The ``logs`` settings in force (derived once per settings reload)."""
        live = self.settings_store.live()
        cached = self._log_settings
        if cached is not None and cached[0] is live:
            return cached[1]
        logs = live.get("logs") or {}
        derived = LogSettings(
            max_days=int(logs.get("maxDays", 5) or 0),
            min_level=int(logs.get("minLevel", 0) or 0),
            log_ip=bool(logs.get("logIP", True)),
            log_auth_id=bool(logs.get("logAuthId", False)),
        )
        self._log_settings = (live, derived)
        return derived

    def _logs_on_settings_reload(self, e: Any) -> Any:
        # NOTE: as PocketBase: entries the new logs settings would not keep are deleted, and the
        # automatic backups follow the new backups.cron.
        result = e.next()
        if self.bootstrapped:
            self.backups.load_schedule()  # NOTE: never raises: a bad expression is logged
            try:
                self.logs.flush()  # what waits was accepted under the old settings
                self.logs.delete_expired()
            except Exception:  # noqa: BLE001 - a settings change must not fail on the logs
                log.exception("failed to clean up the logs after a settings change")
        return result

    # ---- lifecycle ---------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Open the database, create system tables and collections, load the registry."""
        os.makedirs(self.data_dir, exist_ok=True)
        if self.empties_temp_dir:
            # NOTE: as PocketBase: what an interrupted backup or upload left behind goes at every start
            shutil.rmtree(os.path.join(self.data_dir, TEMP_DIR), ignore_errors=True)

        def finalize(_: BootstrapEvent) -> None:
            if self.db.dialect.name == "postgresql":
                self.db.install_helpers()
            with self.db.write() as conn:
                create_system_tables(conn)
            self.settings_store.reload()
            self.registry.reload()
            self._text_to_byte_order()
            self._refresh_views()
            self._refresh_indexes()
            self._ensure_system_collections()
            self.logs.open()
            self.backups.load_schedule()
            self.bootstrapped = True

        self.hooks["onBootstrap"].trigger(BootstrapEvent(self), finalize)

    def release_memory(self) -> None:
        """Give back what a burst of requests left cached, once the server is idle (the server
        calls it): idle database connections' page caches, then the C heap's free pages."""
        self.db.release_memory()
        logs_db = self.logs.database()
        if logs_db is not None:
            logs_db.release_memory()
        trim_heap()

    def terminate(self, *, is_restart: bool = False) -> None:
        """Fire onTerminate and close the database."""
        event = TerminateEvent(self)
        event.is_restart = is_restart
        def finalize(_e: TerminateEvent) -> None:
            self.logs.close()
            self.db.close()

        self.hooks["onTerminate"].trigger(event, finalize)

    def _text_to_byte_order(self) -> None:
        """On Postgres, the text columns of tables an older pybase made in a collation that does
        not order by bytes (en_US.UTF-8, ICU) made ``COLLATE "C"``, once (pg_text_order)."""
        if self.db.dialect.name != "postgresql":
            return
        # PERF/memory: Postgres's modules are imported where a Postgres app needs them
        from pybase.store import pg_text_order

        tables = [table.name for table in metadata.sorted_tables]
        tables += [col.name for col in self.registry.all() if not col.is_view]
        try:
            with self.db.write() as conn:
                changed = pg_text_order.to_byte_order(conn, tables)
        except Exception:  # noqa: BLE001 - sorts and filters still answer in byte order: never fail a start
            log.exception("text columns could not be made byte-ordered (COLLATE \"C\")")
            return
        if changed:
            log.info("text columns made byte-ordered (COLLATE \"C\", as SQLite compares text): %s", ", ".join(changed))

    def _refresh_views(self) -> None:
        """On Postgres, view collections' views made by an older pybase (its translation of
        their SQLite queries) made again as this one writes them."""
        views = [(col.name, col.view_query, json_fields(col)) for col in self.registry.all() if col.is_view]
        if self.db.dialect.name != "postgresql" or not views:
            return
        from pybase.store import pg_views

        try:
            with self.db.write() as conn:
                made = pg_views.refresh(conn, views, stored_view_query)
        except Exception:  # noqa: BLE001 - the views keep working as they were: never fail a start
            log.exception("view collections' views could not be brought up to date")
            return
        if made:
            log.info("view collections' views brought up to date: %s", ", ".join(made))
            self.registry.reload()  # NOTE: a view's columns may be jsonb no more (or now): read anew

    def _refresh_indexes(self) -> list[str]:
        """On Postgres, collections' indexes made by an older pybase (a btree refusing long
        values where this one holds the key by digest) made again as this one makes them;
        returns the collections whose indexes were made again."""
        if self.db.dialect.name != "postgresql":
            return []
        from pybase.store import pg_indexes

        tables = [(col.name, col.table, col.parsed_indexes()) for col in self.registry.all() if not col.is_view]
        try:
            with self.db.read() as conn:
                names = pg_indexes.stale(conn, tables)
        except Exception:  # noqa: BLE001 - the indexes keep working as they were: never fail a start
            log.exception("collections' indexes could not be compared with this pybase's")
            return []
        made = []
        for name in names:
            # NOTE: one transaction a collection (its table locked while its indexes are made,
            # not while all are), the collection read again under the lock its saves take on
            # Postgres: another node may have changed it since this one started
            try:
                with self.db.write() as conn:
                    pg_indexes.lock(conn)
                    row = conn.execute(select(collections_table).where(collections_table.c.name == name)).first()
                    if row is None:
                        continue
                    col = Collection.from_row(row)
                    if not col.is_view and pg_indexes.remake(conn, col.name, col.table, col.parsed_indexes()):
                        made.append(col.name)
            except Exception:  # noqa: BLE001 - the old indexes keep working: never fail a start
                log.exception("the indexes of collection %s could not be made as this pybase makes them", name)
        if made:
            log.info("collections' indexes made again as this pybase makes them: %s", ", ".join(made))
        return made

    def _ensure_system_collections(self) -> None:
        for data in system_collections():
            if self.registry.find(data["id"]) is not None:
                continue
            data = dict(data)
            extra = data.pop("fields_extra", [])
            col = new_collection(data)
            col.system = data.get("system", False)
            col.fields.extend(new_field(f) for f in extra)
            col.invalidate()
            collection_save.save_collection(self, col, None)

    # ---- settings ----------------------------------------------------------------------

    def settings(self) -> Settings:
        """A copy of the live settings (``settings["meta"]["appName"]``, ``settings.get("smtp.host")``)."""
        return self.settings_store.current()

    def save_settings(self, settings: Settings) -> Settings:
        """Validate, store and reload ``settings`` (onSettingsReload fires); ValidationError when invalid."""
        return self.settings_store.save(settings)

    def reload_settings(self) -> None:
        """Read the stored settings again (after a change made outside the app)."""
        self.settings_store.reload()

    # ---- collections -------------------------------------------------------------------

    def find_collection(self, id_or_name: str) -> Collection:
        """A collection by id or name, or NotFoundError."""
        col = self.registry.find(id_or_name)
        if col is None:
            raise NotFoundError()
        return col

    def save_collection(self, col: Collection, old: Collection | None = None, renames: dict[str, str] | None = None) -> Collection:
        """Create or update a collection (and its table) through the hooks."""
        return collection_save.save_collection(self, col, old, renames)

    def delete_collection(self, col: Collection) -> None:
        """Delete a collection and its table through the hooks."""
        collection_save.delete_collection(self, col)

    # ---- records -----------------------------------------------------------------------

    def new_record(self, collection: Collection | str, data: dict[str, Any] | None = None) -> Record:
        """A new, unsaved record."""
        col = self.find_collection(collection) if isinstance(collection, str) else collection
        return Record(col, data, store=self.records)

    def find_record_by_id(self, collection: Collection | str, record_id: str) -> Record:
        """A record by id, or NotFoundError."""
        col = self.find_collection(collection) if isinstance(collection, str) else collection
        return self.records.find_by_id(col, record_id)

    def save(self, record: Record, *, validate: bool = True) -> Record:
        """Create or update a record through the hooks."""
        return record_save.save_record(self, record, validate=validate)

    def save_checked(self, record: Record, check: Any = None) -> Record:
        """Save, running ``check(conn, record)`` inside the transaction after the write."""
        return record_save.save_record(self, record, check=check)

    def delete(self, record: Record) -> None:
        """Delete a record through the hooks."""
        record_save.delete_record(self, record)

    def find_auth_record_by_email(self, collection: Collection | str, email: str) -> Record:
        """An auth record by email, or NotFoundError."""
        col = self.find_collection(collection) if isinstance(collection, str) else collection
        record = self.records.find_first(col, email=email)
        if record is None:
            raise NotFoundError()
        return record
