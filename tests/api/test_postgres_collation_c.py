"""Text order on a Postgres database whose own collation is ``C`` (issue #17): the kind
README.md told to create before pybase spelt byte order itself.

pybase's filters and sorts say ``COLLATE "C"``; an index serves them only when its column's
collation is ``"C"`` itself, not the database's ``default`` (even where that is ``C``: the
planner matches collations by name). A table an older pybase made on such a database has its
text columns in ``default``: they are brought to ``"C"`` at start, as on any other database,
or every sort and ``<``/``>`` filter on them reads the whole table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from tests.api.test_postgres_collation import (
    _COLLATIONS,
    BYTE_ORDER,
    VALUES,
    _create_old,
    _one,
    _post,
    _superuser,
)
from tests.pg import postgres_only
from tests.testapp import start_server

pytestmark = postgres_only

# the shapes pybase spells (pg_order, pg_expressions): a sort, a range filter, :lower
PLANS = [
    'SELECT * FROM "old" ORDER BY ("t") COLLATE "C" NULLS FIRST LIMIT 5',
    'SELECT * FROM "old" WHERE ("t") COLLATE "C" > (\'a\') COLLATE "C"',
    "SELECT * FROM \"old\" WHERE t = 'a'",
]


def test_a_table_an_older_pybase_made_on_a_c_database_is_served_by_its_indexes(tmp_path: Path, databases: Any) -> None:
    url = databases.new("postgres")
    try:
        assert _one(url, "SELECT datcollate FROM pg_database WHERE datname = current_database()") == [("C",)]
        srv = start_server(tmp_path, None, url)
        try:
            headers = _superuser(srv)
            _create_old(srv, headers)
            for value in VALUES:
                _post(srv, headers, "/api/collections/old/records", {"t": value})
        finally:
            srv.stop()
        # NOTE: as an older pybase made them: text columns in the database's (C) collation
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            columns = [name for name, _ in conn.execute(_COLLATIONS).fetchall()]
            conn.execute('ALTER TABLE "old" ' + ", ".join(f'ALTER COLUMN "{c}" TYPE text COLLATE "default"' for c in columns))
        srv = start_server(tmp_path, None, url)
        try:
            items = srv.request("GET", "/api/collections/old/records?perPage=100&sort=t,id").json()["items"]
            assert [item["t"] for item in items] == BYTE_ORDER
            with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
                conn.execute("SET enable_seqscan = off")
                for sql in PLANS:
                    plan = " ".join(row[0] for row in conn.execute(f"EXPLAIN {sql}"))
                    assert "idx_old_t" in plan, (sql, plan)
        finally:
            srv.stop()
    finally:
        databases.drop(url)
