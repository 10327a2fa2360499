"""Reading request bodies (JSON, multipart, urlencoded) and the request info rules see."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import falcon
import orjson

from pybase.apis.errors import MSG_GENERIC, ApiError, bad_request
from pybase.apis.multipart import form_parts, part_text
from pybase.core.errors import ValidationError
from pybase.core.fields.file import size_limit_error
from pybase.core.request_info import RequestInfo
from pybase.tools.cast import infer_value
from pybase.tools.filesystem.file import File, FileTooLarge
from pybase.tools.gonumbers import negative_zeros
from pybase.tools.json_names import has_duplicate_names, unique_object

JSON_PAYLOAD_KEY = "@jsonPayload"
# Set by the server on a request made on the caller's behalf (a batch's sub-request): the value of
# @request.context in its rules.
REQUEST_CONTEXT_ENV = "pybase.request_context"
MSG_UNSUPPORTED_TYPE = "Unsupported Content-Type."
# Set by the batch on a sub-request: the uploads sent for it (``{field: [File, ...]}``).
SUB_REQUEST_FILES_ENV = "pybase.sub_request_files"
# Set on a sub-request whose multipart body holds only its ``@jsonPayload`` part: that part's
# JSON, read from here instead of parsing the body back (apis/sub_request.multipart_body).
SUB_REQUEST_PAYLOAD_ENV = "pybase.sub_request_payload"


def decode_json(raw: bytes, *, numbers_in_range: bool = True) -> Any:
    """The first JSON value of ``raw``, as Go's ``json.Decoder.Decode`` reads a request body.

    Trailing data after the value is ignored; ValueError when there is no valid value, or an
    object in it has two equal names (as Go's). Numbers past float64 are errors unless
    ``numbers_in_range`` is False (Go decoding into a struct skips the values of keys it does
    not know).
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if has_duplicate_names(raw, value):
            raise ValueError("duplicate name in a JSON object")
        return value
    # PERF: the slow path only for bodies orjson refuses (trailing data, deep nesting...).
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ex:
        raise ValueError("invalid UTF-8 in the JSON body") from ex
    stripped = text.lstrip(" \t\r\n")
    try:
        value, _end = (_GO_JSON if numbers_in_range else _LENIENT_JSON).raw_decode(stripped)
    except (ValueError, RecursionError) as ex:
        raise ValueError("invalid JSON body") from ex
    return value


def _go_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")  # NOTE: Go's decoder refuses 1e999
    return value


def _go_int(text: str) -> int:
    value = int(text)
    try:
        float(value)
    except OverflowError as ex:
        raise ValueError("number out of range") from ex  # NOTE: past float64, as Go's decoder
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON value {name}")  # NaN and Infinity are not JSON


_GO_JSON = json.JSONDecoder(parse_float=_go_float, parse_int=_go_int, parse_constant=_no_constant, object_pairs_hook=unique_object)
_LENIENT_JSON = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=unique_object)


def read_json(
    req: falcon.Request,
    *,
    invalid_message: str = MSG_GENERIC,
    allow_array: bool = False,
    null_binds: dict[str, Any] | None = None,
    numbers_in_range: bool = True,
) -> Any:
    """The JSON body as PocketBase binds it into a map; 400 with ``invalid_message`` when malformed.

    NOTE: as PocketBase: only an empty body means no data (whitespace is a malformed body) and
    ``null`` binds nothing, or ``null_binds`` where the target resets itself on a null.
    """
    raw = req.bounded_stream.read()
    if not raw:
        return {}
    try:
        data = decode_json(raw, numbers_in_range=numbers_in_range)
    except ValueError as ex:
        raise bad_request(invalid_message) from ex
    data = negative_zeros(raw, data)  # NOTE: -0 as Go reads it, the float -0 (orjson: the integer 0)
    if data is None:
        return dict(null_binds or {})
    if not isinstance(data, dict) and not allow_array:
        raise bad_request(invalid_message)
    return data


def first_param(req: falcon.Request, name: str) -> str | None:
    """The first value of a repeated query key, as PocketBase (Go's ``url.Values.Get``; falcon's
    ``get_param`` gives the last)."""
    value = req.params.get(name)
    return value[0] if isinstance(value, list) else value


def read_body(
    req: falcon.Request,
    *,
    invalid_message: str = MSG_GENERIC,
    require_type: bool = False,
    infer: bool = True,
    unsupported_message: str = MSG_UNSUPPORTED_TYPE,
    xml_message: str | None = MSG_GENERIC,
    null_binds: dict[str, Any] | None = None,
    numbers_in_range: bool = True,
    uploads: UploadTarget | None = None,
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Submitted data and uploaded files, read by content type as PocketBase's BindBody does.

    Files are ``(filename, bytes)`` pairs, or with ``uploads``, :class:`File` objects streamed
    into temp files (removed when the request is answered), each refused as soon as it passes
    its field's size limit.

    JSON, multipart (which may carry a JSON object in ``@jsonPayload``, merged over the other
    parts) and urlencoded bodies. Form values are typed as PocketBase reads them into a map
    (``infer``: "true" -> True, "5" -> 5.0); pass ``infer=False`` where PocketBase binds the
    form to typed fields instead. With ``require_type`` any other content type is refused with
    ``unsupported_message`` (as PocketBase); without it, such a body is read as JSON.

    PocketBase decodes XML bodies into its target: into a map that fails (``xml_message``), into
    a struct it binds nothing (``xml_message=None``). pybase reads no XML either way.
    """
    cast = infer_value if infer else _as_is
    # NOTE: prefixes matched as PocketBase matches them: case-sensitive, parameters allowed.
    content_type = req.get_header("Content-Type") or ""
    payload = req.env.get(SUB_REQUEST_PAYLOAD_ENV)
    if payload is not None and content_type.startswith("multipart/form-data"):
        # PERF: what reading its one @jsonPayload part gives, without parsing the form (~0.7 ms)
        data = orjson.loads(payload)
        return (data if isinstance(data, dict) else {}), {}
    if content_type.startswith("application/json"):
        return read_json(req, invalid_message=invalid_message, null_binds=null_binds, numbers_in_range=numbers_in_range), {}
    if content_type.startswith("multipart/form-data"):
        return read_multipart(req, invalid_message, cast, uploads)
    if content_type.startswith("application/x-www-form-urlencoded"):
        parsed = form_values(req, req.bounded_stream.read())
        return {k: cast(v[0]) if len(v) == 1 else [cast(i) for i in v] for k, v in parsed.items()}, {}
    if require_type:
        if not req.bounded_stream.read():
            return {}, {}  # NOTE: an empty body binds nothing, whatever its type
        if not content_type.startswith(("text/xml", "application/xml")):
            raise bad_request(unsupported_message)
        if xml_message is not None:
            raise bad_request(xml_message)
        return {}, {}
    return read_json(req, invalid_message=invalid_message), {}


def form_values(req: falcon.Request, raw: bytes) -> dict[str, list[str]]:
    """An urlencoded body's values as Go's ``Request.ParseForm`` gives them to PocketBase's
    BindBody: the body's, then the URL query's appended (a query key is a body key too)."""
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    for key, values in parse_qs(req.query_string or "", keep_blank_values=True).items():
        parsed.setdefault(key, []).extend(values)
    return parsed


def _as_is(value: str) -> Any:
    return value


class UploadTarget:
    """Where uploads of a request are streamed to, and each field's size limit."""

    def __init__(self, temp_dir: str, limits: dict[str, int] | None = None) -> None:
        self.temp_dir = temp_dir
        self.limits = limits or {}

    def receive(self, req: falcon.Request, name: str, filename: str, stream: Any) -> File:
        """Stream one file part into a temp file (ValidationError past the field's limit);
        ``filename`` is the name as sent, its last path element only (apis/multipart.py)."""
        limit = self.limits.get(name.rstrip("+-").lstrip("+"))
        try:
            upload = File.from_stream(stream, filename, self.temp_dir, limit=limit)
        except FileTooLarge as ex:
            raise ValidationError({name: size_limit_error(ex.original_name, ex.limit)}) from ex
        uploads = getattr(req.context, "uploads", None)
        if uploads is None:
            uploads = req.context.uploads = []
        uploads.append(upload)
        return upload


def read_multipart(
    req: falcon.Request, invalid_message: str, cast: Callable[[str], Any] = infer_value, uploads: UploadTarget | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The values and files of a multipart body, whatever its Content-Type header says (see
    :func:`read_body`); a malformed body is a 400 with ``invalid_message``."""
    data: dict[str, Any] = {}
    files: dict[str, list[Any]] = {}
    payloads: list[dict[str, Any]] = []
    try:
        for name, filename, part in form_parts(req):
            if filename:
                if uploads is not None:
                    files.setdefault(name, []).append(uploads.receive(req, name, filename, part.stream))
                    continue
                files.setdefault(name, []).append((filename, part.stream.read()))
                continue
            text = part_text(part)
            if name == JSON_PAYLOAD_KEY:
                try:
                    payload = orjson.loads(text or "{}")
                except orjson.JSONDecodeError as ex:
                    raise bad_request(invalid_message) from ex
                if has_duplicate_names(text, payload):
                    raise bad_request(invalid_message)
                if isinstance(payload, dict):
                    payloads.append(negative_zeros(text, payload))
                continue
            value = cast(text)
            if name in data:
                current = data[name]
                data[name] = [*current, value] if isinstance(current, list) else [current, value]
            else:
                data[name] = value
    except falcon.MediaMalformedError as ex:
        raise bad_request(invalid_message) from ex
    except falcon.HTTPError as ex:
        if isinstance(ex, ApiError):
            raise
        raise bad_request(invalid_message) from ex
    # NOTE: as PocketBase, @jsonPayload is read after the other parts and wins over them.
    for payload in payloads:
        data.update(payload)
    return data, files


_CONTENT_HEADERS = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))  # WSGI keeps these two unprefixed


def request_info(req: falcon.Request, body: dict[str, Any] | None = None, context: str = "default") -> RequestInfo:
    """Snapshot of the request for rules (headers lowercased with ``-`` as ``_``).

    Kept on ``req.context.request_info`` so hooks (``e.requestInfo()``) see the same body.
    """
    # NOTE: as Go's server (PocketBase), the Host header is the request's host, not a header.
    # PERF: read from the environ in one pass (falcon's req.headers is a pass of its own).
    headers = {
        name[5:].lower() if name[:5] == "HTTP_" else name.lower(): value
        for name, value in req.env.items()
        if (name[:5] == "HTTP_" and name != "HTTP_HOST") or name in _CONTENT_HEADERS
    }
    # NOTE: the first value of a repeated query key, as PocketBase (Go's url.Values.Get).
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in req.params.items()}
    if context == "default":
        context = req.env.get(REQUEST_CONTEXT_ENV, context)
    info = RequestInfo(req.method, query, headers, body or {}, req.context.auth, context)
    req.context.request_info = info
    return info
