"""An uploaded file waiting to be stored: a temp file on disk plus the names PocketBase gives it."""

from __future__ import annotations

import os
import re
import secrets
from typing import Any, BinaryIO

from pybase.tools.filesystem.base import CHUNK
from pybase.tools.filesystem.mimetype import HEAD_SIZE, detect_with_extension

_RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_EXT_INVALID = re.compile(r"[^\w.*\-+=#]+", re.ASCII)
_SPLIT = re.compile(r"[\W_]+", re.ASCII)  # Go's \W is ASCII only


def random_suffix(length: int = 10) -> str:
    """``length`` random characters of ``[a-z0-9]``."""
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(length))


def snakecase(text: str) -> str:
    """PocketBase's inflector: words split at non-word characters, camelCase humps split too."""
    words = []
    for word in _SPLIT.split(text):
        if not word:
            continue
        out = []
        for i, c in enumerate(word):
            if c.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(c)
        words.append("".join(out))
    return "_".join(words).lower()


def _extension(name: str) -> str:
    """The last extension, or the last two (``.tar.gz``) as PocketBase takes them."""
    primary = name.rfind(".")
    if primary == -1:
        return ""
    secondary = name.rfind(".", 0, primary)
    return name[secondary:] if secondary >= 0 else name[primary:]


def normalize_name(original: str, head: bytes = b"") -> str:
    """The stored name of an upload: sanitised base, ``_``, 10 random characters, extension.

    As PocketBase: the extension comes from the original name, or from the content (``head``)
    when the name has none.
    """
    raw = original.encode()
    if len(raw) > 300:
        original = raw[-300:].decode(errors="ignore")
    original_ext = _extension(original)
    clean_ext = "." + _EXT_INVALID.sub("", original_ext).strip(".")
    if clean_ext == ".":
        clean_ext = detect_with_extension(head)[1]
    if len(clean_ext) > 20:
        clean_ext = "." + clean_ext[-20:].strip(".")
    base = original[: len(original) - len(original_ext)] if original_ext else original
    clean = snakecase(base.strip("."))
    if len(clean) < 3:
        clean += random_suffix()
    elif len(clean) > 100:
        clean = clean[:100]
    return f"{clean}_{random_suffix()}{clean_ext}"


class File:
    """A file to store: its content in a temp file, its original and normalized names.

    ``head`` keeps the first bytes for content type checks, so the content is never read
    again to classify it.
    """

    __slots__ = ("content_type", "head", "name", "original_name", "path", "size")

    def __init__(self, path: str, original_name: str, size: int, head: bytes, name: str = "") -> None:
        self.path = path
        self.original_name = original_name
        self.size = size
        self.head = head[:HEAD_SIZE]
        self.content_type = detect_with_extension(self.head)[0]
        self.name = name or normalize_name(original_name, self.head)

    @classmethod
    def from_stream(
        cls, stream: BinaryIO, original_name: str, temp_dir: str, *, limit: int | None = None
    ) -> File:
        """Copy ``stream`` into a new temp file in ``temp_dir``, chunk by chunk.

        Raises :class:`FileTooLarge` as soon as more than ``limit`` bytes were read (the rest
        of the stream is not read).
        """
        os.makedirs(temp_dir, exist_ok=True)
        path = os.path.join(temp_dir, "upload_" + secrets.token_hex(12))
        size = 0
        head = b""
        try:
            with open(path, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise FileTooLarge(original_name, limit)
                    if len(head) < HEAD_SIZE:
                        head += chunk[: HEAD_SIZE - len(head)]
                    out.write(chunk)
        except BaseException:
            _remove(path)
            raise
        return cls(path, original_name, size, head)

    @classmethod
    def from_bytes(cls, content: bytes, original_name: str, temp_dir: str) -> File:
        """A file from bytes already in memory (hooks, small test data)."""
        import io

        return cls.from_stream(io.BytesIO(content), original_name, temp_dir)

    def open(self) -> BinaryIO:
        """The content, from the start."""
        return open(self.path, "rb")

    def discard(self) -> None:
        """Remove the temp file (nothing when it was moved into storage)."""
        _remove(self.path)

    def as_map(self) -> dict[str, Any]:
        """What hooks see: name, originalName and size."""
        return {"name": self.name, "originalName": self.original_name, "size": self.size}

    def __repr__(self) -> str:
        return f"File({self.name!r}, {self.size} bytes)"


class FileTooLarge(Exception):  # noqa: N818 - reads as what happened
    """An upload went past its field's ``maxSize`` while it was read."""

    def __init__(self, original_name: str, limit: int) -> None:
        super().__init__(f"{original_name} is larger than {limit} bytes")
        self.original_name = original_name
        self.limit = limit


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
