// Sweep of collections in hooks: new Collection(...) of each value class, fields, saves and errors.

routerAdd("POST", "/sweep/collection/{k}", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const k = e.request.pathValue("k");
  // NOTE: plain values only (PocketBase's goja objects of Go fields do not all survive e.json)
  const shape = (c) => {
    const fields = [];
    for (let i = 0; i < c.fields.length; i++) {
      const f = c.fields[i];
      // NOTE: a field's type is a method in PocketBase (f.type()), the JSON string in pybase
      fields.push([String(f.name), String(typeof f.type === "function" ? f.type() : f.type), !!f.required, !!f.hidden]);
    }
    const indexes = [];
    for (let i = 0; i < (c.indexes || []).length; i++) indexes.push(String(c.indexes[i]).replace(/_pbc_\d+/, "_<id>").replace(/pbc_\d+/, "<id>"));
    return {
      name: String(c.name), type: String(c.type), listRule: c.listRule === null ? null : String(c.listRule),
      viewRule: c.viewRule === null ? null : String(c.viewRule), system: !!c.system, fields: fields, indexes: indexes,
    };
  };
  const cases = {
    minimal: () => { const c = new Collection({ name: "c_min" }); $app.save(c); return shape($app.findCollectionByNameOrId("c_min")); },
    noName: () => { $app.save(new Collection({})); return "saved"; },
    badName: () => { $app.save(new Collection({ name: "bad name!" })); return "saved"; },
    unicodeName: () => { $app.save(new Collection({ name: "ünï" })); return "saved"; },
    longName: () => { $app.save(new Collection({ name: "x".repeat(120) })); return "saved"; },
    duplicate: () => { $app.save(new Collection({ name: "users" })); return "saved"; },
    badType: () => { $app.save(new Collection({ name: "c_type", type: "nope" })); return "saved"; },
    badRule: () => { $app.save(new Collection({ name: "c_rule", listRule: "nope = 1" })); return "saved"; },
    rules: () => {
      $app.save(new Collection({ name: "c_rules", listRule: "", viewRule: null, createRule: "@request.auth.id != ''" }));
      return shape($app.findCollectionByNameOrId("c_rules"));
    },
    fields: () => {
      const c = new Collection({ name: "c_fields", fields: [
        { name: "t", type: "text", required: true, max: 10 },
        { name: "n", type: "number", min: 1 },
        { name: "s", type: "select", values: ["a", "b"], maxSelect: 2 },
        { name: "h", type: "text", hidden: true },
      ] });
      $app.save(c);
      return shape($app.findCollectionByNameOrId("c_fields"));
    },
    addField: () => {
      const c = new Collection({ name: "c_add" });
      c.fields.add(new TextField({ name: "added", required: true }));
      c.fields.add(new NumberField({ name: "num" }));
      $app.save(c);
      const saved = $app.findCollectionByNameOrId("c_add");
      return [shape(saved), typeof saved.fields.getByName("num").type, saved.fields.getByName("nope") ? "found" : "none"];
    },
    badField: () => { $app.save(new Collection({ name: "c_badf", fields: [{ name: "x", type: "nope" }] })); return "saved"; },
    dupField: () => { $app.save(new Collection({ name: "c_dupf", fields: [{ name: "x", type: "text" }, { name: "x", type: "text" }] })); return "saved"; },
    reservedField: () => { $app.save(new Collection({ name: "c_resf", fields: [{ name: "expand", type: "text" }] })); return "saved"; },
    index: () => {
      $app.save(new Collection({ name: "c_idx", fields: [{ name: "a", type: "text" }], indexes: ["CREATE INDEX idx_c_idx_a ON c_idx (a)"] }));
      return shape($app.findCollectionByNameOrId("c_idx"));
    },
    badIndex: () => { $app.save(new Collection({ name: "c_bidx", indexes: ["CREATE INDEX x ON nope (a)"] })); return "saved"; },
    auth: () => { $app.save(new Collection({ name: "c_auth", type: "auth" })); return shape($app.findCollectionByNameOrId("c_auth")); },
    view: () => { $app.save(new Collection({ name: "c_view", type: "view", viewQuery: "SELECT id, email FROM users" })); return shape($app.findCollectionByNameOrId("c_view")); },
    badView: () => { $app.save(new Collection({ name: "c_bview", type: "view", viewQuery: "SELECT nope" })); return "saved"; },
    deleteSystem: () => { $app.delete($app.findCollectionByNameOrId("_superusers")); return "deleted"; },
    findMissing: () => $app.findCollectionByNameOrId("nope"),
    update: () => {
      const c = $app.findCollectionByNameOrId("users");
      c.listRule = "id = @request.auth.id";
      $app.save(c);
      return $app.findCollectionByNameOrId("users").listRule;
    },
  };
  return e.json(200, { [k]: run(cases[k]) });
});
