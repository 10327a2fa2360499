"""The storage layer on a real SQLite file: the serialized writer and WAL checkpoints."""

from __future__ import annotations

import functools
import os
import platform
import struct
import threading
import time
import weakref
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

    def write_and_check(used: Database) -> bool:
        for _ in range(50):
            with used.write() as conn:
                conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "z" * 2000})
        written[0] += 50
        return written[0] >= 300 and _wal_frames(used) < 100  # ~600 frames unchecked

    # NOTE: the database passed, not closed over: the name is deleted below to drop it
    _wait_for(functools.partial(write_and_check, database))
    assert _checkpoint_threads() == before + 1
    dropped = weakref.ref(database)
    del database, conn
    gc.collect()
    assert dropped() is None, "something still holds the dropped Database"
    _wait_for(lambda: _checkpoint_threads() == before)  # no thread left behind a dropped Database


@pytest.mark.parametrize("way", ["prepared", "sqlalchemy"])
def test_read_connections_are_shared_by_threads_and_few_stay_open(database: Database, way: str):
    """Many threads reading at once open what they need; once they are done only a few
    connections stay (a worker kept one per thread it ever ran: 38-54 of them, ~10 MB)."""
    from pybase.store.db_base import Prepared

    with database.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('a'), ('b')"))
    # NOTE: long enough (a few ms) that the threads' statements overlap.
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) SELECT count(*) FROM n, t"
    select = Prepared(slow, [], {}, [])
    start, failures = threading.Barrier(16), []

    def read() -> None:
        start.wait()
        for _ in range(3):
            if way == "prepared":
                rows = database.fetch(select)
            else:
                with database.read() as conn:
                    rows = [tuple(r) for r in conn.exec_driver_sql(slow)]
            if rows != [(60000,)]:
                failures.append(rows)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # NOTE: counted by the pools: a closed connection's file stays open while others hold
    # locks on it (SQLite reuses it for the next connection), so descriptors tell nothing.
    kept = db_module.READ_CONNECTIONS_KEPT
    if way == "prepared":
        assert database._reads.peak > kept  # NOTE: the threads did read at once
        assert database._reads.open <= kept
    else:
        assert database.read_engine.pool.checkedin() <= kept and database.read_engine.pool.checkedout() == 0
        assert database.read_engine.pool.overflow() <= 0
    assert database.fetch(Prepared("SELECT count(*) FROM t", [], {}, [])) == [(2,)]


def test_a_read_connection_survives_an_interrupted_statement(database: Database):
    """A statement stopped by its time limit gives its connection back, still usable."""
    from pybase.store import statement_limit
    from pybase.store.db_base import Prepared

    endless = Prepared("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n", [], {}, [])
    for _ in range(3):
        with statement_limit.limited(0.05), pytest.raises(Exception, match="interrupted"):
            database.fetch(endless)
    assert database.fetch(Prepared("SELECT count(*) FROM t", [], {}, [])) == [(0,)]


def test_release_memory_keeps_one_idle_connection_per_pool_and_leaves_lent_ones_alone(database: Database):
    from pybase.store.db_base import Prepared
    from pybase.tools.memory import trim_heap

    with database.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('a')"))
    select = Prepared("SELECT body FROM t", [], {}, [])
    reads = database._reads
    lent = [reads.borrow() for _ in range(4)]
    for raw in lent[1:]:
        reads.give_back(raw)
    from sqlalchemy import event

    live = {"n": 0}
    engine = database.read_engine
    event.listen(engine, "connect", lambda *_: live.update(n=live["n"] + 1))
    event.listen(engine, "close_detached", lambda *_: live.update(n=live["n"] - 1))
    sqlalchemy_held = [engine.raw_connection() for _ in range(3)]
    for conn in sqlalchemy_held:
        conn.close()
    assert live["n"] == 3
    database.release_memory()
    assert len(reads.idle) == 1 and reads.open == 2  # the one kept, and the one still lent
    assert live["n"] == 1
    assert lent[0].execute("SELECT body FROM t").fetchall() == [("a",)]  # untouched
    reads.give_back(lent[0])
    assert database.fetch(select) == [("a",)]
    with database.read() as conn:
        assert conn.execute(text("SELECT body FROM t")).all() == [("a",)]
    with database.write() as conn:
        database.release_memory()  # NOTE: inside a write: the writer is left alone
        conn.execute(text("INSERT INTO t (body) VALUES ('b')"))
    assert sorted(database.fetch(select)) == [("a",), ("b",)]
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")  # NOTE: malloc_trim is glibc's


def test_read_connections_are_kept_again_when_a_closed_database_is_used_again(database: Database):
    """close() then more reads (the CLI's superuser/migrate commands close the database the
    server goes on with; a stopped app served again): reads borrow kept connections again,
    instead of opening (schema read, pragmas) and closing one per statement for good."""
    from pybase.store.db_base import Prepared

    select = Prepared("SELECT count(*) FROM t", [], {}, [])
    assert database.fetch(select) == [(0,)]
    database.close()
    for _ in range(3):
        assert database.fetch(select) == [(0,)]
    reads = database._reads
    assert len(reads.idle) == 1 and reads.open == 1 and reads.peak == 1
    raw = reads.idle[0]
    assert database.fetch(select) == [(0,)]
    assert reads.idle == [raw]  # the same connection, lent again


def test_after_release_memory_the_next_read_uses_the_kept_connection(database: Database):
    """SQLAlchemy's pool lends the last returned record first: the one connection release_memory
    keeps must be returned last, or the next read opens a new one beside it."""
    from sqlalchemy import event

    engine = database.read_engine
    opened = {"n": 0}
    event.listen(engine, "connect", lambda *_: opened.update(n=opened["n"] + 1))
    held = [engine.raw_connection() for _ in range(3)]
    for conn in held:
        conn.close()
    database.release_memory()
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    assert opened["n"] == 3


# SQLite's floor() of each kind of value (SQLAlchemy's dialect puts Python's math.floor in its
# place, which fails on NULL and on text): the answers of a plain sqlite3 connection.
FLOOR_ARGS = [
    "NULL", "'4'", "' 4 '", "'4.5'", "'-4.5'", "'abc'", "''", "'1e3'", "'.5'", "'5.'", "'+3'", "'0x10'", "x'34'", "2.5",
    "-2.5", "7", "'9223372036854775808'", "'-9223372036854775808'", "-0.0", "'٣'", "'4abc'", "'inf'", "1e308*10", "true",
]  # fmt: skip


@pytest.mark.parametrize("arg", FLOOR_ARGS)
def test_floor_answers_as_sqlites_own_on_every_connection(database: Database, arg: str) -> None:
    from pybase.store.sqlite_driver import sqlite3  # NOTE: the SQLite pybase runs on

    query = f"SELECT floor({arg}), typeof(floor({arg})), quote(floor({arg}))"
    expected = sqlite3.connect(":memory:").execute(query).fetchone()
    with database.write() as conn:
        assert tuple(conn.exec_driver_sql(query).one()) == expected
    with database.read() as conn:
        assert tuple(conn.exec_driver_sql(query).one()) == expected


def test_pybase_runs_on_the_sqlite_of_its_driver(database: Database) -> None:
    """pybase's connections run pysqlite3's SQLite (3.5x, as PocketBase's) where its wheel
    exists (Linux x86-64), every connection the same library."""
    import platform
    import sys

    from pybase.store.sqlite_driver import BUNDLED, SQLITE_VERSION

    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert BUNDLED and tuple(int(p) for p in SQLITE_VERSION.split(".")[:2]) >= (3, 50)
    with database.read() as conn:
        assert conn.exec_driver_sql("SELECT sqlite_version()").scalar() == SQLITE_VERSION
    with database.write() as conn:
        assert conn.exec_driver_sql("SELECT sqlite_version()").scalar() == SQLITE_VERSION


def test_a_write_whose_client_left_never_leaves_its_transaction_or_the_write_lock_behind(tmp_path: Path) -> None:
    # NOTE: SQLite counts the steps between two calls of the time-limit handler over a prepared
    # statement's runs, so now and then it calls it during the cached BEGIN IMMEDIATE; a handler stopping those (the
    # client has gone) left an interrupted BEGIN IMMEDIATE's transaction open, and with it
    # SQLite's write lock once the process lock was released: other processes' writes answered
    # "database is locked". Every write here is refused ("interrupted") or made, and after each
    # the writer is out of its transaction and another connection can take the write lock.
    from pybase.store import statement_limit
    from pybase.store.sqlite_driver import sqlite3

    database = Database(str(tmp_path / "data.db"))
    try:
        with database.write() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        other = sqlite3.connect(str(tmp_path / "data.db"), isolation_level=None, timeout=0)
        refused = made = 0
        with statement_limit.limited(30.0, client_gone=lambda: True):
            for n in range(3000):
                try:
                    with database.write() as conn:
                        conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": f"row {n}"})
                        conn.execute(text("SELECT count(*) FROM t WHERE body > :b"), {"b": "row"}).scalar()
                    made += 1
                except Exception as ex:
                    assert statement_limit.is_interrupted(ex), ex
                    refused += 1
                assert database._writer is None or not database._writer.connection.driver_connection.in_transaction, n
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
        assert refused and made
        with database.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == made
        other.close()
    finally:
        database.close()
