"""``GET /api/files/...`` on local storage and S3: headers as PocketBase, ranges, thumbnails,
protected files, hooks and bad paths."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.files.conftest import FilesEnv, image_file, text_file
from tests.testapp import USER1_ID

# NOTE: uploads, downloads and thumbs on both databases (and both storages)
pytestmark = pytest.mark.both_backends


def _doc(env: FilesEnv) -> dict[str, Any]:
    answer = env.create(
        [("one", image_file("My Photo.PNG")), ("many", text_file("notes.txt", b"0123456789" * 100)), ("secret", text_file("s.txt", b"top"))],
        {"owner": USER1_ID},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def doc(env: FilesEnv) -> dict[str, Any]:
    return _doc(env)


# NOTE: the tests below that only read (and make their own records) share a server per storage
# and database (shared_env); the ones that change rules, hooks or collections get their own (env).
@pytest.fixture
def shared_doc(shared_env: FilesEnv) -> dict[str, Any]:
    return _doc(shared_env)


def test_headers_as_pocketbase(shared_env: FilesEnv, shared_doc: dict[str, Any]) -> None:
    answer = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["one"]))
    assert answer.status_code == 200
    headers = answer.headers
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"] == f'inline; filename="{shared_doc["one"]}"'
    assert headers["Cache-Control"] == "max-age=2592000, stale-while-revalidate=86400"
    assert headers["Content-Security-Policy"] == "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Last-Modified"].endswith(" GMT")
    assert "X-Frame-Options" not in headers
    assert answer.content == image_file()[1]
    text = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["many"][0]) + "?download=1", headers={"Accept-Encoding": "gzip"})
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.headers["Content-Disposition"].startswith("attachment; ")
    assert "Content-Encoding" not in text.headers
    # not modified since
    again = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["one"]), headers={"If-Modified-Since": headers["Last-Modified"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/1000", b"0123456789"),
        ("bytes=995-", 206, "bytes 995-999/1000", b"56789"),
        ("bytes=-3", 206, "bytes 997-999/1000", b"789"),
        ("bytes=990-5000", 206, "bytes 990-999/1000", b"0123456789"),
        ("bytes=1000-", 416, "bytes */1000", None),
        ("bytes=0-1,5-6", 200, None, b"0123456789" * 100),
        ("items=0-1", 200, None, b"0123456789" * 100),
    ],
)
def test_ranges(shared_env: FilesEnv, shared_doc: dict[str, Any], range_header: str, status: int, content_range: str | None, body: bytes | None) -> None:
    answer = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["many"][0]), headers={"Range": range_header})
    assert answer.status_code == status
    assert answer.headers.get("Content-Range") == content_range
    if body is not None:
        assert answer.content == body


@pytest.mark.parametrize(
    ("thumb", "size"),
    [("100x100", (100, 100)), ("50x50", (50, 50)), ("20x0", (20, 10)), ("0x20", (40, 20)), ("30x30t", (30, 30)), ("30x30b", (30, 30)), ("30x30f", (30, 15))],
)
def test_thumbnails_are_made_once_and_cached(shared_env: FilesEnv, shared_doc: dict[str, Any], thumb: str, size: tuple[int, int]) -> None:
    from PIL import Image

    url = shared_env.file_url(shared_doc, shared_doc["one"]) + f"?thumb={thumb}"
    answer = shared_env.server.request("GET", url)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == f'inline; filename="{thumb}_{shared_doc["one"]}"'
    assert Image.open(io.BytesIO(answer.content)).size == size
    key = f"{shared_env.server.app.find_collection('docs').id}/{shared_doc['id']}/thumbs_{shared_doc['one']}/{thumb}_{shared_doc['one']}"
    assert key in shared_env.keys()
    assert shared_env.server.request("GET", url).content == answer.content


@pytest.mark.parametrize("thumb", ["51x51", "bad", "0x0"])
def test_unlisted_thumb_sizes_serve_the_original(shared_env: FilesEnv, shared_doc: dict[str, Any], thumb: str) -> None:
    answer = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["one"]) + f"?thumb={thumb}")
    assert answer.status_code == 200 and answer.content == image_file()[1]


def test_thumb_of_a_non_image_serves_the_original(shared_env: FilesEnv, shared_doc: dict[str, Any]) -> None:
    answer = shared_env.server.request("GET", shared_env.file_url(shared_doc, shared_doc["many"][0]) + "?thumb=100x100")
    assert answer.status_code == 200 and answer.content == b"0123456789" * 100


def test_protected_files_need_a_file_token_and_the_view_rule(env: FilesEnv, doc: dict[str, Any]) -> None:
    su = env.su
    rule = {"viewRule": "owner = @request.auth.id"}
    assert env.server.request("PATCH", "/api/collections/docs", headers=su, json=rule).status_code == 200
    url = env.file_url(doc, doc["secret"])

    def file_token(who: str) -> str:
        answer = env.server.request("POST", "/api/files/token", headers={"Authorization": env.server.token(who)})
        assert answer.status_code == 200
        return str(answer.json()["token"])

    assert env.server.request("GET", url).status_code == 404
    assert env.server.request("GET", url + "?token=forged").status_code == 404
    # an auth token is not a file token
    assert env.server.request("GET", url + "?token=" + env.server.token("user1")).status_code == 404
    assert env.server.request("GET", url + "?token=" + file_token("user2")).status_code == 404
    answer = env.server.request("GET", url + "?token=" + file_token("user1"))
    assert answer.status_code == 200 and answer.content == b"top"
    assert env.server.request("GET", url + "?token=" + file_token("superuser")).status_code == 200
    # unprotected files of the same record stay public
    assert env.server.request("GET", env.file_url(doc, doc["one"])).status_code == 200


def test_file_token_needs_auth(shared_env: FilesEnv) -> None:
    answer = shared_env.server.request("POST", "/api/files/token")
    assert answer.status_code == 401
    # NOTE: PocketBase's RequireAuth guard answers before the handler's own "Missing auth context."
    assert answer.json() == {"data": {}, "message": "The request requires valid record authorization token.", "status": 401}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/files/missing/{id}/{one}", "Missing or invalid collection context."),
        ("/api/files/docs/nope123456789ab/{one}", "The requested resource wasn't found."),
        ("/api/files/docs/{id}/nope.txt", "The requested resource wasn't found."),
        ("/api/files/docs/{id}/..%2F..%2Fdata.db", "The requested resource wasn't found."),
        ("/api/files/docs/{id}/thumbs_{one}", "The requested resource wasn't found."),
    ],
)
def test_missing_files_are_404(shared_env: FilesEnv, shared_doc: dict[str, Any], path: str, message: str) -> None:
    answer = shared_env.server.request("GET", path.format(id=shared_doc["id"], one=shared_doc["one"]))
    assert answer.status_code == 404
    assert answer.json()["message"] == message


def test_download_and_token_hooks(env: FilesEnv, doc: dict[str, Any]) -> None:
    hooks = env.server.app.hooks

    def rename(e: Any) -> Any:
        e.response.set_header("Content-Disposition", 'attachment; filename="renamed.png"')
        return e.next()

    def swap(e: Any) -> Any:
        e.token = "from-hook"
        return e.next()

    hooks["onFileDownloadRequest"].bind(rename)
    hooks["onFileTokenRequest"].bind(swap)
    env.server.events.clear()
    answer = env.server.request("GET", env.file_url(doc, doc["one"]))
    assert answer.headers["Content-Disposition"] == 'attachment; filename="renamed.png"'
    token = env.server.request("POST", "/api/files/token", headers=env.su).json()
    assert token == {"token": "from-hook"}
    assert env.server.events["onFileDownloadRequest"] == 1
    assert env.server.events["onFileTokenRequest"] == 1


def test_files_of_a_view_are_served_from_their_record(env: FilesEnv, doc: dict[str, Any]) -> None:
    body = {"name": "docs_view", "type": "view", "listRule": "", "viewRule": "",
            "viewQuery": "SELECT d.id, d.title, d.one AS picture, d.many FROM docs d"}  # fmt: skip
    answer = env.server.request("POST", "/api/collections", headers=env.su, json=body)
    assert answer.status_code == 200, answer.text
    row = env.server.request("GET", f"/api/collections/docs_view/records/{doc['id']}").json()
    assert row["picture"] == doc["one"]
    answer = env.server.request("GET", f"/api/files/docs_view/{doc['id']}/{doc['one']}?thumb=50x50")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    answer = env.server.request("GET", f"/api/files/docs_view/{doc['id']}/{doc['many'][0]}")
    assert answer.status_code == 200 and answer.content == b"0123456789" * 100
    assert env.server.request("GET", f"/api/files/docs_view/{doc['id']}/nope.txt").status_code == 404


def test_head_answers_the_headers_only(shared_env: FilesEnv, shared_doc: dict[str, Any]) -> None:
    answer = shared_env.server.request("HEAD", shared_env.file_url(shared_doc, shared_doc["many"][0]))
    assert answer.status_code == 200
    assert answer.headers["Content-Length"] == "1000"
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.content == b""


def test_an_empty_file(shared_env: FilesEnv) -> None:
    record = shared_env.create([("one", ("empty.txt", b"", "text/plain"))]).json()
    answer = shared_env.server.request("GET", shared_env.file_url(record, record["one"]))
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["Content-Length"] == "0"
