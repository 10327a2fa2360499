// Source: https://pocketbase.io/docs/js-jobs-scheduling/ (cronAdd), js-overview ("Loading
// modules": require() of a file under pb_hooks), js-routing (path parameters).

cronAdd("hello", "*/5 * * * *", () => {
  console.log("Hello!");
});
cronAdd("nightly", "@daily", () => {});

routerAdd("GET", "/corpus/require", (e) => {
  const greet = require(`${__hooks}/lib/greet.js`);
  return e.json(200, { message: greet.hello("world") });
});

routerAdd("GET", "/corpus/path/{name}", (e) => {
  return e.json(200, { name: e.request.pathValue("name") });
});

// Source: https://pocketbase.io/docs/js-collections/ ("Create new collection" with typed fields,
// from a hook) and js-database (nullString()/nullInt() in DynamicModel shapes).
routerAdd("POST", "/corpus/collection", (e) => {
  const collection = new Collection({ type: "base", name: "tasks", listRule: "" });
  collection.fields.add(new TextField({ name: "title", required: true, max: 100 }));
  collection.fields.add(new BoolField({ name: "done" }));
  collection.fields.addAt(0, new NumberField({ name: "priority", onlyInt: true }));
  collection.addIndex("idx_tasks_title", true, "title", "");
  $app.save(collection);
  const saved = $app.findCollectionByNameOrId("tasks");
  const row = new DynamicModel({ title: nullString(), priority: nullInt(), done: nullBool() });
  $app.db().newQuery("SELECT 'x' AS title, 3 AS priority, 1 AS done").one(row);
  return e.json(200, {
    names: saved.fields.fieldNames(),
    title: saved.fields.getByName("title").max,
    index: saved.getIndex("idx_tasks_title"),
    row: row,
  });
});
