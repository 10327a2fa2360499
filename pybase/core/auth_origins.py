"""Sign-in origins (``_authOrigins``) and the new-location alert mail, as PocketBase.

Each password/OTP/OAuth2 sign-in records a fingerprint of the client (IP and user agent). A
sign-in from a fingerprint the record has not used before mails a login alert when the
collection's ``authAlert`` is enabled (not on the very first sign-in); only the 5 most recent
origins are kept.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from pybase.core.mail import send_in_background
from pybase.core.mail.record_mails import send_record_auth_alert
from pybase.core.mail.templates import go_now

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record

log = logging.getLogger("pybase")

MAX_AUTH_ORIGINS = 5
MAX_USER_AGENT = 200


def fingerprint(ip: str, user_agent: str) -> str:
    """PocketBase's origin fingerprint: MD5 of the IP and the (cut) user agent."""
    return hashlib.md5((ip + _cut(user_agent)).encode(), usedforsecurity=False).hexdigest()


def _cut(user_agent: str) -> str:
    return user_agent if len(user_agent) <= MAX_USER_AGENT else user_agent[:MAX_USER_AGENT] + "..."


def track_sign_in(app: App, record: Record, ip: str, user_agent: str) -> None:
    """Record the sign-in's origin; mail an alert (in the background) for a new one."""
    if not (record.collection.auth.get("authAlert") or {}).get("enabled"):
        return
    origins_col = app.registry.find("_authOrigins")
    if origins_col is None:
        return
    table = origins_col.table
    where = [table.c.collectionRef == record.collection.id, table.c.recordRef == record.id]
    origins = app.records.list_page(origins_col, where=where, order_by=[table.c.created.desc()], per_page=500, skip_total=True).records
    print_ = fingerprint(ip, user_agent)
    current = next((o for o in origins if o.get("fingerprint") == print_), None)
    if current is None:
        current = app.new_record(origins_col, {"collectionRef": record.collection.id, "recordRef": record.id, "fingerprint": print_})
        if origins and record.email:
            # NOTE: PocketBase waits up to 15 s for this mail inside the sign-in; here it goes
            # out in the background and the answer does not wait.
            info = f"{go_now()} - {ip} {_cut(user_agent)}"
            send_in_background(app, "login alert email", lambda: send_record_auth_alert(app, record, info))
        for old in origins[MAX_AUTH_ORIGINS - 1:]:
            try:
                app.delete(old)
            except Exception:  # noqa: BLE001 - as PocketBase, not fatal for the sign-in
                log.warning("failed to delete the old auth origin %s", old.id, exc_info=True)
    app.save(current)
