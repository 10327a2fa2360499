"""Auth mail templates: PocketBase's placeholders resolved, the body put in the mail layout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pybase.tools.cast import to_string

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.records import Record

PLACEHOLDER_APP_NAME = "{APP_NAME}"
PLACEHOLDER_APP_URL = "{APP_URL}"
PLACEHOLDER_TOKEN = "{TOKEN}"
PLACEHOLDER_OTP = "{OTP}"
PLACEHOLDER_OTP_ID = "{OTP_ID}"
PLACEHOLDER_ALERT_INFO = "{ALERT_INFO}"
# field types whose values go into a template unescaped (as PocketBase)
_RAW_TYPES = frozenset({"autodate", "date", "bool", "number"})

LAYOUT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;padding:24px;background:#f6f7f9;color:#16161a;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5}
.wrapper{max-width:560px;margin:0 auto;padding:24px;background:#fff;border-radius:8px}
p{margin:0 0 12px}
.btn{display:inline-block;padding:10px 20px;border-radius:6px;background:#16161a;color:#fff !important;text-decoration:none}
</style>
</head>
<body>
<div class="wrapper">
%CONTENT%
</div>
</body>
</html>
"""


def resolve_placeholders(template: dict[str, Any], placeholders: dict[str, Any]) -> tuple[str, str]:
    """The template's subject and body with every placeholder replaced."""
    subject = to_string(template.get("subject"))
    body = to_string(template.get("body"))
    for key, value in placeholders.items():
        text = to_string(value)
        subject = subject.replace(key, text)
        body = body.replace(key, text)
    return subject, body


def record_placeholders(app: App, record: Record, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{APP_NAME}``, ``{APP_URL}`` and ``{RECORD:<field>}`` for each visible field, plus ``extra``."""
    values: dict[str, Any] = dict(extra or {})
    meta = app.settings()["meta"]
    values.setdefault(PLACEHOLDER_APP_NAME, meta.get("appName", ""))
    values.setdefault(PLACEHOLDER_APP_URL, meta.get("appURL", ""))
    for field in record.collection.fields:
        if field.hidden:
            continue
        key = "{RECORD:" + field.name + "}"
        if key in values:
            continue
        exported = field.export(record.get(field.name))
        text = _go_string(exported)
        values[key] = text if field.type in _RAW_TYPES else escape(text)
    return values


_GO_ESCAPES = str.maketrans({"&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;"})


def escape(text: str) -> str:
    """HTML-escape as Go's ``html.EscapeString`` (so mails read as PocketBase's, byte for byte)."""
    return text.translate(_GO_ESCAPES)


def _go_string(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_go_string(v) for v in value) if value else ""
    return to_string(value)


def render(app: App, record: Record, template: dict[str, Any], extra: dict[str, Any]) -> tuple[str, str]:
    """The subject and the full HTML of an auth mail for ``record``."""
    subject, body = resolve_placeholders(template, record_placeholders(app, record, extra))
    return subject, LAYOUT.replace("%CONTENT%", body)


def go_now() -> str:
    """The current UTC time as PocketBase's ``types.DateTime`` prints it."""
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
