"""Log entry ids: PocketBase's form, in time order, unique across processes, and a batch whose id
another process made too is written with new ids rather than lost."""

from __future__ import annotations

import multiprocessing
import random
import re
import time

import pytest

from pybase.core.logs import log_ids as ids_module
from pybase.core.logs.log_ids import log_ids, time_digits
from pybase.core.logs.store import LogStore

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
