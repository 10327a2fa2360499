"""Reading request bodies (JSON, multipart, urlencoded) and the request info rules see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import falcon
import orjson

from pybase.apis.errors import MSG_GENERIC, ApiError, bad_request
from pybase.core.request_info import RequestInfo
from pybase.tools.cast import infer_value

JSON_PAYLOAD_KEY = "@jsonPayload"


def read_json(req: falcon.Request, *, invalid_message: str = MSG_GENERIC, allow_array: bool = False) -> Any:
    """The JSON body ({} when empty); 400 with ``invalid_message`` when malformed."""
    raw = req.bounded_stream.read()
    if not raw or not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as ex:
        raise bad_request(invalid_message) from ex
    if not isinstance(data, dict) and not allow_array:
        raise bad_request(invalid_message)
    return data


def read_body(
    req: falcon.Request, *, invalid_message: str = MSG_GENERIC, require_type: bool = False, infer: bool = True
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Submitted data and uploaded files from JSON, multipart or urlencoded bodies.

    Multipart may carry a JSON object in ``@jsonPayload`` that is merged into the fields. Form
    values are typed as PocketBase reads them into a map (``infer``: "true" -> True, "5" -> 5.0);
    pass ``infer=False`` where PocketBase binds the form to typed fields instead.
    """
    cast = infer_value if infer else _as_is
    content_type = (req.content_type or "").split(";")[0].strip().lower()
    if content_type in ("application/json", ""):
        if content_type == "" and require_type and req.content_length:
            raise bad_request("Unsupported Content-Type.")
        return read_json(req, invalid_message=invalid_message), {}
    if content_type == "multipart/form-data":
        return _read_multipart(req, invalid_message, cast)
    if content_type == "application/x-www-form-urlencoded":
        text = req.bounded_stream.read().decode("utf-8", "replace")
        parsed = parse_qs(text, keep_blank_values=True)
        return {k: cast(v[0]) if len(v) == 1 else [cast(i) for i in v] for k, v in parsed.items()}, {}
    if require_type:
        raise bad_request("Unsupported Content-Type.")
    return read_json(req, invalid_message=invalid_message), {}


def _as_is(value: str) -> Any:
    return value


def _read_multipart(
    req: falcon.Request, invalid_message: str, cast: Callable[[str], Any]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    data: dict[str, Any] = {}
    files: dict[str, list[Any]] = {}
    payloads: list[dict[str, Any]] = []
    try:
        form = req.get_media()
        for part in form:
            if part.filename:
                files.setdefault(part.name, []).append((part.filename, part.stream.read()))
                continue
            text = part.get_text()
            if part.name == JSON_PAYLOAD_KEY:
                try:
                    payload = orjson.loads(text or "{}")
                except orjson.JSONDecodeError as ex:
                    raise bad_request(invalid_message) from ex
                if isinstance(payload, dict):
                    payloads.append(payload)
                continue
            value = cast(text)
            if part.name in data:
                current = data[part.name]
                data[part.name] = [*current, value] if isinstance(current, list) else [current, value]
            else:
                data[part.name] = value
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


def request_info(req: falcon.Request, body: dict[str, Any] | None = None, context: str = "default") -> RequestInfo:
    """Snapshot of the request for rules (headers lowercased with ``-`` as ``_``).

    Kept on ``req.context.request_info`` so hooks (``e.requestInfo()``) see the same body.
    """
    headers = {k.lower().replace("-", "_"): v for k, v in req.headers.items()}
    # NOTE: the first value of a repeated query key, as PocketBase (Go's url.Values.Get).
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in req.params.items()}
    info = RequestInfo(req.method, query, headers, body or {}, req.context.auth, context)
    req.context.request_info = info
    return info
