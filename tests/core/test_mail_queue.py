"""The background mail queue: jobs run in order of submission, workers end when idle and come back."""

from __future__ import annotations

import threading
import time

import pytest

from pybase.core.mail import queue as mail_queue_module
from pybase.core.mail.queue import MailQueue


def test_jobs_run_and_a_failing_one_does_not_stop_the_others() -> None:
    box = MailQueue(workers=1)
    done: list[int] = []

    def fail() -> None:
        raise RuntimeError("smtp down")

    box.submit("first", lambda: done.append(1))
    box.submit("broken", fail)
    box.submit("last", lambda: done.append(2))
    assert box.wait_idle(30)
    assert done == [1, 2]


def test_a_full_queue_drops_and_says_so() -> None:
    gate = threading.Event()
    box = MailQueue(workers=1, max_waiting=1)
    assert box.submit("blocking", lambda: gate.wait(30) and None)
    # the worker may or may not have taken the first job yet: fill what is left
    results = [box.submit(f"job {n}", lambda: None) for n in range(3)]
    assert results.count(False) >= 1
    gate.set()
    assert box.wait_idle(30)


def test_idle_workers_end_and_new_mail_starts_them_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail_queue_module, "IDLE_SECONDS", 0.05)
    box = MailQueue(workers=2)
    box.submit("one", lambda: None)
    assert box.wait_idle(30)
    deadline = time.monotonic() + 30
    while box._threads and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not box._threads
    done: list[str] = []
    box.submit("again", lambda: done.append("sent"))
    assert box.wait_idle(30) and done == ["sent"]


def test_a_transport_refusal_is_one_log_line_and_anything_else_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    from pybase.core.mail.clients import SMTPClient
    from pybase.core.mail.message import Address, Message

    with socket.socket() as probe:  # NOTE: a loopback port nobody listens on: the real client's refusal
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = Message(Address("from@example.com"), [Address("to@example.com")], "hi", "<p>hi</p>")
    box = MailQueue(workers=1)

    def broken() -> None:
        raise RuntimeError("a bug")

    with caplog.at_level("ERROR", logger="pybase.mail"):
        box.submit("login alert email", lambda: SMTPClient("127.0.0.1", port, timeout=5).send(message))
        box.submit("other mail", broken)
        assert box.wait_idle(30)
    refused, bug = [r for r in caplog.records if r.name == "pybase.mail"]
    assert refused.getMessage().startswith("failed to send login alert email: ") and refused.exc_info is None
    assert bug.getMessage() == "failed to send other mail" and bug.exc_info is not None
