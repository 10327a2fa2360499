// The schema the hooks expect (mods: name, version, owner), written for this case.
migrate((app) => {
  app.save(new Collection({ type: "base", name: "mods", listRule: "", viewRule: "", createRule: "",
    fields: [{ name: "name", type: "text" }, { name: "version", type: "text" },
             { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 }] }));
  const user = new Record(app.findCollectionByNameOrId("users"));
  user.set("id", "fixuser00000001");
  user.set("email", "modder@example.com");
  user.setPassword("1234567890");
  app.save(user);
});
