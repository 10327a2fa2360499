"""Nodes of one Postgres database for the cluster tests (issue #17): real ``pybase serve --db
postgres://...`` processes on loopback ports, each with its own pb_data (as on other machines)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from tests.test_hardening import EMAIL, ENV, PASSWORD, Served, _wait_banner


class Cluster:
    """The nodes of one Postgres database, started one by one."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.nodes: list[Served] = []
        self._files: list[Any] = []

    def start(
        self, name: str, *, check: bool = True, workers: int = 1, extra: tuple[str, ...] = (),
    ) -> Served | subprocess.CompletedProcess[str]:
        """A node with its own data dir (as another machine would have)."""
        home = self.root / name
        home.mkdir(exist_ok=True)
        data = home / "pb_data"
        args = ["--http", "127.0.0.1:0", "--dir", str(data), "--db", self.url, "--workers", str(workers), *extra]
        if not check:
            return subprocess.run(
                [sys.executable, "-m", "pybase", "serve", *args], cwd=home, env=ENV, capture_output=True, text=True, timeout=60,
            )
        log = home / "server.log"
        err, out = open(log, "w"), open(home / "stdout.log", "w+")  # noqa: SIM115 - closed in stop()
        self._files += [err, out]
        proc = subprocess.Popen([sys.executable, "-m", "pybase", "serve", *args], cwd=home, env=ENV, stdout=out, stderr=err, text=True)
        try:
            base = _wait_banner(home / "stdout.log", proc)
        except BaseException:
            # NOTE: not a node of the cluster yet (stop() would not end it): a node whose banner
            # never came (a loaded machine) went on running after the tests
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            raise
        node = Served(proc, base, log)
        self.nodes.append(node)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc.poll() is None:
                node.proc.kill()
            node.proc.wait(10)
        for handle in self._files:
            handle.close()


@contextlib.contextmanager
def new_cluster(root: Path, databases: Any) -> Iterator[Cluster]:
    """A cluster on a fresh database whose superuser is the tests' (made through node n1's data
    dir); its nodes are killed and the database dropped at the end."""
    url = databases.server.new_database()
    subprocess.run(
        [sys.executable, "-m", "pybase", "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(root / "n1" / "pb_data"), "--db", url],
        env=ENV, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    cluster = Cluster(root, url)
    try:
        yield cluster
    finally:
        cluster.stop()
        databases.drop(url)


def superuser_headers(base: str) -> dict[str, str]:
    """The Authorization header of the tests' superuser, signed in on the node at ``base``."""
    resp = requests.post(
        f"{base}/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD}, timeout=30
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": resp.json()["token"]}


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``check`` came true within ``timeout`` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False
