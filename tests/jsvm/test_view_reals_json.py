"""A view record whose json column holds a REAL, written by a JS hook (e.json, $app finders):
the REAL is spelled as the API spells it (Go's strconv 'g': 1e+06, 2.5e-05), where the hook's
writer once refused the value the export carries (gonumbers.Scanned)."""

from __future__ import annotations

import pytest

from tests.jsvm.conftest import HooksServerFactory

pytestmark = pytest.mark.both_backends

HOOKS = {"view_reals.pb.js": """
routerAdd("GET", "/view-reals", (e) => {
    const records = $app.findRecordsByFilter("post_reals", "id != ''", "id", 10, 0)
    return e.json(200, records)
})
"""}
VIEW = {"name": "post_reals", "type": "view",
        "viewQuery": "SELECT id, (views * 10000.0) AS big, (views / 400000.0) AS small, (views * 1.0) AS real FROM posts"}


def test_hook_writes_a_view_real_as_the_api(hooks_server: HooksServerFactory) -> None:
    srv = hooks_server(HOOKS)
    auth = {"Authorization": srv.token("superuser")}
    assert srv.request("POST", "/api/collections", json=VIEW, headers=auth).status_code == 200
    listed = srv.request("GET", "/api/collections/post_reals/records?sort=id", headers=auth)
    hooked = srv.request("GET", "/view-reals")
    assert hooked.status_code == 200, hooked.text
    api = {item["id"]: item for item in listed.json()["items"]}
    for item in hooked.json():
        assert {k: item[k] for k in ("big", "small", "real")} == {k: api[item["id"]][k] for k in ("big", "small", "real")}
    # NOTE: the raw texts: 100000 and 6e+06 (strconv 'g'), 2.5e-05, 10 (not 10.0)
    assert b'"big":100000,' in listed.content and b'"big":100000,' in hooked.content
    assert b'"small":2.5e-05' in listed.content and b'"small":2.5e-05' in hooked.content
    assert b'"big":6e+06' in hooked.content and b'"real":10,' in hooked.content
