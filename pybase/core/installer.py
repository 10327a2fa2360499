"""The first-run installer: a one-time link that lets the dashboard create the first superuser.

As PocketBase's ``apis/installer.go``: while no superuser exists but the installer account
(``__pbinstaller@example.com``, random password), ``pybase serve`` saves that account and prints
``<base>/_/#/pbinstall/<token>``, where the token is a 30 minute, non-refreshable auth token of
the installer account. The dashboard creates the real superuser with it; saving any other
superuser deletes the installer account, which ends the token.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from pybase.core.auth import new_auth_token
from pybase.core.collections import SUPERUSERS

if TYPE_CHECKING:
    from pybase.core.app import App

INSTALLER_EMAIL = "__pbinstaller@example.com"
#: seconds the installer link stays valid
INSTALLER_TOKEN_DURATION = 30 * 60

log = logging.getLogger("pybase")


def register(app: App) -> None:
    """Delete the installer account once another superuser is created or updated."""
    app.hooks["onRecordCreateExecute"].bind(lambda e: _superuser_saved(app, e), id="__pbSuperusersInstallerCleanup__", priority=-99, tags=[SUPERUSERS])
    app.hooks["onRecordUpdateExecute"].bind(lambda e: _superuser_saved(app, e), id="__pbSuperusersInstallerCleanupUpdate__", priority=-99, tags=[SUPERUSERS])


def needs_installer(app: App) -> bool:
    """True while no superuser exists besides the installer account."""
    col = app.find_collection(SUPERUSERS)
    return app.records.count(col, col.table.c["email"] != INSTALLER_EMAIL) == 0


def installer_url(app: App, base_url: str) -> str | None:
    """The installer link (creating the installer account if needed); None once a superuser exists."""
    if not needs_installer(app):
        return None
    col = app.find_collection(SUPERUSERS)
    record = app.records.find_first(col, email=INSTALLER_EMAIL)
    if record is None:
        record = app.new_record(col, {"email": INSTALLER_EMAIL})
        record.set_password_plain("password", secrets.token_urlsafe(24))
        app.save(record)
    token = new_auth_token(record, refreshable=False, duration=INSTALLER_TOKEN_DURATION)
    return f"{base_url.rstrip('/')}/_/#/pbinstall/{token}"


def _superuser_saved(app: App, e: Any) -> Any:
    result = e.next()
    if e.record.get("email") == INSTALLER_EMAIL:
        return result
    installer = app.records.find_first(e.record.collection, email=INSTALLER_EMAIL)
    if installer is not None:
        try:
            app.delete(installer)
        except Exception:  # noqa: BLE001 - as PocketBase, a failed cleanup is only logged
            log.warning("failed to delete the installer superuser", exc_info=True)
    return result
