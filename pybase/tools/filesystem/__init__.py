"""Blob storage for uploaded files: a local directory or an S3-compatible bucket, streamed.

Keys are ``/``-separated relative paths. Every backend streams both ways: :meth:`Storage.put`
copies from a readable binary stream in chunks and :meth:`Storage.open` returns a reader of a
byte range; no whole file is held in memory.
"""

from __future__ import annotations

from pybase.tools.filesystem.base import (
    Attributes,
    FileNotFound,
    Storage,
    StorageError,
    check_key,
)
from pybase.tools.filesystem.file import File, normalize_name
from pybase.tools.filesystem.local import LocalStorage
from pybase.tools.filesystem.mimetype import detect, is_mime

__all__ = [
    "Attributes",
    "File",
    "FileNotFound",
    "LocalStorage",
    "Storage",
    "StorageError",
    "check_key",
    "detect",
    "is_mime",
    "normalize_name",
]
