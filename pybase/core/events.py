"""Event objects passed along hook chains (PocketBase's event types, in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pybase.tools.hook import Event

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection
    from pybase.core.records import Record
    from pybase.core.settings import Settings


class AppEvent(Event):
    """An event that knows the app it happens in."""

    def __init__(self, app: App, **extra: Any) -> None:
        self.app = app
        for key, value in extra.items():
            setattr(self, key, value)


class BootstrapEvent(AppEvent):
    """The app is loading its database, settings and hooks."""


class ServeEvent(AppEvent):
    """The HTTP server is about to start; ``router`` lets handlers add routes."""

    router: Any = None
    server: Any = None


class TerminateEvent(AppEvent):
    """The app is shutting down (``is_restart`` when it will start again)."""

    is_restart: bool = False


class ModelEvent(AppEvent):
    """A low-level save/delete of a record or collection; tags are its table name."""

    def __init__(self, app: App, model: Any, **extra: Any) -> None:
        super().__init__(app, **extra)
        self.model = model
        self.error: BaseException | None = None

    def tags(self) -> Iterable[str]:
        return (self.model.table_name(),)


class RecordEvent(AppEvent):
    """A record is being validated, saved or deleted; tags are its collection id and name."""

    def __init__(self, app: App, record: Record, **extra: Any) -> None:
        super().__init__(app, **extra)
        self.record = record
        self.error: BaseException | None = None

    def tags(self) -> Iterable[str]:
        return (self.record.collection.id, self.record.collection.name)


class CollectionEvent(AppEvent):
    """A collection is being validated, saved or deleted."""

    def __init__(self, app: App, collection: Collection, **extra: Any) -> None:
        super().__init__(app, **extra)
        self.collection = collection
        self.error: BaseException | None = None

    def tags(self) -> Iterable[str]:
        return (self.collection.id, self.collection.name)


class RecordEnrichEvent(RecordEvent):
    """A record is being shaped for one caller (hide fields, add computed ones)."""

    request_info: Any = None


class RequestEvent(AppEvent):
    """An HTTP request: ``request``/``response`` are the transport's own objects."""

    request: Any = None
    response: Any = None
    auth: Record | None = None


class CollectionRequestEvent(RequestEvent):
    """A request about one collection (view, create, update, delete)."""

    collection: Collection | None = None


class CollectionsListRequestEvent(RequestEvent):
    """The collections list request; ``collections`` and ``result`` can be altered."""

    collections: list[Collection] | None = None
    result: Any = None


class CollectionsImportRequestEvent(RequestEvent):
    """A collections import request."""

    collections_data: list[dict[str, Any]] | None = None
    delete_missing: bool = False


class RecordRequestEvent(RequestEvent):
    """A request about one record of a collection; tags are the collection id and name."""

    collection: Collection | None = None
    record: Record | None = None

    def tags(self) -> Iterable[str]:
        if self.collection is None:
            return ()
        return (self.collection.id, self.collection.name)


class RecordsListRequestEvent(RecordRequestEvent):
    """The records list request; ``records`` and ``result`` can be altered."""

    records: list[Record] | None = None
    result: Any = None


class RecordAuthRequestEvent(RecordRequestEvent):
    """A successful authentication about to answer with a token."""

    token: str = ""
    meta: Any = None
    auth_method: str = ""


class RecordAuthWithPasswordRequestEvent(RecordRequestEvent):
    """A password sign-in request."""

    identity: str = ""
    identity_field: str = ""
    password: str = ""


class RecordAuthRefreshRequestEvent(RecordRequestEvent):
    """An auth-refresh request."""


class RecordCreateOTPRequestEvent(RecordRequestEvent):
    """A request-otp request; ``record`` is None for an unknown email, ``password`` the new code."""

    password: str = ""


class RecordAuthWithOTPRequestEvent(RecordRequestEvent):
    """An auth-with-otp request whose code checked out; ``otp`` is the ``_otps`` record."""

    otp: Record | None = None


class RecordAuthWithOAuth2RequestEvent(RecordRequestEvent):
    """An auth-with-oauth2 request after the code exchange.

    ``record`` is the linked or matching auth record (None when one is to be created),
    ``oauth2_user`` the provider account, ``create_data`` the submitted ``createData``.
    """

    provider_name: str = ""
    provider_client: Any = None
    oauth2_user: Any = None
    create_data: dict[str, Any] | None = None
    is_new_record: bool = False


class GenericRequestEvent(RecordRequestEvent):
    """Request events of areas that carry no extra fields yet (files, realtime, mail...)."""


class GenericAppEvent(AppEvent):
    """App events of areas that carry no extra fields yet (mailer, backups, settings)."""


class SettingsReloadEvent(AppEvent):
    """The live settings are being replaced; ``settings`` is the new state (it can be altered)."""

    settings: Settings | None = None


class SettingsListRequestEvent(RequestEvent):
    """The settings view request; ``settings`` (a copy) is what the answer shows."""

    settings: Settings | None = None


class SettingsUpdateRequestEvent(RequestEvent):
    """The settings update request: ``old_settings`` and the bound, not yet saved, ``new_settings``."""

    old_settings: Settings | None = None
    new_settings: Settings | None = None


class RealtimeConnectRequestEvent(RequestEvent):
    """A client opens its event stream; ``idle_timeout`` (seconds) may be changed by a hook."""

    client: Any = None
    idle_timeout: float = 300.0


class RealtimeSubscribeRequestEvent(RequestEvent):
    """A client sets its topics; ``subscriptions`` is the new list (a hook may change it)."""

    client: Any = None
    subscriptions: list[str] | None = None


class RealtimeMessageEvent(RequestEvent):
    """A message is about to be written to a client's stream (``message`` may be replaced)."""

    client: Any = None
    message: Any = None


class MailerEvent(AppEvent):
    """A message about to be sent: ``mailer`` sends it, ``message`` can be altered or replaced."""

    mailer: Any = None
    message: Any = None


class MailerRecordEvent(MailerEvent):
    """An auth mail about ``record``; ``meta`` holds its token, code or alert info.

    Tags are the record's collection id and name.
    """

    record: Record | None = None
    meta: dict[str, Any] | None = None

    def tags(self) -> Iterable[str]:
        if self.record is None:
            return ()
        return (self.record.collection.id, self.record.collection.name)


class RecordEmailRequestEvent(RecordRequestEvent):
    """request-verification, request-password-reset and the confirm requests of the email flows.

    ``record`` is the auth record the email or token belongs to.
    """


class RecordEmailChangeRequestEvent(RecordRequestEvent):
    """request-email-change and confirm-email-change: ``new_email`` is the address asked for."""

    new_email: str = ""
