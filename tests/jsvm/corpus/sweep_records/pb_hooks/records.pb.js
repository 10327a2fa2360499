// Sweep of the record APIs real hook code uses, each against a table of value classes
// (missing, wrong type, empty, unicode, large); every case answers {ok: value} or {err: ...}.

routerAdd("GET", "/sweep/modifiers", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const vals = values();
  const out = {};
  const fields = ["n", "i", "flags", "one", "tags", "tag", "title", "on"];
  const mods = ["+", "-", "pre+"];
  const base = $app.findRecordById("items", "fixitem00000001");
  for (const field of fields) {
    for (const mod of mods) {
      for (const [label, value] of Object.entries(vals)) {
        let v = value;
        if (field === "tags" || field === "tag") {
          if (label === "list") v = ["fixtag000000003", "fixtag000000001"];
          if (label === "unicode") v = "fixtag000000002";
        }
        const key = mod === "pre+" ? "+" + field : field + mod;
        out[`${key} ${label}`] = run(() => {
          const r = base.clone();
          r.set(key, v);
          return r.get(field);
        });
      }
    }
  }
  return e.json(200, out);
});

routerAdd("POST", "/sweep/modifiers-save", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const r = $app.findRecordById("items", "fixitem00000002");
  r.set("n+", 10);
  r.set("flags-", "a");
  r.set("+flags", "c");
  r.set("tags+", ["fixtag000000001", "fixtag000000003"]);
  r.set("tags-", "fixtag000000002");
  $app.save(r);
  const fresh = $app.findRecordById("items", "fixitem00000002");
  return e.json(200, { n: fresh.get("n"), flags: fresh.get("flags"), tags: fresh.get("tags") });
});

routerAdd("GET", "/sweep/find-by-filter", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const filters = {
    all: ["", "", 0, 0, null],
    title: ["title = {:t}", "", 0, 0, { t: "alpha" }],
    unicodeParam: ["title = {:t}", "", 0, 0, { t: "gämma" }],
    quoteParam: ["title = {:t}", "", 0, 0, { t: "delta 'q'" }],
    missingParam: ["title = {:t}", "", 0, 0, {}],
    numberParam: ["n > {:n}", "n", 0, 0, { n: 1 }],
    textNumberParam: ["n > {:n}", "n", 0, 0, { n: "1" }],
    boolParam: ["on = {:b}", "id", 0, 0, { b: false }],
    nullParam: ["title != {:t}", "id", 0, 0, { t: null }],
    listParam: ["title = {:t}", "id", 0, 0, { t: ["alpha"] }],
    sortDesc: ["", "-n", 0, 0, null],
    sortTwo: ["", "-one,title", 0, 0, null],
    sortUnknown: ["", "nope", 0, 0, null],
    sortRandom: ["id = 'fixitem00000001'", "@random", 0, 0, null],
    limit2: ["", "id", 2, 0, null],
    limitOffset: ["", "id", 2, 1, null],
    offsetOnly: ["", "id", 0, 2, null],
    negativeLimit: ["", "id", -1, 0, null],
    hugeLimit: ["", "id", 100000, 0, null],
    badFilter: ["title ==", "", 0, 0, null],
    unknownField: ["nope = 1", "", 0, 0, null],
    relation: ["tags.name ?= {:n}", "id", 0, 0, { n: "grün" }],
    relationOne: ["tag.name = 'red'", "id", 0, 0, null],
    likeUnicode: ["title ~ {:t}", "id", 0, 0, { t: "ämm" }],
    anyFlags: ["flags ?= 'b'", "id", 0, 0, null],
    emptyFlags: ["flags:length = 0", "id", 0, 0, null],
    large: ["title = {:t}", "id", 0, 0, { t: "x".repeat(5000) }],
  };
  const out = {};
  for (const [label, [filter, sort, limit, offset, params]] of Object.entries(filters)) {
    out[label] = run(() =>
      $app.findRecordsByFilter("items", filter, sort, limit, offset, params).map((r) => r.id));
  }
  out.unknownCollection = run(() => $app.findRecordsByFilter("nope", "", "", 0, 0).length);
  out.firstByFilter = run(() => $app.findFirstRecordByFilter("items", "n > {:n}", { n: 2 }).id);
  out.firstNone = run(() => $app.findFirstRecordByFilter("items", "n > 1000").id);
  out.count = run(() => $app.countRecords("items", $dbx.exp("n > 0")));
  out.countAll = run(() => $app.countRecords("items"));
  out.byData = run(() => $app.findFirstRecordByData("items", "title", "Beta").id);
  out.byDataNone = run(() => $app.findFirstRecordByData("items", "title", "nope").id);
  out.byIds = run(() => $app.findRecordsByIds("items", ["fixitem00000003", "fixitem00000001", "nope"]).map((r) => r.id).sort());
  out.byIdsEmpty = run(() => $app.findRecordsByIds("items", []).length);
  out.allRecords = run(() => $app.findAllRecords("items", $dbx.hashExp({ one: "" })).map((r) => r.id).sort());
  out.byIdMissing = run(() => $app.findRecordById("items", "nope").id);
  out.byIdEmpty = run(() => $app.findRecordById("items", "").id);
  return e.json(200, out);
});

routerAdd("GET", "/sweep/expand", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const out = {};
  const r = $app.findRecordById("items", "fixitem00000001");
  out.beforeOne = run(() => r.expandedOne("tag"));
  out.beforeAll = run(() => r.expandedAll("tags").length);
  out.failed = run(() => Object.keys($app.expandRecord(r, ["tags", "tag", "nope"], null) || {}).sort());
  out.one = run(() => r.expandedOne("tag").getString("name"));
  out.oneOfMany = run(() => r.expandedOne("tags").getString("name"));
  out.all = run(() => r.expandedAll("tags").map((t) => t.getString("name")));
  out.allOfOne = run(() => r.expandedAll("tag").map((t) => t.getString("name")));
  out.none = run(() => r.expandedOne("nope"));
  out.noneAll = run(() => r.expandedAll("nope").length);
  out.expandMap = run(() => Object.keys(r.expand()).sort());
  const empty = $app.findRecordById("items", "fixitem00000002");
  $app.expandRecord(empty, ["tag"], null);
  out.emptyOne = run(() => empty.expandedOne("tag"));
  out.emptyExpand = run(() => Object.keys(empty.expand()));
  const many = $app.findRecordsByFilter("items", "", "id", 0, 0);
  out.failedMany = run(() => Object.keys($app.expandRecords(many, ["tags"], null) || {}));
  out.many = run(() => many.map((m) => m.expandedAll("tags").map((t) => t.id)));
  const manual = $app.findRecordById("items", "fixitem00000003");
  manual.mergeExpand({ tag: $app.findRecordById("tags", "fixtag000000002") });
  out.merged = run(() => manual.expandedOne("tag").getString("name"));
  out.json = run(() => JSON.parse(JSON.stringify(r)).expand.tag.name);
  return e.json(200, out);
});

routerAdd("POST", "/sweep/tx/{mode}", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const mode = e.request.pathValue("mode");
  const logs = $app.findCollectionByNameOrId("logs");
  const add = (app, msg) => {
    const r = new Record(logs);
    r.set("msg", mode + ":" + msg);
    app.save(r);
  };
  let caught = null;
  try {
    $app.runInTransaction((tx) => {
      add(tx, "outer");
      try {
        tx.runInTransaction((inner) => {
          add(inner, "inner");
          if (mode === "inner-throw") throw new Error("inner");
        });
      } catch (err) {
        add(tx, "caught");
      }
      add(tx, "after");
      if (mode === "throw") throw new Error("boom");
      if (mode === "api") throw new BadRequestError("nope", { a: new ValidationError("x", "y") });
      if (mode === "find") tx.findRecordById("items", "missing");
      if (mode === "invalid") {
        const bad = new Record($app.findCollectionByNameOrId("items"));
        bad.set("title", "x".repeat(60));
        tx.save(bad);
      }
    });
  } catch (err) {
    caught = String(err.message);
  }
  const msgs = $app.findRecordsByFilter("logs", "msg ~ {:m}", "msg", 0, 0, { m: mode + ":" })
    .map((r) => r.getString("msg"));
  return e.json(200, { caught: caught, msgs: msgs });
});

routerAdd("POST", "/sweep/tx-uncaught", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  $app.runInTransaction((tx) => {
    const r = new Record($app.findCollectionByNameOrId("logs"));
    r.set("msg", "uncaught");
    tx.save(r);
    throw new BadRequestError("rolled back", { msg: new ValidationError("v", "gone") });
  });
});

routerAdd("GET", "/sweep/tx-count", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  return e.json(200, { uncaught: $app.countRecords("logs", $dbx.hashExp({ msg: "uncaught" })) });
});

routerAdd("GET", "/sweep/set-get/{field}", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const field = e.request.pathValue("field");
  const base = $app.findRecordById("items", "fixitem00000001");
  const out = {};
  const vals = Object.assign(values(), {
    jsonText: '{"a":1}', date: "2024-02-03 04:05:06.789Z", isoDate: "2024-02-03T04:05:06Z", big: 2 ** 53 + 2,
    zero: 0, falseText: "false", oneText: "1", spaced: " a ",
  });
  for (const [label, v] of Object.entries(vals)) {
    out[label] = run(() => {
      const r = base.clone();
      r.set(field, v);
      const dt = r.getDateTime(field);
      return {
        get: r.get(field), s: r.getString(field), i: r.getInt(field), f: r.getFloat(field), b: r.getBool(field),
        list: r.getStringSlice(field), dt: dt.isZero() ? "zero" : dt.string(),
      };
    });
  }
  return e.json(200, out);
});

routerAdd("POST", "/sweep/save/{field}", (e) => {
  const { run, values } = require(`${__hooks}/lib/sweep.js`);
  const field = e.request.pathValue("field");
  const items = $app.findCollectionByNameOrId("items");
  const out = {};
  const vals = Object.assign(values(), {
    jsonText: '{"a":1}', big: 2 ** 53 + 2, zero: 0, spaced: " a ", tooLong: "y".repeat(51),
    tag: "fixtag000000001", tags: ["fixtag000000001", "fixtag000000002"], badTag: "nope", flag: "a", flags4: ["a", "b", "c", "ü"],
  });
  for (const [label, v] of Object.entries(vals)) {
    out[label] = run(() => {
      const r = new Record(items);
      r.set(field, v);
      $app.save(r);
      const saved = $app.findRecordById("items", r.id);
      const got = saved.get(field);
      $app.delete(saved);
      return got;
    });
  }
  return e.json(200, out);
});
