"""Validation of an auth collection's options (tokens, templates, password auth, OAuth2, OTP, MFA).

The rules and their order are PocketBase's: every option is checked and the errors collected;
only when all pass are the cross-option checks run (MFA needs two auth methods, its rule must
compile, identity fields need a single column UNIQUE index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pybase.core.collections import TOKEN_OPTIONS, Collection
from pybase.core.errors import FieldError, required
from pybase.core.fields.base import check_range
from pybase.tools.validators import is_url

TEMPLATES = ("verificationTemplate", "resetPasswordTemplate", "confirmEmailChangeTemplate")
MAX_TOKEN_DURATION = 94670856  # ~3 years
MAX_CODE_DURATION = 86400


def validate_auth_options(col: Collection, check_rule: Callable[[str], FieldError | None]) -> dict[str, Any]:
    """The errors of ``col``'s auth options, shaped as PocketBase reports them."""
    auth = col.auth
    errors: dict[str, Any] = {}
    _put(errors, "authAlert", _nested("emailTemplate", _template(_obj(auth, "authAlert").get("emailTemplate"))))
    password_auth = _obj(auth, "passwordAuth")
    if password_auth.get("enabled") and not list(dict.fromkeys(password_auth.get("identityFields") or [])):
        errors["passwordAuth"] = {"identityFields": required()}
    oauth2 = _obj(auth, "oauth2")
    if oauth2.get("enabled"):
        _put(errors, "oauth2", _nested("providers", _providers(oauth2.get("providers") or [])))
    otp = _obj(auth, "otp")
    otp_errors: dict[str, Any] = {}
    if otp.get("enabled"):
        _duration(otp_errors, "duration", otp.get("duration"), MAX_CODE_DURATION)
        _required_min(otp_errors, "length", otp.get("length"), 4)
    template = _template(otp.get("emailTemplate"))
    if template:
        otp_errors["emailTemplate"] = template
    _put(errors, "otp", otp_errors)
    mfa = _obj(auth, "mfa")
    if mfa.get("enabled"):
        mfa_errors: dict[str, Any] = {}
        _duration(mfa_errors, "duration", mfa.get("duration"), MAX_CODE_DURATION)
        _put(errors, "mfa", mfa_errors)
    for key in TOKEN_OPTIONS:
        token = _obj(auth, key)
        token_errors: dict[str, Any] = {}
        secret = token.get("secret") or ""
        if not secret:
            token_errors["secret"] = required()
        elif not 30 <= len(secret) <= 255:
            token_errors["secret"] = FieldError(
                "validation_length_out_of_range", "The length must be between 30 and 255.", {"min": 30, "max": 255}
            )
        _duration(token_errors, "duration", token.get("duration"), MAX_TOKEN_DURATION)
        _put(errors, key, token_errors)
    for key in TEMPLATES:
        _put(errors, key, _template(auth.get(key)))
    if errors:
        return errors
    return _cross_checks(col, check_rule)


def _cross_checks(col: Collection, check_rule: Callable[[str], FieldError | None]) -> dict[str, Any]:
    auth = col.auth
    mfa = _obj(auth, "mfa")
    if mfa.get("enabled"):
        enabled = sum(1 for key in ("passwordAuth", "oauth2", "otp") if _obj(auth, key).get("enabled"))
        if enabled < 2:
            return {"mfa": {"enabled": FieldError(
                "validation_mfa_not_enough_auths", "MFA requires at least 2 auth methods to be enabled."
            )}}
        if mfa.get("rule"):
            problem = check_rule(mfa["rule"])
            if problem is not None:
                return {"mfa": {"rule": problem}}
    password_auth = _obj(auth, "passwordAuth")
    if password_auth.get("enabled"):
        for name in password_auth.get("identityFields") or []:
            if col.field(name) is None:
                problem = FieldError("validation_missing_field", f"Invalid or missing field {name}", {"fieldName": name})
            elif not has_single_column_unique_index(col, name):
                problem = FieldError(
                    "validation_missing_unique_constraint",
                    f"The field {name} doesn't have a UNIQUE constraint.",
                    {"fieldName": name},
                )
            else:
                continue
            return {"passwordAuth": {"identityFields": problem}}
    return {}


def has_single_column_unique_index(col: Collection, column: str) -> bool:
    """Whether a UNIQUE index of ``col`` covers exactly ``column`` (case-insensitively)."""
    return any(
        index.unique and len(index.columns) == 1 and index.columns[0].name.lower() == column.lower()
        for index in col.parsed_indexes()
    )


def _obj(auth: dict[str, Any], key: str) -> dict[str, Any]:
    value = auth.get(key)
    return value if isinstance(value, dict) else {}


def _put(errors: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    if value:
        errors[key] = value


def _nested(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {key: value} if value else {}


def _template(value: Any) -> dict[str, Any]:
    template = value if isinstance(value, dict) else {}
    return {key: required() for key in ("body", "subject") if not template.get(key)}


def _duration(errors: dict[str, Any], key: str, value: Any, high: int) -> None:
    if not value:
        errors[key] = required()
    else:
        check_range(errors, key, value, 10, high)


def _required_min(errors: dict[str, Any], key: str, value: Any, low: int) -> None:
    if not value:
        errors[key] = required()
    else:
        check_range(errors, key, value, low, None)


def _providers(providers: list[Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    seen: set[str] = set()
    for index, provider in enumerate(providers):
        item = provider if isinstance(provider, dict) else {}
        name = item.get("name") or ""
        problems: dict[str, Any] = {}
        if not name:
            problems["name"] = required()
        elif name not in OAUTH2_PROVIDERS:
            problems["name"] = FieldError(
                "validation_missing_provider", f"Invalid or missing provider with name {name}.", {"name": name}
            )
        for key in ("clientId", "clientSecret"):
            if not item.get(key):
                problems[key] = required()
        for key in ("authURL", "tokenURL", "userInfoURL"):
            if item.get(key) and not is_url(item[key]):
                problems[key] = FieldError("validation_is_url", "Must be a valid URL.")
        if problems:
            errors[str(index)] = problems
    if errors:
        return errors
    for index, provider in enumerate(providers):
        name = (provider.get("name") or "") if isinstance(provider, dict) else ""
        if name and name in seen:
            return {str(index): {"name": FieldError(
                "validation_duplicated_provider", f"The provider {name} is already registered.", {"name": name}
            )}}
        seen.add(name)
    return {}


# The OAuth2 providers PocketBase 0.40 knows by name (its tools/auth registry).
OAUTH2_PROVIDERS = frozenset({
    "apple", "bitbucket", "box", "discord", "facebook", "gitea", "gitee", "github", "gitlab", "google", "instagram2",
    "kakao", "lark", "linear", "livechat", "mailcow", "microsoft", "monday", "notion", "oidc", "oidc2", "oidc3",
    "patreon", "planningcenter", "spotify", "strava", "trakt", "twitch", "twitter", "vk", "wakatime", "yandex",
})  # fmt: skip

_TEMPLATE = {"subject": str, "body": str}
_TOKEN = {"secret": str, "duration": int}
_PROVIDER = {
    "name": str, "clientId": str, "clientSecret": str, "authURL": str, "tokenURL": str, "userInfoURL": str,
    "displayName": str, "pkce": bool, "extra": dict,
}  # fmt: skip
# The JSON shape of PocketBase's Go structs for the auth options.
AUTH_OPTIONS_SHAPE: dict[str, Any] = {
    "passwordAuth": {"enabled": bool, "identityFields": [str]},
    "oauth2": {"enabled": bool, "providers": [_PROVIDER], "mappedFields": {"id": str, "name": str, "username": str, "avatarURL": str}},
    "mfa": {"enabled": bool, "duration": int, "rule": str},
    "otp": {"enabled": bool, "duration": int, "length": int, "emailTemplate": _TEMPLATE},
    "authAlert": {"enabled": bool, "emailTemplate": _TEMPLATE},
    **dict.fromkeys(TOKEN_OPTIONS, _TOKEN),
    **dict.fromkeys(TEMPLATES, _TEMPLATE),
}


def binds(shape: Any, value: Any) -> bool:
    """Whether Go's json.Unmarshal can bind ``value`` into a struct of ``shape`` (null always can)."""
    if value is None:
        return True
    if isinstance(shape, dict):
        return isinstance(value, dict) and all(binds(shape[k], v) for k, v in value.items() if k in shape)
    if isinstance(shape, list):
        return isinstance(value, list) and all(binds(shape[0], item) for item in value)
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, shape)
