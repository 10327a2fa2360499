"""``pybase serve --workers 2`` stopped, restarted or reconfigured: a fresh server per test
(tests/workers/test_workers.py shares one between the tests that leave it as it was;
tests/workers/test_workers_relay.py holds the other fresh-server tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.test_hardening import Served
from tests.workers.test_workers import (
    HOOK,
    _notes,
    _wait_for_workers,
    _worker_pids,
    serve_two,
)


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Served]:
    with serve_two(tmp_path) as server:
        yield server


@contextlib.contextmanager
def _traffic(url: str) -> Iterator[list[int]]:
    """Requests on new connections to ``url`` while the block runs; yields the failed statuses."""
    failures: list[int] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                status = requests.get(url, headers={"Connection": "close"}, timeout=10).status_code
            except requests.RequestException:
                status = 0
            if status != 200:
                failures.append(status)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield failures
    finally:
        stop.set()
        thread.join()




def test_a_killed_worker_is_restarted_while_the_other_serves(two: Served) -> None:
    victim = sorted(_worker_pids(two))[0]
    with _traffic(f"{two.base}/api/health") as failures:
        os.kill(victim, signal.SIGKILL)
        _wait_for_workers(two, 3)  # the replacement serves
    assert f"pid {victim}) exited" in two.log.read_text()
    # NOTE: one request at a time: the one the killed worker was serving, if any, is lost with
    # it (a connection reset); every other request is served by the other worker.
    assert len(failures) <= 1, failures[:5]




def test_a_worker_starting_leaves_the_files_the_others_are_receiving(two: Served, tmp_path: Path) -> None:
    # NOTE: a worker's start emptied pb_data/.pb_temp_to_delete (PocketBase's start does): an
    # upload another worker was receiving to S3 was gone before it was sent (the binary smoke
    # test found it). Their supervisor empties it, before any worker starts.
    receiving = tmp_path / "pb_data" / ".pb_temp_to_delete" / "uploads" / "upload_being_received"
    receiving.parent.mkdir(parents=True, exist_ok=True)
    receiving.write_bytes(b"half an upload")
    victim = sorted(_worker_pids(two))[0]
    os.kill(victim, signal.SIGKILL)
    _wait_for_workers(two, 3)  # the replacement serves
    assert receiving.read_bytes() == b"half an upload"


def test_sigterm_drains_every_worker_and_exits_0(two: Served) -> None:
    _notes(two)
    two.proc.send_signal(signal.SIGTERM)
    assert two.proc.wait(60) == 0
    for pid in _worker_pids(two):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)




def test_hooks_reload_in_every_worker_and_sighup_replaces_them_without_a_refused_request(two: Served, tmp_path: Path) -> None:
    (tmp_path / "pb_hooks" / "version.pb.js").write_text(HOOK.replace("VERSION", "2"))
    # NOTE: until both workers answered with the new version (a new connection each time, so
    # the kernel spreads them); one worker answering everything would prove nothing.
    deadline = time.monotonic() + 30
    answered: dict[str, int] = {}
    while len(answered) < 2 or set(answered.values()) != {2}:
        assert time.monotonic() < deadline, answered
        body = requests.get(f"{two.base}/version", headers={"Connection": "close"}, timeout=10).json()
        answered[body["worker"]] = body["v"]
    with _traffic(f"{two.base}/version") as failures:
        before = _worker_pids(two)
        two.proc.send_signal(signal.SIGHUP)
        _wait_for_workers(two, 4)  # two new workers serve
        deadline = time.monotonic() + 30
        while "replacing the workers" not in two.log.read_text() or len(_worker_pids(two) - before) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1)
    assert not failures, failures[:5]




def test_a_backup_restore_stops_every_worker_and_starts_them_on_the_restored_data(two: Served) -> None:
    su = _notes(two)
    for text in ("kept one", "kept two"):
        requests.post(f"{two.base}/api/collections/notes/records", json={"t": text}, timeout=30).raise_for_status()
    assert requests.post(f"{two.base}/api/backups", json={"name": "before.zip"}, headers=su, timeout=60).status_code == 204
    requests.post(f"{two.base}/api/collections/notes/records", json={"t": "after the backup"}, timeout=30).raise_for_status()
    before = _worker_pids(two)
    assert requests.post(f"{two.base}/api/backups/before.zip/restore", headers=su, timeout=30).status_code == 204
    deadline = time.monotonic() + 90
    while True:
        texts: set[tuple[str, ...]] = set()
        try:
            for _ in range(8):
                resp = requests.get(f"{two.base}/api/collections/notes/records?sort=t", headers={"Connection": "close"}, timeout=5)
                texts.add(tuple(r["t"] for r in resp.json()["items"]))
        except (requests.RequestException, ValueError, KeyError):
            texts = set()
        if texts == {("kept one", "kept two")} and len(_worker_pids(two) - before) >= 2:
            break
        assert time.monotonic() < deadline, (texts, two.log.read_text()[-3000:])
        time.sleep(0.3)
    assert two.proc.poll() is None  # the supervisor kept running
