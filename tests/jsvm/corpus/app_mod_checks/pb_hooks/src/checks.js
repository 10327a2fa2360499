// Modelled on src/hooks/mod-create-hooks.js of github.com/the-vv/ClipMods-Backend (rewritten):
// a list of checks, each answering {status, message}.
module.exports = [
  (record, user) => (record.getString("name").length >= 3
    ? { status: true }
    : { status: false, message: "The name needs 3 characters or more." }),
  (record, user) => (/^\d+\.\d+\.\d+$/.test(record.getString("version"))
    ? { status: true }
    : { status: false, message: "The version must look like 1.2.3." }),
  (record, user) => {
    record.set("owner", user.id);
    return { status: true };
  },
];
