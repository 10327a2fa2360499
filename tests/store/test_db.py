"""The storage layer on a real SQLite file: the serialized writer and WAL checkpoints."""

from __future__ import annotations

import os
import struct
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from pybase.store import db as db_module
from pybase.store.db import Database


@pytest.fixture
def database(tmp_path: Path):
    database = Database(str(tmp_path / "data.db"))
    with database.write() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    yield database
    database.close()


def _wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _wal_frames(database: Database) -> int:
    """Frames in use in the WAL, read from the wal-index header without touching the database.

    SQLite's file format, section 4.5: the header's mxFrame is a native-order u32 at offset 16.
    """
    header = Path(database.path + "-shm").read_bytes()[:48]
    return struct.unpack("=I", header[16:20])[0]


def test_the_writer_leaves_checkpoints_to_the_background_thread(database: Database, monkeypatch):
    monkeypatch.setattr(db_module, "CHECKPOINT_WAL_BYTES", 64 << 10)
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_COMMITS", 8)
    with database.write() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    body = "x" * 2000
    for i in range(400):  # ~1 MB of WAL without checkpoints (two frames a write at the least)
        with database.write() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": f"{i}{body}"})
    # The WAL restarts from its start once checkpointed instead of holding every write: the
    # frames in use stay near the checkpoint threshold (16 pages of 4 KB) instead of ~800.
    def restarted() -> bool:
        with database.write() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES ('one more')"))
        return _wal_frames(database) < 100

    _wait_for(restarted)
    assert any(t.name == "pybase-checkpoint" for t in threading.enumerate())
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t WHERE body != 'one more'")).scalar() == 400


def test_checkpoints_never_lose_concurrent_writes(database: Database, monkeypatch):
    monkeypatch.setattr(db_module, "CHECKPOINT_WAL_BYTES", 16 << 10)
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_COMMITS", 2)
    writers, per_writer = 4, 100

    def write(n: int) -> None:
        for i in range(per_writer):
            with database.write() as conn:
                conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": f"{n}-{i}" + "y" * 500})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    database.close()
    # A fresh connection on the file sees every committed row after close's final checkpoint.
    reopened = Database(database.path)
    try:
        with reopened.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == writers * per_writer
    finally:
        reopened.close()
    assert not os.path.exists(database.path + "-wal") or os.path.getsize(database.path + "-wal") == 0


def _checkpoint_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "pybase-checkpoint" and t.is_alive())


def test_checkpoints_resume_after_close_and_stop_with_a_dropped_database(tmp_path: Path, monkeypatch):
    import gc

    monkeypatch.setattr(db_module, "CHECKPOINT_WAL_BYTES", 64 << 10)
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_COMMITS", 4)
    before = _checkpoint_threads()
    database = Database(str(tmp_path / "reused.db"))
    with database.write() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    database.close()
    # Used again after close() (the CLI's start() does this): checkpoints start again.

    written = [0]

    def write_and_check() -> bool:
        for _ in range(50):
            with database.write() as conn:
                conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "z" * 2000})
        written[0] += 50
        return written[0] >= 300 and _wal_frames(database) < 100  # ~600 frames unchecked

    _wait_for(write_and_check)
    assert _checkpoint_threads() == before + 1
    del database, conn
    gc.collect()
    _wait_for(lambda: _checkpoint_threads() == before)  # no thread left behind a dropped Database


def test_the_read_connection_of_a_thread_that_ends_is_closed(database: Database):
    """A thread's reader goes with the thread (a loop thread that stalled and retired): the
    process keeps no connection, page cache or file mapping per thread it ever had."""
    from pybase.store.db_base import Prepared

    select = Prepared("SELECT count(*) FROM t", [], {}, [])
    assert database.fetch(select) == [(0,)]  # this thread's reader stays
    kept = list(database._readers)
    seen: list = []

    def read() -> None:
        assert database.fetch(select) == [(0,)]
        seen.append(database._thread_reader())

    for _ in range(3):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(seen) == 3 and all(raw not in kept for raw in seen)
    _wait_for(lambda: database._readers == kept)
    for raw in seen:
        with pytest.raises(Exception, match="closed"):
            raw.execute("SELECT 1")
    assert database.fetch(select) == [(0,)]
