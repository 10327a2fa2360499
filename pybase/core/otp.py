"""One-time passwords of auth records (PocketBase's ``_otps`` collection and OTP flow)."""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pybase.core.errors import NotFoundError
from pybase.core.mail import send_in_background
from pybase.core.mail.record_mails import send_record_otp
from pybase.core.records import BCRYPT_COST, hash_password
from pybase.tools.ratelimit import RateLimiter
from pybase.tools.security import random_string
from pybase.tools.types import now, parse_datetime

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record

OTPS = "_otps"
DIGITS = "1234567890"
#: OTP creations within the code's duration after which the last code is handed out again
MAX_RECENT_OTPS = 9
#: wrong-or-right code submissions per record and client IP in ATTEMPTS_WINDOW seconds
MAX_ATTEMPTS = 5
ATTEMPTS_WINDOW = 180

log = logging.getLogger("pybase")


def otp_options(collection: Collection) -> dict[str, Any]:
    """The collection's ``otp`` options."""
    return collection.auth.get("otp") or {}


def new_password(collection: Collection) -> str:
    """A random code of the collection's OTP length, digits only (as PocketBase)."""
    return random_string(int(otp_options(collection).get("length") or 8), DIGITS)


def has_expired(record: Record, seconds: int) -> bool:
    """Whether more than ``seconds`` passed since the ``_otps``/``_mfas`` row was created."""
    created = parse_datetime(str(record.get("created") or ""))
    return created is None or now() - created > timedelta(seconds=seconds)


def find_by_id(app: App, otp_id: str) -> Record | None:
    """The ``_otps`` row with this id, or None."""
    try:
        return app.records.find_by_id(app.find_collection(OTPS), otp_id)
    except NotFoundError:
        return None


def find_by_record(app: App, auth_record: Record) -> list[Record]:
    """Every OTP of an auth record, newest first."""
    otps = app.find_collection(OTPS)
    table = otps.table
    page = app.records.list_page(
        otps,
        where=[table.c.collectionRef == auth_record.collection.id, table.c.recordRef == auth_record.id],
        order_by=[table.c.created.desc()], per_page=1000, skip_total=True,
    )
    return list(page.records)


def create(app: App, auth_record: Record, password: str) -> Record:
    """Save a new OTP for ``auth_record`` (the code is stored as a bcrypt hash)."""
    otp = app.new_record(OTPS, {"collectionRef": auth_record.collection.id, "recordRef": auth_record.id})
    otp.set_password_plain("password", password)
    return app.save(otp)


def reusable(app: App, auth_record: Record) -> Record | None:
    """The last issued OTP when too many were issued recently (PocketBase's request flood guard)."""
    duration = int(otp_options(auth_record.collection).get("duration") or 0)
    otps = find_by_record(app, auth_record)
    recent = sum(1 for otp in otps if not has_expired(otp, duration))
    return otps[0] if recent > MAX_RECENT_OTPS else None


def spend_hash_time(app: App, password: str) -> None:
    """Hash ``password`` for nothing: the cost of storing a new code, spent for an unknown email."""
    field = app.find_collection(OTPS).field("password")
    hash_password(password, getattr(field, "cost", 0) or BCRYPT_COST)


def validate_password(otp: Record, password: str) -> bool:
    """Whether ``password`` is the OTP's code (bcrypt, constant time)."""
    return otp.validate_password(password)


class _Attempts:
    """Per-record attempt counters (keyed by client IP), as PocketBase's ``@pb_otp_`` limiter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiters: dict[str, RateLimiter] = {}

    def allow(self, record_id: str, client: str) -> bool:
        with self._lock:
            limiter = self._limiters.get(record_id)
            if limiter is None:
                if len(self._limiters) > 10_000:  # forget idle records now and then
                    for limiter in self._limiters.values():
                        limiter.clean()
                    self._limiters = {k: v for k, v in self._limiters.items() if v._clients}
                limiter = self._limiters[record_id] = RateLimiter(MAX_ATTEMPTS, ATTEMPTS_WINDOW)
        return not client or limiter.allow(client)


_ATTEMPTS: weakref.WeakKeyDictionary[Any, _Attempts] = weakref.WeakKeyDictionary()
_ATTEMPTS_LOCK = threading.Lock()


def allow_attempt(app: App, auth_record: Record, client_ip: str) -> bool:
    """Count one code submission for ``auth_record`` from ``client_ip``; False past the limit.

    SECURITY: codes are short digit strings, so submissions are bounded per record (5 in 3
    minutes per client, as PocketBase) whatever the app's rate limit settings.
    """
    with _ATTEMPTS_LOCK:
        attempts = _ATTEMPTS.get(app)
        if attempts is None:
            attempts = _ATTEMPTS[app] = _Attempts()
    return attempts.allow(auth_record.id, client_ip)


def send(app: App, auth_record: Record, otp_id: str, password: str) -> None:
    """Mail the code to the record's email address off the request path.

    The OTP records where the mail went (``sentTo``, which lets the sign-in verify the address);
    a mail that fails deletes the OTP, as PocketBase.
    """

    def sent_to(address: str) -> None:
        otp = find_by_id(app, otp_id)
        if otp is None or otp.get("sentTo"):
            return  # already used or deleted, or sent elsewhere before
        otp.set("sentTo", address)
        app.save(otp)

    def job() -> None:
        try:
            send_record_otp(app, auth_record, otp_id, password, after=sent_to)
        except Exception:
            log.exception("failed to send the OTP email of %s", auth_record.id)
            otp = find_by_id(app, otp_id)
            if otp is not None:
                app.delete(otp)

    # SECURITY: in the background, so the answer takes as long for unknown emails.
    send_in_background(app, "otp", job)


def mark_verified(app: App, auth_record: Record, sent_to: str) -> None:
    """Verify the record when the code went to its current email (PocketBase's OTP upgrade).

    SECURITY: without MFA the password is replaced by a random one, so an account someone
    pre-registered with the owner's email cannot be entered with the pre-set password.
    """
    if auth_record.get("verified") or not sent_to or auth_record.email != sent_to:
        return
    auth_record.set("verified", True)
    if not (auth_record.collection.auth.get("mfa") or {}).get("enabled"):
        auth_record.set_password_plain("password", random_string(30))
    try:
        app.save(auth_record)
    except Exception:  # noqa: BLE001 - the sign-in goes on, as PocketBase
        log.exception("failed to mark record %s verified after an OTP sign-in", auth_record.id)
