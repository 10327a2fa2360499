"""Backups of ``pb_data``: consistent zip archives in ``pb_data/backups``."""

from pybase.core.backups.store import BackupBusyError, BackupEvent, BackupStore

__all__ = ["BackupBusyError", "BackupEvent", "BackupStore"]
