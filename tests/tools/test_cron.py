"""The cron scheduler: expressions, due checks, jobs by id, running, and a clean start/stop."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from pybase.tools.cron import Cron, CronError, is_due, parse_expression

MONDAY_0500 = datetime(2024, 1, 1, 5, 0, tzinfo=UTC)  # 2024-01-01 is a Monday


@pytest.mark.parametrize(
    ("expr", "normalized"),
    [
        ("0 * * * *", "0 * * * *"),
        ("  */5   1-3 * * 1,2 ", "*/5 1-3 * * 1,2"),
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_expressions_and_macros_are_normalized(expr, normalized):
    assert parse_expression(expr) == normalized


@pytest.mark.parametrize(
    "expr",
    ["", "* * * *", "* * * * * *", "61 * * * *", "* 25 * * *", "@every 5s", "@reboot", "a b c d e"],
)
def test_invalid_expressions_and_sub_minute_forms_are_refused(expr):
    with pytest.raises(CronError):
        parse_expression(expr)


def test_due_checks_match_to_the_minute_and_need_both_day_fields():
    assert is_due("0 * * * *", MONDAY_0500.replace(second=42))
    assert not is_due("0 * * * *", MONDAY_0500.replace(minute=1))
    assert is_due("*/15 5 * * *", MONDAY_0500.replace(minute=45))
    # NOTE: PocketBase's IsDue needs the day of month AND the day of week (not cron's OR).
    assert is_due("0 5 1 * 1", MONDAY_0500)
    assert not is_due("0 5 1 * 2", MONDAY_0500)
    assert not is_due("0 5 2 * 1", MONDAY_0500)


def test_jobs_by_id_add_replace_remove():
    cron = Cron()
    cron.add("a", "@hourly", lambda: None)
    cron.add("b", "0 0 * * *", lambda: None)
    cron.add("a", "*/2 * * * *", lambda: None)  # replaced, moves to the end
    assert [j.to_json() for j in cron.jobs()] == [
        {"id": "b", "expression": "0 0 * * *"},
        {"id": "a", "expression": "*/2 * * * *"},
    ]
    assert cron.remove("b").id == "b"
    assert cron.remove("missing") is None
    assert [j.id for j in cron.jobs()] == ["a"]
    with pytest.raises(CronError):
        cron.add("", "* * * * *", lambda: None)
    with pytest.raises(CronError):
        cron.add("bad", "* * *", lambda: None)
    assert len(cron) == 1
    cron.remove_all()
    assert len(cron) == 0


def _waiter(n: int) -> tuple[threading.Event, list[str], callable]:
    done = threading.Event()
    seen: list[str] = []

    def record(name: str):
        def run():
            seen.append(name)
            if len(seen) >= n:
                done.set()

        return run

    return done, seen, record


def test_run_due_starts_only_the_due_jobs_and_run_now_any():
    cron = Cron()
    done, seen, record = _waiter(2)
    cron.add("hourly", "0 * * * *", record("hourly"))
    cron.add("daily", "0 0 * * *", record("daily"))
    cron.add("five", "0 5 * * *", record("five"))
    assert sorted(cron.run_due(MONDAY_0500)) == ["five", "hourly"]
    assert done.wait(5)
    assert sorted(seen) == ["five", "hourly"]
    done2, seen2, record2 = _waiter(1)
    cron.add("daily", "0 0 * * *", record2("daily"))
    assert cron.run_now("daily") is True
    assert cron.run_now("nope") is False
    assert done2.wait(5) and seen2 == ["daily"]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    cron = Cron()
    done, seen, record = _waiter(1)

    def boom():
        raise RuntimeError("kaput")

    cron.add("boom", "* * * * *", boom)
    cron.add("ok", "* * * * *", record("ok"))
    cron.run_due(MONDAY_0500)
    assert done.wait(5)
    cron.stop()
    assert "cron job 'boom' failed" in caplog.text


def test_the_ticker_runs_due_jobs_and_stops_cleanly():
    cron = Cron(interval=0.05)
    done, seen, record = _waiter(2)
    cron.add("every-minute", "* * * * *", record("tick"))
    # NOTE: servers other tests left running (session fixtures) have "cron" threads of their own.
    before = {t for t in threading.enumerate() if t.name == "cron"}
    cron.start()
    cron.start()  # a no-op when started
    assert cron.started
    assert done.wait(5)
    cron.stop()
    assert not cron.started
    count = len(seen)
    time.sleep(0.2)
    assert len(seen) == count  # nothing runs after stop()
    assert not any(t.name == "cron" and t.is_alive() for t in threading.enumerate() if t not in before)


def test_stop_waits_for_running_jobs():
    cron = Cron()
    finished = threading.Event()
    cron.add("slow", "* * * * *", lambda: (time.sleep(0.3), finished.set()))
    cron.run_now("slow")
    cron.stop(wait=5)
    assert finished.is_set()


def test_numbers_may_carry_a_plus_sign_as_in_pocketbase():
    from pybase.tools.cron import parse_expression

    assert parse_expression("+5 0 1 1 *") == "5 0 1 1 *"
    assert parse_expression("0-+30/+5 * * * *") == "0-30/5 * * * *"
