"""The Python side of the JS globals: one dispatcher, ``__py(op, argsJson)``, and its operations.

Every operation takes decoded JSON arguments (``{"$h": n}`` becomes the Python object behind
handle ``n``) and returns a JSON-able value; records and collections go back to JS as handles.
Nothing raises across the boundary: an exception is kept by the call's :class:`Scope` and
described to JS, which throws it as a ``PyError`` (see ``errors.py``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.apis.client_ip import real_ip
from pybase.apis.request_body import read_body, request_info
from pybase.apis.serialize import record_to_json
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError, FieldError, NotFoundError
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.core.settings import Settings
from pybase.jsvm import errors
from pybase.jsvm.binds_app import OPS_APP, collection_of
from pybase.jsvm.binds_db import OPS_DB
from pybase.jsvm.binds_security import OPS_SECURITY
from pybase.jsvm.binds_sys import OPS_SYS
from pybase.jsvm.template import TemplateError, render_sources
from pybase.tools.cron import CronError, parse_expression

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

log = logging.getLogger("pybase.jsvm")
console_log = logging.getLogger("pybase.jsvm.console")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_CAMEL_RE = re.compile(r"(?<!^)(?=[A-Z])")
_PARAM_RE = re.compile(r"\{:(\w+)\}")
_HIDDEN_EVENT_ATTRS = frozenset({"app", "request", "response", "router", "server", "next", "tags"})


class Scope:
    """The Python objects one call shows to JS (by handle) and the exceptions it kept."""

    __slots__ = ("objects", "ids", "kept", "snapshots")

    def __init__(self) -> None:
        self.objects: list[Any] = [None]
        self.ids: dict[int, int] = {}
        self.kept: dict[int, BaseException] = {}
        self.snapshots: dict[int, dict[str, Any]] = {}

    def put(self, obj: Any) -> int:
        """The handle of ``obj`` (the same object always gets the same handle)."""
        handle = self.ids.get(id(obj))
        if handle is None:
            handle = len(self.objects)
            self.objects.append(obj)
            self.ids[id(obj)] = handle
        return handle

    def get(self, handle: Any) -> Any:
        """The object behind a handle of this call."""
        if not isinstance(handle, int) or not 0 < handle < len(self.objects):
            raise BadRequestError("stale or invalid object handle (objects don't outlive their call)")
        return self.objects[handle]

    def keep(self, ex: BaseException) -> int:
        """Remember an exception; JS refers to it by the returned number."""
        ref = len(self.kept) + 1
        self.kept[ref] = ex
        return ref


# ---- encoding --------------------------------------------------------------------------------


def _decode(scope: Scope, value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(scope, v) for v in value]
    if isinstance(value, dict):
        if "$h" in value and len(value) == 1:
            return scope.get(value["$h"])
        return {k: _decode(scope, v) for k, v in value.items()}
    return value


def _encoder(scope: Scope) -> Callable[[Any], Any]:
    def default(obj: Any) -> Any:
        if isinstance(obj, Record):
            return {"$h": scope.put(obj), "$t": "r"}
        if isinstance(obj, Collection):
            snap = scope.snapshots.get(id(obj))
            if snap is None:
                snap = scope.snapshots[id(obj)] = {"$h": scope.put(obj), "$t": "c", "d": obj.to_json()}
            return snap
        if isinstance(obj, RequestInfo):
            return _info_json(obj)
        if isinstance(obj, Settings):
            # NOTE: a plain copy (with tableName()/pk() in JS: prelude's settingsOf); a hook
            # changes settings by assigning the whole object back (e.newSettings = s).
            return {"$s": obj.to_dict()}
        if isinstance(obj, bytes | bytearray):
            return list(obj)
        if isinstance(obj, set | frozenset | tuple):
            return list(obj)
        if isinstance(obj, BaseException):
            return {"message": str(obj), "type": type(obj).__name__}
        return None

    return default


def dispatch(executor: Executor, op: str, args_json: str) -> str:
    """Run one bridge operation for JS; always answers JSON text, never raises."""
    scope = executor.scope
    try:
        func = OPS.get(op)
        if func is None:
            raise BadRequestError(f"unknown bridge operation {op!r}")
        args = _decode(scope, orjson.loads(args_json))
        value = func(executor, *args)
        return orjson.dumps({"v": value}, default=_encoder(scope), option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception as ex:  # noqa: BLE001 - every error must reach JS as a value (quickjs.md)
        described = errors.describe(ex)
        described["r"] = scope.keep(ex)
        return orjson.dumps({"e": described}).decode()


# ---- events and requests ---------------------------------------------------------------------


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


def _info_json(info: RequestInfo) -> dict[str, Any]:
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
    return _info_json(info)


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


# ---- records ---------------------------------------------------------------------------------


def _set_value(record: Record, name: str, value: Any) -> None:
    modifier = ""
    base = name
    if name.endswith(("+", "-")):
        base, modifier = name[:-1], name[-1]
    elif name.startswith("+"):
        base, modifier = name[1:], "^"
    field = record.collection.field(base)
    if field is None:
        if modifier:
            raise BadRequestError(f"unknown field {base!r}")
        record.extra[name] = value
        return
    try:
        if modifier:
            record.set(base, field.apply_modifier(modifier, value, record))
        else:
            record.set(name, field.prepare(value, record))
    except FieldError:
        # NOTE: as PocketBase's Record.Set, setting never fails; validation reports it at save.
        record.set(base, value)


def record_new(ex: Executor, collection: Any, data: Any) -> Record:
    record = ex.runtime.app.new_record(collection_of(ex, collection))
    record_load(ex, record, data)
    return record


def record_load(ex: Executor, record: Record, data: Any) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _set_value(record, key, value)


def record_get(ex: Executor, record: Record, name: str) -> Any:
    field = record.collection.field(name)
    if field is not None:
        return field.export(record.get(name))
    if name in record.extra:
        return record.extra[name]
    return record.expand.get(name) if name == "expand" else None


def record_set(ex: Executor, record: Record, name: str, value: Any) -> None:
    _set_value(record, name, value)


def _to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def record_cast(ex: Executor, record: Record, name: str, kind: str) -> Any:
    value = record_get(ex, record, name)
    if kind == "string":
        return _to_string(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t")
        return bool(value)
    if kind in ("int", "float"):
        try:
            number = float(value) if not isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            return 0
        return int(number) if kind == "int" else number
    if isinstance(value, list):
        return [_to_string(v) for v in value]
    return [] if value in (None, "") else [_to_string(value)]


def record_collection(ex: Executor, record: Record) -> Collection:
    return record.collection


def record_is_new(ex: Executor, record: Record) -> bool:
    return record.is_new


def _copy(record: Record, data: dict[str, Any]) -> Record:
    copy = Record(record.collection, None, store=record.store)
    copy.data = dict(data)
    copy.is_new = record.is_new
    copy.original = dict(record.original)
    copy.original_id = record.original_id
    return copy


def record_original(ex: Executor, record: Record) -> Record:
    return _copy(record, record.original or record.data)


def record_clone(ex: Executor, record: Record) -> Record:
    return _copy(record, record.data)


def record_set_password(ex: Executor, record: Record, plain: Any) -> None:
    _set_value(record, "password", "" if plain is None else str(plain))


def record_validate_password(ex: Executor, record: Record, plain: Any) -> bool:
    return record.validate_password("" if plain is None else str(plain))


def record_export(ex: Executor, record: Record) -> dict[str, Any]:
    return record_to_json(record, None)


# ---- $security, console, require, helpers ----------------------------------------------------


def console(ex: Executor, level: str, message: str) -> None:
    console_log.log(_LEVELS.get(level, logging.INFO), "%s", message)


def app_log(ex: Executor, level: Any, message: Any, attrs: Any) -> None:
    """``$app.logger().info(msg, "key", value, ...)``: an entry in ``_logs`` with its attributes."""
    ex.runtime.app.logger().log(int(level or 0), "" if message is None else str(message), *(attrs or []))


def sleep(ex: Executor, ms: Any) -> None:
    seconds = max(0.0, float(ms or 0) / 1000.0)
    # NOTE: the guard interrupts the handler as soon as it is back in JS; don't sleep past that.
    time.sleep(min(seconds, ex.runtime.timeout))


def bytes_to_string(ex: Executor, data: Any) -> str:
    return _bytes(data).decode("utf-8", "replace")


def bytes_from_string(ex: Executor, text: Any) -> bytes:
    return ("" if text is None else str(text)).encode()


def template_render(ex: Executor, files: Any, strings: Any, data: Any) -> str:
    sources = [str(s) for s in strings or ()]
    for path in files or ():
        try:
            with open(str(path), encoding="utf-8") as fh:
                sources.append(fh.read())
        except OSError as ex_:
            raise BadRequestError(f"template: {ex_.strerror or ex_}: {path}") from ex_
    try:
        return render_sources(sources, data)
    except TemplateError as ex_:
        raise BadRequestError(f"template: {ex_}") from ex_


def cron_validate(ex: Executor, expr: Any) -> None:
    try:
        parse_expression(str(expr))
    except CronError as ex_:
        raise BadRequestError(str(ex_)) from ex_


def cron_add(ex: Executor, job_id: Any, expr: Any, source: Any) -> None:
    try:
        ex.runtime.add_cron_source(str(job_id), str(expr), str(source))
    except CronError as ex_:
        raise BadRequestError(str(ex_)) from ex_


def cron_remove(ex: Executor, job_id: Any) -> None:
    ex.runtime.remove_cron(str(job_id))


def require_resolve(ex: Executor, path: str, base_dir: str) -> dict[str, Any]:
    hooks_dir = ex.runtime.hooks_dir
    if os.path.isabs(path):
        candidates = [path]
    elif path.startswith(("./", "../")):
        candidates = [os.path.join(base_dir or hooks_dir, path)]
    else:
        candidates = [os.path.join(hooks_dir, path), os.path.join(hooks_dir, "node_modules", path)]
    for candidate in candidates:
        for option in (candidate, candidate + ".js", candidate + ".json", os.path.join(candidate, "index.js")):
            if os.path.isfile(option):
                real = os.path.realpath(option)
                with open(real, encoding="utf-8") as fh:
                    source = fh.read()
                return {"path": real, "dir": os.path.dirname(real), "src": source, "json": real.endswith(".json")}
    raise NotFoundError(f"Cannot find module '{path}'.")


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
    "record.new": record_new,
    "record.load": record_load,
    "record.get": record_get,
    "record.set": record_set,
    "record.cast": record_cast,
    "record.collection": record_collection,
    "record.isNew": record_is_new,
    "record.original": record_original,
    "record.clone": record_clone,
    "record.setPassword": record_set_password,
    "record.validatePassword": record_validate_password,
    "record.export": record_export,
    **OPS_APP,
    **OPS_DB,
    **OPS_SECURITY,
    **OPS_SYS,
    "log": console,
    "app.log": app_log,
    "sleep": sleep,
    "bytes.toString": bytes_to_string,
    "bytes.fromString": bytes_from_string,
    "template.render": template_render,
    "cron.validate": cron_validate,
    "cron.add": cron_add,
    "cron.remove": cron_remove,
    "require.resolve": require_resolve,
}
