// The schema the hooks expect: users.isAdmin (a bool field), as the app's own migrations add it.
migrate((app) => {
  const users = app.findCollectionByNameOrId("users");
  users.fields.add(new BoolField({ name: "isAdmin" }));
  users.createRule = "";
  app.save(users);
});
