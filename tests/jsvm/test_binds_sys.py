"""$http.send against a loopback server, $os, $filepath and $template from real hooks files."""

from __future__ import annotations

import os

import pytest

from tests.jsvm.conftest import HooksServerFactory, LoopbackServer

HTTP_JS = """
routerAdd("POST", "/http", (e) => {
  const cfg = e.requestInfo().body;
  try {
    const res = $http.send(cfg);
    e.json(200, {
      status: res.statusCode, headers: res.headers, cookies: res.cookies, json: res.json,
      raw: res.raw, body: res.body, text: toString(res.body),
    });
  } catch (err) {
    e.json(200, { error: String(err.message) });
  }
});

routerAdd("GET", "/http/form", (e) => {
  const form = new FormData();
  form.append("title", "hello");
  form.append("n", "2");
  const res = $http.send({ url: e.request.url.query().get("u"), method: "POST", body: form });
  e.json(200, res.json);
});
"""

OS_JS = """
routerAdd("POST", "/os", (e) => {
  const dir = e.requestInfo().body.dir;
  const out = {};
  out.env = $os.getenv("PYBASE_TEST_ENV");
  out.missingEnv = $os.getenv("PYBASE_TEST_NOPE");
  $os.mkdirAll($filepath.join(dir, "a", "b"));
  $os.writeFile($filepath.join(dir, "a", "b", "hello.txt"), "hi there", 0o600);
  $os.writeFile($filepath.join(dir, "a", "bin.dat"), [0, 1, 255]);
  out.text = toString($os.readFile($filepath.join(dir, "a", "b", "hello.txt")));
  out.bin = $os.readFile($filepath.join(dir, "a", "bin.dat"));
  out.entries = $os.readDir($filepath.join(dir, "a")).map((d) => [d.name(), d.isDir()]);
  const st = $os.stat($filepath.join(dir, "a", "b", "hello.txt"));
  out.stat = [st.name(), st.size(), st.isDir(), st.mode()];
  out.echo = toString($os.exec("echo", "one", "two").output());
  const cmd = $os.cmd("sh", "-c", "pwd; echo $FOO; cat");
  cmd.dir = dir;
  cmd.env = ["FOO=bar"];
  cmd.stdin = "from stdin";
  out.cmd = toString(cmd.output());
  try { $os.cmd("sh", "-c", "exit 3").run(); } catch (err) { out.exitError = err.message; }
  try { $os.readFile($filepath.join(dir, "missing")); } catch (err) { out.readError = err.message; }
  $os.remove($filepath.join(dir, "a", "bin.dat"));
  $os.removeAll($filepath.join(dir, "a", "b"));
  out.after = $os.readDir($filepath.join(dir, "a")).length;
  e.json(200, out);
});

routerAdd("GET", "/filepath", (e) => {
  e.json(200, {
    join: $filepath.join("a", "", "b/../c", "d.txt"),
    base: [$filepath.base("/x/y.tar.gz"), $filepath.base(""), $filepath.base("/")],
    dir: [$filepath.dir("/x/y/z.txt"), $filepath.dir("z.txt")],
    ext: [$filepath.ext("/x/y.tar.gz"), $filepath.ext("/x.d/y"), $filepath.ext(".bashrc")],
    clean: [$filepath.clean("a//b/./c/.."), $filepath.clean(""), $filepath.clean("/../x")],
    rel: $filepath.rel("/a/b", "/a/c/d"),
    abs: $filepath.isAbs($filepath.abs("rel")),
    split: $filepath.split("/x/y/z.txt"),
    match: [$filepath.match("*.js", "a.js"), $filepath.match("*.js", "dir/a.js"), $filepath.match("a?[bc]", "axc")],
  });
});
"""

TEMPLATE_JS = """
routerAdd("GET", "/page/{name}", (e) => {
  const html = $template.loadFiles(
    `${__hooks}/views/layout.html`,
    `${__hooks}/views/page.html`,
  ).render({ name: e.request.pathValue("name"), items: ["a", "<b>"], admin: false });
  e.html(200, html);
});
routerAdd("GET", "/tpl-string", (e) => {
  e.string(200, $template.loadString('{{range $i, $x := .}}{{if $i}},{{end}}{{$x | printf "%03d"}}{{end}}').render([1, 2, 30]));
});
routerAdd("GET", "/tpl-error", (e) => {
  $template.loadString("{{if .x}}unterminated").render({});
});
"""

LAYOUT = """<html><title>{{block "title" .}}Default{{end}}</title><body>{{template "content" .}}</body></html>"""
PAGE = """{{define "title"}}Hi {{.name}}{{end}}
{{define "content"}}{{- range .items}}<li>{{.}}</li>{{end -}}
{{if .admin}}<a>admin</a>{{else}}<p>guest</p>{{end}}{{raw "<hr>"}}{{end}}"""


@pytest.fixture
def http_srv(hooks_server: HooksServerFactory):
    return hooks_server({"http.pb.js": HTTP_JS})


def test_http_send_get_json(http_srv, loopback: LoopbackServer):
    r = http_srv.request("POST", "/http", json={"url": loopback.url + "/json", "headers": {"X-Token": "abc"}})
    body = r.json()
    assert body["status"] == 200
    assert body["json"] == {"hello": "world", "n": 2**40, "list": [1, 2]}
    assert body["headers"]["Content-Type"] == ["application/json"]
    assert body["text"] == body["raw"] and '"hello"' in body["raw"]
    assert loopback.requests[-1]["method"] == "GET"
    assert loopback.requests[-1]["headers"]["X-Token"] == "abc"


def test_http_send_post_body_and_method(http_srv, loopback: LoopbackServer):
    cfg = {"url": loopback.url + "/echo", "method": "post", "body": '{"a":1}', "headers": {"content-type": "application/json"}}
    body = http_srv.request("POST", "/http", json=cfg).json()
    assert body["status"] == 201
    assert body["json"]["method"] == "POST" and body["json"]["body"] == '{"a":1}'
    assert body["headers"]["X-Echo"] == ["yes"]


def test_http_send_binary_body_cookies_and_error_statuses(http_srv, loopback: LoopbackServer):
    body = http_srv.request("POST", "/http", json={"url": loopback.url + "/bytes"}).json()
    assert body["body"] == [0, 1, 2, 254, 255] and body["json"] is None
    body = http_srv.request("POST", "/http", json={"url": loopback.url + "/cookies"}).json()
    assert body["cookies"]["a"]["value"] == "1" and body["cookies"]["a"]["httpOnly"] is True
    assert body["cookies"]["b"]["maxAge"] == 60
    body = http_srv.request("POST", "/http", json={"url": loopback.url + "/missing"}).json()
    assert body["status"] == 404 and body["json"] == {"message": "missing"}


def test_http_send_is_time_limited(http_srv, loopback: LoopbackServer):
    body = http_srv.request("POST", "/http", json={"url": loopback.url + "/slow", "timeout": 1}).json()
    assert "timed out" in body["error"] or "timeout" in body["error"]


def test_http_send_refuses_other_schemes_and_reports_connection_errors(http_srv):
    # NOTE: Go's url.Error texts, as PocketBase's (tests/jsvm/corpus/sweep_http compares them)
    error = http_srv.request("POST", "/http", json={"url": "file:///etc/passwd"}).json()["error"]
    assert error.endswith('"file:///etc/passwd": unsupported protocol scheme "file"'), error
    body = http_srv.request("POST", "/http", json={"url": "http://127.0.0.1:1/x", "timeout": 2}).json()
    assert body["error"].endswith('"http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused'), body


def test_http_send_form_data(http_srv, loopback: LoopbackServer):
    r = http_srv.request("GET", "/http/form", params={"u": loopback.url + "/echo"})
    seen = r.json()
    assert seen["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert 'name="title"\r\n\r\nhello' in seen["body"] and 'name="n"\r\n\r\n2' in seen["body"]


def test_os_files_dirs_env_and_commands(hooks_server: HooksServerFactory, tmp_path, monkeypatch):
    monkeypatch.setenv("PYBASE_TEST_ENV", "env-value")
    srv = hooks_server({"os.pb.js": OS_JS})
    work = tmp_path / "work"
    work.mkdir()
    out = srv.request("POST", "/os", json={"dir": str(work)}).json()
    assert out["env"] == "env-value" and out["missingEnv"] == ""
    assert out["text"] == "hi there" and out["bin"] == [0, 1, 255]
    assert out["entries"] == [["b", True], ["bin.dat", False]]
    assert out["stat"] == ["hello.txt", 8, False, 0o600]
    assert out["echo"] == "one two\n"
    assert out["cmd"] == f"{work}\nbar\nfrom stdin"
    assert out["exitError"] == "exit status 3"
    assert "no such file or directory" in out["readError"]
    assert out["after"] == 0 and os.listdir(work / "a") == []


def test_filepath_follows_go(hooks_server: HooksServerFactory):
    srv = hooks_server({"fp.pb.js": OS_JS})
    assert srv.request("GET", "/filepath").json() == {
        "join": "a/c/d.txt",
        "base": ["y.tar.gz", ".", "/"],
        "dir": ["/x/y", "."],
        "ext": [".gz", "", ".bashrc"],
        "clean": ["a/b", ".", "/x"],
        "rel": "../c/d",
        "abs": True,
        "split": ["/x/y/", "z.txt"],
        "match": [True, False, True],
    }


def test_template_files_with_layout_blocks_and_escaping(hooks_server: HooksServerFactory, tmp_path):
    views = tmp_path / "pb_hooks" / "views"
    views.mkdir(parents=True)
    (views / "layout.html").write_text(LAYOUT)
    (views / "page.html").write_text(PAGE)
    srv = hooks_server({"tpl.pb.js": TEMPLATE_JS})
    r = srv.request("GET", "/page/Ann%20%26%20Bob")
    assert r.status_code == 200
    assert r.text == (
        "<html><title>Hi Ann &amp; Bob</title><body><li>a</li><li>&lt;b&gt;</li>"
        "<p>guest</p><hr></body></html>"
    )
    assert srv.request("GET", "/tpl-string").text == "001,002,030"
    bad = srv.request("GET", "/tpl-error")
    assert bad.status_code == 400
