"""Log entry ids: PocketBase's form, in time order, unique across processes, and a batch whose id
another process made too is written with new ids rather than lost, once even when the attempt
before committed unseen."""

from __future__ import annotations

import multiprocessing
import random
import re
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from pybase.core.logs import log_ids as ids_module
from pybase.core.logs.log_ids import log_ids, time_digits
from pybase.core.logs.store import LogStore
from tests.pg import BACKENDS, postgres_only

ID_FORM = re.compile(r"[a-z0-9]{15}")


def test_ids_have_pocketbase_form_and_ascend_within_and_across_batches() -> None:
    made = [i for _ in range(50) for i in log_ids(400)]
    assert all(ID_FORM.fullmatch(i) for i in made)
    assert len(set(made)) == len(made)
    assert made == sorted(made)


@pytest.mark.parametrize("seed", range(5))
def test_time_digits_text_order_is_number_order(seed: int) -> None:
    rng = random.Random(seed)
    numbers = [rng.randrange(36**10) for _ in range(2000)] + [0, 1, 35, 36, 1295, 1296, 36**10 - 1]
    texts = [time_digits(n) for n in numbers]
    assert all(len(t) == 10 for t in texts)
    assert sorted(texts) == [time_digits(n) for n in sorted(numbers)]
    assert [int(t, 36) for t in texts] == numbers


def _ids_in_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(list(log_ids(2000)))


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_processes_tag_their_ids(start: str) -> None:
    context = multiprocessing.get_context(start)
    list(log_ids(1))  # this process's tag exists before a fork
    queue = context.Queue()
    children = [context.Process(target=_ids_in_child, args=(queue,)) for _ in range(3)]
    for child in children:
        child.start()
    batches = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(60)
    batches.append(list(log_ids(2000)))
    tags = {batch[0][10:13] for batch in batches}
    assert len(tags) == len(batches)  # NOTE: 1 in ~7,800 runs two meet; then the next line still holds
    everything = [i for batch in batches for i in batch]
    assert len(set(everything)) == len(everything)


def test_a_batch_meeting_an_existing_id_is_written_with_new_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LogStore(str(tmp_path))
    store.open()
    try:
        store.add(0, "first", {"n": 1})
        store.flush()
        # The next batch's first id is made at ids_module._last + 1 (the counter only grows):
        # every id it can be (each random pair) is taken beforehand, as another process would.
        with ids_module._lock:
            ids_module._last += 10**6
            taken = time_digits(ids_module._last + 1) + ids_module._process_tag()
        with store.db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO _logs (id, level, message, data, created) VALUES (?, 0, 'taken', '{}', '2026-01-01 00:00:00.000Z')",
                [(taken + a + b,) for a in ids_module.DIGITS for b in ids_module.DIGITS],
            )
        store.add(0, "second", {"n": 2})
        assert store.flush() == 1
        with store.db.read() as conn:
            rows = conn.exec_driver_sql("SELECT id FROM _logs WHERE message = 'second'").fetchall()
        assert len(rows) == 1 and ID_FORM.fullmatch(rows[0][0]) and not rows[0][0].startswith(taken)
    finally:
        store.close()


def test_ids_begin_with_the_time_since_2020() -> None:
    before = time.time_ns() // 1000 - ids_module.EPOCH_MICROS
    made = next(log_ids(1))
    assert int(made[:10], 36) >= before
    assert int(made[:10], 36) - before < 60_000_000 or ids_module._last > before  # NOTE: the counter may run ahead


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[LogStore]:
    """A log store on SQLite (auxiliary.db) or on a fresh Postgres database."""
    url = request.getfixturevalue("databases").server.new_database() if request.param == "postgres" else ""
    made = LogStore(str(tmp_path), database_url=url)
    made.open()
    yield made
    made.close()
    if url:
        request.getfixturevalue("databases").drop(url)


# (what the attempt before stored, the batch), by entry name (see _entry)
WRITTEN_AGAIN = [
    # the whole batch committed, its answer lost (Postgres: connection cut right after COMMIT)
    pytest.param(["a", "b"], ["a", "b"], id="all-stored"),
    # one entry of it present: stored by an earlier batch of this process (a "\x00" too)
    pytest.param(["a"], ["a", "b", "c"], id="some-stored"),
    pytest.param(["n"], ["n", "b"], id="nul-in-message"),
]


@pytest.mark.parametrize(("before", "batch"), WRITTEN_AGAIN)
def test_a_batch_written_again_stores_each_entry_once(store: LogStore, before: list[str], batch: list[str]) -> None:
    ids = log_ids(len(batch))
    rows = {name: (next(ids), *_entry(name)[1:]) for name in batch}
    store._write([rows[name] for name in before])
    store._write([rows[name] for name in batch])  # NOTE: as the writer's retry after a failure
    assert _stored(store) == sorted(rows.values())


def test_a_batch_written_again_gives_an_id_another_process_took_a_new_one(store: LogStore) -> None:
    ids = log_ids(3)
    mine, taken, fresh = ((next(ids), *_entry(name)[1:]) for name in ("a", "b", "c"))
    theirs = (taken[0], 0, "another process", "{}", "2026-01-01 00:00:00.001Z")
    store._write([mine, theirs])
    store._write([mine, taken, fresh])
    stored = _stored(store)
    assert len(stored) == 4 and {mine, theirs, fresh} < set(stored)
    (renamed,) = set(stored) - {mine, theirs, fresh}
    assert renamed[1:] == taken[1:] and ID_FORM.fullmatch(renamed[0]) and renamed[0] != taken[0]


@postgres_only
def test_a_batch_whose_connection_was_cut_is_written_once_by_the_retry(databases: Any, tmp_path: Any) -> None:
    """The writer's connection cut (as when Postgres restarts): the retry opens another; the
    entry the batch shares with the one before (it committed, its answer lost) stays single."""
    import psycopg

    url = databases.server.new_database()
    store = LogStore(str(tmp_path), database_url=url)
    store.open()
    try:
        ids = log_ids(3)
        rows = [(next(ids), *_entry(name)[1:]) for name in ("a", "b", "c")]
        store._write(rows[:1])
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
            cut = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert cut is not None and cut[0] >= 1
        store._write(list(rows))
        assert _stored(store) == sorted(rows)
    finally:
        store.close()
        databases.drop(url)


def _stored(store: LogStore) -> list[tuple[Any, ...]]:
    """Every entry as written: id, level, message, data's text, created."""
    entries, _total = store.list(None, None, limit=100, offset=0, total=False)
    return sorted(
        (e["id"], e["level"], e["message"], orjson.dumps(e["data"], option=orjson.OPT_SORT_KEYS).decode(), e["created"]) for e in entries
    )


def _entry(name: str) -> tuple[Any, ...]:
    message = f"GET /api/{name}" + ("\x00" if name == "n" else "")
    return (name, 0, message, f'{{"name":"{name}"}}', f"2026-01-01 00:00:0{ord(name) % 10}.000Z")
