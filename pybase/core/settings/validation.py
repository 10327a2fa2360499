"""Validating settings with PocketBase's rules, codes and messages, nested per section and field.

``validate(data)`` returns ``{}`` or the errors as the API shows them (``{"meta": {"appName":
FieldError}, "rateLimits": {"rules": {"0": {...}}}}``). As PocketBase's validation library, each
field stops at its first failing rule and most rules skip empty values (``Required`` does not).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from pybase.core.errors import FieldError, required
from pybase.tools.validators import is_email, is_url, matches

Rule = Callable[[Any], "FieldError | None"]

MAX_SAFE_INTEGER = (1 << 53) - 1
SMTP_AUTH_METHODS = ("LOGIN", "PLAIN")
RATE_LIMIT_AUDIENCES = ("", "@guest", "@auth")
# NOTE: PocketBase's rule label forms: "METHOD /path", "/path", "collection:tag", "*:tag", "tag".
RATE_LIMIT_LABEL_RE = r"^(\w+\ \/[\w\/-]*|\/[\w\/-]*|^\w+\:\w+|\*\:\w+|\w+)$"
_HEX_COLOR_RE = re.compile(r"#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_DNS_NAME_RE = re.compile(r"(?:[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(?:\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?")
_CIDR_PREFIX_RE = re.compile(r"[0-9]+")


# ---- rules (each returns an error or None) --------------------------------------------------


def _required(value: Any) -> FieldError | None:
    return required() if value in ("", 0, None, False) or value == [] else None


def _when(condition: bool, rule: Rule) -> Rule:
    return rule if condition else (lambda _value: None)


def _length(low: int, high: int) -> Rule:
    def rule(value: Any) -> FieldError | None:
        if not value or low <= len(value) <= high:
            return None
        if low == high:
            return FieldError("validation_length_invalid", f"The length must be exactly {low}.", {"max": high, "min": low})
        return FieldError(
            "validation_length_out_of_range", f"The length must be between {low} and {high}.", {"max": high, "min": low}
        )

    return rule


def _min(threshold: int) -> Rule:
    def rule(value: Any) -> FieldError | None:
        if not value or value >= threshold:
            return None
        return FieldError(
            "validation_min_greater_equal_than_required", f"Must be no less than {threshold}.", {"threshold": threshold}
        )

    return rule


def _max(threshold: int) -> Rule:
    def rule(value: Any) -> FieldError | None:
        if not value or value <= threshold:
            return None
        return FieldError(
            "validation_max_less_equal_than_required", f"Must be no greater than {threshold}.", {"threshold": threshold}
        )

    return rule


def _in(*allowed: str) -> Rule:
    def rule(value: Any) -> FieldError | None:
        if not value or value in allowed:
            return None
        return FieldError("validation_in_invalid", "Must be a valid value.")

    return rule


def _check(code: str, message: str, test: Callable[[str], bool]) -> Rule:
    def rule(value: Any) -> FieldError | None:
        return None if not value or test(value) else FieldError(code, message)

    return rule


def is_ip(value: str, *, zone: bool = False) -> bool:
    """Go's ``net.ParseIP`` acceptance (no prefix; an IPv6 zone only with ``zone``, as ``netip``)."""
    if "%" in value and not zone:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_ip_or_subnet(value: str) -> bool:
    """An IP, or a CIDR subnet as Go's ``net.ParseCIDR`` reads it (host bits may be set)."""
    address, slash, prefix = value.partition("/")
    if not slash:
        return is_ip(value, zone=True)
    if not is_ip(address) or not _CIDR_PREFIX_RE.fullmatch(prefix):
        return False
    bits = 32 if ipaddress.ip_address(address).version == 4 else 128
    return int(prefix) <= bits


def is_host(value: str) -> bool:
    """An IP address or a DNS name (govalidator's ``IsHost``)."""
    if is_ip(value):
        return True
    return len(value.replace(".", "")) <= 255 and _DNS_NAME_RE.fullmatch(value) is not None


_URL = _check("validation_is_url", "Must be a valid URL.", is_url)
_EMAIL = _check("validation_is_email", "Must be a valid email address.", is_email)
_HOST = _check("validation_is_host", "Must be a valid IP address or DNS name.", is_host)
_HEX_COLOR = _check(
    "validation_is_hex_color", "Must be a valid hexadecimal color code.", lambda v: _HEX_COLOR_RE.fullmatch(v) is not None
)
# NOTE: the code's misspelling is PocketBase's own; clients may match on it.
_IP_OR_SUBNET = _check("validation_invlaid_ip_or_subnet", "Invalid IP or CIDR subnet.", is_ip_or_subnet)
_LABEL = _check("validation_match_invalid", "Must be in a valid format.", lambda v: matches(RATE_LIMIT_LABEL_RE, v))


def _first(value: Any, *rules: Rule) -> FieldError | None:
    for rule in rules:
        error = rule(value)
        if error is not None:
            return error
    return None


def _fields(data: dict[str, Any], rules: dict[str, tuple[Rule, ...]]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for name, field_rules in rules.items():
        error = _first(data.get(name), *field_rules)
        if error is not None:
            errors[name] = error
    return errors


def _each(values: list[str], *rules: Rule) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for i, value in enumerate(values or []):
        error = _first(value, *rules)
        if error is not None:
            errors[str(i)] = error
    return errors


# ---- sections -------------------------------------------------------------------------------


def validate_meta(c: dict[str, Any]) -> dict[str, Any]:
    return _fields(c, {
        "accentColor": (_length(7, 7), _HEX_COLOR),
        "appName": (_required, _length(1, 255)),
        "appURL": (_required, _URL),
        "senderName": (_required, _length(1, 255)),
        "senderAddress": (_EMAIL, _required),
    })  # fmt: skip


def validate_logs(c: dict[str, Any]) -> dict[str, Any]:
    # NOTE: PocketBase 0.40 caps them at JavaScript's largest safe integer.
    return _fields(c, {
        "maxDays": (_min(0), _max(MAX_SAFE_INTEGER)),
        "minLevel": (_max(MAX_SAFE_INTEGER),),
        "maxDataSize": (_min(0), _max(MAX_SAFE_INTEGER)),
    })  # fmt: skip


def validate_smtp(c: dict[str, Any]) -> dict[str, Any]:
    on = bool(c.get("enabled"))
    return _fields(c, {
        "host": (_when(on, _required), _HOST),
        "port": (_when(on, _required), _min(0)),
        "authMethod": (_in(*SMTP_AUTH_METHODS),),
        "localName": (_HOST,),
    })  # fmt: skip


def validate_s3(c: dict[str, Any]) -> dict[str, Any]:
    on = bool(c.get("enabled"))
    return _fields(c, {
        "endpoint": (_URL, _when(on, _required)),
        "bucket": (_when(on, _required),),
        "region": (_when(on, _required),),
        "accessKey": (_when(on, _required),),
        "secret": (_when(on, _required),),
    })  # fmt: skip


def validate_backups(c: dict[str, Any]) -> dict[str, Any]:
    errors = _fields(c, {
        "cron": (_cron,),
        "cronMaxKeep": (_when(c.get("cron") != "", _required), _min(1)),
    })  # fmt: skip
    s3 = validate_s3(c.get("s3") or {})
    if s3:
        errors["s3"] = s3
    return errors


def validate_batch(c: dict[str, Any]) -> dict[str, Any]:
    on = bool(c.get("enabled"))
    return _fields(c, {
        "maxRequests": (_when(on, _required), _min(0)),
        "timeout": (_when(on, _required), _min(0)),
        "maxBodySize": (_min(0),),
    })  # fmt: skip


def validate_rate_limit_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return _fields(rule, {
        "label": (_required, _LABEL),
        "maxRequests": (_required, _min(1)),
        "duration": (_required, _min(1)),
        "audience": (_in(*RATE_LIMIT_AUDIENCES),),
    })  # fmt: skip


def _rules_errors(rules: list[dict[str, Any]], enabled: bool) -> FieldError | dict[str, Any] | None:
    if enabled and not rules:
        return required()
    # NOTE: as PocketBase 0.40: each rule's own errors first; label conflicts only after.
    per_rule = {str(i): errors for i, rule in enumerate(rules) if (errors := validate_rate_limit_rule(rule))}
    if per_rule:
        return per_rule
    existing: list[str] = []
    for i, rule in enumerate(rules):
        key = f"{rule['label']}@@{rule['audience']}"
        if any(key.startswith(e) or e.startswith(key) for e in existing):
            conflict = FieldError(
                "validation_conflicting_rate_limit_rule",
                f"Rate limit rule configuration with label {rule['label']} already exists or conflicts with another rule.",
                {"label": rule["label"]},
            )
            return {str(i): {"label": conflict}}
        existing.append(key)
    return None


def validate_rate_limits(c: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    rules = _rules_errors(c.get("rules") or [], bool(c.get("enabled")))
    if rules:
        errors["rules"] = rules
    ips = _each(c.get("excludedIPs") or [], _required, _IP_OR_SUBNET)
    if ips:
        errors["excludedIPs"] = ips
    return errors


_SECTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "meta": validate_meta,
    "logs": validate_logs,
    "smtp": validate_smtp,
    "s3": validate_s3,
    "backups": validate_backups,
    "batch": validate_batch,
    "rateLimits": validate_rate_limits,
}


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Every error of a settings document, nested by section and field (``{}`` when valid)."""
    errors: dict[str, Any] = {}
    ips = _each(data.get("superuserIPs") or [], _required, _IP_OR_SUBNET)
    if ips:
        errors["superuserIPs"] = ips
    for section, check in _SECTIONS.items():
        section_errors = check(data.get(section) or {})
        if section_errors:
            errors[section] = section_errors
    return errors


# ---- cron expressions, with the messages of PocketBase's scheduler --------------------------

CRON_MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}  # fmt: skip
_CRON_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_ATOI_RE = re.compile(r"[+-]?[0-9]+")


def _cron(value: Any) -> FieldError | None:
    if not value:
        return None
    message = cron_error(value)
    return None if message is None else FieldError("validation_invalid_cron", message)


def cron_error(expr: str) -> str | None:
    """Why PocketBase's scheduler refuses ``expr`` (in its words), or None when it accepts it.

    Stricter than ``tools/cron``'s parser on purpose: segments split on single spaces, macros
    are case-sensitive, and each failure has PocketBase's own message.
    """
    segments = CRON_MACROS.get(expr, expr).split(" ")
    if len(segments) != 5:
        return "invalid cron expression - must be a valid macro or to have exactly 5 space separated segments"
    for segment, (low, high) in zip(segments, _CRON_BOUNDS, strict=True):
        message = _cron_segment_error(segment, low, high)
        if message is not None:
            return message
    return None


def _atoi(text: str) -> int:
    if not _ATOI_RE.fullmatch(text):
        raise ValueError(f'strconv.Atoi: parsing {_go_quote(text)}: invalid syntax')
    value = int(text)
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(f'strconv.Atoi: parsing {_go_quote(text)}: value out of range')
    return value


def _go_quote(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) > 0xFF else f"\\x{ord(char):02x}")
    return '"' + "".join(out) + '"'


def _cron_segment_error(segment: str, low: int, high: int) -> str | None:
    try:
        for part in segment.split(","):
            step_parts = part.split("/")
            step = 1
            if len(step_parts) == 2:
                step = _atoi(step_parts[1])
                if step < 1 or step > high:
                    return f"invalid segment step boundary - the step must be between 1 and the {high}"
            elif len(step_parts) > 2:
                return "invalid segment step format - must be in the format */n or 1-30/n"
            if step_parts[0] == "*":
                continue
            range_parts = step_parts[0].split("-")
            if len(range_parts) == 1:
                if step != 1:
                    return "invalid segment step - step > 1 could be used only with the wildcard or range format"
                if not low <= _atoi(range_parts[0]) <= high:
                    return "invalid segment value - must be between the min and max of the segment"
            elif len(range_parts) == 2:
                first = _atoi(range_parts[0])
                if not low <= first <= high:
                    return f"invalid segment range minimum - must be between {low} and {high}"
                last = _atoi(range_parts[1])
                if last < first or last > high:
                    return f"invalid segment range maximum - must be between {first} and {high}"
            else:
                return "invalid segment range format - the range must have 1 or 2 parts"
    except ValueError as ex:
        return str(ex)
    return None
