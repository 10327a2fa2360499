"""$apis.static(dir, indexFallback) as a routerAdd handler, and $app.settings()."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.jsvm.conftest import HooksServerFactory

STATIC_HOOKS = """
routerAdd("GET", "/site/{path...}", $apis.static("site", false));
routerAdd("GET", "/spa/{path...}", $apis.static("site", true));
routerAdd("GET", "/abs/{path...}", $apis.static(__ABS__, false));
routerAdd("GET", "/guarded/{path...}", $apis.static("site", false), $apis.requireAuth());
"""

NOT_FOUND = {"data": {}, "message": "File not found.", "status": 404}


def _raw_get(base_url: str, path: str) -> tuple[int, bytes]:
    """A GET with the path sent as is (requests would normalise ``..`` away)."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture
def static_srv(hooks_server: HooksServerFactory, tmp_path: Path):
    site = tmp_path / "site"
    (site / "css").mkdir(parents=True)
    (site / "docs").mkdir()
    (site / "index.html").write_text("<h1>index</h1>")
    (site / "css" / "app.css").write_text("body{}")
    (site / "app.js").write_text("let a = 1;")
    (site / "data.json").write_text('{"a":1}')
    (site / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (site / "blob.unknownext").write_bytes(b"\x00\x01")
    (site / "docs" / "index.html").write_text("<h1>docs</h1>")
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", site / "leak.txt")
    os.symlink(tmp_path, site / "outside")
    (site / "inner.txt").write_text("inner")
    os.symlink(site / "inner.txt", site / "alias.txt")  # a symlink staying inside is fine
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "a.txt").write_text("absolute")
    return hooks_server({"static.pb.js": STATIC_HOOKS.replace("__ABS__", repr(str(other)))})


def test_static_serves_files_with_their_content_type(static_srv):
    cases = {
        "/site/index.html": ("text/html; charset=utf-8", b"<h1>index</h1>"),
        "/site/css/app.css": ("text/css; charset=utf-8", b"body{}"),
        "/site/app.js": ("text/javascript; charset=utf-8", b"let a = 1;"),
        "/site/data.json": ("application/json", b'{"a":1}'),
        "/site/logo.png": ("image/png", b"\x89PNG\r\n\x1a\n"),
        "/site/blob.unknownext": ("application/octet-stream", b"\x00\x01"),
        "/site/alias.txt": ("text/plain; charset=utf-8", b"inner"),
        "/abs/a.txt": ("text/plain; charset=utf-8", b"absolute"),
    }
    for path, (content_type, body) in cases.items():
        r = static_srv.request("GET", path)
        assert (r.status_code, r.headers["content-type"], r.content) == (200, content_type, body), path


def test_static_directories_answer_their_index(static_srv):
    assert static_srv.request("GET", "/site/").text == "<h1>index</h1>"
    assert static_srv.request("GET", "/site/docs/").text == "<h1>docs</h1>"
    r = static_srv.request("GET", "/site/docs", allow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (301, "/site/docs/")


def test_static_missing_file_is_a_pocketbase_404_or_the_index(static_srv):
    r = static_srv.request("GET", "/site/nope.html")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    r = static_srv.request("GET", "/spa/some/client/route")
    assert (r.status_code, r.headers["content-type"], r.text) == (200, "text/html; charset=utf-8", "<h1>index</h1>")
    assert static_srv.request("GET", "/spa/app.js").text == "let a = 1;"


def test_static_never_serves_outside_its_directory(static_srv):
    for path in ("/site/../secret.txt", "/site/%2e%2e/secret.txt", "/site/css/../../secret.txt", "/site/..%2fsecret.txt"):
        status, body = _raw_get(static_srv.base_url, path)
        assert b"top secret" not in body, path
        assert status == 404, path
    for path in ("/site/leak.txt", "/site/outside/secret.txt"):
        r = static_srv.request("GET", path)
        assert (r.status_code, r.json()) == (404, NOT_FOUND), path
    # with the fallback, an escape answers the index, never the file
    status, body = _raw_get(static_srv.base_url, "/spa/../secret.txt")
    assert b"top secret" not in body
    r = static_srv.request("GET", "/spa/leak.txt")
    assert (r.status_code, r.text) == (200, "<h1>index</h1>")


def test_static_keeps_route_middlewares(static_srv):
    assert static_srv.request("GET", "/guarded/index.html").status_code == 401
    r = static_srv.request("GET", "/guarded/index.html", headers={"Authorization": static_srv.token("user1")})
    assert (r.status_code, r.text) == (200, "<h1>index</h1>")


SETTINGS_HOOKS = """
routerAdd("GET", "/settings", (e) => {
  const s = $app.settings();
  s.meta.appName = "changed";  // a plain copy: changing it changes nothing
  return e.json(200, {first: s, again: e.app.settings().meta.appName, dev: $app.isDev()});
});
"""


def test_app_settings_are_pocketbase_defaults(hooks_server: HooksServerFactory):
    srv = hooks_server({"settings.pb.js": SETTINGS_HOOKS})
    body = srv.request("GET", "/settings").json()
    s = body["first"]
    assert body["again"] == "Acme"
    assert isinstance(body["dev"], bool)
    assert s["meta"] == {
        "appName": "changed", "appURL": "http://localhost:8090", "senderName": "Support",
        "senderAddress": "support@example.com", "hideControls": False, "accentColor": "#1055c9",
    }
    assert set(s) == {"meta", "smtp", "s3", "backups", "batch", "rateLimits", "trustedProxy", "logs", "superuserIPs"}
    assert (s["smtp"]["enabled"], s["smtp"]["host"], s["smtp"]["port"]) == (False, "smtp.example.com", 587)
    assert s["backups"]["cronMaxKeep"] == 3 and s["backups"]["s3"]["enabled"] is False
    assert s["batch"] == {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}
    assert [(r["label"], r["maxRequests"], r["duration"]) for r in s["rateLimits"]["rules"]] == [
        ("*:auth", 2, 3), ("*:create", 20, 5), ("/api/batch", 3, 1), ("/api/", 300, 10),
    ]
    assert s["trustedProxy"] == {"headers": [], "useLeftmostIP": False}
    assert s["logs"]["maxDays"] == 5 and s["logs"]["logIP"] is True
    assert s["superuserIPs"] == []


LIVE_SETTINGS_HOOKS = """
routerAdd("GET", "/live-settings", (e) => {
  const s = $app.settings();
  return e.json(200, {appName: s.meta.appName, password: s.smtp.password, maxDays: s.logs.maxDays});
});

routerAdd("GET", "/settings-json", (e) => e.json(200, $app.settings()));

onSettingsListRequest((e) => {
  const s = e.settings;
  s.meta.senderName = "Shown by JS";
  e.settings = s;  // a plain copy: assigned back whole
  e.next();
});

onSettingsUpdateRequest((e) => {
  if (e.newSettings.meta.appName === "Refused by JS") {
    throw new BadRequestError("no such name");
  }
  const s = e.newSettings;
  s.logs.maxDays = 9;
  e.newSettings = s;
  e.next();
});

onSettingsReload((e) => {
  const s = e.settings;
  if (s.meta.appName === "Reload me") {
    s.meta.accentColor = "#000000";
    e.settings = s;
  }
  e.next();
});
"""


def test_js_sees_the_live_settings_and_its_hooks_fire(hooks_server: HooksServerFactory):
    srv = hooks_server({"live.pb.js": LIVE_SETTINGS_HOOKS})
    su = {"Authorization": srv.token("superuser")}
    assert srv.request("GET", "/live-settings").json() == {"appName": "Acme", "password": "", "maxDays": 5}
    srv.events.clear()
    r = srv.request("PATCH", "/api/settings", json={"meta": {"appName": "Reload me"}, "smtp": {"password": "pw"}}, headers=su)
    assert r.status_code == 200, r.text
    assert (r.json()["logs"]["maxDays"], r.json()["meta"]["accentColor"]) == (9, "#000000")
    assert (srv.events["onSettingsUpdateRequest"], srv.events["onSettingsReload"]) == (1, 1)
    # $app.settings() in a JS route sees the PATCH (secrets included, as on PocketBase's struct)
    assert srv.request("GET", "/live-settings").json() == {"appName": "Reload me", "password": "pw", "maxDays": 9}
    as_json = srv.request("GET", "/settings-json").json()  # serialised, secrets are left out (as PocketBase)
    assert as_json["meta"]["appName"] == "Reload me" and "password" not in as_json["smtp"] and "secret" not in as_json["s3"]
    listed = srv.request("GET", "/api/settings", headers=su).json()
    assert (listed["meta"]["senderName"], listed["meta"]["appName"]) == ("Shown by JS", "Reload me")
    assert srv.app.settings()["meta"]["senderName"] == "Support", "the list hook changes the answer only"
    r = srv.request("PATCH", "/api/settings", json={"meta": {"appName": "Refused by JS"}}, headers=su)
    assert (r.status_code, r.json()["message"]) == (400, "No such name.")
    assert srv.app.settings()["meta"]["appName"] == "Reload me"


SAVE_SETTINGS_HOOKS = """
routerAdd("POST", "/rename-app", (e) => {
  const s = $app.settings();
  s.meta.appName = e.requestInfo().body.name;
  try {
    $app.save(s);
  } catch (err) {
    return e.json(400, {error: String(err.message || err)});
  }
  return e.json(200, {appName: $app.settings().meta.appName, password: $app.settings().smtp.password});
});
"""


def test_js_saves_a_changed_settings_copy(hooks_server: HooksServerFactory):
    srv = hooks_server({"save.pb.js": SAVE_SETTINGS_HOOKS})
    su = {"Authorization": srv.token("superuser")}
    assert srv.request("PATCH", "/api/settings", json={"smtp": {"password": "kept"}}, headers=su).status_code == 200
    srv.events.clear()
    r = srv.request("POST", "/rename-app", json={"name": "From JS"})
    assert r.json() == {"appName": "From JS", "password": "kept"}
    assert srv.events["onSettingsReload"] == 1
    assert srv.request("GET", "/api/settings", headers=su).json()["meta"]["appName"] == "From JS"
    r = srv.request("POST", "/rename-app", json={"name": ""})
    assert r.status_code == 400 and srv.app.settings()["meta"]["appName"] == "From JS"


MODEL_HOOKS = """
onModelUpdate((e) => {
  // an untagged handler sees settings saves too, as on PocketBase
  if (e.model.tableName() === "_params" && e.model.meta.appName === "Refused by a model hook") {
    throw new BadRequestError("refused");
  }
  e.next();
});

onModelAfterUpdateSuccess((e) => {
  $app.logger().info("settings saved", "pk", e.model.pk(), "appName", e.model.meta.appName);
  e.next();
}, "_params");
"""


def test_js_model_hooks_see_settings_saves(hooks_server: HooksServerFactory):
    srv = hooks_server({"model.pb.js": MODEL_HOOKS})
    su = {"Authorization": srv.token("superuser")}
    srv.events.clear()
    r = srv.request("PATCH", "/api/settings", json={"meta": {"appName": "Saved"}}, headers=su)
    assert r.status_code == 200, r.text
    assert (srv.events["onModelUpdate"], srv.events["onModelAfterUpdateSuccess"]) == (1, 1)
    r = srv.request("PATCH", "/api/settings", json={"meta": {"appName": "Refused by a model hook"}}, headers=su)
    assert r.json() == {"data": {}, "message": "An error occurred while saving the new settings.", "status": 400}
    assert srv.app.settings()["meta"]["appName"] == "Saved"
    assert srv.events["onModelAfterUpdateError"] == 1
