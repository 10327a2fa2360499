"""``pybase serve --workers 2`` relaying between workers: writes relayed only while some worker
holds a realtime client, and a framework app's own messages; a fresh server per test (split from
tests/workers/test_workers_restarts.py so xdist runs them beside it)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.test_hardening import Served
from tests.workers.test_workers import (
    _clients_on_both_workers,
    _notes,
    _shared_page,
    _until,
    serve_two,
)


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Served]:
    with serve_two(tmp_path) as server:
        yield server


def test_writes_are_relayed_between_workers_only_while_some_worker_holds_a_realtime_client(two: Served, tmp_path: Path) -> None:
    _notes(two)

    def write(text: str) -> None:
        requests.post(f"{two.base}/api/collections/notes/records", json={"t": text}, headers={"Connection": "close"}, timeout=30).raise_for_status()

    for i in range(4):
        write(f"quiet{i}")
    assert _shared_page(tmp_path) == (0, 0)  # nobody listens: nothing crossed the hub

    clients = _clients_on_both_workers(two.base)
    try:
        assert _shared_page(tmp_path)[1] == len(clients)
        for client in clients:
            assert client.subscribe("notes/*").status_code == 204
        write("heard")
        assert _shared_page(tmp_path)[0] == 1
        for client in clients:
            assert client.next(10).data["record"]["t"] == "heard"

        # a worker killed with its clients: the supervisor clears its count
        name = clients[0].client_id[:2]
        victim = int(re.findall(rf"worker \d started \(pid (\d+), name {name}", two.log.read_text())[-1])
        os.kill(victim, signal.SIGKILL)
        _until(lambda: f"pid {victim}) exited" in two.log.read_text())
        _until(lambda: _shared_page(tmp_path)[1] == sum(1 for c in clients if c.client_id[:2] != name))
    finally:
        for client in clients:
            client.close()
    _until(lambda: _shared_page(tmp_path)[1] == 0)  # closed streams are counted out




FRAMEWORK_APP = """
import os, sys
from pybase.app import PyBase

app = PyBase()

@app.route("GET", "/api/pid")
def pid(req, resp):
    resp.media = {"pid": os.getpid()}

@app.route("POST", "/api/shout/{topic}")
def shout(req, resp, topic):
    # a custom realtime message to every client subscribed to the topic, whichever worker holds it
    resp.media = {"sent": app.core.subscriptions_broker().send(topic, b'{"from":"python"}')}

sys.exit(app.start(sys.argv[1:]))
"""


def test_a_framework_app_runs_as_several_workers(tmp_path: Path) -> None:
    import subprocess
    import sys

    launcher = tmp_path / "app.py"
    launcher.write_text(FRAMEWORK_APP)
    out = tmp_path / "out.log"
    with open(out, "w") as stdout, open(tmp_path / "err.log", "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(launcher), "serve", "--http", "127.0.0.1:0", "--workers", "2"],
            cwd=tmp_path, stdout=stdout, stderr=stderr, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while not (match := re.search(r"Server started at (http://127\.0\.0\.1:\d+)", out.read_text())):
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "err.log").read_text()
                time.sleep(0.1)
            base = match.group(1)
            # NOTE: the kernel gives each new connection to whichever worker wakes first; on a
            # busy machine one may win many times in a row, so ask until both answered.
            pids: set[int] = set()
            for _ in range(400):
                pids.add(requests.get(f"{base}/api/pid", headers={"Connection": "close"}, timeout=10).json()["pid"])
                if len(pids) == 2:
                    break
            assert len(pids) == 2 and proc.pid not in pids
            clients = _clients_on_both_workers(base)
            try:
                for client in clients:
                    assert client.subscribe("shout").status_code == 204
                resp = requests.post(f"{base}/api/shout/shout", headers={"Connection": "close"}, timeout=30)
                assert resp.status_code == 200 and resp.json() == {"sent": len(clients)}, resp.text
                for client in clients:
                    event = client.next(10)
                    assert (event.name, event.data) == ("shout", {"from": "python"})
            finally:
                for client in clients:
                    client.close()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
