/// <reference path="../pb_data/types.d.ts" />
// Modelled on pb_hooks/main.pb.js of github.com/bcsteeve/FamilySync (rewritten): the first user
// to sign up becomes admin; afterwards only admins may create users; a status route for the UI.

onRecordCreateRequest((e) => {
  const counted = new DynamicModel({ total: 0 });
  $app.db().select("count(*) as total").from("users").one(counted);
  if (parseInt(counted.total) === 0) {
    e.record.set("isAdmin", true);
    return e.next();
  }
  const caller = e.auth;
  if (!caller) {
    throw new ForbiddenError("Sign-ups are closed.");
  }
  if (!caller.getBool("isAdmin")) {
    throw new ForbiddenError("Only admins can add people.");
  }
  return e.next();
}, "users");

routerAdd("GET", "/api/app_status", (e) => {
  const counted = new DynamicModel({ total: 0 });
  $app.db().select("count(*) as total").from("users").one(counted);
  return e.json(200, { setupRequired: parseInt(counted.total) === 0 });
});
