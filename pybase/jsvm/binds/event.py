"""The event ``e`` a handler gets: its properties, ``next()``, its request and its response."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor
import re

from pybase.apis.client_ip import real_ip
from pybase.apis.request_body import read_body, request_info
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo

_CAMEL_RE = re.compile(r"(?<!^)(?=[A-Z])")


_HIDDEN_EVENT_ATTRS = frozenset({"app", "request", "response", "router", "server", "next", "tags"})


def _attr(prop: str) -> str:
    name = _CAMEL_RE.sub("_", prop).lower()
    if name.startswith("_") or name in _HIDDEN_EVENT_ATTRS:
        raise BadRequestError(f"event property {prop!r} is not available")
    return name


def ev_get(ex: Executor, event: Any, prop: str) -> Any:
    value = getattr(event, _attr(prop), None)
    return None if callable(value) and not isinstance(value, Record | Collection) else value


def ev_set(ex: Executor, event: Any, prop: str, value: Any) -> None:
    setattr(event, _attr(prop), value)


def ev_next(ex: Executor, event: Any) -> None:
    event.next()


def ev_store(ex: Executor, event: Any, action: str, key: str, value: Any) -> Any:
    store = event.__dict__.setdefault("_jsvm_store", {})
    if action == "set":
        store[key] = value
        return None
    return store.get(key)


def _request(event: Any) -> Any:
    req = getattr(event, "request", None)
    if req is None:
        raise BadRequestError("this event has no HTTP request")
    return req


def _body(event: Any) -> dict[str, Any]:
    req = _request(event)
    info = getattr(req.context, "request_info", None)
    if info is not None:
        return dict(info.body)
    body = getattr(req.context, "jsvm_body", None)
    if body is None:
        body, _files = read_body(req)
        req.context.jsvm_body = body
    return dict(body)


def info_json(info: RequestInfo) -> dict[str, Any]:
    return {
        "method": info.method, "query": info.query, "headers": info.headers, "body": info.body,
        "auth": info.auth, "context": info.context,
    }


def req_snapshot(ex: Executor, event: Any) -> dict[str, Any]:
    req = _request(event)
    return {
        "method": req.method,
        "path": req.path,
        "rawQuery": req.query_string,
        "query": {k: (v[-1] if isinstance(v, list) else v) for k, v in req.params.items()},
        "headers": {k.lower(): v for k, v in req.headers.items()},
        "params": getattr(event, "params", None) or getattr(req.context, "path_params", None) or {},
        "host": req.host,
        "remoteAddr": req.remote_addr,
        "realIP": real_ip(req),
        "scheme": req.scheme,
    }


def req_info(ex: Executor, event: Any) -> dict[str, Any]:
    req = _request(event)
    info = getattr(req.context, "request_info", None)
    if info is None:
        info = request_info(req, _body(event))
    return info_json(info)


def req_body(ex: Executor, event: Any) -> dict[str, Any]:
    return _body(event)


def req_is_superuser(ex: Executor, event: Any) -> bool:
    auth = getattr(event, "auth", None)
    return bool(auth is not None and auth.is_superuser())


_CONTENT_TYPES = {
    "json": "application/json",
    "string": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def res_write(ex: Executor, event: Any, kind: str, status: Any, payload: str) -> None:
    resp = event.response
    resp.status = int(status)
    if kind == "redirect":
        resp.location = payload
        return
    if kind == "none":
        resp.data = b""
        return
    resp.content_type = _CONTENT_TYPES[kind]
    resp.data = payload.encode()


def _bytes(data: Any) -> bytes:
    if isinstance(data, dict) and "$text" in data:
        return str(data["$text"]).encode()
    return bytes(int(b) & 0xFF for b in data or ())


def res_blob(ex: Executor, event: Any, status: Any, content_type: str, data: Any) -> None:
    resp = event.response
    resp.status = int(status)
    resp.content_type = content_type or "application/octet-stream"
    resp.data = _bytes(data)


def res_header(ex: Executor, event: Any, action: str, name: str, value: Any) -> Any:
    resp = event.response
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
    "req.isSuperuser": req_is_superuser,
    "res.write": res_write,
    "res.blob": res_blob,
    "res.header": res_header,
}
