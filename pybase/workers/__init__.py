"""Several worker processes behind one port (``pybase serve --workers N``).

The supervisor (:mod:`.supervisor`) binds the port, then starts N workers as fresh processes
of the same command (the frozen binary, ``python -m pybase`` or a framework app alike), each
inheriting the listening socket: the kernel spreads connections over them. Every worker is a
whole pybase serving from one SQLite file; :mod:`.worker` makes them agree:

- writes queue on one file lock before ``BEGIN IMMEDIATE`` (no "database is locked", no busy
  handler sleeps);
- a counter on a shared page says when collections or settings changed in another worker; a
  request seeing it moved reloads them first;
- realtime changes go through the supervisor's hub, numbered in commit order, to every worker;
- one worker at a time (the holder of a lock file) runs the crons and the WAL checkpoints.

Workers are started as new processes, not forked: nothing of the supervisor's state (threads,
SQLite connections) is inherited, and a rolling restart (SIGHUP) runs the binary now on disk.
"""

from pybase.workers.context import WorkerContext, worker_context

__all__ = ["WorkerContext", "worker_context"]
