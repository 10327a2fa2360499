// The schema the hooks expect (orgs, projects, orgMembers, users.orgMembers), written for this case.
migrate((app) => {
  const orgs = new Collection({ type: "base", name: "orgs", listRule: "", viewRule: "", fields: [{ name: "name", type: "text" }] });
  app.save(orgs);
  const projects = new Collection({ type: "base", name: "projects", listRule: "", viewRule: "",
    fields: [{ name: "org", type: "relation", collectionId: orgs.id, maxSelect: 1 }] });
  app.save(projects);
  const members = new Collection({ type: "base", name: "orgMembers", listRule: "", viewRule: "",
    fields: [{ name: "org", type: "relation", collectionId: orgs.id, maxSelect: 1 },
             { name: "role", type: "select", values: ["owner", "member"], maxSelect: 1 }] });
  app.save(members);
  const users = app.findCollectionByNameOrId("users");
  users.fields.add(new RelationField({ name: "orgMembers", collectionId: members.id, maxSelect: 99 }));
  users.createRule = "";
  users.listRule = "";
  users.viewRule = "";
  app.save(users);
});
