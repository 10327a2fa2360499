"""``$filepath`` for JS: Go's ``path/filepath`` on a slash-separated system."""

from __future__ import annotations

import glob
import os
import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError

if TYPE_CHECKING:
    pass


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
        # NOTE: as Go, the error names the paths as given (not cleaned)
        raise BadRequestError(f"Rel: can't make {'' if target is None else target} relative to {'' if base is None else base}")
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


OPS: dict[str, Callable[..., Any]] = {
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
