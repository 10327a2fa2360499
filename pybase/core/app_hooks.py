"""Every app hook, declared once.

The Python attribute (``app.on_record_create``), the JS global (``onRecordCreate``), the
generated typings and the docs all derive from this table. ``tagged`` hooks take collection
(or table) names/ids as filters; ``js`` is False for hooks PocketBase keeps out of JS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pybase.core import events


@dataclass(frozen=True)
class HookSpec:
    """One hook: its JS name, event type, whether it takes tags, and its area."""

    js_name: str
    event: type[events.Event]
    tagged: bool
    area: str
    js: bool = True

    @property
    def name(self) -> str:
        """The Python attribute name, e.g. ``on_record_create``."""
        words = self.js_name.replace("OTP", "Otp").replace("OAuth2", "Oauth2")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", words).lower()


def _crud(prefix: str, event: type[events.Event], tagged: bool, area: str) -> list[HookSpec]:
    specs = []
    for verb in ("Create", "Update", "Delete"):
        specs += [
            HookSpec(f"on{prefix}{verb}", event, tagged, area),
            HookSpec(f"on{prefix}{verb}Execute", event, tagged, area),
            HookSpec(f"on{prefix}After{verb}Success", event, tagged, area),
            HookSpec(f"on{prefix}After{verb}Error", event, tagged, area),
        ]
    return specs


_R = events.RecordRequestEvent
_G = events.GenericRequestEvent

HOOKS: tuple[HookSpec, ...] = (
    # app lifecycle
    HookSpec("onBootstrap", events.BootstrapEvent, False, "app"),
    HookSpec("onServe", events.ServeEvent, False, "app", js=False),
    HookSpec("onTerminate", events.TerminateEvent, False, "app"),
    HookSpec("onBackupCreate", events.GenericAppEvent, False, "backups"),
    HookSpec("onBackupRestore", events.GenericAppEvent, False, "backups"),
    HookSpec("onSettingsReload", events.SettingsReloadEvent, False, "settings"),
    # models (records and collections alike; tags are table names)
    HookSpec("onModelValidate", events.ModelEvent, True, "model"),
    *_crud("Model", events.ModelEvent, True, "model"),
    # records
    HookSpec("onRecordEnrich", events.RecordEnrichEvent, True, "record"),
    HookSpec("onRecordValidate", events.RecordEvent, True, "record"),
    *_crud("Record", events.RecordEvent, True, "record"),
    # collections
    HookSpec("onCollectionValidate", events.CollectionEvent, True, "collection"),
    *_crud("Collection", events.CollectionEvent, True, "collection"),
    # mailer
    HookSpec("onMailerSend", events.MailerEvent, False, "mailer"),
    HookSpec("onMailerRecordAuthAlertSend", events.MailerRecordEvent, True, "mailer"),
    HookSpec("onMailerRecordPasswordResetSend", events.MailerRecordEvent, True, "mailer"),
    HookSpec("onMailerRecordVerificationSend", events.MailerRecordEvent, True, "mailer"),
    HookSpec("onMailerRecordEmailChangeSend", events.MailerRecordEvent, True, "mailer"),
    HookSpec("onMailerRecordOTPSend", events.MailerRecordEvent, True, "mailer"),
    # realtime
    HookSpec("onRealtimeConnectRequest", events.RealtimeConnectRequestEvent, False, "realtime"),
    HookSpec("onRealtimeSubscribeRequest", events.RealtimeSubscribeRequestEvent, False, "realtime"),
    HookSpec("onRealtimeMessageSend", events.RealtimeMessageEvent, False, "realtime"),
    # settings API
    HookSpec("onSettingsListRequest", events.SettingsListRequestEvent, False, "settings"),
    HookSpec("onSettingsUpdateRequest", events.SettingsUpdateRequestEvent, False, "settings"),
    # files API
    HookSpec("onFileDownloadRequest", _G, True, "files"),
    HookSpec("onFileTokenRequest", _G, True, "files"),
    # record auth API
    HookSpec("onRecordAuthRequest", events.RecordAuthRequestEvent, True, "auth"),
    HookSpec(
        "onRecordAuthWithPasswordRequest", events.RecordAuthWithPasswordRequestEvent, True, "auth"
    ),
    HookSpec("onRecordAuthWithOAuth2Request", events.RecordAuthWithOAuth2RequestEvent, True, "auth"),
    HookSpec("onRecordAuthRefreshRequest", events.RecordAuthRefreshRequestEvent, True, "auth"),
    HookSpec("onRecordAuthWithOTPRequest", events.RecordAuthWithOTPRequestEvent, True, "auth"),
    HookSpec("onRecordRequestOTPRequest", events.RecordCreateOTPRequestEvent, True, "auth"),
    HookSpec("onRecordRequestPasswordResetRequest", events.RecordEmailRequestEvent, True, "auth"),
    HookSpec("onRecordConfirmPasswordResetRequest", events.RecordEmailRequestEvent, True, "auth"),
    HookSpec("onRecordRequestVerificationRequest", events.RecordEmailRequestEvent, True, "auth"),
    HookSpec("onRecordConfirmVerificationRequest", events.RecordEmailRequestEvent, True, "auth"),
    HookSpec("onRecordRequestEmailChangeRequest", events.RecordEmailChangeRequestEvent, True, "auth"),
    HookSpec("onRecordConfirmEmailChangeRequest", events.RecordEmailChangeRequestEvent, True, "auth"),
    # records CRUD API
    HookSpec("onRecordsListRequest", events.RecordsListRequestEvent, True, "records"),
    HookSpec("onRecordViewRequest", _R, True, "records"),
    HookSpec("onRecordCreateRequest", _R, True, "records"),
    HookSpec("onRecordUpdateRequest", _R, True, "records"),
    HookSpec("onRecordDeleteRequest", _R, True, "records"),
    # collections API
    HookSpec("onCollectionsListRequest", events.CollectionsListRequestEvent, False, "collections"),
    HookSpec("onCollectionViewRequest", events.CollectionRequestEvent, False, "collections"),
    HookSpec("onCollectionCreateRequest", events.CollectionRequestEvent, False, "collections"),
    HookSpec("onCollectionUpdateRequest", events.CollectionRequestEvent, False, "collections"),
    HookSpec("onCollectionDeleteRequest", events.CollectionRequestEvent, False, "collections"),
    HookSpec(
        "onCollectionsImportRequest", events.CollectionsImportRequestEvent, False, "collections"
    ),
    # batch
    HookSpec("onBatchRequest", events.RequestEvent, False, "batch"),
)

BY_JS_NAME: dict[str, HookSpec] = {spec.js_name: spec for spec in HOOKS}
BY_NAME: dict[str, HookSpec] = {spec.name: spec for spec in HOOKS}
