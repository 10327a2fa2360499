"""The server's worker threads start as tasks need them, never past the count set (memory: an
idle worker process no longer holds 48 threads)."""

from __future__ import annotations

import threading
import time

from pybase.server.serve import _Dispatcher


class _Task:
    def __init__(self, gate: threading.Event, done: list[str]) -> None:
        self.gate, self.done = gate, done

    def service(self) -> None:
        self.gate.wait(10)
        self.done.append(threading.current_thread().name)

    def cancel(self) -> None:  # pragma: no cover - only on a shutdown with tasks left
        pass


def _wait_idle(dispatcher: _Dispatcher) -> None:
    deadline = time.monotonic() + 10
    while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
        time.sleep(0.01)


def _alive(dispatcher: _Dispatcher) -> int:
    return sum(t.is_alive() for t in dispatcher.started)


def test_threads_start_with_the_tasks_up_to_the_count_set() -> None:
    lane = _Dispatcher("lane")
    lane.set_thread_count(4)
    assert lane.started == []  # none until a task comes
    gate, done = threading.Event(), []
    lane.add_task(_Task(gate, done))
    time.sleep(0.2)
    assert _alive(lane) == 1
    gate.set()  # NOTE: the one thread serves task after task: no new thread while it is idle
    for _ in range(5):
        _wait_idle(lane)
        lane.add_task(_Task(gate, done))
    _wait_idle(lane)
    assert _alive(lane) == 1
    gate.clear()
    for _ in range(10):  # 10 blocked tasks: 4 threads at most, the rest queued
        lane.add_task(_Task(gate, done))
    time.sleep(0.3)
    assert len(lane.threads) == 4 and _alive(lane) == 4
    assert len(lane.queue) == 6
    gate.set()
    deadline = time.monotonic() + 10
    while len(done) < 16 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(done) == 16
    assert {name for name in done} <= {f"lane-{i}" for i in range(4)}
    assert lane.shutdown(timeout=5)
    assert not lane.threads and _alive(lane) == 0


def test_a_lower_count_stops_the_threads_past_it() -> None:
    lane = _Dispatcher("lane")
    lane.set_thread_count(3)
    gate, done = threading.Event(), []
    for _ in range(3):
        lane.add_task(_Task(gate, done))
    time.sleep(0.2)
    assert _alive(lane) == 3
    gate.set()
    _wait_idle(lane)
    lane.set_thread_count(1)
    deadline = time.monotonic() + 5
    while _alive(lane) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _alive(lane) == 1 and len(lane.threads) == 1
    for _ in range(2):
        _wait_idle(lane)
        lane.add_task(_Task(gate, done))
    _wait_idle(lane)
    assert len(done) == 5 and _alive(lane) == 1
    assert lane.shutdown(timeout=5)


class _NoThreads(_Dispatcher):
    """A dispatcher whose next ``fail`` thread starts fail, as when the system has no more."""

    fail = 0

    def start_new_thread(self, target, thread_no):  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail -= 1
            raise RuntimeError("can't start new thread")
        super().start_new_thread(target, thread_no)


def test_a_thread_that_cannot_start_is_not_counted_as_running() -> None:
    lane = _NoThreads("lane")
    lane.set_thread_count(4)
    gate, done = threading.Event(), []
    gate.set()
    lane.fail = 1
    try:
        lane.add_task(_Task(gate, done))  # no thread at all: the task cannot run, the caller hears
    except RuntimeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a task with no thread to run it was accepted")
    assert lane.active_count == 0 and not lane.threads and not lane.queue
    lane.add_task(_Task(gate, done))  # one thread now runs
    _wait_idle(lane)
    lane.fail = 1
    blocked = threading.Event()
    lane.add_task(_Task(blocked, done))  # busy: a second thread is wanted, and fails to start
    lane.add_task(_Task(gate, done))  # queued behind; the running thread takes it later
    blocked.set()
    deadline = time.monotonic() + 10
    while len(done) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(done) == 3
    _wait_idle(lane)
    assert lane.active_count == 0  # NOTE: the server looks idle again (it never did before)
    assert lane.shutdown(timeout=5)
