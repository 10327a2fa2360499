"""The files hooks in JS (onFileDownloadRequest, onFileTokenRequest), uploads seen by record hooks, and
``$filesystem`` files attached by hooks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.files.conftest import DOCS_FIELDS, text_file
from tests.jsvm.conftest import start_hooks_server
from tests.testapp import fixture_dir

HOOKS = """
onFileDownloadRequest((e) => {
  e.response.header().set("X-Served", e.servedName + "|" + e.record.id + "|" + e.collection.name);
  e.servedName = "renamed_" + e.servedName;
  e.next();
}, "docs");

onRecordCreateRequest((e) => {
  const uploads = e.record.get("many");
  e.response.header().set("X-Uploads", uploads.map((f) => f.originalName + ":" + f.size + ":" + f.name.startsWith("notes_")).join(","));
  e.next();
}, "docs");

onRecordCreateRequest((e) => {
  if (e.record.get("title") === "from js") {
    const file = $filesystem.fileFromBytes("made in a hook", "hook.txt");
    e.record.set("many+", file);
    e.record.set("one", $filesystem.fileFromPath(e.requestInfo().body.path));
    e.response.header().set("X-File", JSON.stringify(file));
  }
  e.next();
}, "docs");

onFileTokenRequest((e) => {
  e.token = "js-" + e.record.collection().name;
  e.next();
});
"""


def test_js_file_hooks(tmp_path: Path) -> None:
    template = fixture_dir(tmp_path / "fixture")
    srv = start_hooks_server(tmp_path / "srv", template, {"files.pb.js": HOOKS})
    try:
        su = {"Authorization": srv.token("superuser")}
        answer = srv.request("POST", "/api/collections", headers=su, json={
            "name": "docs", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "fields": DOCS_FIELDS,
        })  # fmt: skip
        assert answer.status_code == 200, answer.text
        answer = srv.request("POST", "/api/collections/docs/records", files=[("many", text_file("notes.txt"))])
        assert answer.headers["X-Uploads"] == "notes.txt:5:true"
        record = answer.json()
        name = record["many"][0]
        answer = srv.request("GET", f"/api/files/docs/{record['id']}/{name}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Served"] == f"{name}|{record['id']}|docs"
        assert answer.headers["Content-Disposition"] == f'attachment; filename="renamed_{name}"'
        source = tmp_path / "on_disk.txt"
        source.write_bytes(b"from the disk")
        answer = srv.request("POST", "/api/collections/docs/records", json={"title": "from js", "path": str(source)})
        assert answer.status_code == 200, answer.text
        made = answer.json()
        assert made["many"][0].startswith("hook_") and made["one"].startswith("on_disk_")
        assert json.loads(answer.headers["X-File"]) == {"name": made["many"][0], "originalName": "hook.txt", "size": 14}
        url = f"/api/files/docs/{made['id']}"
        assert srv.request("GET", f"{url}/{made['many'][0]}").content == b"made in a hook"
        assert srv.request("GET", f"{url}/{made['one']}").content == b"from the disk"
        token = srv.request("POST", "/api/files/token", headers=su).json()
        assert token == {"token": "js-_superusers"}
    finally:
        srv.stop()
