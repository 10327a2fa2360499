"""The event ``e`` a handler gets: its properties, ``next()``, its request and its response."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.apis import NO_CONTENT_TYPE_ENV
from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError
from pybase.apis.request_body import (
    MSG_UNSUPPORTED_TYPE,
    decode_json,
    form_values,
    read_body,
    request_info,
)
from pybase.apis.serialize import apply_fields, dumps, parse_fields, record_to_json
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.core.fields.json_field import api_dumps
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.tools.cast import infer_value
from pybase.tools.gonumbers import Scanned, scanned_text

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

_CAMEL_RE = re.compile(r"(?<!^)(?=[A-Z])")


_HIDDEN_EVENT_ATTRS = frozenset({"app", "request", "response", "router", "server", "next", "tags"})


def _attr(prop: str) -> str:
    name = _CAMEL_RE.sub("_", prop).lower()
    if name.startswith("_") or name in _HIDDEN_EVENT_ATTRS:
        raise BadRequestError(f"event property {prop!r} is not available")
    return name


def ev_get(ex: Executor, event: Any, prop: str) -> Any:
    value = getattr(event, _attr(prop), None)
    if isinstance(value, RequestInfo):
        return info_wire(value)
    return None if callable(value) and not isinstance(value, Record | Collection) else value


def ev_set(ex: Executor, event: Any, prop: str, value: Any) -> None:
    setattr(event, _attr(prop), value)


def ev_next(ex: Executor, event: Any) -> None:
    event.next()


def ev_store(ex: Executor, event: Any, action: str, key: str, value: Any) -> Any:
    """``e.get/set/getAll/setAll``: values handlers pass along the chain."""
    store = event.__dict__.setdefault("_jsvm_store", {})
    if action == "set":
        store[key] = value
        return None
    if action == "getAll":
        return dict(store)
    if action == "setAll":
        store.clear()
        store.update(value if isinstance(value, dict) else {})
        return None
    return store.get(key)


def _request(event: Any) -> Any:
    req = getattr(event, "request", None)
    if req is None:
        raise BadRequestError("this event has no HTTP request")
    return req


def _raw(req: Any) -> bytes:
    """The request body as sent (read once, kept on the request)."""
    raw = getattr(req.context, "jsvm_raw", None)
    if raw is None:
        raw = req.context.jsvm_raw = req.bounded_stream.read()
    return bytes(raw)


def _body(event: Any, typed: bool = True) -> dict[str, Any]:
    """The submitted data; ``typed``: form values as PocketBase reads them into a map ("5" -> 5)."""
    req = _request(event)
    info = getattr(req.context, "request_info", None)
    if info is not None:
        return dict(info.body)
    content_type = req.get_header("Content-Type") or ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        parsed = form_values(req, _raw(req))
        cast = infer_value if typed else str
        return {k: cast(v[0]) if len(v) == 1 else [cast(i) for i in v] for k, v in parsed.items()}
    if content_type.startswith("multipart/form-data"):
        body = getattr(req.context, "jsvm_body", None)
        if body is None:
            body, _files = read_body(req)
            req.context.jsvm_body = body
        return dict(body)
    raw = _raw(req)
    if not raw:
        return {}  # NOTE: as BindBody, an empty body binds nothing whatever its type
    if not content_type.startswith("application/json"):
        # NOTE: as BindBody: XML binds nothing into a map; any other type is refused
        if content_type.startswith(("text/xml", "application/xml")):
            raise BadRequestError("Something went wrong while processing your request.")
        raise BadRequestError(MSG_UNSUPPORTED_TYPE)
    if not raw.strip():
        return {}
    try:
        data = decode_json(raw)
    except ValueError as ex:
        raise BadRequestError("Something went wrong while processing your request.") from ex
    if not isinstance(data, dict):
        raise BadRequestError("Something went wrong while processing your request.")
    return data


def info_json(info: RequestInfo) -> dict[str, Any]:
    return {
        "method": info.method, "query": info.query, "headers": info.headers, "body": info.body,
        "auth": info.auth, "context": info.context,
    }


def _cookies(header: str) -> dict[str, str]:
    """The request's cookies as Go's ``Request.Cookie`` finds them (the first of a name wins;
    a value's surrounding double quotes dropped)."""
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found.setdefault(name.strip(), value)
    return found


def req_snapshot(ex: Executor, event: Any) -> dict[str, Any]:
    req = _request(event)
    return {
        "method": req.method,
        "path": req.path,
        "rawQuery": req.query_string,
        # NOTE: as Go's url.Values.Get: the first value of a repeated key.
        "query": {k: (v[0] if isinstance(v, list) else v) for k, v in req.params.items()},
        "headers": {k.lower(): v for k, v in req.headers.items()},
        "params": getattr(event, "params", None) or getattr(req.context, "path_params", None) or {},
        "host": req.get_header("Host") or req.netloc,  # NOTE: as Go's Request.Host, the port kept
        "cookies": _cookies(req.get_header("Cookie") or ""),
        "remoteAddr": req.remote_addr,
        "realIP": real_ip(req),
        "scheme": req.scheme,
    }


def info_wire(info: RequestInfo) -> dict[str, Any]:
    """A request info as it crosses to JS (prelude's RequestInfo; orjson would flatten the dataclass)."""
    return {"$ri": info_json(info)}


def req_info(ex: Executor, event: Any) -> dict[str, Any]:
    req = _request(event)
    info = getattr(req.context, "request_info", None)
    if info is None:
        info = request_info(req, _body(event))
    return info_wire(info)


def req_body(ex: Executor, event: Any, typed: Any = True) -> dict[str, Any]:
    return _body(event, bool(typed))


def req_raw_body(ex: Executor, event: Any) -> str:
    """``toString(e.request.body)``: the body as sent."""
    req = _request(event)
    raw = getattr(req.context, "jsvm_raw", None)
    if raw is None and getattr(req.context, "request_info", None) is not None:
        return ""  # NOTE: already read by pybase (as PocketBase's body reader, once consumed)
    return _raw(req).decode("utf-8", "replace")


def req_is_superuser(ex: Executor, event: Any) -> bool:
    auth = getattr(event, "auth", None)
    return bool(auth is not None and auth.is_superuser())


_CONTENT_TYPES = {
    "json": "application/json",
    "string": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}


def _content_type(event: Any, value: str | None) -> None:
    """Set the answer's Content-Type unless the handler set one (as Go's e.String/e.JSON, which
    set it only when it is empty)."""
    if not event.__dict__.get("_jsvm_content_type"):
        event.response.content_type = value


def res_write(ex: Executor, event: Any, kind: str, status: Any, payload: str) -> None:
    resp = event.response
    if kind == "redirect" and not 300 <= int(status) <= 308:
        # NOTE: as PocketBase's e.Redirect (an error thrown, nothing written)
        raise ApiError(500, "Invalid redirect status code.")
    resp.status = int(status)
    event.__dict__["_jsvm_written"] = True
    if kind == "redirect":
        # NOTE: as PocketBase's e.Redirect: a Location header and no body (nor content type).
        resp.location = payload
        resp.content_type = None
        resp.data = b""
        return
    if kind == "none":
        # NOTE: as PocketBase's e.NoContent: no body, no content type (whatever the status)
        _content_type(event, None)
        request = getattr(event, "request", None)
        if request is not None and not event.__dict__.get("_jsvm_content_type"):
            request.env[NO_CONTENT_TYPE_ENV] = True
        resp.data = b""
        return
    if kind == "json":
        fields = event.request.get_param("fields") if getattr(event, "request", None) is not None else None
        if fields:
            # NOTE: as PocketBase's e.JSON: the ?fields= picker applies to every JSON answer.
            payload = dumps(apply_fields(orjson.loads(payload), parse_fields(fields))).decode()
    _content_type(event, _CONTENT_TYPES[kind])
    resp.data = payload.encode()


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Record):
        return record_to_json(obj, None)
    if isinstance(obj, Scanned):
        return scanned_text(obj)  # NOTE: a view's REAL in an exported record (serialize)
    if isinstance(obj, Collection):
        return obj.to_json()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def res_json(ex: Executor, event: Any, status: Any, data: Any) -> None:
    """``e.json(status, data)``: records and collections as their public JSON, keys sorted (as
    Go's encoder writes maps; a view's JSON in its order, as the API writes it), and the
    ``?fields=`` picker applied, as PocketBase's e.JSON."""
    resp = event.response
    resp.status = int(status)
    event.__dict__["_jsvm_written"] = True
    request = getattr(event, "request", None)
    fields = request.get_param("fields") if request is not None else None
    _content_type(event, "application/json")
    if fields:
        # NOTE: as PocketBase's picker, which reads the JSON back into Go maps (keys sorted)
        data = apply_fields(orjson.loads(orjson.dumps(data, default=_json_default)), parse_fields(fields))
        resp.data = dumps(data, _json_default)
        return
    # NOTE: a JS object's keys in their order (PocketBase writes them in no set order), so a
    # view's JSON read with record.get() keeps its order; records and collections as the API
    # writes them (keys sorted)
    resp.data = api_dumps(data, _as_written, sort=False)


def _as_written(obj: Any) -> Any:
    if isinstance(obj, Record | Collection):
        return orjson.Fragment(dumps(obj, _json_default))
    return _json_default(obj)


def written(event: Any) -> bool:
    """Whether the answer is written: by a handler (``e.json``...) or by the API's own action
    (a record request hook's ``e.next()`` wrote the record)."""
    if event.__dict__.get("_jsvm_written"):
        return True
    resp = getattr(event, "response", None)
    return resp is not None and (getattr(resp, "data", None) is not None or getattr(resp, "text", None) is not None)


def res_state(ex: Executor, event: Any) -> dict[str, Any]:
    """``e.status()`` and ``e.written()``."""
    written_ = written(event)
    status = str(getattr(event.response, "status", "") or "")
    code = int(status.split()[0]) if written_ and status[:3].isdigit() else 0
    return {"status": code, "written": written_}


def _bytes(data: Any) -> bytes:
    if isinstance(data, dict) and "$text" in data:
        return str(data["$text"]).encode()
    return bytes(int(b) & 0xFF for b in data or ())


def res_blob(ex: Executor, event: Any, status: Any, content_type: str, data: Any) -> None:
    resp = event.response
    resp.status = int(status)
    event.__dict__["_jsvm_written"] = True
    resp.content_type = str(content_type or "")  # NOTE: as e.Blob, an empty type is sent empty
    resp.data = _bytes(data)


def res_header(ex: Executor, event: Any, action: str, name: str, value: Any) -> Any:
    resp = event.response
    if action != "get" and written(event):
        return None  # NOTE: as Go's ResponseWriter: headers changed once the answer is written are not sent
    if action in ("set", "add") and str(name).lower() == "content-type":
        event.__dict__["_jsvm_content_type"] = True
    if action == "set":
        resp.set_header(name, str(value))
    elif action == "add":
        resp.append_header(name, str(value))
    elif action == "del":
        resp.delete_header(name)
    else:
        return resp.get_header(name) or ""
    return None


OPS: dict[str, Callable[..., Any]] = {
    "ev.get": ev_get,
    "ev.set": ev_set,
    "ev.next": ev_next,
    "ev.store": ev_store,
    "req.snapshot": req_snapshot,
    "req.info": req_info,
    "req.body": req_body,
    "req.rawBody": req_raw_body,
    "res.state": res_state,
    "res.json": res_json,
    "req.isSuperuser": req_is_superuser,
    "res.write": res_write,
    "res.blob": res_blob,
    "res.header": res_header,
}
