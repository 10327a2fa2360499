"""Fixtures of the files tests: a collection with file fields, served on local storage and on
S3 (moto's server mode on loopback, a real S3 HTTP endpoint started here)."""

from __future__ import annotations

import contextlib
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pybase.core.files.service import STORAGE_DIR
from tests.s3_server import make_bucket, moto_endpoint, s3_settings
from tests.testapp import TestServer, start_server

__all__ = ["make_bucket", "moto_endpoint", "s3_settings"]


def png(width: int, height: int, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A real PNG image of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


DOCS_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "text"},
    {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 100000, "thumbs": ["50x50", "20x0", "0x20", "30x30t", "30x30b", "30x30f"]},
    {"name": "many", "type": "file", "maxSelect": 3, "mimeTypes": ["image/png", "text/plain"]},
    {"name": "secret", "type": "file", "maxSelect": 1, "protected": True},
    {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
]


class FilesEnv:
    """A server with the ``docs`` collection, on local storage or S3."""

    def __init__(self, server: TestServer, backend: str, s3: Any = None, bucket: str = "") -> None:
        self.server = server
        self.backend = backend
        self.s3 = s3
        self.bucket = bucket
        self.su = {"Authorization": server.token("superuser")}
        # the collections before the docs collection (the fixture data's): clean_env keeps them
        self.baseline = {c["name"] for c in self.collections()} - {"docs"}

    def collections(self) -> list[dict[str, Any]]:
        """Every collection, newest first."""
        return self.server.request("GET", "/api/collections?perPage=500&sort=-created", headers=self.su).json()["items"]

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key (files only, no local sidecars)."""
        if self.backend == "s3":
            answer = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
            return sorted(o["Key"] for o in answer.get("Contents") or [])
        return sorted(self.server.app.files.local.list(prefix))

    def create(self, files: list[tuple[str, tuple[str, bytes, str]]], data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.server.request("POST", "/api/collections/docs/records", files=files, data=data or {}, **kw)

    def file_url(self, record: dict[str, Any], name: str) -> str:
        return f"/api/files/docs/{record['id']}/{name}"


def _create_docs(server: TestServer, su: dict[str, str]) -> None:
    answer = server.request("POST", "/api/collections", headers=su, json={
        "name": "docs", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
        "deleteRule": "", "fields": DOCS_FIELDS,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text


@contextlib.contextmanager
def files_env(request: pytest.FixtureRequest, root: Path, fixture_data: Path, backend: str, databases: Any) -> Iterator[FilesEnv]:
    """A server in ``root`` with the docs collection on the storage ``request.param`` names."""
    url = ""
    template = fixture_data
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    server = start_server(root, template, url)
    try:
        su = {"Authorization": server.token("superuser")}
        _create_docs(server, su)
        s3 = bucket = None
        if request.param == "s3":
            endpoint = request.getfixturevalue("moto_endpoint")
            bucket = f"b{root.name.lower().replace('_', '-')[-40:]}".strip("-")
            s3 = make_bucket(endpoint, bucket)
            answer = server.request("PATCH", "/api/settings", headers=su, json={"s3": s3_settings(endpoint, bucket)})
            assert answer.status_code == 200, answer.text
        yield FilesEnv(server, request.param, s3, bucket or "")
    finally:
        server.stop()
        databases.drop(url)


@pytest.fixture(params=["local", "s3"])
def env(
    request: pytest.FixtureRequest, tmp_path: Path, fixture_data: Path, backend: str, databases: Any
) -> Iterator[FilesEnv]:
    """The docs collection on each file storage (and, in both_backends modules, each database)."""
    with files_env(request, tmp_path, fixture_data, backend, databases) as made:
        yield made


@pytest.fixture(scope="module", params=["local", "s3"])
def shared_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, fixture_data: Path, backend: str, databases: Any
) -> Iterator[FilesEnv]:
    """:func:`env` for every test of a module that changes nothing but its own records (PERF:
    a server per test cost ~1.5 s of CI time each)."""
    with files_env(request, tmp_path_factory.mktemp("files_env"), fixture_data, backend, databases) as made:
        yield made


@pytest.fixture
def clean_env(shared_env: FilesEnv) -> Iterator[FilesEnv]:
    """:func:`env` on the module's server (:func:`shared_env`), as if fresh: before each test the
    collections the last one made are deleted, the docs collection is made again and the storage
    (local and S3) emptied straight through the storage, not through pybase; after it no upload
    may wait in the temp dir. PERF: a server per test cost ~1.5 s each (test_uploads: 64).
    NOTE: not beside :func:`shared_env`'s own records (they go)."""
    env = shared_env
    server = env.server
    for collection in env.collections():  # NOTE: newest first: a relation to docs before docs
        if collection["name"] not in env.baseline:
            answer = server.request("DELETE", f"/api/collections/{collection['id']}", headers=env.su)
            assert answer.status_code == 204, answer.text
    _empty_storage(env)
    _create_docs(server, env.su)
    assert env.keys() == [] and list(server.app.files.local.list("")) == []
    yield env
    assert list(Path(server.app.files.temp_dir).glob("*")) == [], "an upload was left in the temp dir"


def _empty_storage(env: FilesEnv) -> None:
    root = Path(env.server.app.data_dir) / STORAGE_DIR
    if root.is_dir():
        for child in root.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    if env.s3 is not None:
        for key in env.keys():
            env.s3.delete_object(Bucket=env.bucket, Key=key)


def text_file(name: str, content: bytes = b"hello") -> tuple[str, bytes, str]:
    return (name, content, "text/plain")


def image_file(name: str = "photo.png", width: int = 80, height: int = 40) -> tuple[str, bytes, str]:
    return (name, png(width, height), "image/png")

