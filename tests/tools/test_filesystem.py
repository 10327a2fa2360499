"""The storage backends (local directory and S3 through moto's server), names and content types."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pybase.tools.filesystem import FileNotFound, LocalStorage, detect, is_mime, normalize_name
from pybase.tools.filesystem.file import File, FileTooLarge, snakecase
from pybase.tools.filesystem.mimetype import detect_with_extension
from pybase.tools.filesystem.s3 import S3Storage
from pybase.tools.filesystem.thumbs import ThumbError, make_thumb
from tests.files.conftest import png
from tests.s3_server import make_bucket, moto_endpoint

__all__ = ["moto_endpoint"]  # the fixture

NAME_RE = re.compile(r"^(?P<base>.+)_(?P<suffix>[a-z0-9]{10})(?P<ext>.*)$")


@pytest.mark.parametrize(
    ("original", "head", "base", "ext"),
    [
        ("My Photo.PNG", b"", "my_photo", ".PNG"),
        ("helloWorld test.txt", b"", "hello_world_test", ".txt"),
        ("archive.tar.gz", b"", "archive", ".tar.gz"),
        ("passwd", b"root", "passwd", ".txt"),
        ("image", png(2, 2), "image", ".png"),
        ("noext", b"\x00\x01\x02", "noext", ""),
        ("ab\\evil.sh", b"", "ab_evil", ".sh"),
        ("x" * 400 + ".txt", b"", "x" * 100, ".txt"),
        ("file.a$b%c", b"", "file", ".abc"),
    ],
)
def test_names_as_pocketbase(original: str, head: bytes, base: str, ext: str) -> None:
    match = NAME_RE.match(normalize_name(original, head))
    assert match is not None
    assert match["base"] == base and match["ext"] == ext


def test_short_names_get_a_random_base() -> None:
    match = NAME_RE.match(normalize_name("a.bin"))
    assert match is not None and len(match["base"]) == 11 and match["base"].startswith("a")
    assert normalize_name("same.txt") != normalize_name("same.txt")


def test_snakecase() -> None:
    assert snakecase("MyHTTPServer  v2!") == "my_httpserver_v2"
    assert snakecase("héllo wörld") == "h_llo_w_rld"


@pytest.mark.parametrize(
    ("head", "mime", "ext"),
    [
        (png(1, 1), "image/png", ".png"),
        (b"\xff\xd8\xff\xe0....JFIF", "image/jpeg", ".jpg"),
        (b"GIF89a....", "image/gif", ".gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", ".webp"),
        (b"%PDF-1.7\n", "application/pdf", ".pdf"),
        (b"PK\x03\x04\x14\x00", "application/zip", ".zip"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4", ".mp4"),
        (b"hello", "text/plain; charset=utf-8", ".txt"),
        (b'{"a": 1}', "application/json", ".json"),
        (b"<!DOCTYPE html><html>", "text/html; charset=utf-8", ".html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", ".svg"),
        (b"\x00\x01\x02\x03", "application/octet-stream", ""),
    ],
)
def test_content_types_from_the_head(head: bytes, mime: str, ext: str) -> None:
    assert detect_with_extension(head) == (mime, ext)


def test_mime_matching_ignores_parameters_and_knows_aliases() -> None:
    assert is_mime(detect(b"hello"), "text/plain")
    assert is_mime("image/jpeg", "image/jpg")
    assert not is_mime("image/png", "image/jpeg")


def test_upload_is_refused_past_its_limit_without_reading_on(tmp_path: Path) -> None:
    class Endless(io.RawIOBase):
        reads = 0

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            return b"x" * (size if size > 0 else 1024)

    stream = Endless()
    with pytest.raises(FileTooLarge):
        File.from_stream(stream, "big.bin", str(tmp_path), limit=1 << 20)  # type: ignore[arg-type]
    assert stream.reads <= 6
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "local":
        yield LocalStorage(str(tmp_path / "storage"))
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = "tools-" + tmp_path.name.lower().replace("_", "-")[-30:].strip("-")
    make_bucket(endpoint, bucket)
    s3 = S3Storage(bucket, region="us-east-1", endpoint=endpoint, access_key="testing", secret="testing", force_path_style=True)
    yield s3
    s3.close()


def test_put_read_ranges_and_delete(storage: Any, tmp_path: Path) -> None:
    content = bytes(range(256)) * 4096  # 1 MiB
    storage.put("col/rec/a.bin", io.BytesIO(content), "application/octet-stream", {"original-filename": "a.bin"})
    attrs = storage.attributes("col/rec/a.bin")
    assert attrs.size == len(content) and attrs.content_type == "application/octet-stream"
    assert attrs.metadata.get("original-filename") == "a.bin"
    reader = storage.open("col/rec/a.bin")
    assert b"".join(reader) == content
    reader.close()
    reader = storage.open("col/rec/a.bin", 1000, 10)
    assert reader.read() == content[1000:1010]
    reader.close()
    source = tmp_path / "upload"
    source.write_bytes(b"moved")
    storage.put_path("col/rec/thumbs_a.bin/10x10_a.bin", str(source), "text/plain")
    storage.put("col/other/b.txt", io.BytesIO(b"b"), "text/plain")
    assert sorted(storage.list("col/rec/")) == ["col/rec/a.bin", "col/rec/thumbs_a.bin/10x10_a.bin"]
    assert storage.delete_prefix("col/rec/") == []
    assert list(storage.list("col/rec/")) == []
    assert storage.exists("col/other/b.txt")
    storage.delete("col/other/b.txt")
    with pytest.raises(FileNotFound):
        storage.delete("col/other/b.txt")
    with pytest.raises(FileNotFound):
        storage.attributes("col/missing.txt")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../../b", "a\\b", "a/./b", ""])
def test_unsafe_keys_are_not_found(key: str, tmp_path: Path) -> None:
    local = LocalStorage(str(tmp_path / "storage"))
    with pytest.raises(FileNotFound):
        local.open(key)


def test_local_layout_is_pocketbases(tmp_path: Path) -> None:
    local = LocalStorage(str(tmp_path))
    local.put("c/r/f.txt", io.BytesIO(b"x"), "text/plain; charset=utf-8")
    attrs = (tmp_path / "c" / "r" / "f.txt.attrs").read_text()
    assert '"user.content_type":"text/plain; charset=utf-8"' in attrs and '"md5":' in attrs
    local.delete("c/r/f.txt")
    assert not (tmp_path / "c").exists()  # empty directories go too


@pytest.mark.parametrize(
    ("size", "expected"),
    [("50x50", (50, 50)), ("20x0", (20, 10)), ("0x20", (40, 20)), ("30x30t", (30, 30)), ("30x30b", (30, 30)), ("30x30f", (30, 15))],
)
def test_thumb_sizes(size: str, expected: tuple[int, int]) -> None:
    from PIL import Image

    data, content_type = make_thumb(io.BytesIO(png(80, 40)), size, "image/png")
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(data)).size == expected


def test_thumb_of_a_broken_image() -> None:
    with pytest.raises(ThumbError):
        make_thumb(io.BytesIO(b"\x89PNG\r\n\x1a\nbroken"), "10x10", "image/png")
