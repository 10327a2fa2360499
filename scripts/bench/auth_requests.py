#!/usr/bin/env python3
"""request-password-reset and request-verification: answer time for an existing email vs an
unknown one (issue 12: the answers must not tell which accounts exist).

    python scripts/bench/auth_requests.py [--users 100] [--rounds 3] [--stall]

Runs ``pybase serve`` in a subprocess on a fresh data dir with SMTP pointed at a local aiosmtpd
server (``--stall`` makes that server hold every mail, as a dead SMTP server would). Each round
sends one request per known user (distinct users, so the 2-minute resend limit never skips the
mail path) and as many for unknown emails, interleaved, and prints the median and p95 latency of
each kind in milliseconds.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.mailbox import Mailbox  # noqa: E402

SU_EMAIL, PASSWORD = "bench@example.com", "1234567890"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("pybase did not start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stall", action="store_true", help="the SMTP server holds every mail")
    args = parser.parse_args()
    box = Mailbox()
    if args.stall:
        box.hold()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pb_data"
        py = [sys.executable, "-m", "pybase"]
        subprocess.run([*py, "superuser", "upsert", SU_EMAIL, PASSWORD, "--dir", str(data)], check=True, capture_output=True, cwd=ROOT)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*py, "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            _wait(url)
            session = requests.Session()
            su = session.post(f"{url}/api/collections/_superusers/auth-with-password", json={"identity": SU_EMAIL, "password": PASSWORD}).json()["token"]
            headers = {"Authorization": su}
            session.patch(f"{url}/api/settings", headers=headers, json={
                "smtp": {"enabled": True, "host": "127.0.0.1", "port": box.port}, "meta": {"senderAddress": "bench@acme.test"},
                "rateLimits": {"enabled": False},
            }).raise_for_status()  # fmt: skip
            total = args.users * args.rounds * 2
            for n in range(total):
                session.post(f"{url}/api/collections/users/records", headers=headers, json={
                    "email": f"user{n}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD,
                }).raise_for_status()  # fmt: skip
            times: dict[str, list[float]] = {}
            n = 0
            for action in ("request-password-reset", "request-verification"):
                for _ in range(args.rounds):
                    for _ in range(args.users):
                        for kind, email in (("known", f"user{n}@example.com"), ("unknown", f"nobody{n}@example.com")):
                            start = time.perf_counter()
                            resp = session.post(f"{url}/api/collections/users/{action}", json={"email": email})
                            times.setdefault(f"{action} {kind}", []).append((time.perf_counter() - start) * 1000)
                            assert resp.status_code == 204, resp.text
                        n += 1
            print(f"SMTP {'stalled' if args.stall else 'answering'}; {args.users * args.rounds} requests of each kind")
            for key, values in times.items():
                values.sort()
                p95 = values[int(len(values) * 0.95) - 1]
                print(f"  {key:32} median {statistics.median(values):6.2f} ms   p95 {p95:6.2f} ms")
        finally:
            server.terminate()
            server.wait(timeout=60)
            box.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
