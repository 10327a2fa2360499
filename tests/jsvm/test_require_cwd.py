"""require() of a relative path at the top of a hooks file resolves from the working directory
(as PocketBase's), then from pb_hooks; inside a module, from that module."""

from __future__ import annotations

from tests.jsvm.conftest import HooksServerFactory

HOOK = """
routerAdd("GET", "/cwd", (e) => {
  const fromCwd = require("./pb_hooks/lib/cwdmod.js");
  const fromHooks = require("./lib/cwdmod.js");
  return e.json(200, { cwd: fromCwd.name, hooks: fromHooks.name, same: fromCwd === fromHooks });
});
"""


def test_relative_require_from_the_working_directory(hooks_server: HooksServerFactory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    srv = hooks_server({"cwd.pb.js": HOOK})
    (tmp_path / "pb_hooks" / "lib" / "cwdmod.js").write_text('module.exports = { name: "cwd module" };\n')
    r = srv.request("GET", "/cwd")
    assert r.status_code == 200, r.text
    assert r.json() == {"cwd": "cwd module", "hooks": "cwd module", "same": True}
