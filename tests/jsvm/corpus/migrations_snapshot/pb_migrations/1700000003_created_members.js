// Source: the shape of a `created_<auth collection>` migration written by PocketBase's dashboard
// (system fields listed explicitly, then the app's own).
migrate((app) => {
  const collection = new Collection({
    name: "members",
    type: "auth",
    listRule: "id = @request.auth.id",
    viewRule: "id = @request.auth.id",
    fields: [
      { name: "nickname", type: "text", max: 40 },
      { name: "avatarUrl", type: "url" },
    ],
    passwordAuth: { enabled: true, identityFields: ["email"] },
  });
  return app.save(collection);
}, (app) => app.delete(app.findCollectionByNameOrId("members")));
