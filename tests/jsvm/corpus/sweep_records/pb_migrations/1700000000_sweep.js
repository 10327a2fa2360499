// Fixture of the sweep_records case: fixed ids so answers compare.
migrate((app) => {
  const tags = new Collection({
    type: "base", name: "tags", listRule: "", viewRule: "",
    fields: [{ name: "name", type: "text" }],
  });
  app.save(tags);
  for (const [id, name] of [["fixtag000000001", "red"], ["fixtag000000002", "grün"], ["fixtag000000003", "blue"]]) {
    const r = new Record(tags);
    r.set("id", id);
    r.set("name", name);
    app.save(r);
  }
  const items = new Collection({
    type: "base", name: "items", listRule: "", viewRule: "", createRule: "", updateRule: "",
    fields: [
      { name: "title", type: "text", max: 50 },
      { name: "n", type: "number" },
      { name: "i", type: "number", onlyInt: true },
      { name: "flags", type: "select", maxSelect: 3, values: ["a", "b", "c", "ü"] },
      { name: "one", type: "select", maxSelect: 1, values: ["a", "b"] },
      { name: "tags", type: "relation", collectionId: tags.id, maxSelect: 5 },
      { name: "tag", type: "relation", collectionId: tags.id, maxSelect: 1 },
      { name: "meta", type: "json" },
      { name: "on", type: "bool" },
    ],
  });
  app.save(items);
  const rows = [
    ["fixitem00000001", "alpha", 1, ["a"], ["fixtag000000001", "fixtag000000002"], "fixtag000000003"],
    ["fixitem00000002", "Beta", 2.5, ["a", "b"], ["fixtag000000002"], ""],
    ["fixitem00000003", "gämma", -3, [], [], "fixtag000000001"],
    ["fixitem00000004", "delta 'q'", 40, ["c"], ["fixtag000000003"], ""],
  ];
  for (const [id, title, n, flags, rel, one] of rows) {
    const r = new Record(items);
    r.set("id", id);
    r.set("title", title);
    r.set("n", n);
    r.set("flags", flags);
    r.set("tags", rel);
    r.set("tag", one);
    app.save(r);
  }
  const logs = new Collection({ type: "base", name: "logs", listRule: "", fields: [{ name: "msg", type: "text" }] });
  app.save(logs);
});
