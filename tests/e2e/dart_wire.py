"""The official PocketBase Dart SDK (pub ``pocketbase`` 0.25, ``package:http`` 1.x over
``dart:io``) as it writes requests and reads answers, in Python, for tests/e2e/test_dart_sdk_wire.py.

No Dart toolchain can be installed here, so the SDK is emulated at the wire level, from its
source (lib/src/client.dart, multipart_request.dart, sse/sse_client.dart, auth_store.dart) and
package:http's (request.dart, io_client.dart, boundary_characters.dart):

* :class:`DartClient` sends what ``PocketBase.send()`` sends: the header names in the case and
  order they reach the wire, the query as ``Uri.replace(queryParameters:)`` encodes it, a JSON
  body or the multipart body ``MultipartRequest`` writes, and reads the answer as ``send()``
  does (JSON or text, a status of 400 and more a ``ClientException`` of the body's map).
* :class:`DartSse` reads ``GET /api/realtime`` as ``SseClient`` does (its line regex, one
  message per blank line, ``id``/``event``/``data``/``retry`` fields).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import json
import queue
import random
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

#: dart:io's own User-Agent (the version varies; servers must not care)
USER_AGENT = "Dart/3.9 (dart:io)"
#: package:http's boundary characters (boundary_characters.dart): `+ _ - .`, digits, letters
BOUNDARY_CHARACTERS = "+_-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BOUNDARY_PREFIX = "dart-http-boundary-"
BOUNDARY_LENGTH = 70
#: SseClient._lineRegex: a field name, then any run of spaces and colons, then the value
SSE_LINE_RE = re.compile(r"^(\w+)[\s:]+(.*)?$")
_NEWLINES_RE = re.compile(r"\r\n|\r|\n")


def dart_query(params: dict[str, Any]) -> str:
    """``PocketBase.buildURL``'s query: nulls skipped, a list repeated under its key, values
    through ``toString()`` (booleans ``true``/``false``), each name and value encoded as
    ``Uri.encodeQueryComponent`` does (RFC 3986 unreserved kept, a space as ``+``)."""
    parts = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None:
                continue
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            parts.append(f"{quote_plus(key, safe='')}={quote_plus(text, safe='')}")
    return "&".join(parts)


def dart_component(text: str) -> str:
    """``Uri.encodeComponent`` (a path segment: record ids, collection names, backup keys)."""
    return quote(text, safe="!'()*-._~")


def dart_json(value: Any) -> str:
    """``jsonEncode``: compact, non-ASCII kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def get_list(**options: Any) -> dict[str, Any]:
    """BaseCrudService.getList's query: page, perPage, then filter, sort, expand, fields, skipTotal."""
    query = {"page": options.pop("page", 1), "perPage": options.pop("perPage", 30)}
    for key in ("filter", "sort", "expand", "fields"):
        query[key] = options.pop(key, None)
    query["skipTotal"] = options.pop("skipTotal", False)
    assert not options, options
    return query


def expand_fields(expand: str | None = None, fields: str | None = None) -> dict[str, Any]:
    """The query of getOne, create, update and the auth calls: ``expand`` and ``fields`` (null
    ones left out of the URL)."""
    return {"expand": expand, "fields": fields}


@dataclass
class DartFile:
    """An ``http.MultipartFile`` (``fromBytes``; its type defaults to application/octet-stream)."""

    field: str
    content: bytes
    filename: str | None = None
    content_type: str = "application/octet-stream"


def _browser_encode(value: str) -> str:
    return _NEWLINES_RE.sub("%0D%0A", value).replace('"', "%22")


def multipart_body(fields: list[tuple[str, str]], files: list[DartFile], boundary: str) -> bytes:
    """The body ``MultipartRequest`` (the SDK's copy of package:http's) writes: the fields first,
    each with a lower-case ``content-disposition`` (plus a text/plain type and a binary transfer
    encoding when the value is not plain ASCII), then the files, each with its ``content-type``
    line before its disposition."""
    out = bytearray()
    for name, value in fields:
        header = f'content-disposition: form-data; name="{_browser_encode(name)}"'
        if not value.isascii():
            header += "\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-transfer-encoding: binary"
        out += f"--{boundary}\r\n{header}\r\n\r\n".encode() + value.encode() + b"\r\n"
    for part in files:
        header = f'content-type: {part.content_type}\r\ncontent-disposition: form-data; name="{_browser_encode(part.field)}"'
        if part.filename is not None:
            header += f'; filename="{_browser_encode(part.filename)}"'
        out += f"--{boundary}\r\n{header}\r\n\r\n".encode() + part.content + b"\r\n"
    return bytes(out + f"--{boundary}--\r\n".encode())


def token_claims(token: str) -> dict[str, Any]:
    """A token's payload as the SDK decodes it (base64.normalize + jsonDecode)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    decoded = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return decoded if isinstance(decoded, dict) else {}


def token_expiry(token: str) -> Any:
    """The ``exp`` claim as ``AuthStore.isValid`` reads it."""
    return token_claims(token).get("exp")


def token_is_valid(token: str, now: float) -> bool:
    """``AuthStore.isValid``: ``exp`` an int (Dart's jsonDecode reads ``1.7e9`` or ``1700000000.0``
    as a double, then ``int.tryParse`` of its text fails: the token counts as expired)."""
    exp = token_expiry(token)
    if isinstance(exp, bool) or not isinstance(exp, int | str):
        return False
    try:
        return int(exp) > now
    except ValueError:
        return False


@dataclass
class Reply:
    """An answer as ``PocketBase.send()`` reads it. Also quacks like a ``requests.Response``
    (``status_code``, ``content``, ``text``) for the conformance harness's ``normalise``."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()

    @property
    def data(self) -> Any:
        """jsonDecode of the body, the text when it is no JSON, None when empty."""
        if not self.content:
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return self.text


class _Headers(dict[str, str]):
    """package:http's ``BaseRequest.headers``: case-insensitive keys that keep the case and the
    place of their first setting."""

    def __setitem__(self, key: str, value: str) -> None:
        same = next((k for k in self if k.lower() == key.lower()), key)
        super().__setitem__(same, value)

    def update(self, other: Any = (), **_: Any) -> None:
        for key, value in dict(other).items():
            self[key] = value


@dataclass
class DartClient:
    """``PocketBase(baseURL)`` with ``authStore`` holding ``token`` (sent only while it is valid)."""

    base_url: str
    token: str = ""
    lang: str = "en-US"
    now: float = 0.0  # NOTE: the clock isValid compares exp with; 0 = any future exp passes
    #: ``reuseHTTPClient: true``: one kept-alive connection for every request
    reuse: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(20))
    _shared: http.client.HTTPConnection | None = None

    def send(
        self, path: str, method: str = "GET", *, query: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
        files: list[DartFile] | None = None, headers: dict[str, str] | None = None,
    ) -> Reply:  # fmt: skip
        """``PocketBase.send(path, method:, query:, body:, files:, headers:)``."""
        headers = dict(headers or {})
        encoded = dart_query(query or {})
        target = "/" + path.lstrip("/") + (f"?{encoded}" if encoded else "")
        wire = _Headers()
        payload = b""
        if not files:
            # NOTE: _jsonRequest sets `request.body` first: package:http's setter adds a
            # lower-case `content-type: text/plain; charset=utf-8`; the caller's headers and then
            # the SDK's `headers["Content-Type"] = "application/json"` replace its value but keep
            # that key (the map is case-insensitive), so a body goes out as `content-type:
            # application/json` (no charset) and a bodiless request as `Content-Type: ...`.
            if body:
                payload = dart_json(body).encode()
                wire["content-type"] = "text/plain; charset=utf-8"
            wire.update(headers)
            if "Content-Type" not in headers:
                wire["Content-Type"] = "application/json"
        else:
            boundary = BOUNDARY_PREFIX + "".join(self.rng.choice(BOUNDARY_CHARACTERS) for _ in range(BOUNDARY_LENGTH - len(BOUNDARY_PREFIX)))
            wire.update(headers)
            payload = multipart_body([("@jsonPayload", dart_json(body or {}))], files, boundary)
            wire["content-type"] = f"multipart/form-data; boundary={boundary}"  # NOTE: MultipartRequest.finalize
        if "Authorization" not in headers and self.token and token_is_valid(self.token, self.now):
            wire["Authorization"] = self.token
        if "Accept-Language" not in headers:
            wire["Accept-Language"] = self.lang
        return self.raw(method, target, list(wire.items()), payload)

    def raw(self, method: str, target: str, wire: list[tuple[str, str]], payload: bytes = b"") -> Reply:
        """One request with dart:io's own headers (lower case: user-agent, accept-encoding: gzip,
        content-length, host; 0 too for a bodiless request) and then ``wire`` as given."""
        parts = urlsplit(self.base_url)
        conn = self._shared or http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        if self.reuse:
            self._shared = conn
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in (
                ("user-agent", USER_AGENT), ("accept-encoding", "gzip"), ("content-length", str(len(payload))), ("host", parts.netloc),
                *wire,
            ):  # fmt: skip
                conn.putheader(name, value)
            conn.endheaders(payload or None)
            resp = conn.getresponse()
            content = resp.read()
            headers = {k.lower(): v for k, v in resp.getheaders()}
            if headers.get("content-encoding") == "gzip":
                content = gzip.decompress(content)  # NOTE: dart:io's autoUncompress
            return Reply(resp.status, headers, content)
        finally:
            if not self.reuse:
                conn.close()

    def close(self) -> None:
        """``pb.close()``: the shared connection closed."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None


@dataclass
class SseMessage:
    """``SseMessage``: what one blank-line-ended block of the stream sets."""

    id: str = ""
    event: str = "message"
    data: str = ""
    retry: int = 0

    def json_data(self) -> dict[str, Any]:
        """``jsonData()``: the data as a map (anything else wrapped as ``{"data": ...}``)."""
        if not self.data:
            return {}
        try:
            decoded = json.loads(self.data)
        except ValueError:
            return {"data": self.data}
        return decoded if isinstance(decoded, dict) else {"data": decoded}


class DartSse:
    """``SseClient(url)``: ``GET /api/realtime`` with no header of the SDK's own (no Accept,
    no Authorization, no Accept-Language), read as a UTF-8 line stream."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        self.conn.putrequest("GET", "/api/realtime", skip_host=True, skip_accept_encoding=True)
        for name, value in (("user-agent", USER_AGENT), ("accept-encoding", "gzip"), ("content-length", "0"), ("host", parts.netloc)):
            self.conn.putheader(name, value)
        self.conn.endheaders()
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.messages: queue.Queue[SseMessage | None] = queue.Queue()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        message = SseMessage()
        pending = b""
        try:
            while chunk := self.resp.read1(65536):
                pending += chunk
                *complete, pending = re.split(rb"\r\n|\n|\r", pending)  # NOTE: LineSplitter's line ends
                for raw in complete:
                    line = raw.decode()
                    self.lines.append(line)
                    if not line:
                        self.messages.put(message)
                        message = SseMessage()
                        continue
                    match = SSE_LINE_RE.match(line)
                    if match is None:
                        continue  # NOTE: as the SDK, a line it cannot read (a ": ping") is skipped
                    name, value = match.group(1), match.group(2) or ""
                    if name == "id":
                        message.id = value
                    elif name == "event":
                        message.event = value
                    elif name == "retry":
                        message.retry = int(value) if value.isdigit() else 0
                    elif name == "data":
                        message.data = value
        except (OSError, http.client.HTTPException, ValueError):
            pass
        self.messages.put(None)

    def next(self, timeout: float = 10) -> SseMessage | None:
        """The next message (None once the stream ended); queue.Empty after ``timeout``."""
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        # NOTE: shut down first: the reader thread's blocked read holds the response's buffer
        # lock, which closing it would wait for
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.resp.close()


def subscription_key(topic: str, query: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> str:
    """``RealtimeService.subscribe``'s key: the topic, then ``?options=`` and the JSON of the
    query and headers through ``Uri.encodeQueryComponent`` (spaces as ``+``), when there are any.
    The server must name each event with this very key."""
    options: dict[str, Any] = {}
    if query:
        options["query"] = query
    if headers:
        options["headers"] = headers
    if not options:
        return topic
    return topic + ("&" if "?" in topic else "?") + "options=" + quote_plus(dart_json(options), safe="")
