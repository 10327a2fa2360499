"""Mail off the request path: jobs run on background threads, one queue per app.

A slow or dead SMTP server delays mails, never the API: request handlers only enqueue.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from pybase.core.mail.clients import MailError

if TYPE_CHECKING:
    from pybase.core.app import App

log = logging.getLogger("pybase.mail")

#: background senders per app (a slow server holds one of them per message)
WORKERS = 2
#: jobs waiting at most; past that a mail is dropped and logged rather than memory growing
MAX_WAITING = 10_000
#: seconds a worker waits for work before its thread ends (a later mail starts a new one)
IDLE_SECONDS = 30.0


class MailQueue:
    """Background worker threads running mail jobs in order of submission."""

    def __init__(self, workers: int = WORKERS, max_waiting: int = MAX_WAITING) -> None:
        self._jobs: queue.Queue[tuple[str, Callable[[], None]]] = queue.Queue(max_waiting)
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def submit(self, what: str, job: Callable[[], None]) -> bool:
        """Run ``job`` in the background; False (and a log line) when the queue is full."""
        with self._lock:
            self._start()
            try:
                self._jobs.put_nowait((what, job))
            except queue.Full:
                log.error("mail queue full: %s dropped", what)
                return False
            self._pending += 1
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted job has run (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _start(self) -> None:
        # NOTE: called with the lock held; a worker leaves this list (under the same lock) only
        # when the queue is empty, so a job put after this call always has a worker.
        while len(self._threads) < self._workers:
            thread = threading.Thread(target=self._run, name=f"pybase-mail-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self) -> None:
        while True:
            try:
                what, job = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._threads.remove(threading.current_thread())
                        return
                continue
            try:
                job()
            except MailError as ex:
                # NOTE: the transport's refusal (no sendmail, SMTP down): a line, not a traceback
                # on every sign-in of a server that has no mail set up
                log.error("failed to send %s: %s", what, ex)
            except Exception:
                log.exception("failed to send %s", what)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


_QUEUES: weakref.WeakKeyDictionary[App, MailQueue] = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


def mail_queue(app: App) -> MailQueue:
    """The app's mail queue (created on first use)."""
    with _QUEUES_LOCK:
        found = _QUEUES.get(app)
        if found is None:
            found = _QUEUES[app] = MailQueue()
        return found


def send_in_background(app: App, what: str, job: Callable[[], None]) -> bool:
    """Queue a mail job for ``app`` (see :class:`MailQueue`)."""
    return mail_queue(app).submit(what, job)
