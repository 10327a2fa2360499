"""Uploads: multipart record writes with files, identical to PocketBase (random name parts masked)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conformance.harness import Answer, Pair, Request, Target
from tests.conformance.known import explain
from tests.files.conftest import png

pytestmark = pytest.mark.both_backends

COLLECTION = "conf_files"
RECORD = "fileconf0000001"
FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "text"},
    {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 1000, "thumbs": ["50x50"]},
    {"name": "many", "type": "file", "maxSelect": 3, "mimeTypes": ["image/png", "text/plain"]},
    {"name": "docs", "type": "file", "maxSelect": 2, "mimeTypes": ["application/pdf"]},
    {"name": "req", "type": "file", "maxSelect": 1, "protected": True},
]
PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}
_RANDOM = re.compile(r"_[a-z0-9]{10}(?=\.|$|\")")
_SHORT_BASE = re.compile(r"(?<![\w])([a-z0-9]{1,2})[a-z0-9]{10}_<random>")

TXT = ("notes.txt", b"hello", "text/plain")
PNG = ("My Photo.PNG", png(4, 4), "image/png")
BIN = ("blob.bin", b"\x00\x01\x02binary", "application/octet-stream")
PDF = ("paper.pdf", b"%PDF-1.4\n%...", "application/pdf")

CASES: list[tuple[str, str, tuple[tuple[str, Any], ...]]] = [
    ("one png", "POST", (("one", PNG),)),
    ("several into many", "POST", (("many", TXT), ("many", ("second.txt", b"2", "text/plain")))),
    ("too many files", "POST", tuple(("many", (f"file{i}.txt", b"x", "text/plain")) for i in range(4))),
    ("file over maxSize", "POST", (("one", ("big.bin", b"x" * 1001, "application/octet-stream")),)),
    ("file at maxSize", "POST", (("one", ("edge.bin", b"x" * 1000, "application/octet-stream")),)),
    ("wrong mime type", "POST", (("many", BIN),)),
    ("mime by content not name", "POST", (("docs", ("fake.pdf", b"not a pdf", "application/pdf")),)),
    ("real pdf", "POST", (("docs", PDF),)),
    ("empty file name is a plain value", "POST", (("one", ("", b"plain", "text/plain")),)),
    ("path in the file name", "POST", (("one", ("../../etc/passwd", b"root", "text/plain")),)),
    ("empty file", "POST", (("one", ("empty.txt", b"", "text/plain")),)),
    ("name without extension", "POST", (("one", ("README", b"read me", "text/plain")),)),
    ("double extension", "POST", (("one", ("archive.tar.gz", b"\x1f\x8b\x08\x00", "application/gzip")),)),
    ("unknown field upload", "POST", (("nofield", TXT), ("title", "kept"))),
    ("append modifier on create", "POST", (("many+", TXT),)),
    ("plain name as a file", "POST", (("many", "fake.txt"),)),
    ("protected upload", "POST", (("req", TXT),)),
    ("update append", "PATCH", (("many+", ("added.txt", b"a", "text/plain")),)),
    ("update prepend", "PATCH", (("+many", ("first.txt", b"f", "text/plain")),)),
    ("update replace single", "PATCH", (("one", ("other.txt", b"o", "text/plain")),)),
    ("update clear many", "PATCH", (("many", "[]"),)),
    ("update clear one", "PATCH", (("one", ""),)),
    ("update too many", "PATCH", tuple(("many+", (f"more{i}.txt", b"m", "text/plain")) for i in range(3))),
    ("update wrong mime", "PATCH", (("many+", BIN),)),
]


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _SHORT_BASE.sub(r"\1<short>_<random>", _RANDOM.sub("_<random>", value))
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    return value


def _setup(pair: Pair) -> None:
    if pair.first_time(COLLECTION):
        pair.ok("POST", "/api/collections", {"name": COLLECTION, "type": "base", **PUBLIC, "fields": FIELDS})


def _reset_record(target: Target) -> None:
    target.send(Request("DELETE", f"/api/collections/{COLLECTION}/records/{RECORD}"))
    form = (("id", RECORD), ("many", TXT), ("one", ("start.txt", b"s", "text/plain")))
    resp = target.send(Request("POST", f"/api/collections/{COLLECTION}/records", form=form))
    assert resp.status_code == 200, f"{target.name}: {resp.text}"


@pytest.mark.parametrize(("name", "method", "form"), CASES, ids=[c[0] for c in CASES])
def test_upload(pair: Pair, name: str, method: str, form: tuple[tuple[str, Any], ...]) -> None:
    _setup(pair)
    path = f"/api/collections/{COLLECTION}/records"
    if method == "PATCH":
        for target in pair.targets:
            _reset_record(target)
        path += "/" + RECORD
    for who in ("anon", "superuser"):
        pb, py = (Answer(a.status, _mask(a.body)) for a in pair.ask(Request(method, path, form=form, who=who)))
        explain(f"files {name} as {who}", pb, py, None if (pb.status, pb.body) == (py.status, py.body) else f"\n  PocketBase: {pb}\n  pybase:     {py}")


@pytest.mark.parametrize(
    "path",
    [f"/api/files/{COLLECTION}/{RECORD}/missing.txt", f"/api/files/nope/{RECORD}/x.txt", f"/api/files/{COLLECTION}/nope/x.txt",
     f"/api/files/{COLLECTION}/{RECORD}/..%2F..%2Fdata.db"],
)  # fmt: skip
def test_missing_files(pair: Pair, path: str) -> None:
    _setup(pair)
    pb, py = pair.ask(Request("GET", path, who="anon"))
    assert (pb.status, pb.body) == (py.status, py.body)
