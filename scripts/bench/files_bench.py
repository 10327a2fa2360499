"""Files benchmark: memory of a 1 GB upload and download, and small-file / cached-thumbnail
req/s of pybase beside PocketBase.

    .venv/bin/python scripts/bench/files_bench.py [--pb PATH] [--pybase CMD] [--size-mb 1024]
        [--duration 10] [--skip-big] [--skip-rps]

1. Starts both servers (fresh data dirs, loopback ports), creates a superuser and a ``media``
   collection (``file`` field, maxSize 2 GiB, thumbs ``100x100``).
2. Big file (pybase only, unless ``--big-both``): after a 1 MB warm-up upload and download,
   uploads a ``--size-mb`` file in a streamed multipart body (generated on the fly: the client holds no copy either), then downloads it,
   sampling the server's RSS (``/proc/<pid>/status`` VmRSS) every 20 ms; prints the baseline,
   the peak and the growth of each phase (target < 50 MB).
   With ``--s3`` pybase stores the files in a moto S3 server started by the bench (in the
   bench's own process, so its memory is not counted in pybase's RSS).
3. Small file and cached thumbnail: uploads a 10 KB text file and a 640x480 PNG, fetches the
   100x100 thumb once (made and cached), then runs ``wrk -t2 -c16`` on each URL for each server
   and prints req/s side by side with the ratio (target >= 0.7x).
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import DEFAULT_PB, ServerProc, auth_token, parse_wrk  # noqa: E402

BOUNDARY = "pybasebenchboundary"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(width * 3)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler:
    """Peak RSS of a process while a block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def setup(srv: ServerProc) -> dict[str, str]:
    headers = {"Authorization": auth_token(srv.base)}
    answer = requests.post(srv.base + "/api/collections", headers=headers, json={
        "name": "media", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
        "fields": [{"name": "file", "type": "file", "maxSelect": 1, "maxSize": 2 << 30, "thumbs": ["100x100"]}],
    }, timeout=30)  # fmt: skip
    answer.raise_for_status()
    return headers


def use_s3(srv: ServerProc, headers: dict[str, str]) -> None:
    """Start moto's S3 server on loopback (in this process) and point pybase's storage at it."""
    import boto3
    from bench import free_port
    from moto.server import ThreadedMotoServer

    port = free_port()
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                 aws_secret_access_key="bench").create_bucket(Bucket="bench")  # fmt: skip
    s3 = {"enabled": True, "bucket": "bench", "region": "us-east-1", "endpoint": endpoint,
          "accessKey": "bench", "secret": "bench", "forcePathStyle": True}  # fmt: skip
    requests.patch(srv.base + "/api/settings", headers=headers, json={"s3": s3}, timeout=30).raise_for_status()


def streamed_upload(srv: ServerProc, size: int) -> dict[str, Any]:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    block = bytes(range(256)) * 4096  # 1 MiB

    class Body:
        """The multipart body, made while it is sent (a known length, so no chunked encoding)."""

        def __init__(self) -> None:
            self.parts: Iterator[bytes] = self._parts()
            self.pending = b""

        def __len__(self) -> int:
            return len(head) + size + len(tail)

        def _parts(self) -> Iterator[bytes]:
            yield head
            left = size
            while left > 0:
                piece = block[: min(left, len(block))]
                left -= len(piece)
                yield piece
            yield tail

        def read(self, n: int = -1) -> bytes:
            while n < 0 or len(self.pending) < n:
                nxt = next(self.parts, None)
                if nxt is None:
                    break
                self.pending += nxt
            if n < 0:
                out, self.pending = self.pending, b""
            else:
                out, self.pending = self.pending[:n], self.pending[n:]
            return out

    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    answer = requests.post(srv.base + "/api/collections/media/records", data=Body(), headers=headers, timeout=600)
    if answer.status_code != 200:
        raise RuntimeError(f"upload failed: {answer.status_code} {answer.text}")
    return dict(answer.json())


def big_file(srv: ServerProc, size: int) -> dict[str, float]:
    assert srv.proc is not None
    pid = srv.proc.pid
    # NOTE: one small upload and download first: what the first use loads (boto3's service
    # models, ~25 MB, with --s3) is not growth due to the file's size.
    warm = streamed_upload(srv, 1 << 20)
    requests.get(f"{srv.base}/api/files/media/{warm['id']}/{warm['file']}", timeout=60).raise_for_status()
    time.sleep(1)
    baseline = rss_kb(pid)
    started = time.monotonic()
    with RssSampler(pid) as up:
        record = streamed_upload(srv, size)
    upload_s = time.monotonic() - started
    url = f"{srv.base}/api/files/media/{record['id']}/{record['file']}"
    time.sleep(2)
    before_download = rss_kb(pid)
    received = 0
    started = time.monotonic()
    with RssSampler(pid) as down, requests.get(url, stream=True, timeout=600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_content(1 << 20):
            received += len(chunk)
    download_s = time.monotonic() - started
    if received != size:
        raise RuntimeError(f"downloaded {received} bytes of {size}")
    mb = size / (1 << 20)
    return {
        "baseline_mb": baseline / 1024, "upload_peak_mb": up.peak / 1024, "upload_growth_mb": (up.peak - baseline) / 1024,
        "download_peak_mb": down.peak / 1024, "download_growth_mb": (down.peak - before_download) / 1024,
        "before_download_mb": before_download / 1024, "overall_mb": (max(up.peak, down.peak) - baseline) / 1024,
        "upload_mb_s": mb / upload_s, "download_mb_s": mb / download_s,
    }  # fmt: skip


def small_urls(srv: ServerProc) -> dict[str, str]:
    text = requests.post(srv.base + "/api/collections/media/records", files={"file": ("small.txt", b"x" * 10240, "text/plain")}, timeout=30)
    image = requests.post(srv.base + "/api/collections/media/records", files={"file": ("photo.png", png(640, 480), "image/png")}, timeout=30)
    text.raise_for_status()
    image.raise_for_status()
    t, i = text.json(), image.json()
    urls = {
        "small_file": f"{srv.base}/api/files/media/{t['id']}/{t['file']}",
        "cached_thumb": f"{srv.base}/api/files/media/{i['id']}/{i['file']}?thumb=100x100",
    }
    for url in urls.values():
        requests.get(url, timeout=30).raise_for_status()  # NOTE: the thumb is made here, once
    return urls


def wrk(url: str, duration: int) -> float:
    proc = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url], capture_output=True, text=True, check=True)
    return float(parse_wrk(proc.stdout)["rps"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pb", default=os.environ.get("PB_BIN", DEFAULT_PB))
    parser.add_argument("--pybase", default=str(Path(sys.executable).with_name("pybase")))
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-rps", action="store_true")
    parser.add_argument("--big-both", action="store_true", help="also measure PocketBase's RSS on the big file")
    parser.add_argument("--s3", action="store_true", help="pybase stores files in S3 (a moto server started here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="files-bench-") as tmp:
        work = Path(tmp)
        servers = [ServerProc("pybase", [args.pybase], work)]
        if not args.skip_rps or args.big_both:
            servers.append(ServerProc("pocketbase", [args.pb], work))
        try:
            for srv in servers:
                srv.create_superuser()
                srv.start()
                headers = setup(srv)
                if args.s3 and srv.name == "pybase":
                    use_s3(srv, headers)
            if not args.skip_big:
                for srv in servers if args.big_both else servers[:1]:
                    res = big_file(srv, args.size_mb << 20)
                    print(f"{srv.name} {args.size_mb} MB file: RSS baseline {res['baseline_mb']:.1f} MB; "
                          f"upload peak {res['upload_peak_mb']:.1f} MB (+{res['upload_growth_mb']:.1f} MB, "
                          f"{res['upload_mb_s']:.0f} MB/s); RSS before the download {res['before_download_mb']:.1f} MB; download peak {res['download_peak_mb']:.1f} MB "
                          f"(+{res['download_growth_mb']:.1f} MB over the RSS before it, +{res['overall_mb']:.1f} MB over the baseline, "
                          f"{res['download_mb_s']:.0f} MB/s)", flush=True)
            if not args.skip_rps:
                urls = {srv.name: small_urls(srv) for srv in servers}
                for scenario in ("small_file", "cached_thumb"):
                    rps = {srv.name: wrk(urls[srv.name][scenario], args.duration) for srv in servers}
                    ratio = rps["pybase"] / rps["pocketbase"] if rps.get("pocketbase") else 0.0
                    print(f"{scenario}: pybase {rps['pybase']:.0f} req/s, pocketbase {rps.get('pocketbase', 0):.0f} req/s, "
                          f"ratio {ratio:.2f}x", flush=True)
        finally:
            for srv in servers:
                srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
