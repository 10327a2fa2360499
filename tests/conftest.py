"""Shared fixtures: the generated fixture data dir and a real server per test.

Modules marked ``pytest.mark.both_backends`` run each test twice: on SQLite (the default) and
on a real Postgres (tests/pg.py), through the ``backend`` fixture the server fixtures use.
``PYBASE_TEST_BACKENDS=sqlite`` (comma-separated) runs them on the listed databases only.

PERF: on Postgres a module may run a deterministic part of its cases (CI time): its
``POSTGRES_EVERY = n`` keeps the cases whose name hashes to 0 modulo n, and its
``POSTGRES_SKIP(name)`` leaves out cases answered the Postgres way by design or not yet alike.
``PYBASE_TEST_PG_ALL=1`` runs every case.

A module whose parameters make cells that mean nothing (a second node on SQLite) names them in
``NOT_RUN(params) -> bool`` (the test's parameters, the backend's included): they are not
collected as tests, rather than skipped, so that a skip in a run is always worth reading.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.mailbox import mailbox  # noqa: F401 - the test SMTP server fixture, for every module
from tests.pg import BACKENDS, PostgresServer, start_postgres
from tests.testapp import TestServer, build_fixture, fixture_dir, start_server

pytest_plugins = ["tests.cpu_per_module"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run the module's tests on SQLite and on Postgres")
    config.addinivalue_line(
        "markers", "postgres_only(why): in a both_backends module, a test of what only Postgres does: not run on SQLite"
    )
    config.addinivalue_line(
        "markers", "sqlite_only(why): in a both_backends module, a test of what only SQLite does: not run on Postgres"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True, scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    everything = os.environ.get("PYBASE_TEST_PG_ALL") == "1"
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.id.removeprefix("postgres-") if callspec is not None else ""
        module = getattr(item, "module", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        not_run = getattr(module, "NOT_RUN", None)
        if callspec is not None and not_run is not None and not_run(callspec.params):
            dropped.append(item)
            continue
        if (backend == "sqlite" and item.get_closest_marker("postgres_only")) or (
            backend == "postgres" and item.get_closest_marker("sqlite_only")
        ):
            dropped.append(item)
            continue
        if callspec is None or callspec.params.get("backend") != "postgres" or module is None:
            kept.append(item)
            continue
        skip = getattr(module, "POSTGRES_SKIP", None)
        every = 1 if everything else int(getattr(module, "POSTGRES_EVERY", 1))
        if (skip is not None and skip(case)) or zlib.crc32(case.encode()) % every:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    # NOTE: stable: each module's tests keep their order
    items.sort(key=lambda item: _LONGEST_FIRST.get(item.nodeid.split("::", 1)[0], len(_LONGEST_FIRST)))


# PERF (CI time): the test files that take longest, started first: scripts/test.sh hands whole
# files to its test processes in this order (pytest-xdist's loadfile), and one of these started
# last ran alone at the end of a run with a core idle. From a CI run's "slowest test files".
_LONGEST_FIRST = {path: rank for rank, path in enumerate([
    "tests/conformance/test_collections_more.py", "tests/conformance/test_sql_functions_core.py",
    "tests/realtime/test_realtime_rule_moment.py", "tests/conformance/test_view_branch_classes.py",
    "tests/jsvm/test_corpus.py", "tests/conformance/test_sql_json5.py", "tests/conformance/test_filter_matrix.py",
    "tests/conformance/test_nul_values.py", "tests/test_cli.py", "tests/conformance/test_fields_more.py",
    "tests/conformance/test_fields.py", "tests/api/test_backups_postgres.py", "tests/conformance/test_collections.py",
    "tests/api/test_backups_postgres_kinds.py", "tests/realtime/test_realtime_api.py",
])}  # fmt: skip


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """The data database of the servers: ``sqlite``, or ``postgres`` in both_backends modules."""
    return str(getattr(request, "param", "sqlite"))


class Databases:
    """Hands out Postgres databases (the server starts on first use), empty or the fixture's.

    PERF: the next copies of the fixture database (:data:`COPIES_AHEAD`) are made while tests
    run, and used databases are dropped in the background, on a thread of their own (a copy
    never waits behind a drop): Postgres works on the other core meanwhile.
    """

    #: fixture copies made ahead of the tests that will take them
    COPIES_AHEAD = 2

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._factory = tmp_path_factory
        self._server: PostgresServer | None = None
        self._fixture: tuple[Path, str] | None = None
        self._copies = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self._drops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drops")
        self._ready: deque[Future[str]] = deque()

    @property
    def server(self) -> PostgresServer:
        if self._server is None:
            # NOTE: imported here, after pytest_plugins loaded it (no assertion-rewrite warning)
            from tests import cpu_per_module

            self._server = start_postgres()
            cpu_per_module.postgres_started(self._server)
        return self._server

    def new(self, backend: str) -> str:
        """A fresh empty database for ``backend`` ("" for SQLite: the data dir's data.db)."""
        return self.server.new_database() if backend == "postgres" else ""

    def fixture(self) -> tuple[Path, str]:
        """The fixture data dir and its Postgres database, built once (a template)."""
        if self._fixture is None:
            url = self.server.new_database()
            path = self._factory.mktemp("fixture_pg") / "fixture_pb_data"
            build_fixture(path, url)
            self._fixture = (path, url.rsplit("/", 1)[1])
        return self._fixture

    def copy_of_fixture(self) -> tuple[Path, str]:
        """A new database holding the fixture's data, and the fixture data dir."""
        path, name = self.fixture()
        ready = self._ready.popleft() if self._ready else self._copies.submit(self.server.new_database, template=name)
        while len(self._ready) < self.COPIES_AHEAD:
            self._ready.append(self._copies.submit(self.server.new_database, template=name))
        return path, ready.result()

    def drop(self, url: str) -> None:
        if url and self._server is not None:
            self._drops.submit(self._server.drop_database, url)

    def stop(self) -> None:
        self._copies.shutdown(wait=True)
        self._drops.shutdown(wait=True)
        if self._server is not None:
            self._server.stop()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Postgres databases for the both_backends modules (one server per session)."""
    found = Databases(tmp_path_factory)
    yield found
    found.stop()


@pytest.fixture(scope="session")
def fixture_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture data dir, generated once per session."""
    return fixture_dir(tmp_path_factory.mktemp("fixture"))


@pytest.fixture
def server(tmp_path: Path, fixture_data: Path, backend: str, databases: Databases) -> Iterator[TestServer]:
    """A real pybase serving a private copy of the fixture data."""
    url = ""
    template = fixture_data
    if backend == "postgres":
        template, url = databases.copy_of_fixture()
    srv = start_server(tmp_path, template, url)
    yield srv
    srv.stop()
    databases.drop(url)


@pytest.fixture
def empty_server(tmp_path: Path, backend: str, databases: Databases) -> Iterator[TestServer]:
    """A real pybase on a brand-new data dir."""
    url = databases.new(backend)
    srv = start_server(tmp_path, None, url)
    yield srv
    srv.stop()
    databases.drop(url)
