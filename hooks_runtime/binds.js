// The utility bindings: $security, $http, $os, $filepath, $template, FormData, unmarshal,
// toBytes. Evaluated after prelude.js, whose bridge it borrows (and hides). Python side: one
// module per global in pybase/jsvm/binds/ (security.py, dbx.py, http.py, os.py...). See README.md.
(function (g) {
  "use strict";

  const bridge = g.__bridge; // hidden by __setup, once every runtime file has run
  const { call, toBytes, plain } = bridge;

  const op = (prefix) => (name) => (...args) => call(prefix + name, ...args);

  // ---- $security ----------------------------------------------------------------------------

  // NOTE: a Go string parameter takes any JS value as goja exports it: String(v), "" for
  // null/undefined ([1,2] is "1,2", {} "[object Object]")
  const str = (v) => (v === undefined || v === null ? "" : String(v));
  // a Go int parameter: the JS number truncated, 0 for what is no number; a negative length
  // fails as in PocketBase
  const length = (v) => {
    const n = Math.trunc(Number(v));
    if (n < 0) throw new RangeError("Invalid array or string length");
    return Number.isFinite(n) ? n : 0;
  };
  const sec = op("security.");
  const sec1 = (name) => (a) => call("security." + name, str(a));
  const sec2 = (name) => (a, b) => call("security." + name, str(a), str(b));
  g.$security = {
    randomString: (n) => call("security.randomString", length(n)),
    randomStringWithAlphabet: (n, alphabet) => call("security.randomStringWithAlphabet", length(n), str(alphabet)),
    randomStringByRegex: sec("randomStringByRegex"),
    pseudorandomString: (n) => call("security.randomString", length(n)),
    pseudorandomStringWithAlphabet: (n, alphabet) => call("security.randomStringWithAlphabet", length(n), str(alphabet)),
    md5: sec1("md5"),
    sha256: sec1("sha256"),
    sha512: sec1("sha512"),
    hs256: sec2("hs256"),
    hs512: sec2("hs512"),
    equal: sec2("equal"),
    createJWT: (payload, secret, durationSec) => call("security.createJWT", plain(payload || {}), str(secret), durationSec),
    parseUnverifiedJWT: sec1("parseUnverifiedJWT"),
    parseJWT: sec2("parseJWT"),
    encrypt: (data, key) => call("security.encrypt", typeof data === "object" && data !== null ? toBytes(data) : str(data), str(key)),
    decrypt: sec2("decrypt"),
  };

  // ---- $http --------------------------------------------------------------------------------

  class FormData {
    constructor() { Object.defineProperty(this, "__entries", { value: [] }); }
    append(key, value) { this.__entries.push([String(key), String(value)]); }
    set(key, value) { this.delete(key); this.append(key, value); }
    delete(key) {
      const kept = this.__entries.filter((e) => e[0] !== String(key));
      this.__entries.length = 0;
      this.__entries.push(...kept);
    }
    get(key) { const e = this.__entries.find((x) => x[0] === String(key)); return e ? e[1] : null; }
    getAll(key) { return this.__entries.filter((e) => e[0] === String(key)).map((e) => e[1]); }
    has(key) { return this.__entries.some((e) => e[0] === String(key)); }
    keys() { return this.__entries.map((e) => e[0]); }
    values() { return this.__entries.map((e) => e[1]); }
    entries() { return this.__entries.map((e) => [e[0], e[1]]); }
  }

  function requestBody(body) {
    if (body === undefined || body === null) return null;
    if (body instanceof FormData) return { $form: body.entries() };
    if (typeof body === "string") return body;
    if (Array.isArray(body) || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return toBytes(body);
    return String(body);
  }

  g.$http = {
    // Synchronous and time-limited (timeout in seconds, default 120, never past the hook limit).
    send(config) {
      const c = config || {};
      return call("http.send", {
        url: c.url, method: c.method, headers: c.headers || {}, timeout: c.timeout,
        body: requestBody(c.body), data: c.data ? plain(c.data) : null,
      });
    },
  };

  // ---- $os ----------------------------------------------------------------------------------

  const fileInfo = (i) => ({
    name: () => i.name, size: () => i.size, mode: () => i.mode, modTime: () => i.modTime,
    isDir: () => i.isDir, sys: () => null,
  });
  const dirEntry = (i) => ({
    name: () => i.name, isDir: () => i.isDir, type: () => (i.isDir ? 0x80000000 : 0), info: () => fileInfo(i),
  });

  // A command is run by output(), combinedOutput() or run(); set dir, env or stdin first.
  class Cmd {
    constructor(name, args) {
      this.path = String(name);
      this.args = [String(name), ...args.map(String)];
      this.dir = "";
      this.env = [];
      this.stdin = null;
    }
    exec() {
      const r = call("os.exec", this.path, this.args.slice(1), {
        dir: this.dir, env: this.env, stdin: this.stdin === null ? null : toBytes(this.stdin),
      });
      if (r.code !== 0) {
        const err = new Error("exit status " + r.code);
        err.stdout = r.stdout;
        err.stderr = r.stderr;
        err.exitCode = r.code;
        throw err;
      }
      return r;
    }
    output() { return this.exec().stdout; }
    combinedOutput() { const r = this.exec(); return r.stdout.concat(r.stderr); }
    run() { this.exec(); return null; }
  }

  const os = op("os.");
  const none = (fn) => (...args) => { fn(...args); }; // NOTE: Go's error-only functions answer undefined
  g.$os = {
    args: call("os.args"),
    getenv: os("getenv"),
    exec: (name, ...args) => new Cmd(name, args),
    cmd: (name, ...args) => new Cmd(name, args),
    readFile: os("readFile"),
    writeFile: (path, data, perm) => { call("os.writeFile", path, typeof data === "string" ? data : toBytes(data), perm); },
    readDir: (path) => call("os.readDir", path).map(dirEntry),
    stat: (path) => fileInfo(call("os.stat", path)),
    mkdir: none(os("mkdir")),
    mkdirAll: none(os("mkdirAll")),
    remove: none(os("remove")),
    removeAll: none(os("removeAll")),
    rename: none(os("rename")),
    truncate: none(os("truncate")),
    tempDir: os("tempDir"),
    getwd: os("getwd"),
  };

  // ---- $filepath (Go's path/filepath) -------------------------------------------------------

  const fp = op("filepath.");
  g.$filepath = {
    base: fp("base"), clean: fp("clean"), dir: fp("dir"), ext: fp("ext"), join: fp("join"),
    abs: fp("abs"), rel: fp("rel"), isAbs: fp("isAbs"), split: fp("split"),
    splitList: fp("splitList"), toSlash: fp("toSlash"), fromSlash: fp("fromSlash"),
    match: fp("match"), glob: fp("glob"),
  };

  // ---- $template (a Go html/template subset) ------------------------------------------------

  class Templates {
    constructor(files, strings) { this.files = files; this.strings = strings; }
    render(data) {
      return call("template.render", this.files, this.strings, data === undefined ? null : plain(data));
    }
  }
  g.$template = {
    loadFiles: (...files) => new Templates(files.map(String), []),
    loadString: (...sources) => new Templates([], sources.map(String)),
  };

  // ---- helpers ------------------------------------------------------------------------------

  // As PocketBase's: data is copied (through JSON) onto the target; records load it as fields.
  g.unmarshal = function (data, target) {
    const value = typeof data === "string" ? JSON.parse(data) : plain(data);
    if (target instanceof bridge.Record) {
      target.load(value);
    } else if (Array.isArray(target) && Array.isArray(value)) {
      target.length = 0;
      target.push(...value);
    } else if (target !== null && typeof target === "object") {
      Object.assign(target, value);
      if (target instanceof g.Collection) bridge.fieldList(target.fields);
    } else {
      throw new TypeError("unmarshal: the target must be an object");
    }
    return null;
  };

  g.toBytes = (value) => (typeof value === "string" ? call("bytes.fromString", value) : bridge.markBytes(toBytes(value)));
  g.FormData = FormData;
})(globalThis);
