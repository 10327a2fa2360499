"""``$http``, ``$os`` and ``$filepath`` for JS: outbound HTTP, files and processes, Go-style paths.

Everything here blocks the calling hook, and the runaway guard cannot interrupt Python code, so
each blocking operation gets its own limit: ``$http.send`` and ``$os`` commands never run longer
than the hook time limit (``hooks_timeout``).
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.errors import BadRequestError

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

DEFAULT_HTTP_TIMEOUT = 120  # seconds, PocketBase's $http.send default
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_PROXIED = urllib.request.build_opener()
_CHUNK = 64 << 10


def _bytes(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, dict) and "$text" in data:
        return str(data["$text"]).encode()
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, list):
        return bytes(int(b) & 0xFF for b in data)
    return str(data).encode()


def _limit(ex: Executor, seconds: Any, default: float) -> float:
    try:
        wanted = float(seconds) if seconds not in (None, "", 0) else default
    except (TypeError, ValueError):
        wanted = default
    if wanted <= 0:
        wanted = default
    return min(wanted, ex.runtime.timeout)


# ---- $http -----------------------------------------------------------------------------------


def _canonical(name: str) -> str:
    """Go's CanonicalMIMEHeaderKey: ``content-type`` -> ``Content-Type``."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _multipart(entries: list[Any]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    out = bytearray()
    for key, value in entries:
        name = str(key).replace('"', "%22")
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += _bytes(value) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _cookies(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for header in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        for name, morsel in jar.items():
            max_age = morsel["max-age"]
            out[name] = {
                "name": name, "value": morsel.value, "path": morsel["path"], "domain": morsel["domain"],
                "expires": morsel["expires"], "rawExpires": morsel["expires"],
                "maxAge": int(max_age) if str(max_age).lstrip("-").isdigit() else 0,
                "secure": bool(morsel["secure"]), "httpOnly": bool(morsel["httponly"]),
                "sameSite": morsel["samesite"], "raw": header,
            }
    return out


def http_send(ex: Executor, config: Any) -> dict[str, Any]:
    """One HTTP request: ``{url, method, body, headers, timeout}`` -> the PocketBase result shape."""
    config = config if isinstance(config, dict) else {}
    url = str(config.get("url") or "")
    if not url.lower().startswith(("http://", "https://")):
        raise BadRequestError(f"unsupported URL {url!r} (http or https only)")
    method = str(config.get("method") or "GET").upper()
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    body = config.get("body")
    data: bytes | None
    if config.get("data"):
        data = orjson.dumps(config["data"])  # NOTE: PocketBase's deprecated JSON "data" option
    elif isinstance(body, dict) and "$form" in body:
        data, content_type = _multipart(body["$form"])
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = content_type
    else:
        data = _bytes(body)
    if not data and method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        data = None
    timeout = _limit(ex, config.get("timeout"), DEFAULT_HTTP_TIMEOUT)
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    # NOTE: as Go's http.Client, proxies from the environment apply except to loopback hosts.
    opener = _DIRECT if urllib.parse.urlsplit(url).hostname in _LOOPBACK else _PROXIED
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as ex_:
        response = ex_  # a 4xx/5xx answer is a result, not an error (as Go's http.Client)
    except (urllib.error.URLError, OSError, ValueError) as ex_:
        reason = getattr(ex_, "reason", ex_)
        raise BadRequestError(f"{method} {url}: {reason}") from ex_
    with response:
        raw = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise BadRequestError(f"{method} {url}: timeout after {timeout:g} s reading the body")
            try:
                chunk = response.read(_CHUNK)
            except (OSError, ValueError) as ex_:
                raise BadRequestError(f"{method} {url}: {ex_}") from ex_
            if not chunk:
                break
            raw += chunk
        header_map: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            header_map.setdefault(_canonical(name), []).append(value)
        status = int(getattr(response, "status", None) or response.getcode() or 0)
    body_bytes = bytes(raw)
    parsed: Any = None
    if body_bytes:
        try:
            candidate = orjson.loads(body_bytes)
            parsed = candidate if isinstance(candidate, dict | list) else None
        except orjson.JSONDecodeError:
            parsed = None
    return {
        "statusCode": status,
        "headers": header_map,
        "cookies": _cookies(header_map.get("Set-Cookie", [])),
        "body": body_bytes,
        "raw": body_bytes.decode("utf-8", "replace"),
        "json": parsed,
    }


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


def _wrap_os(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(ex: Executor, *args: Any) -> Any:
        try:
            return fn(*args)
        except FileNotFoundError as ex_:
            raise BadRequestError(f"{ex_.filename}: no such file or directory") from ex_
        except OSError as ex_:
            raise BadRequestError(f"{getattr(ex_, 'filename', '') or ''}: {ex_.strerror or ex_}") from ex_

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
    except OSError as ex_:
        raise BadRequestError(f'exec: "{argv[0]}": {ex_.strerror or ex_}') from ex_
    return {"stdout": done.stdout, "stderr": done.stderr, "code": done.returncode}


OPS_OS: dict[str, Callable[..., Any]] = {
    "os.getenv": lambda ex, key: os.environ.get(str(key), ""),
    "os.args": lambda ex: list(sys.argv),
    "os.readFile": _wrap_os(_read_file),
    "os.writeFile": _wrap_os(_write_file),
    "os.readDir": _wrap_os(_read_dir),
    "os.stat": _wrap_os(lambda path: _info(_path(path))),
    "os.mkdir": _wrap_os(lambda path, perm=None: os.mkdir(_path(path), _mode(perm, 0o755))),
    "os.mkdirAll": _wrap_os(lambda path, perm=None: os.makedirs(_path(path), _mode(perm, 0o755), exist_ok=True)),
    "os.remove": _wrap_os(_remove),
    "os.removeAll": _wrap_os(_remove_all),
    "os.rename": _wrap_os(lambda old, new: os.rename(_path(old), _path(new))),
    "os.truncate": _wrap_os(_truncate),
    "os.tempDir": lambda ex: os.environ.get("TMPDIR") or "/tmp",  # noqa: S108 - Go's os.TempDir
    "os.getwd": _wrap_os(os.getcwd),
    "os.exec": os_exec,
}


# ---- $filepath (Go's path/filepath on a slash-separated system) ------------------------------


def go_clean(path: Any) -> str:
    """Go's ``filepath.Clean``."""
    text = "" if path is None else str(path)
    if not text:
        return "."
    cleaned = posixpath.normpath(text)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def go_base(path: Any) -> str:
    """Go's ``filepath.Base``."""
    text = "" if path is None else str(path)
    if not text:
        return "."
    text = text.rstrip("/")
    return "/" if not text else text.rsplit("/", 1)[-1]


def go_dir(path: Any) -> str:
    """Go's ``filepath.Dir``."""
    text = "" if path is None else str(path)
    return go_clean(text[: text.rfind("/") + 1])


def go_ext(path: Any) -> str:
    """Go's ``filepath.Ext``: from the last dot of the last element, dot included."""
    text = "" if path is None else str(path)
    for index in range(len(text) - 1, -1, -1):
        if text[index] == "/":
            break
        if text[index] == ".":
            return text[index:]
    return ""


def go_join(*parts: Any) -> str:
    """Go's ``filepath.Join``: empty elements ignored, the result cleaned."""
    items = [str(p) for p in parts if p not in (None, "")]
    return go_clean("/".join(items)) if items else ""


def go_rel(base: Any, target: Any) -> str:
    """Go's ``filepath.Rel``."""
    b, t = go_clean(base), go_clean(target)
    if b.startswith("/") != t.startswith("/"):
        raise BadRequestError(f"Rel: can't make {t} relative to {b}")
    return posixpath.relpath(t, b)


def go_split(path: Any) -> list[str]:
    """Go's ``filepath.Split``: [dir with its trailing slash, file]."""
    text = "" if path is None else str(path)
    index = text.rfind("/") + 1
    return [text[:index], text[index:]]


def go_match(pattern: Any, name: Any) -> bool:
    """Go's ``filepath.Match``: ``*`` and ``?`` never match ``/``; ``[...]`` classes."""
    regex = ""
    text = str(pattern or "")
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            regex += "[^/]*"
        elif c == "?":
            regex += "[^/]"
        elif c == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise BadRequestError("syntax error in pattern")
            body = text[i + 1 : end]
            regex += "[" + ("^" + body[1:] if body.startswith("^") else body).replace("\\", "\\\\") + "]"
            i = end
        elif c == "\\" and i + 1 < len(text):
            i += 1
            regex += re.escape(text[i])
        else:
            regex += re.escape(c)
        i += 1
    return re.fullmatch(regex, str(name or "")) is not None


OPS_FILEPATH: dict[str, Callable[..., Any]] = {
    "filepath.base": lambda ex, p: go_base(p),
    "filepath.clean": lambda ex, p: go_clean(p),
    "filepath.dir": lambda ex, p: go_dir(p),
    "filepath.ext": lambda ex, p: go_ext(p),
    "filepath.join": lambda ex, *parts: go_join(*parts),
    "filepath.abs": lambda ex, p: go_clean(os.path.abspath(str(p or "."))),
    "filepath.rel": lambda ex, base, target: go_rel(base, target),
    "filepath.isAbs": lambda ex, p: str(p or "").startswith("/"),
    "filepath.split": lambda ex, p: go_split(p),
    "filepath.splitList": lambda ex, p: str(p).split(os.pathsep) if p else [],
    "filepath.toSlash": lambda ex, p: str(p or ""),
    "filepath.fromSlash": lambda ex, p: str(p or ""),
    "filepath.match": lambda ex, pattern, name: go_match(pattern, name),
    "filepath.glob": lambda ex, pattern: sorted(glob.glob(str(pattern or ""))),
}

OPS_SYS: dict[str, Callable[..., Any]] = {"http.send": http_send, **OPS_OS, **OPS_FILEPATH}
