"""A JS redirect answers as PocketBase's e.redirect: Location, no body, no Content-Type."""

from __future__ import annotations

import requests

HOOK = 'routerAdd("GET", "/go", (e) => e.redirect(302, "/elsewhere"));\n'


def test_a_redirect_has_a_location_and_no_content_type(hooks_server) -> None:
    srv = hooks_server({"redirect.pb.js": HOOK})
    resp = requests.get(srv.base_url + "/go", allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/elsewhere"
    assert "Content-Type" not in resp.headers
    assert resp.content == b""
