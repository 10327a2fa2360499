"""The settings' persistence: one ``_params`` row (id ``settings``), optionally encrypted.

As PocketBase: the value is the settings' JSON, or, when the environment variable named by
``--encryptionEnv`` holds a key, that JSON encrypted with AES-GCM (``tools/encrypt.py``). Loading
tries plain JSON first and decrypts only when that fails, so a data dir can move from plain to
encrypted (the next save encrypts) and a PocketBase data dir reads as is. An app with no stored
settings saves its defaults on bootstrap.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import insert, select, update

from pybase.core.errors import PyBaseError, ValidationError
from pybase.core.events import ModelEvent, SettingsReloadEvent
from pybase.core.settings.model import Settings
from pybase.core.settings.validation import validate as validate_settings
from pybase.store.ordered_reload import OrderedReload
from pybase.store.schema import params_table
from pybase.tools.encrypt import EncryptionError, decrypt, encrypt
from pybase.tools.types import now_string

if TYPE_CHECKING:
    from pybase.core.app import App

PARAM_ID = "settings"
SYSTEM_HOOK_ID = "__pbSettingsSystemHook__"


class SettingsLoadError(PyBaseError):
    """The stored settings cannot be read or written (bad data, a missing or invalid key)."""


class SettingsStore:
    """The live settings of one app: read from the database, validated and written back."""

    def __init__(self, app: App, encryption_env: str = "") -> None:
        self.app = app
        #: the name of the environment variable holding the encryption key ("" for none)
        self.encryption_env = encryption_env
        self._current = Settings()
        self._lock = threading.Lock()
        self._reloads = OrderedReload(app.db, self.reload)
        app.hooks["onCollectionUpdate"].bind(self._on_collection_update, id=SYSTEM_HOOK_ID, priority=99)

    def encryption_key(self) -> str:
        """The key from the environment ("" when none is configured or the variable is empty)."""
        return os.environ.get(self.encryption_env, "") if self.encryption_env else ""

    def current(self) -> Settings:
        """A copy of the live settings."""
        with self._lock:
            return self._current.clone()

    def live(self) -> Settings:
        """The live settings object itself, not a copy: read it, never change it.

        PERF: for hot paths (the request log reads ``logs`` on every request); a reload
        replaces the object, so a caller may cache what it derives from it by identity.
        """
        return self._current

    def reload(self) -> None:
        """Read the stored settings and make them live (firing onSettingsReload).

        With nothing stored yet the live settings (the defaults on a new app) are saved first,
        through the model create hooks (tag ``_params``).
        """
        ticket = self._reloads.ticket()
        row = self._read_row()
        if row is None:
            self._save_through_hooks(self.current(), creating=True)
            row = self._read_row()
            if row is None:  # pragma: no cover - the row was just written
                raise SettingsLoadError("the settings were not saved")
        stored = self._decode(row[0])
        event = SettingsReloadEvent(self.app)
        event.settings = Settings(stored)

        def finalize(e: SettingsReloadEvent) -> None:
            settings = e.settings.clone() if isinstance(e.settings, Settings) else Settings(e.settings)

            def make_live() -> None:
                with self._lock:
                    self._current = settings

            self._reloads.install(ticket, make_live)

        self.app.hooks["onSettingsReload"].trigger(event, finalize)

    def save(self, settings: Settings) -> Settings:
        """Validate ``settings``, store them and make them live; returns a copy of the live ones.

        As PocketBase's ``app.Save(settings)``: onModelUpdate -> onModelValidate ->
        onModelUpdateExecute -> onModelAfterUpdateSuccess (or ...Error), tagged ``_params``, then
        the reload (onSettingsReload). ValidationError (nested per section and field) when invalid.
        """
        self._save_through_hooks(settings, creating=False)
        self.reload()
        return self.current()

    def _read_row(self) -> Any:
        with self.app.db.read() as conn:
            return conn.execute(select(params_table.c.value).where(params_table.c.id == PARAM_ID)).first()

    def _save_through_hooks(self, settings: Settings, *, creating: bool) -> None:
        hooks = self.app.hooks
        verb = "Create" if creating else "Update"

        def validate(_e: Any) -> None:
            errors = validate_settings(settings.data)
            if errors:
                raise ValidationError(errors)

        def execute(_e: Any) -> None:
            self._write(self._with_kept_secrets(settings), insert_row=creating)

        def action(_e: Any) -> None:
            hooks["onModelValidate"].trigger(ModelEvent(self.app, settings), validate)
            hooks[f"onModel{verb}Execute"].trigger(ModelEvent(self.app, settings), execute)

        try:
            hooks[f"onModel{verb}"].trigger(ModelEvent(self.app, settings), action)
        except Exception as ex:
            failed = ModelEvent(self.app, settings)
            failed.error = ex
            hooks[f"onModelAfter{verb}Error"].trigger(failed)
            raise
        hooks[f"onModelAfter{verb}Success"].trigger(ModelEvent(self.app, settings))

    def _with_kept_secrets(self, settings: Settings) -> Settings:
        # NOTE: as PocketBase 0.40: a blank S3 secret keeps the stored one (answers never show
        # it, so a client sending the settings back must not erase it); the SMTP password does not.
        out = settings.clone()
        current = self.current()
        for new, old in ((out["s3"], current["s3"]), (out["backups"]["s3"], current["backups"]["s3"])):
            if not new["secret"]:
                new["secret"] = old["secret"]
        return out

    def _on_collection_update(self, e: Any) -> Any:
        """A renamed collection keeps its rate-limit rules: ``old:tag`` labels become ``new:tag``."""
        old = self.app.registry.find(e.collection.id)
        old_name = old.name if old is not None else ""
        result = e.next()
        new_name = e.collection.name
        if old_name and old_name != new_name:
            settings = self.current()
            changed = False
            for rule in settings["rateLimits"]["rules"]:
                if rule["label"].startswith(old_name + ":"):
                    rule["label"] = new_name + ":" + rule["label"][len(old_name) + 1 :]
                    changed = True
            if changed:
                self.save(settings)
        return result

    # ---- encoding -----------------------------------------------------------------------

    def _write(self, settings: Settings, *, insert_row: bool) -> None:
        encoded = orjson.dumps(settings.to_db())
        key = self.encryption_key()
        if key:
            try:
                value = encrypt(encoded, key)
            except EncryptionError as ex:
                raise SettingsLoadError(f"failed to encrypt the settings: {ex}") from ex
        else:
            value = encoded.decode()
        now = now_string()
        with self.app.db.write() as conn:
            exists = conn.execute(select(params_table.c.id).where(params_table.c.id == PARAM_ID)).first()
            if exists is None:
                conn.execute(insert(params_table).values(id=PARAM_ID, value=value, created=now, updated=now))
            elif not insert_row:
                conn.execute(update(params_table).where(params_table.c.id == PARAM_ID).values(value=value, updated=now))

    def _decode(self, raw: Any) -> dict[str, Any]:
        data = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            key = self.encryption_key()
            if not key:
                raise SettingsLoadError(f"invalid settings db data or missing encryption key \"{self.encryption_env}\"")
            try:
                value = orjson.loads(decrypt(data.decode("ascii", "replace"), key))
            except (EncryptionError, orjson.JSONDecodeError) as ex:
                raise SettingsLoadError(f"cannot decrypt the stored settings: {ex}") from ex
            if not isinstance(value, dict):
                raise SettingsLoadError("invalid settings db data")
        return value
