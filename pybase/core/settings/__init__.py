"""The app settings (PocketBase's ``Settings``): model, defaults, validation and store.

``app.settings()`` answers a copy of the live settings; ``app.save_settings(settings)``
validates, stores (encrypted with ``--encryptionEnv``'s key) and reloads them.
"""

from __future__ import annotations

from pybase.core.settings.defaults import SECRET_PATHS, SHAPE, default_settings
from pybase.core.settings.model import BindError, Settings, bind_form, bind_value, decode_body
from pybase.core.settings.store import SettingsLoadError, SettingsStore
from pybase.core.settings.validation import validate

__all__ = [
    "SECRET_PATHS",
    "SHAPE",
    "BindError",
    "Settings",
    "SettingsLoadError",
    "SettingsStore",
    "bind_form",
    "bind_value",
    "decode_body",
    "default_settings",
    "validate",
]
