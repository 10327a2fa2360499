"""The SSE streams of realtime clients, all owned by one asyncio thread.

A stream's HTTP request is routed, authenticated and answered by falcon on a worker thread
like any other; then the server hands the socket over (``HIJACK_ENV``) and the thread returns
to the pool. One event loop (epoll) then writes every stream: thousands of open streams cost
no thread each, and plain API requests keep their threads (../shared/research/sse-on-waitress.md
measured this design against a thread per stream and streams kept in waitress's own loop).

Without a server that can hand sockets over (another WSGI server, tests through falcon's
client), a stream falls back to a generator that holds its worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from pybase.core.realtime import Client, Message, SubscriptionsBroker, Transport

log = logging.getLogger("pybase.realtime")

#: the WSGI environ key of the server's hand-over callable: ``hijack(adopt)`` where
#: ``adopt(sock, head, chunked)`` receives the socket and the response head once the app returned
HIJACK_ENV = "pybase.hijack"

IDLE_TIMEOUT = 5 * 60.0  # PocketBase's idle timeout (no message for this long closes a stream)
MAX_LIFETIME = 30 * 60.0  # and its maximum stream lifetime
# A client that reads nothing is dropped once this much waits for it in the write buffer.
MAX_BACKLOG = 512 << 10
SWEEP_SECONDS = 1.0
_TERMINATOR = b"0\r\n\r\n"


def sse_bytes(client_id: str, message: Message) -> bytes:
    """One event as PocketBase writes it (the ``id:`` line is the client id)."""
    return b"id:" + client_id.encode() + b"\nevent:" + message.name.encode() + b"\ndata:" + message.data + b"\n\n"


def _chunk(data: bytes) -> bytes:
    return b"%X\r\n" % len(data) + data + b"\r\n"


class _Stream(asyncio.Protocol):
    """One client's connection on the loop thread."""

    def __init__(self, owner: SseStreams, client: Client, chunked: bool, idle_timeout: float) -> None:
        self.owner = owner
        self.client = client
        self.chunked = chunked
        self.idle_timeout = idle_timeout
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []  # written before the transport is ready
        self.started = self.last_sent = time.monotonic()
        self.closed = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            self._send(data)

    def data_received(self, data: bytes) -> None:
        pass  # NOTE: nothing is expected from an event stream's client

    def eof_received(self) -> bool:
        return False  # the client left: close

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.owner._lost(self)

    def write(self, payload: bytes) -> None:
        """Send one framed event (queued until the connection is ready)."""
        if self.closed:
            return
        self.last_sent = time.monotonic()
        data = _chunk(payload) if self.chunked else payload
        if self.transport is None:
            self.pending.append(data)
            return
        self._send(data)

    def _send(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(data)
        if transport.get_write_buffer_size() > self.owner.max_backlog:
            log.info("realtime client %s reads too slowly: dropped", self.client.id)
            self.abort()

    def finish(self) -> None:
        """End the stream cleanly (the last chunk, then close)."""
        if self.closed:
            return
        self.closed = True
        if self.transport is None:
            return
        if self.chunked:
            self.transport.write(_TERMINATOR)
        self.transport.close()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class SseStreams(Transport):
    """Every handed-over stream of one process, and the transport the broker delivers through."""

    def __init__(self, broker: SubscriptionsBroker, *, max_backlog: int = MAX_BACKLOG) -> None:
        self.broker = broker
        self.max_backlog = max_backlog
        #: (client, message) -> message to send, or None to skip (onRealtimeMessageSend); set by the API
        self.before_send: Callable[[Client, Message], Message | None] | None = None
        self._streams: dict[str, _Stream] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    # ---- any thread ----------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._streams)

    def adopt(self, client: Client, sock: socket.socket, head: bytes, chunked: bool, idle_timeout: float = IDLE_TIMEOUT) -> None:
        """Take over a connection whose response head is ``head`` (not yet sent)."""
        loop = self._ensure_loop()
        if loop is None:
            sock.close()
            self.broker.unregister(client.id)
            return
        client.transport = self
        stream = _Stream(self, client, chunked, idle_timeout)
        stream.pending.append(head)
        self._streams[client.id] = stream
        loop.call_soon_threadsafe(self._connect, stream, sock)

    def deliver(self, batch: list[tuple[Client, Message]]) -> None:
        """Frame each message for its client here, write them all in one loop callback."""
        loop = self._loop
        if loop is None or not batch:
            return
        hook = self.before_send
        frames: list[tuple[str, bytes]] = []
        for client, message in batch:
            if hook is not None:
                changed = hook(client, message)
                if changed is None:
                    continue
                message = changed
            frames.append((client.id, sse_bytes(client.id, message)))
        if frames:
            try:
                loop.call_soon_threadsafe(self._write_many, frames)
            except RuntimeError:
                pass  # the loop stopped (shutdown)

    def close(self, client: Client) -> None:
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._finish, client.id)
            except RuntimeError:
                pass

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close every stream cleanly and stop the loop thread."""
        with self._lock:
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        done = threading.Event()

        def finish_all() -> None:
            for stream in list(self._streams.values()):
                stream.finish()
            # NOTE: a moment for the last chunks to leave before the loop stops.
            loop.call_later(0.2, lambda: (loop.stop(), done.set()))

        try:
            loop.call_soon_threadsafe(finish_all)
        except RuntimeError:
            return
        done.wait(timeout)
        thread.join(timeout)

    # ---- the loop thread -----------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop | None:
        with self._lock:
            if self._stopped:
                return None
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(loop, ready), name="pybase-realtime", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.call_later(SWEEP_SECONDS, self._sweep)
        try:
            loop.run_forever()
        finally:
            for stream in list(self._streams.values()):
                stream.abort()
            loop.close()

    def _connect(self, stream: _Stream, sock: socket.socket) -> None:
        assert self._loop is not None

        async def connect() -> None:
            try:
                await self._loop.connect_accepted_socket(lambda: stream, sock=sock)  # type: ignore[union-attr]
            except OSError:
                sock.close()
                self._lost(stream)

        self._loop.create_task(connect())

    def _write_many(self, frames: list[tuple[str, bytes]]) -> None:
        streams = self._streams
        for client_id, data in frames:
            stream = streams.get(client_id)
            if stream is not None:
                stream.write(data)

    def _finish(self, client_id: str) -> None:
        stream = self._streams.get(client_id)
        if stream is not None:
            stream.finish()

    def _lost(self, stream: _Stream) -> None:
        client_id = stream.client.id
        if self._streams.get(client_id) is stream:
            del self._streams[client_id]
            self.broker.unregister(client_id)

    def _sweep(self) -> None:
        """Close streams idle past their timeout or older than the maximum lifetime (as PocketBase)."""
        now = time.monotonic()
        for stream in list(self._streams.values()):
            if now - stream.last_sent > stream.idle_timeout or now - stream.started > MAX_LIFETIME:
                stream.finish()
        assert self._loop is not None
        self._loop.call_later(SWEEP_SECONDS, self._sweep)


class BlockingStream:
    """The fallback: a WSGI body that holds its worker thread and yields events as they come."""

    def __init__(self, client: Client, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.client = client
        self.idle_timeout = idle_timeout
        self.queue: queue.SimpleQueue[Message | None] = queue.SimpleQueue()

    def __iter__(self) -> Iterator[bytes]:
        started = time.monotonic()
        while not self.client.discarded and time.monotonic() - started < MAX_LIFETIME:
            try:
                message = self.queue.get(timeout=self.idle_timeout)
            except queue.Empty:
                return
            if message is None:
                return
            yield sse_bytes(self.client.id, message)


class QueueTransport(Transport):
    """Delivers to :class:`BlockingStream` queues (one transport for all fallback streams)."""

    def __init__(self) -> None:
        self.before_send: Callable[[Client, Message], Message | None] | None = None
        self.streams: dict[str, BlockingStream] = {}

    def deliver(self, batch: list[tuple[Client, Message]]) -> None:
        for client, message in batch:
            stream = self.streams.get(client.id)
            if stream is None:
                continue
            if self.before_send is not None:
                changed = self.before_send(client, message)
                if changed is None:
                    continue
                message = changed
            stream.queue.put(message)

    def close(self, client: Client) -> None:
        stream = self.streams.pop(client.id, None)
        if stream is not None:
            stream.queue.put(None)
