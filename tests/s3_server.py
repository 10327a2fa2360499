"""A real S3 endpoint for tests: moto's server mode on a loopback port, started by the tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

BUCKET = "pybase-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback (one per test session)."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    yield f"http://127.0.0.1:{port}"
    moto.stop()


def s3_settings(endpoint: str, bucket: str = BUCKET) -> dict[str, Any]:
    """The ``s3`` settings section for the moto server."""
    return {
        "enabled": True, "bucket": bucket, "region": "us-east-1", "endpoint": endpoint,
        "accessKey": "testing", "secret": "testing", "forcePathStyle": True,
    }  # fmt: skip


def make_bucket(endpoint: str, bucket: str) -> Any:
    """A fresh bucket on the moto server; the boto3 client to look into it."""
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client.create_bucket(Bucket=bucket)
    return client


