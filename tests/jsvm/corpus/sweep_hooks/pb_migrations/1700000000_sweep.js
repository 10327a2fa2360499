// Fixture of the sweep_hooks case.
migrate((app) => {
  const users = app.findCollectionByNameOrId("users");
  const user = new Record(users);
  user.set("id", "fixuser00000001");
  user.set("email", "member@example.com");
  user.set("name", "Member");
  user.setPassword("1234567890");
  app.save(user);
  const items = new Collection({
    type: "base", name: "items", listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "trail", type: "text" },
      { name: "n", type: "number" },
      { name: "tags", type: "select", maxSelect: 3, values: ["a", "b", "c"] },
    ],
  });
  app.save(items);
  const r = new Record(items);
  r.set("id", "fixitem00000001");
  r.set("title", "first");
  r.set("n", 1);
  app.save(r);
});
