"""Files in an S3-compatible bucket, through boto3, streamed both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pybase.tools.filesystem.base import CHUNK, Attributes, FileNotFound, StorageError, check_key

# NOTE: memory per transfer is bounded by the parts held at once: 2 x 5 MiB, S3's smallest part
# (boto3 holds up to 10 parts of 8 MiB by default, read ahead of the network).
_TRANSFER = TransferConfig(
    multipart_threshold=8 << 20, multipart_chunksize=5 << 20, max_concurrency=2, io_chunksize=CHUNK
)
_TRANSFER.max_in_memory_upload_chunks = 2
_TRANSFER.max_in_memory_download_chunks = 2
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")


class _BodyReader:
    """The body of a GET, in chunks."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return bytes(self._body.read(None if size < 0 else size))

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body.iter_chunks(CHUNK)

    def close(self) -> None:
        self._body.close()


class S3Storage:
    """A bucket (``bucket``, ``region``, ``endpoint``, ``accessKey``, ``secret``, ``forcePathStyle``)."""

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        region: str = "",
        endpoint: str = "",
        access_key: str = "",
        secret: str = "",
        force_path_style: bool = False,
    ) -> None:
        self.bucket = bucket
        endpoint = endpoint.strip()
        if endpoint and "://" not in endpoint:
            endpoint = "https://" + endpoint
        config = Config(
            s3={"addressing_style": "path" if force_path_style else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            # NOTE: some S3-compatible services refuse the newer default checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3",
            region_name=region or "us-east-1",
            endpoint_url=endpoint or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret or None,
            config=config,
        )

    @classmethod
    def from_settings(cls, s3: dict[str, Any]) -> S3Storage:
        """A storage for PocketBase's ``s3`` settings section."""
        return cls(
            str(s3.get("bucket") or ""),
            region=str(s3.get("region") or ""),
            endpoint=str(s3.get("endpoint") or ""),
            access_key=str(s3.get("accessKey") or ""),
            secret=str(s3.get("secret") or ""),
            force_path_style=bool(s3.get("forcePathStyle")),
        )

    def put(self, key: str, stream: BinaryIO, content_type: str, metadata: dict[str, str] | None = None) -> None:
        check_key(key)
        extra: dict[str, Any] = {"ContentType": content_type}
        if metadata:
            extra["Metadata"] = {k: _ascii(v) for k, v in metadata.items()}
        try:
            self.client.upload_fileobj(stream, self.bucket, key, ExtraArgs=extra, Config=_TRANSFER)
        except (BotoCoreError, ClientError) as ex:
            raise StorageError(str(ex)) from ex

    def put_path(self, key: str, path: str, content_type: str, metadata: dict[str, str] | None = None) -> None:
        check_key(key)
        extra: dict[str, Any] = {"ContentType": content_type}
        if metadata:
            extra["Metadata"] = {k: _ascii(v) for k, v in metadata.items()}
        try:
            # PERF: parts are read from the file as they are sent, not buffered ahead.
            self.client.upload_file(path, self.bucket, key, ExtraArgs=extra, Config=_TRANSFER)
        except (BotoCoreError, ClientError) as ex:
            raise StorageError(str(ex)) from ex

    def attributes(self, key: str) -> Attributes:
        check_key(key)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as ex:
            raise _error(ex, key) from ex
        except BotoCoreError as ex:
            raise StorageError(str(ex)) from ex
        return Attributes(
            int(head.get("ContentLength") or 0),
            head["LastModified"].astimezone(UTC),
            head.get("ContentType") or "application/octet-stream",
            dict(head.get("Metadata") or {}),
        )

    def exists(self, key: str) -> bool:
        try:
            self.attributes(key)
        except FileNotFound:
            return False
        return True

    def open(self, key: str, start: int = 0, length: int | None = None) -> _BodyReader:
        check_key(key)
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            args["Range"] = f"bytes={start}-{end}"
        try:
            answer = self.client.get_object(**args)
        except ClientError as ex:
            raise _error(ex, key) from ex
        except BotoCoreError as ex:
            raise StorageError(str(ex)) from ex
        return _BodyReader(answer["Body"])

    def delete(self, key: str) -> None:
        if not self.exists(key):
            raise FileNotFound(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as ex:
            raise StorageError(str(ex)) from ex

    def delete_prefix(self, prefix: str) -> list[str]:
        failed: list[str] = []
        batch: list[str] = []
        for key in self.list(prefix):
            batch.append(key)
            if len(batch) == 1000:
                failed += self._delete_many(batch)
                batch = []
        if batch:
            failed += self._delete_many(batch)
        return failed

    def _delete_many(self, keys: list[str]) -> list[str]:
        try:
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
            )
        except (BotoCoreError, ClientError):
            return keys
        return [e["Key"] for e in answer.get("Errors") or []]

    def list(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents") or []:
                    yield item["Key"]
        except (BotoCoreError, ClientError) as ex:
            raise StorageError(str(ex)) from ex

    def check(self) -> None:
        """Upload a test object, then delete its prefix (listing and deleting work too)."""
        import io
        import secrets

        prefix = "pb_settings_test_" + secrets.token_hex(3)[:5]
        try:
            self.put(prefix + "/test.txt", io.BytesIO(b"test"), "text/plain; charset=utf-8")
        except (StorageError, ValueError) as ex:
            raise StorageError(f"failed to upload a test file: {ex}") from ex
        try:
            failed = self.delete_prefix(prefix)
        except StorageError as ex:
            raise StorageError(f"failed to delete a test file: {ex}") from ex
        if failed:
            raise StorageError(f"failed to delete a test file: {failed[0]}")

    def close(self) -> None:
        self.client.close()


def _error(ex: ClientError, key: str) -> StorageError:
    code = str(ex.response.get("Error", {}).get("Code", ""))
    if code in _NOT_FOUND:
        return FileNotFound(key)
    return StorageError(str(ex))


def _ascii(value: str) -> str:
    # NOTE: S3 metadata travels in headers: non-ASCII text is percent-encoded.
    from urllib.parse import quote

    return value if value.isascii() else quote(value)
