"""JS hooks fixtures: a real server whose ``pb_hooks`` folder holds chosen ``tests/data/hooks`` files."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pybase.app import PyBase
from pybase.config import Config
from pybase.core.app_hooks import HOOKS
from tests.testapp import TestServer, _counter

HOOKS_DATA = Path(__file__).resolve().parent.parent / "data" / "hooks"


def start_hooks_server(
    tmp_path: Path,
    template: Path | None,
    files: dict[str, str] | list[str],
    *,
    timeout: float = 30.0,
    pool_size: int = 4,
    memory_limit: int = 64 << 20,
    query_timeout: float = 30.0,
    database_url: str = "",
) -> TestServer:
    """Like ``tests.testapp.start_server``, with a pb_hooks folder and the JS runtime's limits.

    ``files`` names files of ``tests/data/hooks`` to copy (a list; ``lib/`` always comes along)
    or maps file names to their source.
    """
    hooks_dir = tmp_path / "pb_hooks"
    hooks_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(HOOKS_DATA / "lib", hooks_dir / "lib", dirs_exist_ok=True)
    if isinstance(files, dict):
        for name, source in files.items():
            (hooks_dir / name).write_text(source, encoding="utf-8")
    else:
        for name in files:
            shutil.copy(HOOKS_DATA / name, hooks_dir / name)
    data_dir = tmp_path / "pb_data"
    if template is not None:
        shutil.copytree(template, data_dir)
    config = Config(
        data_dir=str(data_dir),
        http="127.0.0.1:0",
        public_dir=str(tmp_path / "pb_public"),
        hooks_dir=str(hooks_dir),
        hooks_timeout=timeout,
        hooks_pool=pool_size,
        hooks_memory_limit=memory_limit,
        query_timeout=query_timeout,
        # NOTE: without one, PYBASE_DATABASE_URL (Config's default) still applies
        **({"database_url": database_url} if database_url else {}),
    )
    pybase = PyBase(config)
    pybase.bootstrap()
    server = pybase.serve_in_thread()
    test_server = TestServer(pybase, f"http://127.0.0.1:{server.port}")
    for spec in HOOKS:
        pybase.core.hooks[spec.js_name].bind(_counter(test_server.events, spec.js_name), priority=-99999)
    return test_server


HooksServerFactory = Callable[..., TestServer]


@pytest.fixture
def hooks_server(tmp_path: Path, fixture_data: Path, backend: str, databases: Any) -> Iterator[HooksServerFactory]:
    """``hooks_server(files, timeout=...)`` starts a server on a copy of the fixture data (on
    Postgres too in both_backends modules)."""
    started: list[TestServer] = []
    urls: list[str] = []

    def start(files: dict[str, str] | list[str], **options: float) -> TestServer:
        template, url = fixture_data, ""
        if backend == "postgres":
            template, url = databases.copy_of_fixture()
            urls.append(url)
        srv = start_hooks_server(tmp_path, template, files, database_url=url, **options)  # type: ignore[arg-type]
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
    for url in urls:
        databases.drop(url)


# ---- a loopback HTTP server for $http.send ---------------------------------------------------


class _LoopbackHandler(http.server.BaseHTTPRequestHandler):
    """Answers a few fixed paths; every request is recorded on the server."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            for item in value if isinstance(value, list) else [value]:
                self.send_header(key, item)
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body.decode("latin-1")}
        self.server.requests.append(seen)  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/json":
            self._send(200, json.dumps({"hello": "world", "n": 2**40, "list": [1, 2]}).encode())
        elif path == "/echo":
            self._send(201, json.dumps(seen).encode(), headers={"X-Echo": "yes"})
        elif path == "/cookies":
            self._send(200, b"ok", "text/plain", {"Set-Cookie": ["a=1; Path=/; HttpOnly", "b=two; Max-Age=60"]})
        elif path == "/bytes":
            self._send(200, bytes([0, 1, 2, 254, 255]), "application/octet-stream")
        elif path == "/slow":
            time.sleep(2)
            self._send(200, b"late", "text/plain")
        else:
            self._send(404, json.dumps({"message": "missing"}).encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class LoopbackServer:
    """A tiny threaded http.server on 127.0.0.1 (``url``, ``requests`` seen)."""

    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LoopbackHandler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[dict]:
        return self.httpd.requests  # type: ignore[attr-defined,no-any-return]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A loopback HTTP server for $http.send tests."""
    srv = LoopbackServer()
    yield srv
    srv.close()
