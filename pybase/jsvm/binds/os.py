"""``$os`` for JS: files, folders, environment and processes (Go's ``os`` and ``os/exec``).

Commands block the calling hook, and the runaway guard cannot interrupt Python code, so a
command never runs longer than the hook time limit (``hooks_timeout``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.jsvm.binds.http import _bytes, _limit

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

# ---- $os -------------------------------------------------------------------------------------


def _path(value: Any) -> str:
    text = "" if value is None else str(value)
    if not text:
        raise BadRequestError("empty path")
    return text


def _mode(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def go_errno_text(ex: OSError) -> str:
    """The text Go's syscall.Errno gives an error number (strerror, first letter lower-cased)."""
    text = os.strerror(ex.errno) if ex.errno else str(ex.strerror or ex)
    return text[:1].lower() + text[1:]


def _wrap_os(op: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` whose OS errors read as Go's ``*PathError`` (``open /x: no such file or
    directory``; ``rename a b: ...`` as its ``*LinkError``)."""

    def run(ex: Executor, *args: Any) -> Any:
        try:
            return fn(*args)
        except OSError as ex_:
            if ex_.errno is None:
                raise BadRequestError(str(ex_)) from ex_
            where = f"{ex_.filename} {ex_.filename2}" if op == "rename" and ex_.filename2 else str(ex_.filename or "")
            raise BadRequestError(f"{op} {where}: {go_errno_text(ex_)}") from ex_

    return run


def _read_file(path: Any) -> bytes:
    with open(_path(path), "rb") as fh:
        return fh.read()


def _write_file(path: Any, data: Any, perm: Any = None) -> None:
    target = _path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _mode(perm, 0o644))
    with os.fdopen(fd, "wb") as fh:
        fh.write(_bytes(data))


def _info(path: str, name: str | None = None) -> dict[str, Any]:
    st = os.stat(path)
    return {
        "name": name if name is not None else (os.path.basename(path.rstrip("/")) or "/"),
        "size": st.st_size,
        "mode": st.st_mode & 0o7777,
        "modTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(st.st_mtime)) + "Z",
        "isDir": os.path.isdir(path),
    }


def _read_dir(path: Any) -> list[dict[str, Any]]:
    base = _path(path)
    return [_info(os.path.join(base, name), name) for name in sorted(os.listdir(base))]


def _remove(path: Any) -> None:
    target = _path(path)
    if os.path.isdir(target) and not os.path.islink(target):
        os.rmdir(target)
    else:
        os.remove(target)


def _remove_all(path: Any) -> None:
    target = _path(path)
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target)
    elif os.path.lexists(target):
        os.remove(target)


def _truncate(path: Any, size: Any) -> None:
    os.truncate(_path(path), int(size or 0))


def os_exec(ex: Executor, name: Any, args: Any, options: Any) -> dict[str, Any]:
    """Run a program (no shell) and collect its output; limited to the hook time limit."""
    options = options if isinstance(options, dict) else {}
    argv = [str(name)] + [str(a) for a in args or ()]
    env = None
    if options.get("env"):
        env = dict(os.environ)
        for item in options["env"]:
            key, _, value = str(item).partition("=")
            env[key] = value
    timeout = _limit(ex, options.get("timeout"), ex.runtime.timeout)
    try:
        done = subprocess.run(  # noqa: S603 - argv form, no shell: what $os.cmd() is for
            argv,
            input=_bytes(options.get("stdin")) if options.get("stdin") is not None else None,
            capture_output=True,
            cwd=str(options["dir"]) if options.get("dir") else None,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as ex_:
        raise BadRequestError(f"{argv[0]}: killed after {timeout:g} s") from ex_
    except FileNotFoundError as ex_:
        if "/" in argv[0]:
            raise BadRequestError(f"fork/exec {argv[0]}: {go_errno_text(ex_)}") from ex_
        raise BadRequestError(f'exec: "{argv[0]}": executable file not found in $PATH') from ex_
    except OSError as ex_:
        raise BadRequestError(f"fork/exec {argv[0]}: {go_errno_text(ex_)}") from ex_
    return {"stdout": done.stdout, "stderr": done.stderr, "code": done.returncode}


OPS: dict[str, Callable[..., Any]] = {
    "os.getenv": lambda ex, key: os.environ.get(str(key), ""),
    "os.args": lambda ex: list(sys.argv),
    "os.readFile": _wrap_os("open", _read_file),
    "os.writeFile": _wrap_os("open", _write_file),
    "os.readDir": _wrap_os("open", _read_dir),
    "os.stat": _wrap_os("stat", lambda path: _info(_path(path))),
    "os.mkdir": _wrap_os("mkdir", lambda path, perm=None: os.mkdir(_path(path), _mode(perm, 0o755))),
    "os.mkdirAll": _wrap_os("mkdir", lambda path, perm=None: os.makedirs(_path(path), _mode(perm, 0o755), exist_ok=True)),
    "os.remove": _wrap_os("remove", _remove),
    "os.removeAll": _wrap_os("unlinkat", _remove_all),
    "os.rename": _wrap_os("rename", lambda old, new: os.rename(_path(old), _path(new))),
    "os.truncate": _wrap_os("truncate", _truncate),
    "os.tempDir": lambda ex: os.environ.get("TMPDIR") or "/tmp",  # noqa: S108 - Go's os.TempDir
    "os.getwd": _wrap_os("getwd", os.getcwd),
    "os.exec": os_exec,
}

