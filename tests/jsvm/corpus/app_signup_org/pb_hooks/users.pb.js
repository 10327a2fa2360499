/// <reference path="../pb_data/types.d.ts" />
// Modelled on pb/pb_hooks/users.pb.js of github.com/paper-light/growplex (rewritten): a new user
// gets an org, a first project and an owner membership, in one transaction, before it is saved.

onRecordCreate((e) => {
  $app.runInTransaction((txApp) => {
    const org = new Record(txApp.findCollectionByNameOrId("orgs"));
    org.set("name", `${e.record.get("name") || "My"}'s Org`);
    txApp.save(org);

    const project = new Record(txApp.findCollectionByNameOrId("projects"));
    project.set("org", org.id);
    txApp.save(project);

    const membership = new Record(txApp.findCollectionByNameOrId("orgMembers"));
    membership.set("org", org.id);
    membership.set("role", "owner");
    txApp.save(membership);

    e.record.set("orgMembers+", [membership.id]);
  });
  e.next();
}, "users");

routerAdd("GET", "/corpus/org-of/{email}", (e) => {
  const user = $app.findAuthRecordByEmail("users", e.request.pathValue("email"));
  const memberships = user.getStringSlice("orgMembers").map((id) => $app.findRecordById("orgMembers", id));
  const orgs = memberships.map((m) => $app.findRecordById("orgs", m.getString("org")).getString("name"));
  return e.json(200, {
    orgs: orgs,
    roles: memberships.map((m) => m.getString("role")),
    projects: $app.countRecords("projects"),
  });
});
