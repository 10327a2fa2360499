"""The loader: runs every ``pb_hooks/*.pb.js`` (sorted by name) once and collects registrations.

The hook, router and middleware calls in those files only *register*: each becomes a
``Registration`` (kind, name, tags, handler source) that the runtime binds later. Loading is all
or nothing: the first file that fails raises :class:`LoadError` naming the file and line.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import quickjs

from pybase.jsvm.errors import HookTimeout
from pybase.jsvm.pool import Executor, Handler

if TYPE_CHECKING:
    from pybase.jsvm.runtime import JsRuntime

HOOK_FILE_RE = re.compile(r"^.*\.pb\.js$")
_LINE_RE = re.compile(r"<input>:(\d+)")
_FRAME_RE = re.compile(r"at (\S+) \(<input>(?::(\d+))?\)")
_handler_ids = itertools.count(1)


class LoadError(Exception):
    """A hooks file could not be loaded (syntax error, exception at top level, timeout)."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class MiddlewareSpec:
    """A route middleware: JS source, or one of pybase's built-ins (``$apis.requireAuth()``...)."""

    handler: Handler | None
    builtin: str = ""
    args: tuple[Any, ...] = ()
    priority: int = 0
    id: str = ""


@dataclass(frozen=True)
class Registration:
    """One ``onX(...)``, ``routerAdd(...)``, ``routerUse(...)`` or ``cronAdd/cronRemove`` call."""

    kind: str  # "hook" | "route" | "use" | "cron" | "cronRemove"
    name: str = ""  # JS hook name for hooks, job id for crons
    tags: tuple[str, ...] = ()
    handler: Handler | None = None
    method: str = ""
    path: str = ""
    middlewares: tuple[MiddlewareSpec, ...] = field(default=())
    file: str = ""
    expression: str = ""  # cron expression for "cron"
    builtin: str = ""  # a route answered by a pybase handler ($apis.static) instead of JS
    args: tuple[Any, ...] = ()  # the built-in handler's arguments


def hook_files(hooks_dir: str) -> list[str]:
    """The hooks files of a folder (not its subfolders), sorted by name."""
    try:
        names = os.listdir(hooks_dir)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if HOOK_FILE_RE.match(n) and os.path.isfile(os.path.join(hooks_dir, n)))


def new_handler(source: str, where: str) -> Handler:
    """A handler with a fresh id (its compiled form is cached per executor under that id)."""
    return Handler(next(_handler_ids), source, where)


def _handler(source: str, where: str) -> Handler:
    return Handler(next(_handler_ids), source, where)


def _middleware(data: dict[str, Any], where: str) -> MiddlewareSpec:
    priority = int(data.get("priority") or 0)
    if data.get("builtin"):
        return MiddlewareSpec(None, str(data["builtin"]), tuple(data.get("args") or ()), priority, str(data.get("id") or ""))
    return MiddlewareSpec(_handler(str(data["src"]), where), "", (), priority, str(data.get("id") or ""))


def _registration(data: dict[str, Any]) -> Registration:
    file = str(data.get("file") or "")
    kind = data["kind"]
    if kind == "hook":
        where = f"{file} {data['name']}"
        return Registration("hook", data["name"], tuple(data.get("tags") or ()), _handler(data["src"], where), file=file)
    if kind == "route":
        where = f"{file} {data['method']} {data['path']}"
        mws = tuple(_middleware(m, where + " middleware") for m in data.get("middlewares") or ())
        if data.get("builtin"):
            return Registration(
                "route", method=data["method"], path=data["path"], middlewares=mws, file=file,
                builtin=str(data["builtin"]), args=tuple(data.get("args") or ()),
            )
        return Registration(
            "route", handler=_handler(data["src"], where), method=data["method"], path=data["path"],
            middlewares=mws, file=file,
        )
    if kind == "cron":
        where = f"{file} cron {data['name']}"
        return Registration("cron", data["name"], handler=_handler(data["src"], where), expression=data["expression"], file=file)
    if kind == "cronRemove":
        return Registration("cronRemove", data["name"], file=file)
    where = f"{file} routerUse"
    mws = tuple(_middleware(m, where) for m in data.get("middlewares") or ())
    return Registration("use", middlewares=mws, file=file)


def _error_line(text: str) -> int:
    # NOTE: the runtime files and the hooks file are all "<input>" to QuickJS. When the stack
    # ends with the wrapper's "<eval>" frame, the frame just before it is the file's top-level
    # line that led to the error (frames above it may be prelude code); a syntax error has no
    # frames but its own position.
    frames = _FRAME_RE.findall(text)
    if len(frames) >= 2 and frames[-1][0] == "<eval>" and frames[-2][1]:
        return int(frames[-2][1])
    match = _LINE_RE.search(text)
    return int(match.group(1)) if match else 0


def load(runtime: JsRuntime) -> list[Registration]:
    """Run every hooks file in a fresh loader context; raise LoadError on the first failure."""
    loader = Executor(runtime, loader=True)
    for name in hook_files(runtime.hooks_dir):
        path = os.path.join(runtime.hooks_dir, name)
        try:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        except (OSError, UnicodeDecodeError) as ex:
            raise LoadError(name, 0, str(ex)) from ex
        loader.ctx.set("__file", name)
        try:
            # NOTE: the wrapper keeps line numbers (it opens on the file's first line) and gives
            # each file its own scope, so two files may both declare `const x`.
            loader.eval_guarded("(function () {" + source + "\n})()", name)
        except HookTimeout as ex:
            raise LoadError(name, 0, f"interrupted after {runtime.timeout:.1f} s") from ex
        except quickjs.JSException as ex:
            text = str(ex)
            raise LoadError(name, _error_line(text), text.split("\n", 1)[0]) from ex
    raw = loader.ctx.eval("__registrations()")
    return [_registration(item) for item in orjson.loads(raw)]
