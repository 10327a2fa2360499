"""The server's dispatch: quick requests on waitress's loop thread, blocking ones on its workers.

A real server on loopback with Python routes that report the thread they ran on. The checks are
about behaviour, never timing: a blocked route must not stop other requests from being answered
(the blocked handler waits for an event the test sets only after the other answer arrived).
"""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

import pybase
from pybase.server import INLINE_BODY_MAX, SLOW_STRIKES, DispatchPolicy

TIMEOUT = 10


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[pybase.PyBase, Any, str, dict[str, Any]]]:
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0")
    state: dict[str, Any] = {"release": threading.Event(), "entered": threading.Event()}

    @app.route("GET", "/api/where")
    def where(e):
        return {"thread": threading.current_thread().name}

    @app.route("POST", "/api/where")
    def where_post(e):
        return {"thread": threading.current_thread().name, "size": len(e.request_info().body.get("blob", ""))}

    @app.route("GET", "/api/blocking")
    def blocking(e):
        # The first calls only sleep past the slow threshold; later ones wait for the test.
        if state.setdefault("calls", 0) < SLOW_STRIKES:
            threading.Event().wait(DispatchPolicy().slow_seconds * 2)
        else:
            state["entered"].set()
            state["release"].wait(TIMEOUT)
        state["calls"] += 1
        return {"thread": threading.current_thread().name}

    @app.route("GET", "/api/big/{size}")
    def big(e):
        return {"blob": "x" * int(e.request.path_value("size"))}

    server = app.serve_in_thread()
    try:
        yield app, server, f"http://127.0.0.1:{server.port}", state
    finally:
        state["release"].set()
        app.stop()


def _eventually(check, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def _thread(base: str, path: str = "/api/where") -> str:
    res = requests.get(base + path, timeout=TIMEOUT)
    assert res.status_code == 200, res.text
    return str(res.json()["thread"])


def test_quick_requests_run_on_the_loop_thread(served):
    _app, _server, base, _state = served
    loop = _thread(base)
    assert not loop.startswith("waitress"), loop
    assert {_thread(base) for _ in range(5)} == {loop}


def test_large_bodies_and_blocking_actions_go_to_worker_threads(served):
    _app, server, base, _state = served
    res = requests.post(base + "/api/where", json={"blob": "y" * (INLINE_BODY_MAX + 1)}, timeout=TIMEOUT)
    assert res.status_code == 200 and res.json()["size"] == INLINE_BODY_MAX + 1
    assert res.json()["thread"].startswith("waitress"), res.json()
    small = requests.post(base + "/api/where", json={"blob": "y"}, timeout=TIMEOUT).json()
    assert not small["thread"].startswith("waitress"), small
    policy = server.dispatch
    assert not policy.runs_inline("POST", "/api/collections/users/auth-with-password", 10, "*/*")
    assert not policy.runs_inline("GET", "/api/realtime", 0, "*/*")
    assert not policy.runs_inline("GET", "/api/files/c/r/a.png", 0, "*/*")
    assert not policy.runs_inline("GET", "/_/", 0, "*/*")
    assert not policy.runs_inline("GET", "/assets/app.js", 0, "*/*")  # pb_public files may be large
    assert policy.runs_inline("GET", "/hello/world", 0, "*/*")  # a custom route
    assert not policy.runs_inline("GET", "/api/anything", 0, "text/event-stream")
    assert policy.runs_inline("GET", "/api/collections/posts/records", 0, "*/*")


def test_a_slow_route_moves_to_worker_threads_and_stops_blocking_others(served):
    _app, server, base, state = served
    for _ in range(SLOW_STRIKES - 1):  # slow, inline: the policy counts
        assert not _thread(base, "/api/blocking").startswith("waitress")
    assert not server.dispatch.is_offloaded("GET", "/api/blocking")
    assert not _thread(base, "/api/blocking").startswith("waitress")
    # NOTE: the answer leaves while the request is still being served; the policy hears of
    # the run just after, so the client may see the answer first.
    _eventually(lambda: server.dispatch.is_offloaded("GET", "/api/blocking"))
    assert not server.dispatch.is_offloaded("GET", "/api/where")
    with ThreadPoolExecutor(1) as pool:
        blocked = pool.submit(_thread, base, "/api/blocking")
        assert state["entered"].wait(TIMEOUT), "the blocking route never started"
        # The blocked handler holds a worker thread; the loop still answers everyone else.
        assert not _thread(base).startswith("waitress")
        assert requests.get(base + "/api/health", timeout=TIMEOUT).status_code == 200
        state["release"].set()
        assert blocked.result(TIMEOUT).startswith("waitress")


def test_one_slow_run_is_forgiven_three_in_a_row_are_not():
    policy = DispatchPolicy(slow_seconds=0.01, cooldown=60.0)
    for _ in range(5):  # a GC pause or WAL checkpoint now and then, however long
        policy.ran_inline("POST", "/api/collections/posts/records", 5.0)
        policy.ran_inline("POST", "/api/collections/posts/records", 0.001)
    assert policy.runs_inline("POST", "/api/collections/posts/records", 0, "")
    for _ in range(3):
        policy.ran_inline("POST", "/api/collections/posts/records", 0.03)
    assert not policy.runs_inline("POST", "/api/collections/posts/records", 0, "")


def test_offload_cooldown_grows_while_a_route_stays_slow():
    policy = DispatchPolicy(slow_seconds=0.01, cooldown=0.0)
    assert policy.runs_inline("GET", "/api/x/1", 0, "")
    policy.ran_inline("GET", "/api/x/1", 0.001)
    assert not policy.is_offloaded("GET", "/api/x/1")
    policy = DispatchPolicy(slow_seconds=0.01, cooldown=60.0)
    for _ in range(SLOW_STRIKES):
        policy.ran_inline("GET", "/api/collections/posts/records/abc", 0.5)
    # One key per collection's records routes and method: the list is the same route here.
    assert not policy.runs_inline("GET", "/api/collections/posts/records", 0, "")
    assert policy.runs_inline("GET", "/api/collections/other/records", 0, "")
    assert policy.runs_inline("POST", "/api/collections/posts/records", 0, "")
    first = policy.cooldown_of("GET", "/api/collections/posts/records")
    for _ in range(SLOW_STRIKES):
        policy.ran_inline("GET", "/api/collections/posts/records", 0.5)
    assert policy.cooldown_of("GET", "/api/collections/posts/records") == 2 * first


def test_a_response_larger_than_the_high_watermark_is_sent_whole_from_the_loop(served):
    _app, server, base, _state = served
    # NOTE: waitress makes a writer wait for the loop to drain a backlog over this mark; on the
    # loop thread itself that wait would never end.
    server.server.adj.outbuf_high_watermark = 64 << 10
    size = 3 << 20
    res = requests.get(f"{base}/api/big/{size}", timeout=TIMEOUT)
    assert res.status_code == 200 and len(res.json()["blob"]) == size


def test_pipelined_requests_are_answered_in_order(served):
    _app, server, _base, _state = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        request = b"GET /api/big/%d HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request % 3 + request % 5 + b"GET /api/where HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200") == 3
    assert data.index(b'"xxx"') < data.index(b'"xxxxx"') < data.index(b'"thread"')


def test_a_request_stalling_the_loop_hands_it_to_a_new_thread(tmp_path):
    """A route calling back into its own server deadlocks a single loop; the watchdog moves it."""
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0")
    base: dict[str, str] = {}

    @app.route("GET", "/api/calls-itself")
    def calls_itself(e):
        inner = requests.get(base["url"] + "/api/where-inner", timeout=TIMEOUT)
        return {"inner": inner.json()["thread"], "outer": threading.current_thread().name}

    @app.route("GET", "/api/where-inner")
    def where_inner(e):
        return {"thread": threading.current_thread().name}

    server = app.serve_in_thread()
    base["url"] = f"http://127.0.0.1:{server.port}"
    try:
        res = requests.get(base["url"] + "/api/calls-itself", timeout=TIMEOUT)
        assert res.status_code == 200, res.text
        body = res.json()
        assert server.handovers == 1
        # NOTE: while the loop is stalled, a route never seen quick runs off the loop.
        assert body["inner"] != body["outer"]
        # A new loop serves now (inline, or on a worker thread when a busy machine made the
        # route look slow): never the stalled one.
        assert _thread(base["url"], "/api/where-inner") in {"pybase-loop-1"} | {f"waitress-{i}" for i in range(64)}
        # Each stall counts as a slow run: after a few the route goes to the workers. NOTE: on a
        # busy machine a run may count as slow without a stall, so these are bounds.
        for _ in range(SLOW_STRIKES + 1):
            again = requests.get(base["url"] + "/api/calls-itself", timeout=TIMEOUT).json()
            if again["outer"].startswith("waitress"):
                break
        assert again["outer"].startswith("waitress")
        assert 1 <= server.handovers <= SLOW_STRIKES
    finally:
        app.stop()


def test_stopping_after_a_handover_drains_the_stalled_request(tmp_path):
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0")
    entered, release = threading.Event(), threading.Event()

    @app.route("GET", "/api/hold")
    def hold(e):
        entered.set()
        release.wait(TIMEOUT)
        return {"held": True}

    server = app.serve_in_thread()
    url = f"http://127.0.0.1:{server.port}"
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(requests.get, url + "/api/hold", timeout=TIMEOUT)
        assert entered.wait(TIMEOUT)
        while server.handovers == 0:  # the watchdog moves the loop off the stalled thread
            threading.Event().wait(0.05)
        assert requests.get(url + "/api/health", timeout=TIMEOUT).status_code == 200
        # NOTE: stop() waits for the drain, which waits for the held request: released while
        # stop() waits (released after it, the drain ran out at the client's read timeout).
        stopping = pool.submit(app.stop)
        while not server._stopping.is_set():
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)
        assert not held.done() and not stopping.done()
        release.set()
        res = held.result(TIMEOUT)
        assert stopping.result(TIMEOUT) is True
    assert res.status_code == 200 and res.json() == {"held": True}
    assert server.wait_stopped(TIMEOUT)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/health", timeout=TIMEOUT)


def test_a_malformed_request_still_gets_the_json_400(served):
    _app, server, _base, _state = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /api/where HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400") and b'"status":400' in body, data


def test_a_large_chunked_body_goes_to_a_worker_thread(served):
    _app, _server, base, _state = served
    # A generator body is sent chunked: waitress knows no Content-Length for it.
    parts = iter([b'{"blob":"', b"z" * (INLINE_BODY_MAX + 1), b'"}'])
    res = requests.post(base + "/api/where", data=parts, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert res.status_code == 200 and res.json()["size"] == INLINE_BODY_MAX + 1
    assert res.json()["thread"].startswith("waitress"), res.json()


def test_a_burst_of_stalling_requests_costs_one_handover(tmp_path):
    app = pybase.PyBase(data_dir=str(tmp_path / "pb_data"), http="127.0.0.1:0")
    burst = SLOW_STRIKES + 2
    all_in = threading.Barrier(burst + 1)

    @app.route("GET", "/api/wait-for-all")
    def wait_for_all(e):
        all_in.wait(TIMEOUT)  # only returns once every request of the burst runs at once
        return {"thread": threading.current_thread().name}

    server = app.serve_in_thread()
    url = f"http://127.0.0.1:{server.port}/api/wait-for-all"
    try:
        with ThreadPoolExecutor(burst) as pool:
            futures = [pool.submit(requests.get, url, timeout=TIMEOUT) for _ in range(burst)]
            all_in.wait(TIMEOUT)
            threads = [f.result(TIMEOUT).json()["thread"] for f in futures]
        # The first stall hands the loop over; while it lasts, a route never seen quick runs in
        # the slow lane, so the rest of the burst costs no more handovers.
        assert server.handovers == 1
        assert sum(not t.startswith("waitress") for t in threads) == 1, threads
    finally:
        app.stop()
    assert server.wait_stopped(TIMEOUT)


def test_an_idle_server_gives_back_what_a_burst_left_open(served, caplog):
    """Once requests stop for a second, the app closes the read connections a burst opened
    but one per pool and frees caches (memory after a load: issue #16), once per quiet spell."""
    app, server, base, _ = served
    db = app.core.db
    covered: list[int] = []  # requests_seen as each on_idle run began, once it has returned
    release = server._on_idle

    def on_idle() -> None:
        seen = server.requests_seen
        release()
        covered.append(seen)

    server._on_idle = on_idle
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: requests.get(base + "/api/collections/_superusers/records", timeout=TIMEOUT), range(64)))
    # NOTE: a burst's own connections, as threads reading at once would have opened them
    for raw in [db._reads.borrow() for _ in range(3)]:
        db._reads.give_back(raw)
    # NOTE: a request after them: the quiet spell that follows it comes after the connections
    # went back, however late this thread got here (the burst's own spell may be over).
    assert requests.get(base + "/api/health", timeout=TIMEOUT).status_code == 200
    seen = server.requests_seen
    _eventually(lambda: seen in covered)
    assert len(db._reads.idle) <= 1
    assert "idle housekeeping failed" not in caplog.text
    runs = len(covered)
    time.sleep(1.5)
    assert len(covered) == runs  # NOTE: nothing to give back without requests
    assert requests.get(base + "/api/health", timeout=TIMEOUT).status_code == 200
    seen = server.requests_seen
    _eventually(lambda: seen in covered)
    assert len(covered) == runs + 1


#: (method, path, JSON body, status): a request of each kind is checked for cyclic garbage
GARBAGE_CASES = [
    ("GET", "/api/health", None, 200),
    ("GET", "/api/where", None, 200),
    ("POST", "/api/where", {"blob": "x"}, 200),
    ("GET", "/api/collections/nope/records", None, 404),
    ("GET", "/api/collections/users/records?filter=(email%3D", None, 400),
    ("GET", "/api/nowhere", None, 404),
    ("POST", "/api/collections/users/auth-with-password", {"identity": "a@b.c", "password": "x"}, 400),
]


def test_served_requests_leave_no_cyclic_garbage(served):
    """A request's objects are freed when it ends, not left to the cyclic GC (a task and its
    environ, a failed request's traceback and its frames used to make cycles). Each kind of
    request is checked on its own, on one server.

    PERF: one server for every kind, and the heap frozen before the requests, so each collection
    looks only at what they made (not at everything a long test run holds)."""
    _app, _server, base, _state = served
    left: dict[str, list[str]] = {}
    with requests.Session() as session:

        def send(method: str, path: str, body: Any, status: int) -> None:
            resp = session.request(method, base + path, json=body, timeout=TIMEOUT)
            assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text}"

        gc.collect()
        gc.freeze()
        try:
            for case in GARBAGE_CASES:
                send(*case)  # warm
            for method, path, body, status in GARBAGE_CASES:
                gc.collect()
                gc.set_debug(gc.DEBUG_SAVEALL)
                try:
                    for _ in range(5):
                        send(method, path, body, status)
                    time.sleep(0.2)  # NOTE: the loop thread may still be finishing the last task
                    gc.collect()
                    left[f"{method} {path}"] = [
                        type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith(("pybase", "falcon", "waitress"))
                    ]
                finally:
                    gc.set_debug(0)
                    gc.garbage.clear()
        finally:
            gc.unfreeze()
    assert {case: types for case, types in left.items() if types} == {}, "requests left objects to the cyclic GC"


@pytest.mark.parametrize(
    "sizes",
    [
        (8 << 20, 5),  # NOTE: the kernel takes part of the first: the rest queues, the second after it
        (5, 8 << 20, 7),
        (4 << 20, 4 << 20, 4 << 20),
    ],
)
def test_responses_sent_straight_to_a_slow_reader_arrive_whole_and_in_order(served, sizes):
    """Channel.write_soon sends to the socket from the loop thread; what the kernel does not
    take is buffered, and what follows waits behind it (the client reads slowly)."""
    _app, server, _base, _state = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        heads = [b"GET /api/big/%d HTTP/1.1\r\nHost: x\r\n\r\n" % size for size in sizes]
        sock.sendall(b"".join(heads) + b"GET /api/where HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)  # NOTE: let the server meet a full socket before anything is read
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK\r\n")[1:]]
    assert [len(body) for body in bodies[:-1]] == [len(b'{"blob":""}') + size for size in sizes]
    assert all(body == b'{"blob":"' + b"x" * size + b'"}' for body, size in zip(bodies, sizes, strict=False))
    assert b'"thread"' in bodies[-1]


def test_a_client_gone_before_its_response_leaves_the_server_serving(served):
    """A client that resets its connection while a large response is being sent straight to
    its socket costs the server nothing: the next clients are answered."""
    _app, server, base, _state = served
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /api/big/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (4 << 20))
        time.sleep(0.1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # NOTE: close with RST
        sock.close()
    assert _thread(base) and requests.get(f"{base}/api/big/10", timeout=TIMEOUT).json() == {"blob": "x" * 10}
