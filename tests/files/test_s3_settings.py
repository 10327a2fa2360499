"""``POST /api/settings/test/s3`` against a real S3 endpoint (moto's server on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.s3_server import make_bucket, s3_settings

if TYPE_CHECKING:
    from tests.testapp import TestServer


def test_s3_test_checks_the_bucket(server: TestServer, moto_endpoint: str, tmp_path: Path) -> None:
    su = {"Authorization": server.token("superuser")}
    client = make_bucket(moto_endpoint, "settings-test")
    for section in ("s3", "backups"):
        body = {"s3": s3_settings(moto_endpoint, "settings-test")} if section == "s3" else {"backups": {"s3": s3_settings(moto_endpoint, "settings-test")}}
        assert server.request("PATCH", "/api/settings", headers=su, json=body).status_code == 200
        answer = server.request("POST", "/api/settings/test/s3", headers=su, json={"filesystem": "storage" if section == "s3" else "backups"})
        assert answer.status_code == 204, answer.text
    assert "Contents" not in client.list_objects_v2(Bucket="settings-test")  # the test object is gone


def test_s3_test_reports_a_missing_bucket(server: TestServer, moto_endpoint: str) -> None:
    su = {"Authorization": server.token("superuser")}
    body = {"s3": s3_settings(moto_endpoint, "no-such-bucket")}
    assert server.request("PATCH", "/api/settings", headers=su, json=body).status_code == 200
    answer = server.request("POST", "/api/settings/test/s3", headers=su, json={"filesystem": "storage"})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert message.startswith("Failed to test the S3 filesystem. Raw error: \nfailed to upload a test file: ")
    assert "NoSuchBucket" in message
