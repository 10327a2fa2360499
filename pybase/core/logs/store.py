"""The ``_logs`` table in ``auxiliary.db``, written in batches off the request path.

With the data on Postgres (``--db``), ``_logs`` is a table of that same database instead: every
node of a cluster writes and lists the same logs, and one database holds the whole app (a dump
or a ``db copy`` carries everything). It has its own connections and writer, so logging never
waits for the data writes.

As PocketBase: entries wait in memory and a writer thread stores them every few seconds, or at
once when a batch is full, in one transaction. The queue is bounded: when the disk cannot keep
up, the oldest waiting entries are dropped (and counted) rather than growing memory.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from pybase.core.errors import BadRequestError
from pybase.core.logs.log_ids import log_ids
from pybase.store import pg_nul
from pybase.store.db import Database, Prepared
from pybase.store.dialect import POSTGRES, hour_of, insertion_order
from pybase.store.schema import first_row
from pybase.tools.filter import (
    MAX_FILTER_LENGTH,
    FilterError,
    NullFallback,
    ResolvedField,
    SimpleResolver,
    compile_filter,
    compile_sort,
    parse_filter,
    parse_sort,
)
from pybase.tools.filter.resolver import bind_value
from pybase.tools.types import format_datetime, now

log = logging.getLogger("pybase.logs")

FLUSH_SECONDS = 3.0  # PocketBase's ticker
# PERF: the writer wakes for this many waiting entries (or every FLUSH_SECONDS): fewer, larger
# transactions than PocketBase's 200 cost a Python process less (commits, WAL checkpoints).
BATCH_SIZE = 2000
MAX_PENDING = 20_000
#: ids looked up a statement when a batch is written again (bound parameters: SQLite's limit)
_LOOKUP_CHUNK = 500
MAX_KEEP_DAYS = 36_500  # entries held while the disk is slow; older ones are dropped past this
FILTER_FIELDS = ("id", "created", "level", "message", "data")
# NOTE: PocketBase's allowed pattern for a path below data (ASCII word characters, dots, colons)
DATA_PATH_RE = re.compile(r"^data\.[\w.:]*\w+$", re.ASCII)
_COLUMNIFY_RE = re.compile(r"[^\w.*\-@#]+", re.ASCII)

_metadata = MetaData()
logs_table = Table(
    "_logs",
    _metadata,
    Column("id", Text, primary_key=True),
    Column("level", Integer, nullable=False, server_default=text("0")),
    Column("message", Text, nullable=False, server_default=text("''")),
    Column("data", Text, nullable=False, server_default=text("'{}'")),
    Column("created", Text, nullable=False),
    Index("idx_logs_level", "level"),
    Index("idx_logs_message", "message"),
    Index("idx_logs_created_hour", func.strftime("%Y-%m-%d %H:00:00", literal_column("created"))),
)


class LogsFilterError(BadRequestError):
    """A filter or sort that does not parse, or names what is not a field of the logs."""


class LogsQueryError(BadRequestError):
    """A filter or sort the database refused (``data..x``: an empty part of a JSON path)."""


class _EmptyPathPart(Exception):  # noqa: N818 - a marker, caught in LogStore
    """A path below data with an empty part (``data..x``): SQLite refuses it; so on Postgres."""


class LogsResolver(SimpleResolver):
    """PocketBase's resolver of the logs: the columns, and below ``data`` only a path of ASCII
    word characters, dots and colons (``data.a-b`` and ``data.ü`` are refused, as there), each
    part columnified as there (an empty part, ``data..x``, is a path the database refuses)."""

    __slots__ = ()

    def resolve(self, identifier: str) -> ResolvedField | None:
        if "." not in identifier:
            return super().resolve(identifier)
        if not DATA_PATH_RE.match(identifier):
            return None
        parts = [_COLUMNIFY_RE.sub("", raw) for raw in identifier.split(".")[1:]]
        if "" in parts:
            raise _EmptyPathPart(identifier)
        path = "$" + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts)
        return ResolvedField.column(func.json_extract(logs_table.c.data, bind_value(path)), null_fallback=NullFallback.DISABLED)


@dataclass(frozen=True)
class LogSettings:
    """The ``logs`` section of the settings (PocketBase's defaults)."""

    max_days: int = 5
    min_level: int = 0
    log_ip: bool = True
    log_auth_id: bool = False


def postgres_logs_table() -> Table:
    """``_logs`` for Postgres: the same columns; its hour index is over the text's first 13
    characters (SQLite's strftime() cannot index there), its insertion order a ``_rowid_``."""
    table = Table("_logs", MetaData(), *(column._copy() for column in logs_table.columns))
    Index("idx_logs_level", table.c.level)
    Index("idx_logs_message", table.c.message)
    Index("idx_logs_created", table.c.created)
    return table


class LogStore:
    """Request and app logs: queued, written in batches, listed, counted per hour, expired."""

    def __init__(
        self, data_dir: str, settings: Callable[[], LogSettings] = LogSettings, database_url: str = ""
    ) -> None:
        self.path = os.path.join(data_dir, "auxiliary.db")
        #: the Postgres database holding ``_logs`` (empty: auxiliary.db)
        self.database_url = database_url
        self.settings = settings
        self.dropped = 0  # entries dropped because the queue was full
        self._db: Any = None
        self._pending: collections.deque[tuple[int, str, dict[str, Any], float]] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one batch written at a time
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def open(self) -> None:
        """Create the table (if needed) and start the writer thread."""
        if self._db is None:
            if self.database_url:
                # NOTE: psycopg is imported only for Postgres
                from pybase.store.db_postgres import PostgresDatabase

                self._db = PostgresDatabase(self.database_url, read_pool_size=4)
                with self._db.write() as conn:
                    postgres_logs_table().create(conn, checkfirst=True)
                    for sql in POSTGRES.extra_table_ddl('"_logs"'):
                        conn.exec_driver_sql(sql)
                    # NOTE: made by an older pybase in a collation not ordering by bytes (the
                    # module is imported here: Postgres only, memory per worker)
                    from pybase.store import pg_text_order

                    pg_text_order.to_byte_order(conn, ["_logs"])
            else:
                self._db = Database(self.path, read_pool_size=8)
                with self._db.write() as conn:
                    _metadata.create_all(conn)
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="pybase-logs", daemon=True)
            self._thread.start()

    def database(self) -> Any:
        """The auxiliary database (None until opened): a ``Database``, or a ``PostgresDatabase``."""
        return self._db

    def close(self) -> None:
        """Write what waits, stop the writer and close the database."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    @functools.cached_property
    def _insert(self) -> Prepared:
        return self.db.prepare(
            logs_table.insert().values(
                id=bindparam("id"), level=bindparam("level"), message=bindparam("message"),
                data=bindparam("data"), created=bindparam("created"),
            )
        )  # fmt: skip

    @property
    def db(self) -> Any:
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    # ---- writing -----------------------------------------------------------------------------

    def accepts(self, level: int) -> bool:
        """Whether an entry of ``level`` would be kept (logs on, level at least the minimum)."""
        settings = self.settings()
        return settings.max_days > 0 and level >= settings.min_level

    def add(self, level: int, message: str, data: dict[str, Any]) -> None:
        """Queue one entry (cheap: the writer thread stores it)."""
        if self.accepts(level):
            self.queue(level, message, data)

    def queue(self, level: int, message: str, data: dict[str, Any]) -> None:
        """Queue one entry the caller found :meth:`accepts` (the request logger reads the
        settings once a request)."""
        pending = self._pending
        # PERF: the time is taken here and formatted by the writer thread.
        pending.append((level, message, data, time.time()))
        if len(pending) > MAX_PENDING:
            pending.popleft()
            self.dropped += 1
        if len(pending) >= BATCH_SIZE:
            self._wake.set()

    def flush(self) -> int:
        """Write every waiting entry now; returns how many were written."""
        written = 0
        with self._lock:
            while self._pending:
                batch = []
                while self._pending and len(batch) < BATCH_SIZE:
                    batch.append(self._pending.popleft())
                ids = log_ids(len(batch))
                stamp = _timestamps()
                # NOTE: Postgres text holds no NUL (a URL's %00 is one in the message): its
                # escape (pybase.store.pg_nul) is written there, the message's as it is sent.
                escaped = bool(self.database_url)
                rows = [(next(ids), level, message, _data_text(data, escaped), stamp(created)) for level, message, data, created in batch]
                try:
                    self._write(rows)
                except Exception:  # noqa: BLE001 - logs must never take the server down
                    log.exception("failed to write %d log entries", len(rows))
                    continue
                written += len(rows)
        return written

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        try:
            with self.db.write():
                self.db.run_many(self._insert, rows)
        except Exception:  # noqa: BLE001 - the driver's own error: run_many runs on its connection
            # NOTE: written again once, in a transaction that first reads which ids are
            # stored: an id another process made too (see log_ids) failed the whole batch, or a
            # cut connection hid a commit; any other failure fails again, for the caller to log
            with self.db.write() as conn:
                missing = self._not_written(conn, rows)
                if missing:
                    self.db.run_many(self._insert, missing)

    def _not_written(self, conn: Any, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """What of ``rows`` a failed attempt did not store, an entry whose id another process
        took given a new one.

        NOTE: the attempt may have committed all the same (Postgres committed, the connection
        was cut before its answer came): an entry found as written (its id, with the same
        columns) is not written twice; one whose id holds another entry collided (log_ids).
        """
        stored = {
            row[0]: tuple(row)
            for chunk in range(0, len(rows), _LOOKUP_CHUNK)
            for row in conn.execute(
                select(*logs_table.columns).where(logs_table.c.id.in_([row[0] for row in rows[chunk : chunk + _LOOKUP_CHUNK]]))
            )
        }
        if not stored:
            return rows
        if self.database_url:  # NOTE: read back as sent (pybase.store.pg_nul)
            stored = {key: (*row[:2], pg_nul.unescape_text(row[2]), *row[3:]) for key, row in stored.items()}
        fresh = log_ids(len(rows))
        kept: list[tuple[Any, ...]] = []
        for row in rows:
            found = stored.get(row[0])
            if found is None:
                kept.append(row)
            elif found != row:
                kept.append((next(fresh), *row[1:]))
        return kept

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()

    # ---- reading -----------------------------------------------------------------------------

    def _resolver(self) -> SimpleResolver:
        return LogsResolver({name: logs_table.c[name] for name in FILTER_FIELDS}, json_columns=("data",))

    def _where(self, filter_text: str | None, *, max_length: int | None = MAX_FILTER_LENGTH) -> list[Any]:
        if not filter_text:
            return []
        try:
            return [compile_filter(parse_filter(filter_text, max_length=max_length), self._resolver())]
        except FilterError as ex:
            raise LogsFilterError() from ex
        except _EmptyPathPart as ex:
            raise LogsQueryError() from ex

    def list(
        self, filter_text: str | None, sort_text: str | None, *, limit: int, offset: int, total: bool
    ) -> tuple[list[dict[str, Any]], int]:
        """Entries matching the filter in the given order, and their total (-1 unless ``total``)."""
        where = self._where(filter_text)
        query = select(logs_table).where(*where)
        try:
            order = compile_sort(parse_sort(sort_text), self._resolver(), rowid=insertion_order(logs_table)) if sort_text else []
            # NOTE: ties, and a list with no sort, in the order the entries were made, as
            # PocketBase's one process writes them (its rowid order): pybase's workers each
            # write their own batches, so their rowids alone interleave the entries by batch
            # (and Postgres gives no order at all without one)
            query = query.order_by(*order, logs_table.c.created, insertion_order(logs_table))
        except FilterError as ex:
            raise LogsFilterError() from ex
        except _EmptyPathPart as ex:
            raise LogsQueryError() from ex
        query = query.limit(limit).offset(offset)
        try:
            with self.db.read() as conn:
                rows = conn.execute(query).mappings().all()
                count = int(conn.execute(select(func.count()).select_from(logs_table).where(*where)).scalar_one()) if total else -1
        except DBAPIError as ex:
            raise LogsQueryError() from ex
        return [_entry(row, bool(self.database_url)) for row in rows], count

    def find(self, log_id: str) -> dict[str, Any] | None:
        """One entry by id."""
        if "\x00" in log_id:
            return None  # NOTE: no id holds one (and Postgres text cannot)
        with self.db.read() as conn:
            row = conn.execute(first_row(select(logs_table).where(logs_table.c.id == log_id))).mappings().first()
        return _entry(row, bool(self.database_url)) if row is not None else None

    def stats(self, filter_text: str | None) -> list[dict[str, Any]]:
        """Entries counted per hour: ``[{"date": "2026-01-02 15:00:00.000Z", "total": 3}]``."""
        hour = hour_of(logs_table.c.created).label("date")
        # NOTE: as PocketBase, the stats' filter has no length limit (the list's has)
        where = self._where(filter_text, max_length=None)
        query = select(func.count(logs_table.c.id).label("total"), hour).where(*where).group_by(hour)
        try:
            with self.db.read() as conn:
                rows = conn.execute(query).all()
        except DBAPIError as ex:
            raise LogsQueryError() from ex
        return [{"date": f"{date}.000Z", "total": int(total)} for total, date in rows]

    # ---- expiry ------------------------------------------------------------------------------

    def delete_expired(self) -> int:
        """Delete entries older than ``maxDays`` or below ``minLevel`` (PocketBase's cleanup)."""
        settings = self.settings()
        # NOTE: maxDays may be up to 2^53-1 (as PocketBase): past ~100 years nothing is old enough.
        cutoff = format_datetime(now() - timedelta(days=min(settings.max_days, MAX_KEEP_DAYS)))
        with self.db.write() as conn:
            result = conn.execute(
                delete(logs_table).where((logs_table.c.created <= cutoff) | (logs_table.c.level < settings.min_level))
            )
        return int(result.rowcount or 0)

    def delete_all(self) -> None:
        """Delete every entry (``DELETE /api/logs``)."""
        with self._lock:
            self._pending.clear()
            with self.db.write() as conn:
                conn.execute(delete(logs_table))


def _data_text(data: Any, escaped: bool) -> str:
    """An entry's data as JSON text; ``escaped`` (Postgres): a NUL in a key or a text as
    pybase.store.pg_nul escapes it (jsonb holds no ``\\u0000``)."""
    # NOTE: keys sorted, as PocketBase's Go map: a filter on the text of data (data ~ '{"auth":')
    # or an order by it reads the same text
    dumped = orjson.dumps(data, default=str, option=orjson.OPT_SORT_KEYS).decode()
    return pg_nul.escape_json_text(dumped) if escaped else dumped


def _timestamps() -> Callable[[float], str]:
    """Formats epoch seconds as PocketBase's dates, the date and time part made once a second."""
    second = -1
    prefix = ""

    def stamp(seconds: float) -> str:
        nonlocal second, prefix
        whole = int(seconds)
        if whole != second:
            second = whole
            prefix = format_datetime(datetime.fromtimestamp(whole, UTC))[:-5]
        return f"{prefix}.{int((seconds - whole) * 1000):03d}Z"

    return stamp


def _entry(row: Any, escaped: bool) -> dict[str, Any]:
    """An entry as the API gives it; ``escaped``: read from Postgres (pybase.store.pg_nul)."""
    data, message = row["data"] or "{}", row["message"]
    if escaped:
        data, message = pg_nul.unescape_json_text(data), pg_nul.unescape_text(message)
    try:
        data = orjson.loads(data)
    except orjson.JSONDecodeError:
        data = {}
    return {"id": row["id"], "created": row["created"], "level": row["level"], "message": message, "data": data}
