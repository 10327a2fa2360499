"""The Python side of the JS surface: one dispatcher, ``__py(op, kinds, ...args)``, and its operations.

One module per JS global or class (``app`` for ``$app``, ``record`` for ``Record``, ``dbx`` for
``$dbx`` and ``$app.db()``, ``event`` for the ``e`` of every handler...), each with an ``OPS``
table of the bridge operations it implements. Which module implements which name is declared
once, in ``jsvm/surface.py`` (``impl``); :data:`OPS` is assembled from the modules named there.

Every operation takes decoded arguments (JSON, where ``{"$h": n}`` becomes the Python object
behind handle ``n``; strings, booleans, nulls and handles also cross as they are) and returns a
JSON-able value; records and collections go back to JS as handles.
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

_CONTAINERS = (list, dict)


def _decode(scope: Scope, value: Any) -> Any:
    # PERF: scalars are left as they are without a call each.
    if type(value) is list:
        return [_decode(scope, v) if type(v) in _CONTAINERS else v for v in value]
    if type(value) is dict:
        if "$h" in value and len(value) == 1:
            return scope.get(value["$h"])
        return {k: _decode(scope, v) if type(v) in _CONTAINERS else v for k, v in value.items()}
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
            return {"name": obj.name, "data": obj.data}
        if isinstance(obj, Settings):
            # NOTE: a plain copy (with tableName()/pk() in JS: prelude's settingsOf); a hook
            # changes settings by assigning the whole object back (e.newSettings = s).
            return {"$s": obj.to_dict()}
        if isinstance(obj, bytes | bytearray):
            # NOTE: an array JS knows for bytes (prelude's markBytes): toString() reads its text,
            # as PocketBase's of a Go []byte, where any other array is JSON
            return {"$b": list(obj)}
        if isinstance(obj, set | frozenset | tuple):
            return list(obj)
        if isinstance(obj, BaseException):
            return {"message": str(obj), "type": type(obj).__name__}
        return None

    return default


def _args(scope: Scope, kinds: str, args: tuple[Any, ...]) -> list[Any]:
    """The arguments of a call as they crossed, with a kind letter each: ``v`` a string, boolean,
    null or int32 number, ``h`` the handle of a pybase object, ``H`` the handles of a list of
    them (comma separated), ``j`` JSON text of anything else
    (where ``{"$h": n}`` is the object behind handle ``n``)."""
    out = []
    for kind, arg in zip(kinds, args, strict=True):
        if kind == "v":
            out.append(arg)
        elif kind == "h":
            out.append(scope.get(arg))
        elif kind == "H":
            out.append([scope.get(int(h)) for h in arg.split(",")])
        else:
            value = orjson.loads(arg)
            out.append(_decode(scope, value) if '"$h"' in arg else value)
    return out


def _answer(scope: Scope, value: Any) -> str:
    """A call's value for JS: JSON text ``{"v": ...}``, or for the common simple values a letter
    and the value (prelude's ``call``): ``n`` null, ``t``/``f`` booleans, ``s`` + a string,
    ``r`` + the handle of a record, ``R`` + the handles of a non-empty list of records."""
    if value is None:
        return "n"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if type(value) is str and "\x00" not in value:
        return "s" + value  # NOTE: text holding a NUL goes as JSON: the binding cuts a string at its first NUL
    if isinstance(value, Record):
        return "r" + str(scope.put(value))
    if type(value) is list and value and all(isinstance(v, Record) for v in value):
        return "R" + ",".join([str(scope.put(v)) for v in value])
    return orjson.dumps({"v": value}, default=_encoder(scope), option=orjson.OPT_NON_STR_KEYS).decode()


def dispatch(executor: Executor, op: str, kinds: str, *args: Any) -> str:
    """Run one bridge operation for JS; always answers text (see :func:`_answer`), never raises."""
    scope = executor.scope
    try:
        func = OPS.get(op)
        if func is None:
            raise BadRequestError(f"unknown bridge operation {op!r}")
        return _answer(scope, func(executor, *_args(scope, kinds, args)))
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
