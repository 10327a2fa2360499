"""``/api/settings`` and its test routes: every section x field x class of value, each caller kind,
odd bodies, secrets kept and hidden; identical to PocketBase.

Every case starts from the default settings (:func:`prepare` PATCHes them back, secrets blank),
then runs its own setup PATCHes and its request. Values that would change how the servers answer
the next requests are avoided on purpose: superuser IP lists always allow 127.0.0.1, rate limits
are only switched on with generous rules, and backup crons never fire during a run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.conformance.harness import Answer, Pair, Request

SETTINGS = "/api/settings"
TEST_S3 = "/api/settings/test/s3"
TEST_EMAIL = "/api/settings/test/email"
USER_EMAIL = "settings_user@example.com"
USER_PASSWORD = "settings-pass-123"
JSON = "application/json"

S3_DEFAULTS = {
    "enabled": False, "bucket": "", "region": "", "endpoint": "", "accessKey": "", "secret": "", "forcePathStyle": False,
}  # fmt: skip
#: the full default settings, secrets blank: PATCHed before every case
DEFAULTS: dict[str, Any] = {
    "superuserIPs": [],
    "meta": {
        "appName": "Acme", "appURL": "http://localhost:8090", "senderName": "Support",
        "senderAddress": "support@example.com", "hideControls": False, "accentColor": "#1055c9",
    },
    "smtp": {
        "enabled": False, "host": "smtp.example.com", "port": 587, "username": "", "password": "",
        "authMethod": "", "tls": False, "localName": "",
    },
    "s3": S3_DEFAULTS,
    "backups": {"cron": "", "cronMaxKeep": 3, "s3": S3_DEFAULTS},
    "batch": {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
    "rateLimits": {
        "enabled": False,
        "excludedIPs": [],
        "rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300},
        ],
    },
    "trustedProxy": {"headers": [], "useLeftmostIP": False},
    "logs": {"maxDays": 5, "minLevel": 0, "logIP": True, "logAuthId": False, "maxDataSize": 0},
}  # fmt: skip

#: rules generous enough that switching rate limits on never limits the run itself
SAFE_RULES = [{"label": "/api/", "audience": "", "duration": 1, "maxRequests": 100000}]
S3_ON = {"enabled": True, "bucket": "b", "region": "r", "endpoint": "https://s3.example.com", "accessKey": "k", "secret": "s"}
WHO = ("anon", "s_user", "superuser", "garbage")


@dataclasses.dataclass(frozen=True)
class SettingsCase:
    """One request after the default settings and ``setup`` (PATCH bodies) were applied."""

    name: str
    request: Request
    setup: tuple[Any, ...] = ()

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


# ---- value classes per field type ------------------------------------------------------------

LONG = "x" * 256
STR_WRONG: list[tuple[str, Any]] = [
    ("number", 1), ("float", 1.5), ("true", True), ("object", {"a": 1}), ("array", ["a"]), ("null", None),
]  # fmt: skip
INT_VALUES: list[tuple[str, Any]] = [
    ("zero", 0), ("one", 1), ("minus one", -1), ("large", 2**31), ("int64 max", 2**63 - 1), ("past int64", 2**63),
    ("int64 min", -(2**63)), ("float", 1.5), ("float whole", 1.0), ("exponent", 1e3), ("string", "5"),
    ("true", True), ("null", None), ("object", {}), ("array", [1]),
]  # fmt: skip
BOOL_VALUES: list[tuple[str, Any]] = [
    ("true", True), ("false", False), ("string", "true"), ("number", 1), ("null", None), ("array", [True]),
]  # fmt: skip
IP_LISTS: list[tuple[str, Any]] = [
    ("empty", []), ("localhost", ["127.0.0.1"]), ("loopback subnet", ["127.0.0.0/8"]), ("ipv6", ["::1", "127.0.0.1"]),
    ("ipv6 subnet", ["127.0.0.1", "fe80::/10"]), ("host bits", ["127.0.0.1/8"]), ("blank item", [""]),
    ("null item", [None]), ("number item", [1]), ("word", ["localhost"]), ("bad prefix", ["127.0.0.1/33"]),
    ("netmask", ["127.0.0.0/255.0.0.0"]), ("leading zero", ["127.000.0.1"]), ("zone", ["fe80::1%eth0"]),
    ("spaces", [" 127.0.0.1"]), ("several bad", ["x", "", "127.0.0.1", "y/1"]), ("string", "127.0.0.1"),
    ("null", None), ("object", {"0": "127.0.0.1"}),
]  # fmt: skip
#: IP lists both servers accept that would lock the superuser (on 127.0.0.1) out of PocketBase
LOCKOUT = {"zone"}
HEADER_LISTS: list[tuple[str, Any]] = [
    ("empty", []), ("one", ["X-Forwarded-For"]), ("two", ["CF-Connecting-IP", "X-Real-IP"]), ("blank item", [""]),
    ("null item", [None]), ("number item", [1]), ("string", "X-Real-IP"), ("null", None),
]  # fmt: skip

# section -> field -> extra values of its own (valid, invalid format, boundaries)
STRINGS: dict[str, dict[str, list[tuple[str, Any]]]] = {
    "meta": {
        "appName": [("valid", "My app"), ("empty", ""), ("255 chars", "a" * 255), ("256 chars", LONG), ("unicode", "Äpp ✓"), ("spaces", "   ")],
        "appURL": [
            ("valid", "https://example.com"), ("empty", ""), ("no scheme", "example.com"), ("word", "nope"),
            ("with path", "https://example.com/a/b?c=1"), ("ip and port", "http://127.0.0.1:8090"), ("spaces", "http://a b.com"),
            ("ftp", "ftp://example.com"), ("long", "https://example.com/" + "a" * 3000),
        ],
        "senderName": [("valid", "Team"), ("empty", ""), ("255 chars", "s" * 255), ("256 chars", LONG)],
        "senderAddress": [
            ("valid", "team@example.com"), ("empty", ""), ("no at", "team.example.com"), ("display name", "Team <t@example.com>"),
            ("no tld", "a@b"), ("unicode", "ü@example.com"),
        ],
        "accentColor": [
            ("valid", "#ff0000"), ("upper", "#ABCDEF"), ("empty", ""), ("short", "#fff"), ("no hash", "ff0000a"),
            ("six no hash", "ff0000"), ("not hex", "#zzzzzz"), ("too long", "#ff00000"),
        ],
    },
    "smtp": {
        "host": [
            ("valid", "mail.example.com"), ("empty", ""), ("ip", "10.0.0.1"), ("ipv6", "::1"), ("underscore", "a_b.com"),
            ("leading dash", "-a.com"), ("spaces", "a b"), ("with port", "a.com:25"), ("trailing dot", "a.com."),
            ("label 64 chars", "a" * 64 + ".com"), ("url", "smtp://a.com"),
        ],
        "username": [("valid", "user"), ("empty", "")],
        "password": [("valid", "secret-pass"), ("empty", "")],
        "authMethod": [("plain", "PLAIN"), ("login", "LOGIN"), ("lower", "plain"), ("other", "CRAM-MD5"), ("empty", "")],
        "localName": [("valid", "relay.example.com"), ("ip", "1.2.3.4"), ("empty", ""), ("bad", "a b"), ("dash", "-x")],
    },
    "s3": {
        "bucket": [("valid", "bucket"), ("empty", "")],
        "region": [("valid", "eu-1"), ("empty", "")],
        "endpoint": [("valid", "https://s3.example.com"), ("empty", ""), ("no scheme", "s3.example.com"), ("bad", "x y"), ("word", "nope")],
        "accessKey": [("valid", "key"), ("empty", "")],
        "secret": [("valid", "sec"), ("empty", "")],
    },
    "backups": {
        "cron": [
            ("valid", "0 0 1 1 *"), ("empty", ""), ("macro", "@yearly"), ("upper macro", "@YEARLY"), ("unknown macro", "@nope"),
            ("four fields", "0 0 1 1"), ("six fields", "0 0 1 1 * *"), ("double space", "0  0 1 1 *"), ("letters", "a 0 1 1 *"),
            ("minute 60", "60 0 1 1 *"), ("hour 24", "0 24 1 1 *"), ("day 0", "0 0 0 1 *"), ("month 13", "0 0 1 13 *"),
            ("weekday 7", "0 0 1 1 7"), ("range", "0-5 0 1 1 *"), ("reverse range", "5-1 0 1 1 *"), ("range too high", "0-60 0 1 1 *"),
            ("range min too high", "61-62 0 1 1 *"), ("three part range", "1-2-3 0 1 1 *"), ("step", "*/15 0 1 1 *"),
            ("step zero", "*/0 0 1 1 *"), ("step too big", "*/60 0 1 1 *"), ("step on value", "5/2 0 1 1 *"),
            ("range step", "0-30/10 0 1 1 *"), ("two steps", "*/2/3 0 1 1 *"), ("step letters", "*/a 0 1 1 *"),
            ("list", "0,15,30 0 1 1 *"), ("list with bad", "0,x 0 1 1 *"), ("huge number", "99999999999999999999 0 1 1 *"),
            ("plus sign", "+5 0 1 1 *"), ("negative", "-5 0 1 1 *"), ("quote", '" 0 1 1 *'), ("tabs", "0\t0 1 1 *"),
            ("empty segment", ",0 0 1 1 *"),
        ],
    },
}  # fmt: skip

INTS: dict[str, list[str]] = {
    "smtp": ["port"],
    "backups": ["cronMaxKeep"],
    "batch": ["maxRequests", "timeout", "maxBodySize"],
    "logs": ["maxDays", "minLevel", "maxDataSize"],
}
BOOLS: dict[str, list[str]] = {
    "meta": ["hideControls"],
    "smtp": ["enabled", "tls"],
    "s3": ["enabled", "forcePathStyle"],
    "batch": ["enabled"],
    "logs": ["logIP", "logAuthId"],
    "trustedProxy": ["useLeftmostIP"],
}
# sections whose fields are required only when "enabled" is on: checked with it on as well
ENABLED_SECTIONS = {
    "smtp": {"enabled": True},
    "s3": {**S3_ON},
    "batch": {"enabled": True},
}

RULES: list[tuple[str, Any]] = [
    ("empty list", []), ("null", None), ("string", "x"), ("null item", [None]), ("number item", [1]),
    ("one valid", [{"label": "/api/", "duration": 1, "maxRequests": 100000}]),
    ("label only", [{"label": "zz"}]),
    ("blank label", [{"label": "", "duration": 1, "maxRequests": 1}]),
    ("tag", [{"label": "tag_1", "duration": 1, "maxRequests": 1}]),
    ("collection tag", [{"label": "users:create", "duration": 1, "maxRequests": 1}]),
    ("star tag", [{"label": "*:auth", "duration": 1, "maxRequests": 1}]),
    ("method path", [{"label": "POST /api/collections/", "duration": 1, "maxRequests": 1}]),
    ("slash", [{"label": "/", "duration": 1, "maxRequests": 1}]),
    ("lower method", [{"label": "post /api", "duration": 1, "maxRequests": 1}]),
    ("bad chars", [{"label": "bad label!", "duration": 1, "maxRequests": 1}]),
    ("path with dot", [{"label": "/api/x.y", "duration": 1, "maxRequests": 1}]),
    ("two colons", [{"label": "a:b:c", "duration": 1, "maxRequests": 1}]),
    ("trailing newline", [{"label": "tag\n", "duration": 1, "maxRequests": 1}]),
    ("unicode label", [{"label": "ünï", "duration": 1, "maxRequests": 1}]),
    ("guest", [{"label": "a", "audience": "@guest", "duration": 1, "maxRequests": 1}]),
    ("auth", [{"label": "a", "audience": "@auth", "duration": 1, "maxRequests": 1}]),
    ("bad audience", [{"label": "a", "audience": "guest", "duration": 1, "maxRequests": 1}]),
    ("zero limits", [{"label": "a", "duration": 0, "maxRequests": 0}]),
    ("negative limits", [{"label": "a", "duration": -1, "maxRequests": -5}]),
    ("float duration", [{"label": "a", "duration": 1.5, "maxRequests": 1}]),
    ("string max", [{"label": "a", "duration": 1, "maxRequests": "1"}]),
    ("duplicate", [{"label": "a", "duration": 1, "maxRequests": 1}, {"label": "a", "duration": 2, "maxRequests": 2}]),
    ("prefix conflict", [{"label": "ab", "duration": 1, "maxRequests": 1}, {"label": "a", "duration": 1, "maxRequests": 1}]),
    ("prefix of audience", [{"label": "a", "duration": 1, "maxRequests": 1}, {"label": "a", "audience": "@auth", "duration": 1, "maxRequests": 1}]),
    ("same label other audiences", [{"label": "a", "audience": "@guest", "duration": 1, "maxRequests": 1}, {"label": "a", "audience": "@auth", "duration": 1, "maxRequests": 1}]),
    ("path prefixes", [{"label": "/api/", "duration": 1, "maxRequests": 1}, {"label": "/api/x", "duration": 1, "maxRequests": 1}]),
    ("duplicate and invalid", [
        {"label": "a", "duration": 1, "maxRequests": 1}, {"label": "a", "duration": 1, "maxRequests": 1},
        {"label": "b", "duration": 1, "maxRequests": 0},
    ]),
    ("two conflicts", [
        {"label": "a", "duration": 1, "maxRequests": 1}, {"label": "a", "duration": 1, "maxRequests": 1},
        {"label": "b", "duration": 1, "maxRequests": 1}, {"label": "b", "duration": 1, "maxRequests": 1},
    ]),
    ("unknown rule key", [{"label": "a", "duration": 1, "maxRequests": 1, "nope": {"x": 1}}]),
    ("upper rule keys", [{"LABEL": "a", "Duration": 1, "MAXREQUESTS": 1}]),
]  # fmt: skip

RAW_BODIES: list[tuple[str, bytes, str | None]] = [
    ("empty", b"", JSON), ("spaces", b"   ", JSON), ("null", b"null", JSON), ("array", b"[]", JSON), ("string", b'"x"', JSON),
    ("number", b"1", JSON), ("true", b"true", JSON), ("unclosed", b'{"meta":', JSON), ("trailing comma", b'{"meta":{},}', JSON),
    ("trailing data", b'{"meta":{"appName":"T"}}xyz', JSON), ("two objects", b'{"meta":{"appName":"A"}}{"meta":{"appName":"B"}}', JSON),
    ("duplicate key", b'{"meta":{"appName":"a","appName":"b"}}', JSON), ("duplicate section", b'{"meta":{},"meta":{}}', JSON),
    ("case duplicate", b'{"meta":{},"Meta":{}}', JSON), ("duplicate unknown key", b'{"x":1,"x":2}', JSON),
    ("duplicate in unknown", b'{"x":{"a":1,"a":2}}', JSON), ("upper keys", b'{"META":{"APPNAME":"Upper"}}', JSON),
    ("mixed case keys", b'{"Smtp":{"Port":25}}', JSON), ("unknown section", b'{"nope":{"x":1}}', JSON),
    ("unknown field", b'{"meta":{"nope":1}}', JSON), ("unknown number past float64", b'{"nope":1e999}', JSON),
    ("known number past float64", b'{"smtp":{"port":1e999}}', JSON), ("NaN", b'{"smtp":{"port":NaN}}', JSON),
    ("invalid utf-8", b'{"meta":{"appName":"\xff"}}', JSON), ("escaped unicode", b'{"meta":{"appName":"\\u00e9"}}', JSON),
    ("lone surrogate", b'{"meta":{"appName":"\\ud800"}}', JSON), ("null section", b'{"meta":null}', JSON),
    ("null smtp", b'{"smtp":null}', JSON), ("null rate limits", b'{"rateLimits":null}', JSON),
    ("null superuser ips", b'{"superuserIPs":null}', JSON), ("section as string", b'{"meta":"x"}', JSON),
    ("section as array", b'{"logs":[]}', JSON), ("json with charset", b'{"meta":{"appName":"Cs"}}', "application/json; charset=utf-8"),
    ("text plain", b'{"meta":{"appName":"T"}}', "text/plain"), ("no content type", b'{"meta":{"appName":"T"}}', None),
    ("xml", b"<settings><meta><appName>X</appName></meta></settings>", "application/xml"),
    ("urlencoded", b"meta.appName=Form", "application/x-www-form-urlencoded"),
    ("urlencoded flat", b"appName=Form", "application/x-www-form-urlencoded"),
    ("multipart", b'--b\r\nContent-Disposition: form-data; name="meta.appName"\r\n\r\nMp\r\n--b--\r\n', "multipart/form-data; boundary=b"),
    ("urlencoded int", b"smtp.port=25&logs.maxDays=", "application/x-www-form-urlencoded"),
    ("urlencoded bad int", b"smtp.port=abc", "application/x-www-form-urlencoded"),
    ("urlencoded float", b"logs.maxDays=1.5", "application/x-www-form-urlencoded"),
    ("urlencoded bools", b"meta.hideControls=true&smtp.tls=1&logs.logIP=", "application/x-www-form-urlencoded"),
    ("urlencoded bad bool", b"smtp.enabled=yes", "application/x-www-form-urlencoded"),
    ("urlencoded enabled", b"smtp.enabled=T&smtp.port=0", "application/x-www-form-urlencoded"),
    ("urlencoded list", b"superuserIPs=127.0.0.1&superuserIPs=::1&trustedProxy.headers=X-A", "application/x-www-form-urlencoded"),
    ("urlencoded repeated", b"meta.appName=A&meta.appName=B", "application/x-www-form-urlencoded"),
    ("urlencoded upper", b"META.APPNAME=Up", "application/x-www-form-urlencoded"),
    ("urlencoded section", b"meta=x&backups.s3=y", "application/x-www-form-urlencoded"),
    ("urlencoded rules", b"rateLimits.rules.0.label=x&rateLimits.rules=y", "application/x-www-form-urlencoded"),
    ("urlencoded invalid", b"meta.appName=&backups.cron=bad", "application/x-www-form-urlencoded"),
    ("urlencoded nested s3", b"backups.s3.bucket=bk", "application/x-www-form-urlencoded"),
    ("multipart broken", b"--b\r\nContent-Disposition: form-data; name=\"meta.appName\"\r\n\r\nx", "multipart/form-data; boundary=b"),
    ("multipart with a file", b'--b\r\nContent-Disposition: form-data; name="meta.appName"; filename="a.txt"\r\n\r\nfile\r\n--b--\r\n', "multipart/form-data; boundary=b"),
    ("empty text plain", b"", "text/plain"),
    ("empty multipart", b"", "multipart/form-data; boundary=b"), ("empty urlencoded", b"", "application/x-www-form-urlencoded"),
    ("multipart without boundary", b"--b\r\n", "multipart/form-data"),
    ("deep unknown", b'{"x":' + b"[" * 500 + b"]" * 500 + b"}", JSON),
    ("very deep unknown", b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}", JSON),
    ("big body", b'{"meta":{"appName":"Big"},"pad":"' + b"x" * 3_000_000 + b'"}', JSON),
]  # fmt: skip


class _Builder:
    def __init__(self) -> None:
        self.cases: list[SettingsCase] = []

    def add(self, name: str, request: Request, *setup: Any) -> None:
        self.cases.append(SettingsCase(name, request, tuple(setup)))

    def patch(self, name: str, body: Any, *setup: Any) -> None:
        self.add(f"PATCH {name}", Request("PATCH", SETTINGS, json=body), *setup)


def _nested(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path.split(".")):
        out = {part: out}
    return out


def _field_cases(b: _Builder) -> None:
    for section, fields in STRINGS.items():
        for field, values in fields.items():
            path = f"backups.{field}" if section == "backups" else f"{section}.{field}"
            for label, value in [*values, *STR_WRONG]:
                b.patch(f"{path} {label}", _nested(path, value))
                if section in ENABLED_SECTIONS:
                    on = {**ENABLED_SECTIONS[section], field: value}
                    b.patch(f"{path} {label} when enabled", {section: on})
    _number_cases(b)


def _number_cases(b: _Builder) -> None:
    for section, fields in INTS.items():
        for field in fields:
            for label, value in INT_VALUES:
                b.patch(f"{section}.{field} {label}", _nested(f"{section}.{field}", value))
                if section in ENABLED_SECTIONS:
                    b.patch(f"{section}.{field} {label} when enabled", {section: {**ENABLED_SECTIONS[section], field: value}})
    for label, value in INT_VALUES:
        b.patch(f"backups.cronMaxKeep {label} with a cron", {"backups": {"cron": "0 0 1 1 *", "cronMaxKeep": value}})
    _list_cases(b)
    _backups_s3_cases(b)


def _backups_s3_cases(b: _Builder) -> None:
    """The backups' own S3 section: every field, alone and with the section enabled."""
    for field, values in STRINGS["s3"].items():
        for label, value in [*values, *STR_WRONG]:
            b.patch(f"backups.s3.{field} {label}", {"backups": {"s3": {field: value}}})
            b.patch(f"backups.s3.{field} {label} when enabled", {"backups": {"s3": {**S3_ON, field: value}}})
    for field in ("enabled", "forcePathStyle"):
        for label, value in BOOL_VALUES:
            b.patch(f"backups.s3.{field} {label}", {"backups": {"s3": {field: value}}})
    for label, value in BOOL_VALUES:
        b.patch(f"rateLimits.enabled {label}", {"rateLimits": {"enabled": value, "rules": SAFE_RULES}})


def _list_cases(b: _Builder) -> None:
    for section, fields in BOOLS.items():
        for field in fields:
            for label, value in BOOL_VALUES:
                b.patch(f"{section}.{field} {label}", _nested(f"{section}.{field}", value))
    for label, value in IP_LISTS:
        if label not in LOCKOUT:
            b.patch(f"superuserIPs {label}", {"superuserIPs": value})
        b.patch(f"rateLimits.excludedIPs {label}", {"rateLimits": {"excludedIPs": value}})
    for label, value in HEADER_LISTS:
        b.patch(f"trustedProxy.headers {label}", {"trustedProxy": {"headers": value}})
    for label, value in RULES:
        b.patch(f"rateLimits.rules {label}", {"rateLimits": {"rules": value}})
    valid_rule = {"label": "tag", "audience": "", "duration": 1, "maxRequests": 1}
    for field in valid_rule:
        values = INT_VALUES if field in ("duration", "maxRequests") else [("empty", ""), ("long", "a" * 300), *STR_WRONG]
        for label, value in values:
            b.patch(f"rateLimits.rules.0.{field} {label}", {"rateLimits": {"rules": [{**valid_rule, field: value}]}})
    b.patch("rateLimits enabled with no rules", {"rateLimits": {"enabled": True, "rules": []}})
    b.patch("rateLimits enabled with null rules", {"rateLimits": {"enabled": True, "rules": None}})
    b.patch("rateLimits enabled with safe rules", {"rateLimits": {"enabled": True, "rules": SAFE_RULES}})
    b.patch("rateLimits enabled with a bad rule", {"rateLimits": {"enabled": True, "rules": [{"label": "!"}]}})


def _section_cases(b: _Builder) -> None:
    """Whole sections, S3 of backups, and several sections failing at once."""
    b.patch("s3 enabled complete", {"s3": S3_ON})
    b.patch("s3 enabled blank", {"s3": {"enabled": True}})
    b.patch("backups.s3 enabled complete", {"backups": {"s3": S3_ON}})
    b.patch("backups.s3 enabled blank", {"backups": {"s3": {"enabled": True}}})
    b.patch("backups.s3 bad endpoint", {"backups": {"s3": {"endpoint": "x y"}}})
    b.patch("backups.s3 null", {"backups": {"s3": None}})
    b.patch("backups cron and s3 errors", {"backups": {"cron": "bad", "cronMaxKeep": -1, "s3": {"enabled": True}}})
    b.patch("smtp enabled blank", {"smtp": {"enabled": True, "host": "", "port": 0}})
    b.patch("batch enabled zeros", {"batch": {"enabled": True, "maxRequests": 0, "timeout": 0}})
    b.patch("meta all blank", {"meta": {"appName": "", "appURL": "", "senderName": "", "senderAddress": "", "accentColor": ""}})
    b.patch("everything wrong", {
        "superuserIPs": ["x"], "meta": {"appName": "", "appURL": "nope", "senderAddress": "bad", "accentColor": "#12"},
        "smtp": {"enabled": True, "host": "", "port": -1, "authMethod": "x", "localName": "a b"},
        "s3": {"enabled": True}, "backups": {"cron": "x"}, "batch": {"maxBodySize": -1}, "logs": {"maxDays": -1},
        "rateLimits": {"excludedIPs": [""], "rules": [{}]},
    })  # fmt: skip
    b.patch("everything valid", {
        "superuserIPs": ["127.0.0.1", "::1"], "meta": {"appName": "All", "appURL": "https://all.example.com", "hideControls": True},
        "smtp": {"enabled": True, "host": "smtp.all.example.com", "port": 465, "username": "u", "password": "p", "tls": True},
        "s3": S3_ON, "backups": {"cron": "0 0 1 1 *", "cronMaxKeep": 7, "s3": S3_ON},
        "batch": {"enabled": True, "maxRequests": 10, "timeout": 5, "maxBodySize": 1024},
        "rateLimits": {"enabled": True, "rules": SAFE_RULES, "excludedIPs": ["10.0.0.0/8"]},
        "trustedProxy": {"headers": ["X-Real-IP"], "useLeftmostIP": True},
        "logs": {"maxDays": 30, "minLevel": -4, "logIP": False, "logAuthId": True, "maxDataSize": 100},
    })  # fmt: skip


def _secret_cases(b: _Builder) -> None:
    """Write-only fields: hidden in answers, kept when a PATCH leaves them out."""
    get = Request("GET", SETTINGS)
    b.add("GET after smtp password set", get, {"smtp": {"password": "pw"}})
    b.add("GET after s3 secrets set", get, {"s3": S3_ON, "backups": {"s3": S3_ON}})
    b.patch("s3 kept secret lets s3 stay enabled", {"s3": {"bucket": "other"}}, {"s3": S3_ON})
    b.patch("backups.s3 kept secret", {"backups": {"s3": {"region": "other"}}}, {"backups": {"s3": S3_ON}})
    b.patch("s3 secret blanked while enabled", {"s3": {"secret": ""}}, {"s3": S3_ON})
    b.patch("s3 section null while enabled", {"s3": None}, {"s3": S3_ON})
    b.patch("smtp password kept", {"smtp": {"host": "other.example.com"}}, {"smtp": {"enabled": True, "password": "pw"}})
    b.patch("settings patched twice", {"meta": {"appName": "Second"}}, {"meta": {"appName": "First", "senderName": "Kept"}})


def _access_cases(b: _Builder) -> None:
    for who in WHO:
        b.add(f"GET as {who}", Request("GET", SETTINGS, who=who))
        b.add(f"PATCH as {who}", Request("PATCH", SETTINGS, json={"meta": {"appName": "By " + who}}, who=who))
        b.add(f"PATCH invalid as {who}", Request("PATCH", SETTINGS, json={"meta": {"appName": ""}}, who=who))
        b.add(f"POST test s3 as {who}", Request("POST", TEST_S3, json={"filesystem": "storage"}, who=who))
        b.add(f"POST test email as {who}", Request("POST", TEST_EMAIL, json={"email": "a@example.com", "template": "otp"}, who=who))
    for method in ("POST", "PUT", "DELETE"):
        b.add(f"{method} settings", Request(method, SETTINGS, json={}))
    b.add("GET test s3", Request("GET", TEST_S3))
    b.add("HEAD settings", Request("HEAD", SETTINGS))
    b.add("HEAD settings as anon", Request("HEAD", SETTINGS, who="anon"))
    b.add("GET settings with a query", Request("GET", SETTINGS + "?x=1&fields="))
    b.add("GET settings/", Request("GET", SETTINGS + "/"))
    b.add("GET with fields", Request("GET", SETTINGS + "?fields=meta,smtp.host"))
    b.add("GET with fields star", Request("GET", SETTINGS + "?fields=meta.*"))
    b.add("PATCH with fields", Request("PATCH", SETTINGS + "?fields=meta.appName", json={"meta": {"appName": "F"}}))


def _body_cases(b: _Builder) -> None:
    for label, raw, content_type in RAW_BODIES:
        b.add(f"PATCH body {label}", Request("PATCH", SETTINGS, raw=raw, content_type=content_type))


def _test_route_cases(b: _Builder) -> None:
    s3_bodies: list[tuple[str, Any]] = [
        ("empty object", {}), ("storage", {"filesystem": "storage"}), ("backups", {"filesystem": "backups"}),
        ("other", {"filesystem": "x"}), ("number", {"filesystem": 1}), ("null", {"filesystem": None}),
        ("upper key", {"FILESYSTEM": "storage"}), ("upper value", {"filesystem": "STORAGE"}),
    ]  # fmt: skip
    for label, body in s3_bodies:
        b.add(f"POST test s3 {label}", Request("POST", TEST_S3, json=body))
    for label, raw, content_type in RAW_BODIES[:12]:
        b.add(f"POST test s3 body {label}", Request("POST", TEST_S3, raw=raw, content_type=content_type))
    email_bodies: list[tuple[str, Any]] = [
        ("empty object", {}), ("bad everything", {"email": "bad", "template": "x", "collection": "nope"}),
        ("base collection", {"email": "a@example.com", "template": "otp", "collection": "g_none"}),
        ("users", {"email": "a@example.com", "template": "verification", "collection": "users"}),
        ("superusers by name", {"email": "a@example.com", "template": "password-reset", "collection": "_superusers"}),
        ("no collection", {"email": "a@example.com", "template": "email-change"}),
        ("login alert", {"email": "a@example.com", "template": "login-alert"}),
        ("long email", {"email": "a" * 250 + "@example.com", "template": "otp"}),
        ("long collection", {"email": "a@example.com", "template": "otp", "collection": "c" * 256}),
        ("number email", {"email": 1, "template": "otp"}), ("null template", {"email": "a@example.com", "template": None}),
        ("upper template", {"email": "a@example.com", "template": "OTP"}),
    ]  # fmt: skip
    for label, body in email_bodies:
        b.add(f"POST test email {label}", Request("POST", TEST_EMAIL, json=body))
    for label, raw, content_type in RAW_BODIES[:12]:
        b.add(f"POST test email body {label}", Request("POST", TEST_EMAIL, raw=raw, content_type=content_type))


# Throwaway keys made for these cases only (P-256 EC and 1024-bit RSA, PKCS #8).
EC_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZCbaRjfxLIr5t22W
vYbqp7a+0l6XI2JhkgPYceEZ266hRANCAASwVuxaUhUIj2l3SpmN1mBm/YGyifrJ
LS6TVN726Ow6PX7JYp1J1d8MtkRHJLFDea+oopMJV4PVsf8W9b/4i4dA
-----END PRIVATE KEY-----"""
RSA_KEY = """-----BEGIN PRIVATE KEY-----
MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAMUEj0WJQ9/nW5FV
Wr+jgHxDVJCjzPKPKBdrW0JflPUVdoDGtM+9/VtFtiXh7dl48PXsDd9+JzlK8KcP
/QzFUJSKRxyOCc0ltVuGHKtDUdU5a+7JGlT6HXxhwCBdwUf79ahouB62sGwNB4Qd
Z90RUH5JnRq0Uq4P0bgibl4PzTm/AgMBAAECgYEAgFjWFRC1HPoVVvpp4gpbu5gJ
USjEbQgBsDAKBZVK7taKmp3YULWOhZVGcitazZ/SKgMbjosadmJxoAP0cAti0Btt
8/GsB3Ge9IusTYpNX8Rd7/57vz3f9f2Ovi1qxBtQu8PqXZv+HckgL/dDziOD/wpK
TCv6XutIfvQnQFAVG2ECQQD6HZY1sLQWg8D8xxUrRkt9EX9jb6k4J2ir+CUKAZEI
9AhpS0iMBTAaV3Jf7Bgo7tf7ReF1DR5ezEKrCctmvHtXAkEAyacsC5LJRsy8OynO
nC7UvL0hN3lM2kxmBCiX6/9ooH6BqlCcCarsd6u1pHgH+QzJ5cJ66lnSq7AxKo6O
IZ2b2QJABYer74n1oV3OYYhhTnCicKR3ZZJtcmFkrhCxePQp6cHDgdh5RSdENgDi
9X351sXZHqQf5P+iQURQ4Qk5Zw8ZxwJBALXM9qO0gaxH9sfsKC6c9gT3ClRmEsiY
qjzDkDwfN2fCxgoTxKnepHQ7pXaTFLUPN5LiJEjWFF3famQww6lA2/kCQQDB2CFN
FaI+q72g7ZukmIWDb/H6ZUEmy3cUTNwH6/B21JJs00RkI3rDEJr89ArtoN9xF+aP
CLdEWAduN6PnzlKu
-----END PRIVATE KEY-----"""
APPLE = "/api/settings/apple/generate-client-secret"
APPLE_OK = {"clientId": "com.example.app", "teamId": "ABCDE12345", "keyId": "KEY1234567", "privateKey": EC_KEY, "duration": 3600}


def _apple_cases(b: _Builder) -> None:
    bodies: list[tuple[str, Any]] = [
        ("valid", APPLE_OK), ("empty object", {}), ("max duration", {**APPLE_OK, "duration": 15777000}),
        ("duration past max", {**APPLE_OK, "duration": 15777001}), ("duration zero", {**APPLE_OK, "duration": 0}),
        ("negative duration", {**APPLE_OK, "duration": -1}), ("float duration", {**APPLE_OK, "duration": 1.5}),
        ("string duration", {**APPLE_OK, "duration": "60"}), ("short team", {**APPLE_OK, "teamId": "ABC"}),
        ("long key id", {**APPLE_OK, "keyId": "K" * 11}), ("number client", {**APPLE_OK, "clientId": 1}),
        ("rsa key", {**APPLE_OK, "privateKey": RSA_KEY}), ("key with spaces", {**APPLE_OK, "privateKey": "  \n" + EC_KEY + "\n  "}),
        ("no pem", {**APPLE_OK, "privateKey": "not a key"}),
        ("garbage pem", {**APPLE_OK, "privateKey": "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----"}),
        ("ec header", {**APPLE_OK, "privateKey": EC_KEY.replace("PRIVATE KEY", "EC PRIVATE KEY")}),
        ("text before", {**APPLE_OK, "privateKey": "junk\n" + EC_KEY}),
    ]  # fmt: skip
    for label, body in bodies:
        b.add(f"POST apple secret {label}", Request("POST", APPLE, json=body))
    for who in ("anon", "s_user"):
        b.add(f"POST apple secret as {who}", Request("POST", APPLE, json=APPLE_OK, who=who))
    for label, raw, content_type in RAW_BODIES[:8]:
        b.add(f"POST apple secret body {label}", Request("POST", APPLE, raw=raw, content_type=content_type))


GROUPS = [_access_cases, _field_cases, _section_cases, _secret_cases, _body_cases, _test_route_cases, _apple_cases]


def build_cases() -> list[SettingsCase]:
    """Every table."""
    b = _Builder()
    for group in GROUPS:
        group(b)
    names = [case.name for case in b.cases]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    return b.cases


def setup(pair: Pair) -> None:
    """A signed-in user of the ``users`` collection (``s_user``)."""
    if not pair.first_time("settings"):
        return
    for target in pair.targets:
        target.ok("POST", "/api/collections/users/records", {
            "email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD,
        })  # fmt: skip
        target.login("s_user", "users", USER_EMAIL, USER_PASSWORD)
        target.tokens["garbage"] = "not-a-token"


def prepare(pair: Pair, case: SettingsCase) -> None:
    """Back to the default settings (secrets blank), then the case's own setup PATCHes."""
    pair.ok("PATCH", SETTINGS, DEFAULTS)
    for body in case.setup:
        pair.ok("PATCH", SETTINGS, body)
