"""Where things live: data dir, hooks, public dir, and the bundled dashboard/hooks runtime.

Works the same from a source checkout, an installed wheel and the PyInstaller one-file binary.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

DEFAULT_HTTP = "127.0.0.1:8090"
#: pb_data's folder of files in the making (uploads being received, backups being made or
#: restored), emptied when the app starts, as PocketBase's; with worker processes, by their
#: supervisor before any starts (a worker starting must not take the files the others receive)
TEMP_DIR = ".pb_temp_to_delete"


def is_frozen() -> bool:
    """Whether we run inside the PyInstaller binary."""
    return bool(getattr(sys, "frozen", False))


def base_dir() -> str:
    """Where default folders go: beside the binary when frozen, else the working directory."""
    if is_frozen():
        return os.path.dirname(os.path.abspath(sys.executable))
    return os.getcwd()


def bundled_dir(name: str) -> str:
    """Path of a folder shipped with pybase (``dashboard_static`` or ``hooks_runtime``)."""
    if is_frozen():
        return os.path.join(getattr(sys, "_MEIPASS", ""), name)
    package_dir = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(package_dir, name)
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(package_dir), name)


@dataclass
class Config:
    """Settings from the command line."""

    data_dir: str = ""
    hooks_dir: str = ""
    public_dir: str = ""
    migrations_dir: str = ""
    http: str = DEFAULT_HTTP
    dev: bool = False
    origins: list[str] = field(default_factory=lambda: ["*"])
    #: prewarmed JS contexts (PocketBase's --hooksPool)
    hooks_pool: int = 15
    #: reload pb_hooks when a file changes (PocketBase's --hooksWatch)
    hooks_watch: bool = True
    #: wall-clock seconds one JS handler call may run before it is interrupted
    hooks_timeout: float = 30.0
    #: memory limit of each JS context, in bytes
    hooks_memory_limit: int = 256 << 20
    #: write a pb_migrations file when a collection changes through the API (PocketBase's --automigrate)
    automigrate: bool = True
    #: seconds one SQL statement of a request may run (PocketBase's --queryTimeout)
    query_timeout: float = 30.0
    #: answer unknown pb_public paths with its index.html (PocketBase's --indexFallback)
    index_fallback: bool = True
    #: the environment variable holding the settings' encryption key (PocketBase's --encryptionEnv)
    encryption_env: str = ""
    #: worker processes serving the port (1: this process serves alone); ``pybase serve``
    #: defaults to the CPUs it may use (cli.default_workers)
    workers: int = 1
    #: the data database: empty for pb_data/data.db (SQLite), or ``postgres://user:pass@host:port/db``
    #: (``--db``, or the PYBASE_DATABASE_URL environment variable)
    database_url: str = field(default_factory=lambda: os.environ.get("PYBASE_DATABASE_URL", ""))

    def __post_init__(self) -> None:
        if not self.data_dir:
            self.data_dir = os.path.join(base_dir(), "pb_data")
        self.data_dir = os.path.abspath(self.data_dir)
        parent = os.path.dirname(self.data_dir)
        # NOTE: as PocketBase: hooks and migrations default to siblings of the data dir.
        self.hooks_dir = os.path.abspath(self.hooks_dir or os.path.join(parent, "pb_hooks"))
        self.migrations_dir = os.path.abspath(self.migrations_dir or os.path.join(parent, "pb_migrations"))
        self.public_dir = os.path.abspath(self.public_dir or os.path.join(parent, "pb_public"))

    @property
    def dashboard_dir(self) -> str:
        """The bundled admin dashboard."""
        return bundled_dir("dashboard_static")

    @property
    def hooks_runtime_dir(self) -> str:
        """The bundled JS runtime for pb_hooks."""
        return bundled_dir("hooks_runtime")

    def host_port(self) -> tuple[str, int]:
        """``--http`` split into host and port."""
        host, _, port = self.http.rpartition(":")
        return host or "127.0.0.1", int(port)
