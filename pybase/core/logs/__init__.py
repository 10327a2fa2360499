"""Logs: the ``_logs`` table in ``auxiliary.db`` (request logs and ``app.logger()`` entries)."""

from pybase.core.logs.logger import DEBUG, ERROR, INFO, WARN, Logger
from pybase.core.logs.store import LogSettings, LogStore

__all__ = ["DEBUG", "ERROR", "INFO", "WARN", "LogSettings", "LogStore", "Logger"]
