// Fixture of the sweep_utils case: rows of every value class for DynamicModel scans.
migrate((app) => {
  const rows = new Collection({
    type: "base", name: "rows", listRule: "",
    fields: [
      { name: "t", type: "text" },
      { name: "n", type: "number" },
      { name: "b", type: "bool" },
      { name: "j", type: "json" },
      { name: "d", type: "date" },
    ],
  });
  app.save(rows);
  const data = [
    ["fixrow000000001", "plain", 1, true, { a: 1 }, "2024-01-02 03:04:05.678Z"],
    ["fixrow000000002", "", 0, false, null, ""],
    ["fixrow000000003", "ü日本😀", -2.5, false, ["x", 2, null], ""],
    ["fixrow000000004", "12", 1e15, true, "text", ""],
  ];
  for (const [id, t, n, b, j, d] of data) {
    const r = new Record(rows);
    r.set("id", id);
    r.set("t", t);
    r.set("n", n);
    r.set("b", b);
    r.set("j", j);
    r.set("d", d);
    app.save(r);
  }
});
