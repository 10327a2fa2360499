"""The storage protocol shared by the local and the S3 backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

#: bytes read or written per step when streaming
CHUNK = 256 << 10


class StorageError(Exception):
    """A backend failure (network, permissions, bad configuration)."""


class FileNotFound(StorageError):  # noqa: N818 - the storage's own "not found"
    """No file under that key."""


@dataclass
class Attributes:
    """What a backend knows of a stored file."""

    size: int
    modified: datetime
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)


def check_key(key: str) -> str:
    """``key`` when it is a safe relative path (no ``..``, no leading ``/``, no NUL).

    A backslash is a character of the name, as in PocketBase's local driver on Linux (an
    uploaded backup may be named ``a\\b.zip``); only where it separates paths (Windows) is it
    refused.
    """
    if not key or key.startswith("/") or "\x00" in key or (os.sep == "\\" and "\\" in key):
        raise FileNotFound(key)
    if any(part in ("", ".", "..") for part in key.rstrip("/").split("/")):
        raise FileNotFound(key)
    return key


class Reader(Protocol):
    """A stream of a stored file (or of a range of it); close it when done."""

    def __iter__(self) -> Iterator[bytes]: ...

    def read(self, size: int = -1) -> bytes: ...

    def close(self) -> None: ...


class Storage(Protocol):
    """A place files are stored in, by key."""

    #: "local" or "s3"
    kind: str

    def put(self, key: str, stream: BinaryIO, content_type: str, metadata: dict[str, str] | None = None) -> None:
        """Store what ``stream`` holds under ``key`` (replacing any file there)."""

    def put_path(self, key: str, path: str, content_type: str, metadata: dict[str, str] | None = None) -> None:
        """Store the file at ``path`` under ``key``; the file at ``path`` may be moved."""

    def attributes(self, key: str) -> Attributes:
        """Size, modification time, content type and metadata; FileNotFound when missing."""

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""

    def open(self, key: str, start: int = 0, length: int | None = None) -> Reader:
        """A reader of ``length`` bytes (to the end when None) from ``start``."""

    def delete(self, key: str) -> None:
        """Remove the file under ``key``; FileNotFound when missing."""

    def delete_prefix(self, prefix: str) -> list[str]:
        """Remove every file whose key starts with ``prefix``; the keys that failed."""

    def list(self, prefix: str) -> Iterator[str]:
        """The keys under ``prefix``."""

    def check(self) -> None:
        """Raise StorageError when the storage cannot be used (S3: bucket missing...)."""

    def close(self) -> None:
        """Release connections."""
