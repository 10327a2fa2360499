"""The official PocketBase Dart SDK (pub ``pocketbase`` 0.25) against pybase, at the wire level,
beside the real PocketBase 0.40.6.

No Dart toolchain can be installed here (Debian has none; only PyPI, npm and Debian are
reachable), so tests/e2e/dart_wire.py sends exactly what the SDK sends, read from its source
(github.com/pocketbase/dart-sdk lib/src; package:http for the transport), and
tests/e2e/dart_dtos.py checks each answer against what the SDK's ``fromJson`` reads. Every
call goes to both dart_pair: both must pass the DTO check (PocketBase passing it checks the
tables), and their answers, normalised as the conformance harness does, must be equal.

How the Dart SDK's requests differ from the JS SDK's (what a server could trip on):

* Headers. ``dart:io`` sends ``user-agent: Dart/x.y (dart:io)``, ``accept-encoding: gzip``
  (it inflates a gzipped answer itself) and ``content-length`` on every request, 0 on a
  bodiless GET or DELETE. The SDK always sets a JSON content type, on a GET too and on a POST
  with an empty body (``authRefresh``, ``files.getToken``, ``crons.run``, ``backups.restore``,
  ``collections.truncate``): no body then, but a ``Content-Type: application/json`` header.
  package:http keeps the header names' case (``preserveHeaderCase``); the body setter adds a
  lower-case ``content-type: text/plain; charset=utf-8`` first, which the SDK's
  ``Content-Type: application/json`` then overwrites in value only, so a JSON body goes out as
  ``content-type: application/json`` (no charset) and a bodiless one as ``Content-Type:
  application/json``. A caller's own ``headers: {"Content-Type": "application/json;
  charset=utf-8"}`` is kept as given. ``Authorization`` is the bare token (no ``Bearer``), and
  only while ``AuthStore.isValid``: the token's ``exp`` read by ``jsonDecode`` must be an int
  (a ``1.7e9`` or ``...0.0`` reads as a double and the token counts as expired, so the SDK
  silently stops signing requests). ``Accept-Language: en-US`` on every request.
* Query. ``Uri.replace(queryParameters:)``: RFC 3986 unreserved characters kept, everything
  else percent-encoded, a space as ``+`` (the JS SDK writes ``%20``), so a filter's spaces
  arrive as ``+`` and a ``+`` of its own as ``%2B``. Null options are left out; booleans are
  ``true``/``false``; ``getList`` always sends ``page``, ``perPage`` and ``skipTotal=false``,
  ``getFullList`` ``perPage=1000&skipTotal=true``, ``getFirstListItem`` ``perPage=1&skipTotal=true``,
  ``listAuthMethods`` ``fields=mfa,otp,password,oauth2``. Path segments (ids, names, backup
  keys) go through ``Uri.encodeComponent``.
* Multipart (any call given ``files``). Every body field goes into ONE ``@jsonPayload`` part
  (the JSON of the whole body, lists and nested maps included), written first; then the files.
  Part headers are lower case; a file part has its ``content-type`` line (default
  ``application/octet-stream``) BEFORE its ``content-disposition``; a field whose value is not
  plain ASCII gets ``content-type: text/plain; charset=utf-8`` and ``content-transfer-encoding:
  binary`` lines; ``"``, CR and LF in names are percent-encoded. The boundary is
  ``dart-http-boundary-`` plus 51 characters from ``+_-.0-9A-Za-z``, unquoted in the request's
  ``content-type``. A batch with files sends them as ``requests.N.<field>`` parts.
* Realtime. ``GET /api/realtime`` carries no SDK header at all (no Accept, no Authorization,
  no Accept-Language; ``accept-encoding: gzip`` from dart:io). Lines are split on CR, LF or
  CRLF and read with ``^(\\w+)[\\s:]+(.*)?$``; a blank line ends a message; only id, event,
  data and retry are read (one data line: the last wins). The client id is the ``PB_CONNECT``
  message's ``id:`` line, NOT its data, so the server must send ``id:``. The subscriptions POST
  is a JSON body ``{"clientId", "subscriptions"}`` signed with the token; each subscription is
  a key ``topic?options=`` + ``Uri.encodeQueryComponent(jsonEncode({"query": ..., "headers":
  ...}))`` (spaces as ``+``), and an event reaches its listener only when the server names it
  with that exact key. The OAuth2 all-in-one flow subscribes to ``@oauth2`` on a second
  connection, sends the provider's authURL with ``state`` replaced by that connection's client
  id, and waits for the redirect's ``{"state", "code"}`` event.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

import pytest

from tests.conformance.harness import Answer, Target, difference, normalise
from tests.data.filter_cases import PASSWORD
from tests.e2e import dart_dtos as dto
from tests.e2e.dart_servers import (
    ESCAPED_TITLE,
    POST1,
    POST2,
    POST3,
    POSTS,
    RANDOM_SUFFIX_RE,
    RECORDS,
    TO_DELETE,
    TO_UPDATE,
    TO_UPLOAD,
    USER_EMAIL,
    USER_ID,
    USERS,
    Servers,
    backup_zip,
    masked,
)
from tests.e2e.dart_wire import (
    DartClient,
    DartFile,
    Reply,
    dart_component,
    dart_json,
    dart_query,
    expand_fields,
    get_list,
    token_claims,
    token_expiry,
)
from tests.e2e.dart_wire import multipart_body as dart_multipart

pytestmark = pytest.mark.both_backends


# ---- one SDK call each --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    """One SDK call: what ``PocketBase.send`` is given, the DTO its answer is read with, and how
    the two dart_pair' answers are compared (``exact``: normalised bodies equal; ``keys``: the
    same keys; ``status``: the status only)."""

    name: str
    path: str
    method: str = "GET"
    query: dict[str, Any] = dataclasses.field(default_factory=dict)
    body: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: tuple[DartFile, ...] = ()
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    who: str = "superuser"
    status: int = 200
    dto: Any = None
    compare: str = "exact"

    def __str__(self) -> str:
        return self.name


TXT = DartFile("docs", b"hello from dart\n", "hello.txt", "text/plain")
BIN = DartFile("docs", bytes(range(256)), 'we"ird\nname.bin')
RECORD_LIST = dto.result_list(dto.RECORD)

CALLS = [
    # records: BaseCrudService / RecordService
    Call("records getList", RECORDS, query=get_list(sort="title"), who="anon", dto=RECORD_LIST),
    Call("records getList filter with spaces and a plus", RECORDS, query=get_list(filter='title ~ "+ plus" || n >= 3', sort="-n,title"),
         who="anon", dto=RECORD_LIST),
    Call("records getList expand and fields", RECORDS,
         query=get_list(filter="owner != ''", expand="owner", fields="id,collectionId,collectionName,title,expand.owner.name"),
         who="user", dto=RECORD_LIST),
    Call("records getList skipTotal page 2", RECORDS, query=get_list(page=2, perPage=2, sort="title", skipTotal=True), who="anon",
         dto=RECORD_LIST),
    Call("records getFullList", RECORDS, query=get_list(perPage=1000, sort="-created,id", skipTotal=True), dto=RECORD_LIST),
    Call("records getFirstListItem with pb.filter values", RECORDS,
         query=get_list(perPage=1, filter='title = "zürich ü" && created >= "2000-01-01 00:00:00.000Z" && flag = false', skipTotal=True),
         dto=RECORD_LIST),
    # pb.filter(): a DateTime as toIso8601String() with a space (microseconds when it has
    # them), a map as JSON inside a quoted string (its quotes escaped), null and bools bare
    Call("records getList pb.filter DateTime with microseconds", RECORDS,
         query=get_list(filter='created >= "2000-01-01 00:00:00.000001Z" && created <= "2999-12-31 23:59:59.999999Z"', sort="title"),
         who="anon", dto=RECORD_LIST),
    Call("records getList pb.filter map value", RECORDS, query=get_list(filter='meta = "{\\"k\\":[1,\\"x\\"]}"'), who="anon",
         dto=RECORD_LIST),
    Call("records getList pb.filter escaped text", RECORDS, query=get_list(filter=f"title = {dart_json(ESCAPED_TITLE)}"), who="anon",
         dto=RECORD_LIST),
    Call("records getList pb.filter null and bool", RECORDS, query=get_list(filter="meta = null && flag = false", sort="title"),
         who="anon", dto=RECORD_LIST),
    Call("records getList bad filter", RECORDS, query=get_list(filter="title ~~ 1"), status=400, dto=dto.ERROR),
    Call("records getOne expand", f"{RECORDS}/{POST1}", query=expand_fields("owner"), who="user", dto=dto.RECORD),
    Call("records getOne expand of nothing", f"{RECORDS}/{POST2}", query=expand_fields("owner,docs"), dto=dto.RECORD),
    Call("records getOne fields", f"{RECORDS}/{POST1}", query=expand_fields(None, "id,title,meta"), dto={"id": dto.S}),
    Call("records getOne missing", f"{RECORDS}/fixmissing00001", query=expand_fields(), status=404, dto=dto.ERROR),
    Call("records create JSON", RECORDS, "POST", query=expand_fields("owner"),
         body={"id": "fixpost00000020", "title": "made by dart", "n": 4, "flag": False, "tags": ["c"], "owner": USER_ID,
               "meta": {"a": None, "list": [1.5, "é"]}}, dto=dto.RECORD),
    Call("records create JSON charset header", RECORDS, "POST", query=expand_fields(),
         body={"id": "fixpost00000022", "title": "charset utf-8 ü"}, headers={"Content-Type": "application/json; charset=utf-8"},
         who="anon", dto=dto.RECORD),
    Call("records create multipart", RECORDS, "POST", query=expand_fields(None, "id,title,tags,n,docs,meta"),
         body={"id": "fixpost00000021", "title": "with files é", "tags": ["a", "b"], "n": 5, "meta": {"nested": {"x": True}}},
         files=(TXT, BIN), who="anon", dto={"id": dto.S, "docs": dto.LS}),
    Call("records create invalid", RECORDS, "POST", query=expand_fields(), body={"tags": ["zzz"]}, status=400, dto=dto.ERROR),
    Call("records update JSON modifiers", f"{RECORDS}/{TO_UPDATE}", "PATCH", query=expand_fields(),
         body={"title": "updated", "n+": 2, "tags+": "c"}, dto=dto.RECORD),
    Call("records update multipart append", f"{RECORDS}/{TO_UPLOAD}", "PATCH", query=expand_fields(),
         body={"title": "uploaded"}, files=(DartFile("docs+", b"appended", "more.txt", "text/plain"),), dto=dto.RECORD),
    Call("records update own auth record", f"{USERS}/records/{USER_ID}", "PATCH", query=expand_fields(),
         body={"name": "Dart User", "emailVisibility": True}, who="user", dto=dto.RECORD),
    Call("records delete", f"{RECORDS}/{TO_DELETE}", "DELETE", status=204),
    Call("records delete missing", f"{RECORDS}/fixmissing00001", "DELETE", status=404, dto=dto.ERROR),
    Call("view records getList", "/api/collections/dart_view/records", query=get_list(sort="id"), who="anon", dto=RECORD_LIST),
    # auth: RecordService
    Call("listAuthMethods", f"{USERS}/auth-methods", query={"fields": "mfa,otp,password,oauth2"}, who="anon",
         dto=dto.AUTH_METHODS_LIST, compare="keys"),
    Call("authWithPassword", f"{USERS}/auth-with-password", "POST", query=expand_fields(),
         body={"identity": USER_EMAIL, "password": PASSWORD}, who="anon", dto=dto.RECORD_AUTH),
    Call("authWithPassword wrong", f"{USERS}/auth-with-password", "POST", query=expand_fields(),
         body={"identity": USER_EMAIL, "password": "nope"}, who="anon", status=400, dto=dto.ERROR),
    Call("authRefresh (POST, no body)", f"{USERS}/auth-refresh", "POST", query=expand_fields(), who="user", dto=dto.RECORD_AUTH),
    Call("authRefresh expand", f"{USERS}/auth-refresh", "POST", query=expand_fields(None, "token,record.id,record.email"), who="user",
         dto={"token": dto.S, "record": {"id": dto.S}}),
    Call("authRefresh signed out", f"{USERS}/auth-refresh", "POST", query=expand_fields(), who="anon", status=401, dto=dto.ERROR),
    Call("superusers authRefresh", "/api/collections/_superusers/auth-refresh", "POST", query=expand_fields(), dto=dto.RECORD_AUTH),
    Call("requestPasswordReset", f"{USERS}/request-password-reset", "POST", body={"email": "nobody@example.com"}, who="anon", status=204),
    Call("confirmPasswordReset bad token", f"{USERS}/confirm-password-reset", "POST",
         body={"token": "x.y.z", "password": PASSWORD, "passwordConfirm": PASSWORD}, who="anon", status=400, dto=dto.ERROR),
    Call("requestVerification", f"{USERS}/request-verification", "POST", body={"email": "nobody@example.com"}, who="anon", status=204),
    Call("confirmVerification bad token", f"{USERS}/confirm-verification", "POST", body={"token": "x.y.z"}, who="anon", status=400,
         dto=dto.ERROR),
    Call("requestEmailChange", f"{USERS}/request-email-change", "POST", body={"newEmail": "dart-new@example.com"}, who="user",
         status=204),
    Call("authWithOTP unknown id", f"{USERS}/auth-with-otp", "POST", query=expand_fields(),
         body={"otpId": "fixmissing00001", "password": "123456"}, who="anon", status=400, dto=dto.ERROR),
    Call("impersonate", f"{USERS}/impersonate/{USER_ID}", "POST", query=expand_fields(), body={"duration": 0}, dto=dto.RECORD_AUTH),
    Call("impersonate as a user", f"{USERS}/impersonate/{USER_ID}", "POST", query=expand_fields(), body={"duration": 60}, who="user",
         status=403, dto=dto.ERROR),
    # collections: CollectionService
    Call("collections getList", "/api/collections", query=get_list(filter="name ~ 'dart' && type != 'view'", sort="name"),
         dto=dto.result_list(dto.COLLECTION)),
    Call("collections getOne auth", "/api/collections/users", query=expand_fields(), dto=dto.COLLECTION_AUTH, compare="keys"),
    Call("collections getOne view", "/api/collections/dart_view", query=expand_fields(), dto=dto.COLLECTION_VIEW),
    Call("collections getOne as a user", f"/api/collections/{POSTS}", query=expand_fields(), who="user", status=403, dto=dto.ERROR),
    Call("collections create", "/api/collections", "POST", query=expand_fields(),
         body={"name": "dart_created", "type": "base", "fields": [{"name": "t", "type": "text", "required": True}]}, dto=dto.COLLECTION),
    Call("collections update", "/api/collections/dart_made", "PATCH", query=expand_fields(), body={"listRule": ""}, dto=dto.COLLECTION),
    Call("collections delete", "/api/collections/dart_made", "DELETE", status=204),
    Call("collections import", "/api/collections/import", "PUT",
         body={"collections": [{"name": "dart_imported", "type": "base", "fields": [{"name": "t", "type": "text"}]}],
               "deleteMissing": False}, status=204),
    Call("collections truncate", "/api/collections/dart_private/truncate", "DELETE", status=204),
    Call("collections getScaffolds", "/api/collections/meta/scaffolds", dto=dto.map_of(dto.COLLECTION), compare="keys"),
    Call("collections getAllOAuth2Providers", "/api/collections/meta/oauth2-providers",
         dto=dto.list_of(dto.CONFIGURABLE_OAUTH2_PROVIDER), compare="status"),
    Call("collections dryRunViewQuery", "/api/collections/meta/dry-run-view", "POST",
         body={"query": f"SELECT id, title FROM {POSTS} WHERE n > 2"}, dto=dto.DRY_RUN_VIEW, compare="keys"),
    # settings: SettingsService
    Call("settings getAll", "/api/settings", compare="keys", dto={"meta": dto.M, "smtp": dto.M, "batch": dto.M}),
    Call("settings update", "/api/settings", "PATCH", body={"meta": {"appName": "dart wire"}}, compare="keys",
         dto={"meta": {"appName": dto.S}}),
    # NOTE: testEmail sends "collection": null when none is given (``??=`` of a null)
    Call("settings testEmail", "/api/settings/test/email", "POST",
         body={"email": "to@example.com", "template": "verification", "collection": None}, status=204),
    Call("settings testS3 unconfigured", "/api/settings/test/s3", "POST", body={"filesystem": "storage"}, status=400, dto=dto.ERROR),
    Call("settings generateAppleClientSecret bad key", "/api/settings/apple/generate-client-secret", "POST",
         body={"clientId": "c", "teamId": "t", "keyId": "k", "privateKey": "not a key", "duration": 3600}, status=400, dto=dto.ERROR),
    # logs: LogService
    Call("logs getList", "/api/logs", query={"page": 1, "perPage": 30, "filter": "level >= 0", "sort": "-created"},
         dto=dto.result_list(dto.LOG), compare="status"),
    Call("logs getStats", "/api/logs/stats", dto=dto.list_of(dto.LOG_STAT), compare="status"),
    Call("logs getOne missing", "/api/logs/missing", status=404, dto=dto.ERROR),
    Call("logs truncate", "/api/logs", "DELETE", status=204),
    # backups: BackupService
    Call("backups getFullList", "/api/backups", dto=dto.list_of(dto.BACKUP_FILE_INFO), compare="status"),
    Call("backups create", "/api/backups", "POST", body={"name": "dart_three.zip"}, status=204),
    Call("backups upload", "/api/backups/upload", "POST", files=(DartFile("file", backup_zip(), "dart_upload.zip", "application/zip"),),
         status=204),
    Call("backups delete", f"/api/backups/{dart_component('dart_two.zip')}", "DELETE", status=204),
    # NOTE: the raw error differs by design (PocketBase's names its data dir)
    Call("backups delete missing", f"/api/backups/{dart_component('missing.zip')}", "DELETE", status=400, dto=dto.ERROR,
         compare="status"),
    # crons, health, files, sql
    Call("crons getFullList", "/api/crons", dto=dto.list_of(dto.CRON_JOB)),
    Call("crons run", "/api/crons/__pbDBOptimize__", "POST", status=204),
    Call("crons run missing", "/api/crons/missing", "POST", status=404, dto=dto.ERROR),
    Call("health check", "/api/health", who="anon", dto=dto.HEALTH_CHECK),
    Call("files getToken", "/api/files/token", "POST", who="user", dto=dto.FILE_TOKEN),
    Call("files getToken signed out", "/api/files/token", "POST", who="anon", status=401, dto=dto.ERROR),
    Call("sql run", "/api/sql", "POST", body={"query": f"SELECT title, n FROM {POSTS} WHERE id = '{POST3}'"}, dto=dto.SQL_RESULT,
         compare="status"),
    # batch: BatchService (no files: JSON)
    Call("batch", "/api/batch", "POST", body={"requests": [
        {"method": "POST", "url": f"{RECORDS}?expand=owner", "headers": {}, "body": {"id": "fixpost00000030", "title": "batched", "owner": USER_ID}},
        {"method": "PATCH", "url": f"{RECORDS}/{POST2}", "headers": {}, "body": {"n+": 1}},
        {"method": "PUT", "url": RECORDS, "headers": {}, "body": {"id": "fixpost00000031", "title": "upserted"}},
        {"method": "DELETE", "url": f"{RECORDS}/fixpost00000030", "headers": {}, "body": {}},
    ]}, dto=dto.list_of(dto.BATCH_RESULT)),
    Call("batch with files", "/api/batch", "POST", body={"requests": [
        {"method": "POST", "url": RECORDS, "headers": {}, "body": {"id": "fixpost00000032", "title": "batched file"}},
        {"method": "PATCH", "url": f"{RECORDS}/{POST1}", "headers": {}, "body": {"title": "First one"}},
    ]}, files=(DartFile("requests.0.docs", b"batch file", "b.txt", "text/plain"), DartFile("requests.1.docs", b"one", "c.txt")),
         dto=dto.list_of(dto.BATCH_RESULT)),
    Call("batch failing", "/api/batch", "POST", body={"requests": [
        {"method": "POST", "url": RECORDS, "headers": {}, "body": {"tags": ["zzz"]}},
    ]}, status=400, dto=dto.ERROR),
]  # fmt: skip


def _keys(value: Any) -> Any:
    return sorted(value) if isinstance(value, dict) else value


def _send(dart_pair: Servers, target: Target, call: Call) -> Reply:
    client = dart_pair.client(target, call.who)
    return client.send(call.path, call.method, query=call.query, body=call.body, files=list(call.files), headers=call.headers)


def test_the_table_covers_every_service() -> None:
    paths = " ".join(call.path for call in CALLS)
    for area in ("/records", "/auth-", "/impersonate/", "/api/collections/meta", "/api/settings", "/api/logs", "/api/backups",
                 "/api/crons", "/api/health", "/api/files/token", "/api/sql", "/api/batch"):  # fmt: skip
        assert area in paths, area
    assert any(call.files for call in CALLS if call.path == "/api/batch")


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_dart_call(dart_pair: Servers, call: Call) -> None:
    replies = [_send(dart_pair, target, call) for target in dart_pair.pair.targets]
    for target, reply in zip(dart_pair.pair.targets, replies, strict=True):
        assert reply.status_code == call.status, f"{target.name}: {reply.status_code} {reply.text[:600]}"
        if call.status == 204:
            assert reply.content == b"", f"{target.name}: a 204 with a body"
        if call.dto is not None:
            found = dto.problems(reply.data, call.dto)
            assert not found, f"{target.name}: {found}\n{reply.text[:800]}"
        if isinstance(reply.data, dict) and "token" in reply.data and "record" in reply.data:
            assert isinstance(token_expiry(reply.data["token"]), int), f"{target.name}: exp of the token is no int"
    pb, py = (normalise(reply) for reply in replies)  # type: ignore[arg-type]
    if call.compare == "exact":
        pb, py = Answer(pb.status, masked(pb.body)), Answer(py.status, masked(py.body))
        assert difference(pb, py) is None, difference(pb, py)
    elif call.compare == "keys":
        assert (pb.status, _keys(pb.body)) == (py.status, _keys(py.body)), difference(pb, py)


def test_one_kept_alive_connection(dart_pair: Servers) -> None:
    """``PocketBase(url, reuseHTTPClient: true)``: answers of every kind, one after another on
    one connection (a body left unread or a length wrong would garble the next answer)."""
    steps = [
        Call("list", RECORDS, query=get_list(perPage=1)),
        Call("upload", RECORDS, "POST", query=expand_fields(), body={"title": "kept alive"}, files=(TXT,), status=200),
        Call("refused", RECORDS, "POST", query=expand_fields(), body={"tags": ["zzz"]}, files=(TXT,), status=400),
        Call("no content", "/api/crons/__pbDBOptimize__", "POST", status=204),
        Call("not found", f"{RECORDS}/fixmissing00001", "DELETE", status=404),
        Call("health", "/api/health"),
    ]
    for target in dart_pair.pair.targets:
        client = DartClient(target.base_url, token=target.tokens["superuser"], reuse=True)
        try:
            for step in steps * 2:
                reply = client.send(step.path, step.method, query=step.query, body=step.body, files=list(step.files))
                assert reply.status_code == step.status, (target.name, step.name, reply.text[:300])
        finally:
            client.close()


def test_logs_as_dart_reads_them(dart_pair: Servers) -> None:
    """LogService.getList, getOne and getStats once there are logs (PocketBase writes them in
    the background: waited for)."""
    for target in dart_pair.pair.targets:
        client = dart_pair.client(target, "superuser")
        deadline = time.monotonic() + 15
        while True:
            listed = client.send("/api/logs", query={"page": 1, "perPage": 30, "filter": None, "sort": "-created"})
            if listed.data["items"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert listed.data["items"], f"{target.name}: no logs"
        assert not dto.problems(listed.data, dto.result_list(dto.LOG)), (target.name, listed.text[:500])
        one = client.send(f"/api/logs/{dart_component(listed.data['items'][0]['id'])}")
        assert one.status_code == 200 and not dto.problems(one.data, dto.LOG), (target.name, one.text)
        stats = client.send("/api/logs/stats", query={"filter": "level >= 0"})
        assert stats.status_code == 200 and stats.data and not dto.problems(stats.data, [dto.LOG_STAT]), (target.name, stats.text)


def test_file_urls_as_dart_builds_them(dart_pair: Servers) -> None:
    """FileService.getURL: ``/api/files/<collectionId>/<id>/<name>`` with ``thumb``, ``token`` and,
    for ``download: true``, an empty ``download=`` (which PocketBase reads as not forced); a
    protected file too (the collection's viewRule is public: served with or without a token)."""
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
           b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    files = (TXT, DartFile("docs", png, "pixel.png", "image/png"), DartFile("private_doc", b"secret", "secret.txt", "text/plain"))
    found = []
    for target in dart_pair.pair.targets:
        client = dart_pair.client(target, "user")
        record = client.send(RECORDS, "POST", query=expand_fields(), body={"title": "file urls"}, files=list(files)).data
        token = client.send("/api/files/token", "POST").data["token"]
        answers = []
        for name in [*record["docs"], record["private_doc"]]:
            base = f"/api/files/{dart_component(record['collectionId'])}/{dart_component(record['id'])}/{dart_component(name)}"
            for query in ({}, {"thumb": "100x100"}, {"thumb": "0x0"}, {"token": token}, {"download": ""}, {"download": "1"}):
                reply = client.raw("GET", base + (f"?{dart_query(query)}" if query else ""), [])
                disposition = RANDOM_SUFFIX_RE.sub("_<random>", reply.headers.get("content-disposition", ""))
                answers.append((name == record["private_doc"], next(iter(query), ""), reply.status_code,
                                reply.headers.get("content-type"), disposition, len(reply.content) > 0))  # fmt: skip
        found.append(answers)
    assert found[0] == found[1]


def test_protected_file_with_a_token(dart_pair: Servers) -> None:
    """getURL(record, name, token: await pb.files.getToken()) of a protected file whose record
    only signed-in users may view: refused without the token, served with it."""
    found = []
    for target in dart_pair.pair.targets:
        client = dart_pair.client(target, "user")
        record = client.send("/api/collections/dart_private/records", "POST", query=expand_fields(), body={"title": "protected"},
                             files=[DartFile("doc", b"for members", "members.txt", "text/plain")]).data  # fmt: skip
        path = f"/api/files/{dart_component(record['collectionId'])}/{dart_component(record['id'])}/{dart_component(record['doc'])}"
        token = client.send("/api/files/token", "POST").data["token"]
        for query in ({}, {"token": token}, {"token": "not.a.token"}):
            reply = client.raw("GET", path + (f"?{dart_query(query)}" if query else ""), [])
            found.append((query.get("token", "")[:3], reply.status_code, reply.content if reply.status_code == 200 else b""))
    assert found[:3] == found[3:]
    assert [status for _, status, _ in found[:3]] == [404, 200, 404], found


def test_backup_download_url(dart_pair: Servers) -> None:
    """BackupService.getDownloadURL(token, key): ``/api/backups/<key>?token=`` with a superuser's
    file token (files.getToken)."""
    found = []
    for target in dart_pair.pair.targets:
        client = dart_pair.client(target, "superuser")
        token = client.send("/api/files/token", "POST").data["token"]
        for query in ({"token": token}, {}):
            reply = client.raw("GET", f"/api/backups/{dart_component('dart_one.zip')}" + (f"?{dart_query(query)}" if query else ""), [])
            found.append((bool(query), reply.status_code, reply.headers.get("content-type"), reply.headers.get("content-disposition"),
                          reply.content[:2] == b"PK"))
    assert found[:2] == found[2:]
    assert found[0][1] == 200 and found[0][-1], found


JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def _mailed_token(dart_pair: Servers, address: str, seen: int) -> str:
    found = JWT_RE.search(dart_pair.next_mail_to(address, seen))
    assert found is not None, f"no token in the mail to {address}"
    return found.group(0)


def _verification_and_email_change(dart_pair: Servers, target: Target) -> list[Any]:
    """requestVerification, confirmVerification, requestEmailChange, confirmEmailChange of an
    unverified user: what the SDK decodes from each mailed token (confirmVerification marks the
    stored record verified, confirmEmailChange signs out, when the token's ``id`` and
    ``collectionId`` are the stored record's) and the answers."""
    email, new_email = "dart-unverified@example.com", "dart-changed@example.com"
    target.ok("POST", f"{USERS}/records", {"id": "fixuser00000002", "email": email, "password": PASSWORD, "passwordConfirm": PASSWORD})
    target.login("unverified", "users", email)
    client = dart_pair.client(target, "unverified")
    users_id = client.send(f"{USERS}/records/fixuser00000002").data["collectionId"]
    seen = dart_pair.mails_to(email)
    steps: list[Any] = [client.send(f"{USERS}/request-verification", "POST", body={"email": email}).status_code]
    token = _mailed_token(dart_pair, email, seen)
    claims = token_claims(token)
    steps += [sorted(claims), claims["id"] == "fixuser00000002", claims["collectionId"] == users_id]
    steps.append(client.send(f"{USERS}/confirm-verification", "POST", body={"token": token}).status_code)
    seen = dart_pair.mails_to(new_email)
    steps.append(client.send(f"{USERS}/request-email-change", "POST", body={"newEmail": new_email}).status_code)
    token = _mailed_token(dart_pair, new_email, seen)
    claims = token_claims(token)
    steps += [sorted(claims), claims["id"] == "fixuser00000002", claims["collectionId"] == users_id]
    steps.append(client.send(f"{USERS}/confirm-email-change", "POST", body={"token": token, "password": PASSWORD}).status_code)
    return steps


def test_mailed_tokens_hold_what_dart_decodes(dart_pair: Servers) -> None:
    pb, py = (_verification_and_email_change(dart_pair, target) for target in dart_pair.pair.targets)
    assert pb == py
    assert pb[0] == 204 and pb[2:4] == [True, True] and pb[4] == 204 and pb[-1] == 204, pb


def test_cors_preflight_of_a_flutter_web_app(dart_pair: Servers) -> None:
    """On the web (BrowserClient) each call with the SDK's headers is preflighted first."""
    wire = [("Origin", "http://localhost:5000"), ("Access-Control-Request-Method", "PATCH"),
            ("Access-Control-Request-Headers", "accept-language,authorization,content-type")]  # fmt: skip
    found = []
    for target in dart_pair.pair.targets:
        reply = DartClient(target.base_url).raw("OPTIONS", f"{RECORDS}/{POST1}", wire)
        found.append((reply.status_code, {k: v for k, v in reply.headers.items() if k.startswith("access-control-")}))
    assert found[0] == found[1]
    assert found[0][0] == 204 and "PATCH" in found[0][1]["access-control-allow-methods"]


def test_multipart_body_is_dart_http_s() -> None:
    """The emulated body, pinned byte for byte to package:http's MultipartRequest output."""
    body = dart_multipart([("@jsonPayload", '{"t":"é"}')], [DartFile("docs", b"x", 'a"b.txt')], "B")
    assert body == (
        b'--B\r\ncontent-disposition: form-data; name="@jsonPayload"\r\n'
        b"content-type: text/plain; charset=utf-8\r\ncontent-transfer-encoding: binary\r\n\r\n"
        b'{"t":"\xc3\xa9"}\r\n'
        b'--B\r\ncontent-type: application/octet-stream\r\ncontent-disposition: form-data; name="docs"; filename="a%22b.txt"\r\n\r\n'
        b"x\r\n--B--\r\n"
    )
