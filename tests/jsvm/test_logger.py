"""``$app.logger()`` from JS hooks: entries land in ``_logs`` with their attributes."""

from __future__ import annotations

from tests.jsvm.conftest import HooksServerFactory

LOGGER_JS = """
routerAdd("POST", "/log-something", (e) => {
  $app.logger().info("imported", "count", 3, "source", "csv");
  $app.logger().with("job", "nightly").error("failed", "reason", "disk");
  $app.logger().debug("noise");
  return e.json(200, { ok: true });
});
"""


def test_js_logger_entries_land_in_the_logs(hooks_server: HooksServerFactory) -> None:
    srv = hooks_server({"logger.pb.js": LOGGER_JS})
    assert srv.request("POST", "/log-something").status_code == 200
    logs = srv.pybase.core.logs
    logs.flush()
    entries = {e["message"]: e for e in logs.list(None, None, limit=100, offset=0, total=False)[0]}
    assert entries["imported"]["level"] == 0 and entries["imported"]["data"] == {"count": 3, "source": "csv"}
    assert entries["failed"]["level"] == 8 and entries["failed"]["data"] == {"job": "nightly", "reason": "disk"}
    assert "noise" not in entries  # below logs.minLevel (0)
    assert entries["POST /log-something"]["data"]["status"] == 200  # the request itself
