"""OrderedReload on a real SQLite file: a cached copy of stored rows never goes backwards when
reloads run at once (a reload read before a write committed, installed after it)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from pybase.store.db import Database
from pybase.store.ordered_reload import OrderedReload


class Copy:
    """A cache of table t's values, reloaded as the registry and the settings are."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.live: list[str] = []
        self.reads = 0
        self.reloads = OrderedReload(db, self.reload)

    def read(self) -> tuple[int, list[str]]:
        """Take a ticket and read (the install is left to the test, to order it)."""
        ticket = self.reloads.ticket()
        with self.db.read() as conn:
            rows = [r[0] for r in conn.execute(text("SELECT body FROM t ORDER BY id"))]
        self.reads += 1
        return ticket, rows

    def install(self, ticket: int, rows: list[str]) -> bool:
        return self.reloads.install(ticket, lambda: setattr(self, "live", rows))

    def reload(self) -> None:
        self.install(*self.read())


@pytest.fixture
def copy(tmp_path: Path):
    db = Database(str(tmp_path / "data.db"))
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO t (body) VALUES ('a')"))
    cached = Copy(db)
    cached.reload()
    yield cached
    db.close()


def _from_other_thread(fn):
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_a_read_made_before_a_write_committed_is_not_installed_after_it(copy: Copy) -> None:
    early = copy.read()  # committed rows before the write
    with copy.db.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('b')"))
        copy.reload()  # the write's own view
        assert copy.live == ["a", "b"]
        # another thread reads the committed rows (without 'b') while the write is open
        during = _from_other_thread(copy.read)
        assert during[1] == ["a"]
        assert not _from_other_thread(lambda: copy.install(*during))
        assert copy.live == ["a", "b"]
    reads = copy.reads
    assert not copy.install(*early)
    assert copy.live == ["a", "b"]
    assert copy.reads == reads  # read again at the commit already (another read started meanwhile)


def test_a_commit_reads_again_only_when_another_reload_started_during_the_write(copy: Copy) -> None:
    for others in (0, 1):
        with copy.db.write() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES ('x')"))
            copy.reload()
            copy.reload()  # NOTE: several reloads in one write: one check at the end
            for _ in range(others):
                _from_other_thread(copy.read)
            reads = copy.reads
        assert copy.reads == reads + others
        assert copy.live[-1] == "x"


def test_a_rolled_back_write_reads_the_committed_rows_again(copy: Copy) -> None:
    with pytest.raises(RuntimeError), copy.db.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('gone')"))
        copy.reload()
        assert copy.live == ["a", "gone"]
        raise RuntimeError
    assert copy.live == ["a"]


def test_a_later_read_replaces_an_earlier_one_not_the_reverse(copy: Copy) -> None:
    first = copy.read()
    with copy.db.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('c')"))
    second = copy.read()
    assert copy.install(*second)
    assert not copy.install(*first)
    assert copy.live == ["a", "c"]


def test_a_commits_late_check_leaves_the_next_writes_own_view_live(copy: Copy) -> None:
    # NOTE: a write's end is checked after its commit, outside the write lock: the next write
    # may have begun and made its own view live by then. That view stays live until it commits
    # (the first write's check had cleared the next one's mark: its read again of the committed
    # rows, without the next write's, was made live in the middle of that write).
    begun, release = threading.Event(), threading.Event()

    def next_write() -> None:
        with copy.db.write() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES ('next')"))
            copy.reload()
            begun.set()
            release.wait(10)

    other = threading.Thread(target=next_write)
    with copy.db.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('first')"))
        # NOTE: runs after the commit, before this write's own check (registered at its reload)
        copy.db.on_commit(lambda: (other.start(), begun.wait(10)))
        copy.reload()
    try:
        assert begun.is_set()
        assert copy.live == ["a", "first", "next"]
        during = _from_other_thread(copy.read)
        assert not _from_other_thread(lambda: copy.install(*during))
        assert copy.live == ["a", "first", "next"]
    finally:
        release.set()
        other.join()
    assert copy.live == ["a", "first", "next"]


def test_a_reload_from_outside_taking_its_ticket_with_the_writes_is_not_made_live_over_it(
    copy: Copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NOTE: another thread's whole reload (committed rows) runs right as the write's reload takes
    # its ticket; the write's view, read after, is what stays live
    transaction_state = copy.db.transaction_state
    ran: list[bool] = []

    def interleaved() -> object:
        state = transaction_state()
        if state is not None and not ran:
            ran.append(_from_other_thread(lambda: copy.install(*copy.read())))
        return state

    monkeypatch.setattr(copy.db, "transaction_state", interleaved)
    with copy.db.write() as conn:
        conn.execute(text("INSERT INTO t (body) VALUES ('b')"))
        copy.reload()
        assert ran
        assert copy.live == ["a", "b"]
    assert copy.live == ["a", "b"]
