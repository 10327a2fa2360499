"""The Python side of the JS surface: one dispatcher, ``__py(op, argsJson)``, and its operations.

One module per JS global or class (``app`` for ``$app``, ``record`` for ``Record``, ``dbx`` for
``$dbx`` and ``$app.db()``, ``event`` for the ``e`` of every handler...), each with an ``OPS``
table of the bridge operations it implements. Which module implements which name is declared
once, in ``jsvm/surface.py`` (``impl``); :data:`OPS` is assembled from the modules named there.

Every operation takes decoded JSON arguments (``{"$h": n}`` becomes the Python object behind
handle ``n``) and returns a JSON-able value; records and collections go back to JS as handles.
Nothing raises across the boundary: an exception is kept by the call's :class:`Scope` and
described to JS, which throws it as a ``PyError`` (see ``errors.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.core.mail import AppMailer
from pybase.core.mail import Message as MailMessage
from pybase.core.realtime import Client as RealtimeClient
from pybase.core.realtime import Message as RealtimeMessage
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo
from pybase.core.settings import Settings
from pybase.jsvm import errors, surface
from pybase.jsvm.binds.event import info_json
from pybase.tools.filesystem import File

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor



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
            return {"$ri": info_json(obj)}
        if isinstance(obj, File):
            # NOTE: an upload not stored yet (prelude's protos.f: name, originalName, size).
            return {"$h": scope.put(obj), "$t": "f"}
        if isinstance(obj, MailMessage):
            # NOTE: live, not a copy: hooks change the mail that goes out (binds/mail.js).
            return {"$h": scope.put(obj), "$t": "mm"}
        if isinstance(obj, AppMailer):
            return {"$h": scope.put(obj), "$t": "mc"}
        if isinstance(obj, RealtimeClient):
            return {"$h": scope.put(obj), "$t": "rc"}
        if isinstance(obj, RealtimeMessage):
            return {"name": obj.name, "data": list(obj.data)}
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


def _registry() -> dict[str, Callable[..., Any]]:
    """Every bridge operation, from the modules the surface table names (a name in two is an error)."""
    ops: dict[str, Callable[..., Any]] = {}
    for name in surface.impl_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        for op, func in module.OPS.items():
            if op in ops:
                raise RuntimeError(f"bridge operation {op!r} is defined twice (binds.{name})")
            ops[op] = func
    return ops


OPS: dict[str, Callable[..., Any]] = _registry()
