"""JS hooks fixtures: a real server whose ``pb_hooks`` folder holds chosen ``tests/data/hooks`` files."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

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
def hooks_server(tmp_path: Path, fixture_data: Path) -> Iterator[HooksServerFactory]:
    """``hooks_server(files, timeout=...)`` starts a server on a copy of the fixture data."""
    started: list[TestServer] = []

    def start(files: dict[str, str] | list[str], **options: float) -> TestServer:
        srv = start_hooks_server(tmp_path, fixture_data, files, **options)  # type: ignore[arg-type]
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
