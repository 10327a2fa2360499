"""Backups in the S3 bucket of settings ``backups.s3`` (moto's server on loopback)."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from tests.s3_server import make_bucket, s3_settings

if TYPE_CHECKING:
    from tests.testapp import TestServer


def test_backups_live_in_the_bucket(server: TestServer, moto_endpoint: str) -> None:
    su = {"Authorization": server.token("superuser")}
    client = make_bucket(moto_endpoint, "backups-test")
    body = {"backups": {"s3": s3_settings(moto_endpoint, "backups-test")}}
    assert server.request("PATCH", "/api/settings", headers=su, json=body).status_code == 200
    assert server.request("POST", "/api/backups", headers=su, json={"name": "first.zip"}).status_code == 204
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="backups-test")["Contents"]]
    assert keys == ["first.zip"]
    assert not (server.app.backups.dir and __import__("os").path.exists(server.app.backups.dir + "/first.zip"))
    listed = server.request("GET", "/api/backups", headers=su).json()
    assert [b["key"] for b in listed] == ["first.zip"] and listed[0]["size"] > 0
    token = server.request("POST", "/api/files/token", headers=su).json()["token"]
    answer = server.request("GET", f"/api/backups/first.zip?token={token}")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="first.zip"'
    assert "data.db" in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    # an uploaded archive goes to the bucket too
    upload = server.request("POST", "/api/backups/upload", headers=su, files={"file": ("uploaded.zip", answer.content, "application/zip")})
    assert upload.status_code == 204, upload.text
    assert sorted(b["key"] for b in server.request("GET", "/api/backups", headers=su).json()) == ["first.zip", "uploaded.zip"]
    assert server.request("DELETE", "/api/backups/first.zip", headers=su).status_code == 204
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="backups-test")["Contents"]]
    assert keys == ["uploaded.zip"]
