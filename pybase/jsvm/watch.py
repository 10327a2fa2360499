"""Hot reload: watch ``pb_hooks`` with watchdog and reload the runtime shortly after a change.

Changes are debounced (editors write a file in several steps) and then reloaded on the
watcher's own thread; requests keep being served by the current hooks meanwhile, and a load that
fails keeps them (see ``JsRuntime.load``). Dot-folders and ``node_modules`` are ignored, as in
PocketBase.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

if TYPE_CHECKING:
    from pybase.jsvm.runtime import JsRuntime

log = logging.getLogger("pybase.jsvm")

DEBOUNCE_SECONDS = 0.1
_WATCHED_SUFFIXES = (".js", ".json", ".ts")


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: HooksWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if any(self.watcher.relevant(str(p)) for p in paths if p):
            self.watcher.changed()


class HooksWatcher:
    """Reloads ``runtime`` within about 0.1 s of a change in its hooks folder."""

    def __init__(self, runtime: JsRuntime, *, debounce: float = DEBOUNCE_SECONDS) -> None:
        self.runtime = runtime
        self.debounce = debounce
        self._observer: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def relevant(self, path: str) -> bool:
        """Whether a changed path can affect the hooks."""
        rel = os.path.relpath(path, self.runtime.hooks_dir)
        if rel.startswith(".."):
            return False
        parts = rel.split(os.sep)
        if any(p.startswith(".") or p == "node_modules" for p in parts[:-1]):
            return False
        return parts[-1].endswith(_WATCHED_SUFFIXES)

    def start(self) -> None:
        """Start watching (recursively)."""
        observer = Observer()
        observer.schedule(_Handler(self), self.runtime.hooks_dir, recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def changed(self) -> None:
        """Schedule a reload, restarting the debounce delay."""
        with self._lock:
            if self._stopped:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.debounce, self._reload)
            self._timer.daemon = True
            self._timer.start()

    def _reload(self) -> None:
        if self._stopped:
            return
        try:
            self.runtime.load()
        except Exception:  # noqa: BLE001 - the watcher must survive any reload failure
            log.exception("reloading pb_hooks failed")

    def stop(self) -> None:
        """Stop watching; a pending reload is cancelled."""
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
