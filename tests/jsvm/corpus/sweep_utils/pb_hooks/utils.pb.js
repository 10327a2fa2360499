// Sweep of $security, $filepath, $os and DynamicModel scans, each against a table of value
// classes; every case answers {ok: value} or {err: message}.

routerAdd("GET", "/sweep/security/{fn}", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const fn = e.request.pathValue("fn");
  const alphabet = (s, chars) => typeof s === "string" && [...s].every((c) => chars.includes(c));
  const calls = {
    md5: (v) => $security.md5(v),
    sha256: (v) => $security.sha256(v),
    sha512: (v) => $security.sha512(v),
    hs256: (v) => $security.hs256(v, "secret"),
    hs512Key: (v) => $security.hs512("data", v),
    equal: (v) => [$security.equal(v, v), $security.equal(v, "other")],
    randomString: (v) => $security.randomString(v).length,
    pseudorandomString: (v) => $security.pseudorandomString(v).length,
    withAlphabet: (v) => {
      const s = $security.randomStringWithAlphabet(8, v);
      return [s.length, alphabet(s, String(v))];
    },
    parseUnverified: (v) => $security.parseUnverifiedJWT(v),
    parseJWT: (v) => $security.parseJWT(v, "secret"),
    encryptKey: (v) => $security.decrypt($security.encrypt("plain ü", v), v),
    encryptData: (v) => $security.decrypt($security.encrypt(v, "z".repeat(32)), "z".repeat(32)),
  };
  const out = {};
  if (calls[fn]) {
    const only = e.request.url.query().get("v");
    for (const [label, v] of Object.entries(values())) {
      if (!only || only === label) out[label] = run(() => calls[fn](v));
    }
    return e.json(200, out);
  }
  const token = () => $security.createJWT({ sub: "ü", n: 1, list: [1, "a"] }, "secret", 60);
  const misc = {
    jwtClaims: () => {
      const claims = $security.parseJWT(token(), "secret");
      return { sub: claims.sub, n: claims.n, list: claims.list, hasExp: typeof claims.exp };
    },
    jwtWrongKey: () => $security.parseJWT(token(), "other"),
    jwtExpired: () => $security.parseJWT($security.createJWT({ a: 1 }, "secret", -10), "secret"),
    jwtZeroDuration: () => Object.keys($security.parseUnverifiedJWT($security.createJWT({ a: 1 }, "secret", 0))).sort(),
    jwtNotBefore: () => $security.parseJWT($security.createJWT({ nbf: Math.floor(Date.now() / 1000) + 3600 }, "secret", 60), "secret"),
    jwtBadBase64: () => $security.parseUnverifiedJWT("a.b.c"),
    jwtBadJson: () => $security.parseUnverifiedJWT("e30.bm90IGpzb24.c2ln"),
    jwtNoneAlg: () => $security.parseJWT("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhIjoxfQ.", "secret"),
    regex: () => /^[a-c]{5}$/.test($security.randomStringByRegex("[a-c]{5}")),
    regexBad: () => $security.randomStringByRegex("(("),
    decryptBad: () => $security.decrypt("not base64!", "x".repeat(32)),
    decryptShort: () => $security.decrypt("YWJj", "x".repeat(32)),
    decryptWrongKey: () => $security.decrypt($security.encrypt("x", "x".repeat(32)), "y".repeat(32)),
    key16: () => $security.decrypt($security.encrypt("plain ü", "x".repeat(16)), "x".repeat(16)),
    key24: () => $security.decrypt($security.encrypt("plain ü", "x".repeat(24)), "x".repeat(24)),
    nulBytes: () => {
      const text = $security.decrypt($security.encrypt([0, 65, 0, 66], "k".repeat(32)), "k".repeat(32));
      return [text.length, [...text].map((c) => c.charCodeAt(0))];
    },
    keyUnicode: () => $security.decrypt($security.encrypt("plain ü", "ü".repeat(16)), "ü".repeat(16)),
  };
  const k = e.request.url.query().get("k");
  out[k] = run(misc[k]);
  return e.json(200, out);
});

routerAdd("GET", "/sweep/filepath", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const paths = {
    empty: "", root: "/", dots: "a/b/../c/./d/", double: "a//b", trailing: "/x/y/", ext: "dir/file.tar.gz",
    hidden: ".env", unicode: "ü/日本.txt", large: "x/".repeat(150) + "f.js", rel: "../up", nil: null, number: 5,
  };
  const out = {};
  for (const [label, p] of Object.entries(paths)) {
    out[`base ${label}`] = run(() => $filepath.base(p));
    out[`clean ${label}`] = run(() => $filepath.clean(p));
    out[`dir ${label}`] = run(() => $filepath.dir(p));
    out[`ext ${label}`] = run(() => $filepath.ext(p));
    out[`isAbs ${label}`] = run(() => $filepath.isAbs(p));
    out[`split ${label}`] = run(() => $filepath.split(p));
    out[`join ${label}`] = run(() => $filepath.join("root", p, "leaf"));
    out[`rel ${label}`] = run(() => $filepath.rel("/a/b", p));
    out[`match ${label}`] = run(() => [$filepath.match("*.txt", p), $filepath.match("*/*", p)]);
    out[`toSlash ${label}`] = run(() => $filepath.toSlash(p));
  }
  out.joinNone = run(() => $filepath.join());
  out.joinEmpty = run(() => $filepath.join("", ""));
  out.matchBad = run(() => $filepath.match("[", "x"));
  out.splitList = run(() => $filepath.splitList("/a:/b::c"));
  out.splitListEmpty = run(() => $filepath.splitList(""));
  return e.json(200, out);
});

routerAdd("POST", "/sweep/os", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const out = {};
  const dir = $filepath.join($os.tempDir(), "pb_sweep_" + $security.randomString(8));
  out.mkdirAll = run(() => $os.mkdirAll($filepath.join(dir, "a", "b"), 0o755));
  out.write = run(() => $os.writeFile($filepath.join(dir, "a", "f.txt"), "hello ü", 0o644));
  out.read = run(() => toString($os.readFile($filepath.join(dir, "a", "f.txt"))));
  out.stat = run(() => {
    const info = $os.stat($filepath.join(dir, "a", "f.txt"));
    return [info.name(), info.size(), info.isDir()];
  });
  out.statDir = run(() => $os.stat($filepath.join(dir, "a")).isDir());
  out.readDir = run(() => $os.readDir($filepath.join(dir, "a")).map((d) => [d.name(), d.isDir()]));
  out.readMissing = run(() => $os.readFile($filepath.join(dir, "nope.txt")));
  out.statMissing = run(() => $os.stat($filepath.join(dir, "nope")));
  out.mkdirExisting = run(() => $os.mkdir($filepath.join(dir, "a"), 0o755));
  out.rename = run(() => $os.rename($filepath.join(dir, "a", "f.txt"), $filepath.join(dir, "g.txt")));
  out.afterRename = run(() => toString($os.readFile($filepath.join(dir, "g.txt"))));
  out.truncate = run(() => { $os.truncate($filepath.join(dir, "g.txt"), 2); return toString($os.readFile($filepath.join(dir, "g.txt"))); });
  out.remove = run(() => $os.remove($filepath.join(dir, "g.txt")));
  out.removeMissing = run(() => $os.remove($filepath.join(dir, "g.txt")));
  out.removeNonEmpty = run(() => $os.remove(dir));
  out.removeAll = run(() => $os.removeAll(dir));
  out.removeAllMissing = run(() => $os.removeAll(dir));
  out.getenvMissing = run(() => $os.getenv("PB_SWEEP_SURELY_UNSET"));
  for (const key of Object.keys(out)) {
    if (out[key].err) out[key].err = out[key].err.split(dir).join("<dir>");
  }
  out.exec = run(() => toString($os.cmd("echo", "a b", "ü").output()));
  out.execFail = run(() => $os.cmd("false").run());
  out.execMissing = run(() => $os.cmd("pb-sweep-no-such-binary").run());
  return e.json(200, out);
});

routerAdd("GET", "/sweep/dynamic", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const out = {};
  const k = e.request.url.query().get("k");
  const shapes = {
    typed: { id: "", t: "", n: 0, b: false, j: {}, d: "" },
    allText: { id: "", t: "", n: "", b: "", j: "", d: "" },
    allNumber: { id: "", t: 0, n: 0, b: 0, j: 0, d: 0 },
    allBool: { id: "", t: false, n: false, b: false, j: false },
    jsonList: { id: "", j: [] },
    nullish: { id: "", t: null, n: null, j: null },
  };
  for (const [label, shape] of Object.entries(shapes)) {
    if (k !== label) continue;
    out[label] = run(() => {
      const rows = arrayOf(new DynamicModel(shape));
      $app.db().newQuery("SELECT * FROM rows ORDER BY id").all(rows);
      return rows;
    });
  }
  if (k === "expressions") out.expressions = run(() => {
    const rows = arrayOf(new DynamicModel({ id: "", len: 0, up: "", half: 0.5, isBig: false, nada: "", js: {} }));
    $app.db().newQuery(
      "SELECT id, length(t) AS len, upper(t) AS up, n * 2 AS half, n > 10 AS isBig, coalesce(NULL, 'z') AS nada, '{}' AS js FROM rows ORDER BY id"
    ).all(rows);
    return rows;
  });
  if (k === "bind") out.bind = run(() => {
    const rows = arrayOf(new DynamicModel({ id: "" }));
    $app.db().newQuery("SELECT id FROM rows WHERE t = {:t} OR n = {:n} ORDER BY id").bind({ t: "ü日本😀", n: 1 }).all(rows);
    return rows.map((r) => r.id);
  });
  if (k === "bindMissing") out.bindMissing = run(() => {
    const rows = arrayOf(new DynamicModel({ id: "" }));
    $app.db().newQuery("SELECT id FROM rows WHERE t = {:t}").all(rows);
    return rows.length;
  });
  if (k === "missingColumn") out.missingColumn = run(() => {
    const rows = arrayOf(new DynamicModel({ id: "", nope: "x" }));
    $app.db().newQuery("SELECT id FROM rows ORDER BY id LIMIT 1").all(rows);
    return rows;
  });
  if (k === "oneNone") out.oneNone = run(() => {
    const row = new DynamicModel({ id: "" });
    $app.db().newQuery("SELECT id FROM rows WHERE id = 'nope'").one(row);
    return row;
  });
  if (k === "badSql") out.badSql = run(() => {
    const rows = arrayOf(new DynamicModel({ id: "" }));
    $app.db().newQuery("SELEC nope").all(rows);
    return rows;
  });
  if (k === "count") out.count = run(() => {
    const row = new DynamicModel({ c: 0 });
    $app.db().newQuery("SELECT count(*) AS c FROM rows").one(row);
    return row.c;
  });
  return e.json(200, out);
});

routerAdd("GET", "/sweep/datetime", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const inputs = {
    empty: "", pb: "2024-02-29 23:59:59.999Z", pbNoMs: "2024-02-29 23:59:59Z", iso: "2024-02-29T23:59:59Z",
    isoOffset: "2024-02-29T23:59:59+02:00", dateOnly: "2024-02-29", spaced: " 2024-02-29 10:00:00.000Z ",
    bad: "nope", badDay: "2024-02-30 10:00:00.000Z", number: 1700000000, nil: null, year1: "0001-01-01 00:00:00.000Z",
    far: "9999-12-31 23:59:59.999Z",
  };
  const out = {};
  const k = e.request.url.query().get("k");
  for (const [label, v] of Object.entries(inputs)) {
    if (label !== k) continue;
    out[label] = run(() => {
      const dt = new DateTime(v);
      return {
        // NOTE: "now" (nil): whether its unix seconds are now's; the two servers' answers may
        // straddle a second
        s: dt.string(), zero: dt.isZero(), unix: v === null ? Math.abs(dt.unix() - Date.now() / 1000) < 60 : dt.unix(),
        plusDay: dt.addDate(0, 0, 1).string(), plusHour: dt.add(3600 * 1e9).string(),
        json: JSON.parse(JSON.stringify({ d: dt })).d,
      };
    });
  }
  const a = new DateTime("2024-01-01 00:00:00.000Z");
  const b = new DateTime("2024-01-02 00:00:00.000Z");
  const misc = {
    compare: () => [a.before(b), a.after(b), a.equal(a), a.compare(b), b.compare(a), a.compare(a)],
    sub: () => b.sub(a),
    monthEnd: () => new DateTime("2024-01-31 12:00:00.000Z").addDate(0, 1, 0).string(),
    negative: () => new DateTime("2024-03-01 00:00:00.000Z").add(-1e9).string(),
    zeroCompare: () => { const z = new DateTime("nope"); return [z.isZero(), z.before(a), a.after(z), z.equal(new DateTime("also no"))]; },
  };
  if (misc[k]) out[k] = run(misc[k]);
  return e.json(200, out);
});
