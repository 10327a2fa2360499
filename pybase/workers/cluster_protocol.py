"""How the nodes of a cluster meet in Postgres: notification channels, advisory-lock keys, the
lock-table queries that count live nodes, and the timings (see :mod:`pybase.workers.cluster`)."""

from __future__ import annotations

import os
import socket
import zlib

GENERATION_CHANNEL = "pybase_generation"
PRESENCE_CHANNEL = "pybase_presence"
ALL_CHANNEL = "pybase_all"  # a question to every node (who holds which realtime client)
NODE_CHANNEL = "pybase_node_"
NODE_ID_LENGTH = 8
LEADER_KEY = 7246600  # pg_try_advisory_lock: the node running the crons
STORAGE_KEY = 7246601  # pg_advisory_lock_shared(STORAGE_KEY, <storage>): a node per file storage
NODES_KEY = 7246602  # pg_advisory_lock_shared(NODES_KEY, 0): held by every live node
NODE_KEY = 7246603  # pg_advisory_lock(NODE_KEY, <node id's crc>): this node is alive
LISTENERS_KEY = 7246604  # pg_advisory_lock_shared(LISTENERS_KEY, <node id's crc>): it has realtime clients
#: how long a presence announcement counts before the lock table alone says who has clients
PRESENCE_GRACE_SECONDS = 5.0
LEADER_RETRY_SECONDS = 1.0
CALL_SECONDS = 5.0
#: how long a collection or settings change waits for the other nodes to say they saw it
ACK_SECONDS = 2.0
#: a node cut off catches up on the changes of its cut and this much before (a change commits
#: a little after it is kept by its sender, and the cut is seen a little after it happened)
CATCH_UP_MARGIN_SECONDS = 5.0
#: how long a node that left is remembered (a catch-up waits for the nodes live when its cut
#: began; past a minute it has no changes to ask for: bus_postgres.KEEP_SECONDS)
GONE_KEPT_SECONDS = 120.0

LIVE_NODES_SQL = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid::bigint = %s AND objid = 0 AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
NODE_ALIVE_SQL = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
#: the live nodes and those with realtime clients: (key, node number) of NODE_KEY's and
#: LISTENERS_KEY's locks
PRESENCE_SQL = (
    "SELECT DISTINCT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid::bigint IN (%s, %s) AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
LIVE_STORAGES_SQL = (
    "SELECT count(DISTINCT objid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid::bigint = %s AND objsubid = 2 AND objid::bigint <> %s "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def storage_id(data_dir: str) -> int:
    """Which local file storage a node has: this machine's ``data_dir`` (workers share it)."""
    return node_crc(f"{socket.gethostname()}:{os.path.abspath(data_dir)}")


def node_crc(text: str) -> int:
    """A node id (or a storage) as the 31-bit number an advisory lock takes."""
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def local_storage_message(others: int) -> str:
    """Why a node with local file storage may not join nodes with another data directory."""
    return (
        f"{others} other pybase node(s) with another data directory serve this Postgres database, and file "
        "storage is local (pb_data/storage): the nodes would not see each other's files. Turn on S3 storage "
        "in the settings (Settings > Files storage) before starting more nodes, or run one node."
    )
