"""What the supervisor tells a worker (its environment) and the files they share. Light: the
supervisor imports it without loading the rest of pybase."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

MAX_WORKERS = 64  # each worker is a whole Python process; past this, more is not faster
INDEX_ENV = "PYBASE_WORKER"
SLOT_ENV = "PYBASE_WORKER_SLOT"  # unique among the live workers; where it counts its realtime clients
NAME_ENV = "PYBASE_WORKER_NAME"  # unique among the live workers; starts this worker's client ids
COUNT_ENV = "PYBASE_WORKERS"
LISTEN_FD_ENV = "PYBASE_LISTEN_FD"
BUS_ENV = "PYBASE_BUS"
#: set by ``pybase serve --workers N`` when it starts itself again as the supervisor (JSON)
SUPERVISE_ENV = "PYBASE_SUPERVISE"

WRITE_LOCK_FILE = ".pybase_write.lock"
AUX_WRITE_LOCK_FILE = ".pybase_aux_write.lock"
LEADER_LOCK_FILE = ".pybase_leader.lock"
SHARED_FILE = ".pybase_shared"
RATE_LIMIT_FILE = ".pybase_ratelimits"
ALIVE_LOCK_FILE = ".pybase_alive.lock"  # every worker holds it shared while it runs


class ClusterError(RuntimeError):
    """A node of a Postgres cluster must not run as configured (said at start, before serving)."""


@dataclass(frozen=True)
class WorkerContext:
    """What the supervisor told this worker through its environment."""

    index: int
    name: str
    count: int
    listen_fd: int
    bus_address: str
    slot: int = 0

    def listen_socket(self) -> socket.socket:
        """The supervisor's listening socket (inherited)."""
        return socket.socket(fileno=self.listen_fd)


def worker_context() -> WorkerContext | None:
    """This process's worker context, or None when it is not a supervised worker."""
    index = os.environ.get(INDEX_ENV)
    if index is None:
        return None
    return WorkerContext(
        index=int(index),
        name=os.environ.get(NAME_ENV, ""),
        count=int(os.environ.get(COUNT_ENV, "1")),
        listen_fd=int(os.environ[LISTEN_FD_ENV]),
        bus_address="\0" + os.environ[BUS_ENV][1:],
        slot=int(os.environ.get(SLOT_ENV, index)),
    )
