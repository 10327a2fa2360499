/// <reference path="../pb_data/types.d.ts" />
// Modelled on pb_hooks/record-hooks.pb.js of github.com/the-vv/ClipMods-Backend (rewritten):
// run a list of checks on a new mod; e.error(...) builds the error that is thrown.

onRecordCreateRequest((e) => {
  const checks = require(`${__hooks}/src/checks.js`);
  const user = e.auth;
  if (!user) {
    throw e.error(401, "Sign in to publish a mod.", null);
  }
  for (const check of checks) {
    const result = check(e.record, user);
    if (!result.status) {
      throw new BadRequestError(result.message);
    }
  }
  e.next();
}, "mods");
