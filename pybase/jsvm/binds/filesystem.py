"""``$filesystem`` for JS: files to attach to records (PocketBase's ``filesystem.File``).

A file crosses to JS as a handle (``$t`` ``"f"``) whose ``name``, ``originalName`` and ``size``
read its attributes; passed back (``record.set("docs", file)``, ``"docs+"``...) it is the same
upload a multipart request makes, stored when the record is saved.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.jsvm.binds.http import _bytes
from pybase.tools.filesystem import File

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor

DEFAULT_URL_TIMEOUT = 120.0


def _temp_dir(ex: Executor) -> str:
    return str(ex.runtime.app.files.temp_dir)


def from_bytes(ex: Executor, data: Any, name: Any) -> File:
    content = _bytes(data)
    if not content:
        raise BadRequestError("cannot create an empty file")
    return File.from_bytes(content, str(name or ""), _temp_dir(ex))


def from_path(ex: Executor, path: Any) -> File:
    text = str(path or "")
    try:
        with open(text, "rb") as fh:
            return File.from_stream(fh, os.path.basename(text), _temp_dir(ex))
    except OSError as ex_:
        raise BadRequestError(f"failed to read {text!r}: {ex_.strerror}") from ex_


def from_url(ex: Executor, url: Any, timeout: Any = None) -> File:
    text = str(url or "")
    if not text.startswith(("http://", "https://")):
        raise BadRequestError(f"unsupported URL {text!r}")
    seconds = float(timeout) if timeout else DEFAULT_URL_TIMEOUT
    try:
        with urllib.request.urlopen(text, timeout=seconds) as answer:  # noqa: S310 - http(s) only, checked above
            name = os.path.basename(answer.url.split("?", 1)[0].rstrip("/")) or "file"
            return File.from_stream(answer, name, _temp_dir(ex))
    except OSError as ex_:
        raise BadRequestError(f"failed to download url {text}: {ex_}") from ex_


def attributes(ex: Executor, file: Any) -> dict[str, Any]:
    if not isinstance(file, File):
        raise BadRequestError("not a file")
    return file.as_map()


OPS: dict[str, Callable[..., Any]] = {
    "filesystem.fileFromBytes": from_bytes,
    "filesystem.fileFromPath": from_path,
    "filesystem.fileFromURL": from_url,
    "filesystem.attrs": attributes,
}
