"""A one-line progress bar for long command-line jobs (written to a text stream, stderr usually)."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """``name [#####.....] done/total``, redrawn in place on a terminal.

    On anything else (a pipe, a CI log) one line per task is written when it ends, so logs do
    not fill with carriage returns.
    """

    WIDTH = 30
    REDRAW_SECONDS = 0.1

    def __init__(self, stream: TextIO, *, interactive: bool | None = None) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self._name = ""
        self._drawn = 0.0
        self._label_width = 24

    def update(self, name: str, done: int, total: int) -> None:
        """Report ``done`` of ``total`` for the task ``name`` (a new name starts a new line)."""
        if name != self._name:
            self._name = name
            self._drawn = 0.0
        finished = done >= total
        now = time.monotonic()
        if self.interactive:
            if not finished and now - self._drawn < self.REDRAW_SECONDS:
                return
            self._drawn = now
            self.stream.write("\r" + self._line(name, done, total) + ("\n" if finished else ""))
            self.stream.flush()
        elif finished:
            self.stream.write(self._line(name, done, total) + "\n")
            self.stream.flush()

    def _line(self, name: str, done: int, total: int) -> str:
        filled = self.WIDTH if total <= 0 else min(self.WIDTH, self.WIDTH * done // total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{name[: self._label_width]:<{self._label_width}} [{bar}] {done:,}/{total:,}"
