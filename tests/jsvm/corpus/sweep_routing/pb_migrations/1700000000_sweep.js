// Fixture of the sweep_routing case.
migrate((app) => {
  const notes = new Collection({
    type: "base", name: "notes", listRule: "", viewRule: "", createRule: "", updateRule: "",
    fields: [
      { name: "text", type: "text" },
      { name: "secret", type: "text" },
      { name: "n", type: "number" },
    ],
  });
  app.save(notes);
  const r = new Record(notes);
  r.set("id", "fixnote00000001");
  r.set("text", "one");
  r.set("secret", "s1");
  app.save(r);
});
