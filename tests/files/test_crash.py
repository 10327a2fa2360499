"""``kill -9`` during uploads (a real pybase process): afterwards every file the database names
is in storage, no upload temp file is left, and uploads work again. On both databases."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.test_hardening import serve, superuser_token

pytestmark = pytest.mark.both_backends


@pytest.fixture
def database_url(backend: str, databases: Any) -> Iterator[str]:
    """The data database: "" for SQLite (data.db), a fresh Postgres database otherwise."""
    url = databases.new(backend)
    yield url
    databases.drop(url)


def test_kill_9_during_uploads_leaves_storage_and_database_agreeing(tmp_path: Path, database_url: str) -> None:
    stop = threading.Event()
    url = database_url
    with serve(tmp_path, database_url=url) as server:
        su = {"Authorization": superuser_token(server.base)}
        body = {"name": "media", "type": "base", "createRule": "", "viewRule": "",
                "fields": [{"name": "file", "type": "file", "maxSelect": 1, "maxSize": 64 << 20}]}  # fmt: skip
        answer = requests.post(f"{server.base}/api/collections", json=body, headers=su, timeout=30)
        assert answer.status_code == 200, answer.text
        host, port = server.base.removeprefix("http://").split(":")

        def uploader() -> None:
            session = requests.Session()
            while not stop.is_set():
                try:
                    session.post(f"{server.base}/api/collections/media/records",
                                 files={"file": ("chunk.bin", b"x" * (1 << 20), "application/octet-stream")}, timeout=30)  # fmt: skip
                except requests.RequestException:
                    return

        threads = [threading.Thread(target=uploader) for _ in range(3)]
        for thread in threads:
            thread.start()
        # and one upload cut off halfway through its body
        partial = socket.create_connection((host, int(port)))
        head = (
            "POST /api/collections/media/records HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 20000000\r\n\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n\r\n"
        )
        partial.sendall(head.encode() + b"y" * 5_000_000)
        time.sleep(1.5)
        server.proc.kill()
        server.proc.wait(10)
        stop.set()
        for thread in threads:
            thread.join(30)
        partial.close()
    data = tmp_path / "pb_data"
    with serve(tmp_path, database_url=url) as server:  # pybase starts on it again
        su = {"Authorization": superuser_token(server.base)}
        collection_id = requests.get(f"{server.base}/api/collections/media", headers=su, timeout=30).json()["id"]
        listed = requests.get(f"{server.base}/api/collections/media/records?perPage=1000&fields=id,file", headers=su, timeout=30)
        assert listed.status_code == 200, listed.text
        rows = [(item["id"], item["file"]) for item in listed.json()["items"]]
        assert rows, "no upload was committed before the kill"
        for record_id, name in rows:
            assert (data / "storage" / collection_id / record_id / name).is_file(), (record_id, name)
        assert not any((data / ".pb_temp_to_delete").glob("**/upload_*"))
        answer = requests.post(f"{server.base}/api/collections/media/records",
                               files={"file": ("after.txt", b"after", "text/plain")}, timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
        record = orjson.loads(answer.content)
        assert requests.get(f"{server.base}/api/files/media/{record['id']}/{record['file']}", timeout=30).content == b"after"
