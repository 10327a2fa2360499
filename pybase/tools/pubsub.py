"""Length-prefixed JSON frames over Unix sockets: a relay hub and its clients.

The hub (in the supervisor process) relays ``change`` frames to every connected client in the
order of their ``s`` sequence numbers: publishers take the numbers in commit order, but frames
from different publishers may reach the hub in another order. A missing number is waited for:
a live publisher sends every number it took, only later than another one when its machine is
busy (a 50 ms wait skipped numbers under load, and their changes then arrived out of order).
A number is skipped once a publisher's connection closed after it went missing (the publisher
died between taking it and sending: everything it sent was read before the close), or after
:data:`GAP_SECONDS` (a publisher that hangs).

Each client answers a relayed change with ``handled`` once it dealt with it; when every client
it was relayed to did (or went away), the publisher is told ``settled``. A client that leaves a
change unanswered for :data:`LAG_SECONDS` (a process that hangs) is left out of what publishers
wait for (``settled``, and the answers of a call to every client) until it answers the newest
change relayed when it was left out: one that hangs holds the writes of that moment up, not
every write after them.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

log = logging.getLogger("pybase.pubsub")

_LEN = struct.Struct("!I")
MAX_FRAME = 64 << 20
GAP_SECONDS = 5.0
GAP_AFTER_CLOSE_SECONDS = 0.05
#: how long a client may leave a relayed change unanswered before publishers stop waiting for it
LAG_SECONDS = 4.0
FLUSH_SECONDS = 2.0  # a closing client writes what it queued before for up to this long


def encode(frame: dict[str, Any]) -> bytes:
    body = orjson.dumps(frame, default=str)
    return _LEN.pack(len(body)) + body


class FrameReader:
    """Splits a byte stream into decoded frames."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buf += data
        frames = []
        while len(self._buf) >= _LEN.size:
            (size,) = _LEN.unpack_from(self._buf)
            if size > MAX_FRAME:
                raise ValueError("frame too large")
            if len(self._buf) < _LEN.size + size:
                break
            body = bytes(self._buf[_LEN.size : _LEN.size + size])
            del self._buf[: _LEN.size + size]
            frames.append(orjson.loads(body))
        return frames


class Hub:
    """The relay: call :meth:`on_readable` when the selector says so; no threads of its own."""

    def __init__(self, address: str, next_seq: int) -> None:
        self.address = address
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(address)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.clients: dict[socket.socket, FrameReader] = {}
        self.names: dict[str, socket.socket] = {}  # from each client's "hello" frame
        self.next_seq = next_seq
        self._held: dict[int, tuple[float, dict[str, Any], socket.socket]] = {}
        #: seq -> [the publisher, the clients a relayed change was sent to and that did not
        #: say ``handled`` yet, when it was relayed]
        self._unsettled: dict[int, tuple[socket.socket, set[socket.socket], float]] = {}
        #: clients left out of what publishers wait for -> the change they must say ``handled``
        #: of to count again (see LAG_SECONDS)
        self._lagging: dict[socket.socket, int] = {}
        self._closed_at = float("-inf")  # when a client's connection last closed
        #: called with (client socket, frame) for frames that are not changes (hello, ready...)
        self.on_frame: Callable[[socket.socket, dict[str, Any]], None] = lambda _s, _f: None
        self.on_closed: Callable[[socket.socket], None] = lambda _s: None

    def accept(self) -> socket.socket | None:
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return None
        conn.settimeout(2.0)  # NOTE: a client that stops reading is dropped, not waited for
        self.clients[conn] = FrameReader()
        return conn

    def on_readable(self, conn: socket.socket) -> bool:
        """Read what ``conn`` sent; False when it closed."""
        try:
            data = conn.recv(1 << 20)
        except OSError:
            data = b""
        if not data:
            self.drop(conn)
            return False
        try:
            frames = self.clients[conn].feed(data)
        except ValueError:
            self.drop(conn)
            return False
        for frame in frames:
            kind = frame.get("t")
            if kind == "change":
                self._change(frame, conn)
            elif kind == "handled":
                self._handled(int(frame.get("s") or 0), conn)
            elif "to" in frame:
                self._route(frame, conn)
            else:
                if kind == "hello" and "name" in frame:
                    self.names[str(frame["name"])] = conn
                self.on_frame(conn, frame)
        return True

    def _route(self, frame: dict[str, Any], origin: socket.socket) -> None:
        """A frame for one client (by the name it said hello with), or with ``to: "*"`` for
        every other one (the sender is told first how many got it). For a name no client has
        (gone, or never was) a call is answered None at once; anything else is dropped."""
        to = str(frame["to"])
        if to != "*":
            conn = self.names.get(to)
            if conn is not None:
                self._send(conn, frame)
            elif frame.get("t") == "call":
                # NOTE: nobody would answer: the caller must not wait its whole timeout for it
                self._send(origin, {"t": "reply", "to": frame.get("from"), "id": frame.get("id"), "body": None})
            return
        sender = self.names.get(str(frame.get("from", "")))
        targets = [conn for conn in self.names.values() if conn is not sender]
        if sender is not None:
            # NOTE: a lagging client gets the frame too, but its answer is not waited for (nor
            # counted for another's: the sender is told whose answers it waits for)
            awaited = sorted(name for name, conn in self.names.items() if conn is not sender and conn not in self._lagging)
            self._send(sender, {"t": "fanout", "id": frame.get("id"), "n": len(awaited), "w": awaited})
        for conn in targets:
            self._send(conn, frame)

    def _send(self, conn: socket.socket, frame: dict[str, Any]) -> None:
        try:
            conn.sendall(encode(frame))
        except OSError:
            self.drop(conn)

    def drop(self, conn: socket.socket) -> None:
        for name, known in list(self.names.items()):
            if known is conn:
                del self.names[name]
        for seq in list(self._unsettled):
            self._handled(seq, conn, dropped=True)
        self._lagging.pop(conn, None)
        if self.clients.pop(conn, None) is not None:
            self._closed_at = time.monotonic()
            self.on_closed(conn)
        with contextlib.suppress(OSError):
            conn.close()

    def _change(self, frame: dict[str, Any], origin: socket.socket) -> None:
        seq = int(frame.get("s", 0))
        if seq < self.next_seq:
            self._relay(frame, origin)  # NOTE: late after its gap was skipped: better late than never
            return
        self._held[seq] = (time.monotonic(), frame, origin)
        self._release()

    def _release(self) -> None:
        while self.next_seq in self._held:
            _, frame, origin = self._held.pop(self.next_seq)
            self._relay(frame, origin)
            self.next_seq += 1

    def _handled(self, seq: int, conn: socket.socket, *, dropped: bool = False) -> None:
        if not dropped and conn in self._lagging and seq >= self._lagging[conn]:
            del self._lagging[conn]
            log.warning("realtime bus: %s answers again; waited for again", self._name_of(conn))
        self._not_waiting(seq, conn, dropped=dropped)

    def _not_waiting(self, seq: int, conn: socket.socket, *, dropped: bool = False) -> None:
        """Change ``seq`` no longer waits for ``conn``: its publisher is told once none is left."""
        pending = self._unsettled.get(seq)
        if pending is None:
            return
        origin, waiting, _when = pending
        if dropped and conn is origin:
            del self._unsettled[seq]  # NOTE: nobody waits any more
            return
        waiting.discard(conn)
        if waiting:
            return
        del self._unsettled[seq]
        self._send(origin, {"t": "settled", "s": seq})

    def _name_of(self, conn: socket.socket) -> str:
        return next((name for name, known in self.names.items() if known is conn), "a client")

    def _leave_out_lagging(self, now: float) -> None:
        """Clients that left a change unanswered for LAG_SECONDS are no longer waited for."""
        late: set[socket.socket] = set()
        for _seq, (_origin, waiting, when) in self._unsettled.items():
            if now - when <= LAG_SECONDS:
                break  # NOTE: relayed in order: the rest are younger
            late |= waiting
        for conn in late:
            if conn in self._lagging or conn not in self.clients:
                continue
            self._lagging[conn] = self.next_seq - 1
            log.warning("realtime bus: %s left a change unanswered for %.0f s; not waited for until it answers", self._name_of(conn), LAG_SECONDS)
            for seq in list(self._unsettled):
                self._not_waiting(seq, conn)

    def tick(self) -> None:
        """Skip a sequence number missing for too long, stop waiting for a client that hangs
        (call a few times a second)."""
        if self._unsettled:
            self._leave_out_lagging(time.monotonic())
        if not self._held:
            return
        oldest = min(self._held)
        now = time.monotonic()
        held_since = self._held[oldest][0]
        closed_since = self._closed_at >= held_since - GAP_SECONDS and now - self._closed_at > GAP_AFTER_CLOSE_SECONDS
        if now - held_since > GAP_SECONDS or closed_since:
            log.warning("realtime bus: change %d never arrived; skipped", self.next_seq)
            self.next_seq = oldest
            self._release()

    def _relay(self, frame: dict[str, Any], origin: socket.socket | None = None) -> None:
        data = encode(frame)
        if origin is not None and origin in self.clients:
            seq = int(frame.get("s", 0))
            waiting = set(self.clients) - self._lagging.keys()
            if waiting:
                self._unsettled[seq] = (origin, waiting, time.monotonic())
            else:
                self._send(origin, {"t": "settled", "s": seq})
        for conn in list(self.clients):
            try:
                conn.sendall(data)
            except OSError:
                self.drop(conn)

    def close(self) -> None:
        for conn in list(self.clients):
            self.drop(conn)
        with contextlib.suppress(OSError):
            self.listener.close()


class HubClient:
    """A connection to the hub: frames out through a sender thread, frames in to ``on_frame``."""

    def __init__(self, address: str, on_frame: Callable[[dict[str, Any]], None], name: str = "") -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(address)
        self.name = name
        self.on_frame = on_frame
        #: answers "call" frames addressed to this client: (frame) -> reply body
        self.on_call: Callable[[dict[str, Any]], Any] = lambda _f: None
        self._calls: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._call_ids = iter(range(1, 1 << 62))
        self._calls_lock = threading.Lock()
        self._fanouts: set[int] = set()  # the calls of call_all
        self._out: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.closed = threading.Event()
        self._sender = threading.Thread(target=self._send_loop, name="pybase-bus-send", daemon=True)
        self._sender.start()
        #: the thread handing over what arrives (what waits for an answer must not run on it)
        self.receiver = threading.Thread(target=self._recv_loop, name="pybase-bus-recv", daemon=True)
        self.receiver.start()

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame (never blocks: the sender thread writes it)."""
        if not self.closed.is_set():
            self._out.put(encode(frame))

    def call(self, to: str, body: Any, timeout: float = 5.0) -> Any:
        """Ask client ``to`` (by name) and wait for its answer; TimeoutError when none comes
        (None at once when no client has that name)."""
        done = threading.Event()
        slot: list[Any] = []
        with self._calls_lock:
            call_id = next(self._call_ids)
            self._calls[call_id] = (done, slot)
        try:
            self.send({"t": "call", "to": to, "from": self.name, "id": call_id, "body": body})
            if not done.wait(timeout):
                raise TimeoutError(f"no answer from {to}")
            return slot[0]
        finally:
            with self._calls_lock:
                self._calls.pop(call_id, None)

    def post(self, to: str, body: Any) -> None:
        """Tell client ``to`` (by name) without waiting: its ``on_call`` gets ``body``, its
        answer is dropped. Posts to one client arrive in the order they were made."""
        self.send({"t": "post", "to": to, "from": self.name, "body": body})

    def call_all(self, body: Any, timeout: float = 5.0) -> list[Any]:
        """Ask every other client; the answers that came within ``timeout``."""
        done = threading.Event()
        # NOTE: [(how many answers are waited for, whose) as the hub says, (by, answer)...]
        slot: list[Any] = [None]
        with self._calls_lock:
            call_id = next(self._call_ids)
            self._calls[call_id] = (done, slot)
            self._fanouts.add(call_id)
        try:
            self.send({"t": "call", "to": "*", "from": self.name, "id": call_id, "body": body})
            done.wait(timeout)
            with self._calls_lock:
                return [body for _by, body in slot[1:]]
        finally:
            with self._calls_lock:
                self._calls.pop(call_id, None)
                self._fanouts.discard(call_id)

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        if kind in ("call", "post"):
            try:
                answer = self.on_call(frame.get("body"))
            except Exception:  # noqa: BLE001 - the caller gets an empty answer, not a hang
                log.exception("bus call failed")
                answer = None
            if kind == "call":
                self.send({"t": "reply", "to": frame.get("from"), "id": frame.get("id"), "body": answer, "by": self.name})
        elif kind in ("reply", "fanout"):
            call_id = int(frame.get("id") or 0)
            with self._calls_lock:
                waiting = self._calls.get(call_id)
                if waiting is None:
                    return
                done, slot = waiting
                if call_id not in self._fanouts:
                    slot.append(frame.get("body"))
                    done.set()
                    return
                if kind == "fanout":
                    awaited = frame.get("w")
                    slot[0] = (int(frame.get("n") or 0), set(awaited) if isinstance(awaited, list) else None)
                else:
                    slot.append((frame.get("by"), frame.get("body")))
                if slot[0] is not None:
                    count, names = slot[0]
                    if sum(1 for by, _body in slot[1:] if names is None or by in names) >= count:
                        done.set()
        else:
            self.on_frame(frame)

    def _send_loop(self) -> None:
        while True:
            data = self._out.get()
            if data is None:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed.set()
                return

    def _recv_loop(self) -> None:
        reader = FrameReader()
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    break
                for frame in reader.feed(data):
                    try:
                        self._dispatch(frame)
                    except Exception:  # noqa: BLE001 - one bad frame must not stop the bus
                        log.exception("bus frame handler failed")
        except (OSError, ValueError):
            pass
        finally:
            self.closed.set()

    def close(self) -> None:
        """Stop; what was queued before goes out first (up to FLUSH_SECONDS)."""
        self.closed.set()
        self._out.put(None)
        # NOTE: a restoring worker sends "exclusive" and stops at once: shut before the sender
        # wrote it, the frame was lost under load, and the worker waited for the others alone
        if threading.current_thread() is not self._sender:
            self._sender.join(FLUSH_SECONDS)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
