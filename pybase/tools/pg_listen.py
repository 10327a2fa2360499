"""Postgres LISTEN on a dedicated connection, notifications handed over in arrival order.

Postgres delivers the notifications of committed transactions in commit order to every
session listening on their channel; :class:`Listener` keeps one such session per process and
calls ``on_notify(channel, payload)`` for each, on its own thread, in that order. A lost
connection is opened again; ``on_reconnect(seconds)`` is told for how long it may have missed
notifications (what was sent meanwhile never comes), before the ones sent since are handed over.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("pybase.cluster")

RECONNECT_SECONDS = 1.0
POLL_SECONDS = 0.5
_listeners = itertools.count()


def libpq_url(url: str) -> str:
    """``postgres://`` / ``postgresql+psycopg://`` as the ``postgresql://`` libpq reads."""
    _scheme, _, rest = url.partition("://")
    return "postgresql://" + rest


def connect(url: str, application_name: str = "pybase", timeout: int | None = None) -> Any:
    """A new autocommit psycopg connection to ``url`` (``timeout``: seconds to connect, or the
    URL's own setting)."""
    import psycopg

    options: dict[str, Any] = {} if timeout is None else {"connect_timeout": timeout}
    return psycopg.connect(libpq_url(url), autocommit=True, application_name=application_name, **options)


class Listener:
    """One connection listening on ``channels``; notifications go to ``on_notify`` in order."""

    def __init__(
        self,
        url: str,
        channels: list[str],
        on_notify: Callable[[str, str], Any],
        on_reconnect: Callable[[float], Any] | None = None,
        name: str = "pybase-listen",
    ) -> None:
        self.url = url
        self.channels = list(channels)
        self.on_notify = on_notify
        self.on_reconnect = on_reconnect
        #: the thread's name, and the connection's application_name (pg_stat_activity shows it)
        self.name = name
        self._stop = threading.Event()
        #: a channel only this listener listens on: :meth:`close` ends the thread's wait with it
        self._wake_channel = f"pybase_wake_{os.getpid()}_{next(_listeners)}"
        #: when the connection last answered (a poll ended, or a notification came)
        self._last_ok = time.monotonic()
        self._conn: Any = self._open()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        """The thread notifications are handed over on."""
        return self._thread

    def _open(self) -> Any:
        conn = connect(self.url, self.name)
        for channel in [*self.channels, self._wake_channel]:
            conn.execute(f'LISTEN "{channel}"')
        return conn

    def _run(self) -> None:
        while not self._stop.is_set():
            conn = self._conn
            try:
                if conn is None:
                    conn = self._conn = self._open()
                    missed = time.monotonic() - self._last_ok
                    log.warning("cluster: LISTEN connection open again; notifications of the last %.1f s were lost", missed)
                    if self.on_reconnect is not None:
                        self.on_reconnect(missed)
                    self._last_ok = time.monotonic()
                for notify in conn.notifies(timeout=POLL_SECONDS):
                    self._last_ok = time.monotonic()
                    try:
                        if notify.channel != self._wake_channel:
                            self.on_notify(notify.channel, notify.payload)
                    except Exception:  # noqa: BLE001 - one bad notification must not stop the others
                        log.exception("cluster: failed to handle a notification on %s", notify.channel)
                    if self._stop.is_set():
                        break
                self._last_ok = time.monotonic()
            except Exception as ex:  # noqa: BLE001 - the connection broke: open it again
                if self._stop.is_set():
                    return
                log.warning("cluster: LISTEN connection lost (%s); opening it again", ex)
                self._close_conn()
                self._stop.wait(RECONNECT_SECONDS)

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._wake()
            self._thread.join(timeout=POLL_SECONDS * 4)
        self._close_conn()

    def _wake(self) -> None:
        """End the thread's wait for notifications at once, by one sent to it alone (PERF: a
        stopping node waited for the end of the poll, 0.25 s on average, on every stop)."""
        try:
            # NOTE: bounded: a stop must not wait on a Postgres that went unreachable
            with connect(self.url, self.name, timeout=1) as conn:
                conn.execute("SELECT pg_notify(%s, '')", (self._wake_channel,))
        except Exception:  # noqa: BLE001 - Postgres gone: the poll ends by itself
            pass
