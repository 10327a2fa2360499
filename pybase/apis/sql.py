"""``POST /api/sql``: superusers run one SQL statement (PocketBase's ``apis/sql.go``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from pybase.apis.errors import bad_request
from pybase.apis.guards import require_superuser
from pybase.apis.query_form import read_query
from pybase.apis.serialize import dumps
from pybase.core.errors import sentenize
from pybase.core.sql_console import SQLError, run_sql

if TYPE_CHECKING:
    from pybase.core.app import App


def register(api: falcon.App, app: App) -> None:
    """Mount ``/api/sql`` (superuser-only)."""
    api.add_route("/api/sql", SQLResource(app))


@falcon.before(require_superuser)
class SQLResource:
    """Run ``{"query": "..."}``: rows of a read (at most 1000), or the rows a write changed."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{"execTime", "affectedRows", "columns": [{name, type, nullable}], "rows": [[text|null]]}``."""
        query = read_query(req)
        try:
            result = run_sql(self.app, query)
        except SQLError as ex:
            raise bad_request(sentenize(f"Failed to execute query. Raw error:\n{ex}")) from ex
        resp.content_type = "application/json"
        resp.data = dumps(result.to_json())
