"""How errors cross the JS boundary, both ways.

JS -> Python: a thrown ``ApiError`` (or ``BadRequestError``...) becomes
:class:`pybase.apis.errors.ApiError` with PocketBase's normalised message and "safe" data; a
rethrown pybase error is raised again unchanged; any other JS error becomes a 400 with the generic
message, as PocketBase's ``ToApiError`` does, and is logged with its JS stack.
Python -> JS: an exception inside a bridge call is kept by reference and described to JS, which
throws a ``PyError`` (QuickJS cannot carry a Python exception through JS by itself).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from pybase.apis.errors import ApiError
from pybase.core import errors as core_errors

log = logging.getLogger("pybase.jsvm")

_DOMAIN_STATUS: tuple[tuple[type[core_errors.PyBaseError], int], ...] = (
    (core_errors.ValidationError, 400),
    (core_errors.NotFoundError, 404),
    (core_errors.ForbiddenError, 403),
    (core_errors.UnauthorizedError, 401),
    (core_errors.TooManyRequestsError, 429),
    (core_errors.BadRequestError, 400),
)


class NoRows(core_errors.NotFoundError):
    """Go's ``sql.ErrNoRows`` as JS sees it (a finder found nothing): its message in JS, and a plain
    404 when a handler lets it through, as PocketBase's ToApiError answers it."""

    def __init__(self) -> None:
        super().__init__("sql: no rows in result set")


class GoError(core_errors.BadRequestError):
    """A plain Go error of PocketBase as JS sees it (an invalid filter or sort given to a finder):
    Go's text as its message in JS, and the generic 400 when a handler lets it through, as
    PocketBase's ToApiError answers an error that is no ApiError."""


class HookTimeout(ApiError):
    """A JS handler ran past its wall-clock limit and was interrupted (answers 500)."""

    def __init__(self, where: str, seconds: float) -> None:
        super().__init__(500)
        self.where = where
        self.seconds = seconds


def sentenize(text: str) -> str:
    """Upper-case the first letter and end with a period (PocketBase's message normalisation)."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


def safe_data(data: Any) -> dict[str, Any]:
    """Only field errors reach the client: ``{code, message}`` per key, nested maps kept."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value.get("$verr"):
            out[key] = {"code": str(value.get("code", "")), "message": sentenize(str(value.get("message", "")))}
        elif isinstance(value, dict):
            out[key] = safe_data(value)
        else:
            out[key] = {"code": "validation_invalid_value", "message": "Invalid value."}
    return out


# Go's http.StatusText where Python's phrase is spelled otherwise
_GO_STATUS_TEXT = {
    203: "Non-Authoritative Info", 413: "Request Entity Too Large", 414: "Request URI Too Long",
    416: "Requested Range Not Satisfiable", 418: "I'm a teapot", 422: "Unprocessable Entity",
}


def api_error(status: Any, message: Any, data: Any) -> ApiError:
    """A JS ``ApiError`` as the Python one."""
    try:
        code = int(status)
    except (TypeError, ValueError):
        code = 400
    if not 100 <= code <= 599:
        code = 400
    text = str(message or "")
    if not text:
        try:
            text = _GO_STATUS_TEXT.get(code) or HTTPStatus(code).phrase
        except ValueError:
            text = ""
    return ApiError(code, sentenize(text), safe_data(data))


# PocketBase's field errors whose Go text has no final period (the API shows them sentenized)
_NO_PERIOD_CODES = frozenset({
    "validation_email_domain_not_allowed", "validation_invalid_json", "validation_invalid_url",
    "validation_invalid_value", "validation_max_number_constraint", "validation_min_number_constraint",
    "validation_missing_rel_collection", "validation_missing_rel_records", "validation_not_a_number",
    "validation_not_enough_values", "validation_only_int_constraint", "validation_too_many_files",
    "validation_too_many_values", "validation_url_domain_not_allowed", "validation_invalid_rule",
})
# ozzo-validation's own rules: lower case, no period
_OZZO_CODES = frozenset({
    "validation_required", "validation_is_email", "validation_nil_or_not_empty_required", "validation_match_invalid",
    "validation_in_invalid", "validation_not_in_invalid", "validation_length_out_of_range", "validation_length_too_long",
    "validation_length_too_short", "validation_is_url",
})


def _go_message(error: Any) -> str:
    """A field error's text as Go holds it (before the API sentenizes it)."""
    code, message = getattr(error, "code", ""), str(getattr(error, "message", error))
    if code in _NO_PERIOD_CODES or code in _OZZO_CODES:
        message = message[:-1] if message.endswith(".") else message
    if code in _OZZO_CODES:
        message = message[:1].lower() + message[1:]
    return message


def go_errors_text(errors: dict[str, Any]) -> str:
    """Field errors as the text of ozzo-validation's ``Errors`` (Go's ``err.Error()``): sorted
    ``key: message`` joined by ``; `` and a final period, nested ones in parentheses."""
    parts = []
    for key in sorted(errors):
        value = errors[key]
        if isinstance(value, core_errors.ValidationError):
            value = value.errors
        if isinstance(value, dict) and "code" not in value:
            parts.append(f"{key}: ({go_errors_text(value)})")
        elif isinstance(value, dict):
            parts.append(f"{key}: {value.get('message', '')}")
        else:
            parts.append(f"{key}: {_go_message(value)}")
    return "; ".join(parts) + "." if parts else ""


def describe(ex: BaseException) -> dict[str, Any]:
    """What JS learns about a Python exception: message, HTTP status if known, type name."""
    status = 0
    message = str(ex)
    if isinstance(ex, ApiError):
        status, message = ex.status, ex.message
    elif isinstance(ex, core_errors.ValidationError) and ex.data and ex.message == ex.default_message:
        message = go_errors_text(ex.errors)  # NOTE: JS sees Go's validation.Errors text, as there
        status = 400
    elif isinstance(ex, core_errors.PyBaseError):
        message = ex.message
        status = next((s for cls, s in _DOMAIN_STATUS if isinstance(ex, cls)), 400)
    kind = "NotFoundError" if isinstance(ex, NoRows) else type(ex).__name__
    return {"m": message, "s": status, "t": kind}


def as_api_error(ex: BaseException) -> BaseException:
    """What a JS route answers for an error its handler let through: a validation error of a
    save (Go's validation.Errors) is ToApiError's generic 400 with its fields as data."""
    if isinstance(ex, core_errors.ValidationError) and ex.message == ex.default_message:
        return ApiError(400, "", ex.data)
    return ex


def from_js(err: dict[str, Any], kept: dict[int, BaseException], where: str) -> BaseException:
    """The exception to raise for an error description returned by ``__invoke``."""
    if "ref" in err and err["ref"] in kept:
        kept_ex = kept[err["ref"]]
        if isinstance(kept_ex, NoRows):
            return core_errors.NotFoundError()
        return ApiError(400) if isinstance(kept_ex, GoError) else kept_ex
    if "api" in err:
        api = err["api"]
        return api_error(api.get("status"), api.get("message"), api.get("data"))
    js = err.get("js") or {}
    stack = "\n".join(str(js.get("stack", "")).splitlines()[:12])
    log.warning("JS error in %s: %s: %s\n%s", where, js.get("name"), js.get("message"), stack)
    return ApiError(400)
