"""A real Postgres server for the tests: ``initdb`` + ``pg_ctl`` in a temp dir on a loopback port.

Debian's ``postgresql`` package (scripts/test.sh installs it) puts its binaries in
``/usr/lib/postgresql/<major>/bin``, off the PATH; they are looked for there too. ``initdb``
refuses to run as root, so as root the server runs as the ``postgres`` user (or ``nobody``)
through ``runuser``, in a directory handed over to that user. The server listens on a free
loopback port and keeps its unix socket in its own directory; each test gets a fresh database.
Under ``CI=true`` a missing Postgres fails the tests that need it; elsewhere they skip.

PERF (CI time; each test opens ~8 connections to a database copied for it): passwords are
checked with md5, whose handshake costs both sides well under a millisecond where SCRAM's
4096 PBKDF2 rounds cost ~3 ms of CPU on each side (a wrong password is still refused); no
autovacuum (its workers would visit each of the hundreds of short-lived databases).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass

import pytest

from tests.needed import missing


def find_binary(name: str) -> str | None:
    """``name`` (initdb, pg_ctl) on the PATH or in Debian's versioned directory, newest first."""
    found = shutil.which(name)
    if found:
        return found
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return None

#: the databases the tests run on (``PYBASE_TEST_BACKENDS``, comma-separated; both by default)
BACKENDS = tuple(b.strip() for b in os.environ.get("PYBASE_TEST_BACKENDS", "sqlite,postgres").split(",") if b.strip())
#: for a Postgres-only test: it runs unless PYBASE_TEST_BACKENDS leaves Postgres out
postgres_only = pytest.mark.skipif("postgres" not in BACKENDS, reason="PYBASE_TEST_BACKENDS leaves Postgres out")


def _major(directory: str) -> int:
    try:
        return int(directory.split("/")[-2])
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> list[str]:
    """The command prefix that runs a Postgres binary as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run Postgres as")


def _owner() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    return None


@dataclass
class PostgresServer:
    """One running Postgres cluster; :meth:`new_database` hands out fresh databases."""

    root: str
    port: int
    pg_ctl: str
    prefix: list[str]
    user: str = "pybase"
    password: str = "pybase"

    def __post_init__(self) -> None:
        self._cpu_seen = 0.0
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def url(self, database: str = "postgres") -> str:
        """The URL pybase is given (``--db``)."""
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(self.url("postgres").replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, template: str = "template0") -> str:
        """A fresh database (empty, or a copy of ``template``); returns its URL."""
        with self._lock:
            name = f"t{os.getpid()}_{next(self._counter)}"
            # NOTE: one copy at a time: Postgres refuses to copy a template another copy reads.
            self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database handed out by :meth:`new_database` (its connections are cut)."""
        name = url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def cpu_seconds(self) -> float:
        """The CPU its processes have taken: the postmaster's and that of the backends it has
        reaped (one a connection; tests/cpu_per_module.py)."""
        try:
            with open(os.path.join(self.root, "data", "postmaster.pid")) as handle:
                pid = int(handle.readline())
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return self._cpu_seen  # NOTE: stopped: its last reading
        self._cpu_seen = sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        return self._cpu_seen

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", os.path.join(self.root, "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _memory_dir() -> str | None:
    """/dev/shm when it is a writable in-memory file system with room (else the temp dir).
    PERF: each test server on Postgres gets a fresh database (CREATE DATABASE, a copy of a
    template): measured 0.18-0.20 s of the backend's CPU on this machine's ext4 disk, 10-20 ms
    in memory. Postgres's own settings here (fsync=off...) make it no less durable a test
    server than it was."""
    path = "/dev/shm"
    try:
        if os.path.isdir(path) and os.access(path, os.W_OK) and shutil.disk_usage(path).free >= 2 << 30:
            return path
    except OSError:
        pass
    return None


def start_postgres() -> PostgresServer:
    """initdb a cluster in a temp dir and start it on a free loopback port."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        missing("Postgres (initdb, pg_ctl) is not installed: apt-get install postgresql")
    prefix = _run_as()
    root = tempfile.mkdtemp(prefix="pybase-pg-", dir=_memory_dir())
    data, sockets = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sockets)
    owner = _owner()
    if owner is not None:
        for path in (root, sockets):
            os.chown(path, *owner)
    password_file = os.path.join(root, "pw")
    with open(password_file, "w") as handle:
        handle.write("pybase\n")
    if owner is not None:
        os.chown(password_file, *owner)
    subprocess.run(
        [*prefix, initdb, "-D", data, "-U", "pybase", "--pwfile", password_file, "-A", "md5",
         "-E", "UTF8", "--locale", "C", "--no-sync"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
        "-c shared_buffers=32MB -c autovacuum=off"
    )
    result = subprocess.run(
        [*prefix, pg_ctl, "-D", data, "-o", options, "-l", os.path.join(root, "log"), "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    server = PostgresServer(root, port, pg_ctl, prefix)
    if result.returncode != 0:
        log = ""
        try:
            with open(os.path.join(root, "log")) as handle:
                log = handle.read()[-2000:]
        except OSError:
            pass
        server.stop()
        raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}\n{log}")
    # NOTE: initdb stored the password for SCRAM (which md5 then still asks for): stored again
    # as md5, every later connection takes the cheaper handshake.
    server.admin("SET password_encryption = 'md5'; ALTER ROLE pybase PASSWORD 'pybase'")
    return server
