"""The operations routes: logs, backups, crons, health, the settings' test and Apple routes and
file tokens; every route x method x caller x body class, the logs' query parameters x value
class, identical to PocketBase.

The logs cases read a fixed set of entries: requests :func:`setup` sends with a marker
User-Agent (``MARK``) that the cases' own requests never carry, so the cases filter on
``data.userAgent`` and see the same entries however many of their own requests were logged.
Values that differ per server (a log id, file tokens) are written ``<<name>>`` in a path and
filled in per server (:func:`resolve`). The cases run in table order: the backups ones create,
upload and delete archives as they go, and ``DELETE /api/logs`` comes last.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import itertools
import re
import time
import zipfile
from typing import Any

import orjson

from tests.conformance import cases_settings
from tests.conformance.cases_settings import APPLE, APPLE_OK, EC_KEY, RSA_KEY, TEST_EMAIL, TEST_S3
from tests.conformance.harness import Answer, Pair, Request, Target

JSON = "application/json"
MARK = "h4-ops-marker/1.0"
MARKED = f"data.userAgent = '{MARK}'"
# entries whose details differ on purpose (known.py): a marker of their own
DETAILS_MARK = "h4-ops-details/1.0"
USER_EMAIL = "ops_user@example.com"
USER_PASSWORD = "ops-pass-1234"
WHO = ("anon", "ops_user", "superuser", "ops_forged", "garbage", "ops_bearer")
LOGS = "/api/logs"
STATS = "/api/logs/stats"
BACKUPS = "/api/backups"
UPLOAD = "/api/backups/upload"
CRONS = "/api/crons"
HEALTH = "/api/health"
FILE_TOKEN = "/api/files/token"
AUTO_BACKUP_RE = re.compile(r"^pb_backup_\w*?\d{14}\.zip$")
STORED_NAME_RE = re.compile(r'"([^"]*)_[a-z0-9]{10}(\.\w+)?"')
OVERSIZED = 33 << 20  # past PocketBase's default body limit (32 MB)
EXPIRED_AFTER = 11.0  # seconds: the expired file token lives 10


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("readme.txt", "not a real backup")
    return buf.getvalue()


ZIP = _zip_bytes()


@dataclasses.dataclass(frozen=True)
class OpsCase:
    """One request (after the setup requests, each sent to both servers as the superuser).

    ``binary``: the answer is a file, compared by status, type, disposition and zip magic.
    ``wait_expired``: sent once the expired file token has expired.
    """

    name: str
    request: Request
    setup: tuple[tuple[str, str, Any], ...] = ()
    binary: bool = False
    wait_expired: bool = False

    def mask(self, answer: Answer) -> Answer:
        """Times a request took, archive sizes and automatic backup names."""
        return Answer(answer.status, _mask(answer.body))


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if key == "execTime" and isinstance(value, int | float):
        # NOTE: PocketBase writes milliseconds with at most 6 decimals (nanoseconds / 1e6)
        return "<ms>" if len(repr(float(value)).partition(".")[2]) <= 6 else f"<ms with too many decimals: {value}>"
    if key == "size" and isinstance(value, int):
        return "<size>"
    if key == "key" and isinstance(value, str) and AUTO_BACKUP_RE.match(value):
        return "<auto backup>"
    if key == "message" and isinstance(value, str):
        # NOTE: the text of the storage's own error (Go's or Python's) is not compared
        head, raw, _error = value.partition("Raw error: \n")
        value = head + raw + "<raw error>" if raw else value
        # NOTE: a stored file name ends in a random suffix
        return STORED_NAME_RE.sub(r'"\1_<random>\2"', value)
    return value


# ---- the marked log entries ------------------------------------------------------------------

#: (method, path, caller, extra headers, JSON body): sent once, in this order, with the marker agent
MARKED_REQUESTS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("GET", "/api/ops_a", "anon", {}, None),
    ("GET", "/api/health?ops=b", "anon", {}, None),
    ("POST", "/api/ops_c", "anon", {}, None),
    ("GET", "/api/collections/users/records?ops=d", "ops_user", {}, None),
    ("GET", "/api/health?ops=f", "anon", {"Referer": "http://ref.example.com/x"}, None),
    ("GET", "/api/settings?ops=i", "ops_user", {}, None),
    ("GET", "/api/health?ops=k&q=%C3%BC%20x", "superuser", {}, None),
    ("PATCH", "/api/ops_l", "ops_user", {}, {"x": 1}),
]
#: requests whose entries' details differ on purpose: PocketBase logs its Go error's text
#: ("sql: no rows in result set", the filter parser's message) and a validation error's raw
#: messages ({"email": "must be a valid email address"}); pybase logs the answer's error data
DETAILS_REQUESTS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("GET", "/api/collections/nope/records?ops=e", "superuser", {}, None),
    ("POST", "/api/collections/users/records?ops=g", "anon", {}, {"email": "bad"}),
    ("GET", "/api/logs?ops=h&filter=nope%3D1", "superuser", {}, None),
    ("DELETE", "/api/collections/users/records/nope?ops=j", "superuser", {}, None),
    ("GET", "/api/collections/users/records/nope?ops=m", "anon", {}, None),
]


class _Builder:
    def __init__(self) -> None:
        self.cases: list[OpsCase] = []

    def add(self, name: str, request: Request, *setup: tuple[str, str, Any], **kw: Any) -> None:
        self.cases.append(OpsCase(name, request, tuple(setup), **kw))


def _q(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


# ---- logs --------------------------------------------------------------------------------------

#: filter parts ANDed with the marker; each with the value classes of its field
LOG_FILTERS: list[str] = [
    # level: numbers, text, truths, null, floats, every operator
    "level = 0", "level = 8", "level > 0", "level >= 8", "level < 5", "level <= 0", "level != 0", "level = '8'",
    "level = true", "level = false", "level = null", "level != null", "level = 8.0", "level = -1", "level = 1e3",
    "level ~ 8", "level !~ 0", "level ?= 8", "level ?!= 8", "level ?> 0", "level = ''", "level > '5'",
    # message: text classes, like patterns, escapes
    "message ~ 'GET'", "message = ''", "message ~ '/api/ops_a'", "message !~ 'health'", "message ~ 'ops_%'",
    "message ~ '%ops_c'", "message ~ 'OPS'", "message = 'GET /api/ops_a'", "message ~ 'ü'", "message ~ '%C3%BC'",
    "message > 'G'", "message ~ 1", "message = null", "message ~ ''", "message ~ '_'", "message ?~ 'GET'",
    "message ~ \"GET\"", "message ~ 'a\\'b'", "message ~ `GET`",
    # id and created
    "id != ''", "id = 'nope'", "id = null", "id > ''", "id:lower != ''", "created > '2000-01-01'",
    "created > '2000-01-01 00:00:00.000Z'", "created < @now", "created >= @todayStart", "created <= @todayEnd",
    "created > @yesterday", "created > @tomorrow", "created = ''", "created > 1", "created != null", "created ~ '20'",
    "created > @second", "created > @nope",
    # data: JSON paths and their value classes
    "data.status = 404", "data.status >= 400", "data.status = '404'", "data.status = null", "data.status != null",
    "data.status > 200.5", "data.status = true", "data.method = 'POST'", "data.method ~ 'post'", "data.auth = ''",
    "data.auth = '_superusers'", "data.auth = 'users'", "data.auth != ''", "data.nope = null", "data.nope != null",
    "data.type = 'request'", "data.execTime > 0", "data.execTime >= 0", "data.error != ''", "data.error = null",
    "data.error ~ 'not found'", "data.details != null", "data.details = null", "data.referer != ''", "data.referer ~ 'ref.example'", "data.remoteIP = '127.0.0.1'",
    "data.userIP != ''", "data.url ~ 'ops='", "data.url ~ '%C3%BC'", "data ~ 'ops_a'", "data != ''", "data = null",
    "data.url:lower ~ 'OPS'", "data.status:length > 0", "data.status:each = 404", "data.a:b = null", "data.0 = null",
    "data.status.x = null", "data.url.x = null", "data.userAgent ~ 'ops'", "data ~ '{\"auth\":'",
    "data ~ '\"userIP\":\"127.0.0.1\"}'", "data.ü = null", "data.a:b:c = null", "data.0.x = null", "data._x = null",
    # structure: groups, or, not-a-field operands, macros, literals
    "(level = 0 || level = 8)", "(level = 0 && data.status = 200)", "(level = 8 || data.status = 200) && method != ''",
    "1 = 1", "'a' = 'a'", "1 = 2", "null = null", "level = data.status", "data.status > level",
    "@now > created", "true", "false", "level", "(level = 0)", "((level = 8))",
    # errors
    "nope = 1", "data. = 1", "data.a-b = 1", "level =", "= 1", "(", "level = 0)", "level = 1 &&", "level == 1",
    "level === 1", "@request.auth.id = ''", "@request.method = 'GET'", "@collection.users.id != ''",
    "level = @nope", "level = 'unclosed", "level = 1 ||", "DATA.status = 404", "Level = 0", "data..status = 1",
    "data.status. = 1", "_rowid_ > 0", "rowid > 0", "level = 1 /* c */", "// x", "level = 0 // comment",
    "level = @request.query.x", "created > @nowx", "message ~ 'x' x", "level ~", "level in (1)",
]  # fmt: skip
#: filters sent on their own (no marker): errors, or counts that do not depend on the entries
LONE_FILTERS: list[str] = [
    "nope = 1", "(", " ", "level = 1 &&", "id = 'nope'", "1 = 2", "@collection.x.y = 1", "data.x-y = 1",
    "level = " + "1" * 400, "message ~ '" + "x" * 5000 + "'", "(" * 200 + "level = 1" + ")" * 200,
    "level = 1 || " * 300 + "level = 2",
]  # fmt: skip
LOG_SORTS: list[str] = [
    "message", "-message", "+message", "level,message", "-level,message", "created,message", "-created,message",
    "data.status,message", "-data.status,message", "data.url", "-data.url", "data.method,-message",
    "data.nope,message", "data", "id", "-id", "@random", "-@random", "@rowid", "-@rowid", "rowid", "nope",
    "level,nope", "message,", ",message", "message,,level", "message desc", " message", "message ", "-",
    "+", "--message", "data.", "data.a-b", "MESSAGE", "level:lower", "@collection.x", "@request.auth.id",
    "message,message", "data.status:length",
]  # fmt: skip
#: sorts whose order among the entries is random or by generated ids: sent with a one-entry filter
ONE_ENTRY_SORTS = {"id", "-id", "@random", "-@random", "data"}
ONE_ENTRY = "data.url ~ 'ops_a'"
NO_ID = "nope"
PAGES = ["0", "1", "2", "3", "4", "-1", "abc", "1.5", "", "99999999999999999999", "1e1", " 2", "+2", "0x2"]
PER_PAGES = ["0", "1", "2", "5", "500", "501", "1000", "-1", "abc", "1.5", "", "99999999999999999999", "1e1"]
SKIP_TOTALS = ["true", "false", "1", "0", "yes", "", "TRUE", "t", "F", "2", "on"]
FIELDS = [
    "id", "level,message", "data", "data.url", "data.*", "*", "nope", "", "message:excerpt(4)", "message:excerpt(4,true)",
    "data:excerpt(10)", "id,,level", "*,data.status", "items", "ID", "data.url,data.status", "message:excerpt(0)",
    "message:excerpt(x)", "message:nope(1)", "level:excerpt(2)", " id", "data.nope", "data.details.email",
]  # fmt: skip


def _logs_cases(b: _Builder) -> None:
    for who in WHO:
        for method, path in (("GET", LOGS), ("GET", STATS), ("GET", f"{LOGS}/<<logid>>"), ("GET", f"{LOGS}/nope"),
                             ("DELETE", LOGS), ("DELETE", f"{LOGS}/<<logid>>")):  # fmt: skip
            if method == "DELETE" and path == LOGS and who in ("superuser", "ops_bearer"):
                continue  # NOTE: deletes the entries: the last case of the table
            b.add(f"{method} {path} as {who}", Request(method, path + "?" + _q(filter="id = 'nope'"), who=who))
    for method in ("POST", "PUT", "PATCH", "HEAD", "OPTIONS"):
        b.add(f"{method} logs", Request(method, LOGS))
        b.add(f"{method} logs stats", Request(method, STATS))
        b.add(f"{method} one log", Request(method, f"{LOGS}/<<logid>>"))
    for part in LOG_FILTERS:
        query = _q(filter=f"{MARKED} && ({part})" if not part.startswith("(") else f"{MARKED} && {part}", sort="message")
        b.add(f"logs filter {part}", Request("GET", f"{LOGS}?{query}"))
        b.add(f"logs stats filter {part}", Request("GET", f"{STATS}?{_q(filter=f'{MARKED} && ({part})')}"))
    for text in LONE_FILTERS:
        b.add(f"logs lone filter {text[:60]!r}", Request("GET", f"{LOGS}?{_q(filter=text, perPage='1', fields='page', skipTotal='1')}"))
        # NOTE: ANDed with a filter no entry matches: the counts of all entries differ per server
        b.add(f"logs stats lone filter {text[:60]!r}", Request("GET", f"{STATS}?{_q(filter=f'id = {NO_ID!r} && ({text})')}"))
    for sort in LOG_SORTS:
        flt = f"{MARKED} && {ONE_ENTRY}" if sort in ONE_ENTRY_SORTS else MARKED
        b.add(f"logs sort {sort!r}", Request("GET", f"{LOGS}?{_q(filter=flt, sort=sort, fields='message,level')}"))
    _paging_cases(b)
    _one_log_cases(b)
    _details_cases(b)


def _paging_cases(b: _Builder) -> None:
    base = {"filter": MARKED, "sort": "message", "fields": "message"}
    for page in PAGES:
        b.add(f"logs page {page!r}", Request("GET", f"{LOGS}?{_q(**base, page=page, perPage='4')}"))
    for per_page in PER_PAGES:
        b.add(f"logs perPage {per_page!r}", Request("GET", f"{LOGS}?{_q(**base, perPage=per_page)}"))
    for skip in SKIP_TOTALS:
        b.add(f"logs skipTotal {skip!r}", Request("GET", f"{LOGS}?{_q(**base, perPage='3', skipTotal=skip)}"))
        b.add(f"logs skipTotal {skip!r} last page", Request("GET", f"{LOGS}?{_q(**base, page='4', perPage='3', skipTotal=skip)}"))
    for fields in FIELDS:
        b.add(f"logs fields {fields!r}", Request("GET", f"{LOGS}?{_q(filter=MARKED, sort='message', fields=fields)}"))
        b.add(f"one log fields {fields!r}", Request("GET", f"{LOGS}/<<logid>>?{_q(fields=fields)}"))
    extra = [
        ("no params", {"filter": MARKED, "fields": "message"}),
        ("unknown param", {"filter": MARKED, "sort": "message", "fields": "message", "nope": "1"}),
        ("expand", {"filter": MARKED, "sort": "message", "fields": "message", "expand": "x"}),
        ("everything", {"filter": MARKED, "sort": "-message", "page": "2", "perPage": "2", "skipTotal": "1", "fields": "id,message"}),
        ("empty filter and sort", {"filter": "", "sort": "", "perPage": "1", "fields": "page,perPage", "skipTotal": "1"}),
        ("empty filter", {"filter": "", "perPage": "1", "fields": "page,perPage", "skipTotal": "1"}),
        ("upper param names", {"FILTER": "nope", "SORT": "nope", "perPage": "1", "fields": "page", "skipTotal": "1"}),
    ]  # fmt: skip
    for label, params in extra:
        b.add(f"logs {label}", Request("GET", f"{LOGS}?{_q(**params)}"))
    b.add("logs repeated filter", Request("GET", f"{LOGS}?{_q(filter='nope = 1')}&{_q(filter=MARKED)}&perPage=1&fields=page"))
    b.add("logs repeated sort", Request("GET", f"{LOGS}?{_q(filter=MARKED, sort='message')}&sort=nope&fields=message"))
    b.add("logs stats no filter", Request("GET", f"{STATS}?{_q(filter='id = null')}"))
    b.add("logs stats sort and page", Request("GET", f"{STATS}?{_q(filter=MARKED, sort='nope', page='x', perPage='y')}"))
    b.add("logs stats fields", Request("GET", f"{STATS}?{_q(filter=MARKED, fields='total')}"))


def _details_cases(b: _Builder) -> None:
    """The entries whose details differ on purpose (known.py), and their counts (the same)."""
    for _method, path, _who, _headers, _body in DETAILS_REQUESTS:
        ops = path.partition("ops=")[2][:1]
        flt = f"data.userAgent = '{DETAILS_MARK}' && data.url ~ 'ops={ops}'"
        b.add(f"logs details ops={ops}", Request("GET", f"{LOGS}?{_q(filter=flt)}"))
        b.add(f"logs details count ops={ops}", Request("GET", f"{STATS}?{_q(filter=flt)}"))
    b.add("logs details count", Request("GET", f"{LOGS}?{_q(filter=f'data.userAgent = {DETAILS_MARK!r}', fields='id')}"))


def _one_log_cases(b: _Builder) -> None:
    for label, log_id in [
        ("known", "<<logid>>"), ("unknown", "nope"), ("15 chars", "a" * 15), ("long", "a" * 600), ("space", "%20"),
        ("upper", "<<logid_upper>>"), ("trailing slash", "<<logid>>/"), ("dot", "."), ("encoded slash", "a%2Fb"),
        ("unicode", "%C3%BC"), ("quote", "%27"), ("stats upper", "STATS"), ("nul", "%00"),
    ]:  # fmt: skip
        b.add(f"one log {label}", Request("GET", f"{LOGS}/{log_id}"))
    b.add("one log trailing slash on list", Request("GET", f"{LOGS}/"))


# ---- backups -------------------------------------------------------------------------------------

BACKUP_NAMES: list[tuple[str, Any]] = [
    ("empty", ""), ("null", None), ("number", 1), ("float", 1.5), ("true", True), ("array", ["a.zip"]), ("object", {"a": 1}),
    ("upper", "A.zip"), ("upper ext", "a.ZIP"), ("no ext", "a"), ("only ext", ".zip"), ("space", "a b.zip"),
    ("traversal", "../a.zip"), ("slash", "a/b.zip"), ("unicode", "ü.zip"), ("150 chars", "a" * 146 + ".zip"),
    ("151 chars", "a" * 147 + ".zip"), ("300 chars", "a" * 296 + ".zip"), ("newline", "a.zip\n"), ("dot in name", "a.b.zip"),
    ("tar", "a.tar.gz"), ("dash underscore", "-_.zip"), ("backslash", "a\\b.zip"), ("only backslash", "\\"),
]  # fmt: skip
RAW_BODIES: list[tuple[str, bytes, str | None]] = [
    ("unclosed", b'{"name":', JSON), ("array", b"[]", JSON), ("string", b'"x"', JSON), ("number", b"1", JSON),
    ("trailing comma", b'{"name":"x",}', JSON), ("invalid utf-8", b'{"name":"\xff"}', JSON),
    ("two objects", b'{"name":"a"}{"name":"b"}', JSON), ("text plain", b'{"name":"bad name"}', "text/plain"),
    ("xml", b"<name>x</name>", "application/xml"), ("urlencoded", b"name=Bad+Name", "application/x-www-form-urlencoded"),
    ("multipart", b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nBad Name\r\n--b--\r\n', "multipart/form-data; boundary=b"),
    ("multipart without boundary", b"--b\r\n", "multipart/form-data"), ("no content type", b'{"name":"Bad"}', None),
    ("upper key", b'{"NAME":"Bad Name","name":"x y"}', JSON), ("duplicate key", b'{"name":"a.zip","name":"B b"}', JSON),
    ("NaN", b'{"name":NaN}', JSON), ("past the body limit", b'{"name":"x y","pad":"' + b"x" * OVERSIZED + b'"}', JSON),
    ("case duplicate", b'{"NAME":"x y","name":"x y"}', JSON), ("duplicate unknown", b'{"nope":1,"nope":2}', JSON),
    ("upper name", b'{"NAME":"Bad Name"}', JSON), ("name wrong type", b'{"name":["a.zip"]}', JSON),
]  # fmt: skip
#: bodies that create an automatically named backup (deleted again before the next case)
AUTO_BODIES: list[tuple[str, bytes, str | None]] = [
    ("empty object", b"{}", JSON), ("null", b"null", JSON), ("empty", b"", JSON), ("empty no type", b"", None),
    ("unknown key", b'{"nope":1}', JSON), ("empty name", b'{"name":""}', JSON),
]  # fmt: skip
UPLOADS: list[tuple[str, tuple[tuple[str, Any], ...]]] = [
    ("no file", (("name", "x.zip"),)),
    ("file as text", (("file", "ops_text.zip"),)),
    ("not a zip", (("file", ("ops_not.zip", b"hello there", "application/zip")),)),
    ("empty file", (("file", ("ops_empty.zip", b"", "application/zip")),)),
    ("zip", (("file", ("ops_up.zip", ZIP, "application/zip")),)),
    ("zip again", (("file", ("ops_up.zip", ZIP, "application/zip")),)),
    ("zip as text type", (("file", ("ops_up2.zip", ZIP, "text/plain")),)),
    ("zip named txt", (("file", ("ops_up.txt", ZIP, "application/zip")),)),
    ("zip upper name", (("file", ("OPS_UP.zip", ZIP, "application/zip")),)),
    ("zip name with space", (("file", ("ops up.zip", ZIP, "application/zip")),)),
    ("zip name traversal", (("file", ("../ops_trav.zip", ZIP, "application/zip")),)),
    ("zip name with a backslash", (("file", ("ops\\bs.zip", ZIP, "application/zip")),)),
    ("zip name with a backslash again", (("file", ("ops\\bs.zip", ZIP, "application/zip")),)),
    ("zip name a windows path", (("file", ("C:\\ops\\win.zip", ZIP, "application/zip")),)),
    ("zip long name", (("file", ("u" * 200 + ".zip", ZIP, "application/zip")),)),
    ("zip no name", (("file", ("", ZIP, "application/zip")),)),
    ("past the body limit", (("file", ("ops_big.zip", b"x" * OVERSIZED, "application/zip")),)),
    ("zip past the body limit", (("file", ("ops_big2.zip", ZIP + b"\0" * OVERSIZED, "application/zip")),)),
    ("other field name", (("files", ("ops_other.zip", ZIP, "application/zip")),)),
    ("upper field name", (("FILE", ("ops_other2.zip", ZIP, "application/zip")),)),
    ("two files", (("file", ("ops_two1.zip", ZIP, "application/zip")), ("file", ("ops_two2.zip", ZIP, "application/zip")))),
    ("bad then good", (("file", ("ops_bad1.zip", b"nope", "application/zip")), ("file", ("ops_good1.zip", ZIP, "application/zip")))),
]  # fmt: skip
UPLOAD_RAW: list[tuple[str, bytes, str | None]] = [
    ("json", b'{"file":"x.zip"}', JSON), ("empty", b"", None), ("zip bytes", ZIP, "application/zip"),
    ("urlencoded", b"file=x.zip", "application/x-www-form-urlencoded"), ("multipart without boundary", b"--b\r\n", "multipart/form-data"),
    ("broken multipart", b'--b\r\nContent-Disposition: form-data; name="file"; filename="ops_broken.zip"\r\n\r\nPK', "multipart/form-data; boundary=b"),
]  # fmt: skip
DOWNLOAD_TOKENS: list[tuple[str, str]] = [
    ("no token", ""), ("empty token", "?token="), ("garbage token", "?token=nope"), ("superuser file token", "?token=<<sufile>>"),
    ("user file token", "?token=<<userfile>>"), ("superuser auth token", "?token=<<suauth>>"),
    ("forged file token", "?token=<<forgedfile>>"), ("two tokens", "?token=nope&token=<<sufile>>"),
    ("upper param", "?TOKEN=<<sufile>>"),
]  # fmt: skip
BAD_KEYS = ["nope.zip", "nope", "OPS_OK.ZIP", "..%2Fops_ok.zip", "%2E%2E", "a" * 300 + ".zip", "%00.zip", "ops_ok.zip%20", "%C3%BC.zip",
            "ops%5Cnope.zip", "%5C"]  # fmt: skip


def _backups_cases(b: _Builder) -> None:
    for who in WHO:
        b.add(f"GET backups as {who}", Request("GET", BACKUPS, who=who))
        b.add(f"POST backups bad name as {who}", Request("POST", BACKUPS, json={"name": "Bad Name"}, who=who))
        b.add(f"POST upload as {who}", Request("POST", UPLOAD, form=(("file", ("ops_x.zip", b"x", "application/zip")),), who=who))
        b.add(f"DELETE backup as {who}", Request("DELETE", f"{BACKUPS}/nope.zip", who=who))
        b.add(f"POST restore as {who}", Request("POST", f"{BACKUPS}/nope.zip/restore", who=who))
        b.add(f"GET backup without token as {who}", Request("GET", f"{BACKUPS}/nope.zip", who=who))
    for method, path in [("PUT", BACKUPS), ("PATCH", BACKUPS), ("DELETE", BACKUPS), ("GET", UPLOAD), ("PUT", UPLOAD),
                         ("DELETE", UPLOAD), ("PATCH", f"{BACKUPS}/x.zip"), ("PUT", f"{BACKUPS}/x.zip"),
                         ("POST", f"{BACKUPS}/x.zip"), ("GET", f"{BACKUPS}/x.zip/restore"), ("PUT", f"{BACKUPS}/x.zip/restore"),
                         ("DELETE", f"{BACKUPS}/x.zip/restore"), ("HEAD", BACKUPS), ("GET", f"{BACKUPS}/"), ("POST", f"{BACKUPS}/")]:  # fmt: skip
        b.add(f"{method} {path} wrong method", Request(method, path))
    for label, name in BACKUP_NAMES:
        b.add(f"POST backups name {label}", Request("POST", BACKUPS, json={"name": name}))
    for label, raw, content_type in RAW_BODIES:
        b.add(f"POST backups body {label}", Request("POST", BACKUPS, raw=raw, content_type=content_type))
    b.add("POST backups big body", Request("POST", BACKUPS, raw=b'{"name":"x y","pad":"' + b"x" * 3_000_000 + b'"}', content_type=JSON))
    for label, raw, content_type in AUTO_BODIES:
        b.add(f"POST backups auto {label}", Request("POST", BACKUPS, raw=raw, content_type=content_type))
        b.add(f"GET backups after auto {label}", Request("GET", BACKUPS))
    b.add("POST backups valid name", Request("POST", BACKUPS, json={"name": "ops_ok.zip"}))
    b.add("POST backups existing name", Request("POST", BACKUPS, json={"name": "ops_ok.zip"}))
    b.add("POST backups form name", Request("POST", BACKUPS, form=(("name", "ops_form.zip"),)))
    b.add("POST backups urlencoded name", Request("POST", BACKUPS, raw=b"name=ops_url.zip", content_type="application/x-www-form-urlencoded"))
    b.add("GET backups after creating", Request("GET", BACKUPS))
    for label, form in UPLOADS:
        b.add(f"POST upload {label}", Request("POST", UPLOAD, form=form))
    for label, raw, content_type in UPLOAD_RAW:
        b.add(f"POST upload body {label}", Request("POST", UPLOAD, raw=raw, content_type=content_type))
    b.add("GET backups after uploads", Request("GET", BACKUPS))
    _download_cases(b)
    for key in BAD_KEYS:
        b.add(f"DELETE backup {key[:40]}", Request("DELETE", f"{BACKUPS}/{key}"))
        b.add(f"POST restore {key[:40]}", Request("POST", f"{BACKUPS}/{key}/restore"))
    b.add("POST restore with a body", Request("POST", f"{BACKUPS}/nope.zip/restore", json={"x": 1}))
    b.add("POST restore malformed body", Request("POST", f"{BACKUPS}/nope.zip/restore", raw=b"{", content_type=JSON))
    # NOTE: a backslash is a character of a backup's name (PocketBase's local driver on Linux)
    b.add("DELETE backup uploaded with a backslash", Request("DELETE", f"{BACKUPS}/ops%5Cbs.zip"))
    b.add("DELETE backup uploaded with a backslash again", Request("DELETE", f"{BACKUPS}/ops%5Cbs.zip"))
    b.add("DELETE backup uploaded as a windows path", Request("DELETE", f"{BACKUPS}/C%3A%5Cops%5Cwin.zip"))
    b.add("DELETE backup uploaded", Request("DELETE", f"{BACKUPS}/ops_up.zip"))
    b.add("DELETE backup uploaded again", Request("DELETE", f"{BACKUPS}/ops_up.zip"))
    b.add("DELETE backup created", Request("DELETE", f"{BACKUPS}/ops_ok.zip"))
    b.add("GET backups after deletes", Request("GET", BACKUPS))


def _download_cases(b: _Builder) -> None:
    for label, query in DOWNLOAD_TOKENS:
        for who in ("anon", "superuser"):
            b.add(f"GET backup {label} as {who}", Request("GET", f"{BACKUPS}/ops_ok.zip{query}", who=who), binary=True)
        b.add(f"GET missing backup {label}", Request("GET", f"{BACKUPS}/nope.zip{query}", who="anon"), binary=True)
    b.add("GET backup expired file token", Request("GET", f"{BACKUPS}/ops_ok.zip?token=<<expiredfile>>"), binary=True, wait_expired=True)
    b.add("HEAD backup superuser file token", Request("HEAD", f"{BACKUPS}/ops_ok.zip?token=<<sufile>>"), binary=True)
    b.add("GET uploaded backup", Request("GET", f"{BACKUPS}/ops_up.zip?token=<<sufile>>"), binary=True)
    b.add("GET uploaded backup with a backslash", Request("GET", f"{BACKUPS}/ops%5Cbs.zip?token=<<sufile>>"), binary=True)
    b.add("GET uploaded backup as a windows path", Request("GET", f"{BACKUPS}/C:%5Cops%5Cwin.zip?token=<<sufile>>"), binary=True)
    b.add("GET backup range", Request("GET", f"{BACKUPS}/ops_up.zip?token=<<sufile>>", headers=(("Range", "bytes=0-1"),)), binary=True)
    b.add("GET backup bad range", Request("GET", f"{BACKUPS}/ops_up.zip?token=<<sufile>>", headers=(("Range", "bytes=9999999-"),)), binary=True)
    for key in BAD_KEYS:
        b.add(f"GET backup key {key[:40]}", Request("GET", f"{BACKUPS}/{key}?token=<<sufile>>"), binary=True)


# ---- crons, health, file tokens ------------------------------------------------------------------

AUTO_BACKUP_CRON = ("PATCH", "/api/settings", {"backups": {"cron": "0 0 1 1 *"}})
NO_BACKUP_CRON = ("PATCH", "/api/settings", {"backups": {"cron": ""}})
TRUSTED = ("PATCH", "/api/settings", {"trustedProxy": {"headers": ["X-Real-IP"], "useLeftmostIP": False}})
UNTRUSTED = ("PATCH", "/api/settings", {"trustedProxy": {"headers": [], "useLeftmostIP": False}})


def _cron_cases(b: _Builder) -> None:
    for who in WHO:
        b.add(f"GET crons as {who}", Request("GET", CRONS, who=who))
        b.add(f"POST unknown cron as {who}", Request("POST", f"{CRONS}/nope", who=who))
        b.add(f"POST known cron as {who}", Request("POST", f"{CRONS}/__pbOTPCleanup__", who=who))
    for job in ["__pbDBOptimize__", "__pbMFACleanup__", "__pbOTPCleanup__", "__pbLogsCleanup__", "__pbdboptimize__",
                "__pbAutoBackup__", "nope", "%20", "x" * 300, "__pbOTPCleanup__%20", "%C3%BC", "__pb", "__pbOTPCleanup__/"]:  # fmt: skip
        b.add(f"POST cron {job[:40]}", Request("POST", f"{CRONS}/{job}"))
    b.add("POST cron with a body", Request("POST", f"{CRONS}/__pbOTPCleanup__", json={"x": 1}))
    b.add("POST cron malformed body", Request("POST", f"{CRONS}/__pbOTPCleanup__", raw=b"{", content_type=JSON))
    for method, path in [("POST", CRONS), ("DELETE", CRONS), ("PUT", CRONS), ("GET", f"{CRONS}/__pbOTPCleanup__"),
                         ("DELETE", f"{CRONS}/__pbOTPCleanup__"), ("PATCH", f"{CRONS}/__pbOTPCleanup__"), ("POST", f"{CRONS}/"),
                         ("GET", f"{CRONS}/"), ("HEAD", CRONS), ("GET", f"{CRONS}?fields=id")]:  # fmt: skip
        b.add(f"{method} {path} crons", Request(method, path))
    b.add("GET crons with the backup cron", Request("GET", CRONS), AUTO_BACKUP_CRON)
    b.add("POST cron unknown with the backup cron", Request("POST", f"{CRONS}/nope"), AUTO_BACKUP_CRON)
    b.add("GET crons without the backup cron", Request("GET", CRONS), NO_BACKUP_CRON)


HEALTH_HEADERS: list[tuple[str, tuple[tuple[str, str], ...]]] = [
    ("no header", ()), ("cf", (("CF-Connecting-IP", "1.2.3.4"),)), ("fly", (("Fly-Client-IP", "1.2.3.4"),)),
    ("forwarded for", (("X-Forwarded-For", "1.2.3.4"),)), ("real ip", (("X-Real-IP", "1.2.3.4"),)),
    ("cf and fly", (("Fly-Client-IP", "5.6.7.8"), ("CF-Connecting-IP", "1.2.3.4"))), ("empty cf", (("CF-Connecting-IP", ""),)),
]  # fmt: skip


def _health_cases(b: _Builder) -> None:
    for who in WHO:
        for label, headers in HEALTH_HEADERS:
            b.add(f"GET health {label} as {who}", Request("GET", HEALTH, who=who, headers=headers))
        b.add(f"HEAD health as {who}", Request("HEAD", HEALTH, who=who))
        b.add(f"GET health trusted real ip as {who}", Request("GET", HEALTH, who=who, headers=(("X-Real-IP", "1.2.3.4"),)), TRUSTED)
    b.add("GET health trusted without the header", Request("GET", HEALTH), TRUSTED)
    b.add("GET health trusted and cf", Request("GET", HEALTH, headers=(("CF-Connecting-IP", "9.9.9.9"), ("X-Real-IP", "1.2.3.4"))), TRUSTED)
    b.add("GET health untrusted again", Request("GET", HEALTH, headers=(("X-Real-IP", "1.2.3.4"),)), UNTRUSTED)
    for method in ("PUT", "DELETE", "OPTIONS"):
        b.add(f"{method} health", Request(method, HEALTH))
    for query in ("?fields=code", "?fields=data.canBackup", "?fields=", "?fields=*", "/x", "/"):
        b.add(f"GET health{query}", Request("GET", HEALTH + query))


def _file_token_cases(b: _Builder) -> None:
    for who in WHO:
        for method in ("POST", "GET", "PUT", "DELETE"):
            b.add(f"{method} file token as {who}", Request(method, FILE_TOKEN, who=who))
        b.add(f"POST file token with a body as {who}", Request("POST", FILE_TOKEN, json={"x": 1}, who=who))
        b.add(f"POST file token malformed body as {who}", Request("POST", FILE_TOKEN, raw=b"{", content_type=JSON, who=who))
    b.add("POST file token with fields", Request("POST", FILE_TOKEN + "?fields=nope"))
    b.add("POST file token with token fields", Request("POST", FILE_TOKEN + "?fields=token"))
    b.add("POST file token/", Request("POST", FILE_TOKEN + "/"))
    b.add("POST file token big body", Request("POST", FILE_TOKEN, raw=b'{"pad":"' + b"x" * 3_000_000 + b'"}', content_type=JSON))


# ---- test email, test S3, Apple client secret ----------------------------------------------------

VALUE_CLASSES: list[tuple[str, Any]] = [
    ("empty", ""), ("number", 1), ("float", 1.5), ("true", True), ("null", None), ("array", ["x"]), ("object", {"a": 1}),
]  # fmt: skip
EMAIL_OK = {"email": "ops@example.com", "template": "otp", "collection": "users"}
EMAIL_VALUES: dict[str, list[tuple[str, Any]]] = {
    "email": [("bad", "bad"), ("no tld", "a@b"), ("long", "a" * 250 + "@example.com"), ("display", "A <a@example.com>")],
    "template": [(t, t) for t in ("verification", "password-reset", "email-change", "otp", "login-alert", "OTP", "nope", " otp")],
    "collection": [("superusers", "_superusers"), ("nope", "nope"), ("base", "ops_base"), ("upper", "USERS"), ("long", "c" * 300),
                   ("id", "_pb_users_auth_"), ("mfas", "_mfas")],
}  # fmt: skip
S3_VALUES: list[tuple[str, Any]] = [
    ("storage", "storage"), ("backups", "backups"), ("upper", "STORAGE"), ("nope", "nope"), (" storage", " storage"),
]  # fmt: skip
APPLE_FIELDS = ("clientId", "teamId", "keyId", "privateKey", "duration")
APPLE_VALUES: dict[str, list[tuple[str, Any]]] = {
    "clientId": [("long", "c" * 300), ("unicode", "ü.app")],
    "teamId": [("9 chars", "A" * 9), ("11 chars", "A" * 11), ("lower", "abcde12345"), ("spaces", "ABCDE 1234")],
    "keyId": [("9 chars", "K" * 9), ("11 chars", "K" * 11), ("lower", "key1234567")],
    "privateKey": [
        ("rsa", RSA_KEY), ("public key", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"),
        ("truncated", EC_KEY[:120]), ("two keys", EC_KEY + "\n" + EC_KEY), ("crlf", EC_KEY.replace("\n", "\r\n")),
        ("no newlines", EC_KEY.replace("\n", "")), ("escaped newlines", EC_KEY.replace("\n", "\\n")),
    ],
    "duration": [("one", 1), ("string number", "3600"), ("exponent", 1e3), ("huge", 2**63), ("max", 15777000), ("past max", 15777001),
                 ("negative", -5), ("whole float", 3600.0)],
}  # fmt: skip
POST_BODIES: list[tuple[str, bytes, str | None]] = [
    ("unclosed", b"{", JSON), ("array", b"[]", JSON), ("null", b"null", JSON), ("empty", b"", JSON), ("string", b'"x"', JSON),
    ("text plain", b"{}", "text/plain"), ("no content type", b"{}", None), ("urlencoded", b"email=a%40example.com&template=otp&duration=1", "application/x-www-form-urlencoded"),
    ("multipart", b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nx\r\n--b--\r\n', "multipart/form-data; boundary=b"),
    ("big", b'{"pad":"' + b"x" * 3_000_000 + b'"}', JSON), ("past the body limit", b'{"pad":"' + b"x" * OVERSIZED + b'"}', JSON),
    ("duplicate key", b'{"email":"a@example.com","email":"x","filesystem":"a","filesystem":"b"}', JSON),
    ("case duplicate", b'{"EMAIL":"x","email":"a@example.com","FILESYSTEM":"a","filesystem":"b"}', JSON),
    ("upper keys", b'{"EMAIL":"a@example.com","TEMPLATE":"otp","FILESYSTEM":"storage","CLIENTID":"x"}', JSON),
    ("duplicate unknown", b'{"nope":1,"nope":2}', JSON), ("trailing data", b'{"email":"x"} junk', JSON),
]  # fmt: skip


def _test_route_cases(b: _Builder) -> None:
    for field in EMAIL_OK:
        body = {k: v for k, v in EMAIL_OK.items() if k != field}
        b.add(f"test email without {field}", Request("POST", TEST_EMAIL, json=body))
        for label, value in [*VALUE_CLASSES, *EMAIL_VALUES[field]]:
            b.add(f"test email {field} {label}", Request("POST", TEST_EMAIL, json={**EMAIL_OK, field: value}))
    for label, value in [*VALUE_CLASSES, *S3_VALUES]:
        b.add(f"test s3 filesystem {label}", Request("POST", TEST_S3, json={"filesystem": value}))
    b.add("test s3 storage enabled", Request("POST", TEST_S3, json={"filesystem": "storage"}),
          ("PATCH", "/api/settings", {"s3": {**cases_settings.S3_ON, "endpoint": "http://127.0.0.1:9"}}))  # fmt: skip
    b.add("test s3 storage disabled again", Request("POST", TEST_S3, json={"filesystem": "storage"}),
          ("PATCH", "/api/settings", {"s3": cases_settings.S3_DEFAULTS}))  # fmt: skip
    for field in APPLE_FIELDS:
        body = {k: v for k, v in APPLE_OK.items() if k != field}
        b.add(f"apple without {field}", Request("POST", APPLE, json=body))
        for label, value in [*VALUE_CLASSES, *APPLE_VALUES.get(field, [])]:
            b.add(f"apple {field} {label}", Request("POST", APPLE, json={**APPLE_OK, field: value}))
    b.add("apple only duration", Request("POST", APPLE, json={"duration": 1}))
    b.add("apple unknown keys", Request("POST", APPLE, json={**APPLE_OK, "nope": 1, "CLIENTID": "x"}))
    for route, label in ((TEST_EMAIL, "test email"), (TEST_S3, "test s3"), (APPLE, "apple")):
        for who in WHO:
            if who != "superuser":
                b.add(f"{label} as {who}", Request("POST", route, json={}, who=who))
        for body_label, raw, content_type in POST_BODIES:
            b.add(f"{label} body {body_label}", Request("POST", route, raw=raw, content_type=content_type))
        for method in ("GET", "PUT", "DELETE"):
            b.add(f"{method} {label}", Request(method, route))


#: (name, first value, second value) of a query key sent twice: PocketBase reads the first
REPEATED: list[tuple[str, str, str]] = [
    ("sort", "nope", "email"), ("sort", "email", "nope"), ("filter", "nope = 1", "id != ''"),
    ("filter", "email = 'nobody@example.com'", "nope = 1"), ("perPage", "x", "1"), ("perPage", "1", "x"),
    ("page", "x", "1"), ("page", "2", "x"), ("skipTotal", "1", "0"), ("skipTotal", "0", "1"), ("fields", "email", "id"),
    ("fields", "", "id"), ("expand", "nope", ""), ("expand", "", "nope"),
]  # fmt: skip


def _repeated_param_cases(b: _Builder) -> None:
    """A query key sent twice, on the records, collections and logs lists."""
    routes = [("users", "/api/collections/users/records"), ("collections", "/api/collections"), ("logs", LOGS)]
    for label, path in routes:
        for name, first, second in REPEATED:
            rest = {"fields": "email"} if label == "users" and name != "fields" else {}
            if label == "logs":
                rest = {"fields": "message"} if name != "fields" else {}
                rest["filter"] = MARKED if name != "filter" else ""
            elif label == "collections" and name != "fields":
                rest = {"fields": "name"}
            if name not in ("skipTotal", "page", "perPage") and label != "logs":
                rest["skipTotal"] = "1"
            query = f"{_q(**{name: first})}&{_q(**{name: second})}" + (f"&{_q(**rest)}" if rest else "")
            if label == "logs" and name == "filter":
                query = f"{_q(filter=MARKED + ' && ' + first if first != 'nope = 1' else first)}&{_q(filter=second)}&fields=message"
            b.add(f"{label} repeated {name} {first!r} then {second!r}", Request("GET", f"{path}?{query}"))


GROUPS = [_logs_cases, _cron_cases, _health_cases, _file_token_cases, _test_route_cases, _repeated_param_cases, _backups_cases]


def build_cases() -> list[OpsCase]:
    """Every table (backups last but one: they create and delete archives as they go; then the
    logs' DELETE)."""
    b = _Builder()
    for group in GROUPS:
        group(b)
    for who in ("superuser", "ops_bearer"):
        b.add(f"DELETE {LOGS} as {who}", Request("DELETE", LOGS, who=who))
    b.add("GET logs after deleting them", Request("GET", f"{LOGS}?{_q(filter=MARKED)}"))
    names = [case.name for case in b.cases]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    return b.cases


# ---- setup -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Values:
    """Per-server values (by URL) the cases' ``<<name>>`` placeholders stand for, and when each
    pair's expiring file token has expired."""

    values: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    expired_at: dict[str, float] = dataclasses.field(default_factory=dict)


VALUES = Values()


def _forge(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(claims["exp"]) + 3600
    return f"{header}.{base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip('=')}.{signature}"


def setup(pair: Pair) -> None:
    """Default settings, a signed-in user, the failing tokens, file tokens (one expiring in 10 s),
    a base collection and the marked log entries (waited for until both servers wrote them)."""
    if not pair.first_time("operations"):
        return
    pair.ok("PATCH", "/api/settings", cases_settings.DEFAULTS)
    pair.ok("POST", "/api/collections", {"name": "ops_base", "type": "base"})
    superusers = pair.pb.ok("GET", "/api/collections/_superusers")
    duration = superusers["fileToken"]["duration"]
    pair.ok("PATCH", "/api/collections/_superusers", {"fileToken": {"duration": 10}})
    for target in pair.targets:
        target.ok("POST", "/api/collections/users/records", {
            "email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD,
        })  # fmt: skip
        target.login("ops_user", "users", USER_EMAIL, USER_PASSWORD)
        target.tokens["ops_forged"] = _forge(target.tokens["superuser"])
        target.tokens["garbage"] = "not-a-token"
        target.tokens["ops_bearer"] = "Bearer " + target.tokens["superuser"]
        VALUES.values[target.base_url] = {"expiredfile": target.ok("POST", FILE_TOKEN)["token"]}
    VALUES.expired_at[pair.pb.base_url] = time.monotonic() + EXPIRED_AFTER
    pair.ok("PATCH", "/api/collections/_superusers", {"fileToken": {"duration": duration}})
    for target in pair.targets:
        values = VALUES.values[target.base_url]
        values["sufile"] = target.ok("POST", FILE_TOKEN)["token"]
        values["forgedfile"] = _forge(values["sufile"])
        values["suauth"] = target.tokens["superuser"]
        user = target.send(Request("POST", FILE_TOKEN, who="ops_user"))
        values["userfile"] = user.json()["token"]
        requests = [(MARK, *r) for r in MARKED_REQUESTS] + [(DETAILS_MARK, *r) for r in DETAILS_REQUESTS]
        for agent, method, path, who, headers, body in requests:
            sent = {"User-Agent": agent, **headers}
            if who != "anon":
                sent["Authorization"] = target.tokens[who]
            target.session.request(method, target.base_url + path, headers=sent, json=body, timeout=30)
            time.sleep(0.003)  # NOTE: distinct creation times (milliseconds)
    _wait_for_marked(pair)


def _wait_for_marked(pair: Pair) -> None:
    deadline = time.monotonic() + 20
    wanted = ((MARKED, len(MARKED_REQUESTS)), (f"data.userAgent = '{DETAILS_MARK}'", len(DETAILS_REQUESTS)))
    for target, (flt, count) in itertools.product(pair.targets, wanted):
        while True:
            resp = target.send(Request("GET", f"{LOGS}?{_q(filter=flt, perPage='1')}"))
            if resp.status_code == 200 and resp.json()["totalItems"] >= count:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{target.name}: the marked log entries were not written: {resp.text[:300]}")
            time.sleep(0.25)
    for target in pair.targets:
        found = target.ok("GET", f"{LOGS}?{_q(filter=MARKED + ' && ' + ONE_ENTRY)}")["items"]
        VALUES.values[target.base_url]["logid"] = found[0]["id"]
        VALUES.values[target.base_url]["logid_upper"] = found[0]["id"].upper()


def prepare(pair: Pair, case: OpsCase) -> None:
    """The case's setup requests; automatic backups of earlier cases deleted; the expired token waited for."""
    for method, path, body in case.setup:
        pair.ok(method, path, body)
    if case.name.startswith("POST backups auto") or case.name.startswith("GET backups after auto"):
        if case.name.startswith("POST"):
            for target in pair.targets:
                for item in target.ok("GET", BACKUPS):
                    if AUTO_BACKUP_RE.match(item["key"]):
                        target.ok("DELETE", f"{BACKUPS}/{item['key']}")
    if case.wait_expired:
        time.sleep(max(0.0, VALUES.expired_at[pair.pb.base_url] - time.monotonic()))


def resolve(target: Target, req: Request) -> Request:
    """``req`` with its ``<<name>>`` placeholders filled in for ``target``."""
    path = req.path
    for name, value in VALUES.values.get(target.base_url, {}).items():
        path = path.replace(f"<<{name}>>", value)
    return dataclasses.replace(req, path=path)


def ask(target: Target, case: OpsCase) -> Answer:
    """The masked answer of ``target`` (a file answer by its status and headers)."""
    req = resolve(target, case.request)
    if not case.binary:
        return case.mask(target.ask(req))
    resp = target.send(req)
    if resp.headers.get("Content-Type", "").startswith("application/json"):
        return case.mask(target.ask(req))
    return Answer(resp.status_code, {
        "type": resp.headers.get("Content-Type"), "disposition": resp.headers.get("Content-Disposition"),
        "range": resp.headers.get("Content-Range", "").split("/")[0], "zip": resp.content[:2] == b"PK",
        "empty": not resp.content,
    })  # fmt: skip
