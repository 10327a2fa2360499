// Source: https://pocketbase.io/docs/js-migrations/ (adapted: fixed ids so answers compare).
migrate((app) => {
  const notes = new Collection({
    type: "base", name: "notes", listRule: "", viewRule: "",
    fields: [{ name: "text", type: "text" }],
  });
  app.save(notes);
  for (const [id, text] of [["fixnote00000001", "one"], ["fixnote00000002", "two"]]) {
    const r = new Record(notes);
    r.set("id", id);
    r.set("text", text);
    app.save(r);
  }
});
