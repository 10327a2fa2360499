"""The app's cron scheduler with PocketBase's built-in jobs.

``__pbDBOptimize__`` (database optimize), ``__pbMFACleanup__`` and ``__pbOTPCleanup__``
(expired ``_mfas``/``_otps`` rows), ``__pbLogsCleanup__`` (logs past ``logs.maxDays``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pybase.tools.cron import Cron
from pybase.tools.types import format_datetime, now

if TYPE_CHECKING:
    from pybase.core.app import App


def new_scheduler(app: App) -> Cron:
    """A scheduler with the built-in jobs registered (not started)."""
    cron = Cron()
    cron.add("__pbDBOptimize__", "0 0 * * *", app.db.optimize)
    cron.add("__pbMFACleanup__", "0 * * * *", lambda: delete_expired(app, "_mfas", "mfa", 600))
    cron.add("__pbOTPCleanup__", "0 * * * *", lambda: delete_expired(app, "_otps", "otp", 180))
    cron.add("__pbLogsCleanup__", "0 */6 * * *", app.logs.delete_expired)
    return cron


def delete_expired(app: App, table: str, option: str, default_duration: int) -> int:
    """Delete the rows of ``_mfas``/``_otps`` older than their auth collection's duration.

    As PocketBase's ``DeleteExpiredOTPs``/``MFAs``: for every auth collection (even with the
    feature disabled), through ``app.delete`` so the record hooks fire. Returns the count.
    """
    target = app.registry.find(table)
    if target is None:
        return 0
    deleted = 0
    for col in app.registry.all():
        if not col.is_auth:
            continue
        duration = (col.auth.get(option) or {}).get("duration") or default_duration
        cutoff = format_datetime(now() - timedelta(seconds=int(duration)))
        where: list[Any] = [target.table.c.collectionRef == col.id, target.table.c.created < cutoff]
        while True:
            page = app.records.list_page(target, where=where, per_page=200, skip_total=True)
            if not page.records:
                break
            for record in page.records:
                app.delete(record)
                deleted += 1
    return deleted
