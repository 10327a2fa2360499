"""Files in a local directory (``pb_data/storage``), laid out as PocketBase lays them out.

Each file has a ``<name>.attrs`` JSON sidecar with its content type and metadata, in the shape
PocketBase's local driver writes, so a PocketBase ``pb_data/storage`` is readable as is.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

import orjson

from pybase.tools.filesystem.base import CHUNK, Attributes, FileNotFound, StorageError, check_key

ATTRS_EXT = ".attrs"
TMP_MARK = ".pbtmp-"  # a file being written (never listed)


class _RangeReader:
    """Up to ``length`` bytes of an open file, in chunks."""

    def __init__(self, fh: BinaryIO, length: int | None) -> None:
        self._fh = fh
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left is not None:
            size = self._left if size < 0 else min(size, self._left)
        data = self._fh.read(size)
        if self._left is not None:
            self._left -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.read(CHUNK)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        self._fh.close()


class LocalStorage:
    """A directory of files, keys mapped to relative paths."""

    kind = "local"

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def _path(self, key: str) -> str:
        check_key(key)
        if key.endswith(ATTRS_EXT):
            raise FileNotFound(key)  # NOTE: the sidecars are not files of their own
        path = os.path.join(self.root, *key.split("/"))
        if not path.startswith(self.root + os.sep):
            raise FileNotFound(key)
        return path

    def put(self, key: str, stream: BinaryIO, content_type: str, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}{TMP_MARK}{secrets.token_hex(6)}"
        md5 = hashlib.md5(usedforsecurity=False)
        try:
            with open(tmp, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    md5.update(chunk)
                    out.write(chunk)
            self._write_attrs(path, content_type, metadata, md5.digest())
            os.replace(tmp, path)
        except OSError as ex:
            _remove(tmp)
            raise StorageError(str(ex)) from ex

    def put_path(self, key: str, path: str, content_type: str, metadata: dict[str, str] | None = None) -> None:
        target = self._path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            # PERF: an upload's temp file on the same disk is moved, not copied.
            self._write_attrs(target, content_type, metadata, None)
            os.replace(path, target)
        except OSError:
            with open(path, "rb") as fh:
                self.put(key, fh, content_type, metadata)

    @staticmethod
    def _write_attrs(path: str, content_type: str, metadata: dict[str, str] | None, md5: bytes | None) -> None:
        attrs = {
            "user.cache_control": "",
            "user.content_disposition": "",
            "user.content_encoding": "",
            "user.content_language": "",
            "user.content_type": content_type,
            "user.metadata": metadata or None,
            "md5": base64.b64encode(md5).decode() if md5 else None,
        }
        with open(path + ATTRS_EXT, "wb") as fh:
            fh.write(orjson.dumps(attrs) + b"\n")

    def attributes(self, key: str) -> Attributes:
        path = self._path(key)
        try:
            info = os.stat(path)
        except OSError as ex:
            raise FileNotFound(key) from ex
        if not os.path.isfile(path):
            raise FileNotFound(key)
        content_type, metadata = "application/octet-stream", {}
        try:
            with open(path + ATTRS_EXT, "rb") as fh:
                attrs = orjson.loads(fh.read())
            content_type = attrs.get("user.content_type") or content_type
            metadata = attrs.get("user.metadata") or {}
        except (OSError, orjson.JSONDecodeError):
            pass
        modified = datetime.fromtimestamp(info.st_mtime, UTC)
        return Attributes(info.st_size, modified, content_type, metadata)

    def exists(self, key: str) -> bool:
        try:
            return os.path.isfile(self._path(key))
        except FileNotFound:
            return False

    def open(self, key: str, start: int = 0, length: int | None = None) -> _RangeReader:
        path = self._path(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as ex:
            raise FileNotFound(key) from ex
        if start:
            fh.seek(start)
        return _RangeReader(fh, length)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.remove(path)
        except FileNotFoundError as ex:
            raise FileNotFound(key) from ex
        except OSError as ex:
            raise StorageError(str(ex)) from ex
        _remove(path + ATTRS_EXT)
        self._prune(os.path.dirname(path))

    def delete_prefix(self, prefix: str) -> list[str]:
        failed = []
        for key in list(self.list(prefix)):
            try:
                self.delete(key)
            except FileNotFound:
                pass
            except StorageError:
                failed.append(key)
        if prefix.endswith("/"):
            try:
                directory = self._path(prefix.rstrip("/"))
            except FileNotFound:
                return failed
            if os.path.isdir(directory) and not failed:
                shutil.rmtree(directory, ignore_errors=True)
                self._prune(os.path.dirname(directory))
        return failed

    def list(self, prefix: str) -> Iterator[str]:
        directory = self.root
        if "/" in prefix:
            directory = os.path.join(self.root, *prefix.rsplit("/", 1)[0].split("/"))
        if not os.path.isdir(directory):
            return
        for current, _dirs, names in os.walk(directory):
            rel = os.path.relpath(current, self.root).replace(os.sep, "/")
            for name in sorted(names):
                if name.endswith(ATTRS_EXT) or TMP_MARK in name:
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    yield key

    def check(self) -> None:
        os.makedirs(self.root, exist_ok=True)

    def close(self) -> None:
        return None

    def _prune(self, directory: str) -> None:
        """Remove empty directories up to the root (a deleted record leaves no empty dir)."""
        while directory.startswith(self.root + os.sep):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = os.path.dirname(directory)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
